"""Values onto an output dtype: convert, RESCALE_MODES, ClippingWarning.

:func:`convert` puts a restored image's values into the output dtype: kept
and rounded (counts never rescaled), or mapped from the input's or the
result's range (``rescale``); values clipped to an integer range are counted,
and :func:`restore.io.write_image` reports them with a :class:`ClippingWarning`.
Here too: the input's and the result's value ranges, the check of ``rescale``
against the output dtype, the clipping and nearly-black messages, and the
conversion of the alpha channel.
"""

import numpy as np

from .read import ImageMeta

__all__ = ["RESCALE_MODES", "ClippingWarning", "convert"]

#: How :func:`write_image` maps values onto an integer output (see :func:`convert`).
RESCALE_MODES = ("keep", "input", "result")


class ClippingWarning(UserWarning):
    """Values fell outside an integer output dtype's range and were clipped."""


def _input_range(meta):
    """The value range that ``rescale="input"`` maps onto the output dtype's."""
    dtype = np.dtype(meta.dtype)
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        return float(info.min), float(info.max)
    lo, hi = meta.value_range if meta.value_range is not None else (0.0, 1.0)
    if lo >= 0 and hi <= 1:  # a float image in the usual 0..1
        return 0.0, 1.0
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def _result_range(array):
    finite = array[np.isfinite(array)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def convert(array, dtype, *, rescale="keep", meta=None):
    """`array` as an output `dtype`, with its values kept or mapped; count what is clipped.

    Parameters
    ----------
    array : array_like
        The values to write (a restored image: float, any range).
    dtype : dtype-like
        The output dtype.
    rescale : {"keep", "input", "result"}, optional
        How values map onto an integer `dtype` (float outputs always keep
        them):

        - "keep" (default): the values as they are, rounded; values outside
          the dtype's range are clipped to it (and counted). Right when the
          output has the input's dtype: counts stay counts.
        - "input": the input's range onto the output's: an integer input's
          dtype range (uint16 0..65535 -> uint8 0..255), a float input's
          0..1 when its values lie there, else its own min..max (`meta`).
          The way to a sensible 8-bit picture of a 16-bit or float image.
        - "result": the result's own min..max onto the output's full range
          (a contrast stretch; nothing is clipped).
    meta : ImageMeta, optional
        The input's meta (its dtype and value range); needed by "input".

    Returns
    -------
    data : ndarray
        Contiguous, of `dtype`.
    clipped : int
        How many values fell outside the integer range and were clipped
        (0 for float outputs).

    Raises
    ------
    ValueError
        For an unknown `rescale`, a rescale asked of a float output, or NaN
        or Inf values to be written as integers.

    Examples
    --------
    >>> data, clipped = convert([0.0, 0.5, 1.2], "uint8", rescale="keep")
    >>> data.tolist(), clipped
    ([0, 0, 1], 0)
    >>> meta = ImageMeta.for_array(np.zeros(3, np.uint16))
    >>> convert([0, 32768, 70000], "uint8", rescale="input", meta=meta)[0].tolist()
    [0, 128, 255]
    """
    array = np.asarray(array)
    dtype = np.dtype(dtype)
    _check_rescale(rescale, dtype)
    if dtype.kind not in "ui":
        return np.ascontiguousarray(array.astype(dtype, copy=False)), 0
    info = np.iinfo(dtype)
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise ValueError(
            "the result contains NaN or Inf values and cannot be written as "
            f"{dtype}; check the input and the solver's parameters"
        )
    if rescale != "keep":
        if rescale == "input":
            if meta is None:
                raise ValueError('rescale="input" needs the input image\'s meta')
            lo, hi = _input_range(meta)
        else:
            lo, hi = _result_range(array)
        scale = (float(info.max) - float(info.min)) / (hi - lo)
        array = (array.astype(np.float64) - lo) * scale + float(info.min)
    if array.dtype.kind == "f":
        array = np.rint(array)
    outside = (array < info.min) | (array > info.max)
    clipped = int(np.count_nonzero(outside))
    if clipped:
        array = np.clip(array, info.min, info.max)
    return np.ascontiguousarray(array.astype(dtype, copy=False)), clipped


def _nearly_black(array, target, rescale, meta):
    """A float image (0..1, say) written as integers with its values kept."""
    return (rescale == "keep" and target.kind in "ui" and array.size > 0
            and np.dtype(meta.dtype).kind == "f"
            and float(np.max(array)) < 0.05 * np.iinfo(target).max)


def _check_rescale(rescale, dtype):
    """A known `rescale`, and only "keep" for a float output (which keeps values)."""
    if rescale not in RESCALE_MODES:
        raise ValueError(f"rescale must be one of {', '.join(map(repr, RESCALE_MODES))}; "
                         f"got {rescale!r}")
    if rescale != "keep" and dtype.kind not in "ui":
        raise ValueError(f"--rescale {rescale} maps values onto an integer dtype, but the "
                         f"output is {dtype}, which keeps them; leave out --rescale")


def _clipping_message(clipped, total, dtype):
    info = np.iinfo(dtype)
    return (f"{clipped:,} of {total:,} values ({100 * clipped / total:.2g}%) fell outside "
            f"{dtype}'s range {info.min}..{info.max} and were clipped; --rescale result "
            "fits them into the range, --dtype float32 (.tif/.npy) keeps them")



def _convert_alpha(alpha, dtype, rescale):
    """Alpha in the output dtype: kept, or mapped by dtype ranges when values are."""
    if rescale == "keep":
        return convert(alpha, dtype)[0]
    return convert(alpha, dtype, rescale="input", meta=ImageMeta.for_array(alpha))[0]
