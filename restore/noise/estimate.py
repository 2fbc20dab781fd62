"""Noise estimation: the noise level of one observation, from the image itself.

:func:`estimate_sigma` measures white Gaussian noise (a robust MAD of a noise
residual, taken where the image is smooth); :func:`estimate_poisson_gaussian` fits
the affine variance model var(f) = a·E[f] + b of photon plus read noise (Foi et al.
2008) and returns a :class:`PoissonGaussianEstimate`. The residual filter, the
structure detectors that leave edges and texture out, and the binned fit are the
private helpers below. Both run on the host (CuPy inputs are moved there) and
return plain floats, in the image's units.
"""

import math
from dataclasses import dataclass

import numpy as np
import pywt

from .._backend import on_threads, row_blocks, to_host
from .._channels import channels
from .._checks import check_image

__all__ = ["estimate_sigma", "estimate_poisson_gaussian", "PoissonGaussianEstimate"]

#: Median absolute deviation of a standard normal variable: Φ⁻¹(3/4).
_MAD_TO_SIGMA = 0.6744897501960817

# The second difference [1, -2, 1] along every axis (their outer product) is the
# noise residual: it cancels any signal that is constant or linear along one axis.
_DIFFERENCE = np.array([1.0, -2.0, 1.0])
_DETECTOR_SCALE = 1.0  # σ (pixels) of the Gaussian-derivative structure detectors
_DETECTOR_THRESHOLD = 1.5  # keep pixels whose detector energy is < 1.5 × the noise's
_RING_WIDTH = {1: 15, 2: 7, 3: 5}  # window whose ring (minus the centre 3^d) sets a level
#: The Poisson–Gaussian fit reads every second pixel along each axis where that
#: leaves at least this many samples. Neighbouring residuals share most of
#: their noise (the residual filter's autocorrelation is -2/3 at lag 1 and 1/6
#: at lag 2, per axis), so a quarter of the samples of an image keep 85 % of
#: the information on the variance (half a signal's, 92 %), and the sorting
#: and binning that dominated the fit's time shrink with them.
STRIDED_SAMPLES = 2**14


def estimate_sigma(image, *, channel_axis=None):
    """Estimate the standard deviation of Gaussian noise from the image itself.

    A robust median-absolute-deviation estimate (MAD / 0.6745, Donoho & Johnstone)
    from the finest-scale detail coefficients, taken only where the image is
    smooth, so that edges and texture do not count as noise. Works for 1-D signals,
    2-D images and 3-D volumes alike.

    Parameters
    ----------
    image : array_like
        Noisy image, NumPy or CuPy (moved to the host).
    channel_axis : int or None, optional
        Axis of colour channels: each channel gets its own estimate.

    Returns
    -------
    sigma : float or list of float
        The estimated σ, in the image's units; one per channel with `channel_axis`.

    Notes
    -----
    The detail coefficients are the finest-scale, undecimated "diagonal" detail of
    the image: second differences ``[1, -2, 1]`` along every axis (their outer
    product, normalised to unit norm), which vanish on any signal that is constant
    or linear along one axis. Pixels near structure are then left out, using
    Gaussian first and second derivatives (σ = 1 pixel) made orthogonal to the
    detail filter, so that the choice does not bias the MAD: a pixel is kept while
    its derivative energy is below 1.5 times the noise's (iterated from the MAD
    of all coefficients until the estimate settles).

    ``skimage.restoration.estimate_sigma`` takes the MAD of *all* finest-scale
    Daubechies-2 diagonal coefficients (``pywt.dwtn``). On natural images the
    texture then passes for noise: on ``skimage.data.camera()`` (scaled to [0, 1])
    with σ = 0.01 it returns 0.0147 (+47 %), this estimator 0.0103 (+3 %). That
    estimator is used here only for arrays too small (fewer than 15 samples on an
    axis, or about 1000 in all) or with more than 3 dimensions.

    What remains is a small overestimate where the "clean" image has grain of its
    own: on camera, +8 % at σ = 0.005 and +36 % at σ = 0.002.

    The estimate is meant for white Gaussian noise. On Poisson or camera noise it
    returns a mixture of the signal-dependent noise levels; use
    :func:`estimate_poisson_gaussian` for those.

    Examples
    --------
    >>> import numpy as np
    >>> from restore.noise import gaussian
    >>> clean = np.linspace(0, 1, 65_536).reshape(256, 256)
    >>> noisy = gaussian(clean, sigma=0.05, seed=0)
    >>> round(estimate_sigma(noisy), 2)
    0.05
    """
    x = np.asarray(to_host(check_image(image, "image")), dtype=np.float64)
    # a C-ordered copy per channel: the estimate's sums run in memory order
    sigmas = [_sigma_smooth_regions(np.ascontiguousarray(channel))
              for channel in channels(x, channel_axis)]
    return sigmas if channel_axis is not None else sigmas[0]


