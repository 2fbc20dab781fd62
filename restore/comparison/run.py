"""Run solvers on one case and score them: compare, compare_observed, sweep.

:func:`compare` simulates an observation from a clean image (blur by the PSF, then
a noise model with a fixed seed), restores it with every chosen solver using its
*automatic* parameters, and scores each result against the truth (PSNR, SSIM,
ISNR). With ``tune="oracle"`` it also sweeps each solver's main parameter against
the truth (:mod:`restore.comparison.oracle`), so the cost of choosing parameters
automatically is visible beside the best that solver could have done.
:func:`compare_observed` does the same for real data with no ground truth, where
only a no-reference figure is available, and :func:`sweep` repeats a comparison
over noise levels. The results are the objects of :mod:`restore.comparison.tables`.

Figures and files (montage, PSNR-against-noise plot, table.md/table.csv) are drawn
by :mod:`restore.report`; nothing in this package reads or writes files.

Examples
--------
>>> from skimage import data
>>> from restore.comparison import compare
>>> clean = data.camera()[::4, ::4] / 255.0
>>> result = compare(clean, "gauss:1.5", noise="poisson:peak=100",
...                  methods=["wiener", "rl"], seed=0)
>>> [row.method for row in result.rows]
['wiener', 'richardson_lucy']
>>> print(result.to_markdown())                                 # doctest: +SKIP
"""

import math
import os

import numpy as np

from .. import metrics, params
from .. import noise as noise_module
from .. import psf as psf_module
from .._backend import array_module, float_dtype, to_host
from .._channels import channels, per_channel
from .._checks import check_channel_axis, check_image
from ..operators import blur as _blur
from ..solvers import SOLVERS
from .oracle import _oracle
from .tables import Comparison, ComparisonRow, Sweep

__all__ = ["compare", "compare_observed", "sweep"]

#: Short names the shell uses, mapped to :data:`restore.SOLVERS` names.
ALIASES = {"rl": "richardson_lucy"}

#: Options that :func:`compare` sets itself and `parameters` may not override.
_RESERVED = ("channel_axis", "return_info", "callback")


# --------------------------------------------------------------------------- #
# Public functions
# --------------------------------------------------------------------------- #


