"""Checks at the public edge: an image and a PSF as float arrays on one backend."""

from .._backend import array_module, float_dtype, to_device
from .._checks import as_array, check_image, check_psf_fits


def prepare(image, psf, *, xp=None, normalize=True, psf_may_exceed=False):
    """Validate and convert `image` and `psf` at the public edge.

    Returns ``(image, psf, xp)``: float arrays on the image's backend, the
    image as float32 (float64 for float64 input), the PSF in the same dtype
    and, with `normalize`, scaled to sum 1. A PSF spec string ("gauss:2") is
    parsed with one axis per image axis. Raises ValueError or TypeError with
    a sentence naming the argument (the checks of :mod:`restore._checks`),
    also for a PSF larger than the image unless `psf_may_exceed` (the caller
    then meets it, e.g. with :func:`mirror_out`).
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
    if not psf_may_exceed:
        check_psf_fits(psf.shape, image.shape)
    return image, (psf / total if normalize else psf), xp


def mirror_out(image, psf_shape):
    """`image` mirrored out (symmetric padding) to at least `psf_shape` on
    every axis where it is shorter, and the crop that takes the result back.

    Returns ``(image, None)`` when it is long enough already. A thin stack
    under a measured PSF with more planes than the stack is the usual case:
    the scene beyond the stack is taken to be its mirror image, as the
    "reflect" boundary assumes.

    Examples
    --------
    >>> import numpy as np
    >>> padded, crop = mirror_out(np.arange(3.0), (7,))
    >>> padded, padded[crop]
    (array([1., 0., 0., 1., 2., 2., 1.]), array([0., 1., 2.]))
    """
    xp = array_module(image)
    pads = [(0, 0)] * image.ndim
    for axis, (n, k) in enumerate(zip(image.shape, psf_shape)):
        if n < k:
            extra = k - n
            pads[axis] = (extra // 2, extra - extra // 2)
    if all(p == (0, 0) for p in pads):
        return image, None
    padded = image
    while any(p < q for p, q in zip(padded.shape, psf_shape)):
        # at most the array's own length per step: a mirror longer than the
        # image repeats the symmetric padding
        step = [(min(a, n), min(b, n)) if n < k else (0, 0)
                for (a, b), n, k in zip(pads, padded.shape, psf_shape)]
        padded = xp.pad(padded, step, mode="symmetric")
        pads = [(a - s, b - t) for (a, b), (s, t) in zip(pads, step)]
    start = [(p - n) // 2 if p > n else 0 for p, n in zip(padded.shape, image.shape)]
    return padded, tuple(slice(s, s + n) for s, n in zip(start, image.shape))
