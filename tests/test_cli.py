"""Tests for restore/cli/: the `restore` command, through click's CliRunner."""

import os
import shutil
import subprocess
import sys

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile
from click.testing import CliRunner

import restore
from restore import cli as cli_module
from restore.cli import _files as cli_files
from restore._backend import cupy_available
from restore.cli import cli
from cli_checks import assert_one_error

PSF = "gauss:1.5"
COMMANDS = ["inverse", "wiener", "tikhonov", "rl", "tv", "wavelet", "simulate", "psf"]

# Small, quick settings for each solver subcommand.
SOLVER_ARGS = {
    "inverse": ["--threshold", "0.05"],
    "wiener": ["--snr", "30"],
    "tikhonov": ["--lam", "1e-3"],
    "rl": ["--iterations", "5"],
    "tv": ["--lam", "0.5", "--iterations", "5"],
    "wavelet": ["--lam", "0.5", "--iterations", "5"],
}


def _clean(shape=(64, 64)):
    """A test scene in 0..255: blocks and a disk."""
    y, x = np.mgrid[: shape[0], : shape[1]]
    g = np.full(shape, 40.0)
    g[10:30, 12:40] = 200.0
    g[(y - 44) ** 2 + (x - 40) ** 2 < 100] = 120.0
    return g


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def blurred_png(tmp_path):
    """A 64 x 64 8-bit PNG blurred with gauss:1.5."""
    f = restore.blur(_clean(), restore.psf.from_spec(PSF))
    path = tmp_path / "blurred.png"
    iio.imwrite(path, np.clip(np.rint(f), 0, 255).astype(np.uint8))
    return path


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


# --------------------------------------------------------------- each solver


@pytest.mark.parametrize("command", list(SOLVER_ARGS))
def test_each_solver_writes_the_default_output(runner, blurred_png, command):
    result = runner.invoke(cli, [command, str(blurred_png), "--psf", PSF,
                                 *SOLVER_ARGS[command]])
    assert result.exit_code == 0, result.output
    out = blurred_png.with_name(f"blurred.{command}.png")
    restored = iio.imread(out)
    assert restored.dtype == np.uint8 and restored.shape == (64, 64)
    # One summary line on stderr: what was done and where it went.
    summary = result.stderr.strip().splitlines()
    assert len(summary) == 1
    assert str(out) in summary[0] and " s" in summary[0]


def test_output_is_the_library_result_rounded_and_clipped(runner, blurred_png, tmp_path):
    result = runner.invoke(cli, ["wiener", str(blurred_png), "--psf", PSF, "--snr", "30",
                                 "--device", "cpu", "-o", str(tmp_path / "w.tif"),
                                 "--dtype", "float32"])
    assert result.exit_code == 0, result.output
    expected = restore.wiener(iio.imread(blurred_png), PSF, snr=30)
    written = tifffile.imread(tmp_path / "w.tif")
    assert written.dtype == np.float32
    np.testing.assert_allclose(written, expected, rtol=1e-6, atol=1e-4)

    result = runner.invoke(cli, ["wiener", str(blurred_png), "--psf", PSF, "--snr", "30",
                                 "--device", "cpu"])
    assert result.exit_code == 0, result.output
    as_uint8 = iio.imread(blurred_png.with_name("blurred.wiener.png"))
    np.testing.assert_array_equal(as_uint8, np.clip(np.rint(expected), 0, 255))


def test_automatic_choices_are_reported(runner, blurred_png):
    result = runner.invoke(cli, ["tikhonov", str(blurred_png), "--psf", PSF])
    assert result.exit_code == 0, result.output
    assert "lam=" in result.stderr and "chosen automatically: lam" in result.stderr


def test_colour_png_is_restored_per_channel(runner, tmp_path):
    clean = np.stack([_clean(), _clean()[::-1], _clean()[:, ::-1]], axis=-1)
    psf = restore.psf.from_spec(PSF)
    blurred = np.stack([restore.blur(clean[..., c], psf) for c in range(3)], axis=-1)
    path = tmp_path / "photo.png"
    iio.imwrite(path, np.clip(np.rint(blurred), 0, 255).astype(np.uint8))
    result = runner.invoke(cli, ["wiener", str(path), "--psf", PSF, "--snr", "40"])
    assert result.exit_code == 0, result.output
    restored = iio.imread(tmp_path / "photo.wiener.png")
    assert restored.shape == (64, 64, 3) and restored.dtype == np.uint8
    # Each channel is restored as its own grey image (the flipped scenes stay apart).
    stored = iio.imread(path)
    for c in range(3):
        alone = restore.wiener(stored[..., c], PSF, snr=40)
        np.testing.assert_array_equal(restored[..., c], np.clip(np.rint(alone), 0, 255))


