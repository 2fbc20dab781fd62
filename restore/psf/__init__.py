"""Point-spread functions: models, measured PSFs and text specs (a package; being split)."""

from .files import FILE_SUFFIXES, center, load, normalize
from .models import SPEC_FORMS, airy, as_psf, box, disk, from_spec, gaussian, motion, widefield

__all__ = ["airy", "as_psf", "box", "center", "disk", "from_spec", "gaussian", "load",
           "motion", "normalize", "widefield"]
