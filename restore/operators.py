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

import math

import numpy as np

from ._backend import (
    array_module,
    fft_axis,
    float_dtype,
    irfftn,
    multiply_in_place,
    ndimage_module,
    next_fast_length,
    rfftn,
    to_device,
)

BOUNDARIES = ("periodic", "reflect", "zero", "unknown")


def check_boundary(boundary, allowed=BOUNDARIES):
    """Raise ValueError unless `boundary` is one of `allowed`."""
    if boundary not in allowed:
        raise ValueError(
            f"boundary={boundary!r} is not supported here; use one of "
            + ", ".join(repr(b) for b in allowed)
        )


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


def is_mirror_symmetric(psf):
    """True when flipping `psf` along any one axis leaves it unchanged.

    Then a mirrored image, blurred, is the mirror of the blurred image, and
    reflecting the observation past its borders is consistent with the blur.
    """
    xp = array_module(psf)
    tolerance = 1e-6 * float(xp.abs(psf).max())
    return all(
        float(xp.abs(psf - xp.flip(psf, axis=a)).max()) <= tolerance for a in range(psf.ndim)
    )


def resolve_boundary(boundary, psf, *, asymmetric, image=None, sigma=None):
    """Turn ``boundary="auto"`` into a mode: "reflect" for mirror-symmetric PSFs,
    `asymmetric` ("smooth" or "unknown") otherwise. Other values pass through.

    Given the `image`, an iterative solver (``asymmetric="unknown"`` allowed by
    the caller passing the image) also takes "unknown" when the image fades
    towards its edges (:func:`edges_fade`): a scene that was dark beyond the
    field of view, which mirroring would model as bright. `sigma` is the
    image's noise level when the caller has it (else estimated if needed).
    """
    if boundary != "auto":
        return boundary
    if image is not None and edges_fade(image, psf, sigma=sigma):
        return "unknown"
    return "reflect" if is_mirror_symmetric(psf) else asymmetric


#: The outermost pixels of an image blurred over a dark surround are this much
#: dimmer, on average, than the pixels a PSF's half-width further in.
FADE_RATIO = 0.8


