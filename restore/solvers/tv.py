"""Total-variation deconvolution by ADMM.

    minimise_x  ½‖M(Hx) − f‖² + λ TV(x)   (+ x ≥ 0)

split as z₁ = ∇x, z₂ = x (non-negativity) and, when part of the scene is
unobserved (boundary "unknown", mask M), z₀ = Hx (Almeida & Figueiredo 2013).
Every sub-problem is closed-form: the x-update is diagonal in the Fourier
domain (H and ∇ are periodic on the work grid), the z-updates are pixel-wise.
"""

import math
import warnings

import numpy as np

from .._checks import check_flag, check_integer, check_number
from .. import params
from .._backend import row_blocks
from ..operators import (
    ITERATIVE_BOUNDARIES,
    WorkDomain,
    check_boundary,
    difference_power,
    resolve_boundary,
    solved_unknown,
)
from ._docs import shared_docstring
from ._framework import run_solver
from ._iterative import (MAX_ITERATIONS, Iteration, regularised_solve, trial_iterations,
                         with_unknown_retry)

#: Iterations of the first trial λ while the discrepancy principle searches
#: (was 20: on the 29 zoo cases 10, 12, 15 and 20 gave the same λ to within
#: 0.1 dB of PSNR but on 1-D signals, +0.1 to +0.2 dB; the final solves took
#: 1935 iterations in all against 1905; quality.py's TV rows moved 0 to
#: +0.03 dB; the 64×256² bead volume 45.67 dB either way, 6.1 -> 5.7 s)...
SEARCH_ITERATIONS = 12
#: ... and of each later trial, which starts from the ADMM state the trial
#: before ended in (its duals rescaled to the new λ), so it goes on converging.
SEARCH_WARM_ITERATIONS = 10
#: "auto" iterations stop once an iteration changes the estimate by less than
#: this (relative; the default `tol`): the PSNR has stopped moving. Camera, gauss:2, σ = 0.01:
#: the final solve after the search is then within 0.01 dB of where it ends
#: after 300 iterations, at its 20th iteration (reflect; a third of it and
#: ~115 iterations for "unknown", whose unseen border moves on slowly).
CHANGE_TOL = 3e-4
#: ... and for volumes, whose estimate moves less per iteration while the PSNR
#: still climbs: 32×128×128 camera planes, gauss:2, σ = 0.01: 3e-4 stopped
#: 0.17 dB short of the old 287-iteration result (with ρ = 0.02). Since ρ
#: follows λ, 1e-4: the zoo's subtracted beads stop at 245 iterations (5e-5:
#: the 300 cap, PSNR flat from the 100th), the 64×256×256 raw beads at 70
#: (45.67 dB; 5e-5: 110, 45.73 dB); camera planes stop by the residual rule
#: at 55 either way. The same with the unknown boundary (not a third of it,
#: as images take): on 14 thin and thick fluorescence volumes run to 600
#: iterations it stopped 0.045 dB below each one's best iterate on average
#: (worst 0.19), 4 of them at the 300 cap (widefield, whose small λ
#: converges slowly); a third of it stopped 0.021 below, 10 at the cap.
CHANGE_TOL_3D = 1e-4
#: The final solve after the λ search starts from the search's estimate, close
#: to its end: in 2-D images its `tol` is this times the default. On 22 2-D
#: zoo cases run on past 3e-4: the final solve took 35 % fewer iterations
#: (45 -> 25 on camera, gauss:2) and moved the PSNR by −0.047 to +0.053 dB
#: (mean +0.003; dense cells +0.66); 1e-3 lost up to 0.13 dB (star field),
#: 2e-3 up to 0.41. Not in volumes, whose PSNR still climbs while they move
#: little (64×256², 32×128²: −0.07, −0.38 dB), nor in 1-D signals (steps,
#: three seeds: −0.60 to +0.18 dB; smooth +0.34 to +0.86).
FINAL_TOL_FACTOR = 2.0
#: Morozov's λ over-smooths TV: TV flattens texture as well as noise, so the
#: best estimate fits the data more closely than the noise level. The automatic
#: λ is this fraction of the discrepancy principle's, measured on camera and
#: astronaut (gauss:2 and motion:15,30, σ = 0.01, border cut): Morozov's λ was
#: 1.4–3.5× the best one, costing 0.1–0.96 dB.
DISCREPANCY_CORRECTION = 0.4
#: Iterations between two evaluations of the ADMM residuals and the relative
#: change (their own passes over every array); `tol` and the residual rule
#: stop only at such an iteration.
RESIDUAL_EVERY = 5
#: ... and when no stop rule needs them, for the history only (fewer passes).
HISTORY_EVERY = 20
#: "auto" iterations also stop when the relative primal and dual residuals of
#: ADMM are both below this (Boyd et al. 2011, section 3.3).
RESIDUAL_TOL = 1e-4
#: The default ADMM penalty ρ is λ / (this × σ̂): it puts the shrinkage
#: threshold τ = λ/ρ of the gradients at 2.5 noise levels, whatever λ is. A
#: fixed ρ = 0.02 did so only where λ ≈ 0.05 σ̂ (photos); on a star field
#: (λ ≈ 0.003 σ̂) it left TV 7 dB short of its solution after 300 iterations,
#: which this ρ reaches in about 200. Measured on the zoo at 1.25, 2.5 and 5:
#: 1.25 dropped a widefield volume 2.4 dB, 5 a 1-D step signal 0.4 dB.
THRESHOLD_IN_NOISE_LEVELS = 2.5
#: ... within these bounds (a noiseless image has σ̂ near 0).
PENALTY_RANGE = (1e-5, 10.0)


