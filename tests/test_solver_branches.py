"""Solver options that no other test ran, or ran without checking the result:
the unknown boundary of TV and wavelet, anisotropic TV, Richardson-Lucy's
background, tol and array init, the NaN guard of the iteration loop and
Tikhonov's identity regulariser. Each checks against an independent reference
where one exists (the truth, a closed form, an objective written out here)."""

import importlib

import numpy as np
import pytest

import restore
from restore.metrics import psnr
from restore.solvers._iterative import Iteration
from test_solvers import observe

rl_module = importlib.import_module("restore.solvers.richardson_lucy")


def _periodic_otf(psf, shape):
    """FFT of `psf` (normalised, centre element n // 2 moved to the origin) on `shape`."""
    padded = np.zeros(shape)
    padded[tuple(slice(0, k) for k in psf.shape)] = psf / psf.sum()
    padded = np.roll(padded, [-(k // 2) for k in psf.shape], axis=tuple(range(psf.ndim)))
    return np.fft.fftn(padded)


def _periodic_blur(x, otf):
    return np.real(np.fft.ifftn(otf * np.fft.fftn(x)))


def _rms(a, where):
    return float(np.sqrt((a[where].astype(np.float64) ** 2).mean()))


# ------------------------------------------ TV and wavelet: boundary="unknown"


@pytest.mark.parametrize("name, options", [("tv", {"lam": 5e-4, "iterations": 30}),
                                           ("wavelet", {"lam": 1.5e-3, "iterations": 15})])
def test_unknown_boundary_restores_up_to_the_edges(name, options, camera):
    """The scene runs 12 pixels past the frame. "unknown" estimates that border
    and fits only the observed pixels: it beats the observation overall and in
    an 8-pixel band along the edges, where "periodic" wraps the opposite edge in
    (measured: TV 22.5 dB against 19.8 observed, edge RMS 0.073 against 0.089
    observed and 0.30 periodic; wavelet 21.7 dB, 0.077 and 0.17)."""
    psf = restore.psf.gaussian(2.0)
    truth, f = observe(camera, psf, sigma=0.005, margin=12)
    edge = np.ones(f.shape, bool)
    edge[8:-8, 8:-8] = False
    solver = restore.SOLVERS[name]
    x, info = solver(f, psf, boundary="unknown", return_info=True, **options)
    periodic = solver(f, psf, boundary="periodic", **options)
    assert info.parameters["boundary"] == "unknown"
    assert psnr(truth, x, data_range=1) > psnr(truth, f, data_range=1) + 1
    assert _rms(x - truth, edge) < _rms(f - truth, edge)
    assert _rms(x - truth, edge) < 0.5 * _rms(periodic - truth, edge)


# ------------------------------------------------------------- anisotropic TV


def test_anisotropic_tv_suits_axis_aligned_edges():
    """Rectangles: ‖∇x‖₁ costs nothing extra along axis-aligned edges, so the
    anisotropic estimate beats the observation and the isotropic one (measured
    39.3 dB against 31.8 isotropic and 21.8 observed)."""
    rng = np.random.default_rng(0)
    g = np.full((48, 48), 0.2)
    g[8:30, 10:40] = 0.8
    g[20:44, 24:34] = 0.5
    psf = restore.psf.gaussian(1.5)
    f = (restore.blur(g, psf, boundary="periodic")
         + rng.normal(0, 0.03, g.shape)).astype(np.float32)
    options = dict(lam=0.009, iterations=100, boundary="periodic")
    x, info = restore.tv(f, psf, isotropic=False, return_info=True, **options)
    iso = restore.tv(f, psf, isotropic=True, **options)
    assert info.parameters["isotropic"] is False
    assert psnr(g, x, data_range=1) > psnr(g, f, data_range=1) + 10
    assert psnr(g, x, data_range=1) > psnr(g, iso, data_range=1) + 2


def test_anisotropic_and_isotropic_tv_each_minimise_their_own_objective():
    """On a diagonal edge the two penalties differ: each estimate must score
    better than the other on its own objective ½‖Hx − f‖² + λ·TV(x), written
    out here with numpy FFTs and periodic forward differences (measured after
    100 iterations: 1.921 against 1.941 anisotropic, 1.776 against 1.793
    isotropic; the estimates differ by 3 %)."""
    rng = np.random.default_rng(0)
    n = 48
    rows, cols = np.mgrid[:n, :n]
    g = np.where(rows + cols < n, 0.2, 0.8)
    psf = restore.psf.gaussian(1.5)
    f = restore.blur(g, psf, boundary="periodic") + rng.normal(0, 0.03, g.shape)
    options = dict(lam=0.009, iterations=100, boundary="periodic", return_info=True)
    aniso, info = restore.tv(f, psf, isotropic=False, **options)
    iso, _ = restore.tv(f, psf, isotropic=True, **options)
    weight = info.parameters["lam"]
    assert weight == 0.009  # the objective's own weight, as given
    otf = _periodic_otf(psf, f.shape)

    def objective(x, isotropic):
        residual = _periodic_blur(x, otf) - f
        d0, d1 = np.roll(x, -1, 0) - x, np.roll(x, -1, 1) - x
        tv = np.hypot(d0, d1).sum() if isotropic else (np.abs(d0) + np.abs(d1)).sum()
        return 0.5 * (residual**2).sum() + weight * tv

    assert np.linalg.norm(aniso - iso) > 0.01 * np.linalg.norm(iso)
    assert objective(aniso, False) < objective(iso, False)
    assert objective(iso, True) < objective(aniso, True)


# ------------------------------------------------- Richardson-Lucy: background


@pytest.fixture(scope="module")
def rl_scene(camera):
    """A 64² positive scene and its noiseless periodic blur."""
    psf = restore.psf.gaussian(1.5)
    g = camera[:64, :64] + np.float32(0.05)
    return g, restore.blur(g, psf, boundary="periodic"), psf


def test_richardson_lucy_background_is_left_out_of_the_estimate(rl_scene):
    """f = Hg + b: with background=b the estimate is g (RL keeps the flux, so
    mean(x) = mean(f) − b), without it g + b (measured means 0.2993, 0.2993 and
    0.5993)."""
    g, blurred, psf = rl_scene
    b = 0.3
    f = blurred + np.float32(b)
    options = dict(iterations=30, boundary="periodic")
    x, info = restore.richardson_lucy(f, psf, background=b, return_info=True, **options)
    plain = restore.richardson_lucy(f, psf, **options)
    assert info.parameters["background"] == b
    assert float(x.mean()) == pytest.approx(float(g.mean()), abs=0.01 * b)
    assert float(plain.mean()) == pytest.approx(float(g.mean()) + b, abs=0.01 * b)
    assert psnr(g, x, data_range=1) > psnr(g, f - b, data_range=1) + 1


# -------------------------------------------------------- Richardson-Lucy: tol


def test_richardson_lucy_stops_at_the_first_change_below_tol(rl_scene):
    """A looser tol stops sooner (measured 9 iterations at 1e-2, 45 at 1e-3),
    by "tol", at the first iteration whose change ‖x_k − x_{k−1}‖/‖x_{k−1}‖,
    recomputed here from the callback's estimates, is below tol."""
    _, f, psf = rl_scene
    counts = {}
    for tol in (1e-2, 1e-3):
        seen = []
        _, info = restore.richardson_lucy(f, psf, iterations=500, tol=tol, boundary="periodic",
                                          callback=lambda k, e: seen.append(e),
                                          return_info=True)
        changes = [np.linalg.norm(new - old) / np.linalg.norm(old)
                   for old, new in zip(seen, seen[1:])]
        assert info.stop_reason == "tol" and info.iterations == len(seen)
        assert changes[-1] < tol <= min(changes[:-1])
        counts[tol] = info.iterations
    assert 1 < counts[1e-2] < counts[1e-3] < 500


# --------------------------------------------------- Richardson-Lucy: init


def test_richardson_lucy_started_at_the_truth_stays_there(rl_scene):
    """On noiseless periodic data the truth is a fixed point of RL: started
    there it moves by float32 round-off (measured 2e-7 relative after 5
    iterations), where the flat start is still 20 % off."""
    g, f, psf = rl_scene
    options = dict(iterations=5, boundary="periodic")
    x = restore.richardson_lucy(f, psf, init=g, **options)
    flat = restore.richardson_lucy(f, psf, **options)
    assert np.linalg.norm(x - g) < 1e-4 * np.linalg.norm(g)
    assert np.linalg.norm(flat - g) > 0.1 * np.linalg.norm(g)
    # init="observation" is the array f, by name
    np.testing.assert_array_equal(restore.richardson_lucy(f, psf, init="observation", **options),
                                  restore.richardson_lucy(f, psf, init=f, **options))


@pytest.mark.parametrize("init, message", [
    (np.ones((10, 10)), r"init has shape \(10, 10\) but the image has shape \(64, 64\)"),
    (-np.ones((64, 64)), "init must be finite and non-negative"),
    (0.0, "init must be positive, got 0.0"),
    ("truth", 'init must be "flat", "observation", a number or an array'),
])
def test_richardson_lucy_refuses_an_init_it_cannot_use(init, message, rl_scene):
    _, f, psf = rl_scene
    with pytest.raises(ValueError, match=message):
        restore.richardson_lucy(f, psf, init=init, iterations=2, boundary="periodic")


# ------------------------------------------------------------- the NaN guard


def _nan_from(k_bad):
    """A step() for Iteration: finite estimates up to iteration k_bad − 1, NaN from k_bad."""
    count = {"k": 0}

    def step():
        count["k"] += 1
        return np.full(4, np.nan if count["k"] >= k_bad else 1.0), 1.0

    return step


@pytest.mark.parametrize("iterations, caught", [(25, 10), (7, 7)])
def test_iteration_raises_at_the_first_check_after_a_nan(iterations, caught):
    """NaN from iteration 3: the check every 10 iterations, or at the last, raises."""
    seen = []
    loop = Iteration("demo", iterations=iterations, callback=lambda k, e: seen.append(k))
    with pytest.raises(FloatingPointError,
                       match=f"demo produced NaN or Inf at iteration {caught}; check the PSF"):
        loop.run(_nan_from(3), np)
    assert seen == list(range(1, caught))  # raised before the callback saw iteration `caught`


@pytest.mark.parametrize("iterations, caught", [(25, 10), (4, 4)])
def test_richardson_lucy_reports_a_nan_estimate(iterations, caught, rl_scene, monkeypatch):
    """A NaN pixel from RL's 2nd update on: the solver raises the guard's error."""
    _, f, psf = rl_scene
    update, calls = rl_module._update_in_place, {"n": 0}

    def poisoned(correction, estimate, norm):
        update(correction, estimate, norm)
        calls["n"] += 1
        if calls["n"] >= 2:
            correction[3, 3] = np.nan

    monkeypatch.setattr(rl_module, "_update_in_place", poisoned)
    with pytest.raises(FloatingPointError,
                       match=f"richardson_lucy produced NaN or Inf at iteration {caught}"):
        restore.richardson_lucy(f, psf, iterations=iterations, boundary="periodic")


def test_iteration_raises_when_a_stop_rule_ends_on_a_nan():
    """A stop rule firing between two NaN checks (RL's discrepancy stop can)
    must not hand back a non-finite estimate: the last one is always checked."""
    loop = Iteration("demo", iterations=20, stop=lambda k, e: "done" if k == 5 else None)
    with pytest.raises(FloatingPointError, match="demo produced NaN or Inf at iteration [3-5];"):
        loop.run(_nan_from(3), np)


# ------------------------------------------------------- Tikhonov: identity


@pytest.mark.parametrize("lam", [1e-3, 0.05])
def test_tikhonov_identity_is_the_closed_form(lam, camera):
    """R = I on a periodic image: x̂ = conj(H) F / (|H|² + λ), computed here with
    numpy's complex FFTs in float64 (an asymmetric PSF, so conj and the PSF's
    centre matter)."""
    rng = np.random.default_rng(0)
    psf = rng.random((5, 7))
    psf /= psf.sum()
    otf = _periodic_otf(psf, camera.shape)
    f = _periodic_blur(camera.astype(np.float64), otf) + rng.normal(0, 0.01, camera.shape)
    ours, info = restore.tikhonov(f, psf, lam=lam, regularizer="identity",
                                  boundary="periodic", return_info=True)
    expected = np.real(np.fft.ifftn(np.conj(otf) * np.fft.fftn(f) / (np.abs(otf) ** 2 + lam)))
    assert info.parameters["regularizer"] == "identity" and info.parameters["lam"] == lam
    assert ours.dtype == np.float64
    assert np.linalg.norm(ours - expected) <= 1e-10 * np.linalg.norm(expected)