def edges_fade(image, psf, *, sigma=None):
    """True when `image` is dimmer at its edges than a PSF's half-width inside
    (medians of the outermost and the inner frame of pixels, over every edge).

    That is the mark of a scene blurred with a dark (zero) surround, as
    ``scipy.signal.convolve(mode="same")`` makes it: on scikit-image's own
    restoration set-up (camera, 5×5 box), mirroring the borders put TV and
    wavelet 1.5–2.7 dB below the observation where "unknown" gains 2.6–4 dB.
    The dimming must be below :data:`FADE_RATIO` of the inner level and well
    above the noise of a median (six times it), so that noise or a bead on
    one frame of a small image does not count. Only axes the PSF blurs are
    read, and only intensities (:func:`restore.params.looks_signed`).
    """
    from .params import looks_signed

    xp = array_module(image)
    if looks_signed(image, sigma):
        return False
    outer, inner, noise, length = [], [], [], []
    for axis, (n, k) in enumerate(zip(image.shape, psf.shape)):
        depth = k // 2
        if depth < 1 or n <= 4 * depth:
            continue
        for edge, inside in ((0, depth), (n - 1, n - 1 - depth)):
            frame = xp.take(image, edge, axis=axis).ravel()
            if frame.size < 16:  # a 1-D signal's or a thin image's frame: too few pixels
                continue
            outer.append(float(xp.median(frame)))
            inner.append(float(xp.median(xp.take(image, inside, axis=axis))))
            steps = xp.abs(xp.diff(frame))
            noise.append(float(xp.median(steps)) / 0.6745 / math.sqrt(2))
            length.append(frame.size)
    if not outer:
        return False
    level, rim = sum(inner) / len(inner), sum(outer) / len(outer)
    spread = 6 * max(noise) / math.sqrt(min(length))  # ~ six standard errors of a median
    return level > 0 and rim < FADE_RATIO * level and level - rim > spread


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
        self._otf_conj = None

    # -- the OTF -------------------------------------------------------------
    @property
    def otf(self):
        """Real FFT of the PSF, centre moved to index 0, on ``work_shape``."""
        if self._otf is None:
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
                padded = xp.zeros(self.work_shape, dtype=self.dtype)
                padded[tuple(slice(0, k) for k in self.psf.shape)] = self.psf
                padded = xp.roll(padded, [-c for c in self._before],
                                 axis=tuple(range(padded.ndim)))
                otf = rfftn(padded, self.work_shape)
            if real and otf.dtype.kind == "c":
                otf = otf.real.copy()  # exactly real: half the memory, no conjugate
            self._otf = otf
        return self._otf

    def _centred_spectrum(self, kernel, axis):
        """FFT along `axis` of a 1-D kernel centred at index 0, shaped to broadcast."""
        xp, n, last = self.xp, self.work_shape[axis], axis == len(self.work_shape) - 1
        padded = xp.zeros(n, dtype=self.dtype)
        padded[: kernel.size] = kernel
        padded = xp.roll(padded, -self._before[axis])
        spectrum = fft_axis(padded, n, 0, real=last)
        view = [1] * len(self.work_shape)
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
        work = self._uncrop(y)
        return self._unembed(self._filter(work, self._conjugate_otf()))

    def normal(self, x):
        """Return Hᵀ H x."""
        return self.adjoint(self.apply(x))

    # -- H and Hᵀ in two halves, on a periodic grid ------------------------------
    def spectrum(self, x):
        """First half of a periodic H or Hᵀ: the real FFT of `x`.

        With :meth:`from_spectrum`, a caller can drop its last reference to
        `x` between the two halves, so that x, its spectrum and the result
        are never all held at once (one work array less at the peak).

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
        return rfftn(x, self.work_shape)

    def from_spectrum(self, spectrum, *, adjoint=False):
        """Second half: multiply by the OTF (its conjugate for Hᵀ), transform back.

        `spectrum` (from :meth:`spectrum`) is used up: it is filtered in place
        and serves as the inverse FFT's scratch space.
        """
        self._check_periodic()
        return self._filter_spectrum(spectrum, self._conjugate_otf() if adjoint else self.otf)

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
        return self._filter_spectrum(rfftn(work, self.work_shape), transfer_function)

    def _filter_spectrum(self, spectrum, transfer_function):
        multiply_in_place(spectrum, transfer_function)
        return irfftn(spectrum, self.work_shape, overwrite=True)

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


def as_array(image, xp):
    """`image` as an array of namespace `xp`; TypeError for things that are not arrays."""
    if isinstance(image, (str, bytes)) or image is None:
        raise TypeError(f"image must be an array, got {type(image).__name__}")
    try:
        return xp.asarray(image)
    except (TypeError, ValueError) as error:
        raise TypeError(f"image must be an array of numbers ({error})") from None


def prepare(image, psf, *, xp=None, normalize=True):
    """Validate and convert `image` and `psf` at the public edge.

    Returns ``(image, psf, xp)``: float arrays on the image's backend, the
    image as float32 (float64 for float64 input), the PSF in the same dtype
    and, with `normalize`, scaled to sum 1. A PSF spec string ("gauss:2") is
    parsed with one axis per image axis. Raises ValueError or TypeError with
    a sentence naming the argument.
    """
    xp = xp or array_module(image)
    image = as_array(image, xp)
    if image.dtype.kind not in "biuf":
        raise TypeError(f"image must hold real numbers, got dtype {image.dtype}")
    if image.ndim == 0 or image.size == 0:
        raise ValueError(f"image must be a non-empty array, got shape {image.shape}")
    dtype = float_dtype(image.dtype)
    image = image.astype(dtype, copy=False)  # solvers never write into it
    if not bool(xp.isfinite(image).all()):
        raise ValueError("image contains NaN or Inf values; fill or mask them before restoring")

    if isinstance(psf, str):
        from .psf import from_spec

        psf = from_spec(psf, ndim=image.ndim)
    psf = to_device(psf, xp)
    if psf.dtype.kind not in "biuf":
        raise TypeError(f"psf must hold real numbers, got dtype {psf.dtype}")
    psf = psf.astype(dtype)
    if psf.ndim != image.ndim:
        raise ValueError(
            f"psf has {psf.ndim} dimensions but image has {image.ndim}; "
            "give a PSF with one axis per image axis (e.g. 'gauss:2' for 2-D)"
        )
    if not bool(xp.isfinite(psf).all()):
        raise ValueError("psf contains NaN or Inf values")
    if bool((psf < 0).any()):
        raise ValueError("psf has negative values; a PSF must be non-negative")
    total = float(psf.sum())
    if total <= 0:
        raise ValueError("psf sums to zero; give a PSF with positive weight")
    if any(k > n for k, n in zip(psf.shape, image.shape)):
        raise ValueError(
            f"psf of shape {tuple(psf.shape)} is larger than the image {tuple(image.shape)}; "
            "crop the PSF or give a larger image"
        )
    return image, (psf / total if normalize else psf), xp


def blur(image, psf, *, boundary="reflect"):
    """Blur `image` with `psf`: the forward model f = h * g, for simulation.

    Parameters
    ----------
    image : array_like
        Clean signal g (1-D, 2-D or 3-D; NumPy or CuPy).
    psf : array_like or str
        PSF with one axis per image axis, centre at index ``n // 2``, used as
        given (not normalised); or a spec such as ``"gauss:2"``.
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
    image, psf, _ = prepare(image, psf, normalize=False)
    return Blur(psf, image.shape, boundary=boundary, dtype=image.dtype).apply(image)


