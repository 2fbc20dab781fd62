"""Automatic parameter choices: the noise level, GCV, the discrepancy principle.

Every choice here is scale-free: multiplying the data by c leaves the chosen
regularisation weight fixed (GCV, NSR) or multiplies it by c (noise levels),
so that restoring c·f gives c·ĝ.
"""

import contextvars
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import progress
from ._backend import array_module, fft_workers, is_gpu_array, to_host
from ._context import setting


#: Pixels the noise estimate reads at most, by dimensions (a central block of
#: larger inputs): plenty for a statistic, and it keeps a 4096² image from
#: costing seconds and a 2048² one from needing 7× its size in float64
#: scratch. Images 362²: on 72 photos (6 scenes, gauss:2 and motion, σ =
#: 0.003-0.05, 512²) the mean error of σ̂ went from 0.60 % at 512² to 0.75 %,
#: the estimate from 34 to 17 ms, 40 % of an automatic RL call at 512². The
#: fit then reads every second of those pixels per axis (see
#: :data:`restore.noise.estimate.STRIDED_SAMPLES`): 24 → 7 ms.
#: Volumes keep 2^18 voxels: at 2^17 σ̂ of two widefield volumes moved by
#: 17 and 19 %.
NOISE_SAMPLE_PIXELS = {1: 2**17, 2: 2**17, 3: 2**18}
#: Frequencies GCV sums over at most (an even subsample of larger spectra).
GCV_SAMPLE_FREQUENCIES = 2**18


#: Pixels the automatic choices of the closed-form filters read at most (GCV,
#: the spectrum fit): λ and the spectrum's shape are per-frequency properties,
#: which a central block samples on a coarser frequency grid.
CHOICE_PIXELS = 2**20