def compare(clean, psf, *, noise="gaussian:snr=30", methods="all", seed=0, tune=None,
            boundary="auto", channel_axis=None, parameters=None):
    """Simulate an observation of `clean` and restore it with several solvers.

    The observation is ``noise(blur(clean, psf), seed=seed)``: `clean` blurred
    by `psf` (mirrored past its borders; FFT round-off below zero is clipped
    when `clean` is non-negative), then noise drawn on the host from
    ``numpy.random.default_rng(seed)``. Every solver then restores it with its
    automatic parameters, and is scored against `clean`.

    Parameters
    ----------
    clean : array_like
        The truth g: 1-D, 2-D or 3-D (plus a colour axis with `channel_axis`),
        NumPy or CuPy. Integers are converted to float without rescaling.
    psf : array_like or str
        PSF with one axis per spatial axis, or a spec such as ``"gauss:2"``
        (built for ``clean``'s number of spatial axes).
    noise : str or NoiseModel, optional
        Noise spec (``"gaussian:snr=30"``, ``"gaussian:sigma=0.01"``,
        ``"poisson:peak=100"``, ``"poisson_gaussian:peak=100,read_noise=2"``,
        ``"none"``) or a :class:`restore.noise.NoiseModel`.
    methods : "all", str or list of str, optional
        Solvers to run: names from :data:`restore.SOLVERS` (``"rl"`` is accepted
        for ``"richardson_lucy"``), a comma-separated string, or "all".
    seed : int or None, optional
        Noise seed. The same seed gives the identical observation and identical
        table numbers (all but the run times).
    tune : None or "oracle", optional
        "oracle" also sweeps each solver's main parameter over
        :data:`ORACLE_GRIDS` and reports the best value against the truth
        (``oracle_parameter``, ``oracle_psnr``). Richardson–Lucy runs once to
        the last iteration count and scores every iterate. The Wiener oracle
        tries constant SNRs, while its automatic choice is a fitted,
        frequency-dependent NSR, so it can beat the oracle.
    boundary : str, optional
        Passed to every solver ("auto" suits all of them).
    channel_axis : int or None, optional
        Axis of colour channels (each channel blurred and restored on its own).
    parameters : dict, optional
        Fixed options per solver, e.g. ``{"richardson_lucy": {"iterations": 30}}``,
        used instead of the automatic choice (and kept during the oracle's sweep,
        except for the swept parameter).

    Returns
    -------
    comparison : Comparison
        Table rows, restored arrays, the observation and the noise model.

    Raises
    ------
    ValueError
        For an unknown method, tune value, noise spec or parameter.

    Examples
    --------
    >>> import numpy as np
    >>> clean = np.zeros((48, 48)); clean[16:32, 16:32] = 1
    >>> c = compare(clean, "gauss:1", methods="wiener,tikhonov", seed=1)
    >>> c.best().method in ("wiener", "tikhonov")
    True
    """
    if tune not in (None, "oracle"):
        raise ValueError(f"tune={tune!r} is not known; use None or 'oracle'")
    names = _method_names(methods)
    options = _check_parameters(parameters)
    model = _noise_model(noise)
    clean, xp = _as_image(clean, "clean")
    spatial_ndim = _spatial_ndim(clean, channel_axis, "clean")
    h, description = _psf(psf, spatial_ndim)
    truth_range = float(clean.max() - clean.min())
    if not truth_range > 0:
        raise ValueError("clean is constant (max = min); a comparison needs an image with "
                         "some structure to score PSNR and SSIM against")

    blurred = per_channel(lambda x: _blur(x, h, boundary="reflect"), clean, channel_axis)
    if float(clean.min()) >= 0:
        blurred = xp.maximum(blurred, 0)  # FFT round-off; photon noise needs x >= 0
    observed = model(blurred, seed=seed)

    comparison = Comparison(
        clean=clean, observed=observed, restored={}, rows=[], noise=model,
        psf_description=description, seed=seed, psf=h, channel_axis=channel_axis,
        noise_sigma=_noise_sigma(observed, channel_axis), tune=tune, boundary=boundary,
        observed_psnr=metrics.psnr(clean, observed),
        observed_ssim=_ssim(clean, observed, truth_range, channel_axis),
    )
    for name in names:
        fixed = options.get(name, {})
        estimate, info = _run(name, observed, h, boundary, channel_axis, fixed)
        row = ComparisonRow(
            method=name,
            parameters=_used_parameters(info),
            psnr=metrics.psnr(clean, estimate, data_range=truth_range),
            ssim=_ssim(clean, estimate, truth_range, channel_axis),
            isnr=metrics.isnr(clean, estimate, observed),
            seconds=info.time,
            residual_rms=_residual_rms(estimate, observed, h, channel_axis),
        )
        if tune == "oracle":
            row.oracle_parameter, row.oracle_psnr, row.oracle_scan = _oracle(
                name, clean, observed, h, boundary, channel_axis, fixed, truth_range)
        comparison.restored[name] = estimate
        comparison.rows.append(row)
    return comparison


def compare_observed(observed, psf, *, methods="all", boundary="auto", channel_axis=None,
                     parameters=None):
    """Restore real data (no ground truth) with several solvers, side by side.

    Without a truth there is no PSNR. What is reported instead, per solver, is
    the parameters it chose, its run time and the **residual RMS**
    ``‖H ĝ − f‖ / √N``: how far the re-blurred estimate is from the data, per
    pixel, over the pixels at least a PSF half-width from the border (where the
    boundary guess does not matter). It is compared with the RMS noise σ̂
    estimated from `f` alone (``Comparison.noise_sigma``: the Poisson–Gaussian
    fit of :func:`restore.noise.estimate_poisson_gaussian`, ``sqrt(a·mean(f) + b)``,
    which is σ for Gaussian noise; :func:`restore.noise.estimate_sigma` on
    images under about 5000 pixels): a ratio near 1
    means the estimate explains the data down to the noise (the discrepancy
    principle); well below 1, it has fitted the noise (under-regularised,
    amplified noise); well above 1, it leaves real signal unexplained
    (over-smoothed). It is a sanity check on the regularisation, not a measure
    of quality: the inverse filter can fit the data perfectly and still be
    useless.

    Parameters
    ----------
    observed : array_like
        Observed image f (1-D, 2-D or 3-D, plus a colour axis), NumPy or CuPy.
    psf : array_like or str
        PSF or spec, as for :func:`compare`.
    methods : "all", str or list of str, optional
        As for :func:`compare`.
    boundary : str, optional
        Passed to every solver.
    channel_axis : int or None, optional
        Axis of colour channels.
    parameters : dict, optional
        Fixed options per solver, as for :func:`compare`.

    Returns
    -------
    comparison : Comparison
        With ``clean=None``, ``noise=None``; PSNR, SSIM and ISNR are None.

    Examples
    --------
    >>> import numpy as np, restore
    >>> g = np.zeros((48, 48)); g[16:32, 16:32] = 1
    >>> f = restore.noise.gaussian(restore.blur(g, restore.psf.gaussian(1.0)), sigma=0.01, seed=0)
    >>> c = compare_observed(f, "gauss:1", methods=["wiener"])
    >>> c.rows[0].psnr is None
    True
    """
    names = _method_names(methods)
    options = _check_parameters(parameters)
    observed, _ = _as_image(observed, "observed")
    h, description = _psf(psf, _spatial_ndim(observed, channel_axis, "observed"))
    comparison = Comparison(
        clean=None, observed=observed, restored={}, rows=[], noise=None,
        psf_description=description, seed=None, psf=h, channel_axis=channel_axis,
        noise_sigma=_noise_sigma(observed, channel_axis), boundary=boundary,
    )
    for name in names:
        estimate, info = _run(name, observed, h, boundary, channel_axis, options.get(name, {}))
        comparison.restored[name] = estimate
        comparison.rows.append(ComparisonRow(
            method=name, parameters=_used_parameters(info), psnr=None, ssim=None, isnr=None,
            seconds=info.time,
            residual_rms=_residual_rms(estimate, observed, h, channel_axis),
        ))
    return comparison


