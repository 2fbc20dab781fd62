"""Read and write images: PNG, JPEG, TIFF (8/16-bit, float, multi-page) and NPY.

The CLI reads and writes images through this module; the solvers never touch
files (only :func:`restore.psf.load` reads a measured PSF itself). Images are read as their numeric values: an 8-bit image
comes back as uint8 in 0..255, a 16-bit one as uint16, a float TIFF as float.
The solvers turn them into float32 without rescaling, and :func:`write_image`
writes a result back in the input's dtype (rounded and clipped to its range,
counts never rescaled) or as float32 where the format can hold it.

==========  ===================================================================
format      what is read
==========  ===================================================================
PNG, JPEG   grey (Y, X) or colour (Y, X, 3) with ``channel_axis=-1``; 8-bit, and
            16-bit for grey PNGs (Pillow reads 16-bit colour PNGs as 8-bit, so
            those are refused rather than silently reduced: use a 16-bit TIFF)
TIFF        the first series (tifffile): 2-D, a multi-page stack as 3-D with
            axis 0 = z, RGB samples or a ``C`` axis as the channel axis; any
            integer or float dtype
NPY         the array as saved (``allow_pickle=False``); a 3-D array whose last
            axis has 3 or 4 entries and is the shortest is taken as colour
==========  ===================================================================

**Alpha.** A transparency channel (RGBA or grey + alpha PNGs and TIFFs) is not
restored: :func:`read_image` returns the colour (or grey) channels only and
keeps the alpha channel in :attr:`ImageMeta.alpha`; :func:`write_image` puts it
back unchanged (converted to the output dtype without rescaling) when the
output format can hold it. JPEG cannot, and drops it.

**Never a partial file.** :func:`write_image` writes to a temporary file in the
output's directory (``.NAME.tmp-XXXX.SUFFIX``, so the writer still sees the real
suffix), flushes it to disk and renames it over the target in one step
(:func:`os.replace`); on any failure, interruption included, the temporary file
is removed and the target is untouched. It never replaces the file an
:class:`ImageMeta` was read from.
"""

import contextlib
import os
import tempfile
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

__all__ = [
    "IMAGE_SUFFIXES",
    "RESCALE_MODES",
    "ClippingWarning",
    "ImageMeta",
    "atomic_output",
    "check_output",
    "convert",
    "default_output",
    "read_image",
    "write_image",
]

#: Suffix (lower case) -> format name, for reading and writing.
IMAGE_SUFFIXES = {
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".npy": "npy",
}

_FORMAT_NAMES = {"png": "PNG", "jpeg": "JPEG", "tiff": "TIFF", "npy": "NPY"}
_ACCEPTED = "PNG, JPEG, TIFF (.tif/.tiff) or NumPy (.npy)"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_QUALITY = 95  # Pillow's default of 75 would throw away what was restored
#: How :func:`write_image` maps values onto an integer output (see :func:`convert`).
RESCALE_MODES = ("keep", "input", "result")