def _sigma_smooth_regions(x):
    """MAD estimate of σ from finest-scale details in the smooth parts of `x`."""
    x = x.reshape([n for n in x.shape if n > 1] or [x.size])
    samples = _noise_samples(x, minimum=1000) if x.ndim in _RING_WIDTH else None
    if samples is None:
        return _sigma_mad(x)
    residual, _, _, energy, inner = samples
    unsaturated = ~_saturated(x)[inner].ravel()
    if unsaturated.sum() < 1000:
        return _sigma_mad(x)
    residual, energy = residual[unsaturated], energy[unsaturated]
    floor = np.quantile(energy, 0.05)  # always keep the smoothest 5 %
    variance = (np.median(np.abs(residual)) / _MAD_TO_SIGMA) ** 2
    for _ in range(20):
        keep = energy <= max(_DETECTOR_THRESHOLD * variance, floor)
        previous = variance
        variance = (np.median(np.abs(residual[keep])) / _MAD_TO_SIGMA) ** 2
        if abs(variance - previous) <= 1e-6 * previous:
            break
    return float(math.sqrt(variance))


def _saturated(x):
    """Pixels within two of one at the data's minimum or maximum.

    Clipped regions (a photo's blown highlights, a camera's zero floor) are
    flat, hence "smooth", but hold no noise: left in, they pull σ down. One
    pixel is the residual's reach; the second leaves out the residuals that
    read the clipped pixels' neighbours, which sit at the clip level too and
    whose noise is partly cut off. On an over-exposed astronaut (σ = 0.01,
    20 % clipped, 6 seeds) σ̂ was 3.5 % low on average with one pixel, 0.7 %
    with two.
    """
    clipped = (x <= x.min()) | (x >= x.max())
    # binary dilation by a 5^d cube, one axis and one pixel at a time by
    # slices (scipy's binary_dilation took a fifth of the whole estimate)
    for _ in range(2):
        for axis in range(x.ndim):
            grown = clipped.copy()
            grown[_along(x.ndim, axis, slice(1, None))] |= clipped[_along(x.ndim, axis, slice(None, -1))]
            grown[_along(x.ndim, axis, slice(None, -1))] |= clipped[_along(x.ndim, axis, slice(1, None))]
            clipped = grown
    return clipped


def _along(ndim, axis, index):
    return (slice(None),) * axis + (index,) + (slice(None),) * (ndim - axis - 1)


def _work_array(image):
    """`image` as the estimate's working array, and the offset taken off it.

    The filters run in float32 unless the data are float64 (float32 holds
    every value of the smaller types, and a float32 image has no more
    precision to lose): twice the throughput of float64. The median is
    subtracted first, so that a large pedestal does not eat the digits the
    noise lives in; the residual does not see it, the levels get it back.
    """
    x = np.asarray(image)
    dtype = np.float64 if x.dtype == np.float64 else np.float32
    x = x.reshape([n for n in x.shape if n > 1] or [x.size])
    offset = float(x.mean(dtype=np.float64)) if x.size else 0.0
    if not math.isfinite(offset):
        offset = 0.0
    work = np.asarray(x, dtype=np.float64 if x.dtype.kind in "iu" and x.itemsize > 2 else dtype)
    work = (work - offset).astype(dtype, copy=False)
    return work, offset


def _sigma_mad(x):
    """MAD estimate of σ from all finest diagonal Daubechies-2 coefficients of `x`.

    The estimator of ``skimage.restoration.estimate_sigma`` (exact zeros, such as
    a zero-padded border, left out).
    """
    detail = pywt.dwtn(x, "db2")["d" * x.ndim]
    detail = detail[detail != 0]
    if detail.size == 0:
        return 0.0
    return float(np.median(np.abs(detail)) / _MAD_TO_SIGMA)


