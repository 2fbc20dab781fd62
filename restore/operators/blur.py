"""The forward model f = h * g: one operator with a forward map and an adjoint.

:class:`Blur` owns everything about the convolution: the PSF's centre, the OTF
(real FFT at a fast size, computed once), the boundary model, the forward map H,
its adjoint Hᵀ, and on a periodic grid the Fourier-diagonal pieces the solvers
are built from (|H|², conj(H)/(|H|² + R), filtering a spectrum). Solvers reach
the FFT only through it.

Every boundary mode is the same three steps: *embed* the scene into the
periodic work grid of :func:`~restore.operators.grid_layout` (the grid every
solver uses for that mode), convolve periodically there, *crop* the observed
window. The modes differ only in the embedding, which is
:func:`~restore.operators.extend`'s continuation of the scene:

========== ============================== ===================================
boundary   unknown x (``input_shape``)    embedding into the work array
========== ============================== ===================================
periodic   the image's shape              none: the work array is the image
zero       the image's shape              zeros around x
reflect    the image's shape              x mirrored by the PSF's reach
smooth     the image's shape              x blended smoothly round the grid
unknown    image + PSF's half-size a side none: x already covers every pixel
                                          that reaches the observed window
========== ============================== ===================================

The adjoint runs the same steps backwards (zero-fill, correlate, fold the
mirrored pixels back), so ``<H x, y> == <x, Hᵀ y>`` holds exactly in every mode
but "smooth" (H only).
"""

import contextvars
import hashlib
import threading

import numpy as np
import scipy.fft as scipy_fft

from .._backend import (
    array_module,
    cosine_irfftn,
    cosine_irfftn_in_place,
    cosine_rfftn,
    cosine_rfftn_in_place,
    fft_axis,
    float_dtype,
    holds_its_spectrum,
    multiply_in_place,
    spectral_work_array,
    to_host,
)
from .._checks import check_psf_fits
from .._context import setting
from .boundaries import FORWARD_BOUNDARIES, check_boundary, extend, grid_layout, is_mirror_symmetric
from .inputs import prepare

#: The modes in which :class:`Blur` has an exact adjoint.
ADJOINT_BOUNDARIES = ("periodic", "reflect", "zero", "unknown")


def _complex_dtype(dtype):
    return np.complex128 if np.dtype(dtype) == np.float64 else np.complex64


def separable_factors(psf):
    """1-D kernels whose outer product is `psf`, or None if it is not separable.

    Gaussian and box PSFs are; motion blur at an angle, disks and Airy
    patterns are not. The kernels are the PSF's marginal sums, the last one
    divided by the total ``ndim - 1`` times.
    """
    if psf.ndim < 2:
        return None
    xp = array_module(psf)
    total = float(psf.sum())
    if total == 0:
        return None
    axes = range(psf.ndim)
    factors = [psf.sum(axis=tuple(b for b in axes if b != a)) for a in axes]
    factors[-1] = factors[-1] / total ** (psf.ndim - 1)
    outer = 1.0
    for a, f in enumerate(factors):
        view = [1] * psf.ndim
        view[a] = f.size
        outer = outer * f.reshape(view)
    if float(xp.abs(outer - psf).max()) > 1e-6 * float(xp.abs(psf).max()):
        return None
    return factors



