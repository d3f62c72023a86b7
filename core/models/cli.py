"""``triptych models``: list, describe and download pretrained weights.

::

    triptych models list [PATTERN] [--domain vision|audio|text] [--with-weights] [--json]
    triptych models info NAME [--json]          # NAME: a model, or weights like ResNet18_Weights.DEFAULT
    triptych models download NAME [--weights TAG] [--root DIR] [--no-progress] [--json]

Exit codes: 0 ok, 1 a download failed (the message says why and what to try), 2 usage.
Importing this module imports neither torch nor any domain; the handlers do, when run.
"""

from __future__ import annotations

import json
import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(subparsers) -> None:
    """Add ``models`` and its actions to an argparse ``subparsers`` (the ``triptych`` CLI)."""
    models = subparsers.add_parser(
        "models", help="list, describe and download pretrained weights",
        description="Model builders and their pretrained weights. Files are cached under "
                    "$TRIPTYCH_HOME/weights (default ~/.cache/triptych/weights); "
                    "TRIPTYCH_OFFLINE=1: no network.",
        epilog="Exit codes: 0 ok, 1 a download failed, 2 usage error.")
    actions = models.add_subparsers(dest="models_action", required=True, metavar="ACTION")

    p = actions.add_parser("list", help="the registered models",
                           description="The registered models, their domain and weights.")
    p.add_argument("pattern", nargs="?", metavar="PATTERN", help="a glob such as '*res*'")
    p.add_argument("--domain", metavar="DOMAIN", help="only this domain: vision, audio or text")
    p.add_argument("--with-weights", action="store_true", help="only models with pretrained weights")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_list)

    p = actions.add_parser("info", help="everything about one model or one weights entry",
                           description="URLs, sha256, size, transforms, metrics, license and the "
                                       "cache path of a model's weights (or of one entry).")
    p.add_argument("name", metavar="NAME", help="a model (resnet18) or weights "
                                                "(ResNet18_Weights.IMAGENET1K_V1)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_info)

    p = actions.add_parser("download", help="download and verify weights",
                           description="Download and verify (sha256) a model's weights; a file "
                                       "already verified is not fetched again.")
    p.add_argument("name", metavar="NAME", help="a model (its DEFAULT weights, or --weights) or "
                                                "weights (ResNet18_Weights.IMAGENET1K_V1)")
    p.add_argument("--weights", metavar="TAG", help="which weights of the model (default: DEFAULT)")
    p.add_argument("--root", metavar="DIR", help="cache folder (default: $TRIPTYCH_HOME/weights)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_download)


def _error(action: str, message: str, code: int) -> int:
    print(f"triptych models {action}: error: {message}", file=sys.stderr)
    return code


def _weights_record(weights, *, root=None) -> dict:
    path = weights.local_path(root)
    return {
        "name": weights.full_name,
        "urls": list(weights.urls),
        "sha256": weights.sha256,
        "sha256_is_prefix": weights.sha256_is_prefix,
        "size": weights.size,
        "filename": weights.filename,
        "path": str(path),
        "on_disk": path.is_file(),
        "transforms": _describe(weights.transforms),
        "meta": {k: (f"{len(v)} names" if k in ("categories", "labels") and isinstance(v, list)
                     else v) for k, v in weights.meta.items()},
    }


def _describe(factory) -> str | None:
    """``resize_crop_normalize(crop_size=224, resize_size=256)``, without building it."""
    if factory is None:
        return None
    func = getattr(factory, "func", factory)  # a functools.partial
    kwargs = {**getattr(factory, "keywords", {})}
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return f"{getattr(func, '__qualname__', repr(func))}({args})"


def _list(args) -> int:
    from triptych.models import list_models, model_entry

    try:
        names = list_models(args.pattern, domain=args.domain, with_weights=args.with_weights)
    except ValueError as exc:
        return _error("list", str(exc), EXIT_USAGE)
    rows = []
    for name in names:
        entry = model_entry(name)
        tags = list(entry.weights.__members__) if entry.weights else []
        default = entry.weights.DEFAULT.full_name if entry.weights and "DEFAULT" in tags else None
        rows.append({"name": name, "domain": entry.domain, "weights": tags, "default": default})
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print("no models match")
        return EXIT_OK
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}}  {r['domain'] or '-':<6}  {', '.join(r['weights']) or '-'}")
    return EXIT_OK


def _info(args) -> int:
    from triptych.models import get_weight, model_entry

    try:
        if "." in args.name:
            record = _weights_record(get_weight(args.name))
        else:
            entry = model_entry(args.name)
            members = entry.weights.__members__ if entry.weights else {}
            record = {"name": entry.name, "domain": entry.domain,
                      "builder": f"{entry.builder.__module__}.{entry.builder.__qualname__}",
                      "weights_enum": entry.weights.__name__ if entry.weights else None,
                      "weights": {tag: _weights_record(w) for tag, w in members.items()
                                  if tag == w.name}}
            if "DEFAULT" in members:
                record["default"] = members["DEFAULT"].full_name
    except ValueError as exc:
        return _error("info", str(exc), EXIT_USAGE)
    if args.json:
        print(json.dumps(record, indent=2))
    else:
        _print_record(record)
    return EXIT_OK


def _print_record(record: dict, indent: str = "") -> None:
    for key, value in record.items():
        if isinstance(value, dict):
            print(f"{indent}{key}:")
            _print_record(value, indent + "  ")
        elif isinstance(value, list):
            print(f"{indent}{key}: {', '.join(map(str, value)) or '-'}")
        else:
            print(f"{indent}{key}: {value}")


def _download(args) -> int:
    from triptych.datasets import DownloadError
    from triptych.models import get_model_weights, get_weight

    try:
        if "." in args.name:
            if args.weights:
                return _error("download", "--weights goes with a model name, not with "
                                          f"{args.name!r}", EXIT_USAGE)
            weights = get_weight(args.name)
        else:
            enum_cls = get_model_weights(args.name)
            weights = get_weight(f"{enum_cls.__name__}.{args.weights or 'DEFAULT'}")
    except ValueError as exc:
        return _error("download", str(exc), EXIT_USAGE)
    try:
        path = weights.download(progress=not args.no_progress, root=args.root)
    except (DownloadError, ValueError, OSError) as exc:
        return _error("download", str(exc), EXIT_FAILED)
    if args.json:
        print(json.dumps({"name": weights.full_name, "path": str(path)}, indent=2))
    else:
        print(path)
    return EXIT_OK