@dataclass(frozen=True)
class PoissonGaussianEstimate:
    """Affine noise model var(f) = a·E[f] + b, estimated from an image.

    Attributes
    ----------
    a : float
        Signal-dependent factor, in the image's units: ``1 / scale`` for photon
        noise with `scale` photons per image unit (``image.max() / peak``), times
        the gain when the image is in ADU.
    b : float
        Variance of the signal-independent (Gaussian) part, in squared image units
        (``(read_noise / scale)²`` for :func:`poisson_gaussian`). Negative when the
        signal carries an offset that the Poisson part does not see (the model is
        then ``a·(E[f] - offset) + σ²``, so ``b = σ² - a·offset``).
    """

    a: float
    b: float

    def sigma_at(self, level):
        """Noise standard deviation at the given mean `level` (scalar or array).

        Returns ``sqrt(max(a·level + b, 0))``: a float for a scalar level, a NumPy
        array for an array of levels.

        Examples
        --------
        >>> PoissonGaussianEstimate(a=0.01, b=1e-4).sigma_at(0.5)
        0.07141428428542851
        """
        variance = np.maximum(self.a * np.asarray(level, dtype=np.float64) + self.b, 0.0)
        sigma = np.sqrt(variance)
        return float(sigma) if sigma.ndim == 0 else sigma


