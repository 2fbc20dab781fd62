"""The skeleton of the iterative solvers (Richardson–Lucy, TV, wavelet).

What they share lives here once: the iteration caps of ``iterations="auto"``
(:data:`MAX_ITERATIONS`, which the CLI reads), the one loop (:class:`Iteration`:
callback, ``tol``, stop rule, NaN guard, per-iteration history) and the
automatic regularisation weight (:func:`regularised_solve`: Morozov's
discrepancy principle on the noise level :func:`restore.params.noise_level`,
times a solver's correction, then the final solve).

``tol`` means one thing in every iterative solver: stop once an iteration
changes the estimate by less than `tol` relative to its size,
‖x_k − x_{k−1}‖ / ‖x‖, at any iteration count.
"""

import math

from .. import params, progress
from .._signals import raise_if_received
from ._framework import callback_window, flag_search_limit

#: The iteration caps of ``iterations="auto"``, by solver name: a guard
#: against a stop rule that never fires, not a stop rule. TV and the wavelet
#: solver had 300 and 200, and stopped there on star fields and widefield
#: volumes while still converging; with room their own `tol` stops them.
#: In the zoo, TV on the 256² star field at 970 iterations (53.63 -> 56.12
#: dB, 1.6× the time), on its 96² crop at 720 (54.83 -> 60.67, with σ̂
#: fixed there too), on the widefield volumes at 615 and 420 (−0.15,
#: −0.04); the wavelet solver at 332 on the star field (+0.28, with its
#: longer trials) and 209 on a widefield volume (0.00).
MAX_ITERATIONS = {"richardson_lucy": 500, "tv": 1500, "wavelet": 1000}


class Iteration:
    """The one iteration loop every iterative solver uses.

    ``step()`` advances the solver's state by one iteration and returns
    ``(estimate, relative_change)`` or ``(estimate, relative_change, record)``
    with `record` a dict of what else the iteration measured (the misfit, the
    ADMM residuals); the change may be None where the iteration did not
    compute it. The loop counts, calls ``callback(k, estimate)``, records
    ``history`` (one dict per iteration: ``iteration``, ``change`` and the
    record), stops at `iterations`, when the relative change falls below
    `tol`, or when ``stop(k, estimate)`` returns a reason, and raises if the
    estimate stops being finite. With `tol_below_peak` (a fraction) the
    `tol` rule also waits for a change below that fraction of the largest
    change so far: an accelerated method restarted from a warm start takes
    small steps that grow while its momentum builds, and would stop on the
    first of them.
    """

    def __init__(self, method, *, iterations, tol=None, callback=None, stop=None,
                 nan_check_every=10, tol_below_peak=None):
        self.method = method
        self.tol_below_peak = tol_below_peak
        self.iterations = iterations
        self.tol = tol
        self.callback = callback
        self.stop = stop
        self.nan_check_every = nan_check_every
        self.history = []

    def run(self, step, xp):
        """Run `step` until a stopping rule fires; return (estimate, k, reason)."""
        with progress.step("iterations", total=self.iterations) as advance:
            return self._run(step, xp, advance)

    def _run(self, step, xp, advance):
        estimate, reason, k, peak = None, "iterations", 0, 0.0  # peak: the largest finite change
        for k in range(1, self.iterations + 1):
            raise_if_received()  # a Ctrl-C some library swallowed stops here
            # not held through the step: a solver that needs the last estimate
            # keeps it itself, one that does not (TV) then holds one array less
            estimate = None
            estimate, change, *record = step()
            advance()
            self.history.append({"iteration": k, "change": change, **(record[0] if record else {})})
            if k % self.nan_check_every == 0 or k == self.iterations:
                self._check_finite(estimate, k, xp)
            if self.callback is not None:
                self.callback(k, estimate)
            if change is not None and self.tol is not None and change < self.tol and (
                    self.tol_below_peak is None or change < self.tol_below_peak * peak):
                reason = "tol"
                break
            if change is not None and math.isfinite(change):
                peak = max(peak, change)
            if self.stop is not None:
                why = self.stop(k, estimate)
                if why:
                    reason = why
                    break
        if k % self.nan_check_every and k != self.iterations:  # stopped between checks
            self._check_finite(estimate, k, xp)
        return estimate, k, reason

    def _check_finite(self, estimate, k, xp):
        # a float64 sum carries any NaN or Inf through without the boolean
        # array of isfinite (a quarter of a work array, at TV's peak)
        if not math.isfinite(float(estimate.sum(dtype=xp.float64))):
            raise FloatingPointError(
                f"{self.method} produced NaN or Inf at iteration {k}; "
                "check the PSF and the input's range, or use more regularisation"
            )


#: TV and the wavelet solver restore a 1-D or 2-D image again with the
#: border unknown where "auto" had mirrored (or smoothly continued) it and
#: the λ search ended at its lower limit: even the smallest λ left a misfit
#: above σ̂², which at low noise is the mirror's error at the border. Six
#: photos of 256²–384² under box and disk PSFs at σ = 0.003–0.005 (0.02–0.04
#: of the side): three searches ended there, TV at 14.28 and 17.26 dB and the
#: wavelet solver at 19.10, below the observations (21.12, 22.65, 21.12);
#: unknown: 27.83, 31.18, 26.67. The zoo's coffee 320² under box:11 at σ =
#: 0.005: wavelet 19.23 against 23.23 observed. No other zoo case's search
#: ended there with a mirrored border.
RETRY_UNKNOWN = True


