"""The forward model f = h * g: one operator with a forward and an adjoint.

:class:`Blur` owns everything about the convolution: the PSF's centre, the OTF
(real FFT at a fast size, computed once), the boundary handling, the forward map H
and its adjoint Hᵀ. Solvers only talk to it.

Every boundary mode is the same three steps: *embed* the unknown into a work
array of a fast FFT length, convolve periodically there, *crop* the observed
window. The modes differ only in the embedding:

========== ============================== ===================================
boundary   unknown x (``input_shape``)    embedding into the work array
========== ============================== ===================================
periodic   the image's shape              none: the work array is the image
zero       the image's shape              zeros around x
reflect    the image's shape              mirror x by the PSF's half-size
unknown    image + PSF's half-size a side none: x already covers every pixel
                                          that reaches the observed window
========== ============================== ===================================

The adjoint runs the same steps backwards (zero-fill, correlate, fold the
mirrored pixels back), so ``<H x, y> == <x, Hᵀ y>`` holds exactly in every mode.
"""

import numpy as np

from ._backend import array_module, float_dtype, irfftn, next_fast_length, rfftn

BOUNDARIES = ("periodic", "reflect", "zero", "unknown")


def check_boundary(boundary, allowed=BOUNDARIES):
    """Raise ValueError unless `boundary` is one of `allowed`."""
    if boundary not in allowed:
        raise ValueError(
            f"boundary={boundary!r} is not supported here; use one of "
            + ", ".join(repr(b) for b in allowed)
        )


