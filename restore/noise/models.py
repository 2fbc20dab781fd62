"""Noise models: simulate noise (Gaussian, Poisson, a camera) and name it in text.

The observation model is f = g * h + n. This module makes the n: additive white
Gaussian noise, photon (shot) noise, and the Poisson–Gaussian noise of a camera
(shot noise plus read noise, with gain and offset). It also parses noise specs such
as ``"poisson:peak=100"`` into :class:`NoiseModel` objects that the CLI and the
comparison tools share. Estimating noise from an observation is
:mod:`restore.noise.estimate`'s job.

**SNR, as used throughout restore.** The signal-to-noise ratio in dB is

    SNR = 10·log10(var(g) / σ²)

where var(g) is the variance of the noise-free image over its pixels and σ² the
variance of the noise (the "blurred SNR" of the deconvolution literature when g is
the blurred, noise-free image). A 30 dB SNR therefore names the same relative noise
on every image, whatever its units.

**Reproducibility.** Random numbers are drawn on the host with NumPy's
``default_rng(seed)`` and then moved to the input's device, so the same seed gives
the same noise for a NumPy and a CuPy input (CuPy's own generator would not).

**Units.** Every simulator returns the noisy observation in the units of the clean
image, so that it compares directly with it (``poisson_gaussian`` can also return
raw camera ADU). Results are float32 unless the input is float64; integer inputs
are converted to float without rescaling. Inputs are never modified.
"""

import math
import re
from dataclasses import dataclass, field

import numpy as np

from .._backend import array_module, float_dtype, to_device, to_host
from .._checks import check_image, check_number

__all__ = [
    "gaussian",
    "poisson",
    "poisson_gaussian",
    "NoiseModel",
    "from_spec",
]


# --------------------------------------------------------------------------- #
# Validation helpers (the public functions call these once, at the edge)
# --------------------------------------------------------------------------- #


def _host_float64(image):
    """Host copy of `image` as float64 (checked: real numbers, non-empty, finite),
    with the result dtype of the float contract."""
    xp = array_module(image)
    x = to_host(check_image(image, "image", xp=xp))
    return xp, np.asarray(x, dtype=np.float64), float_dtype(x.dtype)


def _photon_scale(x, peak):
    """`x` with round-off negatives set to 0, and photons per image unit.

    The scale makes the image's maximum `peak` photons. A blurred image
    carries FFT round-off (about 1e-7 of its peak) below zero where it is
    dark; values down to 1e-6 of the peak are taken as 0, anything more
    negative is an error.
    """
    top = x.max()
    if top <= 0:
        raise ValueError(
            "image is zero everywhere; photon noise needs a positive maximum to set "
            "the number of photons per image unit"
        )
    if x.min() < -1e-6 * top:
        raise ValueError(
            f"image has negative values (minimum {x.min():g}); photon noise needs a "
            "non-negative image (subtract an offset or clip first)"
        )
    return np.maximum(x, 0), peak / top


# --------------------------------------------------------------------------- #
# Simulation
# --------------------------------------------------------------------------- #


def gaussian(image, *, sigma=None, snr=None, seed=None):
    """Add white Gaussian noise, given its standard deviation or an SNR in dB.

    Parameters
    ----------
    image : array_like
        Noise-free image, any number of dimensions. NumPy or CuPy; the result has
        the same type.
    sigma : float, optional
        Standard deviation of the noise, in the image's units (>= 0).
    snr : float, optional
        Signal-to-noise ratio in dB, ``10·log10(var(image) / sigma²)``.
        Give exactly one of `sigma` and `snr`.
    seed : int, numpy.random.Generator or None, optional
        Seed of NumPy's ``default_rng``; the same seed gives the same noise on the
        CPU and the GPU.

    Returns
    -------
    noisy : ndarray
        ``image + sigma·N(0, 1)``, float32 unless `image` is float64.

    Examples
    --------
    >>> import numpy as np
    >>> clean = np.linspace(0, 1, 10_000).reshape(100, 100)
    >>> noisy = gaussian(clean, snr=20, seed=0)
    >>> round(10 * np.log10(clean.var() / (noisy - clean).var()))
    20
    """
    if (sigma is None) == (snr is None):
        raise ValueError(
            f"gaussian got sigma={sigma!r} and snr={snr!r}; give exactly one of them "
            "(sigma in image units or snr in dB)"
        )
    xp = array_module(image)
    image = xp.asarray(image)
    dtype = float_dtype(image.dtype)
    if sigma is not None:
        sigma = check_number("sigma", sigma, bound="non-negative")
    else:
        snr = check_number("snr", snr)
        signal_variance = float(xp.var(image.astype(xp.float64)))
        if not signal_variance > 0:
            raise ValueError(
                f"snr={snr!r} needs an image that varies, but this image is constant "
                "(its variance is 0); give sigma instead"
            )
        sigma = math.sqrt(signal_variance / 10.0 ** (snr / 10.0))
    noise = np.random.default_rng(seed).standard_normal(image.shape)
    noise = to_device((sigma * noise).astype(dtype), xp)
    return image.astype(dtype) + noise


