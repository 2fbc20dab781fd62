"""Noise: simulate it (Gaussian, Poisson, a camera), estimate it, name it in text.

The package owns the n of the observation model f = g * h + n:
:mod:`~restore.noise.models` simulates it (:func:`gaussian`, :func:`poisson`,
:func:`poisson_gaussian`) and parses noise specs such as ``"poisson:peak=100"`` into
:class:`NoiseModel` objects (:func:`from_spec`); :mod:`~restore.noise.estimate`
measures it from one observation (:func:`estimate_sigma`,
:func:`estimate_poisson_gaussian`). Every public name is importable from
``restore.noise`` itself; SNR, seeds and units are described in
:mod:`~restore.noise.models`.

Examples
--------
>>> import numpy as np
>>> import restore.noise
>>> clean = np.linspace(0, 1, 65_536).reshape(256, 256)
>>> noisy = restore.noise.from_spec("gaussian:sigma=0.05")(clean, seed=0)
>>> round(restore.noise.estimate_sigma(noisy), 2)
0.05
"""

from .estimate import PoissonGaussianEstimate, estimate_poisson_gaussian, estimate_sigma
from .models import NoiseModel, from_spec, gaussian, poisson, poisson_gaussian

__all__ = [
    "gaussian",
    "poisson",
    "poisson_gaussian",
    "estimate_sigma",
    "estimate_poisson_gaussian",
    "PoissonGaussianEstimate",
    "NoiseModel",
    "from_spec",
]