@shared_docstring
def tv(image, psf, *, lam="auto", isotropic=True, nonnegative="auto", iterations="auto",
       tol=None, rho=None, boundary="auto", channel_axis=None, callback=None,
       return_info=False):
    """Restore an image by total-variation regularised least squares (ADMM).

    Parameters
    ----------
    %(image)s
    %(psf)s
    lam : float or "auto", optional
        The weight λ of the objective above, in the image's units: TV(x) =
        Σ‖∇x‖ grows with the intensity scale while the data term grows with
        its square, so λ scales with the image (twice the image, twice λ).
        "auto" (default) finds the λ of Morozov's discrepancy principle (mean
        squared residual = σ̂², the noise level estimated from `image`) and
        uses 0.4 of it (:data:`DISCREPANCY_CORRECTION`: the principle
        over-smooths TV); the info reports the λ used.
    isotropic : bool, optional
        Isotropic TV (‖∇x‖₂ per pixel, rotation-invariant) or anisotropic
        (‖∇x‖₁, favours axis-aligned edges).
    nonnegative : bool or "auto", optional
        Constrain the estimate to x ≥ 0. "auto" (default) does so for
        intensities and not for signed data (a zero-mean image, a difference
        signal: see :func:`restore.params.looks_signed`); ``True`` on signed
        data warns that the constraint removes their negative part.
    iterations : int or "auto", optional
        ADMM iterations; "auto" runs until the relative change falls below
        `tol` or ADMM's primal and dual residuals below 1e-4 (at most 1500,
        :data:`restore.solvers.MAX_ITERATIONS`).
    tol : float, optional
        Stop once an iteration changes the estimate by less than this,
        relative to its size (checked every 5 iterations, on a regular
        lattice of at least 65 536 pixels: every pixel of smaller images), at
        any iteration count. Default None: 3e-4 (1e-4 for volumes; a third
        of it for images with an unknown boundary) with
        ``iterations="auto"``, twice that in a 2-D
        image's final solve after the automatic λ search (it starts near its
        end: :data:`FINAL_TOL_FACTOR`); no such rule otherwise.
    rho : float, optional
        ADMM penalty (dimensionless); it changes how fast the iterations
        converge, not their solution. Default: λ / (2.5 σ̂), a shrinkage
        threshold λ/ρ of 2.5 noise levels (:func:`default_penalty`).
    %(boundary_iterative)s
    %(channel_axis)s
    %(callback)s
    %(return_info)s

    %(returns)s

    Notes
    -----
    Unlike the other solvers, ``boundary="auto"`` also takes "unknown" in a
    volume where the PSF is longer than half of it on an axis
    (:func:`restore.operators.psf_spans_image`: a stack a few PSF lengths
    deep or thinner, whose light comes largely from beyond its planes), with
    no mirrored-out copy of a stack thinner than its PSF: +0.15 to +6.7 dB on
    18 fluorescence volumes, in 2.6–5× the time. (In images, as for every
    iterative solver, a PSF longer than 0.04 of the side: +0.13 to +20.9
    dB on 36 photo crops of 48²–256², where the mirror put 8 below the
    observation.)

    Examples
    --------
    >>> import restore
    >>> from skimage import data
    >>> f = restore.blur(data.camera()[::4, ::4] / 255.0, restore.psf.gaussian(1.0))
    >>> x = restore.tv(f, "gauss:1", lam=0.005)
    """
    check_boundary(boundary, ("auto",) + ITERATIVE_BOUNDARIES)
    lam = check_number("lam", lam, bound="positive", words=("auto",))
    isotropic = check_flag("isotropic", isotropic)
    if not (isinstance(nonnegative, str) and nonnegative == "auto"):
        nonnegative = check_flag("nonnegative", nonnegative)
    iterations = check_integer("iterations", iterations, words=("auto",))
    tol = check_number("tol", tol, bound="positive", words=(None,))
    if rho is not None:
        rho = check_number("rho", rho, bound="positive")

    def core(f, h, xp):
        sigma = params.noise_level(f, h)
        mode = resolve_boundary(boundary, h, asymmetric="smooth", image=f, sigma=sigma,
                                spanning="unknown")
        return with_unknown_retry(boundary, mode, f.ndim,
                                  lambda m, retry: restore_on(f, h, xp, sigma, m, retry))

    def restore_on(f, h, xp, sigma, mode, retry):
        domain = WorkDomain(h, f, mode, dct=True)
        signed = params.looks_signed(f, sigma)
        constrain = not signed if nonnegative == "auto" else nonnegative
        if constrain and signed:
            warnings.warn(
                f"tv: nonnegative=True on signed data (values {float(f.min()):.3g} to "
                f"{float(f.max()):.3g}) sets their negative part to 0; pass "
                "nonnegative=False (--allow-negative) to keep it", UserWarning, stacklevel=4)
        solver = _TVADMM(domain, isotropic=isotropic, nonnegative=constrain, xp=xp)
        auto = iterations == "auto"
        change_tol = tol
        if change_tol is None and auto:
            change_tol = CHANGE_TOL if f.ndim < 3 else CHANGE_TOL_3D
            if domain.mask is not None and f.ndim < 3:  # the unseen border moves on slowly
                change_tol /= 3
        residual_rule = solver.residuals_below(RESIDUAL_TOL) if auto else None
        check_every = RESIDUAL_EVERY if change_tol is not None or auto else HISTORY_EVERY
        loops = []

        def penalty(lam_value):
            return rho if rho is not None else default_penalty(lam_value, sigma)

        def solve(lam_value, warm, count, cb=None, final=False):
            loop_tol = change_tol
            if final and warm is not None and tol is None and auto and f.ndim == 2:
                loop_tol = change_tol * FINAL_TOL_FACTOR
            loops.append(Iteration("tv", iterations=count, tol=loop_tol, callback=cb,
                                   stop=residual_rule))
            return solver.run(lam_value, penalty(lam_value), warm, loops[-1],
                              check_every=check_every)

        def trial(lam_value, warm):
            count = SEARCH_ITERATIONS if warm is None else SEARCH_WARM_ITERATIONS
            return solve(lam_value, warm, trial_iterations(count, domain))[0]

        limit = MAX_ITERATIONS["tv"] if auto else iterations
        outcome = regularised_solve(
            "tv", lam, sigma, domain, trial=trial, callback=callback,
            final=lambda lam_value, warm, cb: solve(lam_value, warm, limit, cb, final=True),
            start=0.5, correction=DISCREPANCY_CORRECTION,
            retry_unreached=retry)
        if outcome is None:  # the search could not fit the data with this border
            return None
        x, k, reason, chosen = outcome
        parameters = {**chosen, "rho": penalty(chosen["lam"]), "sigma": sigma, "isotropic": isotropic,
                      "nonnegative": constrain, "boundary": mode}
        return x, parameters, k, reason, loops[-1].history

    return run_solver("tv", core, image, psf, channel_axis=channel_axis,
                      return_info=return_info,
                      unknown=lambda shape, k: solved_unknown(boundary, k, shape))


