"""Tikhonov-regularised deconvolution, solved exactly in the Fourier domain."""

from .. import params
from .._backend import rfftn
from ..operators import Blur
from ._fourier import apply_filter, difference_power, fourier_problem
from ._framework import check_positive, run_solver

REGULARIZERS = ("identity", "gradient", "laplacian")


def regularizer_power(regularizer, work_shape, xp, dtype):
    """|R|² of a regulariser on the real-FFT half spectrum of `work_shape`."""
    if regularizer == "identity":
        return xp.ones((1,) * len(work_shape), dtype=dtype)
    d2 = difference_power(work_shape, xp, dtype)
    return d2 if regularizer == "gradient" else d2 * d2


def tikhonov(image, psf, *, lam="gcv", regularizer="laplacian", boundary="reflect",
             channel_axis=None, return_info=False):
    """Restore by Tikhonov regularisation: argmin ‖Hx − f‖² + λ‖Rx‖².

    The minimiser is ``X = conj(H) F / (|H|² + λ |R|²)``, exact and in one
    pass because H and R are both diagonal in the Fourier domain.

    Parameters
    ----------
    image : (M[, N[, P]]) array_like
        Observed image f, NumPy or CuPy; the result has the same type.
    psf : array_like or str
        PSF (one axis per image axis) or a spec such as ``"gauss:2"``.
    lam : float or "gcv", optional
        Regularisation weight λ (dimensionless for a PSF that sums to 1).
        "gcv" picks it by generalised cross-validation, evaluated for many λ
        at once in the Fourier domain.
    regularizer : {"laplacian", "gradient", "identity"}, optional
        R: the discrete Laplacian (smoothness of curvature), the gradient
        (smoothness) or the identity (small energy; the constant-NSR Wiener).
    boundary : {"reflect", "periodic"}, optional
        How the image continues past its edges.
    channel_axis : int, optional
        Axis of colour channels, each restored on its own.
    return_info : bool, optional
        Also return a :class:`RestoreInfo` with the λ used.

    Returns
    -------
    estimate : ndarray
        Restored image, float32 unless `image` is float64.
    info : RestoreInfo
        Only with ``return_info=True``.

    Notes
    -----
    With ``regularizer="laplacian"`` and ``boundary="periodic"`` this is
    ``skimage.restoration.wiener(image, psf, balance=lam, clip=False)``.

    Examples
    --------
    >>> import restore
    >>> from skimage import data
    >>> f = restore.blur(data.camera() / 255.0, restore.psf.gaussian(2.0))
    >>> x, info = restore.tikhonov(f, "gauss:2", return_info=True)
    >>> info.parameters["lam"] > 0
    True
    """
    if regularizer not in REGULARIZERS:
        raise ValueError(
            f"regularizer={regularizer!r} is not known; use one of "
            + ", ".join(repr(r) for r in REGULARIZERS)
        )
    lam = check_positive("lam", lam, auto=("gcv",))

    def core(f, h, xp):
        op, spectrum = fourier_problem(f, h, boundary)
        otf = op.otf
        otf_power = (otf * otf.conj()).real
        reg_power = regularizer_power(regularizer, op.work_shape, xp, f.dtype)
        if lam == "gcv":
            chosen = _gcv_choice(f, h, regularizer, xp)
        else:
            chosen = lam
        transfer = otf.conj() / (otf_power + chosen * reg_power)
        parameters = {"lam": chosen, "regularizer": regularizer, "boundary": boundary}
        return apply_filter(op, spectrum, transfer), parameters, None, "closed form"

    return run_solver("tikhonov", core, image, psf, channel_axis=channel_axis,
                      return_info=return_info)


def _gcv_choice(f, h, regularizer, xp):
    """GCV's λ, from the tapered observation on its own (periodic) grid.

    The taper keeps border discontinuities and mirrored noise out of the
    spectrum that GCV reads as "signal + white noise".
    """
    tapered, _ = params.taper(f, xp)
    op = Blur(h, f.shape, boundary="periodic", dtype=f.dtype)
    spectrum = rfftn(tapered, f.shape)
    return params.gcv_lambda(
        (spectrum * spectrum.conj()).real,
        (op.otf * op.otf.conj()).real,
        regularizer_power(regularizer, f.shape, xp, f.dtype),
        params.rfft_weights(f.shape, xp, f.dtype),
    )
