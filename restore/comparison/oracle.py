"""The oracle: each solver's main parameter tuned against the truth.

:data:`ORACLE_GRIDS` names, per solver, the parameter swept and the values tried;
:func:`_oracle` runs the solver at each value and keeps the best PSNR
(Richardson–Lucy runs once and every iterate is scored). It is what
``compare(..., tune="oracle")`` puts beside each automatic choice.
"""

import math

import numpy as np

from .. import metrics, params
from .._backend import array_module
from .._channels import channels
from ..solvers import SOLVERS
from ..solvers.richardson_lucy import auto_accelerates, automatic_floor

__all__ = ["ORACLE_GRIDS"]

#: The oracle's search: per solver, the parameter swept and the values tried.
#: Richardson–Lucy is run once, to the last count, and every iterate is scored.
#: TV's and wavelet's λ grids are in units of the observation's noise level σ̂
#: (:func:`restore.params.noise_level`; their λ, the objective's weight, scales
#: with it): :data:`NOISE_SCALED`.
ORACLE_GRIDS = {
    "inverse": ("threshold", tuple(float(10.0**e) for e in np.arange(-4.0, -0.24, 0.25))),
    "wiener": ("snr", tuple(float(v) for v in np.arange(5.0, 45.01, 2.5))),
    "tikhonov": ("lam", tuple(float(v) for v in np.logspace(-5.0, 0.0, 13))),
    "richardson_lucy": ("iterations", range(1, 201)),
    "tv": ("lam", (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8)),
    "wavelet": ("lam", (0.02, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6)),
}
#: Solvers whose oracle grid is multiplied by the observation's noise level.
NOISE_SCALED = ("tv", "wavelet")


def _oracle(name, clean, observed, h, boundary, channel_axis, fixed, truth_range):
    """Best value of `name`'s main parameter against the truth: (parameter, psnr, scan)."""
    key, grid = ORACLE_GRIDS[name]
    options = {"boundary": boundary, **fixed}
    found = {}
    if name == "richardson_lucy":
        if options.get("accelerate", "auto") == "auto":  # the path of the call it tunes
            options["accelerate"] = found["accelerate"] = auto_accelerates(
                options.get("iterations", "auto"))
        scan = _oracle_iterations(observed, h, clean, channel_axis, options, max(grid),
                                  truth_range)
    else:
        if name in NOISE_SCALED:
            sigma = params.noise_level(observed)
            grid = tuple(value * sigma for value in grid)
        scan = []
        for value in grid:
            options[key] = value
            try:
                estimate = SOLVERS[name](observed, h, channel_axis=channel_axis, **options)
            except FloatingPointError:  # an extreme grid value may diverge: skip it
                scan.append((value, math.nan))
                continue
            scan.append((value, metrics.psnr(clean, estimate, data_range=truth_range)))
    finite = [(v, p) for v, p in scan if not math.isnan(p)]
    if not finite:
        return None, None, tuple(scan)
    value, best = max(finite, key=lambda pair: pair[1])
    return {key: value, **found}, best, tuple(scan)


def _oracle_iterations(observed, h, clean, channel_axis, options, count, truth_range):
    """One Richardson–Lucy run of `count` iterations, every iterate scored.

    Colour channels are run one at a time, so that the per-iteration errors of
    all channels can be added before the best count is chosen.
    """
    options = {k: v for k, v in options.items() if k not in ("iterations", "tol")}
    xp = array_module(observed)
    truth = xp.asarray(clean).astype(xp.float64)  # on the estimate's device: no copies per iterate
    squared_errors = np.zeros(count)
    for f, t in zip(channels(observed, channel_axis), channels(truth, channel_axis)):
        def track(k, estimate, t=t):
            squared_errors[k - 1] += float(((t - estimate.astype(xp.float64)) ** 2).sum())

        channel_options = dict(options)
        if channel_options.get("floor", "auto") == "auto":  # the automatic call's model
            channel_options["floor"] = automatic_floor(f, h, channel_options.get("background", 0.0))
        SOLVERS["richardson_lucy"](f, h, iterations=count, callback=track, **channel_options)
    mse = squared_errors / truth.size
    with np.errstate(divide="ignore"):
        psnr = 10.0 * np.log10(truth_range**2 / mse)
    return [(k, float(psnr[k - 1])) for k in range(1, count + 1)]