def psf_centre(psf_shape):
    """Index of the PSF's centre on each axis: ``n // 2`` (the one convention)."""
    return tuple(n // 2 for n in psf_shape)


_REUSE_OTFS = contextvars.ContextVar("restore_reuse_otfs", default=False)
_otf_cache = {}  # at most one OTF, for reusing_otfs
_otf_lock = threading.Lock()


def reusing_otfs():
    """Blurs made within take the OTF of the last one made for the same PSF and grid.

    For many solves on grids of one shape (the chunks of a stack, laid out
    as pieces): one FFT of the PSF per grid instead of one per solve. One
    OTF is kept (read-only) until :func:`forget_otfs` or a different grid
    replaces it; the context is per thread (a :mod:`contextvars` variable).
    """
    return setting(_REUSE_OTFS, True)


def forget_otfs():
    """Let go of the OTF :func:`reusing_otfs` keeps."""
    with _otf_lock:
        _otf_cache.clear()


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
    boundary : {"reflect", "smooth", "periodic", "zero", "unknown"}
        What the scene is beyond the field of view
        (:data:`~restore.operators.BOUNDARY_MODES`): mirrored, smoothly
        continued, wrapped around, zero, or unknown. With "unknown" the
        operator's input is larger than the image by the PSF's half-size on
        each side (``input_shape``) and H returns only the observed window
        (the "valid" part). "smooth" has no adjoint (its continuation is a
        blend of smoothed edges): H only, for simulation.
    dtype : dtype, optional
        Working float type; default float32 unless `psf` is float64.
    cosine_axes : tuple of int, optional
        With ``boundary="periodic"`` (a work grid): axes on which the grid
        is mirrored at both ends instead of wrapping round, which a DCT
        diagonalises exactly (the "reflect" model with no padding,
        :func:`~restore.operators.cosine_axes`). The PSF must be mirror
        symmetric, with an odd length, along each.

    Attributes
    ----------
    input_shape : tuple of int
        Shape of x in ``H x``.
    shape : tuple of int
        Shape of ``H x`` (the observed image).
    work_shape : tuple of int
        Shape of the periodic work array (fast FFT lengths), from
        :func:`~restore.operators.grid_layout`, the layout the solvers use.
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

    def __init__(self, psf, shape, *, boundary="reflect", dtype=None, cosine_axes=()):
        check_boundary(boundary)
        xp = array_module(psf)
        psf = xp.asarray(psf)
        shape = tuple(int(n) for n in shape)
        if psf.ndim != len(shape):
            raise ValueError(
                f"psf has {psf.ndim} dimensions but the image has {len(shape)}; "
                "give a PSF with one axis per image axis"
            )
        if boundary == "periodic":  # the other modes (and mirrored axes) pad past any PSF
            wrapped = [a for a in range(psf.ndim) if a not in cosine_axes]
            check_psf_fits(tuple(psf.shape[a] for a in wrapped), tuple(shape[a] for a in wrapped))
        self.xp = xp
        self.boundary = boundary
        self.shape = shape
        self.dtype = np.dtype(dtype if dtype is not None else float_dtype(psf.dtype))
        self.psf = psf.astype(self.dtype, copy=False)
        centre = psf_centre(psf.shape)
        # Pixels of x that reach an output pixel: `centre` before it, the rest after.
        self._before = centre
        self.work_shape, self._margin = grid_layout(psf.shape, shape, boundary)
        if boundary == "unknown":  # x covers every pixel that reaches the window
            self.input_shape = tuple(n + 2 * m for n, m in zip(shape, self._margin))
        else:
            self.input_shape = shape
        self._window = tuple(slice(m, m + n) for m, n in zip(self._margin, shape))
        self._otf = None
        self._otf_conj = None
        self.cosine_axes = tuple(sorted(int(a) for a in cosine_axes))
        if self.cosine_axes:
            if boundary != "periodic":
                raise ValueError("cosine_axes are axes of a periodic work grid; give "
                                 "boundary='periodic' with them")
            if not all(psf.shape[a] % 2 and is_mirror_symmetric(psf, axes=(a,))
                       for a in self.cosine_axes):
                raise ValueError(f"cosine_axes {self.cosine_axes} need a PSF that is mirror "
                                 "symmetric, with an odd length, along each of them")
        # the axis the real FFT halves: the last one not mirrored by a DCT
        fourier = [a for a in range(len(shape)) if a not in self.cosine_axes]
        self._halved = fourier[-1] if fourier else None

    # -- the OTF -------------------------------------------------------------
    @property
    def otf(self):
        """Real FFT of the PSF, centre moved to index 0, on ``work_shape``.

        Within :func:`reusing_otfs`, the last one computed for the same PSF
        and grid is taken instead of computed again.
        """
        if self._otf is None and _REUSE_OTFS.get():
            key = (type(self.psf).__module__, self.work_shape, self.cosine_axes, self.dtype.str,
                   self.psf.shape, hashlib.sha1(to_host(self.psf).tobytes()).hexdigest())
            with _otf_lock:
                cached = _otf_cache.get(key)
                if cached is None:
                    _otf_cache.clear()  # one kept: let the last go before computing
            if cached is None:
                cached = self._compute_otf()
                if isinstance(cached, np.ndarray):
                    cached.flags.writeable = False  # shared: never changed in place
                with _otf_lock:
                    _otf_cache.clear()
                    _otf_cache[key] = cached
            self._otf = cached
        if self._otf is None:
            self._otf = self._compute_otf()
        return self._otf

    def _compute_otf(self):
        factors = separable_factors(self.psf)
        real = all(k % 2 for k in self.psf.shape) and is_mirror_symmetric(self.psf)
        if factors is not None:  # 1-D FFTs and an outer product: no N-D FFT
            otf = None
            for axis, kernel in enumerate(factors):
                part = self._centred_spectrum(kernel, axis)
                if real:  # each factor of a mirror-symmetric PSF is real
                    part = part.real.copy()
                otf = part if otf is None else otf * part
        else:
            xp = self.xp
            kernel = to_host(self.psf) if self.cosine_axes else self.psf
            for axis in self.cosine_axes:  # each mirrored axis: A e₀ (A's first column)
                matrix = _mirrored_columns(kernel.shape[axis], self.work_shape[axis])
                kernel = np.moveaxis(np.tensordot(matrix, kernel, axes=(1, axis)), 0, axis)
            padded = xp.zeros(self.work_shape, dtype=self.dtype)
            padded[tuple(slice(0, k) for k in kernel.shape)] = xp.asarray(kernel)
            wrapped = tuple(a for a in range(padded.ndim) if a not in self.cosine_axes)
            if wrapped:
                padded = xp.roll(padded, [-self._before[a] for a in wrapped], axis=wrapped)
            otf = cosine_rfftn(padded, self.work_shape, self.cosine_axes)
            del padded
            for axis in self.cosine_axes:
                view = [1] * otf.ndim
                view[axis] = -1
                otf /= xp.asarray(_cosine_of_unit(self.work_shape[axis]).reshape(view),
                                  dtype=self.dtype)
        if real and otf.dtype.kind == "c":
            otf = otf.real.copy()  # exactly real: half the memory, no conjugate
        return otf

    def _centred_spectrum(self, kernel, axis):
        """FFT along `axis` of a 1-D kernel centred at index 0, shaped to broadcast
        (on a mirrored axis: the DCT's eigenvalues, real)."""
        xp, n = self.xp, self.work_shape[axis]
        view = [1] * len(self.work_shape)
        if axis in self.cosine_axes:
            column = _mirrored_columns(kernel.size, n) @ to_host(kernel).astype(np.float64)
            padded = np.zeros(n)
            padded[: column.size] = column
            values = scipy_fft.dct(padded, type=2, norm="ortho") / _cosine_of_unit(n)
            view[axis] = n
            return xp.asarray(values.reshape(view), dtype=self.dtype)
        padded = xp.zeros(n, dtype=self.dtype)
        padded[: kernel.size] = kernel
        padded = xp.roll(padded, -self._before[axis])
        spectrum = fft_axis(padded, n, 0, real=axis == self._halved)
        view[axis] = spectrum.size
        return spectrum.reshape(view).astype(_complex_dtype(self.dtype), copy=False)

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
        if self.boundary == "smooth":
            raise ValueError(
                "boundary='smooth' has no adjoint here (its continuation blends smoothed "
                "edges); use 'reflect' or 'periodic' for an operator with Hᵀ")
        work = self._uncrop(y)
        return self._unembed(self._filter(work, self._conjugate_otf()))

    # -- H and Hᵀ in two halves, on a periodic grid ------------------------------
    def spectrum(self, x, *, overwrite=False):
        """First half of a periodic H or Hᵀ: the real FFT of `x`.

        With :meth:`from_spectrum`, a caller can drop its last reference to
        `x` between the two halves, so that x, its spectrum and the result
        are never all held at once (one work array less at the peak). With
        `overwrite` `x` is used up: a DCT on the :attr:`cosine_axes` may run
        in its memory, and the whole transform does where `x` comes from
        :meth:`work_array`.

        Examples
        --------
        >>> import numpy as np
        >>> from restore.psf import gaussian
        >>> H = Blur(gaussian(1.0), (32, 32), boundary="periodic")
        >>> x = np.ones((32, 32), np.float32)
        >>> bool(np.allclose(H.from_spectrum(H.spectrum(x)), H.apply(x)))
        True
        """
        self._check_periodic()
        self._check_backend(x)
        if overwrite and holds_its_spectrum(x, self.work_shape, self.cosine_axes):
            return cosine_rfftn_in_place(x, self.work_shape, self.cosine_axes)
        return cosine_rfftn(x, self.work_shape, self.cosine_axes, overwrite=overwrite)

    def work_array(self):
        """An uninitialised real array of the work grid whose spectrum
        (``spectrum(x, overwrite=True)``) and, with ``from_spectrum(...,
        in_place=True)``, result stay in its own memory (on the CPU, where the
        grid allows: :func:`restore._backend.spectral_work_array`): a solver
        step then holds one array where it held the right-hand side, its
        spectrum and the result."""
        return spectral_work_array(self.work_shape, self.cosine_axes, self.dtype, self.xp)

    def from_spectrum(self, spectrum, *, adjoint=False, transfer=None, in_place=False):
        """Second half: multiply by the OTF (its conjugate for Hᵀ, or any
        `transfer` function on the same half spectrum), transform back.

        `spectrum` (from :meth:`spectrum`) is used up: it is filtered in place
        and serves as the inverse FFT's scratch space. With `in_place` the
        result is written over it where the layout allows (a strided view of
        its memory, not C-contiguous).
        """
        self._check_periodic()
        if transfer is None:
            transfer = self._conjugate_otf() if adjoint else self.otf
        return self._filter_spectrum(spectrum, transfer, in_place=in_place)

    # -- the Fourier-diagonal solves of a periodic H ------------------------------
    def power(self):
        """|H|², the transfer function of HᵀH (real, on the half spectrum; a new array)."""
        otf = self.otf
        if otf.dtype.kind == "f":
            return otf * otf
        power = otf.real * otf.real  # no complex temporary (and no view that keeps one)
        power += otf.imag * otf.imag
        return power

    def conjugate_otf(self):
        """conj(H), the transfer function of Hᵀ (computed once)."""
        return self._conjugate_otf()

    def regularised_inverse(self, extra):
        """conj(H) / (|H|² + extra): the transfer function of (HᵀH + R)⁻¹Hᵀ.

        `extra` is R's transfer function, a number or an array on the half
        spectrum: the noise-to-signal ratio (Wiener), λ|R|² (Tikhonov).
        Built with as few full-size arrays as possible.

        Examples
        --------
        >>> import numpy as np
        >>> from restore.psf import gaussian
        >>> H = Blur(gaussian(1.0), (32, 32), boundary="periodic")
        >>> x = np.ones((32, 32), np.float32)
        >>> y = H.from_spectrum(H.spectrum(H.apply(x)), transfer=H.regularised_inverse(1e-6))
        >>> bool(np.allclose(y, x, atol=1e-3))
        True
        """
        self._check_periodic()
        otf = self.otf
        denominator = self.power()
        denominator += extra
        if otf.dtype.kind == "c":
            return otf.conj() / denominator
        return self.xp.divide(otf, denominator, out=denominator)

    # -- pieces ----------------------------------------------------------------
    def _conjugate_otf(self):
        if self._otf_conj is None:
            self._otf_conj = self.otf if self.otf.dtype.kind == "f" else self.otf.conj()
        return self._otf_conj

    def _check_periodic(self):
        if self.boundary != "periodic":
            raise ValueError(
                f"spectrum/from_spectrum need a periodic Blur, this one is {self.boundary!r}; "
                "use apply/adjoint"
            )

    def _check_backend(self, work):
        if array_module(work) is not self.xp:
            raise TypeError(
                f"this Blur holds a {self.xp.__name__} PSF but was given a "
                f"{array_module(work).__name__} array; build the Blur from a PSF on the "
                "same device as the data"
            )

    def _filter(self, work, transfer_function):
        self._check_backend(work)
        return self._filter_spectrum(cosine_rfftn(work, self.work_shape, self.cosine_axes),
                                     transfer_function)

    def _filter_spectrum(self, spectrum, transfer_function, *, in_place=False):
        multiply_in_place(spectrum, transfer_function)
        if in_place:
            return cosine_irfftn_in_place(spectrum, self.work_shape, self.cosine_axes)
        return cosine_irfftn(spectrum, self.work_shape, self.cosine_axes, overwrite=True)

    def _embed(self, x):
        """x → work array: the scene continued as the boundary mode assumes."""
        if self.boundary == "unknown":  # x already covers the reach; rfftn zero-pads
            return x
        return extend(x, self.work_shape, self._margin, self.boundary)

    def _unembed(self, work):
        if self.boundary == "reflect":  # fold the mirrored pixels back (the seam's
            # blend lies beyond every observed pixel's reach: nothing flows there)
            mirrored = tuple(slice(0, n + 2 * m) for n, m in zip(self.shape, self._margin))
            return _fold_symmetric(work[mirrored], self._margin, self.shape, self.xp)
        if self.boundary == "unknown":
            return work[tuple(slice(0, n) for n in self.input_shape)]
        return work[self._window]

    def _crop(self, work):
        return work[self._window]

    def _uncrop(self, y):
        if self.boundary == "periodic":
            return y
        work = self.xp.zeros(self.work_shape, dtype=np.result_type(y.dtype, self.dtype))
        work[self._window] = y
        return work

def _mirrored_columns(k, n):
    """The (min(n, k), k) matrix taking a centred 1-D kernel of length `k` to
    A e₀: the first column of its blur on `n` samples mirrored at both ends
    (half-sample symmetric, period 2n; rows past min(n, k) are zero).

    The mirrored delta has copies at 2nt and 2nt − 1, so (A e₀)[i] sums the
    kernel at offsets i − 2nt and i − 2nt + 1 from its centre.
    """
    centre, rows = k // 2, min(n, k)
    matrix = np.zeros((rows, k))
    i = np.arange(rows)
    reach = k // (2 * n) + 1
    for t in range(-reach, reach + 1):
        for shift in (0, 1):
            offset = i - 2 * n * t + shift
            inside = (offset >= -centre) & (offset <= k - 1 - centre)
            np.add.at(matrix, (i[inside], centre + offset[inside]), 1.0)
    return matrix


def _cosine_of_unit(n):
    """The orthonormal DCT-II of e₀ (length `n`): what A e₀'s DCT is divided
    by for A's eigenvalues (never 0)."""
    unit = np.zeros(n)
    unit[0] = 1.0
    return scipy_fft.dct(unit, type=2, norm="ortho")


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
    psf : array_like or str
        PSF with one axis per image axis, centre at index ``n // 2``, or a
        spec such as ``"gauss:2"``. It is normalised to sum 1, as every
        solver normalises it: ``blur(g, np.ones((5, 5)))`` is the 5×5 mean,
        and deconvolving it with the same PSF gives back g's scale.
    boundary : {"reflect", "smooth", "periodic", "zero"}
        What the scene is beyond its edges
        (:data:`~restore.operators.BOUNDARY_MODES`), the same model the
        solvers' ``boundary=`` names.

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
    check_boundary(boundary, FORWARD_BOUNDARIES)
    # a PSF longer than the image (a thin stack) is fine but on a periodic grid,
    # which Blur refuses
    image, psf, _ = prepare(image, psf, psf_may_exceed=True)
    return Blur(psf, image.shape, boundary=boundary, dtype=image.dtype).apply(image)

