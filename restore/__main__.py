"""``python -m restore``: the same as the ``restore`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
