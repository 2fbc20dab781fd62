"""Tests for `restore batch` (restore/cli/batch.py), through click's CliRunner."""

import shlex
from pathlib import Path

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner

import restore
from restore.cli import cli
from restore.stacks import read_record
from cli_checks import assert_one_error

PSF = "gauss:1,1.5,1.5"
REPO = Path(__file__).resolve().parents[1]

# Small, quick settings for each method (its own command's options).
METHOD_ARGS = {
    "inverse": ["--threshold", "0.05"],
    "wiener": ["--snr", "30"],
    "tikhonov": ["--lam", "1e-3"],
    "rl": ["--iterations", "3", "--accelerate"],
    "tv": ["--lam", "0.5", "--iterations", "2"],
    "wavelet": ["--lam", "0.5", "--iterations", "2", "--levels", "1"],
}


@pytest.fixture
def runner():
    return CliRunner()


def _stack(shape=(12, 40, 40), seed=0):
    rng = np.random.default_rng(seed)
    g = np.full(shape, 5.0)
    g[4:8, 10:20, 12:30] = 150.0
    blurred = restore.blur(g, restore.psf.from_spec(PSF, ndim=3))
    return rng.poisson(blurred).astype(np.uint16)


@pytest.fixture
def stacks(tmp_path):
    """Two ImageJ stacks (0.3 µm planes, 0.1 µm pixels) in a folder."""
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(2):
        tifffile.imwrite(folder / f"s{i}.tif", _stack(seed=i), imagej=True,
                         resolution=(10.0, 10.0),
                         metadata={"axes": "ZYX", "spacing": 0.3, "unit": "um"})
    return folder


@pytest.mark.parametrize("method", list(METHOD_ARGS))
def test_each_method_runs_with_its_own_options(runner, stacks, tmp_path, method):
    out = tmp_path / "out"
    result = runner.invoke(cli, ["batch", str(stacks / "s0.tif"), "--method", method,
                                 "--psf", PSF, "--out", str(out), *METHOD_ARGS[method]])
    assert result.exit_code == 0, result.output
    record = read_record(out / f"s0.{method}.tif")
    solver = restore.stacks.METHODS[method]
    assert record["method"] == solver
    # the options reached the solver as its command parsed them
    first = METHOD_ARGS[method]
    key = first[0].lstrip("-")
    assert record["options"][key] == pytest.approx(float(first[1]))
    image = tifffile.imread(stacks / "s0.tif")
    options = {k: v for k, v in record["options"].items()}
    reference = restore.SOLVERS[solver](image, PSF, **options)
    np.testing.assert_allclose(tifffile.imread(out / f"s0.{method}.tif"), reference,
                               rtol=1e-5, atol=1e-4 * float(np.abs(reference).max()))


