"""``python -m restore``: the same as the ``restore`` command."""

from ._entry import run

if __name__ == "__main__":
    run()
