"""The work grid: a deconvolution problem moved onto a periodic grid.

:class:`WorkDomain` is what the solvers iterate on: the observation continued
onto the grid of :func:`~restore.operators.grid_layout` as its boundary mode
assumes, the periodic :class:`~restore.operators.Blur` there, and the masks of
the observed pixels. :func:`difference_power` is the finite-difference
gradient's |D|² on such a grid.
"""

import contextvars
import warnings

import numpy as np

from .._backend import array_module, next_fast_length
from .._context import setting
from .blur import Blur
from .boundaries import (
    WORK_BOUNDARIES,
    _largest_prime_factor,
    check_boundary,
    cosine_axes,
    extend,
    grid_layout,
)


_MIRRORED = contextvars.ContextVar("restore_mirrored_axes", default=())


def mirroring_axes(axes):
    """Within, a periodic :class:`WorkDomain` made with ``dct=True`` mirrors
    `axes` at both ends (by a DCT) instead of wrapping them round.

    For a chunk of a stack solved as periodic (its halo on the cut sides):
    an axis it was not cut along ends at the volume's own edges on both
    sides, where "reflect" mirrors; a DCT does that with no padding.
    """
    return setting(_MIRRORED, tuple(int(a) for a in axes))


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

    With ``dct=True`` (Richardson-Lucy; TV, whose differences end at a
    mirrored axis's edges, :func:`difference_power`),
    "reflect" mirrors the axes :func:`~restore.operators.cosine_axes`
    picks by a DCT instead of padding them (the same model, exactly, on a
    smaller grid), and "periodic" mirrors the axes of
    :func:`mirroring_axes`.

    Attributes
    ----------
    boundary : str
        The boundary mode.
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

    def __init__(self, psf, f, boundary, *, shape_multiple=1, dct=False):
        check_boundary(boundary, WORK_BOUNDARIES)
        xp = array_module(f)
        self.boundary = boundary
        self.mask = self.support = None
        #: axes mirrored by a DCT, not padded (a solver that only applies H
        #: and Hᵀ asks for them with `dct`)
        self.cosine_axes = ()
        if dct and boundary == "reflect":
            self.cosine_axes = cosine_axes(psf, f.shape)
        elif dct and boundary == "periodic":
            self.cosine_axes = _MIRRORED.get()
        if boundary == "periodic":
            warn_slow_periodic(f.shape)
        shape, margin = grid_layout(psf.shape, f.shape, boundary, multiple=shape_multiple,
                                    cosine=self.cosine_axes if boundary == "reflect" else ())
        self.window = tuple(slice(m, m + n) for m, n in zip(margin, f.shape))
        self.op = Blur(psf, shape, boundary="periodic", dtype=f.dtype,
                       cosine_axes=self.cosine_axes)
        self.data = self.initial = extend(f, shape, margin, boundary)
        if boundary in ("unknown", "zero"):
            self.mask = xp.zeros(shape, dtype=f.dtype)
            self.mask[self.window] = 1
            if boundary == "zero":
                self.support = self.mask
            else:
                self.initial = extend(f, shape, margin, "smooth")

    def data_spectrum(self):
        """The real FFT of the (continued) observation: a new array, the
        closed-form solvers' work array for :meth:`filtered`."""
        return self.op.spectrum(self.data)

    def filtered(self, spectrum, transfer):
        """The field of view of the filtered `spectrum`: ``crop(F⁻¹(transfer · spectrum))``.

        `spectrum` is used up (filtered in place).
        """
        return self.crop(self.op.from_spectrum(spectrum, transfer=transfer))

    def crop(self, x):
        """The observed field of view of a work-grid array."""
        return x[self.window]

    def misfit(self, x):
        """Mean squared residual of H x against the observation, observed pixels only."""
        residual = self.crop(self.op.apply(x)) - self.crop(self.data)
        return float((residual * residual).mean())


#: An axis length whose largest prime factor exceeds this runs its FFTs by a
#: generic (or Bluestein) kernel: an FFT pair per pixel was 2.6–8× slower at
#: 1006 (2·503), 1018, 1021, 1030 (…·103) and 2039 than at the fast length next


SLOW_PRIME = 50
#: Arrays smaller than this are fast whatever their factors (no warning).
SLOW_MIN_PIXELS = 2**16
_slow_shapes_warned = set()


class SlowFFTWarning(UserWarning):
    """boundary="periodic" at an image size whose FFTs are slow."""


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
    warnings.warn(
        f"boundary='periodic' on an image of shape {shape}: "
        f"the axis length{'s' if len(set(slow)) > 1 else ''} "
        f"{', '.join(map(str, sorted(set(slow))))} {'have' if len(set(slow)) > 1 else 'has'} "
        f"a large prime factor, which makes every FFT several times slower; shape {fast} would be fast (crop or pad the image to it), "
        "or use boundary='reflect' or 'smooth', which choose a fast work grid themselves",
        SlowFFTWarning, stacklevel=4)


def difference_power(work_shape, xp, dtype, cosine=()):
    """|D|² of the periodic finite-difference gradient: Σ_axes 2 − 2 cos(2π k / n).

    On the real-FFT half spectrum of `work_shape`. It is also the (real)
    transfer function of the discrete Laplacian stencil (2·ndim at the
    centre, −1 at each neighbour), so the Laplacian's |L|² is its square.
    On `cosine` axes (mirrored at both ends, a DCT's; the last difference
    is 0, not a wrap) it is 2 − 2 cos(π k / n), in the layout of
    :func:`restore._backend.cosine_rfftn` (the last other axis halved).
    """
    ndim = len(work_shape)
    fourier = [a for a in range(ndim) if a not in cosine]
    total = None
    for axis, n in enumerate(work_shape):
        if axis in cosine:
            freq = np.arange(n) / (2.0 * n)
        elif axis == fourier[-1]:
            freq = np.fft.rfftfreq(n)
        else:
            freq = np.fft.fftfreq(n)
        values = (2.0 - 2.0 * np.cos(2.0 * np.pi * freq)).astype(dtype)
        shape = [1] * ndim
        shape[axis] = values.size
        values = xp.asarray(values.reshape(shape))
        total = values if total is None else total + values
    return total
