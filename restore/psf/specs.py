"""PSF text specs: ``"gauss:2"``, ``"airy:0.52,1.4,0.065"`` or a file name.

:func:`from_spec` turns a spec into a PSF; :func:`as_psf` is the one entry
point solvers use for their `psf` argument (an array or a spec).

==================== ======================================================
spec                 model
==================== ======================================================
``gauss:2``          isotropic Gaussian, sigma 2 pixels on every axis
``gauss:3,1.2,1.2``  one sigma per axis (z, y, x for 3-D)
``box:9``            uniform 9 x 9 (x 9) box
``disk:4``           uniform disk (ball in 3-D) of radius 4 pixels: defocus
``motion:21,11``     linear motion of 21 pixels at 11 degrees (2-D)
``airy:0.52,1.4,0.065``  Airy pattern: wavelength, NA, pixel size (2-D)
``widefield:1.4,0.52,1.518,0.1,0.25``  Born-Wolf widefield PSF: NA,
                     wavelength, refractive index, pixel size, z step (3-D)
``bead.tif``         a measured PSF (.tif/.tiff, .png/.jpg, .npy): :func:`load`
==================== ======================================================

Parameters may also be named, ``airy:wavelength=0.52,na=1.4,pixel=0.065``.
Lengths in the optical models (wavelength, pixel size, z step) share one unit,
usually micrometres.
"""

import math
import numbers
import os
import warnings
from pathlib import Path

from .._checks import check_integer
from ._checks import _checked_array, _normalised
from .files import FILE_SUFFIXES, load
from .models import airy, box, disk, gaussian, motion, widefield

__all__ = ["as_psf", "from_spec"]

#: The forms :func:`from_spec` accepts, as shown in its error messages.
SPEC_FORMS = (
    "gauss:SIGMA[,SIGMA...]",
    "box:SIZE",
    "disk:RADIUS",
    "motion:LENGTH,ANGLE",
    "airy:WAVELENGTH,NA,PIXEL",
    "widefield:NA,WAVELENGTH,N,PIXEL,ZSTEP",
    "or a .tif/.png/.npy file",
)


def _build_gauss(values, ndim):
    if len(values) not in (1, ndim):
        raise ValueError(
            f"sigma has {len(values)} values but ndim={ndim}; give one sigma or "
            f"one per axis{' (z, y, x)' if ndim == 3 else ''}"
        )
    return gaussian(values[0] if len(values) == 1 else values, ndim=ndim)


def _build_box(values, ndim):
    (size,) = values
    if not float(size).is_integer():
        raise ValueError(f"box size must be an odd integer, got {size:g}")
    return box(int(size), ndim=ndim)


# name: (parameter names, the one ndim it supports or None, builder)
_SPEC_MODELS = {
    "gauss": (("sigma",), None, _build_gauss),
    "box": (("size",), None, _build_box),
    "disk": (("radius",), None, lambda v, ndim: disk(v[0], ndim=ndim)),
    "motion": (("length", "angle"), 2, lambda v, ndim: motion(*v)),
    "airy": (("wavelength", "na", "pixel"), 2, lambda v, ndim: airy(*v)),
    "widefield": (("na", "wavelength", "n", "pixel", "zstep"), 3,
                  lambda v, ndim: widefield(*v)),
}
_SPEC_ALIASES = {"gaussian": "gauss", "defocus": "disk"}


#: Emission wavelengths of light microscopy, in µm (the unit the pixel sizes
#: of the airy and widefield specs are usually given in).
_LIGHT_MICRONS = (0.2, 1.1)


