"""Measured PSFs: reading PSF files and cleaning PSF arrays.

:func:`load` reads a PSF file (an image of a bead), subtracts its background
and re-centres it on its light; :func:`center` and :func:`normalize` do the
same for an array already in memory.
"""

from pathlib import Path

import numpy as np

from .._checks import check_number
from ._checks import _checked_array, _clip_negatives, _normalised, _odd_shape

__all__ = ["center", "load", "normalize"]

#: File suffixes :func:`load` reads (and :func:`from_spec` treats as files).
FILE_SUFFIXES = (".tif", ".tiff", ".png", ".jpg", ".jpeg", ".npy")

_CENTROID_FLOOR = 0.05  # load(): pixels below this fraction of the peak don't
                        # vote for the centre (the noise floor would pull it)


# ------------------------------------------------------------- re-centring


def _centroid(weights):
    """Intensity-weighted mean index of `weights` on every axis."""
    total = weights.sum()
    centroid = []
    for axis, n in enumerate(weights.shape):
        others = tuple(a for a in range(weights.ndim) if a != axis)
        centroid.append(float(np.arange(n) @ weights.sum(axis=others)) / total)
    return tuple(centroid)


def _window(data, centre, shape):
    """The `shape` window of `data` centred on pixel `centre`, zero outside."""
    out = np.zeros(shape)
    src, dst = [], []
    for c, n, t in zip(centre, data.shape, shape):
        lo = c - t // 2
        s0, s1 = max(lo, 0), min(lo + t, n)
        src.append(slice(s0, s1))
        dst.append(slice(s0 - lo, s1 - lo))
    out[tuple(dst)] = data[tuple(src)]
    return out


def _recentre(data, size, weights):
    """Crop `data` to odd `size` around the rounded centroid of `weights`."""
    centre = tuple(int(np.rint(c)) for c in _centroid(weights))
    if size is None:
        shape = tuple(n if n % 2 else n - 1 for n in data.shape)
        shape = tuple(max(t, 1) for t in shape)
    else:
        shape = _odd_shape("size", size, data.ndim)
    return _window(data, centre, shape)


# --------------------------------------------------------------- measured


def _read(path):
    suffix = path.suffix.lower()
    if suffix in (".tif", ".tiff"):
        import tifffile

        return np.asarray(tifffile.imread(path))
    if suffix == ".npy":
        return np.load(path, allow_pickle=False)
    import imageio.v3 as iio

    image = np.asarray(iio.imread(path))
    if image.ndim == 3 and image.shape[-1] in (3, 4):  # RGB(A) -> grey (Rec. 709)
        image = image[..., :3].astype(np.float64) @ np.array([0.2125, 0.7154, 0.0721])
    elif image.ndim == 3 and image.shape[-1] == 2:  # grey + alpha
        image = image[..., 0]
    return image


def _border_mask(shape):
    mask = np.zeros(shape, dtype=bool)
    for axis in range(len(shape)):
        index = [slice(None)] * len(shape)
        for edge in (0, -1):
            index[axis] = edge
            mask[tuple(index)] = True
    return mask


def _auto_background(data):
    """The background a measured PSF sits on: the median of its border pixels.

    Zero when that is no background at all: a PSF already normalised to sum 1
    (as ``restore psf`` writes it), or a border as bright as half the peak (a
    box or a PSF cropped tight), where subtracting would eat the PSF itself.
    """
    level = float(np.median(data[_border_mask(data.shape)]))
    top = float(data.max())
    already_a_psf = data.min() >= 0 and abs(float(data.sum()) - 1.0) < 1e-3
    if already_a_psf or level >= 0.5 * top:
        return 0.0
    return level


