"""ℓ1-regularised deconvolution in an orthogonal wavelet basis, by FISTA.

    minimise_x  ½‖M(Hx) − f‖² + λ ‖W x‖₁   (detail coefficients only)

FISTA (Beck & Teboulle 2009): a gradient step on the data term (step 1/L,
L = max|H|² = 1 for a PSF that sums to 1), then the proximal map of the ℓ1
term, which for an orthogonal W is soft-thresholding of the coefficients.
The wavelet transform is PyWavelets, which runs on the CPU: a CuPy input is
copied to the host once, with a warning, and the result copied back.
"""

import itertools
import math
import threading
import warnings

import numpy as np
import pywt

from .._checks import check_integer, check_number
from .. import params
from .._backend import is_gpu_array, on_threads, to_gpu, to_host
from ..operators import ITERATIVE_BOUNDARIES, WorkDomain, check_boundary, resolve_boundary
from ._docs import shared_docstring
from ._framework import run_solver
from ._iterative import MAX_ITERATIONS, Iteration, regularised_solve

#: Iterations of the first trial λ of the discrepancy search, and of each
#: later one (which resumes FISTA from the trial before).
SEARCH_ITERATIONS = 40
SEARCH_WARM_ITERATIONS = 20
#: Iterations the warm-started final solve runs at least (see `solve`).
FINAL_MINIMUM = 40
#: Work grids up to this many pixels transform their shifts on the FFT threads
#: at once; larger ones one after another, which holds fewer arrays at a time
#: (4096²: 20× the input's size at the peak with 2 threads at once).
THREADED_PIXELS = 2**22
#: Cycle-spin shifts while the search runs (the final solve uses SHIFTS).
SEARCH_SHIFTS = 1
#: Automatic λ = this fraction of Morozov's (which over-smooths, as for TV;
#: measured on camera and astronaut, gauss:2 and motion:15,30, σ = 0.01 and
#: Poisson peak 100: the best λ was 0.4–0.8 of Morozov's).
DISCREPANCY_CORRECTION = 0.5
#: Grid shifts averaged in each thresholding step (cycle spinning).
SHIFTS = 4
#: 3-D inputs with at least this many voxels get a warning that the solver
#: is 2-D-first (32×64×64 took 772 s to its iteration cap).
VOLUME_WARNING_VOXELS = 2**16
#: Decomposition levels of levels="auto" (fewer where the image is too small).
DEFAULT_LEVELS = 3
#: The `tol` of iterations="auto" when none is given.
AUTO_TOL = 1e-3


