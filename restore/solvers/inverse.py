"""The naive inverse filter: division by the OTF (the demonstration of noise amplification)."""

import math

from .._checks import check_number
from .. import params
from ..operators import (CLOSED_FORM_BOUNDARIES, WorkDomain, check_boundary,
                         resolve_closed_form_boundary)
from ._docs import shared_docstring
from ._framework import gcv_with_floor, run_solver


@shared_docstring
def inverse(image, psf, *, threshold="auto", boundary="auto", channel_axis=None,
            return_info=False):
    """Restore by dividing by the OTF: F / H where |H| is large enough, 0 elsewhere.

    This is the textbook inverse filter. It is here to show why deconvolution
    needs regularisation: wherever the OTF is small, the division multiplies
    the noise by 1/|H|. Use :func:`restore.wiener` or :func:`restore.tikhonov`
    for real work.

    Parameters
    ----------
    %(image)s
    %(psf)s
    threshold : float or "auto", optional
        Frequencies where ``|H| < threshold · max|H|`` are set to zero
        (a truncated inverse); below 1. "auto" picks it by generalised
        cross-validation over 1e-3 … 0.5 (where GCV sits at 1e-3, the
        signal-variance bound instead, as Wiener and Tikhonov do).
    %(boundary_closed_form)s
    %(channel_axis)s
    %(return_info)s

    %(returns)s

    Examples
    --------
    >>> import numpy as np, restore
    >>> g = np.zeros((64, 64)); g[20:40, 20:40] = 1
    >>> f = restore.blur(g, restore.psf.gaussian(1.0))
    >>> x = restore.inverse(f, restore.psf.gaussian(1.0), threshold=1e-3)
    """
    threshold = check_number("threshold", threshold, bound="positive", words=("auto",))
    if threshold != "auto" and threshold >= 1:
        raise ValueError(f"threshold must be below 1 (a fraction of max|H|), got {threshold!r}")

    check_boundary(boundary, ("auto",) + CLOSED_FORM_BOUNDARIES)

    def core(f, h, xp):
        mode = resolve_closed_form_boundary(boundary, h)
        domain = WorkDomain(h, f, mode)
        spectrum = domain.data_spectrum()
        parameters = {"boundary": mode}
        tau = threshold if threshold != "auto" else _gcv_threshold(f, h, xp, parameters)
        otf = domain.op.otf
        magnitude = xp.abs(otf)
        keep = magnitude >= tau * float(magnitude.max())
        safe = xp.where(keep, otf, 1)
        transfer = xp.where(keep, 1 / safe, 0).astype(otf.dtype)
        parameters = {"threshold": tau, **parameters}
        return domain.filtered(spectrum, transfer), parameters, None, "closed form"

    return run_solver("inverse", core, image, psf, channel_axis=channel_axis,
                      return_info=return_info)


def _gcv_threshold(f, h, xp, parameters):
    """GCV's truncation threshold, or where it sat at the floor of its range the
    signal-variance bound √(σ̂²/(var f − σ̂²)): keep the frequencies whose
    |H|² stands above a flat noise-to-signal ratio (widefield volume under a
    tall PSF: 8.8 dB at GCV's 0.0014, 26.8 with the bound, 26.3 observed).
    Records ``threshold_method`` (and a limit) in `parameters`."""
    block = params.central_block(f, params.CHOICE_PIXELS, minimum=h.shape)
    tau = params.gcv_truncation(block, h, xp)
    parameters["threshold_method"] = "gcv"

    def floor():
        block, power, otf_power = params.choice_spectrum(f, h, xp)
        sigma = params.choice_sigma(f, power, otf_power, xp)
        return math.sqrt(params.signal_variance_nsr(block, sigma))

    if params.solving_a_mirrored_copy():
        # a stack thinner than its PSF, mirrored out: its repeated planes
        # repeat its noise, which GCV then keeps as signal (6 planes under
        # a 21-plane PSF: 0.0054, 23.8 dB against 35.0 observed); at least
        # the bound there (0.25, 35.2 dB), where it reads a signal: at 1
        # the data vary no more than their noise (sparse beads, whose
        # bound errs high: 1 would lose them 1.1 dB to GCV's 0.24)
        bound = floor()
        if tau < bound < 1:
            parameters["threshold_method"] = "signal-variance bound (a mirrored-out thin stack)"
            return bound

    return gcv_with_floor(parameters, "inverse", "threshold", tau, floor,
                          method_key="threshold_method", search_range=params.GCV_TRUNCATION_RANGE,
                          advice="check that the PSF matches the blur, or give threshold")
