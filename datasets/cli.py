"""``triptych datasets``: the catalog from the command line (plugged into :mod:`triptych.cli`).

::

    triptych datasets list [--domain vision|audio|text] [--root DIR] [--json]
    triptych datasets info NAME [--root DIR] [--json]
    triptych datasets download NAME... [--root DIR] [--split SPLIT] [--no-extract] [--json]
    triptych datasets verify NAME... [--root DIR] [--split SPLIT] [--json]
    triptych datasets path NAME [--root DIR]
    triptych datasets rm NAME... [--root DIR] [--json]
    triptych datasets shard NAME --out DIR [--root DIR] [--split SPLIT] [--samples-per-shard N]

Exit codes: 0 ok, 1 a dataset failed (the message says why and what to try), 2 usage.
Nothing here imports torch: listing and paths start at once.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from triptych.cli import EXIT_FAILED, EXIT_OK, UsageError
from triptych.domains import DOMAINS
from triptych.paths import human_size


def add_parser(subparsers) -> None:
    """Register ``triptych datasets`` with its actions (see :mod:`triptych.cli`)."""
    ds = subparsers.add_parser(
        "datasets", help="list, download, verify and remove datasets",
        description="The dataset catalog. Files live under --root (default: "
                    "$TRIPTYCH_HOME/datasets, i.e. ~/.cache/triptych/datasets). "
                    "TRIPTYCH_OFFLINE=1: no network; TRIPTYCH_MIRROR=URL-or-folder: tried first.",
        epilog="Exit codes: 0 ok, 1 a dataset failed, 2 usage error.")
    sub = ds.add_subparsers(dest="action", required=True, metavar="ACTION")

    def root_option(p):
        p.add_argument("--root", metavar="DIR", help="datasets root (default: $TRIPTYCH_HOME/datasets)")

    p = sub.add_parser("list", help="the datasets in the catalog",
                       description="The datasets in the catalog, with size and local status.")
    p.add_argument("--domain", choices=list(DOMAINS), help="only this domain")
    root_option(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_list)

    p = sub.add_parser("info", help="everything about one dataset",
                       description="Description, homepage, license, splits, files, URLs, "
                                   "sha256 and where it is on disk.")
    p.add_argument("name", metavar="NAME")
    root_option(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_info)

    p = sub.add_parser("download", help="download, verify and extract datasets",
                       description="Download, verify (sha256) and extract datasets; a file "
                                   "already verified is not fetched again.")
    p.add_argument("names", nargs="+", metavar="NAME")
    root_option(p)
    p.add_argument("--split", action="append", metavar="SPLIT",
                   help="only this split (repeat, or comma-separate; 'all' for every split; "
                        "default: the dataset's default splits)")
    p.add_argument("--no-extract", action="store_true", help="keep archives packed")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_download)

    p = sub.add_parser("verify", help="re-hash the files on disk",
                       description="Re-hash every file of the datasets on disk against its "
                                   "sha256 (ignores the verification cache).")
    p.add_argument("names", nargs="+", metavar="NAME")
    root_option(p)
    p.add_argument("--split", action="append", metavar="SPLIT",
                   help="only this split (default: all splits)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_verify)

    p = sub.add_parser("path", help="print where a dataset lives",
                       description="Print the folder of a dataset (whether or not downloaded).")
    p.add_argument("name", metavar="NAME")
    root_option(p)
    p.set_defaults(func=_path)

    p = sub.add_parser("rm", help="delete a dataset's files",
                       description="Delete a dataset's folder and everything in it.")
    p.add_argument("names", nargs="+", metavar="NAME")
    root_option(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_rm)

    p = sub.add_parser("shard", help="write a dataset as tar shards for StreamingDataset",
                       description="Write a downloaded dataset (read by its class) as tar shards "
                                   "in the webdataset layout, plus index.json "
                                   "(see docs/distributed.md).")
    p.add_argument("name", metavar="NAME")
    root_option(p)
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the shards")
    p.add_argument("--split", default="train", help="which split (default: train)")
    p.add_argument("--samples-per-shard", type=int, metavar="N", help="samples per shard")
    p.set_defaults(func=_shard)


def _known(names: list[str]) -> list[str]:
    from triptych.datasets import dataset_info

    for name in names:
        try:
            dataset_info(name)
        except KeyError as exc:
            raise UsageError(f"{exc.args[0]} (see: triptych datasets list)") from None
    return names


def _splits(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [s.strip() for v in values for s in v.split(",") if s.strip()] or None


def _size(n: int | None) -> str:
    return "?" if n is None else human_size(n)


def _list(args) -> int:
    from triptych.datasets import dataset_info, dataset_status, list_datasets

    rows = []
    for name in list_datasets(args.domain):
        info = dataset_info(name)
        rows.append({"name": name, "domain": info.domain, "splits": list(info.splits),
                     "size": info.size, "status": dataset_status(name, args.root),
                     "description": info.description})
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print("(no datasets)")
        return EXIT_OK
    width = max(len(r["name"]) for r in rows)
    print(f"{'name':<{width}}  {'domain':<6}  {'size':>9}  {'status':<10}  description")
    for r in rows:
        description = r["description"].split(":")[0]
        print(f"{r['name']:<{width}}  {r['domain']:<6}  {_size(r['size']):>9}  "
              f"{r['status']:<10}  {description}")
    return EXIT_OK


def _info(args) -> int:
    from triptych.datasets import dataset_info, dataset_path, dataset_status

    info = dataset_info(_known([args.name])[0])
    record = info.to_dict()
    record["path"] = str(dataset_path(args.name, args.root))
    record["status"] = dataset_status(args.name, args.root)
    if args.json:
        print(json.dumps(record, indent=2))
        return EXIT_OK
    print(f"{info.name} ({info.domain}) — {info.description}")
    print(f"homepage: {info.homepage or '(none)'}")
    print(f"license:  {info.license or 'not stated (see the homepage)'}")
    print(f"size:     {_size(info.size)}")
    print(f"path:     {record['path']} ({record['status']})")
    if info.default_splits:
        print(f"default splits: {', '.join(info.default_splits)}")
    for split, resources in info.splits.items():
        print(f"split {split}:")
        for r in resources:
            size = _size(r.size) if r.size is not None or r.max_size is None else (
                f"size not published, at most {human_size(r.max_size)}")
            print(f"  {r.filename}  {size}  sha256 {r.sha256}")
            for url in r.urls:
                print(f"    {url}")
    return EXIT_OK


def _download(args) -> int:
    from triptych.datasets import (
        DownloadError,
        ExtractionError,
        dataset_info,
        download_dataset,
    )

    names = _known(args.names)
    splits = _splits(args.split)
    for name in names:
        try:
            dataset_info(name).select_splits(splits)
        except KeyError as exc:
            raise UsageError(exc.args[0]) from None
    results, failed = [], False
    for name in names:
        try:
            folder = download_dataset(name, args.root, splits=splits,
                                      extract=not args.no_extract,
                                      progress=not (args.no_progress or args.json))
        except (DownloadError, ExtractionError, OSError) as exc:
            failed = True
            results.append({"name": name, "status": "failed", "error": str(exc)})
            if not args.json:
                print(f"error: {exc}", file=sys.stderr)
            continue
        results.append({"name": name, "status": "ok", "path": str(folder)})
        if not args.json:
            print(f"{name}: ok  {folder}")
    if args.json:
        print(json.dumps(results, indent=2))
    return EXIT_FAILED if failed else EXIT_OK


def _verify(args) -> int:
    from triptych.datasets import dataset_info, verify_dataset

    names = _known(args.names)
    splits = _splits(args.split) or "all"
    for name in names:
        try:
            dataset_info(name).select_splits(splits)
        except KeyError as exc:
            raise UsageError(exc.args[0]) from None
    reports, failed = {}, False
    for name in names:
        report = verify_dataset(name, args.root, splits=splits)
        reports[name] = report
        bad = {f: s for f, s in report.items() if s != "ok"}
        failed = failed or bool(bad)
        if args.json:
            continue
        for filename, status in report.items():
            print(f"{name}/{filename}: {status}")
        if bad:
            root = f" --root {args.root}" if args.root else ""
            print(f"error: {name}: {len(bad)} of {len(report)} files missing or corrupt; "
                  f"fetch them again with: triptych datasets download {name}{root}",
                  file=sys.stderr)
    if args.json:
        print(json.dumps(reports, indent=2))
    return EXIT_FAILED if failed else EXIT_OK


def _path(args) -> int:
    from triptych.datasets import dataset_path

    print(dataset_path(_known([args.name])[0], args.root))
    return EXIT_OK


def _rm(args) -> int:
    from triptych.datasets import dataset_path, remove_dataset

    results = []
    for name in _known(args.names):
        folder: Path = dataset_path(name, args.root)
        existed = folder.exists()
        try:
            freed = remove_dataset(name, args.root)
        except OSError as exc:
            print(f"error: cannot remove {folder}: {exc}", file=sys.stderr)
            return EXIT_FAILED
        results.append({"name": name, "path": str(folder), "removed": existed, "bytes": freed})
        if not args.json:
            if not existed:
                print(f"{name}: not downloaded ({folder})")
            elif freed == 0:  # e.g. what a failed download leaves: a folder, a lock file
                print(f"{name}: nothing was downloaded; removed the empty folder {folder}")
            else:
                print(f"{name}: removed {folder} ({_size(freed)})")
    if args.json:
        print(json.dumps(results, indent=2))
    return EXIT_OK


def _shard(args) -> int:
    from triptych.datasets.shards import shard_dataset

    try:
        index = shard_dataset(_known([args.name])[0], args.root, args.out, split=args.split,
                              samples_per_shard=args.samples_per_shard)
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.name}: {index['num_samples']} samples in {len(index['shards'])} shards "
          f"in {args.out}")
    return EXIT_OK
