"""``python -m triptych info [--json]``."""

import sys

from .info import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] != "info" or any(a not in ("--json",) for a in args[1:]):
        print("usage: python -m triptych info [--json]", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(args[1:]))
