"""restore: classical image and signal restoration.

Recover g from an observation f = g * h + n (a blurred, noisy image, stack or
signal) with classical, well-understood solvers that run on NumPy (CPU) or
CuPy (GPU) alike.

Examples
--------
>>> import restore
>>> from skimage import data
>>> psf = restore.psf.gaussian(2.0)
>>> blurred = restore.blur(data.camera() / 255.0, psf)
>>> restored = restore.wiener(blurred, psf)
"""

from importlib.metadata import PackageNotFoundError, version

from . import metrics, noise, psf
from .comparison import compare, compare_observed, sweep
from .operators import Blur, blur
from .solvers import (
    SOLVERS,
    RestoreInfo,
    inverse,
    richardson_lucy,
    tikhonov,
    tv,
    wavelet,
    wiener,
)

try:
    __version__ = version("restore")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "Blur", "RestoreInfo", "SOLVERS", "blur", "compare", "compare_observed", "inverse",
    "metrics", "noise", "psf", "sweep",
    "richardson_lucy", "tikhonov", "tv", "wavelet", "wiener", "__version__",
]
