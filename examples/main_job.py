"""The main job: train one model per domain, reload it, deploy it, and report.

For each domain (vision, audio, text) this runs ``examples/train_<domain>.py``'s ``run()`` on its
built-in synthetic data (nothing downloaded), then

1. reloads the saved checkpoint through the weights API (``get_model(name, weights=path)``),
2. checks the deploy paths of ``triptych.deploy`` on a real batch: ``torch.compile`` (outputs
   equal eager), ``torch.export`` (outputs equal eager), ONNX with the dynamo exporter run in
   onnxruntime (within ``triptych.deploy.ONNX_RTOL/ATOL``),
3. quantizes it to dynamic int8 (``triptych.quantize_int8``) and measures the held-out accuracy
   again,

prints one summary row per domain (data-pipeline samples/s, training samples/s, accuracy before
and after int8, export status, wall time) and writes ``<out>/report.md`` with the training curves,
a grid of augmented images, a log-mel spectrogram and tokenised sentences (figures need
matplotlib), plus ``<out>/summary.json``.

    python examples/main_job.py                          # all three domains, ~4 minutes on 2 cores
    python examples/main_job.py --domain vision --epochs 1 --out runs/main_job
    python examples/main_job.py --args "vision=--num-samples 640"   # extra flags for one example

A domain whose example script is not there (or has no ``run()``) gets a "skipped" row.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import math
import shlex
import sys
import time
from pathlib import Path

import torch

from triptych.deploy import (
    DeployUnsupported,
    check_onnx,
    compile_model,
    export,
    quantize_int8,
    to_onnx,
)
from triptych.models import get_model, load_weights, resolve_weights

DOMAINS = ("vision", "audio", "text")
EXAMPLES = Path(__file__).resolve().parent
# compile / export must reproduce eager float32 outputs to this tolerance.
RTOL, ATOL = 1e-4, 1e-5


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domain", choices=("all", *DOMAINS), default="all")
    parser.add_argument("--epochs", type=int, default=None,
                        help="training epochs for every example (default: each example's own)")
    parser.add_argument("--device", default="cpu", help="training device: cpu, cuda, ...")
    parser.add_argument("--out", default="runs/main_job", help="report and checkpoint folder")
    parser.add_argument("--args", action="append", default=[], metavar="DOMAIN=FLAGS",
                        help="extra flags for one domain's example, e.g. 'vision=--num-samples 640'")
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be >= 1")
    extra = {}
    for item in args.args:
        domain, sep, flags = item.partition("=")
        if not sep or domain not in DOMAINS:
            parser.error(f"--args takes DOMAIN=FLAGS with DOMAIN in {DOMAINS}, got {item!r}")
        extra[domain] = extra.get(domain, []) + shlex.split(flags)
    args.extra = extra
    return args


def progress(iterable, **kwargs):
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, file=sys.stdout, mininterval=0.5, leave=False, **kwargs)


def load_example(domain: str):
    """The ``examples/train_<domain>.py`` module, or a reason why it cannot be used."""
    path = EXAMPLES / f"train_{domain}.py"
    if not path.exists():
        return None, "skipped: not present"
    spec = importlib.util.spec_from_file_location(f"train_{domain}_example", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError as exc:
        return None, f"skipped: {exc}"
    if not callable(getattr(module, "run", None)):
        return None, "skipped: no run() (main-job contract)"
    return module, None


def reload(result: dict) -> tuple[torch.nn.Module, str]:
    """The checkpoint read back through the weights API as a fresh model in eval mode, and how:
    ``get_model(model_name, weights=checkpoint, **model_kwargs)`` for a registered model, else
    (or when the builder needs arguments the result does not give) ``load_weights`` into a copy
    of the trained model's architecture, strict."""
    checkpoint = result["checkpoint"]
    if result.get("model_name"):
        try:
            model = get_model(result["model_name"], weights=checkpoint,
                              **result.get("model_kwargs", {}))
            return model.eval(), "get_model"
        except (ValueError, TypeError, RuntimeError):
            if "model_kwargs" in result:
                raise
    fresh = copy.deepcopy(result["model"])
    return load_weights(fresh, resolve_weights(checkpoint, None)).eval(), "load_weights"


def _same(got, want) -> bool:
    got, want = torch.utils._pytree.tree_leaves(got), torch.utils._pytree.tree_leaves(want)
    return len(got) == len(want) and all(
        torch.allclose(g, w, rtol=RTOL, atol=ATOL) if w.is_floating_point() else torch.equal(g, w)
        for g, w in zip(got, want) if isinstance(w, torch.Tensor))