def central_block(x, pixels, *, minimum=None):
    """The central block of `x` holding at most about `pixels` elements.

    `minimum` (a shape) keeps each side at least that long (a PSF's size,
    say), or the whole axis where it is shorter.
    """
    if x.size <= pixels:
        return x
    side = (pixels / x.size) ** (1 / x.ndim)
    minimum = minimum or (1,) * x.ndim
    lengths = [min(n, max(int(n * side), 2 * m, 1)) for n, m in zip(x.shape, minimum)]
    return x[tuple(slice((n - k) // 2, (n - k) // 2 + k) for n, k in zip(x.shape, lengths))]


def noise_sigma(f):
    """Root-mean-square noise level of `f`, for Gaussian, Poisson or camera noise.

    The affine variance model var = a·E[f] + b of
    :func:`restore.noise.estimate_poisson_gaussian` averaged over the image,
    ``sqrt(a·mean(f) + b)``: for Gaussian noise (a ≈ 0) this is σ, for photon
    noise the mean shot noise, which is what a residual ‖f − Hx‖² is compared
    with. A stack with too few planes for 3-D filters is fitted plane by plane
    (side by side in 2-D). Falls back to the wavelet MAD estimate
    (:func:`restore.noise.estimate_sigma`) for inputs too small for the fit.
    Computed on the host.
    """
    from .noise import estimate_poisson_gaussian, estimate_sigma

    mean = float(f.mean())  # the whole image's: photon noise follows its level
    block = central_block(to_host(f), NOISE_SAMPLE_PIXELS.get(f.ndim, NOISE_SAMPLE_PIXELS[3]))
    try:
        model = estimate_poisson_gaussian(block)
    except ValueError:  # too few pixels, or more than 3 dimensions
        if block.ndim != 3:
            return float(estimate_sigma(block))
        # A thin stack has too few planes for the fit's 3-D filters: fit its
        # planes side by side in 2-D. The MAD estimate instead reads the dark
        # voxels' noise: 8.9 for a true 10.3 on 14 Poisson planes, and every
        # automatic choice then fitted the noise.
        try:
            model = estimate_poisson_gaussian(block.reshape(-1, block.shape[-1]))
        except ValueError:
            return float(estimate_sigma(block))
    variance = model.a * mean + model.b
    if not variance > 0:
        return float(estimate_sigma(block))
    return math.sqrt(variance)


#: Data whose minimum lies below both −SIGNED_FRACTION × the maximum and
#: −SIGNED_NOISE_MULTIPLE × the noise level are signed (a zero-mean image, a
#: difference signal), not intensities with noise around a zero background
#: (a dim background-subtracted stack passes).
SIGNED_FRACTION = 0.5
SIGNED_NOISE_MULTIPLE = 8.0


#: The floor of :func:`noise_level`, relative to the image's standard deviation.
NOISE_FLOOR = 1e-4


#: The spectrum's noise floor replaces the image-domain estimate only when it
#: is this much larger: the image-domain fit is the more precise where it
#: works (camera, motion:15,30, σ = 0.05: 0.0502 against the spectrum's
#: 0.0518, which leaked signal; TV's λ then rose 58 % and lost 0.4 dB), and
#: it failed by 1.75× on the widefield volume.
SPECTRAL_OVERRULES = 1.25


_NOISE_SOURCE = contextvars.ContextVar("restore_noise_source", default=None)


def noise_level(f, psf=None):
    """σ̂ for the automatic choices of the iterative solvers.

    :func:`noise_sigma`, or where `psf` (normalised) leaves enough of the
    spectrum without signal and the noise floor read there
    (:func:`spectral_noise_sigma`) is more than :data:`SPECTRAL_OVERRULES`
    times it, that floor; at least :data:`NOISE_FLOOR` × std(f), so that a
    noiseless image still gets a positive level (a discrepancy target the
    iterations can reach). Too low a level makes every choice fit the
    noise: a widefield volume under a tall PSF read 0.0019 in the image
    domain where its noise was 0.0034 (0.0034 in the spectrum), and RL, TV
    and the wavelet solver ran to their caps, the wavelet solver below the
    observation. Within :func:`noise_measured_on`, the level of that image
    instead.
    """
    source = _NOISE_SOURCE.get()
    if source is not None:
        if "sigma" not in source:  # measured once, when first asked for
            # the image is not kept for the solve: its dark floor is read now
            image = source.pop("image")
            source["sigma"] = _measured_level(image, psf)
            source["floor"] = _dark_floor(image, source["sigma"])
        return source["sigma"]
    return _measured_level(f, psf)


def _measured_level(f, psf):
    if psf is None:
        sigma, spectral = noise_sigma(f), 0.0
    elif is_gpu_array(f) or fft_workers() < 2:
        sigma, spectral = noise_sigma(f), spectral_level(f, psf) or 0.0
    else:
        # The two estimates at once: the spectrum on a thread of its own (in
        # this thread's context, so with its FFT thread count), the image-
        # domain fit here (it spreads its own work over the FFT threads).
        context = contextvars.copy_context()
        with ThreadPoolExecutor(1, thread_name_prefix="restore-spectrum") as side:
            pending = side.submit(context.run, spectral_level, f, psf)
            sigma = noise_sigma(f)
            spectral = pending.result() or 0.0
    if spectral > SPECTRAL_OVERRULES * sigma:
        sigma = spectral
    return max(sigma, NOISE_FLOOR * float(f.std()) + 1e-30)


def spectral_level(f, psf):
    """:func:`spectral_noise_sigma` of (a central block of) `f` under the
    normalised `psf`, or None where the blur removes too little of the spectrum.

    Along an axis the PSF is longer than `f` (a thin stack) it is projected
    (summed): for a non-negative PSF |H(k, k_z)| ≤ |H(k, 0)|, so frequencies
    the projection removes hold no signal in any plane. On sparse 14- and
    6-plane volumes (Poisson + read noise) this read 0.00277 and 0.00191 for
    a true 0.00267 and 0.00195, where the image-domain fit read 0.00163 and
    0.00134 (it misses the photon noise of the few bright voxels).
    """
    xp = array_module(f)
    longer = tuple(a for a, (m, n) in enumerate(zip(psf.shape, f.shape)) if m > n)
    if longer:  # a thin stack: the PSF projected along the axes it outreaches
        psf = psf.sum(axis=longer, keepdims=True)
    _, power, otf_power = choice_spectrum(f, psf, xp, TAPER)
    return spectral_noise_sigma(power, otf_power, xp)


def noise_measured_on(image):
    """Within, :func:`noise_level` is the level of `image`, whatever array it
    is given: for a solve on a mirrored-out copy of `image`, whose repeated
    planes would read as less noise (a 9-plane stack mirrored to 21 planes:
    σ̂ 9.4 against 10.4 on the stack itself, and RL's discrepancy stop, never
    reached, ran to its cap)."""
    return setting(_NOISE_SOURCE, {"image": image})


def solving_a_mirrored_copy():
    """True within :func:`noise_measured_on`: the solve runs on a mirrored-out
    copy of a stack thinner than its PSF, whose repeated planes repeat its
    noise (GCV then reads that noise as signal)."""
    return _NOISE_SOURCE.get() is not None


def looks_signed(f, sigma=None):
    """True when `f` holds signed data rather than intensities (see
    :data:`SIGNED_FRACTION`); `sigma` is its noise level, estimated if None."""
    low, high = float(f.min()), float(f.max())
    if low >= -SIGNED_FRACTION * max(high, 0.0):
        return False
    sigma = noise_sigma(f) if sigma is None else sigma
    return low < -SIGNED_NOISE_MULTIPLE * sigma


#: The dark-floor test reads means of FLOOR_BLOCK pixels per axis (axes
#: shorter than 4 blocks are not averaged): their noise is σ̂/√(pixels).
FLOOR_BLOCK = 4
#: A floor is flat when the 1st to the 20th percentile of the block means
#: span at most this many of their noise deviations. Measured on the zoo:
#: sparse beads, widefield volumes and a star field 0.9–1.5; photos, text
#: and pages 6.2–76 (noisy coffee, σ = 0.05, the lowest).
FLOOR_SPREAD = 3.5
#: ... and is used when it stands this many block-mean deviations above 0.
FLOOR_SIGNIFICANCE = 4.0


def dark_floor(f, sigma):
    """The flat dark level an image sits on (a camera offset, a sky, a
    fluorescence background), or 0.0 where it has none.

    Richardson–Lucy's update is multiplicative from x ≥ 0: a background
    it is not told about is a level it must build out of noise, and the
    noise on it is what it sharpens first (raw beads on 10 photons: the
    best iterate is the first, the discrepancy stop 2–5 dB below it). A
    level b the scene never goes below can instead be part of the model,
    f ≈ H(x − b) + b with x − b ≥ 0.

    The test reads means over blocks of :data:`FLOOR_BLOCK` pixels per
    axis, whose noise is s = σ̂/√(block size): where their darkest fifth is
    flat (the 1st to the 20th percentile within :data:`FLOOR_SPREAD` s) a
    fifth of the image or more is background, and their 10th percentile is
    at or below its level (within 1.3 s of it when all of it is
    background). Photos, text and documents have no such flat dark fifth
    and get 0, as does a floor within :data:`FLOOR_SIGNIFICANCE` s of 0.
    Within :func:`noise_measured_on`, the floor of that image (a thin
    stack's planes, not their mirrored-out copy).

    Parameters
    ----------
    f : ndarray
        The observation (NumPy or CuPy), finite.
    sigma : float
        Its noise level (:func:`noise_level`).

    Returns
    -------
    float
        The floor, or 0.0 (also for images of fewer than 100 blocks, a
        non-positive `sigma` or a non-finite result).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> f = 10.0 + rng.standard_normal((256, 256))
    >>> f[100:110, 100:110] += 50.0
    >>> 9.5 < dark_floor(f, 1.0) <= 10.0
    True
    """
    source = _NOISE_SOURCE.get()
    if source is not None:
        return source["floor"] if "floor" in source else _dark_floor(source["image"], sigma)
    return _dark_floor(f, sigma)


def _dark_floor(f, sigma):
    xp = array_module(f)
    sizes = [FLOOR_BLOCK if n >= 4 * FLOOR_BLOCK else 1 for n in f.shape]
    trimmed = f[tuple(slice(0, n - n % b) for n, b in zip(f.shape, sizes))]
    split = [m for n, b in zip(trimmed.shape, sizes) for m in (n // b, b)]
    means = trimmed.reshape(split).mean(axis=tuple(range(1, 2 * f.ndim, 2)), dtype=xp.float64)
    if means.size < 100 or not sigma > 0:
        return 0.0
    deviation = sigma / math.sqrt(math.prod(sizes))
    first, tenth, fifth = (float(q) for q in xp.quantile(means.ravel(), xp.asarray([0.01, 0.1, 0.2])))
    if not (fifth - first <= FLOOR_SPREAD * deviation
            and tenth >= FLOOR_SIGNIFICANCE * deviation and math.isfinite(tenth)):
        return 0.0
    return tenth


def rfft_weights(work_shape, xp, dtype):
    """How often each real-FFT coefficient appears in the full spectrum (1 or 2).

    Sums over a half spectrum weighted by this equal sums over the full one.
    """
    n = work_shape[-1]
    half = n // 2 + 1
    w = xp.full(half, 2.0, dtype=dtype)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return w


#: Smallest λ GCV may return. Below it, on nearly noise-free data, errors in the
#: unseen border (not the noise) dominate, and a smaller λ only amplifies them:
#: camera blurred by gauss:2, cropped, no noise: Wiener -1.4 dB at 1e-9, 29.4 dB here.
GCV_LAMBDA_FLOOR = 1e-4
#: The range GCV searches (λ of Tikhonov, the level of Wiener's NSR).
GCV_LAMBDA_RANGE = (GCV_LAMBDA_FLOOR, 1e2)
#: How far the discrepancy search may move λ from its start (TV, wavelet).
DISCREPANCY_FACTOR_RANGE = (1 / 64, 64)
#: The discrepancy search stops lowering λ where a quarter of it lowered a
#: misfit still above σ̂² by less than this factor: short trials on an
#: ill-conditioned volume cannot fit further, and going on drove TV's λ to
#: the search's lower limit on a 14-plane stack under a 17-plane PSF (misfit
#: 1.27 → 1.24 × σ̂² for 4× less λ; 26.99 dB at the limit, 28.31 at the
#: levelled λ, the oracle 28.37). 3 % let the wavelet solver's search on that
#: stack walk on (misfit 1.168 → 1.112 → 1.053 → 1.010 × σ̂², 5 % a step) to
#: its lower limit: 20.94 dB, 3.4 dB below the observation; 7 % stops at its
#: second trial: 26.16 dB (oracle 26.53). No other zoo case's λ moved.
LEVELLED_GAIN = 1.07
#: A trial whose log misfit is within this of log σ̂² (about 5 %) ends the
#: search (TV's; the wavelet solver asks for 0.01, ``wavelet.DISCREPANCY_MATCH``).
DISCREPANCY_MATCH = 0.05


def search_limit(value, low, high, *, margin=1.05):
    """"lower" or "upper" when `value` sits at (within `margin` of) an end of
    the search range [low, high], else None: the best value may lie beyond it."""
    if value <= low * margin:
        return "lower"
    if value >= high / margin:
        return "upper"
    return None


def gcv_lambda(data_power, otf_power, reg_power, weights, *,
               lam_range=GCV_LAMBDA_RANGE, return_score=False):
    """λ minimising generalised cross-validation for a Fourier-diagonal filter.

    The filter is ``A(λ) = |H|² / (|H|² + λ |R|²)``; GCV is
    ``‖(I − A) f‖² / tr(I − A)²`` (Golub, Heath & Wahba 1979), evaluated
    frequency by frequency: cheap enough to scan a log grid and refine.

    Parameters
    ----------
    data_power, otf_power, reg_power : ndarray
        |F|², |H|² and |R|² on the real-FFT half spectrum.
    weights : ndarray
        :func:`rfft_weights`, broadcast along the last axis.
    return_score : bool, optional
        Also return GCV's value at the chosen λ: an estimate of the predictive
        risk, comparable between regularisers |R|² of the same data.

    Returns
    -------
    float or (float, float)
        The chosen λ (and its GCV score).
    """

    # GCV is a ratio of sums over frequencies: an even subsample of a large
    # spectrum has the same minimiser. float64: the sums span many decades.
    shape = np.broadcast_shapes(data_power.shape, otf_power.shape, reg_power.shape,
                                weights.shape)
    stride = max(1, math.prod(shape) // GCV_SAMPLE_FREQUENCIES)
    data_power, otf_power, reg_power, weights = (
        _every(a, shape, stride) for a in (data_power, otf_power, reg_power, weights))

    def gcv(log_lam):
        lam = math.exp(log_lam)
        one_minus_a = (lam * reg_power) / (otf_power + lam * reg_power)
        num = float((weights * one_minus_a**2 * data_power).sum())
        den = float((weights * one_minus_a).sum())
        return num / max(den, 1e-300) ** 2

    lo, hi = math.log(lam_range[0]), math.log(lam_range[1])
    grid = np.linspace(lo, hi, 25)
    values = [gcv(g) for g in grid]
    best = int(np.argmin(values))
    a, b = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    # 12 golden steps narrow log λ to 0.3 % of the bracket (under 0.4 % in λ)
    log_lam = _golden_minimum(gcv, a, b, iterations=12)
    if return_score:
        return math.exp(log_lam), gcv(log_lam)
    return math.exp(log_lam)


def _every(a, shape, stride):
    """Every `stride`-th element of `a` broadcast to `shape`, flat, as float64."""
    xp = array_module(a)
    return xp.broadcast_to(a, shape).ravel()[::stride].astype(np.float64)


def _golden_minimum(func, a, b, iterations=30):
    """Minimum of a unimodal `func` on [a, b] by golden-section search."""
    ratio = (math.sqrt(5) - 1) / 2
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = func(c), func(d)
    for _ in range(iterations):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = func(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = func(d)
    return (a + b) / 2


def discrepancy_search(solve, residual, target, lam0, *, rounds=6,
                       factor_range=DISCREPANCY_FACTOR_RANGE, match=DISCREPANCY_MATCH):
    """λ whose solution's residual matches the noise (Morozov's discrepancy principle).

    Parameters
    ----------
    solve : callable
        ``solve(lam, warm_start) -> x`` for a regularisation weight `lam`.
    residual : callable
        ``residual(x) -> float``: mean squared data misfit of `x`.
    target : float
        Mean squared misfit the noise explains (σ² for Gaussian noise).
    lam0 : float
        First guess.
    match : float, optional
        A trial whose log misfit is within this of log `target` (0.05: about
        5 % either way) ends the search.

    Returns
    -------
    lam, x : float, ndarray
        The chosen weight and its solution.
    levelled : bool
        True where the misfit levelled off above `target`: a quarter of λ
        lowered it by less than :data:`LEVELLED_GAIN`, and `lam` is the larger
        λ of that step (the fit the trials can reach, without the noise that
        a smaller λ lets in).

    Notes
    -----
    The misfit grows monotonically with λ; the search works on log λ with a
    secant step on log misfit and keeps a bracket, `rounds` solves in all.
    λ stays within `factor_range` of `lam0`: when few iterations cannot fit
    the data down to the noise (high SNR), the misfit would otherwise drive
    λ towards zero.
    """
    with progress.step("choosing lam", total=rounds) as advance:
        return _discrepancy_search(solve, residual, target, lam0, rounds, factor_range,
                                   match, advance)


def _discrepancy_search(solve, residual, target, lam0, rounds, factor_range, match,
                        advance):
    lam, x = lam0, None
    tried = []
    log_target = math.log(target)
    for _ in range(rounds):
        advance()
        x = solve(lam, x)
        r = residual(x)
        tried.append([math.log(lam), math.log(max(r, 1e-300)), x])
        if abs(math.log(max(r, 1e-300)) - log_target) < match:
            if _flat_step(tried, math.exp(match)):  # λ undetermined: the larger one
                return math.exp(tried[-2][0]), tried[-2][2], True
            break
        _keep_returnable(tried, log_target)
        below = [t for t in tried if t[1] < log_target]
        above = [t for t in tried if t[1] >= log_target]
        if below and above:
            lo = max(below, key=lambda t: t[1])
            hi = min(above, key=lambda t: t[1])
            # secant on (log λ, log misfit), kept inside the bracket
            slope = (hi[1] - lo[1]) / (hi[0] - lo[0]) if hi[0] != lo[0] else 0.0
            if slope > 0:
                step = lo[0] + (log_target - lo[1]) / slope
            else:
                step = (lo[0] + hi[0]) / 2
            low, high = sorted((lo[0], hi[0]))
            step = min(max(step, low + 0.1 * (high - low)), high - 0.1 * (high - low))
            lam = math.exp(step)
        elif below:
            lam *= 4.0  # misfit too small: regularise more
        else:
            if _flat_step(tried, LEVELLED_GAIN):
                return math.exp(tried[-2][0]), tried[-2][2], True
            lam /= 4.0
        lam = min(max(lam, lam0 * factor_range[0]), lam0 * factor_range[1])
    best = min(tried, key=lambda t: abs(t[1] - log_target))
    return math.exp(best[0]), best[2], False


def _flat_step(tried, gain):
    """True where the last trial lowered λ from the one before and the misfit
    by less than the factor `gain` per quarter of λ.

    Above the target, with :data:`LEVELLED_GAIN`: the misfit has levelled
    off, and a smaller λ only lets noise in. At a trial that matched the
    target, with the match's own tolerance: the misfit is within it over
    more than a quarter of λ, which the principle then leaves undetermined,
    and the larger λ is taken. On a 80² camera crop under box:9 TV's misfit
    went 1.128, 1.053, 1.042 × σ̂² for λ/4 a step, and the match at the
    third λ left TV at 20.90 dB against 20.73 observed, at its iteration cap
    (its oracle 27.71 at 16× that λ); the λ before it: 27.18. A 128² camera
    crop under gauss:2 (1.099, 1.033: 6 % a quarter) keeps its match.
    """
    if len(tried) < 2 or tried[-2][0] <= tried[-1][0]:
        return False
    quarters = (tried[-2][0] - tried[-1][0]) / math.log(4.0)
    return tried[-2][1] - tried[-1][1] < quarters * math.log(gain)


def _keep_returnable(tried, log_target):
    """Drop the estimates of trials the search can no longer return.

    It returns the trial closest to the target or, levelled off, the one
    before the last; every other estimate is a whole work array held for
    nothing (a search runs `rounds` trials, 6 by default).
    """
    closest = min(tried, key=lambda t: abs(t[1] - log_target))
    for entry in tried[:-2]:
        if entry is not closest:
            entry[2] = None


def _frequency_radius(shape, xp, dtype, *, squared=False):
    """|k| (cycles per pixel), or |k|², on the real-FFT half spectrum of `shape`.

    Built on the array's device in `dtype`, one full-size array, in place.
    """
    ndim = len(shape)
    total = None
    for axis, n in enumerate(shape):
        freq = np.fft.rfftfreq(n) if axis == ndim - 1 else np.fft.fftfreq(n)
        view = [1] * ndim
        view[axis] = freq.size
        part = xp.asarray((freq**2).astype(dtype).reshape(view))
        total = part if total is None else total + part
    if squared:
        return total
    return xp.sqrt(total, out=total) if total.ndim and total.size > 1 else xp.sqrt(total)


def taper(f, xp, fraction=0.2):
    """`f` minus its mean, multiplied by a Tukey window on every axis
    (`fraction` of each axis tapered; 1 is the Hann window).

    Spectra of the taper have no leakage from the image's borders, which would
    otherwise look like broadband signal.
    """
    from scipy.signal.windows import tukey

    window = None
    for axis, n in enumerate(f.shape):
        view = [1] * f.ndim
        view[axis] = n
        w = xp.asarray(tukey(n, fraction).astype(f.dtype).reshape(view))
        window = w if window is None else window * w
    return (f - f.mean()) * window, float((window**2).sum())


#: The taper of the periodograms every automatic choice reads (GCV, the
#: spectrum fit, the noise floor): a Tukey window over 0.2 of each side.
#: It keeps more of the samples than a Hann window: on 181 photos,
#: fluorescence images and volumes the noise floor read σ to 0.37 % mean
#: error at σ = 0.03 (Hann 0.66 %), 0.4 % on bright cells (2.3 %); GCV's λ
#: on quality.py's four 464² photos, 25-35 % higher than Hann's, was 0.04 to
#: 0.25 dB better for Tikhonov; Hann on the few planes of a stack left
#: Wiener 7.9 dB lower.
TAPER = 0.2
#: ... but on a signal or image the PSF spans (longer than
#: :data:`HANN_SPAN` of a side: a small crop) the closed forms' choices read
#: a Hann window's (1.0). There the blur's zeros and low
#: side lobes are a few frequency bins apart, and the Tukey window leaks the
#: power of their neighbours into them, which then reads as signal the blur
#: let through: GCV's λ fell 20× too low, and on a 64² coffee crop under
#: disk:6 Wiener and Tikhonov gave 18.4 dB against 23.2 observed (Hann:
#: 25.1 and 25.0; 96² camera under disk:6, 14.3 and 12.9 against 19.1:
#: 19.1 and 18.3).
SPANNED_TAPER = 1.0
#: See :data:`SPANNED_TAPER`: a tenth (the Hann window measured 25-35 % lower
#: GCV λ on quality.py's 464² photos, under 17-pixel PSFs).
HANN_SPAN = 0.1


def choice_taper(shape, psf_shape):
    """The taper fraction of the closed forms' periodogram of an image of
    `shape` under a PSF of `psf_shape`: :data:`SPANNED_TAPER` on a signal or
    image the PSF spans, else :data:`TAPER`."""
    spanned = len(shape) <= 2 and any(k > HANN_SPAN * n for k, n in zip(psf_shape, shape))
    return SPANNED_TAPER if spanned else TAPER


def periodogram(f, xp, fraction=TAPER):
    """|FFT|² per pixel of the tapered `f` (:func:`taper` by `fraction`): its
    power spectrum.

    White noise of variance σ² has a flat periodogram of mean σ².
    """
    from ._backend import rfftn

    tapered, energy = taper(f, xp, fraction)
    spectrum = rfftn(tapered, f.shape)
    power = (spectrum * spectrum.conj()).real
    power /= energy
    return power


def choice_spectrum(f, h, xp, fraction=None):
    """What the closed-form automatic choices read off `f` under the normalised
    PSF `h`: the central block (:data:`CHOICE_PIXELS`, each side at least the
    PSF's), its :func:`periodogram` (tapered by `fraction`, by default
    :func:`choice_taper`), and |H|² on the block's periodic grid."""
    from .operators import Blur

    block = central_block(f, CHOICE_PIXELS, minimum=h.shape)
    # the block's frequency grid is the one the PSF's zeros fall on
    power = (choice_periodogram(block, h, xp) if fraction is None
             else periodogram(block, xp, fraction))
    otf_power = Blur(h, block.shape, boundary="periodic", dtype=f.dtype).power()
    return block, power, otf_power


def choice_periodogram(f, h, xp):
    """The :func:`periodogram` of `f` the closed forms' choices read under
    the PSF `h`: tapered by :func:`choice_taper`."""
    return periodogram(f, xp, choice_taper(f.shape, h.shape))


def choice_sigma(f, power, otf_power, xp):
    """σ̂ of the closed-form choices: the spectrum's noise floor where the blur
    left enough frequencies without signal (:func:`spectral_noise_sigma`),
    else the image-domain fit :func:`noise_sigma`."""
    return spectral_noise_sigma(power, otf_power, xp) or noise_sigma(f)


def spectral_noise_sigma(power, otf_power, xp, *, minimum_count=1000):
    """σ from the periodogram where the blur has removed the signal (|H|² < 1e-4).

    There the data are noise alone; a white-noise periodogram is exponentially
    distributed, so σ² = median / ln 2. None when fewer than `minimum_count`
    such frequencies exist (small PSFs pass nearly everything).
    """
    noise_only = otf_power < 1e-4
    if int(noise_only.sum()) < minimum_count:
        return None
    return math.sqrt(float(xp.median(power[noise_only])) / math.log(2))


class PowerLawSpectrum:
    """Signal power spectrum model S(k) = A · |k|^β, fitted to the observation.

    The fit is a line through log(S_f(k) − σ²) − log|H(k)|² against log|k|,
    over frequencies where the data stand well clear of the noise
    (S_f − σ² > 4σ²) and the OTF is not small (|H|² > 10⁻²), through the
    medians of 20 log-|k| bins: the classic 1/f^β law of natural images,
    recovered through the blur. A periodogram scatters exponentially, so a
    looser threshold selects upward noise fluctuations, and dividing them by
    a small |H|² (a box or disk blur's side lobes) bends the line upwards:
    with (σ², 10⁻³) and a plain least-squares line, β came out 0 at σ = 0.05
    on camera and astronaut under box, disk and motion blur, and Wiener fell
    1–2.5 dB below the observation (now 2.4–3.1 dB above it). The price, at
    low noise under box and motion blur: 0.2–0.8 dB on 4 of 19 cases (a GCV
    choice between the two fits picked this one every time).
    """

    #: Thresholds of the frequencies fitted: signal over noise power, and |H|².
    SIGNAL_TO_NOISE = 4.0
    OTF_POWER = 1e-2
    BINS = 20

    def __init__(self, amplitude, exponent):
        self.amplitude = amplitude
        self.exponent = exponent

    @classmethod
    def fit(cls, power, otf_power, sigma, shape, xp):
        """Fit to the :func:`periodogram` `power` of an image of `shape`, with
        |H|² on the same real-FFT grid and the noise level `sigma`."""
        k = _frequency_radius(shape, xp, power.dtype)
        signal = power - sigma**2
        usable = ((k > 0.01) & (signal > cls.SIGNAL_TO_NOISE * sigma**2)
                  & (otf_power > cls.OTF_POWER))
        if int(usable.sum()) < 16:
            return None
        x = to_host(xp.log(k[usable])).astype(np.float64)
        y = to_host(xp.log(signal[usable] / otf_power[usable])).astype(np.float64)
        edges = np.linspace(x.min(), x.max(), cls.BINS + 1)
        which = np.clip(np.digitize(x, edges) - 1, 0, cls.BINS - 1)
        counts = np.bincount(which, minlength=cls.BINS)
        kept = [b for b in range(cls.BINS) if counts[b] >= 8]
        if len(kept) < 3:
            return None
        centres = [np.median(x[which == b]) for b in kept]
        levels = [np.median(y[which == b]) for b in kept]
        exponent, log_amplitude = np.polyfit(centres, levels, 1, w=np.sqrt(counts[kept]))
        if exponent > 0:
            # No physical image has more power at high frequencies; sparse scenes
            # (beads) are flat. Fit the level of a flat spectrum instead.
            exponent, log_amplitude = 0.0, float(np.median(y))
        return cls(math.exp(log_amplitude), float(exponent))

    def __call__(self, shape, xp, dtype):
        """S(k) on the real-FFT half spectrum of `shape` (|k| floored at one bin)."""
        return self._power_of_radius(shape, xp, dtype, self.amplitude, self.exponent)

    def reciprocal(self, shape, xp, dtype, scale=1.0):
        """`scale` / S(k), the same grid as :meth:`__call__`, without a division pass."""
        return self._power_of_radius(shape, xp, dtype, scale / self.amplitude, -self.exponent)

    @staticmethod
    def _power_of_radius(shape, xp, dtype, factor, exponent):
        """factor · max(|k|, half a bin)^exponent, from |k|² (no square root pass)."""
        k2 = _frequency_radius(shape, xp, dtype, squared=True)
        xp.maximum(k2, (0.5 / max(shape)) ** 2, out=k2)
        xp.power(k2, exponent / 2, out=k2)
        k2 *= factor
        return k2


def spectrum_mean(values, shape, xp):
    """Mean of `values` on the real-FFT half spectrum of `shape` over the full spectrum."""
    half = shape[:-1] + (shape[-1] // 2 + 1,)
    weights = xp.broadcast_to(rfft_weights(shape, xp, values.dtype), half)
    return float((weights * values).sum() / weights.sum())


def signal_variance_nsr(f, sigma):
    """The flat noise-to-signal ratio σ²/(var f − σ²) of the classic Wiener filter.

    The signal's variance is the data's less the noise's (at least σ² itself,
    so the ratio is at most 1). A fallback for spectrum-shaped choices.
    """
    noise = float(sigma) ** 2
    return noise / max(float(array_module(f).var(f)) - noise, noise)


def gcv_on_observation(f, h, reg_power, xp, *, power=None, otf_power=None,
                       return_score=False):
    """GCV's λ for the filter conj(H)/(|H|² + λ|R|²), from `f` on its own grid.

    `f` is tapered (:func:`periodogram`) and treated as periodic, so that
    border discontinuities and mirrored noise do not pass for "signal + white
    noise" in the spectrum GCV reads. `reg_power` is |R|² on ``f.shape``'s
    real-FFT half spectrum; `power` (`f`'s periodogram) and `otf_power`
    (|H|² on `f`'s grid) save their computation when the caller has them;
    `return_score` as in :func:`gcv_lambda`.
    """
    from .operators import Blur

    power = choice_periodogram(f, h, xp) if power is None else power
    if otf_power is None:
        otf_power = Blur(h, f.shape, boundary="periodic", dtype=f.dtype).power()
    return gcv_lambda(
        power,
        otf_power,
        reg_power,
        rfft_weights(f.shape, xp, f.dtype),
        return_score=return_score,
    )


#: The thresholds (fractions of max|H|) :func:`gcv_truncation` searches. Up to
#: 0.5 before: a smooth 1-D signal's choice sat at that limit (47.4 dB)
#: where 0.76 gives 50.0; on the zoo's other cases −0.03 to +0.13 dB.
GCV_TRUNCATION_RANGE = (1e-3, 0.95)


def gcv_truncation(f, h, xp):
    """Threshold τ of a truncated inverse filter (keep |H| ≥ τ·max|H|), by GCV.

    Truncation is a projection A(τ) onto the kept frequencies, so GCV(τ) is
    the dropped data power over the squared count of dropped frequencies.
    Sorting |H| once gives every τ's sums from cumulative sums. Read off the
    tapered observation on its own grid, as :func:`gcv_on_observation`.
    """
    from .operators import Blur

    power = to_host(choice_periodogram(f, h, xp)).astype(np.float64).ravel()
    otf = Blur(h, f.shape, boundary="periodic", dtype=f.dtype).otf
    magnitude = to_host(xp.abs(otf)).astype(np.float64).ravel()
    weights = np.broadcast_to(to_host(rfft_weights(f.shape, xp, f.dtype)),
                              otf.shape).astype(np.float64).ravel()
    magnitude /= magnitude.max()
    order = np.argsort(magnitude)
    dropped_power = np.cumsum((weights * power)[order])
    dropped_count = np.cumsum(weights[order])
    candidates = np.geomspace(*GCV_TRUNCATION_RANGE, 60)
    # frequencies with |H| < τ are dropped: how many of them, in sorted order
    index = np.searchsorted(magnitude[order], candidates) - 1
    valid = index >= 0
    scores = np.full(candidates.size, np.inf)
    scores[valid] = dropped_power[index[valid]] / dropped_count[index[valid]] ** 2
    return float(candidates[int(np.argmin(scores))])
