"""The checks and the normalisation only PSFs need.

Private to :mod:`restore.psf`: odd sizes, array PSFs (the array checks of
:mod:`restore._checks`, then negatives clipped with a warning and a positive
sum), and scaling a PSF to sum 1. Numbers and ``ndim`` are checked with
:mod:`restore._checks`.
"""

import numbers
import warnings

import numpy as np

from .._backend import to_host
from .._checks import check_image


def _odd_shape(name, size, ndim):
    """`size` (an int or one int per axis) as a tuple of odd positive ints."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        sizes = (size,) * ndim
    else:
        try:
            sizes = tuple(size)
        except TypeError:
            raise ValueError(
                f"{name} must be an odd integer or one per axis, got {size!r}"
            ) from None
        if len(sizes) != ndim:
            raise ValueError(
                f"{name} has {len(sizes)} entries but the PSF has {ndim} axes; "
                f"give one odd integer or {ndim}"
            )
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise ValueError(f"{name} must hold integers, got {size!r}")
        if s < 1 or s % 2 == 0:
            raise ValueError(
                f"{name} must be odd and positive on every axis (the PSF's centre "
                f"is its middle pixel), got {size!r}"
            )
    return tuple(int(s) for s in sizes)


def _checked_array(psf, name="psf"):
    """`psf` as a float64 host array that is finite, non-negative and sums to > 0.

    The array checks are :func:`restore._checks.check_image`'s; negative values
    are set to 0 with a warning (see :func:`_clip_negatives`).
    """
    psf = np.asarray(to_host(check_image(psf, name)), dtype=np.float64)
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
