"""SIGTERM handled like Ctrl-C: an exception that unwinds the command.

``timeout``, ``kill`` and cluster schedulers stop a job with SIGTERM, whose
default action ends the process at once, leaving temporary files behind.
Raised as an exception instead, it runs every cleanup on its way out (the
temporary output file of :func:`restore.io.atomic_output` among them).
"""

import signal
import threading

#: Exit status after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130
#: Exit status after SIGTERM (128 + SIGTERM).
EXIT_TERMINATED = 143


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException, like KeyboardInterrupt, so that no
    ``except Exception`` swallows it."""


def _raise_terminated(signum, frame):
    raise Terminated()


def handle_sigterm():
    """Turn SIGTERM into :class:`Terminated` (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_terminated)
