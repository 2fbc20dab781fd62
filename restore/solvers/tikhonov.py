"""Tikhonov-regularised deconvolution, solved exactly in the Fourier domain."""

from .._checks import check_number
from .. import params
from ..operators import (
    CLOSED_FORM_BOUNDARIES,
    WorkDomain,
    check_boundary,
    difference_power,
    resolve_boundary,
)
from ._docs import shared_docstring
from ._framework import flag_search_limit, run_solver

REGULARIZERS = ("identity", "gradient", "laplacian")


def regularizer_power(regularizer, work_shape, xp, dtype):
    """|R|² of a regulariser on the real-FFT half spectrum of `work_shape`."""
    if regularizer == "identity":
        return xp.ones((1,) * len(work_shape), dtype=dtype)
    d2 = difference_power(work_shape, xp, dtype)
    return d2 if regularizer == "gradient" else d2 * d2


@shared_docstring
def tikhonov(image, psf, *, lam="auto", regularizer="laplacian", boundary="auto",
             channel_axis=None, return_info=False):
    """Restore by Tikhonov regularisation: argmin ‖Hx − f‖² + λ‖Rx‖².

    The minimiser is ``X = conj(H) F / (|H|² + λ |R|²)``, exact and in one
    pass because H and R are both diagonal in the Fourier domain.

    Parameters
    ----------
    %(image)s
    %(psf)s
    lam : float or "auto", optional
        The weight λ of the objective ‖Hx − f‖² + λ‖Rx‖² (both terms grow
        with the square of the intensity scale: λ is scale-free). "auto"
        (default) picks it by generalised cross-validation, evaluated for
        many λ at once in the Fourier domain (``lam_method="gcv"`` in the
        info).
    regularizer : {"laplacian", "gradient", "identity"}, optional
        R: the discrete Laplacian (smoothness of curvature), the gradient
        (smoothness) or the identity (small energy; the constant-NSR Wiener).
    %(boundary_closed_form)s
    %(channel_axis)s
    %(return_info)s

    %(returns)s

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
    lam = check_number("lam", lam, bound="positive", words=("auto",))

    check_boundary(boundary, ("auto",) + CLOSED_FORM_BOUNDARIES)

    def core(f, h, xp):
        mode = resolve_boundary(boundary, h, asymmetric="smooth")
        domain = WorkDomain(h, f, mode)
        spectrum = domain.data_spectrum()
        reg_power = regularizer_power(regularizer, domain.op.shape, xp, f.dtype)
        if lam == "auto":
            chosen = _gcv_choice(f, h, regularizer, xp)
        else:
            chosen = lam
        transfer = domain.op.regularised_inverse(chosen * reg_power)
        parameters = {"lam": chosen, "regularizer": regularizer, "boundary": mode}
        if lam == "auto":
            parameters["lam_method"] = "gcv"
            flag_search_limit(parameters, "tikhonov", "lam", chosen, *params.GCV_LAMBDA_RANGE,
                              advice="check that the PSF matches the blur, or give lam")
        return domain.filtered(spectrum, transfer), parameters, None, "closed form"

    return run_solver("tikhonov", core, image, psf, channel_axis=channel_axis,
                      return_info=return_info)


def _gcv_choice(f, h, regularizer, xp):
    """GCV's λ for regulariser `regularizer`, read off (a central block of) the observation."""
    block = params.central_block(f, params.CHOICE_PIXELS, minimum=h.shape)
    reg_power = regularizer_power(regularizer, block.shape, xp, f.dtype)
    return params.gcv_on_observation(block, h, reg_power, xp)
