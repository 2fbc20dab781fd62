"""restore: classical image and signal restoration.

Recover g from an observation f = g * h + n (a blurred, noisy image, stack or
signal) with classical, well-understood solvers that run on NumPy (CPU) or
CuPy (GPU) alike.

Submodules and functions are imported on first use (as scikit-image does), so
``import restore`` and the ``restore`` command start quickly, and the command
can answer Ctrl-C with one line even while NumPy and SciPy are still loading.

Examples
--------
>>> import restore
>>> from skimage import data
>>> psf = restore.psf.gaussian(2.0)
>>> blurred = restore.blur(data.camera() / 255.0, psf)
>>> restored = restore.wiener(blurred, psf)
"""

import importlib

#: Public names -> the submodule that defines them.
_ATTRIBUTES = {
    "compare": ".comparison",
    "compare_observed": ".comparison",
    "sweep": ".comparison",
    "Blur": ".operators",
    "blur": ".operators",
    "SOLVERS": ".solvers",
    "RestoreInfo": ".solvers",
    "inverse": ".solvers",
    "richardson_lucy": ".solvers",
    "tikhonov": ".solvers",
    "tv": ".solvers",
    "wavelet": ".solvers",
    "wiener": ".solvers",
}
_SUBMODULES = ("io", "metrics", "noise", "psf", "operators", "params", "solvers",
               "comparison", "report", "progress")

__all__ = [
    "Blur", "RestoreInfo", "SOLVERS", "blur", "compare", "compare_observed", "inverse",
    "metrics", "noise", "psf", "sweep",
    "richardson_lucy", "tikhonov", "tv", "wavelet", "wiener", "__version__",
]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _ATTRIBUTES:
        value = getattr(importlib.import_module(_ATTRIBUTES[name], __name__), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("restore")
        except PackageNotFoundError:  # a source tree that was not installed
            value = "0.0.0+unknown"
        globals()[name] = value
        return value
    raise AttributeError(f"module 'restore' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__) | set(_SUBMODULES))