@shared_docstring
def wavelet(image, psf, *, lam="auto", wavelet_name="db4", levels="auto", iterations="auto",
            tol=None, boundary="auto", channel_axis=None, callback=None,
            return_info=False):
    """Restore an image by wavelet-sparse (ℓ1) regularisation, solved by FISTA.

    Parameters
    ----------
    image : (M[, N[, P]]) array_like
        Observed image f. NumPy; a CuPy array is moved to the host with a
        warning (PyWavelets runs on the CPU) and the result moved back.
    %(psf)s
    lam : float or "auto", optional
        The weight λ of the objective above, in the image's units (the ℓ1
        norm grows with the intensity scale, the data term with its square:
        twice the image, twice λ). "auto" (default) finds the λ of the
        discrepancy principle (mean squared residual = σ̂², the noise level
        estimated from `image`) and uses half of it
        (:data:`DISCREPANCY_CORRECTION`); the info reports the λ used.
    wavelet_name : str, optional
        An orthogonal PyWavelets wavelet ("haar", "db2"…"db8", "sym4"…).
    levels : int or "auto", optional
        Decomposition levels, at most what the image's size allows with the
        wavelet's filter (PyWavelets' ``dwt_max_level``); "auto" (default)
        is 3, or fewer where the image is too small.
    iterations : int or "auto", optional
        FISTA iterations; "auto" runs until the relative change is below
        `tol` (at most 200, :data:`restore.solvers.MAX_ITERATIONS`).
    tol : float, optional
        Stop once an iteration changes the estimate by less than this,
        relative to its size, at any iteration count. Default None: 1e-3
        with ``iterations="auto"``, no such rule otherwise.
    %(boundary_iterative)s
    %(channel_axis)s
    %(callback)s
    %(return_info)s

    %(returns)s

    Notes
    -----
    2-D first: each iteration costs one FFT pair and 4 wavelet transforms
    with their inverses (cycle spinning), which dominate. 3-D volumes work
    but take minutes (a warning says so from 2¹⁶ voxels); TV or
    Richardson–Lucy suit volumes better.

    Examples
    --------
    >>> import restore
    >>> from skimage import data
    >>> f = restore.blur(data.camera()[::4, ::4] / 255.0, restore.psf.gaussian(1.0))
    >>> x = restore.wavelet(f, "gauss:1", lam=0.005, iterations=30)
    """
    check_boundary(boundary, ("auto",) + ITERATIVE_BOUNDARIES)
    lam = check_number("lam", lam, bound="positive", words=("auto",))
    iterations = check_integer("iterations", iterations, words=("auto",))
    tol = check_number("tol", tol, bound="positive", words=(None,))
    family = pywt.Wavelet(wavelet_name) if wavelet_name in pywt.wavelist(kind="discrete") else None
    if family is None or not family.orthogonal:
        raise ValueError(
            f"wavelet_name={wavelet_name!r} is not an orthogonal PyWavelets wavelet; "
            "use e.g. 'haar', 'db4' or 'sym4'"
        )
    levels = check_integer("levels", levels, words=("auto",))

    if np.ndim(image) - (channel_axis is not None) >= 3 and np.size(image) >= VOLUME_WARNING_VOXELS:
        warnings.warn(
            "restore.wavelet is 2-D-first: on a 3-D volume every iteration runs "
            f"{SHIFTS} 3-D wavelet transforms and their inverses on the CPU, minutes "
            "where restore.tv or restore.richardson_lucy take seconds; consider those, "
            "or restore the volume plane by plane",
            RuntimeWarning, stacklevel=2)
    on_gpu = is_gpu_array(image)
    if on_gpu:
        warnings.warn(
            "restore.wavelet runs on the CPU (PyWavelets): the image is copied to the "
            "host and the result back to the GPU",
            RuntimeWarning,
            stacklevel=2,
        )
        image = to_host(image)

    def core(f, h, xp):
        sigma = params.noise_level(f, h)
        mode = resolve_boundary(boundary, h, asymmetric="smooth", image=f, sigma=sigma)
        axes, usable = _transform_plan(f.shape, family, wavelet_name, levels)
        domain = WorkDomain(h, f, mode, shape_multiple=2**usable)
        solver = _WaveletFISTA(domain, family, usable, xp, axes)
        auto = iterations == "auto"
        change_tol = AUTO_TOL if tol is None and auto else tol
        loops = []

        def solve(lam_value, warm, count, cb=None, shifts=None, resume=False):
            # A search trial resumes FISTA where the last trial stopped
            # (momentum included). The final solve restarts the momentum from
            # the search's estimate, whose first steps are small, and runs at
            # least FINAL_MINIMUM iterations: FISTA's PSNR peaks and falls
            # again along the way, and λ's correction was fitted to this rule.
            loops.append(Iteration("wavelet", iterations=count, callback=cb, tol=change_tol,
                                   min_iterations=1 if warm is None or resume
                                   else FINAL_MINIMUM))
            return solver.run(lam_value, warm, loops[-1], shifts=shifts, resume=resume)

        def trial(lam_value, warm):
            return solve(lam_value, warm,
                         SEARCH_ITERATIONS if warm is None else SEARCH_WARM_ITERATIONS,
                         shifts=SEARCH_SHIFTS, resume=True)[0]

        limit = MAX_ITERATIONS["wavelet"] if auto else iterations
        x, k, reason, chosen = regularised_solve(
            "wavelet", lam, sigma, domain, trial=trial, callback=callback,
            final=lambda lam_value, warm, cb: solve(lam_value, warm, limit, cb),
            start=1.0, correction=DISCREPANCY_CORRECTION)
        parameters = {**chosen, "sigma": sigma, "wavelet": wavelet_name,
                      "levels": usable, "boundary": mode}
        return x, parameters, k, reason, loops[-1].history

    result = run_solver("wavelet", core, image, psf, channel_axis=channel_axis,
                        return_info=return_info)
    if not on_gpu:
        return result
    if return_info:
        return to_gpu(result[0]), result[1]
    return to_gpu(result)


