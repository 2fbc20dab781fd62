import math

import numpy as np
import pytest
import scipy.linalg
import scipy.optimize

from restore import params


def _centred(psf_1d, n):
    """The PSF on a periodic grid of `n`, its centre at index 0."""
    kernel = np.zeros(n)
    kernel[: psf_1d.size] = psf_1d
    return np.roll(kernel, -(psf_1d.size // 2))


def _dense_gcv_minimiser(f, psf_1d, lam_range):
    """GCV's λ from explicit matrices: ‖(I − A)f‖² / tr(I − A)², A = H(HᵀH + λLᵀL)⁻¹Hᵀ."""
    n = f.size
    H = scipy.linalg.circulant(_centred(psf_1d, n))
    stencil = np.zeros(n)
    stencil[[0, 1, -1]] = [2.0, -1.0, -1.0]
    L = scipy.linalg.circulant(stencil)

    def gcv(log_lam):
        A = H @ np.linalg.solve(H.T @ H + math.exp(log_lam) * L.T @ L, H.T)
        residual = f - A @ f
        return residual @ residual / np.trace(np.eye(n) - A) ** 2

    grid = np.linspace(*np.log(lam_range), 200)
    best = grid[int(np.argmin([gcv(g) for g in grid]))]
    step = grid[1] - grid[0]
    found = scipy.optimize.minimize_scalar(gcv, bounds=(best - step, best + step),
                                           method="bounded", options={"xatol": 1e-6})
    return math.exp(found.x)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gcv_lambda_matches_the_matrix_definition(seed):
    """The Fourier-domain GCV has the minimiser of the dense-matrix GCV (float64)."""
    rng = np.random.default_rng(seed)
    n = 96
    psf = np.exp(-0.5 * (np.arange(-5, 6) / 1.5) ** 2)
    psf /= psf.sum()
    scene = np.cumsum(rng.standard_normal(n))  # a random walk: power falling with k
    f = scipy.linalg.circulant(_centred(psf, n)) @ scene + rng.normal(0, 0.3, n)

    spectrum = np.fft.rfft(f)
    otf = np.fft.rfft(_centred(psf, n))
    laplacian = (2 - 2 * np.cos(2 * np.pi * np.fft.rfftfreq(n))) ** 2
    ours = params.gcv_lambda(np.abs(spectrum) ** 2, np.abs(otf) ** 2, laplacian,
                             params.rfft_weights((n,), np, np.float64))
    reference = _dense_gcv_minimiser(f, psf, (params.GCV_LAMBDA_FLOOR, 1e2))
    assert ours == pytest.approx(reference, rel=0.005)


@pytest.mark.parametrize("exponent", [-1.0, -2.0, -3.0])
def test_power_law_fit_recovers_the_exponent(exponent):
    """S(k) = A|k|^β through a Gaussian blur plus white noise: β and A come back."""
    shape = (256, 256)
    k = params._frequency_radius(shape, np, np.float64)
    k[0, 0] = 1.0
    sigma, amplitude = 0.01, 2e-3
    otf_power = np.exp(-(2 * np.pi * 1.5 * k) ** 2)  # |H|² of gauss:1.5
    power = amplitude * k**exponent * otf_power + sigma**2
    model = params.PowerLawSpectrum.fit(power, otf_power, sigma, shape, np)
    assert model.exponent == pytest.approx(exponent, abs=0.02)
    assert model.amplitude == pytest.approx(amplitude, rel=0.05)


def test_power_law_reciprocal_is_scale_over_the_spectrum():
    model = params.PowerLawSpectrum(3.0, -1.7)
    shape = (40, 34)
    spectrum = model(shape, np, np.float64)
    np.testing.assert_allclose(model.reciprocal(shape, np, np.float64, scale=0.5),
                               0.5 / spectrum, rtol=1e-12)
    k = params._frequency_radius(shape, np, np.float64)
    inside = k > 0
    np.testing.assert_allclose(spectrum[inside], 3.0 * k[inside] ** -1.7, rtol=1e-12)
    assert spectrum[0, 0] == pytest.approx(3.0 * (0.5 / 40) ** -1.7)  # the floored bin


def test_noise_level_of_a_thin_stack_is_fitted_plane_by_plane():
    """14 planes are too few for the 3-D fit; the MAD fallback read the dark voxels'
    noise (8.9 for 10.3), and every automatic choice then fitted the noise."""
    import restore
    from skimage import data

    rng = np.random.default_rng(3)
    plane = (data.camera()[::4, ::4] / 255.0).astype(np.float32) * 200
    scene = np.stack([np.roll(plane, 3 * z, axis=1) for z in range(14)])
    counts = restore.blur(scene, restore.psf.gaussian((1.5, 1.0, 1.0)))
    f = (rng.poisson(counts + 5) - 5).astype(np.float32)
    true_rms = float(np.sqrt(np.mean(counts + 5)))
    assert abs(params.noise_sigma(f) / true_rms - 1) < 0.05


def test_a_tighter_discrepancy_match_finds_the_lambda_of_a_flat_misfit():
    """Where the noise dominates the misfit it barely moves with λ: a first
    trial at twice the matching λ is 3.5 % above σ̂², inside the default 5 %
    (the search stops there), outside the wavelet solver's 1 %."""
    target, matching = 1e-3, 0.02

    def misfit(lam):  # the trial's "estimate" is its λ
        return target * (lam / matching) ** 0.05

    loose, _, _ = params.discrepancy_search(lambda lam, warm: lam, misfit, target, 2 * matching)
    tight, _, _ = params.discrepancy_search(lambda lam, warm: lam, misfit, target, 2 * matching,
                                            match=0.01)
    assert loose == pytest.approx(2 * matching)
    assert abs(math.log(tight / matching)) < 0.2


def test_noise_level_side_by_side_is_the_sequential_result():
    """noise_level runs the image-domain fit and the spectrum's floor at once
    on two threads; the result must be the one of running them in turn."""
    from restore import _backend, noise
    from restore.psf import gaussian

    rng = np.random.default_rng(4)
    scene = np.cumsum(np.cumsum(rng.standard_normal((300, 300)), 0), 1)
    psf = gaussian(2.0)
    f = noise.gaussian(params.central_block(scene, 300 * 300) / np.abs(scene).max(), sigma=0.02, seed=1)
    f = np.asarray(f, dtype=np.float32)
    h = (psf / psf.sum()).astype(np.float32)
    together = params.noise_level(f, h)
    with _backend.fft_threads(1):  # one thread: the two in turn
        in_turn = params.noise_level(f, h)
    sigma, spectral = params.noise_sigma(f), params.spectral_level(f, h)
    assert spectral is not None  # both estimates were made
    expected = spectral if spectral > params.SPECTRAL_OVERRULES * sigma else sigma
    assert together == in_turn == expected
