"""Richardson–Lucy: maximum-likelihood deconvolution under Poisson noise.

Plain RL, Biggs–Andrews acceleration, the total-variation regularised RL of
Dey et al. (2006), a background term, and the Bertero–Boccacci treatment of
an unknown boundary, all in one multiplicative update:

    x ← x · Hᵀ( f / (H x + b) ) / ( Hᵀ1 − λ div(∇x / |∇x|) )
"""

import collections
import math

import numpy as np

from .._checks import check_integer, check_number
from .. import params
from .._backend import array_module, in_blocks, row_blocks
from ..operators import WORK_BOUNDARIES, WorkDomain, check_boundary, prepare, resolve_boundary
from ._docs import shared_docstring
from ._framework import run_solver
from ._iterative import MAX_ITERATIONS, Iteration, cropped_callback, relative_change
from .regularizers import tv_curvature

#: Largest Biggs–Andrews step factor. Near 1 the extrapolation also amplifies
#: the noise the iterates pick up: camera, gauss:2, σ = 0.01, at iteration 300,
#: 14.3 dB with a cap of 0.99 and 22.7 dB with 0.8, the best iterate unchanged
#: (27.7 dB at 14–15 against plain RL's 49).
MAX_EXTRAPOLATION = 0.8
#: Pixels on which Biggs–Andrews' α is computed (all of them in smaller
#: images). At 2048² (a 2160² work grid), α read on every 17th pixel moves
#: the PSNR of the first 30 iterations by at most 0.001 dB.
STEP_SAMPLE = 2**18
#: "auto" stops at this multiple of the iteration at which the misfit first
#: reaches the noise level (flat start), counted in plain-RL iterations (an
#: accelerated step pushed along by α counts 1/(1 − α): in the zoo's
#: trajectories accelerated iterate k reaches the misfit of plain iterate
#: ≈ that count, e.g. 21 and 67 for k = 10 and 20 on camera). From that
#: iteration k_d to the best iterate: camera/gauss:2 20 -> 69. On the 26
#: unsigned zoo cases (full trajectories), this multiple and
#: :data:`STALL_DROP` put plain RL's mean gap to the best iterate at −0.30 dB
#: (2.5 and 0.3 %: −0.34) and accelerated RL's at −0.32 dB in 615
#: iterations in all, against plain RL's 2221: a step counted as one
#: iteration stopped accelerated RL at 1.25 k_d 0.39 dB short on average
#: and at 2.5 k_d 1.2 dB short (photos 4 dB: its PSNR peak is sharp).
DISCREPANCY_MULTIPLE = 2.25
#: ... or, where the misfit levels off above the noise level (a model error
#: or an underestimated σ̂), once the last 10 (equivalent) iterations lowered
#: it by less than this fraction: the iterations then only fit noise.
#: Widefield volume under a tall PSF, σ̂ 0.0019 for a true 0.0034: RL then
#: stops near its best iterate where it ran to its cap; background-
#: subtracted beads with σ̂ 4 % low: 44 (best 40, 0.01 dB), not 500 (−7.7 dB).
#: (Alone, this rule overfits noisy photos: −2 to −13 dB on 9 of 14 zoo
#: cases; with the multiple above it only ever stops earlier. Accelerated,
#: 0.3 % stopped a star field 0.36 dB early, 0.15 % the thin widefield stack
#: 0.57 dB late.)
STALL_DROP = 0.002
STALL_SPAN = 10
#: Without `tol`, the relative change is measured for the history every this
#: many iterations (with `tol`, every iteration).
HISTORY_EVERY = 10
#: Largest RL-TV weight: beyond it 1 − λ·div(∇x/|∇x|) reaches 0 (the curvature
#: of pixel noise is a few units) and the division erases the image.
MAX_TV_WEIGHT = 0.1



