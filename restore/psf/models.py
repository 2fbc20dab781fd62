"""PSF models: Gaussian, box, disk, motion, Airy and Born-Wolf widefield.

Each is sampled by integrating over each pixel (exactly for the Gaussian, by
supersampling for the others), so small PSFs keep their width and sub-pixel
shapes stay smooth. Lengths in the optical models (wavelength, pixel size,
z step) share one unit, usually micrometres.
"""

import math
import numbers

import numpy as np
from scipy import special

from .._checks import check_integer, check_number
from ._checks import _normalised, _odd_shape

__all__ = ["airy", "box", "disk", "gaussian", "motion", "widefield"]

_SUPERSAMPLE = 8  # sub-samples per pixel and axis for disk and airy
_WIDEFIELD_SUPERSAMPLE = 4  # lateral sub-samples per pixel for widefield
_MAX_HALF = 32  # default widefield half-size cap: at most 65 pixels per axis
_AIRY_MAX_HALF = 64  # default airy half-size cap: at most 129 pixels per axis
_BESSEL_J1_ZERO = 3.831705970207512  # first zero of J1: Airy radius in v


# ------------------------------------------------------------ array helpers


def _fit(psf, shape):
    """Crop or zero-pad an odd-sized `psf` about its centre to odd `shape`."""
    slices, pads = [], []
    for n, t in zip(psf.shape, shape):
        if t <= n:
            start = n // 2 - t // 2
            slices.append(slice(start, start + t))
            pads.append((0, 0))
        else:
            slices.append(slice(None))
            pads.append(((t - n) // 2, (t - n) // 2))
    return np.pad(psf[tuple(slices)], pads)


def _trim(psf):
    """Drop all-zero borders of an odd-sized `psf` symmetrically (centre kept)."""
    for axis in range(psf.ndim):
        others = tuple(a for a in range(psf.ndim) if a != axis)
        nonzero = np.flatnonzero(np.any(psf != 0, axis=others))
        c = psf.shape[axis] // 2
        half = max(c - nonzero.min(), nonzero.max() - c)
        index = [slice(None)] * psf.ndim
        index[axis] = slice(c - half, c + half + 1)
        psf = psf[tuple(index)]
    return psf


def _pixel_average(func, shape, factor):
    """Mean of ``func(*coords)`` over `factor` sub-samples per pixel and axis.

    ``coords`` are open-grid offsets from the centre pixel, in pixels.
    """
    ndim = len(shape)
    coords = []
    for axis, n in enumerate(shape):
        sub = (np.arange(n * factor) + 0.5) / factor - 0.5 - n // 2
        view = [1] * ndim
        view[axis] = -1
        coords.append(sub.reshape(view))
    values = np.broadcast_to(func(*coords), tuple(n * factor for n in shape))
    values = values.reshape(tuple(x for n in shape for x in (n, factor)))
    return values.mean(axis=tuple(range(1, 2 * ndim, 2)))


# ------------------------------------------------------------------ models


def gaussian(sigma, *, ndim=None, size=None):
    """Gaussian PSF, integrated over each pixel.

    Parameters
    ----------
    sigma : float or sequence of float
        Standard deviation in pixels, one for every axis or one per axis
        (z, y, x order for 3-D). 0 on an axis means no blur along it.
    ndim : int, optional
        Number of axes when `sigma` is a single number (default 2). With a
        sequence it must equal ``len(sigma)`` if given.
    size : int or sequence of int, optional
        Odd size per axis. Default ``2 * ceil(4 * sigma) + 1``.

    Returns
    -------
    psf : ndarray of float64
        Sums to 1; the centre pixel is at ``n // 2`` on every axis.

    Notes
    -----
    Each pixel holds the Gaussian's integral over the pixel,
    ``(erf((x + 1/2) / (sigma sqrt 2)) - erf((x - 1/2) / (sigma sqrt 2))) / 2``
    per axis: the Gaussian blurred by the pixel's box, sampled at the pixel
    centres. Its variance is ``sigma**2 + 1/12`` pixels² for ``sigma`` above
    about 0.7 (less for smaller sigmas, where the centre pixel holds most of
    the mass); point sampling instead would be badly wrong below one pixel.

    Examples
    --------
    >>> from restore import psf
    >>> h = psf.gaussian(2.0)
    >>> h.shape, round(float(h.sum()), 12)
    ((17, 17), 1.0)
    >>> psf.gaussian([1.0, 2.0, 2.0]).shape
    (9, 17, 17)
    """
    if isinstance(sigma, numbers.Real) and not isinstance(sigma, bool):
        ndim = 2 if ndim is None else check_integer("ndim", ndim)
        sigmas = (sigma,) * ndim
    else:
        try:
            sigmas = tuple(np.asarray(sigma, dtype=object).ravel())
        except TypeError:
            raise ValueError(f"sigma must be a number or one per axis, got {sigma!r}") from None
        if not sigmas:
            raise ValueError("sigma must be a number or one per axis, got an empty sequence")
        if ndim is not None and check_integer("ndim", ndim) != len(sigmas):
            raise ValueError(
                f"sigma has {len(sigmas)} entries but ndim={ndim}; "
                "give one sigma or one per axis"
            )
        ndim = len(sigmas)
    sigmas = [check_number("sigma", s, bound="non-negative") for s in sigmas]
    if size is None:
        shape = tuple(2 * math.ceil(4 * s) + 1 for s in sigmas)
    else:
        shape = _odd_shape("size", size, ndim)

    psf = np.ones(())
    for s, n in zip(sigmas, shape):
        x = np.abs(np.arange(n) - n // 2).astype(np.float64)
        if s == 0:
            profile = (x == 0).astype(np.float64)
        else:
            scale = s * math.sqrt(2.0)
            # erfc on |x| keeps the tails accurate (erf - erf cancels there)
            profile = 0.5 * (special.erfc((x - 0.5) / scale)
                             - special.erfc((x + 0.5) / scale))
        psf = np.multiply.outer(psf, profile)
    return _normalised(psf)


def box(size, *, ndim=2):
    """Uniform box PSF (e.g. a camera's pixel or a moving average).

    Parameters
    ----------
    size : int or sequence of int
        Odd width in pixels, for every axis or one per axis.
    ndim : int, optional
        Number of axes when `size` is a single number (default 2).

    Returns
    -------
    psf : ndarray of float64
        Constant, summing to 1.

    Examples
    --------
    >>> from restore import psf
    >>> h = psf.box(3)
    >>> h.shape, float(h[0, 0] * 9)
    ((3, 3), 1.0)
    """
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        ndim = check_integer("ndim", ndim)
    else:
        try:
            ndim = len(size)
        except TypeError:
            raise ValueError(f"box size must be an odd integer, got {size!r}") from None
    shape = _odd_shape("box size", size, ndim)
    return _normalised(np.ones(shape))


def disk(radius, *, ndim=2):
    """Uniform disk PSF (out-of-focus blur); a ball for ``ndim=3``.

    Parameters
    ----------
    radius : float
        Radius in pixels, > 0.
    ndim : int, optional
        2 for a disk (default), 3 for a ball, 1 for a segment.

    Returns
    -------
    psf : ndarray of float64
        Pixels inside the disk are equal; pixels on the rim hold the fraction
        of their area inside, found with 8 sub-samples per pixel and axis.

    Examples
    --------
    >>> from restore import psf
    >>> h = psf.disk(4)
    >>> h.shape
    (9, 9)
    >>> round(1 / float(h.max()), 1)   # area in pixels, close to pi * 4**2
    50.4
    """
    radius = check_number("radius", radius, bound="positive")
    ndim = check_integer("ndim", ndim)
    half = max(0, math.ceil(radius - 0.5))
    k = np.abs(np.arange(2 * half + 1) - half).astype(np.float64)
    grids = np.meshgrid(*([k] * ndim), indexing="ij", sparse=True)
    nearest = sum(np.maximum(g - 0.5, 0.0) ** 2 for g in grids)
    farthest = sum((g + 0.5) ** 2 for g in grids)
    r2 = radius * radius
    psf = np.broadcast_to(farthest <= r2, (2 * half + 1,) * ndim).astype(np.float64)

    rim = np.argwhere((nearest < r2) & (farthest > r2))
    sub = (np.arange(_SUPERSAMPLE) + 0.5) / _SUPERSAMPLE - 0.5
    offsets = np.stack(np.meshgrid(*([sub] * ndim), indexing="ij"), -1).reshape(-1, ndim)
    chunk = max(1, 2**22 // offsets.size)
    for start in range(0, len(rim), chunk):
        pixels = rim[start:start + chunk]
        points = (pixels - half)[:, None, :] + offsets[None, :, :]
        psf[tuple(pixels.T)] = np.mean(np.sum(points**2, axis=-1) <= r2, axis=1)
    if not psf.any():  # smaller than the sub-sampling: a point
        psf[(half,) * ndim] = 1.0
    return _normalised(_trim(psf))


def motion(length, angle, *, size=None):
    """Linear motion blur PSF (2-D).

    Parameters
    ----------
    length : float
        Length of the motion in pixels, > 0 (may be fractional).
    angle : float
        Direction in degrees, counter-clockwise from the +x (column) axis as
        seen on screen, where rows go down: 90 is straight up.
    size : int or (int, int), optional
        Odd size. Default: the smallest odd size that holds the whole PSF
        (one row for ``angle=0``).

    Returns
    -------
    psf : ndarray of float64
        Sums to 1; its centroid is the centre pixel.

    Notes
    -----
    The segment is sampled at 16 points per pixel of length and each point is
    spread over its four neighbouring pixels with bilinear weights, i.e. the
    segment convolved with a separable triangle of width 2 pixels. This is
    anti-aliased and sub-pixel exact: the centroid is the centre and the second
    moment along the motion is ``length**2 / 12 + 1/6``.

    Examples
    --------
    >>> from restore import psf
    >>> psf.motion(9, 0).shape       # horizontal: one row
    (1, 11)
    >>> psf.motion(9, 30).shape
    (7, 9)
    """
    length = check_number("length", length, bound="positive")
    angle = check_number("angle", angle)
    theta = math.radians(angle)
    dx, dy = math.cos(theta), -math.sin(theta)  # column and row steps
    dx = 0.0 if abs(dx) < 1e-12 else dx
    dy = 0.0 if abs(dy) < 1e-12 else dy

    count = max(2, math.ceil(16 * length))
    t = ((np.arange(count) + 0.5) / count - 0.5) * length
    half = math.ceil(length / 2) + 1
    rows, cols = half + t * dy, half + t * dx
    r0, c0 = np.floor(rows).astype(int), np.floor(cols).astype(int)
    fr, fc = rows - r0, cols - c0
    n = 2 * half + 1
    psf = np.zeros(n * n)
    for dr, wr in ((0, 1 - fr), (1, fr)):
        for dc, wc in ((0, 1 - fc), (1, fc)):
            psf += np.bincount((r0 + dr) * n + (c0 + dc), weights=wr * wc, minlength=n * n)
    psf = _trim(psf.reshape(n, n))
    if size is not None:
        psf = _fit(psf, _odd_shape("size", size, 2))
        if not psf.any():
            raise ValueError(f"size={size!r} crops away the whole motion PSF")
    return _normalised(psf)


def _airy_radius(wavelength, na):
    """Radius of the Airy disk's first dark ring, 0.61 wavelength / NA."""
    return _BESSEL_J1_ZERO / (2 * math.pi) * wavelength / na


def airy(wavelength, na, pixel_size, *, size=None):
    """Airy pattern: the in-focus PSF of an ideal circular-aperture lens (2-D).

    Parameters
    ----------
    wavelength : float
        Emission wavelength, in the unit of `pixel_size` (e.g. µm).
    na : float
        Numerical aperture of the objective, > 0.
    pixel_size : float
        Pixel size in the sample plane, same unit as `wavelength`.
    size : int or (int, int), optional
        Odd size. Default covers five Airy radii, at most 129 pixels.

    Returns
    -------
    psf : ndarray of float64
        ``(2 J1(v) / v)**2`` with ``v = 2 pi NA r / wavelength``, averaged
        over each pixel (8 x 8 sub-samples), summing to 1.

    Notes
    -----
    The first dark ring is at ``r = 0.61 wavelength / NA``; the FWHM is
    ``0.51 wavelength / NA``.

    Examples
    --------
    >>> from restore import psf
    >>> h = psf.airy(0.52, 1.4, 0.065)
    >>> h.shape, bool(h[h.shape[0] // 2, h.shape[1] // 2] == h.max())
    ((37, 37), True)
    """
    wavelength = check_number("wavelength", wavelength, bound="positive")
    na = check_number("na", na, bound="positive")
    pixel_size = check_number("pixel_size", pixel_size, bound="positive")
    if size is None:
        half = math.ceil(5 * _airy_radius(wavelength, na) / pixel_size)
        half = min(max(half, 2), _AIRY_MAX_HALF)
        shape = (2 * half + 1,) * 2
    else:
        shape = _odd_shape("size", size, 2)
    scale = 2 * math.pi * na * pixel_size / wavelength  # v per pixel

    def intensity(y, x):
        v = scale * np.hypot(y, x)
        safe = np.where(v == 0, 1.0, v)
        return np.where(v == 0, 1.0, (2 * special.j1(safe) / safe) ** 2)

    return _normalised(_pixel_average(intensity, shape, _SUPERSAMPLE))


def widefield(na, wavelength, refractive_index, pixel_size, z_step, *, shape=None):
    """3-D widefield fluorescence PSF from Born–Wolf scalar diffraction.

    Parameters
    ----------
    na : float
        Numerical aperture of the objective, ``0 < na < refractive_index``.
    wavelength : float
        Emission wavelength in vacuum, in the unit of `pixel_size` (e.g. µm).
    refractive_index : float
        Refractive index n of the immersion medium (1.518 for oil).
    pixel_size : float
        Lateral pixel size in the sample, same unit as `wavelength`.
    z_step : float
        Distance between planes, same unit.
    shape : int or (int, int, int), optional
        Odd size, axes (z, y, x). Default: three axial first zeros
        (``2 n wavelength / NA**2`` each) either side of focus, laterally five
        Airy radii or half the geometric defocus cone at the top plane,
        whichever is larger; at most 65 per axis.

    Returns
    -------
    psf : ndarray of float64, axes (z, y, x)
        Sums to 1 over the whole volume; the focus is the centre voxel.

    Notes
    -----
    Born & Wolf, *Principles of Optics*, 7th ed., §8.8 (paraxial, scalar):

    .. math::

        I(u, v) = \\left| 2 \\int_0^1 J_0(v \\rho)\\,
                  e^{-\\tfrac{i}{2} u \\rho^2} \\rho \\, d\\rho \\right|^2,
        \\qquad v = \\frac{2\\pi}{\\lambda}\\,\\mathrm{NA}\\, r, \\qquad
        u = \\frac{2\\pi}{\\lambda}\\,\\frac{\\mathrm{NA}^2}{n}\\, z,

    with λ the vacuum wavelength, r the lateral and z the axial distance from
    focus (Born & Wolf's u, v with ``sin α = NA / n`` and the wavelength in the
    medium ``λ / n``). ``I(0, v)`` is the Airy pattern and
    ``I(u, 0) = (sin(u/4) / (u/4))**2``. The integral is evaluated by
    Gauss–Legendre quadrature on a fine radial grid for every plane, then
    interpolated to the pixels and averaged over 4 x 4 lateral sub-samples;
    planes are sampled at their centre. Aberrations (refractive-index
    mismatch, Gibson–Lanni) and vectorial effects are not modelled.

    Examples
    --------
    >>> from restore import psf
    >>> h = psf.widefield(1.4, 0.52, 1.518, 0.1, 0.25)
    >>> h.shape
    (21, 61, 61)
    >>> bool(np.unravel_index(h.argmax(), h.shape) == (10, 30, 30))
    True
    """
    na = check_number("na", na, bound="positive")
    wavelength = check_number("wavelength", wavelength, bound="positive")
    n = check_number("refractive_index", refractive_index, bound="positive")
    pixel_size = check_number("pixel_size", pixel_size, bound="positive")
    z_step = check_number("z_step", z_step, bound="positive")
    if na >= n:
        raise ValueError(
            f"na ({na:g}) must be smaller than refractive_index ({n:g}); "
            "the NA of a lens cannot exceed the index of its medium"
        )
    if shape is None:
        axial_zero = 2 * n * wavelength / na**2
        z_half = min(max(math.ceil(3 * axial_zero / z_step), 2), _MAX_HALF)
        cone = 0.5 * z_half * z_step * na / math.sqrt(n * n - na * na)
        lateral = max(5 * _airy_radius(wavelength, na), cone)
        xy_half = min(max(math.ceil(lateral / pixel_size), 2), _MAX_HALF)
        shape = (2 * z_half + 1, 2 * xy_half + 1, 2 * xy_half + 1)
    else:
        shape = _odd_shape("shape", shape, 3)
    nz, ny, nx = shape
    factor = _WIDEFIELD_SUPERSAMPLE

    # lateral sub-sample radii (in the length unit) and a fine radial grid
    y = ((np.arange(ny * factor) + 0.5) / factor - 0.5 - ny // 2) * pixel_size
    x = ((np.arange(nx * factor) + 0.5) / factor - 0.5 - nx // 2) * pixel_size
    r = np.hypot(y[:, None], x[None, :])
    dr = pixel_size / (2 * factor)
    r_grid = np.arange(math.ceil(r.max() / dr) + 2) * dr
    z = (np.arange(nz) - nz // 2) * z_step

    k = 2 * math.pi / wavelength
    v = k * na * r_grid
    u = k * na**2 / n * z
    nodes = 64 + math.ceil(v.max() + np.abs(u).max())
    rho, weights = np.polynomial.legendre.leggauss(nodes)
    rho, weights = (rho + 1) / 2, weights / 2
    bessel = special.j0(np.outer(v, rho)) * (rho * weights)  # (r, nodes)
    defocus = np.exp(-0.5j * np.outer(u, rho**2))           # (z, nodes)
    profile = np.abs(2 * (defocus @ bessel.T)) ** 2          # (z, r)

    position = r / dr
    i0 = np.floor(position).astype(np.intp)
    frac = position - i0
    psf = np.empty(shape)
    for iz in range(nz):
        plane = profile[iz, i0] * (1 - frac) + profile[iz, i0 + 1] * frac
        psf[iz] = plane.reshape(ny, factor, nx, factor).mean(axis=(1, 3))
    return _normalised(psf)