def load(path, *, background="auto", recentre=True, size=None):
    """Read a measured PSF (e.g. an image of a bead) and make it a clean PSF.

    Parameters
    ----------
    path : str or path-like
        A ``.tif``/``.tiff`` (tifffile; 2-D or a 3-D stack), ``.png``/``.jpg``
        (imageio; colour is converted to grey) or ``.npy`` file.
    background : "auto", float or None, optional
        Subtracted before anything else: "auto" (default) uses the median of
        the border pixels, a number is used as given, None subtracts nothing.
        Negative values left afterwards are set to 0. Negative values in the
        file itself are set to 0 first, with a warning, as for an array PSF.
    recentre : bool, optional
        Move the light's centroid to the centre (default). False keeps the
        array as stored, its centre at index ``n // 2`` (as for an array PSF),
        cropped by one pixel on axes of even length.
    size : int or sequence of int, optional
        Odd size of the result per axis. Default: the largest odd size that
        fits the file's array (its size, or one less where it is even).

    Returns
    -------
    psf : ndarray of float64
        Odd-sized, summing to 1, with the intensity centroid (rounded to the
        nearest pixel) at index ``n // 2``.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    OSError
        If the file cannot be read.
    ValueError
        For an unsupported suffix, a bad `background` or `size`, or a PSF with
        nothing left above the background.

    Notes
    -----
    The centroid is taken over the pixels above 5 % of the maximum, so that
    the noise left after background subtraction does not pull it towards the
    middle of the field. The PSF is moved by whole pixels (cropping, with
    zeros where the window reaches past the measured field), never
    interpolated.

    Examples
    --------
    >>> import os, tempfile
    >>> from restore import psf
    >>> path = os.path.join(tempfile.mkdtemp(), "bead.npy")
    >>> np.save(path, np.roll(psf.gaussian(2.0, size=31), (3, -2), axis=(0, 1)))
    >>> h = psf.load(path)
    >>> h.shape, np.unravel_index(h.argmax(), h.shape) == (15, 15)
    ((31, 31), True)
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise ValueError(
            f"psf file '{path}' has an unsupported suffix {suffix or '(none)'!r}; "
            "use .tif, .tiff, .png, .jpg, .jpeg or .npy"
        )
    if not path.is_file():
        raise FileNotFoundError(f"psf file '{path}' does not exist")
    try:
        data = _read(path)
    except Exception as error:  # any reader failure is a bad file for the user
        raise OSError(f"psf file '{path}' could not be read: {error}") from error
    if np.iscomplexobj(data) or data.dtype.kind not in "biuf":
        raise ValueError(f"psf file '{path}' does not hold real numbers (dtype {data.dtype})")
    data = np.asarray(data, dtype=np.float64)
    if data.ndim == 0 or data.size == 0:
        raise ValueError(f"psf file '{path}' holds an empty array (shape {data.shape})")
    if not np.all(np.isfinite(data)):
        raise ValueError(f"psf file '{path}' contains NaN or infinite values")
    data = _clip_negatives(data, f"psf file '{path}'")

    background = check_number("background", background, words=("auto", None))
    if background is None:
        level = 0.0
    elif background == "auto":
        level = _auto_background(data)
    else:
        level = background
    data = np.maximum(data - level, 0.0)
    if not data.any():
        raise ValueError(
            f"psf file '{path}' has no signal above the background ({level:g}); "
            "check the file, or load it with restore.psf.load(path, background=None)"
        )
    if recentre:
        weights = np.where(data >= _CENTROID_FLOOR * data.max(), data, 0.0)
        psf = _recentre(data, size, weights)
    else:
        shape = (_odd_shape("size", size, data.ndim) if size is not None
                 else tuple(max(n if n % 2 else n - 1, 1) for n in data.shape))
        psf = _window(data, tuple(n // 2 for n in data.shape), shape)
    if not psf.any():
        raise ValueError(f"psf file '{path}' is all zero inside size={size!r}")
    return _normalised(psf)


def normalize(psf):
    """Return `psf` as float64 scaled to sum 1, after checking it.

    Parameters
    ----------
    psf : array_like
        Finite, non-negative, with a positive sum.

    Returns
    -------
    psf : ndarray of float64
        Same shape, summing to 1.

    Examples
    --------
    >>> from restore import psf
    >>> float(psf.normalize([[0, 1, 0], [1, 2, 1], [0, 1, 0]])[1, 1])
    0.3333333333333333
    """
    return _normalised(_checked_array(psf))


def center(psf, *, size=None):
    """Crop `psf` to an odd size with its intensity centroid at the centre.

    Parameters
    ----------
    psf : array_like
        Finite, non-negative, with a positive sum; any size.
    size : int or sequence of int, optional
        Odd size of the result. Default: the largest odd size that fits.

    Returns
    -------
    psf : ndarray of float64
        Odd-sized, summing to 1, with the centroid (rounded to the nearest
        pixel) at index ``n // 2``; moved by whole pixels, zero where the
        window reaches past the input.

    Examples
    --------
    >>> from restore import psf
    >>> h = psf.center(np.pad(np.ones((3, 3)), ((0, 3), (1, 0))))
    >>> h.shape, float(h[2, 2] * 9)
    ((5, 3), 1.0)
    """
    psf = _checked_array(psf)
    return _normalised(_recentre(psf, size, psf))