def test_folder_batch_prints_a_line_per_file_and_a_summary(runner, stacks, tmp_path):
    result = runner.invoke(cli, ["batch", str(stacks), "--method", "rl", "--psf", PSF,
                                 "--out", str(tmp_path / "out"), "--iterations", "4"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3 and "2 done" in lines[-1]
    assert "s0.tif" in lines[0] and "12×40×40" in lines[0] and "iterations=" in lines[0]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["s0.rl.tif", "s1.rl.tif"]


def test_rerun_skips_and_overwrite_redoes(runner, stacks, tmp_path):
    args = ["batch", str(stacks / "s0.tif"), "--method", "rl", "--psf", PSF, "--out",
            str(tmp_path / "out"), "--iterations", "2"]
    assert runner.invoke(cli, args).exit_code == 0
    again = runner.invoke(cli, args)
    assert again.exit_code == 0 and "skipped" in again.stderr and "1 skipped" in again.stderr
    redo = runner.invoke(cli, args + ["--overwrite"])
    assert redo.exit_code == 0 and "1 done" in redo.stderr


def test_a_bad_file_gives_a_summary_and_exit_1(runner, stacks, tmp_path):
    (stacks / "broken.tif").write_bytes(b"not a tiff at all")
    result = runner.invoke(cli, ["batch", str(stacks), "--method", "rl", "--psf", PSF,
                                 "--out", str(tmp_path / "out"), "--iterations", "2", "-q"])
    assert result.exit_code == 1
    assert "2 done" in result.stderr and "1 failed" in result.stderr
    assert "broken.tif" in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["s0.rl.tif", "s1.rl.tif"]


def test_dry_run_lists_the_plan_and_writes_nothing(runner, stacks, tmp_path):
    result = runner.invoke(cli, ["batch", str(stacks / "*.tif"), "--method", "rl", "--psf",
                                 PSF, "--out", str(tmp_path / "out"), "--dry-run",
                                 "--memory-limit", "4GB"])
    assert result.exit_code == 0, result.output
    assert "s0.rl.tif" in result.stderr and "whole volume" in result.stderr
    assert "2 to do" in result.stderr
    assert not (tmp_path / "out").exists()


def test_quiet_prints_nothing_on_success(runner, stacks, tmp_path):
    result = runner.invoke(cli, ["batch", str(stacks / "s0.tif"), "--method", "wiener",
                                 "--psf", PSF, "--out", str(tmp_path / "o"), "-q"])
    assert result.exit_code == 0 and result.stderr == ""


def test_uint16_output_warns_with_the_count_clipped(runner, tmp_path):
    bright = (_stack().astype(np.float64) * 400).astype(np.uint16)  # peaks near 60000
    tifffile.imwrite(tmp_path / "b.tif", bright, imagej=True, metadata={"axes": "ZYX"})
    result = runner.invoke(cli, ["batch", str(tmp_path / "b.tif"), "--method", "rl", "--psf",
                                 PSF, "--out", str(tmp_path / "o"), "--iterations", "20",
                                 "--dtype", "uint16"])
    assert result.exit_code == 0, result.output
    float_result = restore.richardson_lucy(bright, PSF, iterations=20)
    clipped = int(np.count_nonzero(np.rint(float_result) > 65535))
    assert clipped > 0
    assert f"Warning: {tmp_path / 'b.tif'}: {clipped} values" in result.stderr


@pytest.mark.parametrize("args, fragments", [
    (["--lam", "3"], ["no such option: --lam", "--iterations"]),
    (["--iterations", "0"], ["--iterations", "0"]),
    (["-o", "x.tif"], ["no such option: -o", "--out"]),
    (["--memory-limit", "lots"], ["memory limit 'lots'"]),
    (["--psf", "nothing.tif"], ["psf file 'nothing.tif' does not exist"]),
    (["--device", "gpu"], ["--device gpu"]),
])
def test_bad_options_give_one_error_line_and_no_output(runner, stacks, tmp_path, args,
                                                       fragments):
    base = ["batch", str(stacks / "s0.tif"), "--method", "rl", "--out", str(tmp_path / "o")]
    if "--psf" not in args:
        base += ["--psf", PSF]
    result = runner.invoke(cli, base + args)
    assert_one_error(result, *fragments)
    assert not (tmp_path / "o").exists()


def test_missing_input_is_an_error(runner, tmp_path):
    result = runner.invoke(cli, ["batch", str(tmp_path / "none*.tif"), "--method", "rl",
                                 "--psf", PSF, "--out", str(tmp_path / "o")])
    assert_one_error(result, "matches no TIFF or Zarr stacks")


def test_channels_get_one_psf_each(runner, tmp_path):
    two = np.stack([_stack(seed=1), _stack(seed=2)], axis=1)  # Z, C, Y, X
    tifffile.imwrite(tmp_path / "two.tif", two, imagej=True, metadata={"axes": "ZCYX"})
    psfs = ["gauss:1,1.5,1.5", "gauss:1,1,1"]
    result = runner.invoke(cli, ["batch", str(tmp_path / "two.tif"), "--method", "rl",
                                 "--psf", psfs[0], "--psf", psfs[1], "--out", str(tmp_path),
                                 "--iterations", "3"])
    assert result.exit_code == 0, result.output
    out = tifffile.imread(tmp_path / "two.rl.tif")
    for c, spec in enumerate(psfs):
        np.testing.assert_allclose(out[:, c], restore.richardson_lucy(two[:, c], spec,
                                                                      iterations=3),
                                   rtol=1e-5, atol=1e-4)


def test_readme_batch_command_runs_as_written(tmp_path, monkeypatch):
    """The README's batch command, with its --out moved to a temporary folder."""
    text = (REPO / "README.md").read_text()
    line = next(l for l in text.splitlines() if l.startswith("restore batch "))
    args = shlex.split(line)[1:]
    out = args.index("--out")
    args[out + 1] = str(tmp_path / "restored")
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "restored" / "stack.rl.tif").exists()


def test_a_folder_used_as_input_and_out_is_not_fed_its_own_results(runner, stacks):
    args = ["batch", str(stacks), "--method", "rl", "--psf", PSF, "--out", str(stacks),
            "--iterations", "2"]
    assert runner.invoke(cli, args).exit_code == 0
    again = runner.invoke(cli, args)
    assert again.exit_code == 0 and "2 files" in again.stderr and "2 skipped" in again.stderr
    assert sorted(p.name for p in stacks.iterdir()) == ["s0.rl.tif", "s0.tif", "s1.rl.tif",
                                                        "s1.tif"]


def test_a_zarr_array_input(runner, tmp_path):
    import zarr

    volume = _stack()
    array = zarr.create_array(str(tmp_path / "v.zarr"), shape=volume.shape, dtype=volume.dtype,
                              chunks=(6, 20, 20))
    array[:] = volume
    result = runner.invoke(cli, ["batch", str(tmp_path / "v.zarr"), "--method", "rl", "--psf",
                                 PSF, "--out", str(tmp_path / "o"), "--iterations", "3"])
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(tifffile.imread(tmp_path / "o" / "v.rl.tif"),
                               restore.richardson_lucy(volume, PSF, iterations=3),
                               rtol=1e-5, atol=1e-4)
