"""Ctrl-C and SIGTERM end the `restore` command with one line and no partial file
(restore/_entry.py, restore/_signals.py), whenever they arrive."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from restore import _entry

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
