"""Deconvolution solvers: one signature, one forward model (:class:`restore.Blur`)."""

from ._framework import RestoreInfo
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

__all__ = ["RestoreInfo", "SOLVERS", "inverse", "richardson_lucy", "tikhonov", "tv",
           "wavelet", "wiener"]