@shared_docstring
def richardson_lucy(image, psf, *, iterations="auto", tol=None, accelerate="auto", tv_weight=0.0,
                    background=0.0, floor="auto", init="flat", boundary="auto",
                    channel_axis=None, callback=None, return_info=False):
    """Restore an image with the Richardson–Lucy algorithm (a non-negative estimate).

    Parameters
    ----------
    image : (M[, N[, P]]) array_like
        Observed image f (non-negative counts or intensities), NumPy or CuPy;
        the result has the same type. Negative values, as dark or background
        subtraction leaves them around a zero background, are modelled: a
        constant c = −min(f) is added to the data and to the background (the
        model is f + c ≈ Hx + b + c), so no pixel is pinned at 0 and the
        estimate is still x. Data whose negative part is not noise (min(f)
        below both −max(f)/2 and −8σ̂: signed data, not intensities) are
        refused.
    %(psf)s
    iterations : int or "auto", optional
        Number of iterations, or "auto": run to 2.25 times the iteration at
        which the mean squared residual ‖f − Hx‖²/N falls to σ̂², the noise
        level estimated from `image` (Morozov's discrepancy principle), or
        stop earlier where the residual levels off (10 iterations lower it
        by less than 0.2 percent); at most 500 iterations. Accelerated
        iterations are counted as the plain ones they stand for (a step
        pushed along by α as 1/(1 − α)).
    tol : float, optional
        Also stop once an iteration changes the estimate by less than this,
        relative to its size (‖x_k − x_{k−1}‖/‖x_{k−1}‖), at any iteration
        count. Default None: no such rule.
    accelerate : bool, "auto" or sequence of float, optional
        Biggs–Andrews vector extrapolation (Biggs & Andrews 1997): each step
        is pushed along the previous one by a factor estimated from the last
        two steps; typically 2–4× fewer iterations for the same result.
        "auto" (default): accelerated with ``iterations="auto"``, plain with
        a given count, so that a count means what it means in the
        literature and in scikit-image. Automatic, on 17 cases the stop
        was not tuned on (photos, text, beads, widefield volumes, star
        fields, cells, thin stacks): 561 iterations in all against plain
        RL's 2128, PSNR +0.13 dB on average, from −0.57 dB (widefield
        volumes) to +1.6 dB (a star field); photos within ±0.1 dB, cells
        +1.1. On sparse 3-D fluorescence the accelerated path runs below
        plain RL's at the same misfit: over 14 volumes (beads, widefield,
        thin stacks, the bundled stack) −0.18 dB on average (−0.57 to
        +0.47) for 2–4× fewer iterations; pass False for plain RL's. A
        sequence: the step factors α of each iteration, as a run records
        them (:func:`step_factors` of its info), taken instead of
        estimated, with a count of `iterations` no larger: the pieces of
        one volume (:func:`restore.stacks.deconvolve_stack`'s chunks) then
        take the same steps, where each estimating its own would part
        from the others.
    tv_weight : float, optional
        The weight λ of RL-TV (Dey et al. 2006), which minimises the
        Poisson likelihood's KL(f, Hx + b) + λ·TV(x); 0 (default) is plain RL.
        Both terms grow with the intensity scale, so λ is scale-free. Typical
        values 0.001–0.01, at most 0.1 (above it the denominator
        1 − λ·div(∇x/|∇x|) reaches 0 and erases the image).
    background : float, optional
        Constant background b in the model f ≈ Hx + b (same units as f),
        below the image's maximum. The estimate x is the scene without it:
        subtract nothing afterwards, add b back to compare with f.
    floor : float or "auto", optional
        A level the scene never goes below (same units as x), kept in the
        estimate: the update then works on x − floor ≥ 0, so the flat dark
        level of raw microscopy data (camera offset, fluorescence
        background) or an astronomical sky is not rebuilt out of sharpened
        noise. "auto" (default), with ``iterations="auto"``: the dark level
        where the darkest fifth of the image is flat to within the noise
        (:func:`restore.params.dark_floor`; photos and documents have none),
        less `background`; with a given number of iterations, 0 (the
        classic update: x − floor starts small and its peaks take more
        iterations to grow, so a count chosen for the classic update would
        stop short). Automatic, on raw beads on 10 photons: 31.4 -> 33.5 dB;
        a star field on a sky of 20: 50.0 -> 53.1 dB; dense cells on a
        camera offset (a third of the field): 34.3 against 35.7 dB (the
        discrepancy stop runs on past the floor model's best iterate). Any
        first estimate, `init` included, then starts at least 1 % of the
        data's peak above the floor.
    init : "flat", "observation", float or array_like, optional
        First estimate: "flat" (default), the constant mean(f) − b, so that
        no pixel starts at 0 (the update is multiplicative: a 0 stays 0) and
        the discrepancy stop sees the misfit fall from far above the noise
        (started from a smooth observation, the misfit is already below it
        and "auto" stopped at iteration 1: 30.2 against 32.2 dB on the
        bundled stack); "observation" (scikit-image and earlier restore);
        a positive constant; or an array of the image's shape.
    boundary : {"auto", "reflect", "smooth", "periodic", "zero", "unknown"}, optional
        "auto" (default) is "reflect" for mirror-symmetric PSFs and "unknown"
        otherwise (a mirrored asymmetric blur is a different blur). "unknown" estimates the scene also beyond the field of view and fits
        only the observed pixels (Bertero & Boccacci 2005): no ringing from
        the borders. "zero" is the plain update of scikit-image (no flux
        correction at the edges).
    %(channel_axis)s
    %(callback)s
    %(return_info)s

    %(returns)s

    Examples
    --------
    >>> import restore
    >>> from skimage import data
    >>> f = restore.blur(data.camera() / 255.0, restore.psf.gaussian(2.0))
    >>> x = restore.richardson_lucy(f, "gauss:2", iterations=20)
    """
    check_boundary(boundary, ("auto",) + WORK_BOUNDARIES)
    iterations = check_integer("iterations", iterations, words=("auto",))
    tol = check_number("tol", tol, bound="positive", words=(None,))
    tv_weight = check_number("tv_weight", tv_weight, bound="non-negative")
    if tv_weight > MAX_TV_WEIGHT:
        raise ValueError(
            f"tv_weight={tv_weight:g} is above {MAX_TV_WEIGHT:g}: at such weights the RL-TV "
            "denominator 1 - tv_weight*div(grad x/|grad x|) reaches 0 and the image is erased; typical "
            "weights are 0.001-0.01"
        )
    accelerate = _acceleration(accelerate, iterations)
    background = check_number("background", background, bound="non-negative")
    floor = check_number("floor", floor, bound="non-negative", words=("auto",))
    if isinstance(init, str) and init not in ("flat", "observation"):
        raise ValueError(f'init must be "flat", "observation", a number or an array, '
                         f'got {init!r}')

    def core(f, h, xp):
        low, peak = float(f.min()), float(f.max())
        if not peak > 0:
            raise ValueError(
                "image has no positive values; Richardson-Lucy restores non-negative "
                "intensities: remove the offset that made them negative, or use wiener or tv"
            )
        # the noise level first, while only f is held: its scratch adds to no peak
        sigma = params.noise_level(f, h) if iterations == "auto" else None
        if params.looks_signed(f, sigma):
            raise ValueError(
                f"image has values down to {low:.4g} against a maximum of {peak:.4g}: "
                "signed data, not intensities, which Richardson-Lucy cannot restore; "
                "use wiener, tikhonov or tv (with nonnegative=False) for signed data"
            )
        if background >= peak:
            raise ValueError(
                f"background={background:g} is at or above the image's maximum "
                f"({peak:.4g}): nothing would be left to restore; give the level of "
                "the image's dark regions"
            )
        if floor != "auto":
            level = floor
        elif iterations == "auto":
            level = _floor_above(f, sigma, background)
        else:
            level = 0.0
        if background + level >= peak:
            raise ValueError(
                f"floor={level:g} with background={background:g} is at or above the "
                f"image's maximum ({peak:.4g}): nothing would be left to restore; give a "
                "lower floor, 0 or 'auto'")
        mode = resolve_boundary(boundary, h, asymmetric="unknown", image=f, sigma=sigma,
                                spanning="unknown" if f.ndim < 3 else None)
        # negatives around a zero background: f + c = Hx + b + c, with c a little
        # above −min(f) so that, started from the observation, no pixel of f + c is 0
        offset = -low + 0.01 * (peak - low) if low < 0 else 0.0
        # RL-TV's differences wrap round the grid: no mirrored (unpadded) axes for it
        domain = WorkDomain(h, f + offset if offset else f, mode, dct=tv_weight == 0)
        if isinstance(init, str) and init == "flat":  # the scene's mean level
            mean = float(f.mean(dtype=np.float64))  # no float32 overflow on huge values
            first = _initial_estimate(max(mean - background, 0.01 * peak),
                                      domain, xp, level)
        else:
            first = _initial_estimate(init, domain, xp, level)
        # x = level + x' with x' ≥ 0: f ≈ Hx' + (background + level), the level
        # counted as background by the update and added back at the end
        solver = _RichardsonLucy(domain, first, background=background + level + offset,
                                 tv_weight=tv_weight, accelerate=accelerate,
                                 track_misfit=iterations == "auto", xp=xp)
        del first  # the solver holds the only reference: no extra work array
        parameters = {"accelerate": bool(accelerate), "tv_weight": tv_weight,
                      "background": background,
                      "floor": level, "boundary": mode}
        if offset:
            parameters["offset"] = offset
        if iterations == "auto":
            parameters["sigma"] = sigma
        loop = Iteration("richardson_lucy", iterations=MAX_ITERATIONS["richardson_lucy"]
                         if iterations == "auto" else iterations, tol=tol,
                         callback=cropped_callback(_plus(callback, level), domain.crop),
                         stop=solver.discrepancy_stop(sigma) if iterations == "auto" else None)
        x, k, reason = loop.run(lambda: solver.step(track_change=tol is not None), xp)
        x = domain.crop(x).copy()
        if level:
            x += x.dtype.type(level)
        return x, parameters, k, reason, loop.history

    return run_solver("richardson_lucy", core, image, psf, channel_axis=channel_axis,
                      return_info=return_info)


