"""Read and write images: PNG, JPEG, TIFF (8/16-bit, float, multi-page) and NPY.

The CLI reads and writes images through this package; the solvers never touch
files (only :func:`restore.psf.load` reads a measured PSF itself).
:mod:`~restore.io.read` reads an image as its numeric values with an
:class:`ImageMeta` (:func:`read_image`, one reader per format);
:mod:`~restore.io.conversion` puts a result's values into an output dtype
(:func:`convert`, ``rescale``, the clipped count of a :class:`ClippingWarning`);
:mod:`~restore.io.write` checks an output before any work and writes it through a
temporary file (:func:`check_output`, :func:`write_image`, :func:`atomic_output`).
"""

from .conversion import RESCALE_MODES, ClippingWarning, convert
from .read import IMAGE_SUFFIXES, ImageMeta, read_image
from .write import atomic_output, check_output, default_output, write_image

__all__ = [
    "IMAGE_SUFFIXES",
    "RESCALE_MODES",
    "ClippingWarning",
    "ImageMeta",
    "atomic_output",
    "check_output",
    "convert",
    "default_output",
    "read_image",
    "write_image",
]