def test_stack_is_restored_in_3d(runner, tmp_path):
    stack = np.repeat(_clean((32, 32))[None], 9, axis=0).astype(np.uint16)
    path = tmp_path / "stack.tif"
    tifffile.imwrite(path, stack, photometric="minisblack")
    result = runner.invoke(cli, ["rl", str(path), "--psf", "gauss:1,1,1", "--iterations", "3"])
    assert result.exit_code == 0, result.output
    restored = tifffile.imread(tmp_path / "stack.rl.tif")
    assert restored.shape == (9, 32, 32) and restored.dtype == np.uint16


def test_dtype_float32(runner, blurred_png, tmp_path):
    result = runner.invoke(cli, ["rl", str(blurred_png), "--psf", PSF, "--iterations", "3",
                                 "--dtype", "float32", "-o", str(tmp_path / "rl.npy")])
    assert result.exit_code == 0, result.output
    assert np.load(tmp_path / "rl.npy").dtype == np.float32


# --------------------------------------------------------- files never lost


def test_refuses_to_overwrite_without_force(runner, blurred_png):
    out = blurred_png.with_name("blurred.wiener.png")
    out.write_bytes(b"precious")
    result = runner.invoke(cli, ["wiener", str(blurred_png), "--psf", PSF])
    assert_one_error(result, "already exists", "--force")
    assert out.read_bytes() == b"precious"

    result = runner.invoke(cli, ["wiener", str(blurred_png), "--psf", PSF, "--force"])
    assert result.exit_code == 0, result.output
    assert iio.imread(out).shape == (64, 64)


def test_input_is_never_overwritten_even_with_force(runner, blurred_png):
    before = blurred_png.read_bytes()
    for extra in ([], ["--force"]):
        result = runner.invoke(cli, ["wiener", str(blurred_png), "--psf", PSF,
                                     "-o", str(blurred_png), *extra])
        assert_one_error(result, "is the input file")
    assert blurred_png.read_bytes() == before
    assert _files(blurred_png.parent) == ["blurred.png"]


def test_interrupt_exits_130_and_leaves_no_file(runner, blurred_png, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(restore, "wiener", interrupted)
    result = runner.invoke(cli, ["wiener", str(blurred_png), "--psf", PSF])
    assert result.exit_code == 130
    assert "interrupted" in result.stderr and "Traceback" not in result.output
    assert _files(blurred_png.parent) == ["blurred.png"]


def test_interrupt_while_writing_leaves_no_partial_file(runner, blurred_png, monkeypatch):
    def interrupted_writer(path, data, **options):
        with open(path, "wb") as file:
            file.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(iio, "imwrite", interrupted_writer)
    result = runner.invoke(cli, ["wiener", str(blurred_png), "--psf", PSF])
    assert result.exit_code == 130
    assert _files(blurred_png.parent) == ["blurred.png"]


# ---------------------------------------------------------------- bad input


@pytest.fixture
def bad_inputs(tmp_path):
    """Files for the bad-input cases, made beside the good 64 x 64 image."""
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "fake.png").write_bytes(b"not a png either")
    np.save(tmp_path / "tiny.npy", np.ones((8, 8), np.float32))
    with_nan = np.ones((64, 64), np.float32)
    with_nan[5, 5] = np.nan
    np.save(tmp_path / "nan.npy", with_nan)
    with_inf = np.ones((64, 64), np.float32)
    with_inf[5, 5] = np.inf
    np.save(tmp_path / "inf.npy", with_inf)
    np.save(tmp_path / "psf3d.npy", restore.psf.gaussian(1.0, ndim=3))
    return tmp_path


