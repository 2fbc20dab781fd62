"""The array backend: NumPy on the CPU, CuPy on the GPU, chosen by the data.

This is the only module that imports CuPy. Everything else asks
:func:`array_module` for the namespace of its input and passes it on.
"""

import contextvars
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.fft

try:  # CuPy is an optional extra; its absence is normal.
    import cupy as _cupy
    import cupyx.scipy.fft as _cupy_fft
except Exception:  # ImportError, or a CUDA runtime that fails to load
    _cupy = None
    _cupy_fft = None

#: Threads for ``scipy.fft`` and :func:`in_blocks` (all cores unless
#: RESTORE_FFT_WORKERS says otherwise).
FFT_WORKERS = int(os.environ.get("RESTORE_FFT_WORKERS", os.cpu_count() or 1))
_THREADS = contextvars.ContextVar("restore_fft_threads", default=None)


def fft_workers():
    """Threads this thread's FFTs and element-wise blocks use: FFT_WORKERS,
    unless :func:`fft_threads` says otherwise."""
    threads = _THREADS.get()
    return FFT_WORKERS if threads is None else threads


def fft_threads(count):
    """Within, this thread's FFTs and element-wise blocks use `count` threads.

    For work that runs several solves at once (the chunks of a batch, each
    on its own thread): two 72×288×288 chunks on one thread each went
    1.7× faster than one after the other on two threads each, whose FFTs
    gain only 1.1-1.2× from the second thread at that size.

    Examples
    --------
    >>> with fft_threads(1):
    ...     fft_workers()
    1
    """
    from ._context import setting

    return setting(_THREADS, max(1, int(count)))


def cupy_available():
    """Return True when CuPy imports and sees at least one CUDA device."""
    if _cupy is None:
        return False
    try:
        return _cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def array_module(*arrays):
    """Return ``cupy`` if any of `arrays` is a CuPy array, else ``numpy``.

    Examples
    --------
    >>> import numpy as np
    >>> array_module(np.zeros(3)) is np
    True
    """
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return np


def is_gpu_array(x):
    """Return True when `x` is a CuPy array."""
    return _cupy is not None and isinstance(x, _cupy.ndarray)


def to_device(x, xp):
    """Return `x` as an array of namespace `xp` (a copy only when it must move)."""
    if xp is np:
        return to_host(x)
    return xp.asarray(x)


def to_host(x):
    """Return `x` as a NumPy array (copies from the GPU when needed)."""
    if is_gpu_array(x):
        return x.get()
    return np.asarray(x)


def require_gpu():
    """Raise ValueError unless CuPy and a CUDA device are available."""
    if not cupy_available():
        raise ValueError(
            "a GPU was asked for but none is available: install the 'gpu' extra "
            "(pip install restore[gpu]) on a machine with a CUDA device, or use the CPU"
        )


def to_gpu(x):
    """Return `x` as a CuPy array; ValueError when no GPU is available."""
    require_gpu()
    return _cupy.asarray(x)


def ndimage_module(xp):
    """``scipy.ndimage`` for NumPy, ``cupyx.scipy.ndimage`` for CuPy."""
    if xp is np:
        import scipy.ndimage

        return scipy.ndimage
    import cupyx.scipy.ndimage

    return cupyx.scipy.ndimage


def next_fast_length(n):
    """Smallest length >= `n` that real FFTs handle quickly: 2, 3 and 5 factors only.

    7-smooth lengths were measured (pocketfft, this project's 2-core machine,
    15 pairs from 98 vs 100 to 784 vs 800, the shorter one 7-smooth, on the
    first axis of volumes and images): an FFT pair took 0.81-1.25× the time of
    the next 5-smooth length, median 0.97-1.0, i.e. 1.01-1.04× as long per
    sample; too little to take.
    """
    return scipy.fft.next_fast_len(int(n), real=True)


def rfftn(x, shape):
    """Real N-D FFT over all axes of `x`, zero-padded (at the end) to `shape`."""
    if is_gpu_array(x):
        return _cupy_fft.rfftn(x, s=shape)
    return scipy.fft.rfftn(x, s=shape, workers=fft_workers())


def irfftn(spectrum, shape, *, overwrite=False):
    """Inverse of :func:`rfftn`: a real array of `shape`.

    With `overwrite`, the FFT may use `spectrum` as scratch space (saves a
    copy of the spectrum; the caller must not use it afterwards).
    """
    if is_gpu_array(spectrum):
        return _cupy_fft.irfftn(spectrum, s=shape, overwrite_x=overwrite)
    return _inverse_real(spectrum, tuple(shape), tuple(range(len(shape))), overwrite)