@dataclass(frozen=True, eq=False)
class ImageMeta:
    """How an image was stored, so that a result can be written back alike.

    Attributes
    ----------
    path : Path or None
        The file the image was read from (None for an array made in memory).
    format : str
        "png", "jpeg", "tiff" or "npy".
    dtype : numpy.dtype
        The stored dtype (bool images are read as uint8).
    shape : tuple of int
        Shape of the array :func:`read_image` returned (alpha not included).
    axes : str
        One letter per axis of that array: ``X``, ``Y``, ``Z`` for space (a
        multi-page TIFF is ``ZYX``), ``S`` or ``C`` for colour channels, other
        tifffile letters (``T``, ``Q``…) as the file named them.
    channel_axis : int or None
        Axis of colour channels (restored one by one), None for grey images.
    alpha : ndarray or None
        The alpha (transparency) channel, kept aside and not restored.
    pages : int
        Number of TIFF pages the image came from (1 for other formats).
    value_range : tuple of float or None
        The smallest and largest value read (alpha excluded), for
        ``rescale="input"`` of a float image; None for arrays made in memory.
    """

    path: Path | None
    format: str
    dtype: np.dtype
    shape: tuple
    axes: str
    channel_axis: int | None = None
    alpha: np.ndarray | None = field(default=None, repr=False)
    pages: int = 1
    value_range: tuple | None = None

    @property
    def spatial_ndim(self):
        """Number of axes a PSF for this image needs (channels excluded)."""
        return len(self.shape) - (self.channel_axis is not None)

    @property
    def is_colour(self):
        """True when the image has a channel axis."""
        return self.channel_axis is not None

    @classmethod
    def for_array(cls, array, *, channel_axis=None):
        """Meta for an array made in memory (no source file), e.g. a PSF."""
        array = np.asarray(array)
        axes = _default_axes(array.ndim, channel_axis is not None)
        return cls(path=None, format="npy", dtype=array.dtype, shape=array.shape,
                   axes=axes, channel_axis=channel_axis)


# --------------------------------------------------------------------- reading


