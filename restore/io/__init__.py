"""Read and write images: PNG, JPEG, TIFF (8/16-bit, float, multi-page) and NPY."""

from .write import (
    IMAGE_SUFFIXES,
    RESCALE_MODES,
    ClippingWarning,
    ImageMeta,
    atomic_output,
    check_output,
    convert,
    default_output,
    read_image,
    write_image,
)

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