def _inverse_real(spectrum, shape, axes, overwrite):
    """The inverse real FFT over `axes` of `shape` (the last of them halved).

    The same transforms as ``irfftn(axes=axes)``, in two calls: SciPy's N-D
    complex-to-real path allocates a hidden complex copy of the whole
    spectrum (untraced, one work array of RSS) even with overwrite_x.
    """
    fft = _fft_module(spectrum)
    if len(axes) > 1:
        spectrum = fft.ifftn(spectrum, s=[shape[a] for a in axes[:-1]], axes=axes[:-1],
                             overwrite_x=overwrite, **_workers(spectrum))
    return fft.irfft(spectrum, n=shape[axes[-1]], axis=axes[-1],
                     overwrite_x=overwrite or len(axes) > 1, **_workers(spectrum))


def has_dct(xp):
    """True when `xp`'s FFT module has the N-D DCT (SciPy; CuPy 12 and later)."""
    return xp is np or hasattr(_cupy_fft, "dctn")


def _fft_module(x):
    return _cupy_fft if is_gpu_array(x) else scipy.fft


def _workers(x):
    return {} if is_gpu_array(x) else {"workers": fft_workers()}


def cosine_rfftn(x, shape, cosine, *, overwrite=False):
    """The transform of a grid mirrored at both ends on the `cosine` axes
    and periodic on the others: an orthonormal DCT-II along `cosine`, then
    the real FFT over the other axes (the last of them halved). With no
    `cosine` axes it is :func:`rfftn` (`x` zero-padded to `shape`); with
    them `x` must have `shape`; with no other axes the result is real.
    With `overwrite` the DCT may run in `x`'s memory (one array less held).
    """
    if not cosine:
        return rfftn(x, shape)
    fft = _fft_module(x)
    others = tuple(a for a in range(x.ndim) if a not in cosine)
    if others and not is_gpu_array(x):
        # the real FFT first, then the DCT in the complex spectrum's own memory
        # (SciPy transforms its real and imaginary parts): no real temporary
        spectrum = fft.rfftn(x, axes=others, **_workers(x))
        return _complex_cosine(spectrum, cosine, inverse=False)
    y = fft.dctn(x, type=2, axes=tuple(cosine), norm="ortho", overwrite_x=overwrite,
                 **_workers(x))
    if not others:
        return y
    return fft.rfftn(y, axes=others, **_workers(x))


def cosine_irfftn(spectrum, shape, cosine, *, overwrite=False):
    """Inverse of :func:`cosine_rfftn`: a real array of `shape`."""
    if not cosine:
        return irfftn(spectrum, shape, overwrite=overwrite)
    fft = _fft_module(spectrum)
    others = tuple(a for a in range(len(shape)) if a not in cosine)
    on_gpu = is_gpu_array(spectrum)
    if others and not on_gpu:  # the inverse DCT first, in the complex spectrum
        spectrum = _complex_cosine(spectrum, cosine, inverse=True, overwrite=overwrite)
        overwrite = True
    if others:
        spectrum = _inverse_real(spectrum, shape, others, overwrite)
        if not on_gpu:
            return spectrum
        overwrite = True
    return fft.idctn(spectrum, type=2, axes=tuple(cosine), norm="ortho", overwrite_x=overwrite,
                     **_workers(spectrum))


