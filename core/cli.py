"""The one ``triptych`` command (also ``python -m triptych``).

Each subcommand lives in the package it belongs to and plugs in through :data:`SUBCOMMANDS`:
``"module:add_parser"``, where ``add_parser(subparsers) -> None`` calls
``subparsers.add_parser(NAME, ...)``, adds its options, and ``set_defaults(func=handler)`` with
``handler(args) -> int`` (0 ok, 1 failed, 2 usage). A subcommand module must not import torch at
import time: ``triptych --help``, ``info`` and ``datasets list`` start without it.

Example:
    >>> main(["datasets", "path", "mnist", "--root", "/data"])
    /data/mnist
    0
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

SUBCOMMANDS = {
    "info": "triptych.info:add_parser",
    "datasets": "triptych.datasets.cli:add_parser",
    "models": "triptych.models.cli:add_parser",
}


class UsageError(Exception):
    """Raised by a handler for a usage problem argparse cannot see (an unknown name...)."""


def build_parser() -> argparse.ArgumentParser:
    """The ``triptych`` parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="triptych", description="triptych command line",
        epilog="Exit codes: 0 ok, 1 failed, 2 usage error.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for target in SUBCOMMANDS.values():
        module, _, attr = target.partition(":")
        getattr(importlib.import_module(module), attr)(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``triptych`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # reported by the subcommand that was given them, with its usage
            _chosen(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
        return code
    except UsageError as exc:
        _chosen(parser, args).print_usage(sys.stderr)
        print(f"{_chosen(parser, args).prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `triptych info --json | head`: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_OK


def _chosen(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The innermost (sub)parser that ``args`` went through."""
    while True:
        actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not actions:
            return parser
        chosen = getattr(args, actions[0].dest, None)
        if chosen not in actions[0].choices:
            return parser
        parser = actions[0].choices[chosen]


if __name__ == "__main__":
    sys.exit(main())
