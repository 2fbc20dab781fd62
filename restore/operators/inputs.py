"""Checks at the public edge: an image and a PSF as float arrays on one backend."""

from .._backend import array_module, float_dtype, to_device
from .._checks import as_array, check_image, check_psf_fits


def prepare(image, psf, *, xp=None, normalize=True):
    """Validate and convert `image` and `psf` at the public edge.

    Returns ``(image, psf, xp)``: float arrays on the image's backend, the
    image as float32 (float64 for float64 input), the PSF in the same dtype
    and, with `normalize`, scaled to sum 1. A PSF spec string ("gauss:2") is
    parsed with one axis per image axis. Raises ValueError or TypeError with
    a sentence naming the argument (the checks of :mod:`restore._checks`).
    """
    xp = xp or array_module(image)
    image = check_image(image, "image", xp=xp)
    dtype = float_dtype(image.dtype)
    image = image.astype(dtype, copy=False)  # solvers never write into it

    if isinstance(psf, str):
        from ..psf import from_spec

        psf = from_spec(psf, ndim=image.ndim)
    psf = as_array(to_device(psf, xp), "psf", xp=xp).astype(dtype)
    if psf.ndim != image.ndim:
        raise ValueError(
            f"psf has {psf.ndim} dimensions but image has {image.ndim}; "
            "give a PSF with one axis per image axis (e.g. 'gauss:2' for 2-D)"
        )
    check_image(psf, "psf", xp=xp)
    if bool((psf < 0).any()):
        raise ValueError("psf has negative values; a PSF must be non-negative")
    total = float(psf.sum())
    if total <= 0:
        raise ValueError("psf sums to zero; give a PSF with positive weight")
    check_psf_fits(psf.shape, image.shape)
    return image, (psf / total if normalize else psf), xp