def _transform_plan(shape, family, wavelet_name, levels):
    """The axes to transform and the number of levels, for an image of `shape`.

    Only axes long enough for one level of the filter are transformed (a
    1×N image is a signal; a thin stack is transformed in-plane). An image
    too small for even one level on any axis gets one level on every axis
    longer than a pixel (periodisation wraps the filter around).
    """
    depth = {a: pywt.dwt_max_level(n, family.dec_len) for a, n in enumerate(shape)}
    axes = tuple(a for a, d in depth.items() if d >= 1)
    if axes:
        deepest = min(depth[a] for a in axes)
    else:
        axes = tuple(a for a, n in enumerate(shape) if n > 1) or (0,)
        deepest = 1
    if levels == "auto":
        return axes, min(DEFAULT_LEVELS, deepest)
    if levels > deepest:
        raise ValueError(
            f"levels={levels} is more than an image of shape {tuple(shape)} allows with "
            f"{wavelet_name!r} (at most {deepest}); give fewer levels or 'auto'")
    return axes, int(levels)


class _WaveletFISTA:
    def __init__(self, domain, family, levels, xp, axes):
        self.domain, self.family, self.levels, self.xp = domain, family, levels, xp
        self.axes = axes
        period = 2**levels
        # shifts spread over the dyadic period on every axis (0, p/2, p/4, 3p/4 ...)
        self.shifts = [tuple((k * period // SHIFTS + a * (period // 2)) % period
                             for a in range(domain.op.psf.ndim)) for k in range(SHIFTS)]
        self._adjoint_data = None
        self._state = None  # (x, y, t) where the last run ended, for a resumed run
        self._turn = threading.Condition()

    def _prox(self, x, threshold, shifts):
        # Cycle spinning: the average of the thresholding over a fixed set of
        # grid shifts (a shift-invariant prior at a few transforms' cost). An
        # average of proximal maps is still firmly non-expansive, so FISTA
        # stays stable and deterministic. The shifts run on the FFT threads
        # (PyWavelets releases the GIL) and add into one total.
        total = np.zeros_like(x)
        turn = {"next": 0}

        def one(item):
            index, shift = item
            shifted = _roll(x, shift) if any(shift) else x
            out = self._threshold(shifted, threshold)
            with self._turn:  # add in shift order: the same float sums every run
                self._turn.wait_for(lambda: turn["next"] == index)
                _add_rolled(total, out, [-s for s in shift])
                turn["next"] += 1
                self._turn.notify_all()

        items = list(enumerate(shifts))
        if x.size > THREADED_PIXELS:  # each thread holds a transform's worth of arrays
            for item in items:
                one(item)
        else:
            on_threads(one, items)
        total *= total.dtype.type(1 / len(shifts))
        return total

    def _threshold(self, x, threshold):
        # A periodic work grid is the image itself, whose sides need not be
        # multiples of 2^levels as "periodization" needs: wrap it up to one.
        period = 2**self.levels
        pad = [(0, -n % period if a in self.axes else 0) for a, n in enumerate(x.shape)]
        padded = np.pad(x, pad, mode="wrap") if any(p for _, p in pad) else x
        out = self._threshold_grid(padded, threshold)
        return out[tuple(slice(0, n) for n in x.shape)] if padded is not x else out

    def _threshold_grid(self, x, threshold):
        with warnings.catch_warnings():
            # "Level value too high": boundary effects, which periodisation wraps
            warnings.filterwarnings("ignore", message="Level value", category=UserWarning)
            coeffs = pywt.wavedecn(x, self.family, mode="periodization", level=self.levels,
                                   axes=self.axes)
        threshold = x.dtype.type(threshold)
        for details in coeffs[1:]:  # the coarse approximation is not penalised
            for c in details.values():  # soft thresholding, in place
                magnitude = np.abs(c)
                magnitude -= threshold
                np.maximum(magnitude, 0, out=magnitude)
                np.copysign(magnitude, c, out=c)
        out = pywt.waverecn(coeffs, self.family, mode="periodization", axes=self.axes)
        return out.astype(x.dtype, copy=False)

    def scaled_adjoint_data(self, step_size):
        """step·Hᵀf on the periodic work grid, once (the gradient's constant part)."""
        if self._adjoint_data is None:
            op = self.domain.op
            data = op.from_spectrum(op.spectrum(self.domain.data), adjoint=True)
            data *= data.dtype.type(step_size)
            self._adjoint_data = data
        return self._adjoint_data

    def run(self, lam, warm, loop, *, shifts=None, resume=False):
        shifts = self.shifts if shifts is None else self.shifts[:shifts]
        xp, domain = self.xp, self.domain
        op, f, mask = domain.op, domain.data, domain.mask
        step_size = 1.0 / max(float(xp.abs(op.otf).max()) ** 2, 1e-12)
        # The iterations never write into x or y (each step makes new ones),
        # so a start shares the arrays it starts from: no copies.
        saved, self._state = self._state, None
        if resume and warm is not None and saved is not None and saved[0] is warm:
            # go on from where that λ's iterations stopped, momentum and all
            x, y, t = saved
        else:
            x = domain.initial if warm is None else warm
            y, t = x, 1.0
        del saved
        if mask is None:
            # ∇ of ½‖Hy − f‖² = HᵀH y − Hᵀf: one FFT pair with |H|² (H periodic)
            normal = op.power()
            normal *= normal.dtype.type(step_size)
            scaled_data = self.scaled_adjoint_data(step_size)

        def step():
            nonlocal x, y, t
            if mask is None:
                descent = op.from_spectrum(op.spectrum(y), transfer=normal)
                np.subtract(y, descent, out=descent)
                descent += scaled_data
            else:
                residual = op.apply(y) - f
                residual *= mask
                descent = y - step_size * op.adjoint(residual)
            x_new = self._prox(descent, lam * step_size, shifts)
            del descent
            t_new = (1 + math.sqrt(1 + 4 * t * t)) / 2
            # y = x_new + ((t − 1)/t_new)(x_new − x), in place in one new array
            # (x itself went to the callback: it is not overwritten)
            y = x_new - x
            y *= y.dtype.type((t - 1) / t_new)
            y += x_new
            change = _relative_norm(y, x_new, t, t_new, xp)
            x, t = x_new, t_new
            return x_new, change

        estimate, k, reason = loop.run(step, xp)
        self._state = (estimate, y, t)
        return estimate, k, reason


def _relative_norm(y, x_new, t, t_new, xp):
    """‖x_new − x_old‖/‖x_old‖ from y = x_new + c(x_new − x_old), c = (t − 1)/t_new.

    x_new − x_old = (y − x_new)/c; with c = 0 (the first step) the change is
    unknown here: inf, so that no stopping rule fires on it.
    """
    c = (t - 1) / t_new
    if c == 0:
        return math.inf
    difference = float(xp.linalg.norm((y - x_new).ravel())) / c
    norm_new = float(xp.linalg.norm(x_new.ravel()))
    return difference / max(norm_new, 1e-30)


def _roll(x, shift):
    return np.roll(x, shift, axis=tuple(range(x.ndim)))


def _add_rolled(total, x, shift):
    """total += np.roll(x, shift), by slices (no rolled copy)."""
    pieces = [[(slice(s, None), slice(None, n - s)), (slice(None, s), slice(n - s, None))]
              if s else [(slice(None), slice(None))]
              for s, n in zip((s % n for s, n in zip(shift, x.shape)), x.shape)]
    for combination in itertools.product(*pieces):
        target = tuple(c[0] for c in combination)
        source = tuple(c[1] for c in combination)
        total[target] += x[source]
