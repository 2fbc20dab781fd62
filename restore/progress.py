"""Progress of the steps a person waits on: one status line, shown after a delay.

The solvers mark their long steps with :func:`step` (a solver call, the
automatic λ search, the iterations); nothing is drawn unless a display is
active. The ``restore`` command turns one on for a terminal; in a notebook or
script, wrap the calls in :func:`show`::

    with restore.progress.show():
        x = restore.tv(image, "gauss:2")     # tv › choosing lam 3/6 › iterations 12/40 · 4 s

A step that ends within `delay` seconds (2 by default) draws nothing, so quick
calls stay quiet; a single long computation (a Wiener filter of an 8000² image)
still shows that it is working, with its elapsed time.
"""

import contextlib
import sys
import threading
import time

__all__ = ["show", "step"]

#: Seconds a step lasts before it is drawn, and between redraws.
DELAY = 2.0
INTERVAL = 0.5

_display = None  # the active display, if any


class _Step:
    __slots__ = ("name", "total", "done")

    def __init__(self, name, total):
        self.name, self.total, self.done = name, total, 0

    def text(self):
        if self.total:
            return f"{self.name} {self.done}/{self.total}"
        return f"{self.name} {self.done}" if self.done else self.name


class _Display:
    def __init__(self, stream, delay, interval):
        self.stream, self.delay, self.interval = stream, delay, interval
        self.steps, self.lock = [], threading.Lock()
        self.started = None
        self.width = 0  # length of the line on screen (0: nothing drawn)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._tick, name="restore-progress",
                                       daemon=True)
        self.thread.start()

    def push(self, name, total):
        entry = _Step(name, total)
        with self.lock:
            if not self.steps:
                self.started = time.monotonic()
            self.steps.append(entry)
        return entry

    def pop(self, entry):
        with self.lock:
            if entry in self.steps:
                self.steps.remove(entry)
            if not self.steps:
                self._clear()

    def close(self):
        self.stop.set()
        self.thread.join()
        with self.lock:
            self._clear()

    def _tick(self):
        while not self.stop.wait(self.interval):
            with self.lock:
                if self.steps and time.monotonic() - self.started >= self.delay:
                    self._draw()

    def _draw(self):
        elapsed = time.monotonic() - self.started
        line = " › ".join(s.text() for s in self.steps) + f" · {elapsed:.0f} s"
        self._write("\r" + line.ljust(self.width))
        self.width = len(line)

    def _clear(self):
        if self.width:
            self._write("\r" + " " * self.width + "\r")
            self.width = 0

    def _write(self, text):
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed stream: progress is not worth an error
            pass


@contextlib.contextmanager
def show(stream=None, *, delay=None, interval=None):
    """Show the progress of the restore calls made inside this block.

    Parameters
    ----------
    stream : file-like, optional
        Where the status line goes (default ``sys.stderr``).
    delay : float, optional
        Seconds a step must last before anything is drawn (:data:`DELAY`).
    interval : float, optional
        Seconds between redraws (:data:`INTERVAL`).

    Examples
    --------
    >>> import io, numpy as np, restore
    >>> with restore.progress.show(io.StringIO()):
    ...     x = restore.wiener(restore.blur(np.ones((32, 32)), "gauss:1"), "gauss:1")
    """
    global _display
    previous = _display
    display = _Display(sys.stderr if stream is None else stream,
                       DELAY if delay is None else delay,
                       INTERVAL if interval is None else interval)
    _display = display
    try:
        yield display
    finally:
        _display = previous
        display.close()


def _ignore(count=1):
    pass


@contextlib.contextmanager
def step(name, total=None):
    """Mark a step a person may wait on; yields ``advance(count=1)``.

    Nothing is drawn unless :func:`show` is active (then `name` joins the
    status line, with ``done/total`` when `total` is given).
    """
    display = _display
    if display is None:
        yield _ignore
        return
    entry = display.push(name, total)

    def advance(count=1):
        entry.done += count

    try:
        yield advance
    finally:
        display.pop(entry)
