"""The Wiener filter: the linear minimum-mean-square-error deconvolution."""

import math
import warnings

from .._checks import check_number
from .. import params
from ..operators import (CLOSED_FORM_BOUNDARIES, WorkDomain, check_boundary,
                         resolve_closed_form_boundary)
from ._docs import shared_docstring
from ._framework import gcv_with_floor, run_solver


@shared_docstring
def wiener(image, psf, *, snr="auto", nsr=None, boundary="auto", channel_axis=None,
           return_info=False):
    """Restore an image with the Wiener filter ``X = conj(H) F / (|H|² + NSR)``.

    Parameters
    ----------
    %(image)s
    %(psf)s
    snr : float or "auto", optional
        Signal-to-noise ratio in dB, ``10·log10(var(signal) / σ²)``, between
        −30 and 150 (a warning below 0); the filter then uses the constant
        ``NSR = 10^(−snr/10)``. "auto" uses a
        frequency-dependent ``NSR(k) = c·|k|^(−β)``: the shape β of the
        signal's power spectrum ``S(k) ∝ |k|^β`` is fitted to the data's
        spectrum above the estimated noise floor, and the level c is chosen
        by generalised cross-validation.
    nsr : float, optional
        Constant noise-to-signal power ratio; overrides `snr`.
    %(boundary_closed_form)s
    %(channel_axis)s
    %(return_info)s

    %(returns)s

    Notes
    -----
    A constant NSR is the Tikhonov solution with the identity regulariser.
    The same SNR in dB names the same noise on every image, because it is a
    ratio of powers; restoring c·f gives c·ĝ.

    Examples
    --------
    >>> import restore
    >>> from skimage import data
    >>> f = restore.blur(data.camera() / 255.0, restore.psf.gaussian(2.0))
    >>> restored = restore.wiener(f, restore.psf.gaussian(2.0), snr=30)
    """
    if nsr is not None:
        nsr = check_number("nsr", nsr, bound="positive")
    else:
        snr = check_number("snr", snr, words=("auto",))
    if nsr is not None or snr != "auto":
        _check_meaningful_snr(snr if nsr is None else -10.0 * math.log10(nsr),
                              "nsr" if nsr is not None else "snr")

    check_boundary(boundary, ("auto",) + CLOSED_FORM_BOUNDARIES)

    def core(f, h, xp):
        mode = resolve_closed_form_boundary(boundary, h)
        domain = WorkDomain(h, f, mode)
        if nsr is not None or snr != "auto":
            ratio = nsr if nsr is not None else 10.0 ** (-snr / 10.0)
            parameters = {"nsr": ratio, "snr": -10.0 * math.log10(ratio)}
        else:
            ratio, parameters = _automatic_nsr(f, h, domain.op.shape, xp)
        parameters["boundary"] = mode
        return wiener_filter(domain, ratio), parameters, None, "closed form"

    return run_solver("wiener", core, image, psf, channel_axis=channel_axis,
                      return_info=return_info)


#: SNRs (dB) data can carry: above the top, float32 rounding rather than noise
#: limits any image and the filter is the plain inverse; below the bottom the
#: filter returns a flat image.
SNR_RANGE = (-30.0, 150.0)


def _check_meaningful_snr(snr_db, name):
    low, high = SNR_RANGE
    given = f"snr={snr_db:g} dB" if name == "snr" else f"nsr (an SNR of {snr_db:.4g} dB)"
    if snr_db > high:
        raise ValueError(
            f"{given} is beyond what data can carry (at most {high:g} dB: float32 "
            "rounding alone is noisier); give the image's real SNR, or snr='auto'")
    if snr_db < low:
        raise ValueError(
            f"{given} is below {low:g} dB: the filter would return one flat value; "
            "give the image's real SNR, or snr='auto'")
    if snr_db < 0:
        warnings.warn(
            f"wiener: {given} says the noise is stronger than the signal: the result "
            "will be heavily smoothed, nearly flat", UserWarning, stacklevel=3)


def wiener_filter(domain, ratio):
    """The Wiener estimate on `domain` for a noise-to-signal ratio (a number or
    an array on the work grid's half spectrum), cropped to the field of view."""
    spectrum = domain.data_spectrum()
    transfer = domain.op.regularised_inverse(ratio)
    # The mean is not noise-limited: pass it through (NSR is 0 at k = 0).
    dc = (0,) * transfer.ndim
    transfer[dc] = 1 / domain.op.otf[dc]
    return domain.filtered(spectrum, transfer)


#: Spectrum exponents β scored by GCV where the power-law fit fails or comes
#: out flat (a few sinusoids, sparse beads, text): the flat fallback fell
#: 4.7 dB below the observation on a smooth 1-D signal, where GCV picks
#: β = −3 and gains 8.8 dB. Where the fit succeeds it is kept: GCV's choice
#: among these cost 0.1–0.4 dB on motion and box blurs of photos.
CANDIDATE_EXPONENTS = (0.0, -1.0, -2.0, -3.0)


def _automatic_nsr(f, h, work_shape, xp):
    """NSR(k) = c·|k|^(−β) on `work_shape`: the spectrum's shape fitted to `f`
    (or chosen by GCV where no power law fits), its level by GCV."""
    model, scale, parameters = nsr_model(f, h, xp)
    return model.reciprocal(work_shape, xp, f.dtype, scale=scale), parameters


def nsr_model(f, h, xp):
    """Wiener's automatic noise-to-signal model fitted to `f` (normalised PSF `h`).

    Returns ``(model, scale, parameters)``: NSR(k) = ``scale / model(k)``, a
    :class:`restore.params.PowerLawSpectrum`, on any grid
    (``model.reciprocal(shape, xp, dtype, scale=scale)``), and the parameters
    the info reports. Batch deconvolution fits it once per volume.
    """
    block, power, otf_power = params.choice_spectrum(f, h, xp)
    sigma = params.choice_sigma(f, power, otf_power, xp)
    fitted = params.PowerLawSpectrum.fit(power, otf_power, sigma, block.shape, xp)
    if fitted is not None and fitted.exponent < 0:
        candidates = [fitted]
    else:  # no power law in the data: the exponent GCV scores best
        candidates = [params.PowerLawSpectrum(1.0, beta) for beta in CANDIDATE_EXPONENTS]
    best = None
    for model in candidates:  # the spectrum shape GCV scores best, each at its own level
        inverse_spectrum = model.reciprocal(block.shape, xp, f.dtype)
        scale = float(inverse_spectrum.mean())
        inverse_spectrum /= scale
        level, score = params.gcv_on_observation(block, h, inverse_spectrum, xp, power=power,
                                                 otf_power=otf_power, return_score=True)
        if best is None or score < best[0]:
            best = (score, model, scale, level)
    _, model, scale, level = best
    method = "fitted" if model is fitted else "gcv"
    parameters = {"sigma": sigma, "spectrum_exponent": model.exponent, "level": level,
                  "nsr_method": f"power-law spectrum ({method} exponent) + gcv"}
    # level is the mean NSR over the spectrum (the model is scaled to mean 1)
    chosen = gcv_with_floor(parameters, "wiener", "level", level,
                            lambda: params.signal_variance_nsr(block, sigma),
                            method_key="nsr_method",
                            advice="check that the PSF matches the blur, or give snr")
    return model, chosen / scale, parameters
