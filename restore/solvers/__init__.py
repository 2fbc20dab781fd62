"""Deconvolution solvers: one signature, one forward model (:class:`restore.Blur`)."""

from ..operators import CLOSED_FORM_BOUNDARIES, ITERATIVE_BOUNDARIES, WORK_BOUNDARIES
from ._framework import AutomaticChoiceWarning, RestoreInfo
from ._iterative import MAX_ITERATIONS
from .inverse import inverse
from .richardson_lucy import richardson_lucy
from .tikhonov import tikhonov
from .tv import tv
from .wavelet import wavelet
from .wiener import wiener

#: Every solver by the name the CLI and :func:`restore.compare` use.
SOLVERS = {
    "inverse": inverse,
    "wiener": wiener,
    "tikhonov": tikhonov,
    "richardson_lucy": richardson_lucy,
    "tv": tv,
    "wavelet": wavelet,
}

#: The ``boundary=`` values each solver accepts ("auto" first: the default);
#: what each name means is :data:`restore.operators.BOUNDARY_MODES`.
BOUNDARIES = {
    "inverse": ("auto",) + CLOSED_FORM_BOUNDARIES,
    "wiener": ("auto",) + CLOSED_FORM_BOUNDARIES,
    "tikhonov": ("auto",) + CLOSED_FORM_BOUNDARIES,
    "richardson_lucy": ("auto",) + WORK_BOUNDARIES,
    "tv": ("auto",) + ITERATIVE_BOUNDARIES,
    "wavelet": ("auto",) + ITERATIVE_BOUNDARIES,
}
#: The ``boundary=`` values every solver accepts (what one setting for all can be).
COMMON_BOUNDARIES = tuple(b for b in BOUNDARIES["wiener"]
                          if all(b in accepted for accepted in BOUNDARIES.values()))

__all__ = ["AutomaticChoiceWarning", "BOUNDARIES", "COMMON_BOUNDARIES", "MAX_ITERATIONS",
           "RestoreInfo", "SOLVERS", "inverse", "richardson_lucy", "tikhonov", "tv",
           "wavelet", "wiener"]
