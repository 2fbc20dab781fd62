"""Checks at the public edge: an image and a PSF as float arrays on one backend."""

from .._backend import array_module, float_dtype, to_device


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
        from ..psf import from_spec

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