def estimate_poisson_gaussian(image):
    """Estimate the Poisson–Gaussian noise model var(f) = a·E[f] + b from one image.

    Fits the affine variance model of photon + read noise (Foi et al. 2008) to a
    single observation, e.g. to choose Richardson–Lucy's stopping point or a
    variance-stabilising transform on real camera data.

    Parameters
    ----------
    image : array_like
        Noisy 1-D, 2-D or 3-D image in any units (clean-image units, ADU, …);
        NumPy or CuPy (moved to the host). It should not be clipped.

    Returns
    -------
    estimate : PoissonGaussianEstimate
        ``a`` (>= 0) and ``b`` in the image's units; ``estimate.sigma_at(level)``
        gives the noise standard deviation at a mean level. ``b`` is negative when
        the data carry an offset (pedestal), e.g. raw ADU:
        ``b = gain²·read_noise² - gain·offset``.

    Notes
    -----
    The method, in the spirit of Foi et al.:

    1. A noise residual r at each pixel: the image filtered with the outer product
       of second differences ``[1, -2, 1]`` along every axis, normalised to unit
       norm. Where the signal is smooth, r is pure noise with variance
       ``a·μ + b``, μ the local mean weighted like the filter's squared taps.
    2. Pixels near structure are left out: Gaussian first and second derivatives
       (σ = 1 pixel) of the image, made orthogonal to the residual filter so that
       selecting on them does not bias r, must have an energy below 1.5 times what
       the current noise model predicts.
    3. The kept pixels are binned by a level measured on a ring of pixels around
       the residual's support (independent noise, so binning does not select on
       the residual); in each bin the level is the mean of the weighted local mean
       and the variance is the mean of r².
    4. A weighted least-squares line through the bins (a >= 0), leaving out,
       one at a time, bins that lie clearly above it (texture only ever adds
       variance). Where the bins of a later pass lie within one noise
       standard deviation of each other (a sparse scene whose structure-free
       pixels are all sky), an offset (b < 0) is not read off them: the
       model of the pass before stands.

    A first pass skips step 2 and uses robust (MAD) variances; two more passes
    leave structure out with the model of the pass before. Pixels within two
    of a clipped one (the data's minimum or maximum) are left out. Signals and
    images large enough read every second pixel along each axis
    (:data:`STRIDED_SAMPLES`): neighbouring residuals share most of their
    noise, and a quarter of an image's samples take a quarter of the time.

    The estimate measures all the fine-scale noise in the image, including any
    grain the "clean" image already had: when the read noise is far below that
    (b below about 1e-4 for an 8-bit photograph scaled to [0, 1]), b comes out
    too large. Clipped (saturated) pixels also break the model.

    References
    ----------
    .. [1] A. Foi, M. Trimeche, V. Katkovnik, K. Egiazarian, "Practical
       Poissonian-Gaussian noise modeling and fitting for single-image raw-data",
       IEEE Trans. Image Process. 17(10), 2008. :DOI:`10.1109/TIP.2008.2001399`

    Examples
    --------
    >>> import numpy as np
    >>> from restore.noise import poisson_gaussian
    >>> clean = np.add.outer(np.linspace(0.05, 1, 256), np.linspace(0, 0.2, 256))
    >>> noisy = poisson_gaussian(clean, peak=100, read_noise=3, seed=0)
    >>> est = estimate_poisson_gaussian(noisy)   # truth: a = 0.012, b = 0.00130
    >>> bool(abs(est.a / 0.012 - 1) < 0.1)
    True
    """
    x, offset = _work_array(to_host(check_image(image, "image")))
    if x.ndim not in _RING_WIDTH:
        raise ValueError(
            f"image has shape {x.shape}; estimate_poisson_gaussian works on 1-D, 2-D "
            "or 3-D arrays (estimate colour channels one at a time)"
        )
    step = _sample_step(x)
    samples = _noise_samples(x, minimum=5000, step=step)
    if samples is None:
        raise ValueError(
            f"image has shape {x.shape}; estimate_poisson_gaussian needs at least "
            "about 5000 pixels away from the borders to fit the noise model"
        )
    residual, level_ring, level_local, energy, inner = samples
    unsaturated = ~_saturated(x)[inner].ravel()  # clipped areas are flat but noiseless
    # Sorted by the ring level once (the levels, fitted in x's dtype, sort as the
    # data do): each level bin of every pass is then a contiguous run.
    order = _argsort(level_ring)
    kept = int(np.count_nonzero(unsaturated))
    if 5000 <= kept < unsaturated.size:
        order = order[unsaturated[order]]  # still in level order
    # The arrays in level order, on the FFT threads (gathers release the GIL).
    # The levels were measured from x - offset: the model's level is the data's
    # own. r² and the local level side by side, for the sums of the later passes.
    stacked = np.empty((2, order.size))

    def ring():
        levels = np.add(level_ring[order], offset, dtype=np.float64)
        return levels, float(np.abs(levels).max())

    def detectors():
        ordered = energy[order]
        return ordered, float(_median(ordered))

    def residuals():
        ordered = residual[order]
        np.square(ordered, out=stacked[0], dtype=np.float64)
        return np.abs(ordered)  # in x's dtype, for the medians

    def local():
        np.add(level_local[order], offset, out=stacked[1], dtype=np.float64)

    (level_ring, top), (energy, median_energy), magnitude, _ = on_threads(
        lambda step: step(), [ring, detectors, residuals, local])
    level_local = stacked[1]
    # Sum of squared autocorrelations of the residual filter: how many neighbouring
    # residuals one pixel's noise reaches (it sets the bins' standard errors).
    # (of those `step` apart: 1.94 per axis next to each other, 1.06 two apart)
    autocorrelation = np.convolve(_DIFFERENCE, _DIFFERENCE) / np.sum(_DIFFERENCE**2)
    centre = autocorrelation.size // 2
    correlation = float(np.sum(autocorrelation[centre % step::step] ** 2)) ** x.ndim
    # as many bins as the pixels the samples stand for would get unstrided
    nbins = int(np.clip(order.size * step**x.ndim // 4000, 4, 16))

    # a flat or quantised image fits a ≈ b ≈ 0: the floor keeps the ratio
    # energy / predicted finite (a tiny absolute floor overflowed it)
    scale = max(median_energy, top * 1e-12, np.finfo(float).tiny)
    # first pass: every pixel, robust (MAD) variances
    levels, variances, counts = _binned_variances(
        magnitude, level_ring, level_local, nbins, robust=True)
    a, b = _fit_affine(levels, variances, counts, correlation)
    for _ in range(2):  # then leave structure out with the model of the pass before
        predicted = np.maximum(a * level_ring + b, 1e-12 * scale)
        keep = energy < _DETECTOR_THRESHOLD * predicted
        if np.count_nonzero(keep) < 50 * nbins:  # nearly all structure: the smoothest half
            ratio = energy / predicted
            keep = ratio <= np.median(ratio)
        levels, variances, counts = _binned_variances(
            stacked, level_ring, None, nbins, robust=False, keep=keep)
        fitted = _fit_affine(levels, variances, counts, correlation)
        if fitted[1] < 0 and not _levels_apart(levels, variances):
            break  # an offset read off bins at one level: see LEVEL_SPAN_IN_NOISE
        a, b = fitted
    return PoissonGaussianEstimate(a=float(a), b=float(b))


def _correlate_valid(x, taps, axis, step=1):
    """Correlate `x` with the 1-D `taps` along `axis`, keeping only the outputs
    whose window lies inside `x` (that axis shrinks by ``len(taps) - 1``), and
    of those every `step`-th.

    Slices of `x` added in pairs (the taps here are symmetric or antisymmetric,
    so a pair costs one multiply), in `x`'s dtype: several times faster than
    ``ndimage.correlate1d`` along the outer axes, and no border to compute.
    """
    taps = np.asarray(taps, dtype=np.float64)
    m = taps.size
    n = x.shape[axis] - (m - 1)
    cast = x.dtype.type

    def window(k):
        return x[_along(x.ndim, axis, slice(k, k + n, step))]

    out = scratch = None
    for k in range(m // 2 + 1):
        a, b = taps[k], taps[m - 1 - k]
        if a == 0 and b == 0:
            continue
        if out is not None and scratch is None:
            scratch = np.empty_like(out)
        buffer = scratch if out is not None else None  # the first term becomes `out`
        if k == m - 1 - k:  # the centre tap
            term = np.multiply(window(k), cast(a), out=buffer)
        elif a == b or a == -b:
            term = (np.add if a == b else np.subtract)(window(k), window(m - 1 - k), out=buffer)
            if a != 1:
                term *= cast(a)
        else:  # a general pair
            term = np.multiply(window(k), cast(a), out=buffer)
            term += window(m - 1 - k) * cast(b)
        if out is None:
            out = term
        else:
            out += term
    if out is None:
        shape = list(x.shape)
        shape[axis] = -(-n // step)
        out = np.zeros(shape, dtype=x.dtype)
    return out


def _border(ndim):
    """Pixels at each edge whose noise-fit filters (:func:`_filters`) reach
    past it: the detectors' radius or half the ring, plus one."""
    return max(int(4 * _DETECTOR_SCALE + 0.5), _RING_WIDTH[ndim] // 2) + 1


def _sample_step(x):
    """Every how many pixels along each axis the noise fit reads a sample:
    for 1-D and 2-D data 2 where that leaves at least :data:`STRIDED_SAMPLES`
    of them, else 1. Volumes keep every voxel: their fit reads a block of at
    most 2^18 voxels at a small cost against a 3-D solve, and loses more
    information per sample left out."""
    if x.ndim > 2:
        return 1
    border = _border(x.ndim)
    strided = math.prod(max(n - 2 * border, 0) // 2 for n in x.shape)
    return 2 if strided >= STRIDED_SAMPLES else 1


def _noise_samples(x, *, minimum, step=1):
    """Residual, ring level, local level and structure detectors, off the borders.

    None when `x` has too few pixels away from its borders (fewer than `minimum`,
    or an axis too short for the filters). Every filter is computed only where
    it is read, the inner pixels (a "valid" correlation of a crop of `x`), and
    of those every `step`-th along each axis, in blocks of rows along axis 0 on
    the FFT threads (NumPy's ufuncs release the GIL): each block reads its rows
    and `border` more on either side, and computes what one call on the whole
    would, pixel for pixel. The last item is the index of the samples in `x`.
    """
    ndim = x.ndim
    border = _border(ndim)
    if min(x.shape) <= 2 * border + 4:
        return None
    inner = tuple(slice(border, -border, step) for _ in range(ndim))
    shape = tuple(-(-(n - 2 * border) // step) for n in x.shape)
    if math.prod(shape) < minimum:
        return None
    outputs = [np.empty(shape, dtype=x.dtype) for _ in range(4)]

    def block(start, stop):
        rows = x[start * step:(stop - 1) * step + 1 + 2 * border]
        for out, part in zip(outputs, _filters(rows, border, step)):
            out[start:stop] = part

    row_blocks(block, outputs[0])
    return (*(out.ravel() for out in outputs), inner)


def _filters(x, border, step=1):
    """:func:`_noise_samples`' arrays (residual, ring level, local level,
    detector energy) of the pixels `border` or more away from the edges of `x`,
    every `step`-th along each axis."""
    from scipy import ndimage

    ndim = x.ndim
    width = _RING_WIDTH[ndim]
    s = _DETECTOR_SCALE
    radius = int(4 * s + 0.5)

    def separable(taps_per_axis):
        """`x` correlated with an outer product of odd-length taps, on the inner pixels."""
        reach = len(taps_per_axis[0]) // 2
        y = x[tuple(slice(border - reach, n - border + reach) for n in x.shape)]
        for axis, taps in enumerate(taps_per_axis):
            y = _correlate_valid(y, taps, axis, step)
        return y

    k2 = float(np.sum(_DIFFERENCE**2)) ** ndim  # squared norm of the residual filter
    filtered = separable([_DIFFERENCE] * ndim)
    residual = filtered * x.dtype.type(1 / math.sqrt(k2))
    weights = _DIFFERENCE**2 / np.sum(_DIFFERENCE**2)
    level_local = separable([weights] * ndim)  # the mean that r's variance follows
    box = separable([np.ones(width)] * ndim)
    centre = separable([np.ones(3)] * ndim)
    box -= centre
    level_ring = box
    level_ring *= x.dtype.type(1 / (width**ndim - 3**ndim))

    # Gaussian derivative kernels (orders 1 and 2, mixed ones too), as 1-D taps.
    impulse = np.zeros(2 * radius + 1)
    impulse[radius] = 1.0
    taps = {o: ndimage.gaussian_filter1d(impulse, s, order=o, mode="constant")[::-1]
            for o in (0, 1, 2)}
    orders = []
    for i in range(ndim):
        orders.append(tuple(1 if j == i else 0 for j in range(ndim)))
        orders.append(tuple(2 if j == i else 0 for j in range(ndim)))
        for j in range(i + 1, ndim):
            orders.append(tuple(1 if m in (i, j) else 0 for m in range(ndim)))
    # Mean normalised detector energy over the inner pixels. The passes along
    # the first axes are shared by the detectors that start alike.
    energy = None
    partial = {(): x[tuple(slice(border - radius, n - border + radius) for n in x.shape)]}
    for order in orders:
        for depth in range(1, ndim):
            if order[:depth] not in partial:
                partial[order[:depth]] = _correlate_valid(
                    partial[order[:depth - 1]], taps[order[depth - 1]], depth - 1, step)
        kernels = [taps[o] for o in order]
        # Remove the part of the detector that correlates with the residual filter,
        # so that selecting pixels on the detector does not select on r.
        centre_taps = [k[radius - 1:radius + 2] for k in kernels]
        inner_product = np.prod([np.dot(c, _DIFFERENCE) for c in centre_taps])
        coefficient = inner_product / k2
        norm2 = np.prod([np.sum(k**2) for k in kernels]) - coefficient**2 * k2
        # the normalisation folded into the last axis's taps: d² is the energy term
        scale = 1 / math.sqrt(norm2 * len(orders))
        d = _correlate_valid(partial[order[:-1]], taps[order[-1]] * scale, ndim - 1, step)
        if coefficient != 0:
            d -= x.dtype.type(coefficient * scale) * filtered
        if energy is None:
            energy = np.square(d, out=d)
        else:
            energy += np.square(d, out=d)
    return residual, level_ring, level_local, energy


def _argsort(values):
    """``np.argsort(values)`` of a flat array, for float32 a sort of 64-bit keys.

    The keys are the values' bits made to order as the numbers do, above each
    index: NumPy sorts those with SIMD, its argsort does not (3× the time).
    """
    if values.dtype != np.float32 or values.size >= 2**32:
        return np.argsort(values)
    bits = values.view(np.uint32)
    negative = bits >= np.uint32(2**31)
    keys = np.where(negative, ~bits, bits | np.uint32(2**31)).astype(np.uint64)
    keys <<= np.uint64(32)
    keys |= np.arange(values.size, dtype=np.uint64)
    keys.sort()
    return (keys & np.uint64(2**32 - 1)).astype(np.intp)


def _median(values):
    """``np.median(values)`` of a flat array, by a partition around its middle
    (262 144 float32: 1.5 ms, against 6.9 ms for the sort it used)."""
    middle = values.size // 2
    if values.size % 2:
        return np.partition(values, middle)[middle]
    return np.partition(values, (middle - 1, middle))[middle - 1:middle + 1].mean()


def _binned_variances(values, level_ring, level_local, nbins, *, robust, keep=None):
    """Per level bin: mean local level, variance of the residual, pixel count.

    The samples come sorted by `level_ring`, so that each bin is a contiguous
    run of them; `keep` (a mask) picks those that count, None all. `values`
    are |r| when `robust` (a MAD per bin, all samples), else the rows r² and
    local level of one float64 array (`level_local` is then unused).
    """
    size = level_ring.size
    where = None if keep is None else np.flatnonzero(keep)  # the kept samples
    n = size if where is None else where.size
    edges = _sorted_quantiles(level_ring, np.linspace(0, 1, nbins + 1), n, where)
    bounds = np.concatenate([[0], np.searchsorted(level_ring, edges[1:-1], side="left"),
                             [size]])
    minimum = max(50, n // (4 * nbins))
    # kept samples per bin (those before each bound: a search in `where`)
    counts = np.diff(bounds if where is None else np.searchsorted(where, bounds))
    runs = np.flatnonzero(bounds[1:] > bounds[:-1])  # the bins with samples in them
    if robust:
        level_sums = np.zeros(nbins)
        level_sums[runs] = np.add.reduceat(level_local, bounds[runs])
        variances = np.array([
            (float(_median(values[i:j])) / _MAD_TO_SIGMA) ** 2 if j > i else 0.0
            for i, j in zip(bounds[:-1], bounds[1:])])
    else:
        # the samples left out add zeros to the sums: one pass, then one sum per bin
        sums = np.zeros((2, nbins))
        sums[:, runs] = np.add.reduceat(np.where(keep, values, 0.0), bounds[runs], axis=1)
        variances = sums[0] / np.maximum(counts, 1)
        level_sums = sums[1]
    used = counts >= minimum
    return (level_sums[used] / counts[used], variances[used],
            counts[used].astype(float))


def _sorted_quantiles(values, q, n, where=None):
    """``np.quantile`` (its default, linear method) of the `n` samples of sorted
    `values` that count: all of them, or those at the indices `where`."""
    virtual = n * q + (1 - q) - 1  # numpy's virtual index for alpha = beta = 1
    below = np.clip(np.floor(virtual), 0, n - 1).astype(np.intp)
    above = np.clip(below + 1, 0, n - 1)
    gamma = virtual - below
    if where is not None:
        below, above = where[below], where[above]
    a, b = values[below], values[above]
    difference = b - a
    result = a + difference * gamma
    late = gamma >= 0.5
    result[late] = (b - difference * (1 - gamma))[late]
    return result


def _fit_affine(levels, variances, counts, correlation):
    """Weighted line variance = a·level + b (a >= 0), rejecting bins above it."""
    from scipy.optimize import nnls

    if levels.size == 0 or not float(variances.max()) > 0:  # no noise seen at all
        return 0.0, 0.0
    floor = 1e-12 * float(variances.max())
    variances = np.maximum(variances, floor)
    # Standard error of a mean of r² over n correlated Gaussian samples.
    spread = variances * np.sqrt(2.0 * correlation / counts)
    keep = np.ones(levels.size, dtype=bool)
    while True:
        w = spread[keep].max() / spread[keep]  # relative weights: no overflow near 0
        ones = np.ones(keep.sum())
        design = np.stack([levels[keep], ones, -ones], axis=1) * w[:, None]
        (a, b_plus, b_minus), _ = nnls(design, variances[keep] * w)  # a >= 0, b free
        b = b_plus - b_minus
        predicted = a * levels + b
        excess = (variances - predicted) / np.maximum(2 * spread, 0.05 * predicted)
        excess[~keep] = -np.inf
        worst = int(np.argmax(excess))
        if excess[worst] <= 1.0 or keep.sum() <= max(3, levels.size // 3):
            return a, b
        keep[worst] = False


#: A pass that leaves structure out keeps the model of the pass before where
#: its own line has an offset (b < 0) and the levels of its bins lie within
#: this many noise standard deviations of each other. In a sparse scene
#: every pixel without structure is sky or background: bins at one level
#: cannot tell a from b, and the texture left in the brighter of them reads
#: as a steep slope, the offset as its extrapolation. A 96² star field on a
#: sky of 20 (Poisson): its structure-free bins sat at 19.7–20.3, and the
#: line through them, a = 7.2, b = −125, read σ̂ 8.26 off the image where
#: the truth is 5.17; the first pass, over every pixel, reads 4.75. TV
#: restored it to 42.9 dB, with the true σ̂ to 54.9. A positive b (read
#: noise) read at one level stands: the widefield volumes' image-domain
#: fits are unchanged.
LEVEL_SPAN_IN_NOISE = 1.0


def _levels_apart(levels, variances):
    """Whether the bins' `levels` span :data:`LEVEL_SPAN_IN_NOISE` noise
    standard deviations (the square root of their mean variance)."""
    if levels.size < 2:
        return False
    noise = math.sqrt(max(float(np.mean(variances)), 0.0))
    return bool(np.ptp(levels) >= LEVEL_SPAN_IN_NOISE * noise)
