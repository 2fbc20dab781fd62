"""Ctrl-C and SIGTERM end the `restore` command with one line and no partial file
(restore/_entry.py, restore/_signals.py), whenever they arrive."""

import os
import signal
import subprocess
import sys
import textwrap
import time
import weakref

import numpy as np
import pytest

from restore import _entry, _signals

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _start(script, cwd):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


def _wait_for(process, marker, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if marker in line:
            return
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"never printed {marker!r}: {process.stderr.read()}")


def _one_error_line(stderr, word):
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and word in lines[0], stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("signum, code, word", [(signal.SIGTERM, 143, "SIGTERM"),
                                                (signal.SIGINT, 130, "Ctrl-C")])
def test_a_signal_during_the_write_leaves_no_file(tmp_path, signum, code, word):
    """The writer has put bytes in the temporary file when the signal comes."""
    np.save(tmp_path / "in.npy", np.random.default_rng(0).random((48, 48)))
    process = _start("""
        import sys, time
        import tifffile
        real = tifffile.imwrite
        def slow_write(*args, **kwargs):
            real(*args, **kwargs)
            print("written", flush=True)
            time.sleep(60)
        tifffile.imwrite = slow_write
        from restore._entry import main
        sys.exit(main(["wiener", "in.npy", "--psf", "gauss:1", "--snr", "30",
                       "-o", "out.tif"]))
        """, tmp_path)
    _wait_for(process, "written")
    assert any(name.startswith(".out.tmp-") for name in os.listdir(tmp_path))
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code
    _one_error_line(stderr, word)
    assert sorted(os.listdir(tmp_path)) == ["in.npy"]


def test_sigterm_during_a_long_restoration_exits_143(tmp_path):
    np.save(tmp_path / "in.npy", np.random.default_rng(0).random((256, 256)))
    process = _start("""
        import sys
        from restore.solvers._iterative import Iteration
        real = Iteration.run
        def announced(self, step, xp):
            print("iterating", flush=True)
            return real(self, step, xp)
        Iteration.run = announced
        from restore._entry import main
        sys.exit(main(["rl", "in.npy", "--psf", "gauss:2", "--iterations", "100000",
                       "-o", "out.npy"]))
        """, tmp_path)
    _wait_for(process, "iterating")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143
    _one_error_line(stderr, "SIGTERM")
    assert sorted(os.listdir(tmp_path)) == ["in.npy"]


def test_ctrl_c_while_the_libraries_load_is_one_line(monkeypatch, capsys):
    """KeyboardInterrupt raised by the import of the command itself."""

    class Interrupting:
        def find_spec(self, name, path=None, target=None):
            if name == "restore.cli":
                raise KeyboardInterrupt
            return None

    monkeypatch.delitem(sys.modules, "restore.cli", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Interrupting(), *sys.meta_path])
    assert _entry.main(["--version"]) == 130
    _one_error_line(capsys.readouterr().err, "Ctrl-C")


@pytest.mark.parametrize("delay", [0.02, 0.1, 0.2, 0.3, 0.5, 1.0])
def test_ctrl_c_at_any_moment_of_a_real_run(tmp_path, delay):
    """From the imports of NumPy and SciPy to the solver's loop: always one line and
    130. The delay counts from the moment the interpreter has started and handed
    over to restore (before that, Python itself is still starting up)."""
    np.save(tmp_path / "in.npy", np.random.default_rng(0).random((256, 256)))
    process = _start("""
        import sys
        from restore._entry import run
        sys.argv = ["restore", "rl", "in.npy", "--psf", "gauss:2", "--iterations", "100000",
                    "-o", "out.npy"]
        print("ready", flush=True)
        run()
        """, tmp_path)
    _wait_for(process, "ready")
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    _one_error_line(stderr, "Ctrl-C")
    assert sorted(os.listdir(tmp_path)) == ["in.npy"]


def _drop_in_a_callback(signum):
    """Deliver `signum` inside a weak reference's callback, where Python drops an
    exception its handler raises."""

    class Thing:
        pass

    def callback(_):
        signal.raise_signal(signum)  # the handler runs here, inside the callback

    thing = Thing()
    reference = weakref.ref(thing, callback)
    del thing
    return reference


