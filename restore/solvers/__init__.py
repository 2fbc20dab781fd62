"""Deconvolution solvers: one signature, one forward model (:class:`restore.Blur`)."""

from ..operators import WORK_BOUNDARIES
from ._fourier import FOURIER_BOUNDARIES, ITERATIVE_BOUNDARIES
from ._framework import AutomaticChoiceWarning, RestoreInfo
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

#: The ``boundary=`` values each solver accepts ("auto" first: the default).
BOUNDARIES = {
    "inverse": ("auto",) + FOURIER_BOUNDARIES,
    "wiener": ("auto",) + FOURIER_BOUNDARIES,
    "tikhonov": ("auto",) + FOURIER_BOUNDARIES,
    "richardson_lucy": ("auto",) + WORK_BOUNDARIES,
    "tv": ("auto",) + ITERATIVE_BOUNDARIES,
    "wavelet": ("auto",) + ITERATIVE_BOUNDARIES,
}

__all__ = ["AutomaticChoiceWarning", "BOUNDARIES", "RestoreInfo", "SOLVERS", "inverse", "richardson_lucy", "tikhonov", "tv",
           "wavelet", "wiener"]
