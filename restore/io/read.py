"""Read images as their numeric values: ImageMeta, read_image and the per-format readers.

An 8-bit image comes back as uint8 in 0..255, a 16-bit one as uint16, a float
TIFF as float; the solvers turn them into float32 without rescaling. The
:class:`ImageMeta` that comes with the values is what
:func:`restore.io.write_image` needs to write a result back alike.

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
keeps the alpha channel in :attr:`ImageMeta.alpha`; :func:`restore.io.write_image`
puts it back unchanged (converted to the output dtype without rescaling) when
the output format can hold it. JPEG cannot, and drops it.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["IMAGE_SUFFIXES", "ImageMeta", "read_image"]

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

