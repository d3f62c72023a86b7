"""``python -m triptych``: the same command as ``triptych`` (see :mod:`triptych.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
