"""benchmarks/gpu.py: its --dry-run (NumPy at tiny sizes) and its line without a GPU.

The GPU run itself happens on a device machine (benchmarks/device_check.sh);
these tests keep the script's logic working where there is no GPU.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from restore._backend import cupy_available

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu.py"
DRY_SIZES = ["64×64", "128×128", "12×32×32", "16×32×32"]
SECTIONS = ["## Richardson–Lucy per iteration against the FFT floor", "## TV and Tikhonov",
            "## Peak memory of RL", "## Targets", "## Speed-up over the CPU path"]


def _run(*args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)


def _rows(text, section):
    """The table rows (first cells) of one section of the Markdown output."""
    part = text.split(section, 1)[1].split("\n## ", 1)[0]
    lines = [line for line in part.splitlines() if line.startswith("| ")]
    return [line.split("|")[1].strip() for line in lines[2:]]  # header and rule off


def test_the_dry_run_prints_every_table_with_a_row_per_size(tmp_path):
    done = _run("--dry-run", "--json", str(tmp_path / "gpu.json"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for section in SECTIONS:
        assert section in out, section
    floor = _rows(out, SECTIONS[0])
    assert [cell.split(" (")[0] for cell in floor] == DRY_SIZES
    for section in (SECTIONS[1], SECTIONS[2], SECTIONS[4]):
        assert _rows(out, section) == DRY_SIZES, section
    # RL runs four real FFTs per iteration (counted on operators.Blur during a real call)
    rl_rows = [line for line in out.split(SECTIONS[0], 1)[1].split("\n## ")[0].splitlines()
               if line.startswith("| ") and "×" in line.split("|")[1]]
    assert len(rl_rows) == 4 and all(line.split("|")[3].strip() == "4" for line in rl_rows)
    targets = out.split("## Targets", 1)[1]
    assert "RL iteration ≤ 1.25× four FFTs" in targets
    assert "RL peak memory ≤ 6× the padded float32 volume" in targets
    assert "skipped" not in out  # no time limit: every CPU measurement ran
    record = json.loads((tmp_path / "gpu.json").read_text())
    assert record["dry_run"] is True and len(record["sizes"]) == 4
    first = record["sizes"][0]
    assert first["ffts_per_iteration"] == 4
    assert first["rl"]["best_s"] > 0 and first["cpu_rl"]["best_s"] > 0
    assert first["memory"]["peak_bytes"] > first["memory"]["padded_bytes"]


def test_a_time_limit_skips_the_cpu_measurements_it_cannot_fit():
    done = _run("--dry-run", "--sizes", "48x48", "--time-limit", "0")
    assert done.returncode == 0, done.stderr
    assert _rows(done.stdout, SECTIONS[4]) == ["48×48"]
    assert "| skipped: --time-limit" in done.stdout.split(SECTIONS[4], 1)[1]


@pytest.mark.skipif(cupy_available(), reason="a GPU is here: the script would measure it")
def test_without_a_gpu_it_says_so_in_one_line_and_exits_0():
    done = _run()
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and "no CuPy with a CUDA device" in lines[0]
    assert "--dry-run" in lines[0]