@pytest.fixture
def command_handlers():
    """The command's signal handlers, for one test."""
    with _signals.handled_signals():
        yield


@pytest.mark.parametrize("signum, error", [(signal.SIGINT, KeyboardInterrupt),
                                           (signal.SIGTERM, _signals.Terminated)])
def test_a_signal_dropped_in_a_callback_is_raised_at_the_next_check(command_handlers, capsys,
                                                                   signum, error):
    _drop_in_a_callback(signum)  # Python drops the exception: the run goes on
    assert capsys.readouterr().err == ""  # and says nothing
    assert _signals.received() == signum
    with pytest.raises(error):
        _signals.raise_if_received()
    assert _signals.exit_for_signal(RuntimeError("what it became"))[0] == 128 + signum


def test_other_dropped_errors_are_printed_as_python_prints_them(command_handlers, monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "__unraisablehook__", seen.append)

    class Thing:
        pass

    def callback(_):
        raise ZeroDivisionError

    thing = Thing()
    reference = weakref.ref(thing, callback)  # noqa: F841
    del thing
    assert [u.exc_type for u in seen] == [ZeroDivisionError]
    assert _signals.received() is None
    _signals.raise_if_received()  # nothing to raise


def test_outside_the_command_nothing_is_noted():
    """The library's checks are no-ops in a notebook (no handlers installed)."""
    assert _signals.received() is None and _signals.exit_for_signal() is None
    _signals.raise_if_received()


def test_ctrl_c_dropped_inside_a_callback_still_ends_the_run(tmp_path):
    """The failure a real run met (the import system's lock callback caught the
    Ctrl-C and the run went on): one line, 130, no output."""
    np.save(tmp_path / "in.npy", np.random.default_rng(0).random((256, 256)))
    process = _start("""
        import signal, sys, weakref
        from restore.solvers._iterative import Iteration
        real = Iteration.run
        class Thing:
            pass
        def dropped(_):
            signal.raise_signal(signal.SIGINT)
        def interrupted_in_a_callback(self, step, xp):
            thing = Thing()
            reference = weakref.ref(thing, dropped)
            del thing
            print("dropped", flush=True)
            return real(self, step, xp)
        Iteration.run = interrupted_in_a_callback
        from restore._entry import run
        sys.argv = ["restore", "rl", "in.npy", "--psf", "gauss:2", "--iterations", "100000",
                    "-o", "out.npy"]
        run()
        """, tmp_path)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    _one_error_line(stderr, "Ctrl-C")
    assert sorted(os.listdir(tmp_path)) == ["in.npy"]


def test_ctrl_c_that_python_wraps_in_another_error_is_still_ctrl_c(tmp_path):
    """CPython 3.11 wraps an exception raised in ``__set_name__`` (a class being
    made, as imports do) in a RuntimeError: a Ctrl-C there is still 130."""
    np.save(tmp_path / "in.npy", np.random.default_rng(0).random((64, 64)))
    process = _start("""
        import signal, sys
        from restore.solvers._iterative import Iteration
        class Field:
            def __set_name__(self, owner, name):
                signal.raise_signal(signal.SIGINT)
        def make_a_class(self, step, xp):
            type("Made", (), {"field": Field()})
        Iteration.run = make_a_class
        from restore._entry import run
        sys.argv = ["restore", "rl", "in.npy", "--psf", "gauss:2", "-o", "out.npy"]
        run()
        """, tmp_path)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    _one_error_line(stderr, "Ctrl-C")
    assert sorted(os.listdir(tmp_path)) == ["in.npy"]


def test_leaving_the_command_puts_the_handlers_and_the_note_back():
    """A notebook that ran a command in-process keeps its own Ctrl-C, and a
    Ctrl-C noted in the command does not stop its later solves."""
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    hook = sys.unraisablehook
    with pytest.raises(KeyboardInterrupt), _signals.handled_signals():
        with _signals.handled_signals():  # the command's main inside the entry's
            assert sys.unraisablehook is not hook
            _drop_in_a_callback(signal.SIGINT)
        assert _signals.received() == signal.SIGINT  # the inner block keeps the note
        _signals.raise_if_received()
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    assert sys.unraisablehook is hook
    assert _signals.received() is None
    _signals.raise_if_received()