#: Boundaries a solver on the periodic work grid can use (closed-form: all but "unknown").
WORK_BOUNDARIES = ("reflect", "smooth", "periodic", "unknown", "zero")


class WorkDomain:
    """A deconvolution problem moved onto a periodic grid, for FFT-diagonal solvers.

    Wiener, Tikhonov, ADMM and FISTA need H (and finite differences) to be
    diagonal in the Fourier domain, i.e. periodic. Each boundary mode becomes
    a periodic problem on a fast-FFT work grid larger than the image:

    - "periodic": the image itself, wrapping around;
    - "reflect": the image mirrored out by the PSF's size, then closed by a
      smooth periodic blend (no jump at the seam): right for PSFs with mirror
      symmetry (Gaussian, disk, Airy);
    - "smooth": the image continued by a smooth periodic blend of its
      opposite (lightly smoothed) edges, with no mirrored detail: right for
      asymmetric PSFs (motion), whose mirror image is a different blur;
    - "unknown": the observed image sits in a larger periodic scene; the data
      term covers only the observed pixels (``mask``), the rest is estimated;
    - "zero": as "unknown", but the scene is zero outside the field of view
      (``support``: where the estimate may be non-zero).

    Attributes
    ----------
    op : Blur
        Periodic blur on the work grid (``op.shape``).
    data : ndarray
        Observation on the work grid (zero outside the mask for "unknown").
    mask : ndarray or None
        1 on observed pixels, 0 elsewhere; None when every pixel is observed.
    support : ndarray or None
        1 where the scene may be non-zero ("zero" boundary), else None.
    initial : ndarray
        A first estimate on the work grid (the observation, extended).
    window : tuple of slice
        Where the observed image sits on the work grid.

    Examples
    --------
    >>> import numpy as np
    >>> from restore.psf import gaussian
    >>> domain = WorkDomain(gaussian(2.0).astype(np.float32), np.ones((50, 60), np.float32), "smooth")
    >>> domain.crop(domain.data).shape
    (50, 60)
    """

    def __init__(self, psf, f, boundary, *, shape_multiple=1):
        check_boundary(boundary, WORK_BOUNDARIES)
        xp = array_module(f)
        self.mask = self.support = None
        if boundary == "periodic":
            warn_slow_periodic(f.shape)
            self.op = Blur(psf, f.shape, boundary="periodic", dtype=f.dtype)
            self.data = self.initial = f
            self.window = tuple(slice(0, n) for n in f.shape)
            return
        if boundary in ("unknown", "zero"):  # just the pixels that reach the field of view
            margin = tuple(k // 2 for k in psf.shape)
        elif boundary == "reflect":  # a mirror as wide as the PSF's reach
            margin = tuple(k // 2 + 1 for k in psf.shape)
        else:  # smooth: room for the blend
            margin = tuple(psf.shape)
        # "reflect" also needs a gap after the mirrored margins, where a smooth
        # blend closes the periodic seam (two mirror images do not meet there).
        seam = margin if boundary == "reflect" else (0,) * f.ndim
        shape = tuple(_fast_multiple(n + 2 * m + g, shape_multiple)
                      for n, m, g in zip(f.shape, margin, seam))
        self.window = tuple(slice(m, m + n) for m, n in zip(margin, f.shape))
        self.op = Blur(psf, shape, boundary="periodic", dtype=f.dtype)
        if boundary == "reflect":
            mirrored = xp.pad(f, [(m, m) for m in margin], mode="symmetric")
            self.data = self.initial = smooth_extension(mirrored, shape, (0,) * f.ndim, xp)
        elif boundary == "smooth":
            self.data = self.initial = smooth_extension(f, shape, margin, xp)
        else:
            self.data = xp.zeros(shape, dtype=f.dtype)
            self.data[self.window] = f
            self.mask = xp.zeros(shape, dtype=f.dtype)
            self.mask[self.window] = 1
            if boundary == "zero":
                self.support = self.mask
                self.initial = self.data
            else:
                self.initial = smooth_extension(f, shape, margin, xp)

    def crop(self, x):
        """The observed field of view of a work-grid array."""
        return x[self.window]

    def misfit(self, x, xp):
        """Mean squared residual of H x against the observation, observed pixels only."""
        residual = self.crop(self.op.apply(x)) - self.crop(self.data)
        return float((residual * residual).mean())


#: An axis length whose largest prime factor exceeds this runs its FFTs by a
#: generic (or Bluestein) kernel: an FFT pair per pixel was 2.6–8× slower at
#: 1006 (2·503), 1018, 1021, 1030 (…·103) and 2039 than at the fast length next
#: to it, but only 1.4× at 464 (16·29).
SLOW_PRIME = 50
#: Arrays smaller than this are fast whatever their factors (no warning).
SLOW_MIN_PIXELS = 2**16
_slow_shapes_warned = set()


class SlowFFTWarning(UserWarning):
    """boundary="periodic" at an image size whose FFTs are slow."""


def _largest_prime_factor(n):
    largest, p = 1, 2
    while p * p <= n:
        while n % p == 0:
            largest, n = p, n // p
        p += 1
    return max(largest, n)


def warn_slow_periodic(shape):
    """Warn, once per shape, that a periodic problem of `shape` has slow FFT lengths.

    "periodic" works on the image's own size, so an axis length with a large
    prime factor makes every FFT slower; the message names the nearest fast
    shape. Other boundaries choose a fast work grid and need no warning.
    """
    shape = tuple(int(n) for n in shape)
    slow = [n for n in shape if _largest_prime_factor(n) > SLOW_PRIME]
    if not slow or int(np.prod(shape)) < SLOW_MIN_PIXELS or shape in _slow_shapes_warned:
        return
    _slow_shapes_warned.add(shape)
    fast = tuple(next_fast_length(n) for n in shape)
    import warnings

    warnings.warn(
        f"boundary='periodic' on an image of shape {shape}: "
        f"the axis length{'s' if len(set(slow)) > 1 else ''} "
        f"{', '.join(map(str, sorted(set(slow))))} {'have' if len(set(slow)) > 1 else 'has'} "
        f"a large prime factor, which makes every FFT several times slower; shape {fast} would be fast (crop or pad the image to it), "
        "or use boundary='reflect' or 'smooth', which choose a fast work grid themselves",
        SlowFFTWarning, stacklevel=4)


def smooth_extension(f, shape, offset, xp, edge_sigma=2.0):
    """Continue `f` to `shape` periodically and smoothly, `f` starting at `offset`.

    Axis by axis, the gap between the last and (wrapping round) the first
    row is filled by a raised-cosine blend of the two, each lightly smoothed
    along the edge so the fill carries no noise stripes. The result has no
    jump across the periodic seam and no mirrored copies of detail. It is
    built in place in one array of `shape` (no copy per axis).
    """
    ndimage = ndimage_module(xp)
    out = xp.empty(shape, dtype=f.dtype)
    filled = [slice(o, o + n) for o, n in zip(offset, f.shape)]
    out[tuple(filled)] = f
    for axis, (size, start, n) in enumerate(zip(shape, offset, f.shape)):
        gap = size - n
        if gap <= 0:
            continue
        edge = list(filled)
        edge[axis] = slice(start, start + 1)
        first = out[tuple(edge)]
        edge[axis] = slice(start + n - 1, start + n)
        last = out[tuple(edge)]
        for other in range(f.ndim):
            if other != axis and first.shape[other] > 1:
                first = ndimage.gaussian_filter1d(first, edge_sigma, axis=other, mode="nearest")
                last = ndimage.gaussian_filter1d(last, edge_sigma, axis=other, mode="nearest")
        t = np.arange(1, gap + 1) / (gap + 1)
        weight = (0.5 * (1 - np.cos(np.pi * t))).astype(f.dtype)
        view = [1] * f.ndim
        view[axis] = gap
        fill = last + xp.asarray(weight.reshape(view)) * (first - last)
        # the gap runs from just after the image to just before it, round the seam
        tail = size - (start + n)
        target = list(filled)
        target[axis] = slice(start + n, size)
        out[tuple(target)] = _take(fill, axis, slice(0, tail))
        target[axis] = slice(0, start)
        out[tuple(target)] = _take(fill, axis, slice(tail, gap))
        filled[axis] = slice(0, size)
    return out


def _fast_multiple(n, multiple):
    """Smallest fast FFT length >= n that is a multiple of `multiple`."""
    m = next_fast_length(n)
    while m % multiple:
        m = next_fast_length(m + 1)
    return m
