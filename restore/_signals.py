"""Ctrl-C and SIGTERM as exceptions that unwind the command, and are never lost.

``timeout``, ``kill`` and cluster schedulers stop a job with SIGTERM, whose
default action ends the process at once, leaving temporary files behind.
Raised as an exception instead, it runs every cleanup on its way out (the
temporary output file of :func:`restore.io.atomic_output` among them).

Python runs a signal's handler wherever the main thread is, and some places
lose the exception it raises: CPython 3.11 drops it inside ABC registration
(an import that registers a class), wraps it in a RuntimeError inside a
class's ``__set_name__``, and prints and drops it in a weak reference's
callback. A run went on for good after such a Ctrl-C. So the handlers of
:func:`handled_signals` also note the signal (:func:`received`): the
solvers' loops and the commit of an output check the note
(:func:`raise_if_received`), and the command's error handling reports the
signal whatever exception it finds.
"""

import contextlib
import signal
import sys
import threading

#: Exit status after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130
#: Exit status after SIGTERM (128 + SIGTERM).
EXIT_TERMINATED = 143


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException, like KeyboardInterrupt, so that no
    ``except Exception`` swallows it."""


_EXCEPTIONS = {signal.SIGINT: KeyboardInterrupt, signal.SIGTERM: Terminated}
_EXITS = {signal.SIGINT: (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
          signal.SIGTERM: (EXIT_TERMINATED, "terminated (SIGTERM)")}
_received = []


def _note_and_raise(signum, frame):
    _received.append(signum)
    raise _EXCEPTIONS[signum]()


@contextlib.contextmanager
def handled_signals():
    """Within, SIGINT and SIGTERM have the command's handlers (main thread only;
    elsewhere nothing changes).

    Each raises its exception (KeyboardInterrupt, :class:`Terminated`) and
    notes the signal; an exception that Python would print as "Exception
    ignored" is not printed when it is one of these two. On the way out the
    handlers before are put back and, leaving the outermost such block, the
    note is cleared: a notebook that ran a command keeps its own Ctrl-C.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in _EXCEPTIONS}
    hook = sys.unraisablehook
    outermost = previous[signal.SIGINT] is not _note_and_raise
    for signum in _EXCEPTIONS:
        signal.signal(signum, _note_and_raise)
    sys.unraisablehook = _quiet_about_signals
    try:
        yield
    finally:
        for signum, handler in previous.items():
            if handler is not None:  # None: a handler not set from Python
                signal.signal(signum, handler)
        sys.unraisablehook = hook
        if outermost:
            del _received[:]


def received():
    """The first signal whose handler ran, or None."""
    return _received[0] if _received else None


def raise_if_received():
    """Raise the exception of a signal that came, even if something swallowed it.

    Called where a command may safely stop: each iteration of a solver, and
    before an output is put in place. A no-op outside the command (no
    handlers installed, nothing noted).
    """
    if _received:
        raise _EXCEPTIONS[_received[0]]()


def exit_for_signal(error=None):
    """``(status, message)`` for the signal that came, or None when none did.

    A signal noted by the handlers counts whatever `error` it became; without
    a note, `error` itself may be a KeyboardInterrupt or :class:`Terminated`.
    """
    signum = received()
    if signum is None:
        signum = next((s for s, kind in _EXCEPTIONS.items() if isinstance(error, kind)), None)
    if signum is None:
        return None
    status, what = _EXITS[signum]
    return status, f"{what}; no partial output file was left"


def _quiet_about_signals(unraisable):
    """``sys.unraisablehook``: a dropped Ctrl-C or SIGTERM is not printed (the note
    stops the command at its next check); anything else is, as Python prints it."""
    if unraisable.exc_type not in _EXCEPTIONS.values():
        sys.__unraisablehook__(unraisable)
