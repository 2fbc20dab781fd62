"""Point-spread functions: models, measured PSFs and text specs.

Every PSF returned here is a float64 NumPy array that sums to 1, has an odd size
on every axis and has its centre at index ``n // 2`` on each axis, the one centre
:class:`restore.operators.Blur` uses. :mod:`~restore.psf.models` samples the
models (gaussian, box, disk, motion, airy, widefield),
:mod:`~restore.psf.files` reads measured PSF files and cleans PSF arrays (load,
center, normalize), :mod:`~restore.psf.specs` turns text specs such as
``"gauss:2"`` into PSFs (from_spec, as_psf); the argument checks they share live
in the private ``_checks``.
"""

from .files import center, load, normalize
from .models import airy, box, disk, gaussian, motion, widefield
from .specs import as_psf, from_spec

# Public constants, outside __all__ as they always were (the CLI and stacks read them).
from .files import FILE_SUFFIXES  # noqa: F401
from .specs import SPEC_FORMS  # noqa: F401

__all__ = [
    "airy",
    "as_psf",
    "box",
    "center",
    "disk",
    "from_spec",
    "gaussian",
    "load",
    "motion",
    "normalize",
    "widefield",
]