BAD_CASES = {
    "missing input": (["wiener", "{d}/missing.png", "--psf", PSF], "does not exist"),
    "not an image": (["wiener", "{d}/notes.txt", "--psf", PSF], "not an image file"),
    "unreadable image": (["wiener", "{d}/fake.png", "--psf", PSF], "not a readable PNG"),
    "malformed psf": (["wiener", "{d}/blurred.png", "--psf", "gauss:two"],
                      "is not understood"),
    "unknown psf model": (["rl", "{d}/blurred.png", "--psf", "blob:3"], "accepted forms"),
    "missing psf file": (["wiener", "{d}/blurred.png", "--psf", "{d}/none.tif"],
                         "does not exist"),
    "psf model of wrong ndim": (["wiener", "{d}/blurred.png", "--psf",
                                 "widefield:1.4,0.52,1.518,0.1,0.25"], "3-D"),
    "psf file of wrong ndim": (["tv", "{d}/blurred.png", "--psf", "{d}/psf3d.npy"],
                               "3-D PSF"),
    "nan in input": (["wiener", "{d}/nan.npy", "--psf", PSF], "NaN or Inf"),
    "inf in input": (["rl", "{d}/inf.npy", "--psf", PSF, "--iterations", "2"], "NaN or Inf"),
    "no psf": (["wiener", "{d}/blurred.png"], "Missing option '--psf'"),
    "iterations 0": (["rl", "{d}/blurred.png", "--psf", PSF, "--iterations", "0"],
                     "--iterations"),
    "iterations not a number": (["tv", "{d}/blurred.png", "--psf", PSF, "--iterations",
                                 "many"], "--iterations"),
    "negative lam": (["tikhonov", "{d}/blurred.png", "--psf", PSF, "--lam", "-1"], "--lam"),
    "snr nan": (["wiener", "{d}/blurred.png", "--psf", PSF, "--snr", "nan"], "--snr"),
    "tol zero": (["rl", "{d}/blurred.png", "--psf", PSF, "--tol", "0"], "--tol"),
    "levels zero": (["wavelet", "{d}/blurred.png", "--psf", PSF, "--levels", "0"],
                    "--levels"),
    "bad boundary": (["wiener", "{d}/blurred.png", "--psf", PSF, "--boundary", "unknown"],
                     "--boundary"),
    "bad wavelet": (["wavelet", "{d}/blurred.png", "--psf", PSF, "--wavelet", "nope"],
                    "orthogonal PyWavelets wavelet"),
    "snr and nsr": (["wiener", "{d}/blurred.png", "--psf", PSF, "--snr", "20", "--nsr",
                     "0.1"], "not both"),
    "unknown option": (["wiener", "{d}/blurred.png", "--psf", PSF, "--fast"],
                       "No such option"),
    "float into png": (["wiener", "{d}/blurred.png", "--psf", PSF, "--dtype", "float32"],
                       "PNG holds 8- or 16-bit unsigned integers, not float32"),
    "unknown output suffix": (["wiener", "{d}/blurred.png", "--psf", PSF, "-o",
                               "{d}/out.bmp"], ".bmp"),
    "missing output folder": (["wiener", "{d}/blurred.png", "--psf", PSF, "-o",
                               "{d}/no/out.png"], "does not exist"),
    "bad noise spec": (["simulate", "{d}/blurred.png", "--psf", PSF, "--noise",
                        "poisson:peek=3"], "--noise"),
    "negative noise": (["simulate", "{d}/blurred.png", "--psf", PSF, "--noise",
                        "poisson:peak=-3"], "--noise"),
    "simulate nan": (["simulate", "{d}/nan.npy", "--psf", PSF], "NaN or Inf"),
    "simulate periodic psf too large": (["simulate", "{d}/tiny.npy", "--psf", "gauss:3",
                                         "--boundary", "periodic"], "larger than the image"),
    "unknown command": (["sharpen", "{d}/blurred.png"], "No such command"),
    "psf spec bad": (["psf", "gauss:-1", "-o", "{d}/p.tif"], "psf spec"),
    "psf as jpeg": (["psf", "gauss:1", "-o", "{d}/p.jpg"], "JPEG"),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_input_is_one_error_line_and_no_file(runner, blurred_png, bad_inputs, case):
    args, fragment = BAD_CASES[case]
    before = _files(bad_inputs)
    result = runner.invoke(cli, [a.format(d=bad_inputs) for a in args])
    assert_one_error(result, fragment)
    assert _files(bad_inputs) == before  # no output, no temporary file


@pytest.mark.skipif(cupy_available(), reason="a GPU is available here")
def test_gpu_asked_for_where_none_is_available(runner, blurred_png):
    result = runner.invoke(cli, ["wiener", str(blurred_png), "--psf", PSF, "--device", "gpu"])
    assert_one_error(result, "GPU")
    assert _files(blurred_png.parent) == ["blurred.png"]


def test_auto_device_runs_anywhere(runner, blurred_png):
    result = runner.invoke(cli, ["wiener", str(blurred_png), "--psf", PSF, "--snr", "30",
                                 "--device", "auto"])
    assert result.exit_code == 0, result.output


@pytest.mark.gpu
@pytest.mark.skipif(not cupy_available(), reason="needs CuPy and a CUDA device")
def test_gpu_result_matches_cpu(runner, blurred_png, tmp_path):
    for device in ("cpu", "gpu"):
        result = runner.invoke(cli, ["rl", str(blurred_png), "--psf", PSF, "--iterations",
                                     "5", "--device", device, "--dtype", "float32",
                                     "-o", str(tmp_path / f"{device}.tif")])
        assert result.exit_code == 0, result.output
    assert "on the GPU" in result.stderr
    np.testing.assert_allclose(tifffile.imread(tmp_path / "gpu.tif"),
                               tifffile.imread(tmp_path / "cpu.tif"), rtol=1e-4, atol=1e-3)


# ------------------------------------------------------------------- simulate


def test_simulate_is_reproducible_with_a_seed(runner, tmp_path):
    clean = tmp_path / "clean.tif"
    tifffile.imwrite(clean, _clean().astype(np.float32))
    outputs = []
    for name, seed in (("a.tif", "7"), ("b.tif", "7"), ("c.tif", "8")):
        result = runner.invoke(cli, ["simulate", str(clean), "--psf", "gauss:2", "--noise",
                                     "gaussian:snr=30", "--seed", seed,
                                     "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert "seed " + seed in result.stderr
        outputs.append(tifffile.imread(tmp_path / name))
    np.testing.assert_array_equal(outputs[0], outputs[1])
    assert not np.array_equal(outputs[0], outputs[2])
    # Blur plus noise of the asked SNR around the library's blur.
    blurred = restore.blur(_clean(), restore.psf.from_spec("gauss:2"))
    noise = outputs[0] - blurred
    snr = 10 * np.log10(blurred.var() / noise.var())
    assert abs(snr - 30) < 0.5


def test_simulate_default_name_and_dtype(runner, blurred_png):
    result = runner.invoke(cli, ["simulate", str(blurred_png), "--psf", "gauss:1",
                                 "--noise", "poisson:peak=100"])
    assert result.exit_code == 0, result.output
    out = iio.imread(blurred_png.with_name("blurred.simulated.png"))
    assert out.dtype == np.uint8 and out.shape == (64, 64)


# ------------------------------------------------------------------------ psf


def test_psf_writes_a_tiff_and_a_picture(runner, tmp_path):
    result = runner.invoke(cli, ["psf", "gauss:2", "-o", str(tmp_path / "psf.tif"),
                                 "--show"])
    assert result.exit_code == 0, result.output
    psf = tifffile.imread(tmp_path / "psf.tif")
    np.testing.assert_allclose(psf, restore.psf.gaussian(2.0), rtol=1e-6, atol=1e-9)
    picture = tmp_path / "psf.sections.png"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert iio.imread(picture).ndim == 3
    assert _files(tmp_path) == ["psf.sections.png", "psf.tif"]


def test_psf_3d_sections_and_overwrite(runner, tmp_path):
    args = ["psf", "gauss:1,2,2", "--ndim", "3", "-o", str(tmp_path / "psf.npy"), "--show"]
    assert runner.invoke(cli, args).exit_code == 0
    assert np.load(tmp_path / "psf.npy").shape == (9, 17, 17)
    assert_one_error(runner.invoke(cli, args), "already exists")
    assert runner.invoke(cli, [*args, "--force"]).exit_code == 0


def test_psf_file_can_be_used_by_a_solver(runner, blurred_png, tmp_path):
    assert runner.invoke(cli, ["psf", PSF, "-o", str(tmp_path / "h.tif")]).exit_code == 0
    result = runner.invoke(cli, ["wiener", str(blurred_png), "--psf", str(tmp_path / "h.tif"),
                                 "--snr", "30"])
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------- help, version


def test_version(runner):
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"restore {restore.__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_each_command_has_an_example(runner, command):
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"restore {command} " in result.output


def test_group_help_and_no_arguments(runner):
    for args in (["--help"], []):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0
        for command in COMMANDS:
            assert command in result.output


# ------------------------------------------------------------------ progress


def test_a_terminal_gets_the_status_line_of_each_step(runner, blurred_png, monkeypatch):
    monkeypatch.setattr(cli_files, "_is_terminal", lambda stream: True)
    monkeypatch.setattr(restore.progress, "DELAY", 0.0)
    monkeypatch.setattr(restore.progress, "INTERVAL", 0.001)
    result = runner.invoke(cli, ["tv", str(blurred_png), "--psf", PSF, "--iterations", "40",
                                 "--lam", "0.5"])
    assert result.exit_code == 0, result.output
    assert "tv › iterations" in result.stderr and "/40" in result.stderr
    quiet = runner.invoke(cli, ["tv", str(blurred_png), "--psf", PSF, "--iterations", "4",
                                "--lam", "0.5", "--quiet", "--force"])
    assert quiet.exit_code == 0 and quiet.stderr == ""


# ---------------------------------------------------------- the real command


def _command():
    found = shutil.which("restore")
    return [found] if found else [sys.executable, "-m", "restore"]


def test_installed_command_in_a_subprocess(blurred_png):
    env = {k: v for k, v in os.environ.items() if k != "RESTORE_TRACEBACK"}
    done = subprocess.run([*_command(), "wiener", str(blurred_png), "--psf", PSF, "--snr",
                           "30"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert blurred_png.with_name("blurred.wiener.png").exists()
    assert "→" in done.stderr

    failed = subprocess.run([*_command(), "wiener", str(blurred_png), "--psf", "gauss:two"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert failed.returncode == 2
    assert failed.stderr.startswith("Error: ") and failed.stderr.count("\n") == 1
    assert "Traceback" not in failed.stderr


def test_python_dash_m_restore(tmp_path):
    done = subprocess.run([sys.executable, "-m", "restore", "--version"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip() == f"restore {restore.__version__}"


def test_main_returns_the_exit_status(capsys):
    assert cli_module.main(["--version"]) == 0
    assert cli_module.main(["wiener", "/nonexistent/x.png", "--psf", PSF]) == 2
    assert capsys.readouterr().err.startswith("Error: ")


# ------------------------------------------------------------------- compare


@pytest.fixture
def clean_png(tmp_path):
    path = tmp_path / "clean.png"
    iio.imwrite(path, np.clip(np.rint(_clean()), 0, 255).astype(np.uint8))
    return path


def test_compare_writes_the_report(runner, clean_png, tmp_path):
    out = tmp_path / "report"
    args = ["compare", str(clean_png), "--psf", PSF, "--noise", "poisson:peak=100",
            "--methods", "wiener,tikhonov,rl", "--seed", "3", "--out", str(out), "--quiet",
            "--sweep", "noise=poisson:peak=30,100,300"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(cli_module.REPORT_FILES)
    table = (out / "table.md").read_text()
    assert "poisson:peak=100" in table and "seed 3" in table
    assert all(name in table for name in ("wiener", "tikhonov", "richardson_lucy"))
    sweep = (out / "sweep.csv").read_text()
    assert all(level in sweep for level in ("30", "100", "300"))
    # the same seed gives the same numbers (the time column aside)
    first = (out / "table.csv").read_text()
    assert runner.invoke(cli, args + ["--force"]).exit_code == 0
    again = (out / "table.csv").read_text()
    column = first.splitlines()[0].split(",").index("seconds")

    def without_time(text):
        return [[v for i, v in enumerate(line.split(",")) if i != column]
                for line in text.splitlines()]

    assert without_time(first) == without_time(again)


def test_compare_refuses_to_replace_a_report_without_force(runner, clean_png, tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    (out / "table.md").write_text("mine")
    result = runner.invoke(cli, ["compare", str(clean_png), "--psf", PSF, "--methods",
                                 "wiener", "--out", str(out)])
    assert_one_error(result, "already holds table.md", "--force")
    assert (out / "table.md").read_text() == "mine"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("noise=poisson:peak=10,30", ["poisson:peak=10", "poisson:peak=30"]),
        ("noise=poisson_gaussian:peak=10,30,read_noise=2",
         ["poisson_gaussian:peak=10,read_noise=2", "poisson_gaussian:peak=30,read_noise=2"]),
    ],
)
def test_sweep_specs_expand_one_parameter(text, expected):
    assert cli_module.sweep_specs(text) == expected


@pytest.mark.parametrize("text", ["noise=gaussian:snr=10", "psf=gauss:1,2",
                                  "noise=poisson_gaussian:peak=1,2,read_noise=1,2"])
def test_bad_sweeps_are_refused(runner, clean_png, tmp_path, text):
    result = runner.invoke(cli, ["compare", str(clean_png), "--psf", PSF, "--sweep", text,
                                 "--out", str(tmp_path / "r")])
    assert_one_error(result, "--sweep")
    assert not (tmp_path / "r").exists()


def test_outputs_get_ordinary_file_permissions(runner, blurred_png):
    """The temporary file's private 0600 must not stick to the result."""
    old = os.umask(0o022)
    try:
        result = runner.invoke(cli, ["wiener", str(blurred_png), "--psf", PSF, "--quiet"])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    mode = (blurred_png.parent / "blurred.wiener.png").stat().st_mode & 0o777
    assert mode == 0o644


# ------------------------------------------------------ paths a new user takes


def test_output_may_name_a_folder(runner, blurred_png, tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    result = runner.invoke(cli, ["wiener", str(blurred_png), "--psf", PSF, "--snr", "30",
                                 "-o", str(folder)])
    assert result.exit_code == 0, result.output
    assert _files(folder) == ["blurred.wiener.png"]


def test_a_psf_longer_than_a_thin_stack_is_met_by_mirroring(runner, tmp_path):
    """A 5-plane stack under a PSF of 9 planes: restored (mirrored out to the
    PSF's length and cropped back), with one warning line saying so."""
    rng = np.random.default_rng(0)
    stack = rng.poisson(20, (5, 24, 24)).astype(np.float32)
    np.save(tmp_path / "thin.npy", stack)
    result = runner.invoke(cli, ["rl", str(tmp_path / "thin.npy"), "--psf",
                                 "gauss:1.5,1,1", "--iterations", "3"])
    assert result.exit_code == 0, result.output
    assert "mirrored out to the PSF's length" in result.output
    assert np.load(tmp_path / "thin.rl.npy").shape == stack.shape


def test_16_bit_to_jpeg_advice_gives_a_picture_when_followed(runner, tmp_path):
    """The refusal names --dtype uint8 --rescale input; following it writes a grey
    picture with the input's brightness, not a white one (clipped 16-bit values)."""
    scene = np.rint(restore.blur(_clean(), restore.psf.from_spec(PSF)) * 200).astype(np.uint16)
    tifffile.imwrite(tmp_path / "grey16.tif", scene)
    args = ["wiener", str(tmp_path / "grey16.tif"), "--psf", PSF, "--snr", "30",
            "-o", str(tmp_path / "g16.jpg")]
    refused = runner.invoke(cli, args)
    assert_one_error(refused, "--dtype uint8 --rescale input")
    result = runner.invoke(cli, args + ["--dtype", "uint8", "--rescale", "input"])
    assert result.exit_code == 0, result.output
    picture = iio.imread(tmp_path / "g16.jpg").astype(float)
    expected = scene / 65535 * 255
    assert abs(picture.mean() - expected.mean()) < 3  # 99.6 of 255, not 253


def test_clipped_values_are_counted_in_a_warning(runner, tmp_path):
    tifffile.imwrite(tmp_path / "bright.tif", np.full((48, 48), 250, np.uint8))
    bright = np.full((48, 48), 250, np.uint8)
    bright[20:28, 20:28] = 255
    tifffile.imwrite(tmp_path / "bright.tif", bright)
    result = runner.invoke(cli, ["rl", str(tmp_path / "bright.tif"), "--psf", PSF,
                                 "--iterations", "30", "-o", str(tmp_path / "out.tif")])
    assert result.exit_code == 0, result.output
    assert "values (" in result.stderr and "were clipped" in result.stderr


def test_a_psf_file_with_negative_values_is_treated_like_the_same_array(tmp_path):
    """The CLI reads it with restore.psf.load, the API takes the array: both set
    the negatives to 0 and say so."""
    psf = restore.psf.gaussian(1.5, size=9)
    psf[0, :3] = -0.002
    np.save(tmp_path / "psf.npy", psf)
    with pytest.warns(UserWarning, match="negative values .* set to 0") as from_file:
        restore.psf.load(tmp_path / "psf.npy", background=None)
    with pytest.warns(UserWarning, match="negative values .* set to 0") as from_array:
        restore.psf.as_psf(psf, ndim=2)
    assert len(from_file) == len(from_array) == 1


def test_an_airy_spec_in_widefield_order_warns_with_the_named_form(runner, blurred_png,
                                                                   tmp_path):
    result = runner.invoke(cli, ["psf", "airy:1.4,0.52,0.065", "-o", str(tmp_path / "p.tif")])
    assert result.exit_code == 0, result.output
    warning = [line for line in result.stderr.splitlines() if "looks like an NA" in line]
    assert warning and warning[0].startswith("Warning: ")
    assert "airy:wavelength=0.52,na=1.4,pixel=0.065" in warning[0]
    assert "airy:wavelength=0.52,na=1.4,pixel=0.065" in " ".join(
        runner.invoke(cli, ["wiener", "--help"]).output.split())


@pytest.mark.parametrize("args, message", [
    (["rl", "--background", "1e6", "--iterations", "3"], "at or above the image's maximum"),
    (["rl", "--tv-weight", "10", "--iterations", "3"], "erased"),
    (["wiener", "--snr", "-100"], "one flat value"),
    (["wiener", "--snr", "1e6"], "beyond what data can carry"),
    (["wavelet", "--levels", "50", "--iterations", "3"], "more than an image of shape"),
])
def test_values_the_data_cannot_mean_are_refused(runner, blurred_png, tmp_path, args,
                                                 message):
    out = tmp_path / "out.png"
    result = runner.invoke(cli, [args[0], str(blurred_png), "--psf", PSF, *args[1:],
                                 "-o", str(out)])
    assert_one_error(result, message)
    assert not out.exists()


def test_rl_help_says_the_background_is_removed(runner):
    text = " ".join(runner.invoke(cli, ["rl", "--help"]).output.split())
    assert "the result is the scene without it" in text


def test_numpy_floating_point_notes_reach_the_user_in_our_words(capsys):
    cli_module._show_warning("overflow encountered in divide", RuntimeWarning, "x.py", 1)
    line = capsys.readouterr().err.strip()
    assert line.startswith("Warning: a numerical step hit an overflow or an invalid value")


def test_psf_file_steps_are_switchable_and_match_the_api(runner, blurred_png, tmp_path):
    """The CLI reads a PSF file with restore.psf.load, each step switchable."""
    bead = np.roll(restore.psf.gaussian(1.5, size=15), (2, -1), axis=(0, 1)) * 1000 + 20
    np.save(tmp_path / "bead.npy", bead)
    outputs = {}
    for name, flags, api in [
        ("default", [], {}),
        ("raw", ["--psf-background", "none", "--psf-as-stored"],
         {"background": None, "recentre": False}),
    ]:
        out = tmp_path / f"{name}.npy"
        result = runner.invoke(cli, ["tikhonov", str(blurred_png), "--psf",
                                     str(tmp_path / "bead.npy"), "--lam", "0.01",
                                     "--dtype", "float32", "-o", str(out), *flags])
        assert result.exit_code == 0, result.output
        image = iio.imread(blurred_png).astype(np.float32)
        expected = restore.tikhonov(image, restore.psf.load(tmp_path / "bead.npy", **api),
                                    lam=0.01)
        np.testing.assert_allclose(np.load(out), expected, rtol=1e-5, atol=1e-3)
        outputs[name] = np.load(out)
    assert np.abs(outputs["default"] - outputs["raw"]).max() > 1  # the steps matter
    bad = runner.invoke(cli, ["wiener", str(blurred_png), "--psf", PSF,
                              "--psf-background", "dark"])
    assert_one_error(bad, "--psf-background")


def test_quiet_still_says_how_many_values_were_clipped(runner, tmp_path):
    bright = np.full((48, 48), 250, np.uint8)
    bright[20:28, 20:28] = 255
    tifffile.imwrite(tmp_path / "bright.tif", bright)
    result = runner.invoke(cli, ["rl", str(tmp_path / "bright.tif"), "--psf", PSF,
                                 "--iterations", "30", "-q", "-o", str(tmp_path / "out.tif")])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Warning: ") and "were clipped" in result.stderr
    assert "richardson_lucy (" not in result.stderr  # no summary line
