"""The CuPy path: same code, same answers, arrays stay on the device.

Skipped (by conftest.py) when CuPy or a CUDA device is missing.
"""

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
    "tv": {"lam": 0.1, "iterations": 20},
    "wavelet": {"lam": 0.3, "iterations": 10},
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
