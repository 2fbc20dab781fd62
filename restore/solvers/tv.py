"""Total-variation deconvolution by ADMM.

    minimise_x  ½‖M(Hx) − f‖² + λ TV(x)   (+ x ≥ 0)

split as z₁ = ∇x, z₂ = x (non-negativity) and, when part of the scene is
unobserved (boundary "unknown", mask M), z₀ = Hx (Almeida & Figueiredo 2013).
Every sub-problem is closed-form: the x-update is diagonal in the Fourier
domain (H and ∇ are periodic on the work grid), the z-updates are pixel-wise.
"""

import math
import warnings

from .. import params
from .._backend import irfftn, rfftn
from ..operators import WorkDomain, check_boundary, resolve_boundary
from ._fourier import ITERATIVE_BOUNDARIES, difference_power
from ._framework import (
    flag_search_limit,
    Iteration,
    check_flag,
    check_iterations,
    check_positive,
    cropped_callback,
    run_solver,
)
from .regularizers import divergence, gradient

#: Iterations per trial λ while the discrepancy principle searches.
SEARCH_ITERATIONS = 60
#: Morozov's λ over-smooths TV: TV flattens texture as well as noise, so the
#: best estimate fits the data more closely than the noise level. The automatic
#: λ is this fraction of the discrepancy principle's, measured on camera and
#: astronaut (gauss:2 and motion:15,30, σ = 0.01, border cut): Morozov's λ was
#: 1.4–3.5× the best one, costing 0.1–0.96 dB.
DISCREPANCY_CORRECTION = 0.4
#: ADMM penalty: small against |H|² ≤ 1, which suits the weak TV weights of deconvolution.
DEFAULT_RHO = 0.02


def tv(image, psf, *, lam="auto", isotropic=True, nonnegative="auto", iterations="auto",
       tol=1e-4, rho=None, boundary="auto", channel_axis=None, callback=None,
       return_info=False):
    """Restore an image by total-variation regularised least squares (ADMM).

    Parameters
    ----------
    image : (M[, N[, P]]) array_like
        Observed image f, NumPy or CuPy; the result has the same type.
    psf : array_like or str
        PSF (one axis per image axis) or a spec such as ``"gauss:2"``.
    lam : float or "auto", optional
        TV weight relative to the noise: the objective's λ is
        ``lam · σ̂`` with σ̂ the noise level estimated from `image`, so the
        same `lam` suits any intensity scale. "auto" finds the λ of Morozov's
        discrepancy principle (mean squared residual = σ̂²) and uses 0.4 of
        it (:data:`DISCREPANCY_CORRECTION`: the principle over-smooths TV).
    isotropic : bool, optional
        Isotropic TV (‖∇x‖₂ per pixel, rotation-invariant) or anisotropic
        (‖∇x‖₁, favours axis-aligned edges).
    nonnegative : bool or "auto", optional
        Constrain the estimate to x ≥ 0. "auto" (default) does so for
        intensities and not for signed data (a zero-mean image, a difference
        signal: see :func:`restore.params.looks_signed`); ``True`` on signed
        data warns that the constraint removes their negative part.
    iterations : int or "auto", optional
        ADMM iterations; "auto" runs until the primal and dual residuals
        fall below `tol` (at most 300).
    tol : float, optional
        Relative primal/dual residual at which ADMM stops (Boyd et al. 2011).
    rho : float, optional
        ADMM penalty (dimensionless); default 0.02.
    boundary : {"auto", "reflect", "smooth", "periodic", "unknown"}, optional
        How the image continues past its edges (see :func:`restore.wiener`);
        "unknown" estimates the scene beyond the field of view and fits only
        the observed pixels: no ringing from the borders. "auto" (default)
        picks "reflect" for mirror-symmetric PSFs and "smooth" otherwise.
    channel_axis : int, optional
        Axis of colour channels, each restored on its own.
    callback : callable, optional
        ``callback(k, estimate)`` after each ADMM iteration of the final solve.
    return_info : bool, optional
        Also return a :class:`RestoreInfo` with λ and the iterations used.

    Returns
    -------
    estimate : ndarray
        Restored image, float32 unless `image` is float64.
    info : RestoreInfo
        Only with ``return_info=True``.

    Examples
    --------
    >>> import restore
    >>> from skimage import data
    >>> f = restore.blur(data.camera()[::4, ::4] / 255.0, restore.psf.gaussian(1.0))
    >>> x = restore.tv(f, "gauss:1", lam=0.5)
    """
    check_boundary(boundary, ("auto",) + ITERATIVE_BOUNDARIES)
    lam = check_positive("lam", lam, auto=("auto",))
    isotropic = check_flag("isotropic", isotropic)
    if not (isinstance(nonnegative, str) and nonnegative == "auto"):
        nonnegative = check_flag("nonnegative", nonnegative)
    iterations = check_iterations(iterations)
    tol = check_positive("tol", tol)
    if rho is not None:
        rho = check_positive("rho", rho)

    def core(f, h, xp):
        mode = resolve_boundary(boundary, h, asymmetric="smooth")
        domain = WorkDomain(h, f, mode)
        sigma = max(params.noise_sigma(f), 1e-4 * float(f.std()) + 1e-30)
        limit = 300 if iterations == "auto" else iterations
        signed = params.looks_signed(f, sigma)
        constrain = not signed if nonnegative == "auto" else nonnegative
        if constrain and signed:
            warnings.warn(
                f"tv: nonnegative=True on signed data (values {float(f.min()):.3g} to "
                f"{float(f.max()):.3g}) sets their negative part to 0; pass "
                "nonnegative=False (--allow-negative) to keep it", UserWarning, stacklevel=4)
        solver = _TVADMM(domain, isotropic=isotropic, nonnegative=constrain, xp=xp)

        def solve(lam_rel, warm, count, cb=None):
            penalty = rho if rho is not None else DEFAULT_RHO
            loop = Iteration("tv", iterations=count, tol=None, callback=cb,
                             stop=solver.converged(tol) if iterations == "auto" else None)
            return solver.run(lam_rel * sigma, penalty, warm, loop)

        if lam == "auto":
            def trial(lam_rel, warm):
                return solve(lam_rel, warm, SEARCH_ITERATIONS)[0]

            morozov, warm = params.discrepancy_search(
                trial, lambda x: domain.misfit(x, xp), sigma**2, 0.5)
            chosen = DISCREPANCY_CORRECTION * morozov
        else:
            chosen, warm = lam, None
        x, k, reason = solve(chosen, warm, limit, cropped_callback(callback, domain.crop))
        parameters = {"lam": chosen, "sigma": sigma, "isotropic": isotropic,
                      "nonnegative": constrain, "boundary": mode}
        if lam == "auto":
            flag_search_limit(parameters, "tv", "lam", morozov,
                              *params.DISCREPANCY_FACTOR_RANGE,
                              advice="check that the PSF and the noise level match the "
                                     "data, or give lam")
        return domain.crop(x), parameters, k, reason

    return run_solver("tv", core, image, psf, channel_axis=channel_axis,
                      return_info=return_info)