#: With an unknown boundary the λ search's trials run this many times as
#: many iterations (TV's and the wavelet solver's): the unseen border fills
#: in slowly, and a trial that stops before it has read a misfit the
#: converged solve does not have, so the search takes too small a λ. TV, on
#: the zoo's 29 cases solved with "unknown": trials as long as the mirror's
#: put camera under a 5×5 box 4.6 dB and coffee under motion 5.8 dB lower
#: (both with a `tol` of 3e-4). The wavelet solver: the zoo's 80² camera
#: crop under box:9 22.48 -> 24.09 dB, the 128² cells crop 33.65 -> 34.89;
#: 256² photos, cells, text within ±0.06 (6 and 12 times as many gave no
#: more).
UNKNOWN_TRIAL_FACTOR = 3


def trial_iterations(count, domain):
    """The iterations of a λ-search trial of `count` on `domain`: times
    :data:`UNKNOWN_TRIAL_FACTOR` where its border is unknown."""
    return count * UNKNOWN_TRIAL_FACTOR if domain.mask is not None else count

def with_unknown_retry(boundary, mode, ndim, restore_on):
    """``restore_on(mode, retry)`` of a TV or wavelet core, and where that
    returns None, ``restore_on("unknown", False)`` (:data:`RETRY_UNKNOWN`).

    `retry` is True where `boundary` is "auto", resolved to the mirror or the
    smooth continuation `mode` of a 1-D or 2-D image: `restore_on` passes it
    to :func:`regularised_solve` as `retry_unreached`. The core's result is
    ``(estimate, parameters, ...)``; a retried one says why in its
    parameters' ``boundary_method``.
    """
    retry = boundary == "auto" and mode != "unknown" and ndim < 3 and RETRY_UNKNOWN
    result = restore_on(mode, retry)
    if result is None:
        result = restore_on("unknown", False)
        result[1]["boundary_method"] = f"λ search at its lower limit with the {mode} border"
    return result


def regularised_solve(method, lam, sigma, domain, *, trial, final, callback, start,
                      correction, match=params.DISCREPANCY_MATCH, retry_unreached=False):
    """The final estimate on `domain` for a given weight `lam`, or for the automatic one.

    ``lam="auto"`` is Morozov's discrepancy principle (the λ whose mean
    squared misfit :meth:`WorkDomain.misfit` is σ̂², found by
    :func:`restore.params.discrepancy_search` from ``start · σ̂`` on short
    warm-started `trial` runs) times the solver's `correction` (the principle
    over-smooths TV and wavelet), or, where the misfit levelled off above σ̂²
    (`levelled` of the search), the λ it levelled at. `trial(lam, warm)`
    returns an estimate on the work grid; `final(lam, warm, callback)`
    returns ``(estimate, iterations, stop_reason)`` and calls `callback` on
    the work grid. `match` is the search's (:func:`params.discrepancy_search`).
    With `retry_unreached`, None is returned instead of the final solve
    where the search ended at the lower end of its range: the smallest λ did
    not fit the data down to the noise, so the boundary model does not fit
    them (:func:`with_unknown_retry`).
    Returns the field of view, the iterations, the stop reason and the
    parameters to report (``lam``; for "auto" also ``lam_method``, and
    ``limit`` where the search ended at the edge of its range).
    """
    grid_callback = cropped_callback(callback, domain.crop)
    if lam != "auto":
        x, k, reason = final(lam, None, grid_callback)
        return domain.crop(x), k, reason, {"lam": lam}
    first = start * sigma
    morozov, warm, levelled = params.discrepancy_search(trial, domain.misfit, sigma**2,
                                                        first, match=match)
    if levelled:  # the noise level was out of reach: no over-smoothing to correct
        chosen, method_used = morozov, "misfit levelled off above the noise"
    else:
        chosen, method_used = correction * morozov, f"discrepancy x {correction:g}"
    parameters = {"lam": chosen, "lam_method": method_used}
    low, high = params.DISCREPANCY_FACTOR_RANGE
    if retry_unreached and not levelled \
            and params.search_limit(morozov, first * low, first * high) == "lower":
        return None
    x, k, reason = final(chosen, warm, grid_callback)
    flag_search_limit(parameters, method, "lam", morozov, first * low, first * high,
                      advice="check that the PSF and the noise level match the data, "
                             "or give lam")
    return domain.crop(x), k, reason, parameters


def cropped_callback(callback, crop):
    """`callback` seeing ``crop(estimate)`` (the field of view), or None."""
    if callback is None:
        return None
    window = callback_window()
    if window is not None:
        return lambda k, estimate: callback(k, crop(estimate)[window])
    return lambda k, estimate: callback(k, crop(estimate))


def relative_change(new, old, xp):
    """‖new − old‖ / ‖old‖ as a float (inf when old is zero)."""
    norm_old = float(xp.linalg.norm(old.ravel()))
    if norm_old == 0:
        return math.inf
    return float(xp.linalg.norm((new - old).ravel())) / norm_old
