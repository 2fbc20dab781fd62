"""Pieces for solvers that are diagonal in the Fourier domain (inverse, Wiener, Tikhonov)."""

import numpy as np

from .._backend import irfftn, multiply_in_place, rfftn
from ..operators import WorkDomain, check_boundary

#: Boundaries a closed-form (Fourier-diagonal) solver can honour.
FOURIER_BOUNDARIES = ("reflect", "smooth", "periodic")
#: ...and an iterative solver on the same grid (ADMM, FISTA), which can also
#: leave the unseen border unknown and fit only the observed pixels.
ITERATIVE_BOUNDARIES = FOURIER_BOUNDARIES + ("unknown",)


def fourier_problem(f, h, boundary):
    """The periodic work domain and the extended observation's spectrum."""
    check_boundary(boundary, FOURIER_BOUNDARIES)
    domain = WorkDomain(h, f, boundary)
    return domain, rfftn(domain.data, domain.op.shape)


def apply_filter(domain, spectrum, transfer_function):
    """Multiply `spectrum` by `transfer_function` and return the observed window.

    `spectrum` is the caller's private work array: it is overwritten.
    """
    multiply_in_place(spectrum, transfer_function)
    return domain.crop(irfftn(spectrum, domain.op.shape, overwrite=True))


def difference_power(work_shape, xp, dtype):
    """|D|² of the periodic finite-difference gradient: Σ_axes 2 − 2 cos(2π k / n).

    It is also the (real) transfer function of the discrete Laplacian stencil
    (2·ndim at the centre, −1 at each neighbour), so the Laplacian's |L|² is
    its square.
    """
    ndim = len(work_shape)
    total = None
    for axis, n in enumerate(work_shape):
        freq = np.fft.rfftfreq(n) if axis == ndim - 1 else np.fft.fftfreq(n)
        values = (2.0 - 2.0 * np.cos(2.0 * np.pi * freq)).astype(dtype)
        shape = [1] * ndim
        shape[axis] = values.size
        values = xp.asarray(values.reshape(shape))
        total = values if total is None else total + values
    return total


def filter_transfer(otf, denominator_extra, xp):
    """conj(H) / (|H|² + extra), computed with as few full-size arrays as possible.

    `denominator_extra` is NSR (a number or array) or λ|R|².
    """
    denominator = (otf * otf.conj()).real if otf.dtype.kind == "c" else otf * otf
    denominator += denominator_extra
    if otf.dtype.kind == "c":
        return otf.conj() / denominator
    return xp.divide(otf, denominator, out=denominator)