def sweep(clean, psf, *, noise_specs, methods="all", seed=0, boundary="auto",
          channel_axis=None, parameters=None):
    """PSNR of every solver at several noise levels (for a PSNR-vs-noise plot).

    Runs :func:`compare` once per noise spec, with the same `seed` for each.

    Parameters
    ----------
    clean, psf, methods, seed, boundary, channel_axis, parameters
        As for :func:`compare`.
    noise_specs : list of str or NoiseModel
        The noise levels, e.g. ``["gaussian:snr=10", "gaussian:snr=20",
        "gaussian:snr=30"]``: one model, one parameter varying.

    Returns
    -------
    result : Sweep
        Iterates as ``(noise_model, {method: psnr})``, one pair per level;
        draw it with :func:`restore.report.sweep_plot`.

    Examples
    --------
    >>> import numpy as np
    >>> g = np.zeros((48, 48)); g[16:32, 16:32] = 1
    >>> s = sweep(g, "gauss:1", noise_specs=["gaussian:snr=10", "gaussian:snr=30"],
    ...           methods=["wiener"])
    >>> s.parameter, s.levels
    ('snr', [10.0, 30.0])
    """
    if isinstance(noise_specs, (str, noise_module.NoiseModel)) or not noise_specs:
        raise ValueError(
            f"noise_specs must be a non-empty list of noise specs, got {noise_specs!r}; "
            "e.g. ['gaussian:snr=10', 'gaussian:snr=20', 'gaussian:snr=30']"
        )
    models = [_noise_model(spec) for spec in noise_specs]
    parameter, levels = _sweep_axis(models)
    names = _method_names(methods)
    psnr = {name: [] for name in names}
    observed_psnr = []
    description = ""
    for model in models:
        result = compare(clean, psf, noise=model, methods=names, seed=seed, boundary=boundary,
                         channel_axis=channel_axis, parameters=parameters)
        description = result.psf_description
        observed_psnr.append(result.observed_psnr)
        for row in result.rows:
            psnr[row.method].append(row.psnr)
    model_names = {m.name for m in models}
    return Sweep(noise=models, parameter=parameter, levels=levels, psnr=psnr,
                 observed_psnr=observed_psnr, psf_description=description, seed=seed,
                 model_name=model_names.pop() if len(model_names) == 1 else "")


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #


def _method_names(methods):
    """Validated solver names, in order, without duplicates."""
    if isinstance(methods, str):
        if methods.strip().lower() == "all":
            return list(SOLVERS)
        methods = [m for m in methods.split(",")]
    try:
        given = list(methods)
    except TypeError:
        raise TypeError(f"methods must be 'all', a name or a list of names, "
                        f"got {type(methods).__name__}") from None
    names = []
    for method in given:
        if not isinstance(method, str):
            raise TypeError(f"methods must hold solver names (strings), got {method!r}")
        name = method.strip().lower()
        name = ALIASES.get(name, name)
        if name not in SOLVERS:
            raise ValueError(
                f"unknown method {method!r}; valid methods: {', '.join(SOLVERS)} "
                "(or 'rl' for richardson_lucy, or 'all')"
            )
        if name not in names:
            names.append(name)
    if not names:
        raise ValueError(f"methods is empty; give 'all' or some of: {', '.join(SOLVERS)}")
    return names


