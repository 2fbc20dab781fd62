"""The CuPy path: same code, same answers, arrays stay on the device.

Skipped (by conftest.py) when CuPy or a CUDA device is missing. Cheap: a few
seconds on a GPU, most of it CuPy compiling its kernels the first time.
benchmarks/device_check.sh runs them on a device machine.
"""

import sys
import warnings

import numpy as np
import pytest

import restore

pytestmark = pytest.mark.gpu

SOLVERS = {
    "inverse": {"threshold": 1e-2},
    "wiener": {},
    "tikhonov": {},
    "richardson_lucy": {"iterations": 10},
    # lam is the objective's own weight: 1e-3 / 3e-3 suit a 0..1 image with σ ≈ 0.01
    "tv": {"lam": 1e-3, "iterations": 20},
    "wavelet": {"lam": 3e-3, "iterations": 10},
}


@pytest.fixture(scope="module")
def observed():
    from skimage import data

    clean = (data.camera()[::4, ::4] / 255.0).astype(np.float32)
    psf = restore.psf.gaussian(1.5)
    return restore.noise.gaussian(restore.blur(clean, psf), sigma=0.01, seed=0), psf


@pytest.mark.parametrize("name", SOLVERS)
def test_solver_on_the_gpu_matches_the_cpu(name, observed):
    import cupy

    f, psf = observed
    solver = restore.SOLVERS[name]
    on_cpu = solver(f, psf, **SOLVERS[name])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # wavelet: "runs on the CPU"
        on_gpu = solver(cupy.asarray(f), psf, **SOLVERS[name])
    assert isinstance(on_gpu, cupy.ndarray)
    assert on_gpu.dtype == on_cpu.dtype
    error = np.linalg.norm(cupy.asnumpy(on_gpu) - on_cpu) / np.linalg.norm(on_cpu)
    assert error < 1e-3, error


@pytest.mark.parametrize("boundary", ["periodic", "reflect", "zero", "unknown"])
def test_blur_adjoint_identity_on_the_gpu(boundary):
    import cupy

    rng = np.random.default_rng(0)
    H = restore.Blur(cupy.asarray(rng.random((5, 7))), (20, 23), boundary=boundary,
                     dtype=np.float64)
    x = cupy.asarray(rng.standard_normal(H.input_shape))
    y = cupy.asarray(rng.standard_normal(H.shape))
    lhs = float(cupy.vdot(H.apply(x), y))
    rhs = float(cupy.vdot(x, H.adjoint(y)))
    assert abs(lhs - rhs) <= 1e-10 * abs(lhs)


def test_blur_keeps_the_array_on_the_gpu():
    import cupy

    out = restore.blur(cupy.ones((32, 32), dtype=cupy.float32), "gauss:1")
    assert isinstance(out, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(out), 1, rtol=1e-5)


# ------------------------------------------------------------------ the batch path


def _volume():
    """A 16×64×64 float32 volume of beads on a background, blurred, with Poisson noise."""
    rng = np.random.default_rng(0)
    scene = np.full((16, 64, 64), 5.0)
    for _ in range(25):
        z, y, x = (rng.integers(2, n - 2) for n in scene.shape)
        scene[z - 1:z + 2, y - 1:y + 2, x - 1:x + 2] += 200 * rng.uniform(0.3, 1.0)
    psf = restore.psf.gaussian((1.0, 1.5, 1.5))
    blurred = restore.blur(scene, psf)
    return rng.poisson(np.maximum(blurred, 0)).astype(np.float32), psf


@pytest.mark.parametrize("method, options", [("rl", {"iterations": 10}),
                                             ("tikhonov", {"lam": 1e-3})])
def test_deconvolve_stack_on_the_gpu_matches_the_cpu(method, options):
    from restore.stacks import deconvolve_stack

    f, psf = _volume()
    on_cpu = deconvolve_stack(f, psf, method=method, memory_limit="4MB", **options)
    on_gpu, report = deconvolve_stack(f, psf, method=method, memory_limit="4MB",
                                      device="gpu", return_info=True, **options)
    assert report.plan.count > 1  # chunks, each moved to the GPU and back
    assert isinstance(on_gpu, np.ndarray) and on_gpu.dtype == np.float32
    error = np.linalg.norm(on_gpu - on_cpu) / np.linalg.norm(on_cpu)
    assert error < 1e-3, error


# ------------------------------------------------------- no host copies in the loop