def poisson(image, *, peak, background=0.0, seed=None):
    """Apply photon (shot) noise: Poisson counts at a given number of photons.

    The image is scaled so that its maximum is `peak` expected photons
    (``scale = peak / image.max()`` photons per image unit), `background` expected
    photons are added to every pixel, Poisson counts are drawn, and the counts are
    divided by the same scale. The result is thus in the image's units, with mean
    ``image + background / scale`` and variance ``(image + background / scale) /
    scale``; it takes only values that are integer multiples of ``1 / scale``.

    Parameters
    ----------
    image : array_like
        Noise-free, non-negative image. NumPy or CuPy; the result has the same type.
    peak : float
        Expected photons at the image's maximum (> 0). Fewer photons, more noise:
        the SNR at the maximum is ``sqrt(peak)``.
    background : float, optional
        Expected background photons added to every pixel (>= 0). It appears in the
        result as ``background / scale``; subtract that to remove its mean.
    seed : int, numpy.random.Generator or None, optional
        Seed of NumPy's ``default_rng`` (the draw happens on the host).

    Returns
    -------
    noisy : ndarray
        Counts / scale, float32 unless `image` is float64.

    Examples
    --------
    >>> import numpy as np
    >>> clean = np.full((64, 64), 0.5)
    >>> noisy = poisson(clean, peak=100, seed=0)   # 100 photons per pixel
    >>> bool(abs(noisy.mean() - 0.5) < 0.01)
    True
    """
    xp, x, dtype = _host_float64(image)
    peak = check_number("peak", peak, bound="positive")
    background = check_number("background", background, bound="non-negative")
    x, scale = _photon_scale(x, peak)
    counts = np.random.default_rng(seed).poisson(x * scale + background)
    return to_device((counts / scale).astype(dtype), xp)


def poisson_gaussian(image, *, peak, read_noise, gain=1.0, offset=0.0, units="image",
                     seed=None):
    """Simulate a camera: photon noise, then read noise, gain and offset.

    With ``scale = peak / image.max()`` photons (electrons) per image unit::

        electrons = Poisson(scale · image)
        ADU       = gain · electrons + Normal(0, gain · read_noise) + offset

    By default the ADU are converted back to the image's units,
    ``(ADU - offset) / gain / scale``, so the result compares directly with the
    clean image: its mean is `image` and its variance is the affine model

        var = a · image + b,   a = 1 / scale,   b = (read_noise / scale)²

    (gain and offset cancel). ``units="adu"`` returns the raw ADU instead. ADU are
    neither rounded to integers nor clipped.

    Parameters
    ----------
    image : array_like
        Noise-free, non-negative image. NumPy or CuPy; the result has the same type.
    peak : float
        Expected photo-electrons at the image's maximum (> 0).
    read_noise : float
        Standard deviation of the read noise in electrons (>= 0).
    gain : float, optional
        ADU per electron (> 0).
    offset : float, optional
        Constant added to every pixel, in ADU (the camera's bias level).
    units : {"image", "adu"}, optional
        Units of the result: the clean image's (default) or raw camera ADU.
    seed : int, numpy.random.Generator or None, optional
        Seed of NumPy's ``default_rng`` (the draw happens on the host). With the
        same seed, ``read_noise=0`` gives exactly :func:`poisson`'s result, and the
        two `units` give the same draw.

    Returns
    -------
    noisy : ndarray
        Float32 unless `image` is float64.

    Examples
    --------
    >>> import numpy as np
    >>> clean = np.full((64, 64), 0.5)
    >>> adu = poisson_gaussian(clean, peak=200, read_noise=2, gain=1.5, offset=100,
    ...                        units="adu", seed=0)
    >>> bool(abs(adu.mean() - (1.5 * 200 + 100)) < 1)
    True
    """
    xp, x, dtype = _host_float64(image)
    peak = check_number("peak", peak, bound="positive")
    read_noise = check_number("read_noise", read_noise, bound="non-negative")
    gain = check_number("gain", gain, bound="positive")
    offset = check_number("offset", offset)
    if units not in ("image", "adu"):
        raise ValueError(f"units must be 'image' or 'adu', got {units!r}")
    x, scale = _photon_scale(x, peak)
    rng = np.random.default_rng(seed)
    electrons = rng.poisson(x * scale).astype(np.float64)
    electrons += read_noise * rng.standard_normal(x.shape)  # read noise, in electrons
    if units == "adu":
        out = gain * electrons + offset
    else:
        out = electrons / scale
    return to_device(out.astype(dtype), xp)