def _check_optics(spec, name, values):
    """Warn when a spec's optics look out of order (NA in the wavelength's place)."""
    wavelength, na = values["wavelength"], values["na"]
    low, high = _LIGHT_MICRONS
    if low <= wavelength <= high:
        return
    order = "WAVELENGTH,NA,PIXEL" if name == "airy" else "NA,WAVELENGTH,N,PIXEL,ZSTEP"
    swapped = " and looks like an NA" if 0.1 <= wavelength <= 1.7 and low <= na <= high else ""
    example = ("airy:wavelength=0.52,na=1.4,pixel=0.065" if name == "airy" else
               "widefield:na=1.4,wavelength=0.52,n=1.518,pixel=0.1,zstep=0.25")
    warnings.warn(
        f"psf spec {spec!r}: wavelength {wavelength:g} is outside {low:g}-{high:g} µm "
        f"(light microscopy){swapped}; {name} takes {order} in that order; name the "
        f"values to be explicit, e.g. {example} (ignore this if your unit is not µm)",
        UserWarning, stacklevel=3)


def _not_understood(spec, reason=""):
    return ValueError(
        f"psf spec {spec!r} is not understood{': ' + reason if reason else ''}; "
        "accepted forms: " + ", ".join(SPEC_FORMS)
    )


def _looks_like_file(text):
    return Path(text).suffix.lower() in FILE_SUFFIXES or os.path.isfile(text)


def _check_file_ndim(psf, path, ndim):
    if psf.ndim != ndim:
        raise ValueError(
            f"psf file '{path}' holds a {psf.ndim}-D PSF but ndim={ndim}; "
            f"give a PSF with one axis per image axis"
        )
    return psf


def _parse_arguments(spec, name, text):
    """Values of a model's parameters from 'A,B' or 'key=A,key=B' text."""
    params = _SPEC_MODELS[name][0]
    varargs = name == "gauss"  # gauss takes any number of sigmas
    positional, named = [], {}
    for item in text.split(","):
        key, eq, value = item.partition("=")
        key, value = (key.strip().lower(), value.strip()) if eq else (None, key.strip())
        if not value:
            raise _not_understood(spec, "an argument is empty")
        try:
            number = float(value)
        except ValueError:
            raise _not_understood(spec, f"{value!r} is not a number") from None
        if not math.isfinite(number):
            raise _not_understood(spec, f"{value!r} is not a finite number")
        if key is not None and key not in params:
            raise _not_understood(
                spec, f"{key!r} is not a parameter of {name} ({', '.join(params)})"
            )
        if varargs:
            positional.append(number)
        elif key is None:
            if named:
                raise _not_understood(spec, "a plain value follows a named one")
            positional.append(number)
        else:
            if key in named or params.index(key) < len(positional):
                raise _not_understood(spec, f"{key!r} is given twice")
            named[key] = number
    if varargs:
        return positional
    values = dict(zip(params, positional), **named)
    if len(positional) > len(params) or len(values) != len(params):
        raise _not_understood(
            spec, f"{name} takes {len(params)} values "
            f"({','.join(p.upper() for p in params)})"
        )
    return [values[p] for p in params]