def _count_host_copies(monkeypatch):
    """Patch CuPy so that every copy of an array of more than one element to the
    host is recorded; return the list it is recorded in. Scalars (float(),
    bool() of a 0-d sum: the loops' norms and NaN checks) are not copies of
    arrays and are not counted."""
    import cupy

    copies = []
    get = cupy.ndarray.get

    def counted_get(self, *args, **kwargs):
        if self.size > 1:
            copies.append(tuple(self.shape))
        return get(self, *args, **kwargs)

    try:  # cupy.ndarray is a Python subclass of the Cython base (CuPy ≥ 13)
        monkeypatch.setattr(cupy.ndarray, "get", counted_get)
    except TypeError:  # an extension type: count the Python-level ways out instead
        asnumpy = cupy.asnumpy

        def counted_asnumpy(a, *args, **kwargs):
            if isinstance(a, cupy.ndarray) and a.size > 1:
                copies.append(tuple(a.shape))
            return asnumpy(a, *args, **kwargs)

        monkeypatch.setattr(cupy, "asnumpy", counted_asnumpy)
        from restore import _backend

        original = _backend.to_host

        def counted_to_host(x):
            if _backend.is_gpu_array(x) and x.size > 1:
                copies.append(tuple(x.shape))
            return original(x)

        for name, module in list(sys.modules.items()):
            if name.startswith("restore") and getattr(module, "to_host", None) is original:
                monkeypatch.setattr(module, "to_host", counted_to_host)
    # the counter sees a copy made either way
    from restore._backend import to_host

    to_host(cupy.ones(3))
    cupy.asnumpy(cupy.ones((2, 2)))
    assert len(copies) == 2, copies
    copies.clear()
    return copies


@pytest.mark.parametrize("name, options", [
    ("richardson_lucy", {}),
    ("richardson_lucy", {"accelerate": True}),
    ("richardson_lucy", {"boundary": "unknown", "tv_weight": 0.002}),
    ("tv", {"lam": 1e-3}),
    ("tv", {"lam": 1e-3, "boundary": "unknown", "isotropic": False}),
], ids=["rl", "rl-accelerated", "rl-tv-unknown", "tv", "tv-anisotropic-unknown"])
def test_the_iterations_copy_nothing_to_the_host(name, options, observed, monkeypatch):
    """Twelve iterations make exactly the host copies two do (those of the setup):
    the loop itself keeps every array on the device."""
    import cupy

    f, psf = observed
    f = cupy.asarray(f)
    solver = restore.SOLVERS[name]
    solver(f, psf, iterations=2, **options)  # compiles the kernels first
    copies = _count_host_copies(monkeypatch)
    counts = []
    for iterations in (2, 12):
        copies.clear()
        result = solver(f, psf, iterations=iterations, **options)
        assert isinstance(result, cupy.ndarray)
        counts.append(list(copies))
    assert counts[0] == counts[1], counts


# --------------------------------------------------------------------- the CLI


@pytest.mark.parametrize("command, options", [
    ("rl", ["--iterations", "10"]),
    ("tv", ["--lam", "0.25", "--iterations", "20"]),  # 1e-3 on a 0..255 image: 0.25
    ("tikhonov", ["--lam", "1e-3"]),
])
def test_device_gpu_writes_the_image_device_cpu_writes(command, options, observed, tmp_path):
    import imageio.v3 as iio
    from click.testing import CliRunner

    from restore.cli import cli

    f, _ = observed
    blurred = tmp_path / "blurred.png"
    iio.imwrite(blurred, np.clip(np.rint(255 * f), 0, 255).astype(np.uint8))
    runner = CliRunner()
    written = {}
    for device in ("cpu", "gpu"):
        for suffix, dtype in ((".npy", "float32"), (".png", "input")):
            out = tmp_path / f"{command}-{device}{suffix}"
            result = runner.invoke(cli, [command, str(blurred), "--psf", "gauss:1.5",
                                         *options, "--device", device, "--dtype", dtype,
                                         "-q", "-o", str(out)])
            assert result.exit_code == 0, result.output
            written[device, suffix] = np.load(out) if suffix == ".npy" else iio.imread(out)
    cpu, gpu = written["cpu", ".npy"], written["gpu", ".npy"]
    assert gpu.dtype == cpu.dtype == np.float32 and gpu.shape == cpu.shape
    error = np.linalg.norm(gpu - cpu) / np.linalg.norm(cpu)
    assert error < 1e-3, error
    # the 8-bit images: the same, but for a rounding at a half-way value
    difference = np.abs(written["gpu", ".png"].astype(int) - written["cpu", ".png"])
    assert difference.max() <= 1 and np.mean(difference > 0) < 0.05
