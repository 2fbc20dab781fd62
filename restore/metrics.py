"""Quality metrics: how close is a restored image to the truth?

All metrics take NumPy or CuPy arrays (CuPy is moved to the host), compute in
float64 and return Python floats. The arrays must have the same shape.

- :func:`mse` — mean squared error.
- :func:`psnr` — peak signal-to-noise ratio in dB, with the peak taken as the
  truth's range unless `data_range` is given.
- :func:`ssim` — structural similarity (scikit-image's implementation).
- :func:`isnr` — improvement in SNR of the estimate over the observation, in dB.
"""

import math

import numpy as np

from ._backend import to_host
from ._checks import check_channel_axis, check_number

__all__ = ["mse", "psnr", "ssim", "isnr"]


def _as_pair(truth, estimate, *, names=("truth", "estimate")):
    """Both arrays on the host as float64, or ValueError when their shapes differ."""
    t = np.asarray(to_host(truth), dtype=np.float64)
    e = np.asarray(to_host(estimate), dtype=np.float64)
    if t.shape != e.shape:
        raise ValueError(
            f"{names[0]} has shape {t.shape} but {names[1]} has shape {e.shape}; "
            "give arrays of the same shape"
        )
    if t.size == 0:
        raise ValueError(f"{names[0]} is empty (shape {t.shape}); give a non-empty array")
    return t, e


def _data_range(truth, data_range):
    """The given `data_range` (> 0), or the truth's max − min."""
    if data_range is None:
        data_range = float(truth.max() - truth.min())
        if not data_range > 0:
            raise ValueError(
                "data_range=None uses truth.max() - truth.min(), which is "
                f"{data_range:g} for this truth (it is constant); give data_range > 0"
            )
        return data_range
    return check_number("data_range", data_range, bound="positive")


def mse(truth, estimate):
    """Mean squared error ``mean((truth - estimate)²)``.

    Parameters
    ----------
    truth, estimate : array_like
        Arrays of the same shape, NumPy or CuPy.

    Returns
    -------
    mse : float

    Examples
    --------
    >>> mse([0.0, 1.0, 2.0], [0.0, 1.0, 4.0])
    1.3333333333333333
    """
    t, e = _as_pair(truth, estimate)
    return float(np.mean((t - e) ** 2))


def psnr(truth, estimate, *, data_range=None):
    """Peak signal-to-noise ratio ``10·log10(data_range² / mse)`` in dB.

    Parameters
    ----------
    truth, estimate : array_like
        Arrays of the same shape, NumPy or CuPy.
    data_range : float, optional
        The peak: the range of values the image can take. Default: the truth's
        range, ``truth.max() - truth.min()`` (not the dtype's range, unlike
        ``skimage.metrics.peak_signal_noise_ratio``), so that scaling both images
        by c leaves the PSNR unchanged.

    Returns
    -------
    psnr : float
        In dB; ``inf`` when the arrays are equal.

    Examples
    --------
    >>> round(psnr([0.0, 1.0, 0.0, 1.0], [0.0, 0.9, 0.0, 1.0]), 2)
    26.02
    """
    t, e = _as_pair(truth, estimate)
    peak = _data_range(t, data_range)
    error = float(np.mean((t - e) ** 2))
    if error == 0:
        return math.inf
    return float(10.0 * math.log10(peak**2 / error))


def ssim(truth, estimate, *, data_range=None, channel_axis=None):
    """Structural similarity index (mean SSIM) of `estimate` against `truth`.

    Computed by ``skimage.metrics.structural_similarity`` with its defaults (a
    uniform 7-sample window along every axis, K1 = 0.01, K2 = 0.03, sample
    covariances) on float64 copies. It works for 1-D signals (a 7-sample window),
    2-D images and 3-D volumes alike; every axis other than `channel_axis` needs at
    least 7 samples.

    Parameters
    ----------
    truth, estimate : array_like
        Arrays of the same shape, NumPy or CuPy.
    data_range : float, optional
        Range of values the image can take. Default: ``truth.max() - truth.min()``.
    channel_axis : int or None, optional
        Axis of colour channels: SSIM is computed per channel and averaged.

    Returns
    -------
    ssim : float
        1.0 for identical arrays; lower is worse (it can be negative).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.sin(np.linspace(0, 20, 500))
    >>> ssim(x, x)
    1.0
    """
    from skimage.metrics import structural_similarity

    t, e = _as_pair(truth, estimate)
    peak = _data_range(t, data_range)
    axis = check_channel_axis(channel_axis, t.shape, "truth")
    spatial = [n for i, n in enumerate(t.shape) if i != axis]
    if not spatial or min(spatial) < 7:
        raise ValueError(
            f"ssim uses a 7-sample window along every axis, but the arrays have shape "
            f"{t.shape} (channel_axis={channel_axis!r}); give at least 7 samples per "
            "axis, or set channel_axis for colour channels"
        )
    value = structural_similarity(t, e, data_range=peak, channel_axis=channel_axis)
    return float(value)


def isnr(truth, estimate, observation):
    """Improvement in SNR, ``10·log10(‖truth − observation‖² / ‖truth − estimate‖²)``.

    How many dB closer to the truth the estimate is than the observation it was
    restored from. Positive is better; 0 means no improvement. It equals
    ``psnr(truth, estimate) - psnr(truth, observation)`` for any data_range.

    Parameters
    ----------
    truth, estimate, observation : array_like
        Arrays of the same shape, NumPy or CuPy.

    Returns
    -------
    isnr : float
        In dB; ``inf`` when the estimate equals the truth (and the observation
        does not); ``nan`` when both equal the truth.

    Examples
    --------
    >>> isnr([0.0, 0.0], [0.1, 0.0], [1.0, 0.0])
    20.0
    """
    t, e = _as_pair(truth, estimate)
    _, o = _as_pair(truth, observation, names=("truth", "observation"))
    before = float(np.sum((t - o) ** 2))
    after = float(np.sum((t - e) ** 2))
    if after == 0:
        return math.nan if before == 0 else math.inf
    if before == 0:
        return -math.inf
    return float(10.0 * math.log10(before / after))
