"""Noise: simulate it (Gaussian, Poisson, a camera), estimate it, name it in text.

The observation model is f = g * h + n. This module makes the n: additive white
Gaussian noise, photon (shot) noise, and the Poisson–Gaussian noise of a camera
(shot noise plus read noise, with gain and offset). It also estimates noise from
a single observation, and parses noise specs such as ``"poisson:peak=100"`` into
:class:`NoiseModel` objects that the CLI and the comparison tools share.

**SNR, as used throughout restore.** The signal-to-noise ratio in dB is

    SNR = 10·log10(var(g) / σ²)

where var(g) is the variance of the noise-free image over its pixels and σ² the
variance of the noise (the "blurred SNR" of the deconvolution literature when g is
the blurred, noise-free image). A 30 dB SNR therefore names the same relative noise
on every image, whatever its units.

**Reproducibility.** Random numbers are drawn on the host with NumPy's
``default_rng(seed)`` and then moved to the input's device, so the same seed gives
the same noise for a NumPy and a CuPy input (CuPy's own generator would not).

**Units.** Every simulator returns the noisy observation in the units of the clean
image, so that it compares directly with it (``poisson_gaussian`` can also return
raw camera ADU). Results are float32 unless the input is float64; integer inputs
are converted to float without rescaling. Inputs are never modified.
"""

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pywt

from .._backend import array_module, float_dtype, to_device, to_host

__all__ = [
    "gaussian",
    "poisson",
    "poisson_gaussian",
    "estimate_sigma",
    "estimate_poisson_gaussian",
    "PoissonGaussianEstimate",
    "NoiseModel",
    "from_spec",
]

#: Median absolute deviation of a standard normal variable: Φ⁻¹(3/4).
_MAD_TO_SIGMA = 0.6744897501960817


# --------------------------------------------------------------------------- #
# Validation helpers (the public functions call these once, at the edge)
# --------------------------------------------------------------------------- #