def _check_parameters(parameters):
    """`parameters` as {solver name: dict of options}, validated."""
    if parameters is None:
        return {}
    if not isinstance(parameters, dict):
        raise TypeError(f"parameters must be a dict of solver name → options, "
                        f"got {type(parameters).__name__}")
    checked = {}
    for key, value in parameters.items():
        name = ALIASES.get(key, key) if isinstance(key, str) else key
        if name not in SOLVERS:
            raise ValueError(f"parameters names unknown method {key!r}; valid methods: "
                             f"{', '.join(SOLVERS)}")
        if not isinstance(value, dict):
            raise TypeError(f"parameters[{key!r}] must be a dict of options, e.g. "
                            f"{{'iterations': 30}}, got {value!r}")
        reserved = [k for k in value if k in _RESERVED]
        if reserved:
            raise ValueError(f"parameters[{key!r}] sets {', '.join(reserved)}, which compare "
                             "sets itself; use the compare argument instead")
        checked[name] = dict(value)
    return checked


def _noise_model(noise):
    if isinstance(noise, noise_module.NoiseModel):
        return noise
    if isinstance(noise, str):
        return noise_module.from_spec(noise)
    raise TypeError(f"noise must be a spec such as 'poisson:peak=100' or a NoiseModel, "
                    f"got {type(noise).__name__}")


def _as_image(image, name):
    """`image` as a float array of its own backend, validated."""
    xp = array_module(image)
    image = check_image(image, name, xp=xp)
    return image.astype(float_dtype(image.dtype)), xp


def _spatial_ndim(image, channel_axis, name):
    ndim = image.ndim - (check_channel_axis(channel_axis, image.shape, name) is not None)
    if not 1 <= ndim <= 3:
        raise ValueError(f"{name} has {ndim} spatial axes (shape {tuple(image.shape)}); "
                         "give a 1-D signal, 2-D image or 3-D volume (plus channel_axis)")
    return ndim


def _psf(psf, ndim):
    """Normalised host PSF and a short description of it."""
    if isinstance(psf, (str, os.PathLike)):
        description = str(psf)
    else:
        description = "array " + "×".join(str(n) for n in np.shape(to_host(psf)))
    return psf_module.as_psf(to_host(psf) if not isinstance(psf, (str, os.PathLike)) else psf,
                             ndim=ndim), description


def _run(name, observed, h, boundary, channel_axis, fixed):
    """Run one solver with automatic parameters (and any fixed options)."""
    options = {"boundary": boundary, **fixed}
    try:
        return SOLVERS[name](observed, h, channel_axis=channel_axis, return_info=True, **options)
    except TypeError as error:
        raise TypeError(f"{name}: {error}") from error
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from error


def _used_parameters(info):
    parameters = dict(info.parameters)
    if info.iterations is not None:
        parameters["iterations"] = info.iterations
    return parameters


def _ssim(clean, estimate, data_range, channel_axis):
    """SSIM, or NaN when an axis is shorter than its 7-sample window."""
    spatial = [n for i, n in enumerate(clean.shape)
               if channel_axis is None or i != channel_axis % clean.ndim]
    if min(spatial) < 7:
        return math.nan
    return metrics.ssim(clean, estimate, data_range=data_range, channel_axis=channel_axis)


def _noise_sigma(observed, channel_axis):
    """RMS noise σ̂ of `observed` (:func:`restore.params.noise_sigma`), RMS over channels."""
    sigmas = [params.noise_sigma(c) for c in channels(to_host(observed), channel_axis)]
    return math.sqrt(float(np.mean([sigma**2 for sigma in sigmas])))


def _residual_rms(estimate, observed, h, channel_axis):
    """‖H ĝ − f‖/√N over pixels at least a PSF half-width from every border."""
    reblurred = per_channel(lambda x: _blur(x, h, boundary="reflect"), estimate,
                            channel_axis)
    residual = np.asarray(to_host(reblurred), dtype=np.float64) \
        - np.asarray(to_host(observed), dtype=np.float64)
    if channel_axis is not None:
        residual = np.moveaxis(residual, channel_axis, -1)
    window = tuple(slice(k // 2, n - k // 2) if n > 2 * (k // 2) else slice(None)
                   for k, n in zip(h.shape, residual.shape))
    inner = residual[window]
    return float(np.sqrt(np.mean(inner * inner)))



def _sweep_axis(models):
    """(name of the one varying parameter, its values), or (None, 0..n-1)."""
    first = models[0]
    same_model = all(m.name == first.name and set(m.params) == set(first.params)
                     for m in models)
    if same_model:
        varying = [k for k in first.params if len({m.params[k] for m in models}) > 1]
        if len(varying) == 1:
            return varying[0], [m.params[varying[0]] for m in models]
        if not varying and len(first.params) == 1:
            key = next(iter(first.params))
            return key, [m.params[key] for m in models]
    return None, [float(i) for i in range(len(models))]
