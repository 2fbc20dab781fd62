"""The README's Python example runs as written."""

import re
from pathlib import Path

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