class _RichardsonLucy:
    """Richardson–Lucy on one work domain: the multiplicative update (RL-TV's
    divided by 1 − λ·div(∇x/|∇x|)), Biggs–Andrews extrapolation, and the
    discrepancy stop. ``step()`` is one iteration, for :class:`Iteration`.
    """

    def __init__(self, domain, first, *, background, tv_weight, accelerate, track_misfit, xp):
        self.domain, self.xp = domain, xp
        self.background, self.tv_weight = background, tv_weight
        # a given sequence of step factors (replayed), or None: estimated
        self.schedule = None if isinstance(accelerate, bool) else accelerate
        self.accelerate = bool(accelerate)
        self.track_misfit = track_misfit
        op, data, mask = domain.op, domain.data, domain.mask
        # Hᵀ1 is 1 on a periodic grid with a normalised PSF; with an unknown
        # boundary it is Hᵀ(mask), which fades out beyond the field of view
        # (Bertero & Boccacci). "zero" keeps scikit-image's unnormalised update.
        self.norm = None
        if domain.boundary == "unknown":
            norm = op.adjoint(mask)
            self.norm = xp.maximum(norm, 1e-3 * float(norm.max()))
        # Floor for H x in the ratio f / Hx: relative to the data, so that where
        # f holds only FFT round-off and Hx has decayed further, the ratio stays
        # small instead of overflowing (and the floor scales with f).
        peak = float(data.max())
        self.tiny = 1e-6 * peak if peak > 0 else float(xp.finfo(data.dtype).tiny)
        self.observed = domain.crop(data)
        # α needs the last two steps g only through two inner products: on a
        # large grid they are read on a fixed sample of pixels, so no full
        # step array is kept (one work array less at the peak)
        self.stride = _sample_stride(data.size // STEP_SAMPLE, data.shape[-1])
        # the solver holds the only reference to the estimate: a caller's local
        # name would keep the first estimate alive (one more work array) to the end
        self.x, self.previous, self.last_step, self.previous_step = first, None, None, None
        self.misfit = self.reached = None
        self.count = 0
        # plain-RL iterations the steps so far stand for: a step pushed along
        # by α moves the estimate about 1/(1 − α) plain steps' worth
        self.equivalent = 0.0

    def update(self, estimate, *, measure_change=False):
        """One RL update of `estimate`: a new array, and with `measure_change`
        (plain RL only) its relative change, summed in the same pass."""
        xp, domain = self.xp, self.domain
        op = domain.op
        blurred = op.apply(estimate)
        if self.background:
            blurred += self.background
        if self.track_misfit:  # misfit of the estimate entering this step
            self.misfit = _mean_square_difference(self.observed, domain.crop(blurred))
        in_blocks(_ratio_in_place, blurred, domain.data, self.tiny, domain.mask)
        spectrum = op.spectrum(blurred, overwrite=True)  # a DCT axis: in blurred's memory
        del blurred  # not held while Hᵀ's result is allocated
        new = op.from_spectrum(spectrum, adjoint=True)
        if measure_change:
            return new, _update_measuring_change(new, estimate, self.norm, xp)
        in_blocks(_update_in_place, new, estimate, None if self.tv_weight else self.norm)
        if self.tv_weight:  # RL-TV divides by Hᵀ1 − λ div(∇x/|∇x|) instead of Hᵀ1
            norm = 1.0 if self.norm is None else self.norm
            denominator = norm - self.tv_weight * tv_curvature(estimate, xp)
            new /= xp.maximum(denominator, 0.1 * norm)
        return new

    def step(self, *, track_change):
        """One iteration: ``(estimate, relative change or None, record)``."""
        # Biggs–Andrews: y = x_k + α (x_k − x_{k−1}), α from the last two
        # steps g_j = x_{j+1} − y_j; x_{k−1} is dropped before the update
        xp, x_now = self.xp, self.x
        y, alpha, extrapolate = x_now, 0.0, False
        if self.schedule is not None:  # replayed: α of this iteration as given
            if self.previous is not None:
                alpha = self.schedule[self.count]
                extrapolate = alpha > 0
        elif self.accelerate and self.previous_step is not None:
            alpha = _extrapolation_factor(self.last_step, self.previous_step, xp)
            extrapolate = True
        if extrapolate:
            # a new array: x_{k−1} may still be held by the caller's callback
            y = xp.subtract(x_now, self.previous)
            self.previous = None
            y *= alpha
            y += x_now
            xp.maximum(y, 0, out=y)
        self.equivalent += 1.0 / (1.0 - alpha)
        # The change is measured every iteration when tol needs it, else every
        # HISTORY_EVERY-th for the history (it costs ~5% of a plain iteration:
        # plain RL sums it in the update's own pass, the others in one more)
        self.count += 1
        measure = track_change or self.count % HISTORY_EVERY == 0
        change = None
        if measure and not self.accelerate and not self.tv_weight:
            x_new, change = self.update(y, measure_change=True)
        else:
            x_new = self.update(y)
            if measure:
                change = relative_change(x_new, x_now, xp)
        if self.accelerate:
            if self.schedule is None:  # the samples the next α is estimated from
                self.previous_step = self.last_step
                self.last_step = x_new.ravel()[::self.stride] - y.ravel()[::self.stride]
            self.previous = x_now
        del y
        self.x = x_new
        record = {"misfit": self.misfit} if self.track_misfit else {}
        if self.accelerate:
            record.update(alpha=alpha, equivalent=self.equivalent)
        return x_new, change, record

    def discrepancy_stop(self, sigma):
        """Stop rule of iterations="auto": Morozov's discrepancy level is reached
        well before RL's best iterate (whose PSNR curve is flat around its peak):
        run on to DISCREPANCY_MULTIPLE times the iteration that reached it, or
        stop where the misfit levels off first (:data:`STALL_DROP`), above the
        level or after it. Iterations are counted as the plain ones they stand
        for (:attr:`equivalent`), so one rule serves plain and accelerated RL."""
        recent = collections.deque()  # (equivalent count, misfit), the last STALL_SPAN

        def stop(k, estimate):
            now, misfit = self.equivalent, self.misfit
            if self.reached is None and misfit <= sigma**2:
                self.reached = now
            if self.reached is not None and now >= DISCREPANCY_MULTIPLE * self.reached:
                return "discrepancy"
            while recent and recent[0][0] < now - STALL_SPAN:
                recent.popleft()
            stalled = False
            if recent and now > STALL_SPAN:  # over the span's share of a drop of STALL_DROP
                count, before = recent[0]
                stalled = before - misfit < STALL_DROP * misfit * (now - count) / STALL_SPAN
            recent.append((now, misfit))
            return "misfit stalled" if stalled else None
        return stop


def automatic_floor(image, psf, background=0.0):
    """The floor ``floor="auto"`` takes with automatic iterations, for `image`.

    For a scan over iteration counts that should see the automatic call's
    model (the comparison oracle, the benchmarks).

    Parameters
    ----------
    image : array_like
        The observation, as given to :func:`richardson_lucy`.
    psf : array_like or str
        Its PSF (an array or a spec such as "gauss:2").
    background : float, optional
        The `background` the call is given; the floor is what lies above it.

    Returns
    -------
    float
        The floor in the image's units, 0.0 where it has none.

    Examples
    --------
    >>> import numpy as np
    >>> f = 10.0 + np.random.default_rng(0).standard_normal((128, 128))
    >>> 9.5 < automatic_floor(f, "gauss:1") <= 10.0
    True
    """
    f, h, _ = prepare(image, psf, psf_may_exceed=True)
    return _floor_above(f, params.noise_level(f, h), background)


def _floor_above(f, sigma, background):
    """The dark floor of `f` less `background` (the part the estimate keeps)."""
    return max(params.dark_floor(f, sigma) - background, 0.0)


def _plus(callback, level):
    """`callback` seeing the estimate plus `level` (the floor the update leaves out)."""
    if callback is None or not level:
        return callback
    return lambda k, estimate: callback(k, estimate + estimate.dtype.type(level))


def _ratio_in_place(blurred, data, floor, mask):
    """blurred ← data / max(blurred, floor) (· mask): the RL ratio, in place."""
    xp = array_module(blurred)
    xp.maximum(blurred, floor, out=blurred)
    xp.divide(data, blurred, out=blurred)
    if mask is not None:
        blurred *= mask


def _update_in_place(correction, estimate, norm):
    """correction ← estimate · correction (/ norm): the RL update, in place."""
    correction *= estimate
    if norm is not None:
        correction /= norm


def _update_measuring_change(correction, estimate, norm, xp):
    """:func:`_update_in_place` row block by row block, returning the relative
    change ‖new − estimate‖ / ‖estimate‖ summed while each block is in cache."""
    def rows(start, stop):
        block, old = correction[start:stop], estimate[start:stop]
        _update_in_place(block, old, None if norm is None else norm[start:stop])
        difference = block - old
        return float(xp.vdot(difference, difference)), float(xp.vdot(old, old))

    sums = row_blocks(rows, correction)
    change, size = (sum(column) for column in zip(*sums))
    return math.sqrt(change / size) if size > 0 else math.inf


def _mean_square_difference(a, b):
    """mean((a − b)²) as a float; its temporary is gone when this returns."""
    residual = a - b
    residual *= residual
    return float(residual.mean())


def _initial_estimate(init, domain, xp, floor=0.0):
    """First estimate on the work grid: the (extended) observation, a constant or
    an array; less `floor` (the update's x − floor), kept positive."""
    data = domain.data
    if isinstance(init, str):  # "observation"
        return _less_floor(domain.initial.copy(), floor, data, xp)
    if xp.ndim(init) == 0:
        value = float(init)
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"init must be positive, got {init!r}")
        x = xp.full(data.shape, value, dtype=data.dtype)
    else:
        init = xp.asarray(init, dtype=data.dtype)
        shape = domain.crop(data).shape
        if init.shape != shape:
            raise ValueError(f"init has shape {init.shape} but the image has shape {shape}")
        if bool((init < 0).any()) or not bool(xp.isfinite(init).all()):
            raise ValueError("init must be finite and non-negative")
        x = domain.initial.copy()
        x[domain.window] = init
    x = _less_floor(x, floor, data, xp)
    if domain.support is not None:
        x *= domain.support
    return x