def deploy_checks(model: torch.nn.Module, inputs: tuple, folder: Path, bar) -> dict[str, str]:
    """``{"compile"|"export"|"onnx": "ok" | "n/a: why" | "FAILED: why" | "skipped: why"}``."""
    with torch.no_grad():
        eager = model(*inputs)

    def compiled():
        with torch.no_grad():
            return _same(compile_model(model)(*inputs), eager)

    def exported():
        with torch.no_grad():
            return _same(export(model, inputs).module()(*inputs), eager)

    def onnx():
        path = to_onnx(model, inputs, folder / "model.onnx")
        worst = check_onnx(model, inputs, path)
        return f"ok (max |diff| {worst:.1e})"

    status = {}
    for name, check in (("compile", compiled), ("export", exported), ("onnx", onnx)):
        bar.set_description(f"{name}")
        try:
            outcome = check()
            status[name] = outcome if isinstance(outcome, str) else (
                "ok" if outcome else "FAILED: outputs differ from eager")
        except DeployUnsupported as exc:
            status[name] = f"n/a: {exc}"
        except ImportError as exc:
            status[name] = f"skipped: {exc}"
        except Exception as exc:  # noqa: BLE001 - the table reports every failure
            status[name] = f"FAILED: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
        bar.update()
    return status


def run_domain(domain: str, args: argparse.Namespace, out: Path) -> dict:
    module, why = load_example(domain)
    if module is None:
        return {"domain": domain, "status": why}
    start = time.perf_counter()
    folder = out / domain
    folder.mkdir(parents=True, exist_ok=True)
    argv = ["--out", str(folder), "--device", args.device]
    if args.epochs is not None:
        argv += ["--epochs", str(args.epochs)]
    argv += args.extra.get(domain, [])
    print(f"== {domain}: {EXAMPLES.name}/train_{domain}.py {' '.join(argv)}")
    result = module.run(argv)

    bar = progress(range(5), total=5, desc="reload", unit="step")
    bar = bar if hasattr(bar, "update") else _NoBar()
    model, reloaded_with = reload(result)
    evaluate = result["evaluate"]
    accuracy_reloaded = evaluate(model)
    bar.update()
    inputs = tuple(t.cpu() for t in result["example_inputs"])
    status = deploy_checks(model, inputs, folder, bar)
    bar.set_description("int8")
    try:
        int8 = quantize_int8(model)
        accuracy_int8 = evaluate(int8)
        int8_status = "ok"
    except DeployUnsupported as exc:
        accuracy_int8, int8_status = None, f"n/a: {exc}"
    except ValueError as exc:  # nothing to quantize
        accuracy_int8, int8_status = None, f"n/a: {exc}"
    bar.update()
    bar.close()
    return {
        "domain": domain,
        "status": "ok",
        "model_name": result.get("model_name") or type(result["model"]).__name__,
        "pipeline_samples_per_s": float(result["pipeline_samples_per_s"]),
        "train_samples_per_s": float(result["train_samples_per_s"]),
        "accuracy": float(result["accuracy"]),
        "accuracy_reloaded": float(accuracy_reloaded),
        "reloaded_with": reloaded_with,
        "accuracy_int8": None if accuracy_int8 is None else float(accuracy_int8),
        "chance": result.get("chance") or (1 / len(result["classes"]) if result.get("classes")
                                           else None),
        "int8": int8_status,
        **status,
        "train_wall_s": float(result["wall_s"]),
        "wall_s": time.perf_counter() - start,
        "history": result["history"],
        "preview": result.get("preview"),
    }


class _NoBar:
    def update(self, n: int = 1) -> None: ...
    def set_description(self, text: str) -> None: ...
    def close(self) -> None: ...


def _fmt(value, spec: str = ".0f") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)


def _short(status: str) -> str:
    return status.split(":")[0].split(" (")[0]


def summary_table(rows: list[dict]) -> list[list[str]]:
    header = ["domain", "model", "pipeline/s", "train/s", "chance", "accuracy", "int8 accuracy",
              "compile", "export", "onnx", "wall s"]
    table = [header]
    for row in rows:
        if row["status"] != "ok":
            table.append([row["domain"], row["status"], *["-"] * (len(header) - 2)])
            continue
        table.append([row["domain"], row["model_name"], _fmt(row["pipeline_samples_per_s"]),
                      _fmt(row["train_samples_per_s"]), _fmt(row["chance"], ".3f"),
                      _fmt(row["accuracy"], ".3f"),
                      _fmt(row["accuracy_int8"], ".3f") if row["int8"] == "ok"
                      else _short(row["int8"]),
                      _short(row["compile"]), _short(row["export"]), _short(row["onnx"]),
                      _fmt(row["wall_s"], ".1f")])
    return table


def print_table(table: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for i, r in enumerate(table):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def markdown_table(table: list[list[str]]) -> str:
    lines = ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(table[0])]
    lines += ["| " + " | ".join(r) + " |" for r in table[1:]]
    return "\n".join(lines)


