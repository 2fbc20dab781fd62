"""Tikhonov-regularised deconvolution, solved exactly in the Fourier domain."""

from .._checks import check_number
from .. import params
from ..operators import (
    CLOSED_FORM_BOUNDARIES,
    WorkDomain,
    check_boundary,
    difference_power,
    resolve_closed_form_boundary,
)
from ._docs import shared_docstring
from ._framework import gcv_with_floor, run_solver

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
        mode = resolve_closed_form_boundary(boundary, h)
        domain = WorkDomain(h, f, mode)
        spectrum = domain.data_spectrum()
        reg_power = regularizer_power(regularizer, domain.op.shape, xp, f.dtype)
        parameters = {"regularizer": regularizer, "boundary": mode}
        chosen = lam if lam != "auto" else _gcv_choice(f, h, regularizer, xp, parameters)
        transfer = domain.op.regularised_inverse(chosen * reg_power)
        parameters = {"lam": chosen, **parameters}
        return domain.filtered(spectrum, transfer), parameters, None, "closed form"

    return run_solver("tikhonov", core, image, psf, channel_axis=channel_axis,
                      return_info=return_info)


def _gcv_choice(f, h, regularizer, xp, parameters):
    """GCV's λ for regulariser `regularizer`, read off (a central block of) the
    observation, at least the signal-variance bound λ·mean|R|² ≥ σ̂²/(var f − σ̂²)
    (Tikhonov is Wiener with NSR(k) = λ|R(k)|²; see
    :func:`restore.solvers._framework.gcv_with_floor`: widefield volume under
    a tall PSF 27.8 dB, where GCV's floor gave 26.8). Records ``lam_method``
    (and a limit) in `parameters`."""
    block, power, otf_power = params.choice_spectrum(f, h, xp)
    reg_power = regularizer_power(regularizer, block.shape, xp, f.dtype)
    lam = params.gcv_on_observation(block, h, reg_power, xp, power=power, otf_power=otf_power)
    parameters["lam_method"] = "gcv"

    def floor():
        sigma = params.choice_sigma(f, power, otf_power, xp)
        return (params.signal_variance_nsr(block, sigma)
                / params.spectrum_mean(reg_power, block.shape, xp))

    return gcv_with_floor(parameters, "tikhonov", "lam", lam, floor, method_key="lam_method",
                          advice="check that the PSF matches the blur, or give lam")
