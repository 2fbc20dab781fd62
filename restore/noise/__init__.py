"""Noise: simulate it (Gaussian, Poisson, a camera), estimate it, name it in text."""

from .models import (
    NoiseModel,
    PoissonGaussianEstimate,
    estimate_poisson_gaussian,
    estimate_sigma,
    from_spec,
    gaussian,
    poisson,
    poisson_gaussian,
)

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