def default_penalty(lam, sigma):
    """The ADMM penalty ρ for weight `lam` on data of noise level `sigma`:
    λ / (:data:`THRESHOLD_IN_NOISE_LEVELS` σ̂), within :data:`PENALTY_RANGE`.

    Examples
    --------
    >>> default_penalty(0.0005, 0.01)  # a photo's λ: ρ = 0.02
    0.02
    """
    low, high = PENALTY_RANGE
    return min(max(lam / (THRESHOLD_IN_NOISE_LEVELS * max(sigma, 1e-30)), low), high)


class _TVADMM:
    """ADMM state for one work domain; `run` solves for one λ (warm-startable).

    The split variables are kept in a compact form: per gradient axis
    v = ∇x + u, the point the shrinkage acts on, so that z = v·factor and
    u = v·(1 − factor) with factor = max(1 − τ/|v|, 0), τ = λ/ρ (|v| the
    pixel's gradient magnitude for isotropic TV); for x ≥ 0 one array
    v₊ = x + u₊ with z₊ = max(v₊, 0), u₊ = min(v₊, 0). That is ndim + 1
    arrays instead of 2·ndim + 2. The factors are recomputed from v in each
    row block where they are needed (two or three times an iteration, in
    cache) rather than stored: a whole array less. Every pixel-wise update runs in row
    blocks on the FFT threads, in one pass through cache per block.
    """

    def __init__(self, domain, *, isotropic, nonnegative, xp):
        self.domain, self.isotropic, self.nonnegative, self.xp = domain, isotropic, nonnegative, xp
        # axes mirrored by a DCT: their last difference is 0 (no wrap), so the
        # duals there stay 0 and the divergence's wrap terms vanish with them
        self.mirrored = domain.op.cosine_axes
        self._inverse_denominator = None  # ((ρ, data weight), ρ/denominator), once per ρ
        self.residuals = (math.inf, math.inf)
        self.change = math.inf  # ‖x_k − x_{k−1}‖ / ‖x_k‖ at the last residual check
        self._adjoint_data = None
        self._state = None  # (estimate, τ, ADMM state) of the last run, for a warm start

    def residuals_below(self, tol):
        """Stopping rule: "residuals" when ADMM's relative primal and dual
        residuals (at the last check) are both below `tol`."""
        def stop(k, estimate):
            primal, dual = self.residuals
            return "residuals" if primal < tol and dual < tol else None
        return stop

    def inverse_denominator(self, rho, data_weight):
        """ρ / (a|H|² + ρ|D|² [+ ρ]) of the x-update, once per (ρ, a)."""
        key = (rho, data_weight)
        if self._inverse_denominator is None or self._inverse_denominator[0] != key:
            self._inverse_denominator = None  # free the old one first
            xp, op = self.xp, self.domain.op
            power = op.power()
            denominator = (difference_power(op.shape, xp, op.dtype, op.cosine_axes)
                           * power.dtype.type(rho))
            power *= power.dtype.type(data_weight)
            denominator = denominator + power  # broadcasts to the full half spectrum
            del power
            if self.nonnegative:
                denominator += denominator.dtype.type(rho)
            xp.divide(denominator.dtype.type(rho), denominator, out=denominator)
            self._inverse_denominator = (key, denominator)
        return self._inverse_denominator[1]

    def scaled_adjoint_data(self, rho):
        """Hᵀf/ρ on the work grid (periodic), once per ρ: the x-update's constant part."""
        if self._adjoint_data is None:
            op = self.domain.op
            data = op.from_spectrum(op.spectrum(self.domain.data), adjoint=True)
            data *= data.dtype.type(1 / rho)
            self._adjoint_data = (rho, data)
        old_rho, data = self._adjoint_data
        if old_rho != rho:  # each trial λ of the search has its own ρ: rescale in place
            data *= data.dtype.type(old_rho / rho)
            self._adjoint_data = (rho, data)
        return data

    def _start(self, threshold, warm):
        """(v, v₊, cold, x): the state `warm` ended in, or a cold start from an estimate.

        A cold start is z = ∇x, u = 0, so v = ∇x with factors 1 until its
        first update (`cold`). A warm start at another λ scales the duals u by
        the ratio of the thresholds τ = λ/ρ: at the solution u = τ·(a
        subgradient of TV), so this keeps them near it; v' = z + ratio·u
        shrinks at the new threshold to the same z. Only the last run's state
        is kept, and a warm start takes it over in place (the discrepancy
        search warm-starts each trial from the one before; copies would hold
        ndim + 1 more work arrays): an estimate of an earlier run starts cold
        from itself. `x` is the estimate the blur split z₀ = Hx starts from
        (an unknown boundary only).
        """
        xp, dtype = self.xp, self.domain.op.dtype
        saved, self._state = self._state, None
        if warm is not None and saved is not None and saved[0] is warm:
            _, old_threshold, (v, v_pos, x) = saved
            ratio = threshold / old_threshold

            def rescale(start, stop):
                block = slice(start, stop)
                # z = v·fac stays, u = v·(1 − fac) scales: v' = v·(ratio + fac·(1 − ratio))
                scales = self._factors(v, block, old_threshold)
                for scale in scales:  # isotropic: one array for every axis, scaled once
                    scale *= 1 - ratio
                    scale += ratio
                for a, c in enumerate(v):
                    c[block] *= scales[0 if self.isotropic else a]
                if v_pos is not None:  # v₊' = max(v₊, 0) + ratio·min(v₊, 0)
                    negative = xp.minimum(v_pos[block], 0)
                    negative *= ratio - 1
                    v_pos[block] += negative

            row_blocks(rescale, v[0])
            return v, v_pos, False, x
        x = (self.domain.initial if warm is None else warm).astype(dtype, copy=True)
        v = [_difference(x, a, xp, self.mirrored) for a in range(x.ndim)]
        v_pos = x if self.nonnegative else None  # x itself is not kept: v₊ takes it
        return v, v_pos, True, x

    def _factors(self, v, block, threshold):
        """The shrinkage factors max(1 − τ/|v|, 0) of rows `block` of v: one
        array for isotropic TV (|v| the gradient magnitude), one per axis otherwise."""
        xp = self.xp
        # |v| is raised to τ first, so 1 − τ/|v| is 0 where |v| < τ without a
        # clip at 0 (a pass less; the same factors: sqrt(fl(τ²)) is τ)
        if self.isotropic:
            magnitude = v[0][block] * v[0][block]
            for c in v[1:]:
                magnitude += c[block] * c[block]
            xp.maximum(magnitude, max(threshold * threshold, 1e-30), out=magnitude)
            xp.sqrt(magnitude, out=magnitude)
            factors = [magnitude]
        else:
            factors = [xp.maximum(xp.abs(c[block]), threshold) for c in v]
        for fac in factors:
            xp.divide(threshold, fac, out=fac)
            xp.subtract(1, fac, out=fac)
        return factors

    def run(self, lam, rho, warm, loop, *, check_every=1):
        """Iterate `loop` at weight `lam` from `warm` (an estimate, or None: the
        domain's first estimate); returns ``(estimate, iterations, stop reason)``."""
        xp, domain = self.xp, self.domain
        op, f, mask = domain.op, domain.data, domain.mask
        dtype = np.dtype(op.dtype).type
        threshold = dtype(lam / rho)
        v, v_pos, cold, x = self._start(threshold, warm)
        shape = v[0].shape
        ndim, rows = len(shape), shape[0]
        if mask is not None:
            z_blur = op.apply(x)
            u_blur = xp.zeros_like(z_blur)
            data_weight = rho
            scaled_data = None
        else:
            data_weight = 1.0
            scaled_data = self.scaled_adjoint_data(rho)
        del x  # v₊ may hold its buffer; the iterations need no more of it
        inverse_denominator = self.inverse_denominator(rho, data_weight)
        counter = {"k": 0}
        # factors 1 until the first update; a sample of the iterate before a check
        state = {"cold": cold, "sample": None}
        sampled = _change_sample(self.domain.window)
        # a small grid's factors, from the right-hand side's pass to the v-update's
        kept = {} if v[0].size <= KEEP_FACTORS_ELEMENTS else None

        def factors_of(block, keep=False):
            if state["cold"]:
                return None
            if kept is not None and (block.start, block.stop) in kept:
                return kept.pop((block.start, block.stop))
            factors = self._factors(v, block, threshold)
            if keep and kept is not None:
                kept[(block.start, block.stop)] = factors
            return factors

        def factor(factors, a):
            return 1.0 if factors is None else factors[0 if self.isotropic else a]

        def rhs_block(rhs, start, stop):
            # rhs/ρ = −div(z − u) [+ z₊ − u₊] [+ Hᵀf/ρ], with z − u = v·(2·factor − 1)
            # (ρ itself goes into the Fourier-domain division)
            block = slice(start, stop)
            out = rhs[block]
            factors = factors_of(block, keep=True)  # v is the same in update_block
            for a in range(ndim):
                w = v[a][block] * factor(factors, a)
                w *= 2
                w -= v[a][block]
                if a == 0:  # the row before the block (periodic)
                    previous = (start - 1) % rows
                    row = slice(previous, previous + 1)
                    before = v[0][row] * factor(factors_of(row), 0)
                    before *= 2
                    before -= v[0][row]
                    xp.subtract(w[:-1], w[1:], out=out[1:])
                    out[0] = before[0] - w[0]
                else:
                    first, rest = _along(ndim, a, slice(0, 1)), _along(ndim, a, slice(1, None))
                    head, last = _along(ndim, a, slice(None, -1)), _along(ndim, a, slice(-1, None))
                    out[rest] += w[head]
                    out[rest] -= w[rest]
                    out[first] += w[last]
                    out[first] -= w[first]
            if self.nonnegative:
                out += xp.abs(v_pos[block])
            if scaled_data is not None:
                out += scaled_data[block]

        def update_block(start, stop, x_new, check):
            # v ← ∇x + u with u = v·(1 − factor); sums for the residuals
            block = slice(start, stop)
            primal = dual = 0.0
            z_old = []
            factors = factors_of(block)
            for a in range(ndim):
                va = v[a][block]
                fa = factor(factors, a)
                if check:
                    z_old.append(va * fa)
                va *= 1 - fa
                va += _difference_rows(x_new, a, start, stop, xp, self.mirrored)
            if check:
                factors = self._factors(v, block, threshold)
                for a in range(ndim):
                    z = v[a][block] * factor(factors, a)
                    # ∇x − z = u_new − u_old; u_new = v − z
                    gz = _difference_rows(x_new, a, start, stop, xp, self.mirrored) - z
                    primal += float((gz * gz).sum())
                    z -= z_old[a]
                    dual += float((z * z).sum())
            xb = x_new[block]
            if self.nonnegative:
                vp = v_pos[block]
                if check:
                    z_old_pos = xp.maximum(vp, 0)
                xp.minimum(vp, 0, out=vp)
                vp += xb
                if check:
                    z_new_pos = xp.maximum(vp, 0)
                    d = xb - z_new_pos
                    primal += float((d * d).sum())
                    z_new_pos -= z_old_pos
                    dual += float((z_new_pos * z_new_pos).sum())
            if not check:
                return 0.0, 0.0, 0.0
            return primal, dual, float((xb * xb).sum())

        def step():
            nonlocal z_blur, u_blur
            counter["k"] += 1
            if kept:
                kept.clear()
            check = (bool(check_every) and counter["k"] % check_every == 0
                     and state["sample"] is not None)
            # the right-hand side, its spectrum and the new x share one array's memory
            rhs = op.work_array()
            row_blocks(lambda a, b: rhs_block(rhs, a, b), rhs)
            spectrum = op.spectrum(rhs, overwrite=True)
            del rhs
            if mask is not None:
                blur_spectrum = op.spectrum(z_blur - u_blur)
                blur_spectrum *= op.conjugate_otf()
                blur_spectrum *= data_weight / rho  # the division multiplies by ρ
                spectrum += blur_spectrum
                del blur_spectrum
            x_new = op.from_spectrum(spectrum, transfer=inverse_denominator, in_place=True)
            del spectrum
            sums = row_blocks(lambda a, b: update_block(a, b, x_new, check), x_new)
            state["cold"] = False
            primal, dual, scale = (sum(column) for column in zip(*sums))
            scale += 1e-30
            # read before the sample is replaced by this iterate's
            change = _sampled_change(x_new[sampled], state["sample"], xp) if check else math.inf
            # the iterate before a check is kept as a sample only, not a whole array
            state["sample"] = (x_new[sampled].copy()
                               if check_every and (counter["k"] + 1) % check_every == 0 else None)
            if mask is not None:
                hx = op.apply(x_new)
                vb = hx + u_blur
                new = (mask * f + data_weight * vb) / (mask + data_weight)
                if check:
                    primal += float(((hx - new) ** 2).sum())
                    dual += float(((new - z_blur) ** 2).sum()) * (data_weight / rho) ** 2
                u_blur = vb - new
                z_blur = new
            if check:
                self.residuals = (math.sqrt(primal / scale), rho * math.sqrt(dual / scale))
            else:
                self.residuals = (math.inf, math.inf)
            self.change = change
            if not check:
                return x_new, None
            return x_new, self.change, {"primal_residual": self.residuals[0],
                                        "dual_residual": self.residuals[1]}

        estimate, k, reason = loop.run(step, xp)
        if self.nonnegative:  # x meets x ≥ 0 only in the limit; return the projection
            # in the last iterate's own memory where nothing else holds it: no
            # callback kept it, no blur split goes on from the unprojected one
            if mask is None and loop.callback is None:
                projected = xp.maximum(estimate, 0, out=estimate)
            else:
                projected = xp.maximum(estimate, 0)
        else:
            projected = estimate
        # the ADMM state this solution ended in, for a warm start at another λ;
        # the unprojected estimate only where the blur split starts from it
        blur_start = estimate if mask is not None else None
        del estimate
        self._state = (projected, threshold, (v, v_pos, blur_start))
        return projected, k, reason


