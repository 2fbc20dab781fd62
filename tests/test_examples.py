"""The examples run as a new user would run them and write their figures.

Each script runs in a fresh interpreter, from a temporary working directory,
with ``--out`` pointing to a temporary folder; the shell example runs with bash
through the installed ``restore`` command; the notebook runs top to bottom in
a Jupyter kernel.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

#: Script -> files it must write under --out.
SCRIPTS = {
    "restore_a_photo.py": ["restore_a_photo.png"],
    "transposed_convolution_is_not_deconvolution.py": [
        "transposed_convolution_images.png", "transposed_convolution_spectra.png"],
    "compare_solvers.py": [
        "compare_2d/table.md", "compare_2d/table.csv", "compare_2d/montage.png",
        "compare_3d/table.md", "compare_3d/table.csv", "compare_3d/projections.png"],
}


def run(command, cwd, **env):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "MPLBACKEND": "Agg", **env})
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} exited {result.returncode}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


def assert_written(out, names):
    for name in names:
        path = out / name
        assert path.is_file(), f"{path} was not written"
        assert path.stat().st_size > 0, f"{path} is empty"


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_script_runs_and_writes_its_figures(script, tmp_path):
    out = tmp_path / "out"
    result = run([sys.executable, str(EXAMPLES / script), "--out", str(out)], cwd=tmp_path)
    assert "PSNR" in result.stdout
    assert_written(out, SCRIPTS[script])


def test_every_example_is_tested():
    runnable = {p.name for p in EXAMPLES.glob("*.py")} - {"make_python_api_notebook.py"}
    assert runnable == set(SCRIPTS)


@pytest.mark.skipif(shutil.which("restore") is None or shutil.which("bash") is None,
                    reason="needs bash and the `restore` command on PATH (pip install -e .)")
def test_shell_example(tmp_path):
    out = tmp_path / "out"
    result = run(["bash", str(EXAMPLES / "restore_a_photo.sh"), "--out", str(out)],
                 cwd=tmp_path, PYTHON=sys.executable)
    assert_written(out, ["photo.wiener.png", "photo.rl.png", "photo.tv.png"])
    assert result.stdout.count("PSNR") == 4


def test_notebook_is_the_builders_output_with_no_outputs():
    """The committed notebook is what make_python_api_notebook.py writes: no outputs."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        import make_python_api_notebook as builder
    finally:
        sys.path.remove(str(EXAMPLES))
    committed = nbformat.read(EXAMPLES / "python_api.ipynb", as_version=4)
    assert committed == builder.build()
    for cell in committed.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_notebook_runs_top_to_bottom(tmp_path):
    notebook = nbformat.read(EXAMPLES / "python_api.ipynb", as_version=4)
    client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert not errors
    images = sum("image/png" in output.get("data", {})
                 for cell in notebook.cells if cell.cell_type == "code"
                 for output in cell.outputs)
    assert images >= 5