# --------------------------------------------------------------------------- #
# Noise models from text specs
# --------------------------------------------------------------------------- #

# name -> (required parameters, optional parameters with defaults)
_MODELS = {
    "none": ((), {}),
    "gaussian": ((), {"snr": None, "sigma": None}),
    "poisson": (("peak",), {"background": 0.0}),
    "poisson_gaussian": (("peak", "read_noise"), {"gain": 1.0, "offset": 0.0}),
}

#: The bound of each parameter that has one (see :func:`restore._checks.check_number`).
_BOUNDS = {"peak": "positive", "gain": "positive", "read_noise": "non-negative",
           "sigma": "non-negative", "background": "non-negative"}

_ACCEPTED = (
    "none, gaussian:snr=<dB>, gaussian:sigma=<std>, "
    "poisson:peak=<photons>[,background=<photons>], "
    "poisson_gaussian:peak=<photons>,read_noise=<electrons>"
    "[,gain=<ADU per electron>][,offset=<ADU>]"
)


@dataclass(frozen=True)
class NoiseModel:
    """A named noise model with its parameters; call it on an image to add noise.

    Build one from text with :func:`from_spec`, or directly, e.g.
    ``NoiseModel("poisson", {"peak": 100})``.

    Attributes
    ----------
    name : {"none", "gaussian", "poisson", "poisson_gaussian"}
        Which simulator: :func:`gaussian`, :func:`poisson`,
        :func:`poisson_gaussian`, or none (the image unchanged, as float).
    params : dict
        Its keyword arguments (floats), e.g. ``{"peak": 100.0}``.

    Examples
    --------
    >>> import numpy as np
    >>> model = from_spec("poisson:peak=100")
    >>> model.describe()
    'Poisson, peak 100 photons'
    >>> noisy = model(np.full((8, 8), 0.5), seed=0)
    """

    name: str
    params: dict = field(default_factory=dict, hash=False)

    def __post_init__(self):
        if self.name not in _MODELS:
            raise ValueError(
                f"noise model name={self.name!r} is not known; use one of "
                + ", ".join(repr(n) for n in _MODELS)
            )
        required, optional = _MODELS[self.name]
        params = dict(self.params)
        unknown = sorted(set(params) - set(required) - set(optional))
        if unknown:
            allowed = ", ".join(required + tuple(optional)) or "none"
            raise ValueError(
                f"noise model {self.name!r} got unknown parameter(s) "
                f"{', '.join(unknown)}; it takes: {allowed}"
            )
        missing = [p for p in required if p not in params]
        if missing:
            raise ValueError(
                f"noise model {self.name!r} needs {', '.join(missing)}; "
                f"accepted forms: {_ACCEPTED}"
            )
        if self.name == "gaussian" and len(params) != 1:
            raise ValueError(
                f"noise model 'gaussian' got {sorted(params) or 'no parameters'}; "
                "give exactly one of snr (dB) and sigma"
            )
        params = {k: check_number(k, v, bound=_BOUNDS.get(k)) for k, v in params.items()}
        object.__setattr__(self, "params", params)

    def __call__(self, image, seed=None):
        """Return a noisy copy of `image`, in its units (float32 unless float64)."""
        if self.name == "none":
            xp = array_module(image)
            image = xp.asarray(image)
            return image.astype(float_dtype(image.dtype), copy=True)
        simulate = {"gaussian": gaussian, "poisson": poisson,
                    "poisson_gaussian": poisson_gaussian}[self.name]
        return simulate(image, seed=seed, **self.params)

    def describe(self):
        """A short human-readable description, e.g. ``'Poisson, peak 100 photons'``."""
        p = self.params
        if self.name == "none":
            return "No noise"
        if self.name == "gaussian":
            if "snr" in p:
                return f"Gaussian, SNR {p['snr']:g} dB"
            return f"Gaussian, sigma {p['sigma']:g}"
        text = f"peak {p['peak']:g} photons"
        if self.name == "poisson":
            if p.get("background", 0.0):
                text += f", background {p['background']:g} photons"
            return f"Poisson, {text}"
        text += f", read noise {p['read_noise']:g} e-"
        if p.get("gain", 1.0) != 1.0:
            text += f", gain {p['gain']:g} ADU/e-"
        if p.get("offset", 0.0):
            text += f", offset {p['offset']:g} ADU"
        return f"Poisson-Gaussian camera, {text}"

    def __str__(self):
        """The spec that :func:`from_spec` reads back, e.g. ``'poisson:peak=100'``."""
        if not self.params:
            return self.name
        return self.name + ":" + ",".join(f"{k}={v:g}" for k, v in self.params.items())


