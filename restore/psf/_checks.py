"""Argument checks and the normalisation the PSF modules share.

Private to :mod:`restore.psf`: numbers, positive values, ``ndim``, odd sizes,
array PSFs (finite, real, negatives clipped with a warning, positive sum), and
scaling a PSF to sum 1.
"""

import math
import numbers
import warnings

import numpy as np


def _number(name, value):
    """`value` as a finite float, or ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number; got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return value


def _positive(name, value):
    value = _number(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be positive; got {value:g}")
    return value


def _ndim_arg(ndim):
    if isinstance(ndim, bool) or not isinstance(ndim, numbers.Integral) or ndim < 1:
        raise ValueError(f"ndim must be a positive integer (1, 2 or 3); got {ndim!r}")
    return int(ndim)


def _odd_shape(name, size, ndim):
    """`size` (an int or one int per axis) as a tuple of odd positive ints."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        sizes = (size,) * ndim
    else:
        try:
            sizes = tuple(size)
        except TypeError:
            raise ValueError(
                f"{name} must be an odd integer or one per axis; got {size!r}"
            ) from None
        if len(sizes) != ndim:
            raise ValueError(
                f"{name} has {len(sizes)} entries but the PSF has {ndim} axes; "
                f"give one odd integer or {ndim}"
            )
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise ValueError(f"{name} must hold integers; got {size!r}")
        if s < 1 or s % 2 == 0:
            raise ValueError(
                f"{name} must be odd and positive on every axis (the PSF's centre "
                f"is its middle pixel); got {size!r}"
            )
    return tuple(int(s) for s in sizes)


def _checked_array(psf, name="psf"):
    """`psf` as a float64 array that is finite, non-negative and sums to > 0.

    Negative values are set to 0 with a warning (see :func:`_clip_negatives`).
    """
    if not isinstance(psf, np.ndarray) and hasattr(psf, "__cuda_array_interface__"):
        psf = psf.get()  # a CuPy array: one copy to the host
    if np.iscomplexobj(psf):
        raise ValueError(f"{name} must be real; got a complex array")
    try:
        psf = np.asarray(psf, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers") from None
    if psf.ndim == 0 or psf.size == 0:
        raise ValueError(f"{name} must be a non-empty array; got shape {psf.shape}")
    if not np.all(np.isfinite(psf)):
        raise ValueError(f"{name} contains NaN or infinite values")
    psf = _clip_negatives(psf, name)
    if not psf.sum() > 0:
        raise ValueError(f"{name} is all zero; a PSF needs a positive sum")
    return psf


#: A PSF whose negative values hold more than this fraction of its positive
#: light is not an intensity with noise around a zero background.
_NEGATIVE_LIMIT = 0.5


def _clip_negatives(psf, name):
    """`psf` with negative values set to 0, warning how much was removed.

    A measured PSF often dips below 0 where noise sits around a subtracted
    background; the array and the file get this same treatment. A PSF whose
    negative part is a large share of its light is refused.
    """
    low = float(psf.min())
    if low >= 0:
        return psf
    negative = -float(psf[psf < 0].sum())
    positive = float(psf[psf > 0].sum())
    if not negative < _NEGATIVE_LIMIT * positive:
        raise ValueError(
            f"{name} has negative values holding {negative / max(positive, 1e-300):.0%} "
            "as much light as its positive ones; a PSF is an intensity: subtract less "
            "background"
        )
    warnings.warn(
        f"{name} has negative values (minimum {low:.3g}, {negative / positive:.2%} of its "
        "light); they were set to 0", UserWarning, stacklevel=3)
    return np.maximum(psf, 0.0)


def _normalised(psf):
    psf = np.ascontiguousarray(psf, dtype=np.float64)
    return psf / psf.sum()