def _less_floor(x, floor, data, xp):
    """x − floor, in place, no pixel below 1 % of the data's peak above the floor
    (the update is multiplicative: a pixel at 0 would stay there)."""
    if floor:
        x -= x.dtype.type(floor)
        xp.maximum(x, x.dtype.type(0.01 * (float(data.max()) - floor)), out=x)
    return x


def auto_accelerates(iterations):
    """What ``accelerate="auto"`` resolves to for `iterations`: Biggs–Andrews
    with automatic iterations, plain RL with a given count.

    Examples
    --------
    >>> auto_accelerates("auto"), auto_accelerates(20)
    (True, False)
    """
    return iterations == "auto"


def step_factors(info):
    """The Biggs–Andrews step factors an accelerated run took, one per
    iteration (its history's ``"alpha"``): given back as ``accelerate=``
    with the same count, they replay the run.

    Examples
    --------
    >>> import numpy as np
    >>> f = np.random.default_rng(0).random((64, 64)).astype(np.float32) + 1
    >>> _, info = richardson_lucy(f, "gauss:1", accelerate=True, iterations=4, return_info=True)
    >>> step_factors(info)[:2]
    [0.0, 0.0]
    """
    return [record["alpha"] for record in info.history]


def _acceleration(accelerate, iterations):
    """`accelerate` resolved: a bool, or a tuple of step factors to replay."""
    if isinstance(accelerate, str) and accelerate == "auto":
        return auto_accelerates(iterations)
    if isinstance(accelerate, (bool, np.bool_)):
        return bool(accelerate)
    try:
        factors = tuple(float(a) for a in accelerate)
    except (TypeError, ValueError):
        raise TypeError(f"accelerate must be True, False, 'auto' or a sequence of step "
                        f"factors, got {accelerate!r}") from None
    if not all(0.0 <= a < 1.0 for a in factors):
        raise ValueError("accelerate's step factors must lie in [0, 1), as a run records them")
    if iterations == "auto" or iterations > len(factors):
        raise ValueError(f"accelerate holds {len(factors)} step factor"
                         f"{'' if len(factors) == 1 else 's'}: give iterations as a count of "
                         f"at most {len(factors)}, got {iterations!r}")
    return factors


def _sample_stride(stride, row_length):
    """At least `stride` and 1, sharing no factor with the row length: the
    sample then walks through every column instead of repeating a few."""
    stride = max(1, stride)
    while stride > 1 and math.gcd(stride, row_length) > 1:
        stride += 1
    return stride


def _extrapolation_factor(step, previous_step, xp):
    """Biggs–Andrews α = ⟨g_k, g_{k−1}⟩ / ⟨g_{k−1}, g_{k−1}⟩, kept in [0, MAX_EXTRAPOLATION]."""
    num = float(xp.vdot(step, previous_step))
    den = float(xp.vdot(previous_step, previous_step))
    if den <= 0:
        return 0.0
    return min(max(num / den, 0.0), MAX_EXTRAPOLATION)
