"""The ``restore`` console command's entry point.

It is kept apart from :mod:`restore.cli` so that the signal handling is in
place before NumPy, SciPy and the rest are imported: Ctrl-C (SIGINT) or
SIGTERM at any moment, loading included, ends the command with one line on
stderr and exit status 130 or 143, and no partial output file.
"""

import os
import sys

from ._signals import EXIT_INTERRUPTED, exit_for_signal, handled_signals


def main(args=None):
    """Run the ``restore`` command; return its exit status."""
    try:
        with handled_signals():
            try:
                from .cli import main as run_command  # the slow imports happen here

                return run_command(args)
            except BaseException as error:
                return _ending(error)
    except KeyboardInterrupt as error:  # before the handlers were in place
        return _ending(error)


def _ending(error):
    """Say how a Ctrl-C or SIGTERM ended the command; its exit status. It may
    have become another exception where Python lost it while loading (CPython
    3.11 wraps it in a RuntimeError inside ``__set_name__``); any other error
    is raised on."""
    ending = exit_for_signal(error)
    if ending is None:
        raise error
    status, message = ending
    print(f"Error: {message}", file=sys.stderr)
    return status


def run():
    """The console script: :func:`main`, then exit with its status.

    After Ctrl-C the process leaves through :func:`os._exit` once the streams
    are flushed (every cleanup has run by then): CPython remembers a
    KeyboardInterrupt raised inside ``exec`` of a string (SciPy runs one while
    it loads) even when it was caught, and would otherwise end the process by
    SIGINT instead of with status 130.
    """
    code = main()
    if code == EXIT_INTERRUPTED:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
    sys.exit(code)
