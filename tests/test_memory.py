"""What the automatic TV and wavelet calls hold in memory.

The discrepancy search runs up to 12 short trials; each leaves an estimate
(one work array) and, for a warm start, the solver's state (several). Held
for nothing, they made the default call peak at 27× the input (TV, 2048²)
where a call with λ given peaks at 12×.
"""

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import restore
from restore import params


class _Estimate:
    """A stand-in for a trial's estimate: weak-referenceable, so a test can
    see whether the search still holds it."""

    def __init__(self, lam):
        self.lam = lam


def test_the_discrepancy_search_holds_only_the_estimates_it_can_return():
    """It returns the trial closest to the target (or, levelled off, the one
    before the last): at most three estimates are alive at any trial."""
    target, alive, most = 1e-4, [], [0]

    def solve(lam, warm):
        gc.collect()
        most[0] = max(most[0], sum(ref() is not None for ref in alive))
        estimate = _Estimate(lam)
        alive.append(weakref.ref(estimate))
        return estimate

    def slow_misfit(estimate):  # never down to the target, never levelling off (a
        # quarter of λ: 15 % less misfit): λ walks to the end of its range
        return target * (1e-6 + estimate.lam) ** 0.1 * 10

    lam, x, _ = params.discrepancy_search(solve, slow_misfit, target, 1e-3)
    assert len(alive) == 6  # every round (six) ran
    assert most[0] <= 3
    assert x.lam == pytest.approx(lam, rel=1e-9)


def _peak_over_input(call, f):
    call()  # imports, FFT plans, the noise estimate's tables: not the solver's state
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / f.nbytes
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("solver, bound", [("tv", 30), ("wavelet", 24)])
def test_an_automatic_call_peaks_near_a_call_with_its_lambda(solver, bound):
    """TV, 384² photo-like data (the work grid is 1.27× the image): 38.7× the
    input before (trial states copied, every trial estimate kept), 24.1× now;
    wavelet 25.6× before, 21.8× now."""
    rng = np.random.default_rng(0)
    psf = restore.psf.gaussian(2.0).astype(np.float32)
    scene = restore.blur(rng.random((48, 48)).repeat(8, 0).repeat(8, 1), psf)
    f = (scene + 0.01 * rng.standard_normal(scene.shape)).astype(np.float32)
    fn = getattr(restore, solver)
    assert _peak_over_input(lambda: fn(f, psf), f) <= bound


@pytest.mark.parametrize("isotropic", [True, False])
def test_a_warm_start_keeps_the_split_variable_it_takes_over(isotropic):
    """TV's warm start at another λ rescales the duals u and keeps z = shrink(v):
    v' shrinks at the new threshold to the z the last run ended with (the
    isotropic factor is one array for every axis: scaled once, not per axis)."""
    import importlib

    from restore.operators import WorkDomain

    tv = importlib.import_module("restore.solvers.tv")
    rng = np.random.default_rng(1)
    psf = restore.psf.gaussian(1.5).astype(np.float32)
    f = restore.blur(rng.random((24, 24)).repeat(4, 0).repeat(4, 1), psf).astype(np.float32)
    domain = WorkDomain(psf / psf.sum(), f, "periodic")
    solver = tv._TVADMM(domain, isotropic=isotropic, nonnegative=False, xp=np)
    rho, lam = 0.02, 2e-3
    estimate, _, _ = solver.run(lam, rho, None, tv.Iteration("tv", iterations=8))
    tau = np.float32(lam / rho)
    v = [c.copy() for c in solver._state[2][0]]
    whole = slice(None)
    z_before = [c * fac for c, fac in zip(v, solver._factors(v, whole, tau) * len(v))]
    new_tau = np.float32(4 * lam / rho)
    v_new, _, cold, _ = solver._start(new_tau, estimate)
    assert not cold
    factors = solver._factors(v_new, whole, new_tau)
    z_after = [c * fac for c, fac in zip(v_new, factors * len(v_new))]
    for before, after in zip(z_before, z_after):
        np.testing.assert_allclose(after, before, atol=1e-6)


def test_a_tv_step_holds_one_work_array_beyond_its_state(monkeypatch):
    """λ given, 2048²: the right-hand side, its spectrum and the new x share one
    array's memory (``Blur.work_array``), the previous iterate is not kept
    (its change is read on a sample) and the last one is projected in place.
    Before: 10.0× the input; now 8.2× (4096²: 7.9×)."""
    rng = np.random.default_rng(0)
    psf = restore.psf.gaussian(2.0).astype(np.float32)
    scene = restore.blur(rng.random((256, 256)).repeat(8, 0).repeat(8, 1), psf)
    f = (scene + 0.01 * rng.standard_normal(scene.shape)).astype(np.float32)
    # the noise estimate's own scratch (float64) is not the solver's state
    monkeypatch.setattr(params, "noise_level", lambda image, psf=None: 0.01)
    assert _peak_over_input(lambda: restore.tv(f, psf, lam=2e-3, iterations=6), f) <= 9.0


def test_the_iteration_loop_does_not_hold_the_last_estimate_through_a_step():
    """A solver that needs its last estimate keeps it; the loop's own reference
    would hold a whole work array more through every step (TV needs none)."""
    from restore.solvers._iterative import Iteration

    returned = []

    def step():
        gc.collect()
        alive = [ref() is not None for ref in returned]
        new = np.zeros(4)
        returned.append(weakref.ref(new))
        assert not any(alive), "an earlier estimate is still held"
        return new, None

    estimate, k, _ = Iteration("test", iterations=4).run(step, np)
    assert k == 4 and returned[-1]() is estimate