#: Grids of up to this many elements keep the shrinkage factors of v from
#: the right-hand side's pass to the v-update after the solve instead of
#: computing them twice (v does not change in between): 600 iterations at
#: 512², where the element-wise work is ~3× the FFT pair, 3.5 % less wall
#: time for the whole process (median of 9 paired runs). Larger grids
#: recompute them: keeping them is a whole array at the peak (4096²: 8.9×
#: the input instead of 7.9×).
KEEP_FACTORS_ELEMENTS = 2**21


#: The relative change of `tol` is read on a regular lattice of at least
#: this many pixels (every pixel of a smaller grid): keeping the previous
#: iterate for it would hold a whole work array through the next step.
CHANGE_SAMPLE = 2**16


def _change_sample(window):
    """The index of a lattice of :data:`CHANGE_SAMPLE` pixels or more in the
    field of view `window` (slices of the work grid: the unseen border of
    "unknown" drifts on long after the image has settled), with at least 16
    points along each axis that long (a thin stack's planes are all read)."""
    lengths = [w.stop - w.start for w in window]
    step = max(1, int((math.prod(lengths) / CHANGE_SAMPLE) ** (1 / len(lengths))))
    return tuple(slice(w.start, w.stop, min(step, max(1, n // 16)))
                 for w, n in zip(window, lengths))


def _sampled_change(new, old, xp):
    """‖new − old‖ / ‖new‖ of two samples of the iterates."""
    difference = new - old
    norm = float(xp.sqrt((new * new).sum()))
    return float(xp.sqrt((difference * difference).sum())) / (norm + 1e-30)


def _along(ndim, axis, index):
    return (slice(None),) * axis + (index,) + (slice(None),) * (ndim - axis - 1)


def _difference(x, axis, xp, mirrored=()):
    """Periodic forward difference along `axis` (slices, no rolled copy); on a
    `mirrored` axis the last one is 0 (the mirror repeats the edge)."""
    out = xp.empty_like(x)
    n = x.shape[axis]
    xp.subtract(x[_along(x.ndim, axis, slice(1, None))], x[_along(x.ndim, axis, slice(0, n - 1))],
                out=out[_along(x.ndim, axis, slice(0, n - 1))])
    last = out[_along(x.ndim, axis, slice(n - 1, n))]
    if axis in mirrored:
        last[...] = 0
    else:
        xp.subtract(x[_along(x.ndim, axis, slice(0, 1))], x[_along(x.ndim, axis, slice(n - 1, n))],
                    out=last)
    return out


def _difference_rows(x, axis, start, stop, xp, mirrored=()):
    """Rows start:stop of :func:`_difference` of `x` along `axis`."""
    rows = x.shape[0]
    if axis:
        return _difference(x[start:stop], axis, xp, mirrored)
    out = xp.empty_like(x[start:stop])
    inner = min(stop, rows - 1)
    xp.subtract(x[start + 1:inner + 1], x[start:inner], out=out[:inner - start])
    if stop == rows:  # the last row wraps round to the first, or (mirrored) is 0
        if 0 in mirrored:
            out[rows - 1 - start:] = 0
        else:
            xp.subtract(x[:1], x[rows - 1:], out=out[rows - 1 - start:])
    return out
