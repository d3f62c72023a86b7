"""Shared benchmark machinery: timing, the anchor worker, the report table and JSON.

A benchmark script defines its cases twice: ``ours`` (run in this process, our .venv) and
``anchor`` (run by the anchor Python — torchvision, torchaudio, … — in a worker process).
:func:`compare` times them alternately, A, B, A, B, …, and keeps the best round of each, so
both see the same machine state. The anchor Python is ``$TRIPTYCH_ANCHOR_PYTHON``, else
``/work/anchor/bin/python`` when it exists; without one, anchor columns say "n/a".

A case is a zero-argument function returning the callable to time (set-up runs untimed).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_ANCHOR = Path("/work/anchor/bin/python")

Case = Callable[[], Callable[[], object]]


def best_seconds(fn: Callable[[], object], *, min_time: float = 0.2, repeats: int = 1) -> float:
    """Best per-call time of ``fn`` over ``repeats`` rounds of at least ``min_time`` seconds."""
    fn()  # warm up (allocators, lazy init, caches)
    best = float("inf")
    for _ in range(repeats):
        calls, start = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        best = min(best, elapsed / calls)
    return best


def anchor_python() -> str | None:
    path = os.environ.get("TRIPTYCH_ANCHOR_PYTHON") or (str(DEFAULT_ANCHOR) if DEFAULT_ANCHOR.exists() else None)
    return path


class AnchorWorker:
    """The benchmark script re-run as ``ANCHOR_PY script --anchor-worker``, timing cases on request."""

    def __init__(self, script: str, threads: int, python: str | None = None):
        python = python or anchor_python()
        self.proc = None
        self.error = "no anchor Python (set TRIPTYCH_ANCHOR_PYTHON)" if python is None else None
        if python is None:
            return
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONPATH": str(Path(__file__).parent)}
        self.proc = subprocess.Popen(
            [python, script, "--anchor-worker", "--threads", str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )
        hello = json.loads(self.proc.stdout.readline() or '{"error": "anchor worker died"}')
        self.error = hello.get("error")
        self.versions = hello.get("versions", {})

    def time(self, case: str, min_time: float) -> float | None:
        if self.proc is None or self.error:
            return None
        self.proc.stdin.write(json.dumps({"case": case, "min_time": min_time}) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        return reply.get("seconds")

    def close(self) -> None:
        if self.proc is not None:
            # Said, not signalled by closing stdin: processes this one forked since (DataLoader
            # workers kept across epochs) hold the pipe open, so the worker would never see EOF.
            if self.proc.poll() is None:
                self.proc.stdin.write(json.dumps({"quit": True}) + "\n")
                self.proc.stdin.flush()
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def serve_anchor(cases: dict[str, Case], versions: Callable[[], dict]) -> None:
    """The worker loop run in the anchor Python: one JSON request per line on stdin."""
    try:
        info = versions()
        print(json.dumps({"versions": info}), flush=True)
    except ImportError as exc:
        print(json.dumps({"error": f"anchor libraries missing: {exc}"}), flush=True)
        return
    prepared: dict[str, Callable[[], object]] = {}
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("quit"):
            break
        name = request["case"]
        if name not in cases:
            print(json.dumps({"seconds": None}), flush=True)
            continue
        if name not in prepared:
            prepared[name] = cases[name]()
        print(json.dumps({"seconds": best_seconds(prepared[name], min_time=request["min_time"])}), flush=True)


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    return {"cpu": cpu, "cores": os.cpu_count(), "torch": torch.__version__, "python": platform.python_version()}


def compare(
    title: str,
    script: str,
    ours: dict[str, Case],
    *,
    units: dict[str, tuple[str, float]] | None = None,
    rounds: int = 3,
    min_time: float = 0.3,
    threads: int = 1,
    anchor_python: str | None = None,
) -> list[dict]:
    """Time every case of ``ours`` and the anchor's case of the same name, alternating.

    ``anchor_python`` overrides the anchor interpreter (e.g. ``sys.executable`` when the anchor
    is plain torch). ``units`` maps a case to (unit name, work per call), e.g. ``("img/s", 64)``; the table then
    shows throughput instead of milliseconds. Returns the rows and writes them to
    ``benchmarks/results/<script name>.json``.
    """
    import torch

    torch.set_num_threads(threads)
    anchor = AnchorWorker(script, threads, anchor_python)
    prepared = {name: make() for name, make in ours.items()}
    best_ours = dict.fromkeys(ours, float("inf"))
    best_anchor: dict[str, float | None] = dict.fromkeys(ours)
    try:
        for _ in range(rounds):
            for name in ours:
                best_ours[name] = min(best_ours[name], best_seconds(prepared[name], min_time=min_time))
                t = anchor.time(name, min_time)
                if t is not None:
                    best_anchor[name] = t if best_anchor[name] is None else min(best_anchor[name], t)
    finally:
        anchor.close()
    rows = []
    for name in ours:
        unit, work = (units or {}).get(name, ("ms", 0.0))
        a = best_anchor[name]
        rows.append({
            "case": name,
            "ours_s": best_ours[name],
            "anchor_s": a,
            "speedup": (a / best_ours[name]) if a else None,
            "unit": unit,
            "work": work,
        })
    _print_table(title, rows, anchor)
    result = {"title": title, "machine": machine(), "threads": threads,
              "anchor": getattr(anchor, "versions", None) or anchor.error, "rows": rows}
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{Path(script).stem}.json").write_text(json.dumps(result, indent=2))
    return rows


def _fmt(seconds: float | None, unit: str, work: float) -> str:
    if seconds is None:
        return "n/a"
    if unit == "ms":
        return f"{seconds * 1e3:.3f} ms"
    return f"{work / seconds:,.1f} {unit}"


def _print_table(title: str, rows: list[dict], anchor: AnchorWorker) -> None:
    m = machine()
    print(f"\n{title}\n{m['cpu']}, {m['cores']} cores, torch {m['torch']}")
    print(f"anchor: {getattr(anchor, 'versions', None) or anchor.error}")
    width = max(len(r["case"]) for r in rows)
    print(f"{'case':<{width}}  {'ours':>18}  {'anchor':>18}  {'ours/anchor speed':>18}")
    for r in rows:
        ratio = f"{r['speedup']:.2f}x" if r["speedup"] else "n/a"
        print(f"{r['case']:<{width}}  {_fmt(r['ours_s'], r['unit'], r['work']):>18}  "
              f"{_fmt(r['anchor_s'], r['unit'], r['work']):>18}  {ratio:>18}")


def main(title: str, script: str, ours: dict[str, Case], anchor_cases: dict[str, Case],
         anchor_versions: Callable[[], dict], **kwargs) -> list[dict] | None:
    """Entry point for a benchmark script: worker mode in the anchor Python, else compare."""
    import argparse

    parser = argparse.ArgumentParser(description=title)
    parser.add_argument("--anchor-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=kwargs.pop("threads", 1))
    parser.add_argument("--rounds", type=int, default=kwargs.pop("rounds", 3))
    args = parser.parse_args()
    if args.anchor_worker:
        import torch

        torch.set_num_threads(args.threads)
        serve_anchor(anchor_cases, anchor_versions)
        return None
    return compare(title, script, ours, threads=args.threads, rounds=args.rounds, **kwargs)
