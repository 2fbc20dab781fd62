"""Write images: check_output, default_output, write_image, atomic_output, the TIFF writer.

:func:`check_output` refuses, before any work is done, an output the format
cannot hold; :func:`write_image` writes a result back in the input's dtype
(converted by :func:`restore.io.convert`) or as float32 where the format can
hold it, with the alpha channel put back.

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
from dataclasses import replace
from pathlib import Path

import numpy as np

from .conversion import (
    ClippingWarning,
    _check_rescale,
    _clipping_message,
    _convert_alpha,
    _input_range,
    _nearly_black,
    convert,
)
from .read import _FORMAT_NAMES, IMAGE_SUFFIXES, ImageMeta, _default_axes
from .._signals import raise_if_received

__all__ = ["atomic_output", "check_output", "default_output", "write_image"]

_JPEG_QUALITY = 95  # Pillow's default of 75 would throw away what was restored


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
        raise_if_received()  # a Ctrl-C some library swallowed: no output after it
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
    >>> from restore.io import read_image
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