def _figures(row: dict, out: Path) -> list[str]:
    """The row's figures as PNG files in ``out``; Markdown lines that show them."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ["(figures need matplotlib: `pip install matplotlib`)"]
    domain, lines = row["domain"], []
    history = row["history"]
    fig, ax = plt.subplots(figsize=(5, 3))
    epochs = [h["epoch"] for h in history]
    ax.plot(epochs, [h["loss"] for h in history], "o-", label="training loss")
    ax.set_xlabel("epoch")
    ax2 = ax.twinx()
    ax2.plot(epochs, [h["accuracy"] for h in history], "s-", color="C1",
             label="held-out accuracy")
    ax2.set_ylim(0, 1)
    ax.set_xticks(epochs)
    fig.legend(loc="upper center", ncol=2, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.88))
    fig.savefig(out / f"{domain}_curves.png", dpi=90)
    plt.close(fig)
    lines.append(f"![{domain} training curves]({domain}_curves.png)")
    preview = row.get("preview")
    if domain == "vision" and isinstance(preview, torch.Tensor) and preview.dim() == 4:
        n = preview.shape[0]
        cols = min(8, n)
        rows_ = math.ceil(n / cols)
        fig, axes = plt.subplots(rows_, cols, figsize=(cols, rows_), squeeze=False)
        for ax, image in zip(axes.flat, preview):
            ax.imshow(image.permute(1, 2, 0).numpy())
        for ax in axes.flat:
            ax.axis("off")
        fig.tight_layout()
        fig.savefig(out / "vision_augmented.png", dpi=90)
        plt.close(fig)
        lines.append("![augmented training samples](vision_augmented.png)")
    elif domain == "audio" and isinstance(preview, torch.Tensor) and preview.dim() == 2:
        fig, ax = plt.subplots(figsize=(6, 2.5))
        ax.imshow(preview.numpy(), origin="lower", aspect="auto", cmap="magma")
        ax.set_xlabel("frame")
        ax.set_ylabel("mel bin")
        fig.tight_layout()
        fig.savefig(out / "audio_spectrogram.png", dpi=90)
        plt.close(fig)
        lines.append("![log-mel spectrogram of a training clip](audio_spectrogram.png)")
    return lines


def write_report(rows: list[dict], table: list[list[str]], out: Path, total_s: float) -> Path:
    done = [r["domain"] for r in rows if r["status"] == "ok"]
    parts = ["# triptych main job", "",
             f"{', '.join(done) or 'No domain'} trained, reloaded, deployed and quantized in "
             f"{total_s:.0f} s (torch {torch.__version__}).", "", markdown_table(table), "",
             "Export status: `ok` = outputs equal eager (compile, export: rtol 1e-4; onnx: "
             "onnxruntime within `triptych.deploy.ONNX_RTOL/ATOL`); details below.", ""]
    for row in rows:
        parts += [f"## {row['domain']}", ""]
        if row["status"] != "ok":
            parts += [row["status"], ""]
            continue
        chance = f" (chance {row['chance']:.3f})" if row.get("chance") else ""
        parts += [f"- model `{row['model_name']}`; held-out accuracy {row['accuracy']:.4f}{chance}, "
                  f"reloaded ({row['reloaded_with']}) {row['accuracy_reloaded']:.4f}, int8 "
                  f"{_fmt(row['accuracy_int8'], '.4f')} ({row['int8']})",
                  *[f"- {k}: {row[k]}" for k in ("compile", "export", "onnx")], ""]
        parts += _figures(row, out)
        preview = row.get("preview")
        if row["domain"] == "text" and isinstance(preview, list):
            parts += ["", "| text | tokens |", "|---|---|"]
            for text, tokens in preview[:8]:
                cell = " ".join(f"`{t}`" for t in tokens).replace("|", "\\|")
                text = str(text).replace("|", "\\|")
                parts.append(f"| {text} | {cell} |")
        parts.append("")
    path = out / "report.md"
    path.write_text("\n".join(parts))
    return path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    domains = DOMAINS if args.domain == "all" else (args.domain,)
    rows = [run_domain(domain, args, out) for domain in domains]
    total = time.perf_counter() - start
    table = summary_table(rows)
    print()
    print_table(table)
    report = write_report(rows, table, out, total)
    summary = [{k: v for k, v in r.items() if k not in ("preview",)} for r in rows]
    (out / "summary.json").write_text(json.dumps({"total_s": total, "domains": summary}, indent=1))
    print(f"\nreport: {report}   total {total:.0f} s")
    failed = [r["domain"] for r in rows
              if r["status"] == "ok" and any(str(r[k]).startswith("FAILED")
                                             for k in ("compile", "export", "onnx"))]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