def from_spec(spec, *, ndim=2, background="auto", recentre=True):
    """Build a PSF from a short text spec or a file name.

    Parameters
    ----------
    spec : str or path-like
        One of (numbers in pixels unless said otherwise)::

            gauss:SIGMA[,SIGMA...]   one sigma, or one per axis (z, y, x)
            box:SIZE                 odd integer
            disk:RADIUS
            motion:LENGTH,ANGLE      angle in degrees, 2-D only
            airy:WAVELENGTH,NA,PIXEL              2-D only
            widefield:NA,WAVELENGTH,N,PIXEL,ZSTEP 3-D only (z, y, x)
            PATH.tif / .tiff / .png / .jpg / .npy (see load)

        Values may also be named, e.g. ``motion:length=21,angle=11``
        (names: sigma, size, radius, length, angle, wavelength, na, pixel, n,
        zstep). Anything with a known file suffix, or naming an existing file,
        is read with :func:`load`.
    ndim : int, optional
        Number of axes of the image the PSF is for (default 2).
    background, recentre : optional
        How a PSF file is read: passed to :func:`load` (ignored for models).

    Returns
    -------
    psf : ndarray of float64
        `ndim`-dimensional, odd-sized, summing to 1.

    Raises
    ------
    ValueError
        For a spec that is not understood (the message lists the accepted
        forms), values out of range, or a model or file of the wrong
        dimensionality.

    Examples
    --------
    >>> from restore import psf
    >>> psf.from_spec("gauss:2").shape
    (17, 17)
    >>> psf.from_spec("gauss:1,2,2", ndim=3).shape
    (9, 17, 17)
    >>> psf.from_spec("motion:length=21,angle=90").shape
    (23, 1)
    """
    ndim = check_integer("ndim", ndim)
    if isinstance(spec, os.PathLike):
        return _check_file_ndim(load(spec, background=background, recentre=recentre),
                                spec, ndim)
    if not isinstance(spec, str):
        raise TypeError(f"psf spec must be a string, got {type(spec).__name__}")
    text = spec.strip()
    if not text:
        raise _not_understood(spec)
    if _looks_like_file(text):
        return _check_file_ndim(load(text, background=background, recentre=recentre),
                                text, ndim)
    name, colon, arguments = text.partition(":")
    name = name.strip().lower()
    name = _SPEC_ALIASES.get(name, name)
    if name not in _SPEC_MODELS or not colon or not arguments.strip():
        raise _not_understood(spec)
    _, model_ndim, build = _SPEC_MODELS[name]
    if model_ndim is not None and model_ndim != ndim:
        axes = "2-D (y, x)" if model_ndim == 2 else "3-D (z, y, x)"
        raise ValueError(
            f"psf spec {spec!r}: the {name} model is {axes} but ndim={ndim} was "
            f"asked; use a {ndim}-D model such as 'gauss:2' or a PSF file"
        )
    values = _parse_arguments(spec, name, arguments)
    if name in ("airy", "widefield"):
        _check_optics(spec, name, dict(zip(_SPEC_MODELS[name][0], values)))
    try:
        return build(values, ndim)
    except ValueError as error:
        raise ValueError(f"psf spec {spec!r} is invalid: {error}") from None


def as_psf(psf_or_spec, *, ndim):
    """A normalised float64 PSF from an array or a spec string.

    The one entry point solvers use for their `psf` argument.

    Parameters
    ----------
    psf_or_spec : array_like, str or path-like
        An array (NumPy, or anything :func:`numpy.asarray` takes; a CuPy array
        is copied to the host), or a spec for :func:`from_spec`.
    ndim : int
        Number of axes the PSF must have (the image's spatial axes).

    Returns
    -------
    psf : ndarray of float64
        Summing to 1. An array keeps its shape: its centre is taken to be
        index ``n // 2`` on each axis (see :func:`center` to re-centre one).

    Raises
    ------
    ValueError
        If the array has the wrong number of axes, non-finite or negative
        values or a zero sum, or the spec is not understood.
    TypeError
        If `psf_or_spec` is neither an array nor a string.

    Examples
    --------
    >>> import numpy as np
    >>> from restore import psf
    >>> psf.as_psf("disk:3", ndim=2).shape
    (7, 7)
    >>> float(psf.as_psf(np.ones((3, 3)), ndim=2)[0, 0])
    0.1111111111111111
    """
    ndim = check_integer("ndim", ndim)
    if isinstance(psf_or_spec, (str, os.PathLike)):
        return from_spec(psf_or_spec, ndim=ndim)
    if psf_or_spec is None or isinstance(psf_or_spec, (bool, numbers.Number)):
        raise TypeError(
            "psf must be an array or a spec string such as 'gauss:2'; "
            f"got {type(psf_or_spec).__name__}"
        )
    psf = _checked_array(psf_or_spec)
    if psf.ndim != ndim:
        raise ValueError(
            f"psf has {psf.ndim} dimensions but ndim={ndim}; give a PSF with one "
            f"axis per image axis (e.g. 'gauss:2' for 2-D)"
        )
    return _normalised(psf)