class _TVADMM:
    """ADMM state for one work domain; `run` solves for one λ (warm-startable)."""

    def __init__(self, domain, *, isotropic, nonnegative, xp):
        self.domain, self.isotropic, self.nonnegative, self.xp = domain, isotropic, nonnegative, xp
        op = domain.op
        self.otf = op.otf
        self.otf_power = (self.otf * self.otf.conj()).real
        self.d_power = difference_power(op.shape, xp, op.dtype)
        self.residuals = (math.inf, math.inf)
        self.rho_data = None

    def converged(self, tol):
        def stop(k, estimate):
            primal, dual = self.residuals
            return "tol" if primal < tol and dual < tol else None
        return stop

    def run(self, lam, rho, warm, loop):
        xp, domain = self.xp, self.domain
        op, f, mask = domain.op, domain.data, domain.mask
        shape = op.shape
        x = domain.initial.copy() if warm is None else warm.copy()
        z_grad = gradient(x, xp)
        u_grad = [xp.zeros_like(x) for _ in z_grad]
        z_pos, u_pos = (x.copy(), xp.zeros_like(x)) if self.nonnegative else (None, None)
        if mask is not None:
            z_blur, u_blur = op.apply(x), xp.zeros_like(x)
            data_weight = self.rho_data if self.rho_data else rho
            denominator = data_weight * self.otf_power + rho * self.d_power
        else:
            data_spectrum = self.otf.conj() * rfftn(f, shape)
            denominator = self.otf_power + rho * self.d_power
        if self.nonnegative:
            denominator = denominator + rho
        threshold = lam / rho

        def step():
            nonlocal x
            # x-update: (a HᵀH + ρ∇ᵀ∇ [+ ρI]) x = rhs, diagonal in Fourier
            rhs = -rho * divergence([z - u for z, u in zip(z_grad, u_grad)], xp)
            if self.nonnegative:
                rhs += rho * (z_pos - u_pos)
            spectrum = rfftn(rhs, shape)
            if mask is not None:
                spectrum += data_weight * self.otf.conj() * rfftn(z_blur - u_blur, shape)
            else:
                spectrum += data_spectrum
            x_new = irfftn(spectrum / denominator, shape)

            primal = dual = 0.0
            grads = gradient(x_new, xp)
            v = [g + u for g, u in zip(grads, u_grad)]
            new_z = _shrink(v, threshold, self.isotropic, xp)
            for i in range(len(v)):
                primal += float(((grads[i] - new_z[i]) ** 2).sum())
                dual += float(((new_z[i] - z_grad[i]) ** 2).sum())
                u_grad[i] = v[i] - new_z[i]
                z_grad[i] = new_z[i]
            if self.nonnegative:
                v = x_new + u_pos
                new = xp.maximum(v, 0)
                primal += float(((x_new - new) ** 2).sum())
                dual += float(((new - z_pos) ** 2).sum())
                u_pos[...] = v - new
                z_pos[...] = new
            if mask is not None:
                hx = op.apply(x_new)
                v = hx + u_blur
                new = (mask * f + data_weight * v) / (mask + data_weight)
                primal += float(((hx - new) ** 2).sum())
                dual += float(((new - z_blur) ** 2).sum()) * (data_weight / rho) ** 2
                u_blur[...] = v - new
                z_blur[...] = new
            scale = float((x_new * x_new).sum()) + 1e-30
            self.residuals = (math.sqrt(primal / scale), rho * math.sqrt(dual / scale))
            x = x_new
            return x_new, None

        estimate, k, reason = loop.run(step, xp)
        if self.nonnegative:  # x meets x ≥ 0 only in the limit; return the projection
            estimate = xp.maximum(estimate, 0)
        return estimate, k, reason


def _shrink(v, threshold, isotropic, xp):
    """Proximal map of threshold·‖·‖ (per-pixel ℓ2 over axes, or ℓ1)."""
    if isotropic:
        magnitude = xp.sqrt(sum(c * c for c in v))
        factor = xp.maximum(1 - threshold / xp.maximum(magnitude, 1e-30), 0)
        return [c * factor for c in v]
    return [xp.sign(c) * xp.maximum(xp.abs(c) - threshold, 0) for c in v]
