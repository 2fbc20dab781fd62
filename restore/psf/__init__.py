"""Point-spread functions: models, measured PSFs and text specs (a package; step 1 of its split)."""

from .models import (FILE_SUFFIXES, SPEC_FORMS, airy, as_psf, box, center, disk,
                     from_spec, gaussian, load, motion, normalize, widefield)

__all__ = ["airy", "as_psf", "box", "center", "disk", "from_spec", "gaussian", "load",
           "motion", "normalize", "widefield"]
