"""The README's examples run as written: its Python blocks and every shell line."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has no Python example"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})
    out = capsys.readouterr().out
    assert "PSNR" in out and "wiener" in out


def test_readme_report_is_what_the_documented_command_produces(tmp_path, monkeypatch):
    """The README's table comes from docs/make_readme_report.py, not from a hand edit."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_readme_report", README.parent / "docs" / "make_readme_report.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    from restore.cli import main

    monkeypatch.chdir(README.parent)
    command = [a if a != "docs/report" else str(tmp_path) for a in script.COMMAND]
    assert main(command) == 0
    fresh = script.table_lines((tmp_path / "table.md").read_text())
    shown = re.search(re.escape(script.START) + "(.*?)" + re.escape(script.END),
                      README.read_text(), flags=re.S).group(1).strip().splitlines()

    def without_time(lines):  # the last column is the run time
        return [line.rsplit("|", 2)[0] for line in lines]

    assert without_time(shown) == without_time(fresh)
    assert (README.parent / "docs" / "report" / "montage.png").stat().st_size > 10_000


def _shell_lines():
    """Every command line of the README's ```bash blocks (set-up commands aside)."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if command and not command.startswith(("pip ", "python -m pytest")):
                lines.append(command)
    return lines


def test_readme_has_shell_examples():
    commands = [line.split()[1] for line in _shell_lines() if line.startswith("restore ")]
    assert {"wiener", "rl", "tv", "simulate", "psf", "compare"} <= set(commands)


@pytest.mark.parametrize("line", _shell_lines())
def test_readme_shell_line_runs_as_written_from_the_repository_root(tmp_path, line):
    """In a fresh copy of the files a clone has, each line succeeds and writes what
    it names, touching no file that was there."""
    import shlex
    import shutil
    import subprocess
    import sys

    for folder in ("data", "docs"):
        shutil.copytree(README.parent / folder, tmp_path / folder)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    words = shlex.split(line)
    assert words[0] == "restore", line
    result = subprocess.run([sys.executable, "-m", "restore", *words[1:]], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    assert all(after.get(p) == t for p, t in before.items()), "an existing file changed"
    if "--help" not in words:
        assert set(after) - set(before), f"{line} wrote nothing"