def read_image(path):
    """Read an image file as its numeric values.

    Parameters
    ----------
    path : str or path-like
        A ``.png``, ``.jpg``/``.jpeg``, ``.tif``/``.tiff`` or ``.npy`` file.

    Returns
    -------
    image : ndarray
        The pixel values in the stored dtype (uint8 stays 0..255); colour on
        the axis ``meta.channel_axis``; alpha removed (see ``meta.alpha``).
    meta : ImageMeta
        What :func:`write_image` needs to write a result back alike.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file is not an image of a supported format, or holds no real
        numbers (complex, structured or empty arrays).
    OSError
        If the file cannot be read (permissions, a directory).

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "stack.npy")
    >>> np.save(path, np.zeros((5, 32, 32), np.uint16))
    >>> image, meta = read_image(path)
    >>> image.dtype, meta.axes, meta.spatial_ndim
    (dtype('uint16'), 'ZYX', 3)
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"input file '{path}' does not exist; check the name and path")
    if path.is_dir():
        raise IsADirectoryError(f"input '{path}' is a directory; give an image file")
    fmt = IMAGE_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"'{path}' is not an image file restore can read (suffix "
            f"{path.suffix or '(none)'!r}); give a {_ACCEPTED} file"
        )
    reader = {"png": _read_pillow, "jpeg": _read_pillow, "tiff": _read_tiff,
              "npy": _read_npy}[fmt]
    try:
        image, axes, alpha, pages = reader(path, fmt)
    except MemoryError:
        raise
    except Exception as error:  # any reader failure means a file we cannot use
        if isinstance(error, PermissionError):
            raise PermissionError(f"cannot read '{path}': permission denied") from None
        if str(error).startswith(f"'{path}'"):
            raise
        reason = " ".join(str(error).split()) or type(error).__name__
        if fmt in ("png", "jpeg"):  # imageio's own words name its plugin, not the problem
            reason = "the file is damaged or holds no image"
        raise ValueError(
            f"'{path}' is not a readable {_FORMAT_NAMES[fmt]} image ({reason}); "
            f"give a {_ACCEPTED} file"
        ) from None
    image = _check_numbers(path, image)
    if image.dtype == bool:
        image = image.astype(np.uint8)
        alpha = None if alpha is None else alpha.astype(np.uint8)
    channel_axis = next((i - len(axes) for i, a in enumerate(axes) if a in "SC"), None)
    spatial = image.ndim - (channel_axis is not None)
    if spatial > 3:
        raise ValueError(
            f"'{path}' holds a {image.ndim}-D array (shape {image.shape}, axes {axes}); "
            "restore takes 1-D, 2-D or 3-D data (plus one colour axis): save one "
            "signal, image or z-stack per file"
        )
    value_range = (float(image.min()), float(image.max()))
    meta = ImageMeta(path=path, format=fmt, dtype=image.dtype, shape=image.shape, axes=axes,
                     channel_axis=channel_axis, alpha=alpha, pages=pages,
                     value_range=value_range)
    return image, meta


def _check_numbers(path, image):
    image = np.asarray(image)
    if image.dtype.kind not in "buif":
        raise ValueError(
            f"'{path}' holds {image.dtype} values, not real numbers; "
            "give an image of integers or floats"
        )
    if image.size == 0 or image.ndim == 0:
        raise ValueError(f"'{path}' holds an empty array (shape {image.shape})")
    return image


def _read_pillow(path, fmt):
    import imageio.v3 as iio

    with open(path, "rb") as file:  # PermissionError here, with a clear type
        head = file.read(26)
    if fmt == "png" and head[:8] == _PNG_SIGNATURE and head[12:16] == b"IHDR":
        bit_depth, colour_type = head[24], head[25]
        if bit_depth == 16 and colour_type in (2, 4, 6):
            raise ValueError(
                f"'{path}' is a 16-bit colour PNG, which cannot be read without "
                "losing its low 8 bits (Pillow reduces it to 8-bit); save it as a "
                "16-bit TIFF and restore that"
            )
    meta = iio.immeta(path, plugin="pillow", exclude_applied=False)
    mode = meta.get("mode", "")
    convert = None
    if mode == "1":
        convert = "L"
    elif mode in ("P", "PA"):
        convert = "RGBA" if ("transparency" in meta or mode == "PA") else "RGB"
    elif mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        convert = "RGB"
    image = np.asarray(iio.imread(path, plugin="pillow", mode=convert))
    if image.ndim == 3 and image.shape[-1] == 4:  # RGBA
        return np.ascontiguousarray(image[..., :3]), "YXS", image[..., 3].copy(), 1
    if image.ndim == 3 and image.shape[-1] == 2:  # grey + alpha
        return np.ascontiguousarray(image[..., 0]), "YX", image[..., 1].copy(), 1
    if image.ndim == 3:
        return image, "YXS", None, 1
    if image.ndim != 2:
        raise ValueError(f"'{path}' has an unexpected shape {image.shape} for a still image")
    return image, "YX", None, 1


def _read_tiff(path, fmt):
    import tifffile

    with tifffile.TiffFile(path) as tif:
        if not tif.series:
            raise ValueError(f"'{path}' holds no images")
        series = tif.series[0]
        image = np.asarray(series.asarray())
        axes = series.axes
        page = series.pages[0] if len(series.pages) else tif.pages[0]
        pages = len(series.pages)
        extrasamples = tuple(getattr(page, "extrasamples", ()) or ())
    if len(axes) != image.ndim:  # tifffile squeezes; keep letters and shape in step
        axes = _default_axes(image.ndim, False)
    unnamed = [a for a in axes if a in "QIP"]
    if len(unnamed) == 1 and "Z" not in axes:  # a plain multi-page stack: axis 0 = z
        axes = "".join("Z" if a in "QIP" else a for a in axes)
    alpha = None
    if "S" in axes and extrasamples and int(extrasamples[-1]) in (1, 2):
        # Associated or unassociated alpha: the last sample.
        s = axes.index("S")
        alpha = np.ascontiguousarray(np.take(image, image.shape[s] - 1, axis=s))
        image = np.take(image, range(image.shape[s] - 1), axis=s)
        if image.shape[s] == 1:  # grey + alpha: no channel axis left
            image = np.take(image, 0, axis=s)
            axes = axes.replace("S", "")
    if axes.count("S") + axes.count("C") > 1:
        raise ValueError(
            f"'{path}' has more than one channel axis ({axes}); restore handles one "
            "(colour samples or channels): split the file first"
        )
    return np.ascontiguousarray(image), axes, alpha, pages


def _read_npy(path, fmt):
    image = np.load(path, allow_pickle=False)
    colour = (image.ndim == 3 and image.shape[-1] in (3, 4)
              and image.shape[-1] < min(image.shape[:-1]))
    return image, _default_axes(image.ndim, colour), None, 1


def _default_axes(ndim, colour):
    spatial = ndim - colour
    letters = "YX" if spatial == 2 else "ZYX" if spatial == 3 else "X" if spatial == 1 else (
        "Q" * (spatial - 3) + "ZYX")
    return letters + ("S" if colour else "")


# --------------------------------------------------------------------- writing


def default_output(path, method):
    """``INPUT_STEM.METHOD.EXT`` beside the input (``cell.ome.tif`` -> ``cell.rl.ome.tif``).

    Examples
    --------
    >>> default_output("data/blurred.png", "wiener").as_posix()
    'data/blurred.wiener.png'
    """
    path = Path(path)
    stem, ext = _split_suffix(path.name)
    return path.with_name(f"{stem}.{method}{ext}")


def _split_suffix(name):
    """(stem, suffix) with OME-TIFF's double suffix kept whole."""
    lower = name.lower()
    for suffix in (".ome.tiff", ".ome.tif"):
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], name[-len(suffix):]
    path = Path(name)
    return (path.stem, path.suffix) if path.suffix else (name, "")