def spectral_work_array(shape, cosine, dtype, xp):
    """An uninitialised real array of `shape` that :func:`cosine_rfftn_in_place`
    turns into its spectrum in its own memory.

    On the CPU, where the real FFT's halved axis is the last one, it is a
    view of a complex buffer of the spectrum's shape: each row of the real
    array lies in the bytes of the same row of its spectrum, so a row's
    transform can be written over it. Elsewhere (CuPy, a last axis mirrored
    by a DCT) a plain array, which :func:`cosine_rfftn` transforms (a grid
    mirrored on every axis in place: its DCTs are real to real).

    Examples
    --------
    >>> import numpy as np
    >>> x = spectral_work_array((4, 6), (), np.float32, np)
    >>> x.shape, x.base.shape, x.base.dtype.name
    ((4, 6), (4, 4), 'complex64')
    """
    if not _in_place_layout(shape, cosine, xp):
        return xp.empty(shape, dtype)
    complex_dtype = np.result_type(dtype, np.complex64)
    buffer = np.empty(tuple(shape[:-1]) + (shape[-1] // 2 + 1,), complex_dtype)
    return buffer.view(dtype)[..., :shape[-1]]


def _in_place_layout(shape, cosine, xp):
    return xp is np and len(shape) - 1 not in cosine


def holds_its_spectrum(x, shape, cosine):
    """True where `x` is a :func:`spectral_work_array` whose spectrum
    :func:`cosine_rfftn_in_place` writes over it (a complex buffer under it)."""
    return _spectral_buffer(x, shape, cosine) is not None


def _spectral_buffer(x, shape, cosine):
    """The complex buffer under a :func:`spectral_work_array` `x`, or None."""
    buffer = x.base
    if (not _in_place_layout(shape, cosine, array_module(x)) or buffer is None
            or x.shape != tuple(shape)
            or buffer.dtype.kind != "c" or not buffer.flags.c_contiguous
            or buffer.shape != tuple(shape[:-1]) + (shape[-1] // 2 + 1,)):
        return None
    # row i of x must lie in row i of the buffer (a reversed or transposed view
    # would have row blocks read rows another block writes)
    if (x.__array_interface__["data"][0] != buffer.__array_interface__["data"][0]
            or x.strides != buffer.strides[:-1] + (x.itemsize,)):
        return None
    return buffer


def cosine_rfftn_in_place(x, shape, cosine):
    """:func:`cosine_rfftn` of `x` (of `shape`), in `x`'s memory where `x` is
    a :func:`spectral_work_array`; `x` is used up either way."""
    buffer = _spectral_buffer(x, shape, cosine)
    if buffer is None:
        return cosine_rfftn(x, shape, cosine, overwrite=True)

    def rows(start, stop):  # a row's transform over its own bytes (read before written)
        buffer[start:stop] = scipy.fft.rfft(x[start:stop], axis=-1)

    _by_rows(rows, buffer)
    return _in_place_others(buffer, shape, cosine, inverse=False)


def cosine_irfftn_in_place(spectrum, shape, cosine):
    """:func:`cosine_irfftn` of `spectrum`, written over its own memory where
    the layout allows (a strided view of it is returned); used up either way."""
    if (not _in_place_layout(shape, cosine, array_module(spectrum))
            or spectrum.dtype.kind != "c" or not spectrum.flags.c_contiguous):
        return cosine_irfftn(spectrum, shape, cosine, overwrite=True)
    spectrum = _in_place_others(spectrum, shape, cosine, inverse=True)
    n = shape[-1]
    real = spectrum.view(spectrum.real.dtype)[..., :n]

    def rows(start, stop):
        real[start:stop] = scipy.fft.irfft(spectrum[start:stop], n=n, axis=-1)

    _by_rows(rows, spectrum)
    return real


def _in_place_others(spectrum, shape, cosine, *, inverse):
    """The transforms of every axis but the last of a spectral buffer, in place:
    complex FFTs on the periodic axes, orthonormal DCT-IIs on the `cosine` axes."""
    periodic = tuple(a for a in range(len(shape) - 1) if a not in cosine)

    def fourier(s):
        transform = scipy.fft.ifftn if inverse else scipy.fft.fftn
        return transform(s, axes=periodic, overwrite_x=True, workers=fft_workers())

    def cosine_axes(s):
        return _complex_cosine(s, cosine, inverse=inverse)

    steps = [(fourier, periodic), (cosine_axes, cosine)]
    for transform, axes in (reversed(steps) if inverse else steps):
        if axes:
            spectrum = transform(spectrum)
    return spectrum


def _complex_cosine(spectrum, cosine, *, inverse, overwrite=True):
    """The orthonormal DCT-II (or its inverse) along the `cosine` axes of a
    complex CPU array, its last axis not among them: run on the array's real
    view, which interleaves the real and imaginary parts along the last axis.
    The DCT is real, so that is the same transform; SciPy's complex path
    splits the parts into copies first and took 1.8× as long
    (128×540×271: 91 -> 51 ms on 2 threads)."""
    transform = scipy.fft.idctn if inverse else scipy.fft.dctn
    axes = tuple(a % spectrum.ndim for a in cosine)
    options = {"type": 2, "axes": axes, "norm": "ortho", "overwrite_x": overwrite,
               "workers": fft_workers()}
    if spectrum.ndim - 1 in axes or not spectrum.flags.c_contiguous:
        return transform(spectrum, **options)
    real = spectrum.view(spectrum.real.dtype)
    return transform(real, **options).view(spectrum.dtype)


def _by_rows(func, array):
    """`func(start, stop)` over row blocks of `array`; a 1-D array is one block,
    ``func(None, None)`` (its one axis is the transform's)."""
    if array.ndim < 2:
        func(None, None)
    else:
        row_blocks(func, array)


def fft_axis(x, n, axis, *, real):
    """1-D FFT of `x` along `axis`, zero-padded to `n` (``rfft`` when `real`)."""
    if is_gpu_array(x):
        return (_cupy_fft.rfft if real else _cupy_fft.fft)(x, n=n, axis=axis)
    return (scipy.fft.rfft if real else scipy.fft.fft)(x, n=n, axis=axis)


#: Elements per block of :func:`in_blocks` (1 MiB of float32: a block stays
#: in cache through the operations it goes through).
BLOCK_ELEMENTS = 2**18

_pool = {"executor": None, "workers": 0}
_pool_lock = threading.Lock()


def _forget_pool():
    """In a forked child: the parent's threads (and maybe its held lock) are not there."""
    global _pool_lock
    _pool_lock = threading.Lock()
    _pool.update(executor=None, workers=0)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def in_blocks(func, *arrays):
    """Call ``func(*blocks)`` on matching row blocks of `arrays`, on the FFT threads.

    For in-place element-wise work on large arrays (a ratio, an OTF product):
    NumPy's ufuncs release the GIL, so the blocks run on all cores like the
    FFTs around them instead of on one, and each block goes through all of
    `func`'s operations while it is in cache. Blocks are whole rows along
    axis 0, about BLOCK_ELEMENTS each (one row, if a row is larger); they
    split the arrays with as many axes as the first and the same length
    there, and the others (scalars, None, broadcasting shapes) are passed
    whole. `func` must not call :func:`in_blocks` itself (the threads are
    busy running it). CuPy arrays, small arrays and a single FFT worker get
    one plain call.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((2000, 1000), np.float32)
    >>> in_blocks(lambda a, b: np.multiply(a, b, out=a), x, np.float32(3))
    >>> float(x.sum())
    6000000.0
    """
    first = arrays[0]
    if (is_gpu_array(first) or fft_workers() < 2 or first.ndim == 0
            or first.size < 4 * BLOCK_ELEMENTS):
        func(*arrays)
        return
    rows = first.shape[0]
    step = max(1, BLOCK_ELEMENTS // max(1, first.size // rows))
    split = [np.ndim(a) == first.ndim and np.shape(a)[0] == rows for a in arrays]

    def one(start):
        block = slice(start, start + step)
        func(*(a[block] if cut else a for a, cut in zip(arrays, split)))

    # consuming map's results waits for every block and re-raises a block's error
    for _ in _executor().map(one, range(0, rows, step)):
        pass


def row_blocks(func, first):
    """``[func(start, stop) for each row block of `first`]``, on the FFT threads.

    For element-wise work that also reads neighbouring rows (finite
    differences): `func` gets the block's row range and indexes the whole
    arrays itself; it may read any row but must write only its own. Blocks
    are whole rows along axis 0, at most BLOCK_ELEMENTS and at least one per
    thread (smaller arrays than :func:`in_blocks` cuts are cut too: the
    work between two FFTs is worth sharing at any size). Returns the
    results in block order.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(12.0).reshape(4, 3)
    >>> sum(row_blocks(lambda start, stop: float(x[start:stop].sum()), x))
    66.0
    """
    rows = first.shape[0] if first.ndim else 1
    if is_gpu_array(first) or first.ndim == 0 or rows < 2 or first.size < BLOCK_ELEMENTS // 4:
        return [func(0, rows)]
    # at least one block per thread, at most BLOCK_ELEMENTS each
    workers = fft_workers()
    blocks = max(workers, -(-first.size // BLOCK_ELEMENTS))
    step = -(-rows // min(blocks, rows))
    starts = range(0, rows, step)
    if workers < 2:  # blocks in turn: each still stays in cache through `func`
        return [func(start, min(start + step, rows)) for start in starts]
    return list(_executor().map(lambda start: func(start, min(start + step, rows)), starts))


def on_threads(func, items):
    """``[func(item) for item in items]``, the calls spread over the FFT threads.

    For work that releases the GIL in large pieces (PyWavelets' transforms,
    a block of lines each). `func` must not use the threads itself.
    """
    items = list(items)
    if fft_workers() < 2 or len(items) < 2:
        return [func(item) for item in items]
    return list(_executor().map(func, items))


def multiply_in_place(a, b):
    """``a *= b`` (b broadcasting), in row blocks on the FFT threads; see :func:`in_blocks`."""
    in_blocks(_multiply, a, b)


def _multiply(a, b):
    a *= b


def _executor():
    """The worker threads: FFT_WORKERS of them, made on first use."""
    with _pool_lock:
        if _pool["workers"] != FFT_WORKERS:
            if _pool["executor"] is not None:
                _pool["executor"].shutdown(wait=False)
            _pool.update(executor=ThreadPoolExecutor(FFT_WORKERS, thread_name_prefix="restore"),
                         workers=FFT_WORKERS)
        return _pool["executor"]


def float_dtype(dtype):
    """float64 for float64 input, float32 for everything else (ints, float16, float32)."""
    return np.float64 if np.dtype(dtype) == np.float64 else np.float32