def _number(name, value, *, minimum=None, strict=False):
    """`value` as a finite float, or ValueError naming `name`."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = math.nan
    if isinstance(value, bool) or not math.isfinite(x):
        raise ValueError(f"{name}={value!r} is not allowed; give a finite number")
    if minimum is not None and (x < minimum or (strict and x == minimum)):
        bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
        raise ValueError(f"{name}={value!r} is not allowed; give a number {bound}")
    return x


def _host_float64(image):
    """Host copy of `image` as float64, with the result dtype of the float contract."""
    xp = array_module(image)
    x = to_host(image)
    if x.dtype.kind not in "biuf":
        raise ValueError(f"image has dtype {x.dtype}; give a real-valued numeric array")
    return xp, np.asarray(x, dtype=np.float64), float_dtype(x.dtype)


def _photon_scale(x, peak):
    """`x` with round-off negatives set to 0, and photons per image unit.

    The scale makes the image's maximum `peak` photons. A blurred image
    carries FFT round-off (about 1e-7 of its peak) below zero where it is
    dark; values down to 1e-6 of the peak are taken as 0, anything more
    negative is an error.
    """
    if not np.all(np.isfinite(x)):
        raise ValueError("image contains NaN or Inf; photon noise needs finite values")
    top = x.max() if x.size else 0.0
    if top <= 0:
        raise ValueError(
            "image is zero everywhere; photon noise needs a positive maximum to set "
            "the number of photons per image unit"
        )
    if x.min() < -1e-6 * top:
        raise ValueError(
            f"image has negative values (minimum {x.min():g}); photon noise needs a "
            "non-negative image (subtract an offset or clip first)"
        )
    return np.maximum(x, 0), peak / top


# --------------------------------------------------------------------------- #
# Simulation
# --------------------------------------------------------------------------- #


def gaussian(image, *, sigma=None, snr=None, seed=None):
    """Add white Gaussian noise, given its standard deviation or an SNR in dB.

    Parameters
    ----------
    image : array_like
        Noise-free image, any number of dimensions. NumPy or CuPy; the result has
        the same type.
    sigma : float, optional
        Standard deviation of the noise, in the image's units (>= 0).
    snr : float, optional
        Signal-to-noise ratio in dB, ``10·log10(var(image) / sigma²)``.
        Give exactly one of `sigma` and `snr`.
    seed : int, numpy.random.Generator or None, optional
        Seed of NumPy's ``default_rng``; the same seed gives the same noise on the
        CPU and the GPU.

    Returns
    -------
    noisy : ndarray
        ``image + sigma·N(0, 1)``, float32 unless `image` is float64.

    Examples
    --------
    >>> import numpy as np
    >>> clean = np.linspace(0, 1, 10_000).reshape(100, 100)
    >>> noisy = gaussian(clean, snr=20, seed=0)
    >>> round(10 * np.log10(clean.var() / (noisy - clean).var()))
    20
    """
    if (sigma is None) == (snr is None):
        raise ValueError(
            f"gaussian got sigma={sigma!r} and snr={snr!r}; give exactly one of them "
            "(sigma in image units or snr in dB)"
        )
    xp = array_module(image)
    image = xp.asarray(image)
    dtype = float_dtype(image.dtype)
    if sigma is not None:
        sigma = _number("sigma", sigma, minimum=0)
    else:
        snr = _number("snr", snr)
        signal_variance = float(xp.var(image.astype(xp.float64)))
        if not signal_variance > 0:
            raise ValueError(
                f"snr={snr!r} needs an image that varies, but this image is constant "
                "(its variance is 0); give sigma instead"
            )
        sigma = math.sqrt(signal_variance / 10.0 ** (snr / 10.0))
    noise = np.random.default_rng(seed).standard_normal(image.shape)
    noise = to_device((sigma * noise).astype(dtype), xp)
    return image.astype(dtype) + noise


def poisson(image, *, peak, background=0.0, seed=None):
    """Apply photon (shot) noise: Poisson counts at a given number of photons.

    The image is scaled so that its maximum is `peak` expected photons
    (``scale = peak / image.max()`` photons per image unit), `background` expected
    photons are added to every pixel, Poisson counts are drawn, and the counts are
    divided by the same scale. The result is thus in the image's units, with mean
    ``image + background / scale`` and variance ``(image + background / scale) /
    scale``; it takes only values that are integer multiples of ``1 / scale``.

    Parameters
    ----------
    image : array_like
        Noise-free, non-negative image. NumPy or CuPy; the result has the same type.
    peak : float
        Expected photons at the image's maximum (> 0). Fewer photons, more noise:
        the SNR at the maximum is ``sqrt(peak)``.
    background : float, optional
        Expected background photons added to every pixel (>= 0). It appears in the
        result as ``background / scale``; subtract that to remove its mean.
    seed : int, numpy.random.Generator or None, optional
        Seed of NumPy's ``default_rng`` (the draw happens on the host).

    Returns
    -------
    noisy : ndarray
        Counts / scale, float32 unless `image` is float64.

    Examples
    --------
    >>> import numpy as np
    >>> clean = np.full((64, 64), 0.5)
    >>> noisy = poisson(clean, peak=100, seed=0)   # 100 photons per pixel
    >>> bool(abs(noisy.mean() - 0.5) < 0.01)
    True
    """
    xp, x, dtype = _host_float64(image)
    peak = _number("peak", peak, minimum=0, strict=True)
    background = _number("background", background, minimum=0)
    x, scale = _photon_scale(x, peak)
    counts = np.random.default_rng(seed).poisson(x * scale + background)
    return to_device((counts / scale).astype(dtype), xp)


def poisson_gaussian(image, *, peak, read_noise, gain=1.0, offset=0.0, units="image",
                     seed=None):
    """Simulate a camera: photon noise, then read noise, gain and offset.

    With ``scale = peak / image.max()`` photons (electrons) per image unit::

        electrons = Poisson(scale · image)
        ADU       = gain · electrons + Normal(0, gain · read_noise) + offset

    By default the ADU are converted back to the image's units,
    ``(ADU - offset) / gain / scale``, so the result compares directly with the
    clean image: its mean is `image` and its variance is the affine model

        var = a · image + b,   a = 1 / scale,   b = (read_noise / scale)²

    (gain and offset cancel). ``units="adu"`` returns the raw ADU instead. ADU are
    neither rounded to integers nor clipped.

    Parameters
    ----------
    image : array_like
        Noise-free, non-negative image. NumPy or CuPy; the result has the same type.
    peak : float
        Expected photo-electrons at the image's maximum (> 0).
    read_noise : float
        Standard deviation of the read noise in electrons (>= 0).
    gain : float, optional
        ADU per electron (> 0).
    offset : float, optional
        Constant added to every pixel, in ADU (the camera's bias level).
    units : {"image", "adu"}, optional
        Units of the result: the clean image's (default) or raw camera ADU.
    seed : int, numpy.random.Generator or None, optional
        Seed of NumPy's ``default_rng`` (the draw happens on the host). With the
        same seed, ``read_noise=0`` gives exactly :func:`poisson`'s result, and the
        two `units` give the same draw.

    Returns
    -------
    noisy : ndarray
        Float32 unless `image` is float64.

    Examples
    --------
    >>> import numpy as np
    >>> clean = np.full((64, 64), 0.5)
    >>> adu = poisson_gaussian(clean, peak=200, read_noise=2, gain=1.5, offset=100,
    ...                        units="adu", seed=0)
    >>> bool(abs(adu.mean() - (1.5 * 200 + 100)) < 1)
    True
    """
    xp, x, dtype = _host_float64(image)
    peak = _number("peak", peak, minimum=0, strict=True)
    read_noise = _number("read_noise", read_noise, minimum=0)
    gain = _number("gain", gain, minimum=0, strict=True)
    offset = _number("offset", offset)
    if units not in ("image", "adu"):
        raise ValueError(f"units={units!r} is not allowed; use 'image' or 'adu'")
    x, scale = _photon_scale(x, peak)
    rng = np.random.default_rng(seed)
    electrons = rng.poisson(x * scale).astype(np.float64)
    electrons += read_noise * rng.standard_normal(x.shape)  # read noise, in electrons
    if units == "adu":
        out = gain * electrons + offset
    else:
        out = electrons / scale
    return to_device(out.astype(dtype), xp)


# --------------------------------------------------------------------------- #
# Estimation
# --------------------------------------------------------------------------- #


# The second difference [1, -2, 1] along every axis (their outer product) is the
# noise residual: it cancels any signal that is constant or linear along one axis.
_DIFFERENCE = np.array([1.0, -2.0, 1.0])
_DETECTOR_SCALE = 1.0  # σ (pixels) of the Gaussian-derivative structure detectors
_DETECTOR_THRESHOLD = 1.5  # keep pixels whose detector energy is < 1.5 × the noise's
_RING_WIDTH = {1: 15, 2: 7, 3: 5}  # window whose ring (minus the centre 3^d) sets a level


def _channels(image, channel_axis):
    """Host float64 array and a list of per-channel views (one view without channels)."""
    x = np.asarray(to_host(image), dtype=np.float64)
    if x.ndim == 0 or x.size == 0:
        raise ValueError(f"image has shape {x.shape}; give a non-empty array")
    if channel_axis is None:
        return [x]
    try:
        axis = range(x.ndim)[channel_axis]
    except (TypeError, IndexError):
        raise ValueError(
            f"channel_axis={channel_axis!r} is not an axis of an image with shape "
            f"{x.shape}; give an integer in [-{x.ndim}, {x.ndim - 1}] or None"
        ) from None
    return [np.take(x, c, axis=axis) for c in range(x.shape[axis])]


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
    >>> clean = np.linspace(0, 1, 65_536).reshape(256, 256)
    >>> noisy = gaussian(clean, sigma=0.05, seed=0)
    >>> round(estimate_sigma(noisy), 2)
    0.05
    """
    sigmas = [_sigma_smooth_regions(channel) for channel in _channels(image, channel_axis)]
    return sigmas if channel_axis is not None else sigmas[0]


def _sigma_smooth_regions(x):
    """MAD estimate of σ from finest-scale details in the smooth parts of `x`."""
    x = x.reshape([n for n in x.shape if n > 1] or [x.size])
    if not np.all(np.isfinite(x)):
        raise ValueError("image contains NaN or Inf; give finite values")
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
    """Pixels whose residual support touches the data's minimum or maximum.

    Clipped regions (a photo's blown highlights, a camera's zero floor) are
    flat, hence "smooth", but hold no noise: left in, they pull σ down.
    """
    clipped = (x <= x.min()) | (x >= x.max())
    # binary dilation by a 3^d cube, one axis at a time by slices (the cube is
    # separable; scipy's binary_dilation took a fifth of the whole estimate)
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
    if x.dtype.kind not in "biuf":
        raise ValueError(f"image has dtype {x.dtype}; give a real-valued numeric array")
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
       variance).

    A first pass skips step 2 and uses robust (MAD) variances; two more passes
    leave structure out with the model of the pass before.

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
    >>> clean = np.add.outer(np.linspace(0.05, 1, 256), np.linspace(0, 0.2, 256))
    >>> noisy = poisson_gaussian(clean, peak=100, read_noise=3, seed=0)
    >>> est = estimate_poisson_gaussian(noisy)   # truth: a = 0.012, b = 0.00130
    >>> bool(abs(est.a / 0.012 - 1) < 0.1)
    True
    """
    x, offset = _work_array(to_host(image))
    if x.ndim not in _RING_WIDTH:
        raise ValueError(
            f"image has shape {x.shape}; estimate_poisson_gaussian works on 1-D, 2-D "
            "or 3-D arrays (estimate colour channels one at a time)"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError("image contains NaN or Inf; give finite values")
    samples = _noise_samples(x, minimum=5000)
    if samples is None:
        raise ValueError(
            f"image has shape {x.shape}; estimate_poisson_gaussian needs at least "
            "about 5000 pixels away from the borders to fit the noise model"
        )
    residual, level_ring, level_local, energy, inner = samples
    unsaturated = ~_saturated(x)[inner].ravel()  # clipped areas are flat but noiseless
    if unsaturated.sum() >= 5000:
        residual, level_ring, level_local, energy = (
            a[unsaturated] for a in (residual, level_ring, level_local, energy))
    # the levels were measured from x - offset: the model's level is the data's own
    level_ring = level_ring.astype(np.float64)
    level_ring += offset
    level_local = level_local.astype(np.float64)
    level_local += offset
    # Sum of squared autocorrelations of the residual filter: how many neighbouring
    # residuals one pixel's noise reaches (it sets the bins' standard errors).
    autocorrelation = np.convolve(_DIFFERENCE, _DIFFERENCE) / np.sum(_DIFFERENCE**2)
    correlation = float(np.sum(autocorrelation**2)) ** x.ndim
    nbins = int(np.clip(residual.size // 4000, 4, 16))

    a = b = None
    for _ in range(3):
        if a is None:  # first pass: every pixel, robust (MAD) variances
            keep = np.ones(residual.size, dtype=bool)
        else:
            # a flat or quantised image fits a ≈ b ≈ 0: the floor keeps the
            # ratio finite (a tiny absolute floor overflowed energy / predicted)
            scale = max(float(np.median(energy)), float(np.abs(level_ring).max()) * 1e-12,
                        np.finfo(float).tiny)
            predicted = np.maximum(a * level_ring + b, 1e-12 * scale)
            keep = energy < _DETECTOR_THRESHOLD * predicted
            if keep.sum() < 50 * nbins:  # nearly all structure: use the smoothest half
                ratio = energy / predicted
                keep = ratio <= np.median(ratio)
        levels, variances, counts = _binned_variances(
            residual[keep], level_ring[keep], level_local[keep], nbins, robust=a is None
        )
        a, b = _fit_affine(levels, variances, counts, correlation)
    return PoissonGaussianEstimate(a=float(a), b=float(b))


def _separable(x, taps_per_axis):
    """Correlate `x` with an outer product of 1-D taps (one array per axis)."""
    from scipy import ndimage

    for axis, taps in enumerate(taps_per_axis):
        x = ndimage.correlate1d(x, taps, axis=axis, mode="reflect")
    return x


def _noise_samples(x, *, minimum):
    """Residual, ring level, local level and structure detectors, off the borders.

    None when `x` has too few pixels away from its borders (fewer than `minimum`,
    or an axis too short for the filters).
    """
    from scipy import ndimage

    ndim = x.ndim
    width = _RING_WIDTH[ndim]
    s = _DETECTOR_SCALE
    radius = int(4 * s + 0.5)
    border = max(radius, width // 2) + 1  # pixels whose filters reach past the edge
    if min(x.shape) <= 2 * border + 4:
        return None
    inner = tuple(slice(border, -border) for _ in range(ndim))
    if np.prod([n - 2 * border for n in x.shape]) < minimum:
        return None

    k2 = float(np.sum(_DIFFERENCE**2)) ** ndim  # squared norm of the residual filter
    filtered = _separable(x, [_DIFFERENCE] * ndim)
    residual = filtered / math.sqrt(k2)
    weights = _DIFFERENCE**2 / np.sum(_DIFFERENCE**2)
    level_local = _separable(x, [weights] * ndim)  # the mean that r's variance follows
    box = ndimage.uniform_filter(x, width, mode="reflect") * width**ndim
    centre = ndimage.uniform_filter(x, 3, mode="reflect") * 3**ndim
    level_ring = (box - centre) / (width**ndim - 3**ndim)

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
    partial = {(): x}
    for order in orders:
        for depth in range(1, ndim):
            if order[:depth] not in partial:
                partial[order[:depth]] = ndimage.correlate1d(
                    partial[order[:depth - 1]], taps[order[depth - 1]], axis=depth - 1,
                    mode="reflect")
        d = ndimage.correlate1d(partial[order[:-1]], taps[order[-1]], axis=ndim - 1,
                                mode="reflect")[inner]
        kernels = [taps[o] for o in order]
        # Remove the part of the detector that correlates with the residual filter,
        # so that selecting pixels on the detector does not select on r.
        centre_taps = [k[radius - 1:radius + 2] for k in kernels]
        inner_product = np.prod([np.dot(c, _DIFFERENCE) for c in centre_taps])
        coefficient = inner_product / k2
        d -= x.dtype.type(coefficient) * filtered[inner]
        norm2 = np.prod([np.sum(k**2) for k in kernels]) - coefficient**2 * k2
        d *= d
        d *= x.dtype.type(1 / (norm2 * len(orders)))
        if energy is None:
            energy = d
        else:
            energy += d
    flat = [a[inner].ravel() for a in (residual, level_ring, level_local)]
    return (*flat, energy.ravel(), inner)


def _binned_variances(residual, level_ring, level_local, nbins, *, robust):
    """Per level bin: mean local level, variance of the residual, pixel count."""
    edges = np.quantile(level_ring, np.linspace(0, 1, nbins + 1))
    index = np.searchsorted(edges[1:-1], level_ring, side="right")  # 0 .. nbins - 1
    minimum = max(50, residual.size // (4 * nbins))
    # one pass per statistic over all bins (bincount), not a mask per bin
    counts = np.bincount(index, minlength=nbins)
    level_sums = np.bincount(index, weights=level_local, minlength=nbins)
    if robust:
        order = np.argsort(index)
        magnitude = np.abs(residual[order])
        ends = np.cumsum(counts)
        variances = np.array([
            (np.median(magnitude[end - n:end]) / _MAD_TO_SIGMA) ** 2 if n else 0.0
            for n, end in zip(counts, ends)])
    else:
        r = residual.astype(np.float64)
        variances = np.bincount(index, weights=r * r, minlength=nbins) / np.maximum(counts, 1)
    used = counts >= minimum
    return (level_sums[used] / counts[used], variances[used],
            counts[used].astype(float))


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


# --------------------------------------------------------------------------- #
# Noise models from text specs
# --------------------------------------------------------------------------- #

# name -> (required parameters, optional parameters with defaults)
_MODELS = {
    "none": ((), {}),
    "gaussian": ((), {"snr": None, "sigma": None}),
    "poisson": (("peak",), {"background": 0.0}),
    "poisson_gaussian": (("peak", "read_noise"), {"gain": 1.0, "offset": 0.0}),
}

_ACCEPTED = (
    "none, gaussian:snr=<dB>, gaussian:sigma=<std>, "
    "poisson:peak=<photons>[,background=<photons>], "
    "poisson_gaussian:peak=<photons>,read_noise=<electrons>"
    "[,gain=<ADU per electron>][,offset=<ADU>]"
)


@dataclass(frozen=True)
class NoiseModel:
    """A named noise model with its parameters; call it on an image to add noise.

    Build one from text with :func:`from_spec`, or directly, e.g.
    ``NoiseModel("poisson", {"peak": 100})``.

    Attributes
    ----------
    name : {"none", "gaussian", "poisson", "poisson_gaussian"}
        Which simulator: :func:`gaussian`, :func:`poisson`,
        :func:`poisson_gaussian`, or none (the image unchanged, as float).
    params : dict
        Its keyword arguments (floats), e.g. ``{"peak": 100.0}``.

    Examples
    --------
    >>> import numpy as np
    >>> model = from_spec("poisson:peak=100")
    >>> model.describe()
    'Poisson, peak 100 photons'
    >>> noisy = model(np.full((8, 8), 0.5), seed=0)
    """

    name: str
    params: dict = field(default_factory=dict, hash=False)

    def __post_init__(self):
        if self.name not in _MODELS:
            raise ValueError(
                f"noise model name={self.name!r} is not known; use one of "
                + ", ".join(repr(n) for n in _MODELS)
            )
        required, optional = _MODELS[self.name]
        params = dict(self.params)
        unknown = sorted(set(params) - set(required) - set(optional))
        if unknown:
            allowed = ", ".join(required + tuple(optional)) or "none"
            raise ValueError(
                f"noise model {self.name!r} got unknown parameter(s) "
                f"{', '.join(unknown)}; it takes: {allowed}"
            )
        missing = [p for p in required if p not in params]
        if missing:
            raise ValueError(
                f"noise model {self.name!r} needs {', '.join(missing)}; "
                f"accepted forms: {_ACCEPTED}"
            )
        if self.name == "gaussian" and len(params) != 1:
            raise ValueError(
                f"noise model 'gaussian' got {sorted(params) or 'no parameters'}; "
                "give exactly one of snr (dB) and sigma"
            )
        minimum = {"peak": 0, "read_noise": 0, "gain": 0, "sigma": 0, "background": 0}
        strict = {"peak", "gain"}
        params = {
            k: _number(k, v, minimum=minimum.get(k), strict=k in strict)
            for k, v in params.items()
        }
        object.__setattr__(self, "params", params)

    def __call__(self, image, seed=None):
        """Return a noisy copy of `image`, in its units (float32 unless float64)."""
        if self.name == "none":
            xp = array_module(image)
            image = xp.asarray(image)
            return image.astype(float_dtype(image.dtype), copy=True)
        simulate = {"gaussian": gaussian, "poisson": poisson,
                    "poisson_gaussian": poisson_gaussian}[self.name]
        return simulate(image, seed=seed, **self.params)

    def describe(self):
        """A short human-readable description, e.g. ``'Poisson, peak 100 photons'``."""
        p = self.params
        if self.name == "none":
            return "No noise"
        if self.name == "gaussian":
            if "snr" in p:
                return f"Gaussian, SNR {p['snr']:g} dB"
            return f"Gaussian, sigma {p['sigma']:g}"
        text = f"peak {p['peak']:g} photons"
        if self.name == "poisson":
            if p.get("background", 0.0):
                text += f", background {p['background']:g} photons"
            return f"Poisson, {text}"
        text += f", read noise {p['read_noise']:g} e-"
        if p.get("gain", 1.0) != 1.0:
            text += f", gain {p['gain']:g} ADU/e-"
        if p.get("offset", 0.0):
            text += f", offset {p['offset']:g} ADU"
        return f"Poisson-Gaussian camera, {text}"

    def __str__(self):
        """The spec that :func:`from_spec` reads back, e.g. ``'poisson:peak=100'``."""
        if not self.params:
            return self.name
        return self.name + ":" + ",".join(f"{k}={v:g}" for k, v in self.params.items())


_SPEC = re.compile(r"^\s*([A-Za-z_]+)\s*(?::(.*))?$", re.DOTALL)


def from_spec(text):
    """Parse a noise spec such as ``"poisson:peak=100"`` into a :class:`NoiseModel`.

    Grammar::

        spec   := "none" | name ":" param ("," param)*
        name   := "gaussian" | "poisson" | "poisson_gaussian"
        param  := key "=" number

    with the forms ``gaussian:snr=<dB>``, ``gaussian:sigma=<std>``,
    ``poisson:peak=<photons>[,background=<photons>]`` and
    ``poisson_gaussian:peak=<photons>,read_noise=<electrons>[,gain=<ADU/e->]
    [,offset=<ADU>]``. Names are case-insensitive; spaces around tokens are ignored.

    Parameters
    ----------
    text : str
        The spec.

    Returns
    -------
    model : NoiseModel

    Raises
    ------
    ValueError
        When the spec does not follow the grammar; the message names the spec and
        lists the accepted forms.

    Examples
    --------
    >>> from_spec("poisson_gaussian:peak=200,read_noise=2,gain=1.5,offset=100").describe()
    'Poisson-Gaussian camera, peak 200 photons, read noise 2 e-, gain 1.5 ADU/e-, offset 100 ADU'
    >>> from_spec("gaussian:snr=30").params
    {'snr': 30.0}
    """
    if not isinstance(text, str):
        raise TypeError(
            f"noise spec must be a string such as 'poisson:peak=100', not "
            f"{type(text).__name__}"
        )

    def bad(reason):
        return ValueError(f"noise spec {text!r} is not understood ({reason}); "
                          f"accepted forms: {_ACCEPTED}")

    match = _SPEC.match(text)
    if not match:
        raise bad("expected name:key=value,...")
    name, body = match.group(1).lower(), match.group(2)
    if name not in _MODELS:
        raise bad(f"unknown noise model {name!r}")
    params = {}
    if body is not None and body.strip():
        for item in body.split(","):
            key, sep, value = item.partition("=")
            key = key.strip().lower()
            if not sep or not key or not value.strip():
                raise bad(f"{item.strip()!r} is not key=value")
            if key in params:
                raise bad(f"{key} is given twice")
            try:
                params[key] = float(value)
            except ValueError:
                raise bad(f"{key}={value.strip()!r} is not a number") from None
    elif body is not None:
        raise bad("nothing after ':'")
    try:
        return NoiseModel(name, params)
    except ValueError as error:
        raise bad(str(error)) from None