def _same_file(a, b):
    a, b = Path(a), Path(b)
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _target_dtype(array_dtype, meta, dtype):
    if dtype is not None:
        try:
            return np.dtype(dtype)
        except TypeError:
            raise ValueError(f"dtype={dtype!r} is not a NumPy dtype; use e.g. 'float32'") from None
    if meta is not None:
        return np.dtype(meta.dtype)
    return np.dtype(array_dtype)


def check_output(path, meta, *, dtype=None, overwrite=False, rescale="keep"):
    """Check, before any work is done, that `meta`'s image can be written to `path`.

    Parameters
    ----------
    path : str or path-like
        The output file; its suffix picks the format.
    meta : ImageMeta
        Describes what will be written: shape, channel axis, alpha, the file
        it came from (never overwritten).
    dtype : dtype-like, optional
        Output dtype; default ``meta.dtype``.
    overwrite : bool, optional
        Allow replacing an existing file (never the one `meta` was read from).
    rescale : {"keep", "input", "result"}, optional
        How values will map onto an integer output (see :func:`convert`).

    Returns
    -------
    path : Path
    dtype : numpy.dtype
        The dtype that will be written.

    Raises
    ------
    ValueError
        Unknown suffix, a dtype or shape the format cannot hold, or `path`
        being the input file.
    FileExistsError
        If `path` exists and `overwrite` is False.
    FileNotFoundError
        If the output's directory does not exist.
    """
    path = Path(path)
    fmt = IMAGE_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"cannot write '{path}': its suffix {path.suffix or '(none)'!r} names no "
            "format restore writes; use .png, .jpg, .tif or .npy"
        )
    if meta.path is not None and _same_file(path, meta.path):
        raise ValueError(
            f"the output '{path}' is the input file; restore never overwrites its "
            "input: choose another output name with -o"
        )
    if path.is_dir():
        raise IsADirectoryError(f"the output '{path}' is a directory; give a file name")
    target = _target_dtype(meta.dtype, meta, dtype)
    if target.kind not in "uif":
        raise ValueError(f"cannot write {target} values; use an integer or float dtype")
    _check_format(path, fmt, target, meta, explicit=dtype is not None)
    _check_rescale(rescale, target)
    if path.exists() and not overwrite:
        raise FileExistsError(
            f"the output '{path}' already exists; pass --force to overwrite it, "
            "or choose another name with -o"
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(
            f"cannot write '{path}': the directory '{parent}' does not exist"
        )
    return path, target


def _check_format(path, fmt, dtype, meta, *, explicit):
    """Refuse a dtype or shape `fmt` cannot hold, suggesting only options that
    give a sensible picture (an 8-bit view of a float or 16-bit image is made
    with --rescale input, never by clipping its values)."""
    name = _FORMAT_NAMES[fmt]
    shape, channel_axis = meta.shape, meta.channel_axis
    if fmt not in ("png", "jpeg"):
        return
    spatial = len(shape) - (channel_axis is not None)
    colour_ok = channel_axis is None or (
        channel_axis in (-1, len(shape) - 1) and shape[-1] in (3, 4))
    if spatial != 2 or not colour_ok:
        raise ValueError(
            f"{name} holds one 2-D grey or RGB image, but the result has shape "
            f"{tuple(shape)}; write a .tif or .npy file for stacks"
        )
    allowed = [np.dtype(np.uint8)] + ([np.dtype(np.uint16)]
                                      if fmt == "png" and channel_axis is None else [])
    if dtype in allowed:
        return
    given = f"--dtype {dtype}" if explicit else f"the input's dtype, {dtype}"
    keep = "a .tif or .npy file" if dtype.kind == "f" else "a .tif file"
    holds = ("8- or 16-bit" if len(allowed) == 2 else "8-bit") + " unsigned integers"
    colour = " for colour" if fmt == "png" and channel_axis is not None else ""
    if explicit and np.dtype(meta.dtype) in allowed:
        instead = f"leave out --dtype to write the input's {np.dtype(meta.dtype)}"
    else:
        instead = f"use --dtype {allowed[-1]} --rescale input for a picture"
        if not explicit:
            lo, hi = _input_range(meta)
            instead += f" (maps {lo:g}..{hi:g} onto 0..{np.iinfo(allowed[-1]).max})"
    raise ValueError(
        f"{name} holds {holds}{colour}, not {dtype} ({given}); write {keep} to keep "
        f"the values, or {instead}"
    )


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


@contextlib.contextmanager
def atomic_output(path):
    """Yield a temporary path beside `path`; rename it to `path` on success.

    The temporary name keeps the real suffix (``.NAME.tmp-XXXX.SUFFIX``) so
    writers that choose their format by suffix still work. After the body,
    the file is flushed to disk (fsync) and moved over `path` with
    :func:`os.replace`. On any exception, KeyboardInterrupt included, the
    temporary file is removed and `path` is left as it was.

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "out.npy")
    >>> with atomic_output(target) as tmp:
    ...     np.save(tmp, np.zeros(3))
    >>> os.path.exists(target)
    True
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    stem, suffix = _split_suffix(path.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{stem}.tmp-", suffix=suffix, dir=directory)
    os.close(fd)
    tmp = Path(tmp)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would stick after the rename
    try:
        yield tmp
        with open(tmp, "rb+") as file:
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError, AttributeError):  # make the rename durable
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _umask():
    """The process's umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_image(path, array, meta=None, *, dtype=None, overwrite=True, rescale="keep"):
    """Write `array` to `path` like the image `meta` describes, through a temporary file.

    Parameters
    ----------
    path : str or path-like
        Output file; the suffix picks the format (.png, .jpg/.jpeg, .tif/.tiff,
        .npy).
    array : array_like
        The image (NumPy; a CuPy array must be moved to the host first), with
        colour on ``meta.channel_axis`` as :func:`read_image` returned it.
    meta : ImageMeta, optional
        From :func:`read_image`: the output dtype, channel layout, TIFF axes
        and the alpha channel to put back. Default: the array as it is, grey.
    dtype : dtype-like, optional
        Output dtype instead of ``meta.dtype``, e.g. "float32" (TIFF and NPY
        only).
    overwrite : bool, optional
        Replace an existing `path` (default True). The file `meta` was read
        from is never replaced.
    rescale : {"keep", "input", "result"}, optional
        How values map onto an integer output dtype (see :func:`convert`):
        kept and rounded (default), the input's range onto the output's, or
        the result's own range onto the output's. Values clipped to an
        integer range are counted and reported with a :class:`ClippingWarning`.

    Returns
    -------
    path : Path
        The file written.

    Raises
    ------
    ValueError
        Unknown suffix; a dtype or shape the format cannot hold (float in
        PNG/JPEG, a stack in PNG); NaN/Inf values to be written as integers;
        `path` being the input file.
    FileExistsError
        If `path` exists and `overwrite` is False.
    OSError
        If writing fails (no partial file is left).

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> np.save(os.path.join(folder, "in.npy"), np.arange(4, dtype=np.uint8))
    >>> image, meta = read_image(os.path.join(folder, "in.npy"))
    >>> out = write_image(os.path.join(folder, "out.npy"), [0.4, 2.6, 300.0, -1.0], meta)
    >>> np.load(out)
    array([  0,   3, 255,   0], dtype=uint8)
    """
    array = np.asarray(array)
    if meta is None:
        meta = ImageMeta.for_array(array)
    elif tuple(array.shape) != tuple(meta.shape):
        # A result of another shape: keep the channel layout only if it still fits.
        colour = meta.channel_axis is not None and array.ndim == len(meta.shape)
        meta = replace(meta, shape=array.shape,
                       channel_axis=meta.channel_axis if colour else None,
                       axes=meta.axes if array.ndim == len(meta.axes)
                       else _default_axes(array.ndim, colour),
                       alpha=None)
    path, target = check_output(path, meta, dtype=dtype, overwrite=overwrite,
                                rescale=rescale)
    fmt = IMAGE_SUFFIXES[path.suffix.lower()]
    data, clipped = convert(array, target, rescale=rescale, meta=meta)
    if clipped:
        warnings.warn(_clipping_message(clipped, data.size, target), ClippingWarning,
                      stacklevel=2)
    elif _nearly_black(array, target, rescale, meta):
        warnings.warn(
            f"the values reach only {float(np.max(array)):.3g} of {target}'s range "
            f"0..{np.iinfo(target).max}: the picture will be nearly black; --rescale input "
            "maps the input's range onto it", UserWarning, stacklevel=2)
    alpha = meta.alpha
    if alpha is not None and tuple(alpha.shape) != tuple(data.shape[:-1] if meta.is_colour
                                                         else data.shape):
        alpha = None
    if alpha is not None and meta.is_colour and meta.channel_axis not in (-1, data.ndim - 1):
        alpha = None
    if alpha is not None and fmt != "jpeg":
        data = np.concatenate([data if meta.is_colour else data[..., None],
                               _convert_alpha(alpha, target, rescale)[..., None]],
                              axis=-1)
    with atomic_output(path) as tmp:
        if fmt == "npy":
            np.save(tmp, data, allow_pickle=False)
        elif fmt == "tiff":
            _write_tiff(tmp, data, meta, alpha is not None)
        else:
            import imageio.v3 as iio

            options = {"quality": _JPEG_QUALITY} if fmt == "jpeg" else {}
            iio.imwrite(tmp, data, plugin="pillow", extension=path.suffix.lower(), **options)
    return path


def _convert_alpha(alpha, dtype, rescale):
    """Alpha in the output dtype: kept, or mapped by dtype ranges when values are."""
    if rescale == "keep":
        return convert(alpha, dtype)[0]
    return convert(alpha, dtype, rescale="input", meta=ImageMeta.for_array(alpha))[0]


def _write_tiff(tmp, data, meta, has_alpha):
    import tifffile

    options = {}
    axes = meta.axes + ("S" if has_alpha and not meta.is_colour else "")
    if "S" in axes and axes.endswith("S") and data.shape[-1] in (3, 4) and meta.is_colour:
        options["photometric"] = "rgb"
    else:
        options["photometric"] = "minisblack"
    if has_alpha:
        options["extrasamples"] = ["unassalpha"]
    if len(axes) == data.ndim:
        options["metadata"] = {"axes": axes}  # ZYX, CZYX, YXS...: read back as such
    tifffile.imwrite(tmp, data, **options)