_SPEC = re.compile(r"^\s*([A-Za-z_]+)\s*(?::(.*))?$", re.DOTALL)


def from_spec(text):
    """Parse a noise spec such as ``"poisson:peak=100"`` into a :class:`NoiseModel`.

    Grammar::

        spec   := "none" | name ":" param ("," param)*
        name   := "gaussian" | "poisson" | "poisson_gaussian"
        param  := key "=" number

    with the forms ``gaussian:snr=<dB>``, ``gaussian:sigma=<std>``,
    ``poisson:peak=<photons>[,background=<photons>]`` and
    ``poisson_gaussian:peak=<photons>,read_noise=<electrons>[,gain=<ADU/e->]
    [,offset=<ADU>]``. Names are case-insensitive; spaces around tokens are ignored.

    Parameters
    ----------
    text : str
        The spec.

    Returns
    -------
    model : NoiseModel

    Raises
    ------
    ValueError
        When the spec does not follow the grammar; the message names the spec and
        lists the accepted forms.

    Examples
    --------
    >>> from_spec("poisson_gaussian:peak=200,read_noise=2,gain=1.5,offset=100").describe()
    'Poisson-Gaussian camera, peak 200 photons, read noise 2 e-, gain 1.5 ADU/e-, offset 100 ADU'
    >>> from_spec("gaussian:snr=30").params
    {'snr': 30.0}
    """
    if not isinstance(text, str):
        raise TypeError(
            f"noise spec must be a string such as 'poisson:peak=100', not "
            f"{type(text).__name__}"
        )

    def bad(reason):
        return ValueError(f"noise spec {text!r} is not understood ({reason}); "
                          f"accepted forms: {_ACCEPTED}")

    match = _SPEC.match(text)
    if not match:
        raise bad("expected name:key=value,...")
    name, body = match.group(1).lower(), match.group(2)
    if name not in _MODELS:
        raise bad(f"unknown noise model {name!r}")
    params = {}
    if body is not None and body.strip():
        for item in body.split(","):
            key, sep, value = item.partition("=")
            key = key.strip().lower()
            if not sep or not key or not value.strip():
                raise bad(f"{item.strip()!r} is not key=value")
            if key in params:
                raise bad(f"{key} is given twice")
            try:
                params[key] = float(value)
            except ValueError:
                raise bad(f"{key}={value.strip()!r} is not a number") from None
    elif body is not None:
        raise bad("nothing after ':'")
    try:
        return NoiseModel(name, params)
    except ValueError as error:
        raise bad(str(error)) from None
