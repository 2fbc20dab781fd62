"""Regenerate the comparison shown in README.md (montage picture and table).

    python docs/make_readme_report.py

Runs the command the README quotes,

    restore compare data/clean.png --psf motion:15,30 --noise gaussian:snr=30 \\
        --methods all --seed 0 --out docs/report --force --quiet

then copies the table of ``docs/report/table.md`` into README.md between the
``<!-- report:start -->`` and ``<!-- report:end -->`` markers. The picture is
``docs/report/montage.png``, which the README links to.
"""

import re
import sys
from pathlib import Path

from restore.cli import main

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ["compare", "data/clean.png", "--psf", "motion:15,30", "--noise", "gaussian:snr=30",
           "--methods", "all", "--seed", "0", "--out", "docs/report", "--force", "--quiet"]
START, END = "<!-- report:start -->", "<!-- report:end -->"


def table_lines(markdown):
    """The Markdown table rows of a table.md (header, rule and one row per method)."""
    return [line for line in markdown.splitlines() if line.startswith("|")]


def main_script():
    import os

    os.chdir(ROOT)
    status = main(COMMAND)
    if status:
        sys.exit(status)
    table = "\n".join(table_lines((ROOT / "docs/report/table.md").read_text()))
    readme = (ROOT / "README.md").read_text()
    block = f"{START}\n{table}\n{END}"
    updated, count = re.subn(re.escape(START) + ".*?" + re.escape(END), block, readme,
                             flags=re.S)
    if count != 1:
        sys.exit(f"README.md must hold exactly one {START} … {END} block")
    (ROOT / "README.md").write_text(updated)
    print("README.md table and docs/report/montage.png regenerated")


if __name__ == "__main__":
    main_script()