def psf_centre(psf_shape):
    """Index of the PSF's centre on each axis: ``n // 2`` (the one convention)."""
    return tuple(n // 2 for n in psf_shape)


class Blur:
    """Convolution with a PSF as a linear operator H, with its adjoint Hᵀ.

    Parameters
    ----------
    psf : ndarray
        Point-spread function (NumPy or CuPy; its array type sets the backend).
        Its centre is the element at index ``n // 2`` on each axis. It is used
        as given (not normalised).
    shape : tuple of int
        Shape of the observed image f (the operator's output).
    boundary : {"periodic", "reflect", "zero", "unknown"}
        What lies outside the field of view: the image wraps around, mirrors,
        is zero, or is unknown. With "unknown" the operator's input is larger
        than the image by the PSF's half-size on each side (``input_shape``)
        and H returns only the observed window (the "valid" part).
    dtype : dtype, optional
        Working float type; default float32 unless `psf` is float64.

    Attributes
    ----------
    input_shape : tuple of int
        Shape of x in ``H x``.
    shape : tuple of int
        Shape of ``H x`` (the observed image).
    work_shape : tuple of int
        Shape of the periodic work array (fast FFT lengths).
    otf : ndarray
        Real-FFT of the centred PSF on `work_shape` (complex).

    Examples
    --------
    >>> import numpy as np
    >>> from restore.psf import gaussian
    >>> H = Blur(gaussian(2.0), (64, 64), boundary="reflect")
    >>> f = H.apply(np.ones((64, 64), np.float32))
    >>> bool(np.allclose(f, 1, atol=1e-5))
    True
    """

    def __init__(self, psf, shape, *, boundary="reflect", dtype=None):
        check_boundary(boundary)
        xp = array_module(psf)
        psf = xp.asarray(psf)
        shape = tuple(int(n) for n in shape)
        if psf.ndim != len(shape):
            raise ValueError(
                f"psf has {psf.ndim} dimensions but the image has {len(shape)}; "
                "give a PSF with one axis per image axis"
            )
        if boundary == "periodic" and any(k > n for k, n in zip(psf.shape, shape)):
            raise ValueError(
                f"psf of shape {psf.shape} is larger than the image {shape}; "
                "crop the PSF or use a larger image"
            )
        self.xp = xp
        self.boundary = boundary
        self.shape = shape
        self.dtype = np.dtype(dtype if dtype is not None else float_dtype(psf.dtype))
        self.psf = psf.astype(self.dtype, copy=False)
        centre = psf_centre(psf.shape)
        # Pixels of x that reach an output pixel: `centre` before it, the rest after.
        self._before = centre
        self._after = tuple(k - 1 - c for k, c in zip(psf.shape, centre))
        margin = tuple(max(b, a) for b, a in zip(self._before, self._after))

        if boundary == "periodic":
            self.input_shape = shape
            self.work_shape = shape
            self._offset = (0,) * len(shape)
        elif boundary == "zero":
            self.input_shape = shape
            self.work_shape = tuple(
                next_fast_length(n + k - 1) for n, k in zip(shape, psf.shape)
            )
            self._offset = (0,) * len(shape)
        elif boundary == "reflect":
            self.input_shape = shape
            self._margin = margin
            self.work_shape = tuple(
                next_fast_length(n + 2 * m) for n, m in zip(shape, margin)
            )
            self._offset = margin
        else:  # unknown
            self.input_shape = tuple(n + 2 * m for n, m in zip(shape, margin))
            self.work_shape = tuple(next_fast_length(n) for n in self.input_shape)
            self._offset = margin
        self._window = tuple(slice(o, o + n) for o, n in zip(self._offset, shape))
        self._otf = None

    # -- the OTF -------------------------------------------------------------
    @property
    def otf(self):
        """Real FFT of the PSF, centre moved to index 0, on ``work_shape``."""
        if self._otf is None:
            xp = self.xp
            padded = xp.zeros(self.work_shape, dtype=self.dtype)
            padded[tuple(slice(0, k) for k in self.psf.shape)] = self.psf
            padded = xp.roll(padded, [-c for c in self._before], axis=tuple(range(padded.ndim)))
            self._otf = rfftn(padded, self.work_shape)
        return self._otf

    # -- H and Hᵀ --------------------------------------------------------------
    def apply(self, x):
        """Return H x: blur `x` (shape ``input_shape``) into the observed shape."""
        work = self._embed(x)
        return self._crop(self._filter(work, self.otf))

    def adjoint(self, y):
        """Return Hᵀ y, the transposed convolution of `y` (shape ``shape``).

        This spreads each observed pixel back through the flipped PSF. It is
        *not* an inverse: Hᵀ H x is x blurred twice.
        """
        work = self._uncrop(y)
        return self._unembed(self._filter(work, self.otf.conj()))

    def normal(self, x):
        """Return Hᵀ H x."""
        return self.adjoint(self.apply(x))

    def adjoint_ones(self):
        """Return Hᵀ 1: how much of each unknown pixel reaches the observation."""
        return self.adjoint(self.xp.ones(self.shape, dtype=self.dtype))

    def transfer(self, x, transfer_function):
        """Multiply `x` (on ``work_shape``) by a real-FFT-domain `transfer_function`."""
        return self._filter(x, transfer_function)

    # -- the periodic work domain, for solvers that diagonalise H by FFT ------
    def extend(self, f):
        """Mirror the observed image `f` out to ``work_shape`` (for FFT-domain solvers).

        The window where `f` sits is the one :meth:`restrict` cuts back out.
        """
        if self.boundary == "periodic":
            return f
        pad = [(o, w - n - o) for o, w, n in zip(self._offset, self.work_shape, self.shape)]
        return self.xp.pad(f, pad, mode="symmetric")

    def restrict(self, work):
        """Cut the observed window out of a work-domain array."""
        return work[self._window]

    def observed_mask(self):
        """Work-domain array: 1 where the image was observed, 0 elsewhere."""
        return self._uncrop(self.xp.ones(self.shape, dtype=self.dtype))

    def input_window(self):
        """Slices that cut the observed field of view out of an ``input_shape`` array."""
        if self.boundary == "unknown":
            return self._window
        return tuple(slice(0, n) for n in self.shape)

    # -- pieces ----------------------------------------------------------------
    def _filter(self, work, transfer_function):
        spectrum = rfftn(work, self.work_shape)
        spectrum *= transfer_function
        return irfftn(spectrum, self.work_shape)

    def _embed(self, x):
        """x → work array (zero-fill is left to the FFT's own padding where possible)."""
        if self.boundary == "reflect":
            pad = [(m, m) for m in self._margin]
            return self.xp.pad(x, pad, mode="symmetric")
        return x  # periodic: same shape; zero/unknown: rfftn zero-pads at the end

    def _unembed(self, work):
        if self.boundary == "reflect":
            return _fold_symmetric(work, self._margin, self.shape, self.xp)
        return work[tuple(slice(0, n) for n in self.input_shape)]

    def _crop(self, work):
        return work[self._window]

    def _uncrop(self, y):
        if self.boundary == "periodic":
            return y
        work = self.xp.zeros(self.work_shape, dtype=np.result_type(y.dtype, self.dtype))
        work[self._window] = y
        return work


def _symmetric_runs(n, margin):
    """Index map of ``np.pad(mode="symmetric")`` on one axis as monotone runs.

    Returns a list of ``(start, stop, source_start, step)``: padded indices
    ``start:stop`` hold source indices ``source_start, source_start + step, ...``.
    """
    period = 2 * n
    source = []
    for t in range(-margin, n + margin):
        s = t % period
        source.append(s if s < n else period - 1 - s)
    runs, start = [], 0
    for t in range(1, len(source) + 1):
        if t < len(source):
            step = source[t] - source[t - 1]
            if t - start == 1 and abs(step) == 1:
                continue  # the run's second element fixes its direction
            if t - start > 1 and step == source[start + 1] - source[start]:
                continue
        step = source[start + 1] - source[start] if t - start > 1 else 1
        runs.append((start, t, source[start], step))
        start = t
    return runs


def _fold_symmetric(work, margin, shape, xp):
    """Adjoint of symmetric padding: add each mirrored pixel back to its source."""
    out = work
    for axis, (n, m) in enumerate(zip(shape, margin)):
        folded_shape = list(out.shape)
        folded_shape[axis] = n
        folded = xp.zeros(folded_shape, dtype=out.dtype)
        for start, stop, src, step in _symmetric_runs(n, m):
            length = stop - start
            if step > 0:
                dst = slice(src, src + length)
            else:
                dst = slice(src - length + 1, src + 1)
            piece = _take(out, axis, slice(start, stop))
            if step < 0:
                piece = xp.flip(piece, axis=axis)
            index = [slice(None)] * out.ndim
            index[axis] = dst
            folded[tuple(index)] += piece
        out = folded
    return out


def _take(a, axis, s):
    index = [slice(None)] * a.ndim
    index[axis] = s
    return a[tuple(index)]


def blur(image, psf, *, boundary="reflect"):
    """Blur `image` with `psf`: the forward model f = h * g, for simulation.

    Parameters
    ----------
    image : array_like
        Clean signal g (1-D, 2-D or 3-D; NumPy or CuPy).
    psf : array_like
        PSF with one axis per image axis, centre at index ``n // 2``.
    boundary : {"reflect", "periodic", "zero"}
        How the image continues beyond its edges.

    Returns
    -------
    ndarray
        Blurred image, same shape and backend, float32 unless `image` is float64.

    Examples
    --------
    >>> import numpy as np
    >>> from restore.psf import gaussian
    >>> f = blur(np.eye(32), gaussian(1.5))
    >>> f.shape
    (32, 32)
    """
    check_boundary(boundary, ("periodic", "reflect", "zero"))
    xp = array_module(image, psf)
    image = xp.asarray(image)
    dtype = float_dtype(image.dtype)
    psf = xp.asarray(psf)
    return Blur(psf, image.shape, boundary=boundary, dtype=dtype).apply(image.astype(dtype))


class WorkDomain:
    """A deconvolution problem moved onto a periodic grid, for FFT-diagonal solvers.

    ADMM and FISTA need H (and finite differences) to be diagonal in the
    Fourier domain, i.e. periodic. Each boundary mode becomes a periodic
    problem on the fast-FFT ``work_shape`` of :class:`Blur`:

    - "periodic": the image itself;
    - "reflect": the image mirrored out to the work shape (pad by the PSF's
      half-size or more, crop back);
    - "unknown": the observed image sits in a larger periodic scene; the data
      term covers only the observed pixels (``mask``), the rest is estimated.

    Attributes
    ----------
    op : Blur
        Periodic blur on ``op.shape == work shape``.
    data : ndarray
        Observation on the work grid (zero outside the mask for "unknown").
    mask : ndarray or None
        1 on observed pixels, 0 elsewhere; None when every pixel is observed.
    initial : ndarray
        A first estimate on the work grid (the observation, extended).
    window : tuple of slice
        Where the observed image sits on the work grid.
    """

    def __init__(self, psf, f, boundary, *, shape_multiple=1):
        check_boundary(boundary, ("periodic", "reflect", "unknown"))
        blur_op = Blur(psf, f.shape, boundary=boundary, dtype=f.dtype)
        xp = blur_op.xp
        if boundary == "periodic":
            self.op = blur_op
            self.data, self.mask = f, None
            self.window = tuple(slice(0, n) for n in f.shape)
            self.initial = f
            return
        shape = tuple(_fast_multiple(n, shape_multiple) for n in blur_op.work_shape)
        offset = blur_op._offset
        self.window = tuple(slice(o, o + n) for o, n in zip(offset, f.shape))
        self.op = Blur(psf, shape, boundary="periodic", dtype=f.dtype)
        pad = [(o, w - n - o) for o, w, n in zip(offset, shape, f.shape)]
        if boundary == "reflect":
            self.data, self.mask = xp.pad(f, pad, mode="symmetric"), None
            self.initial = self.data
        else:
            self.initial = xp.pad(f, pad, mode="edge")
            self.data = xp.zeros(shape, dtype=f.dtype)
            self.data[self.window] = f
            self.mask = xp.zeros(shape, dtype=f.dtype)
            self.mask[self.window] = 1

    def crop(self, x):
        """The observed field of view of a work-grid array."""
        return x[self.window]

    def misfit(self, x, xp):
        """Mean squared residual of H x against the observation, observed pixels only."""
        residual = self.crop(self.op.apply(x)) - self.crop(self.data)
        return float((residual * residual).mean())


def _fast_multiple(n, multiple):
    """Smallest fast FFT length >= n that is a multiple of `multiple`."""
    m = next_fast_length(n)
    while m % multiple:
        m = next_fast_length(m + 1)
    return m
