"""What the benchmark scripts share: test cases, timing and Markdown output.

The scripts import this module as ``_common`` (they run as
``python benchmarks/<script>.py``, which puts this folder on ``sys.path``).
Nothing here belongs to the library: it only calls restore's public API.
"""

import math
import os
import platform
import time

import numpy as np

import restore

#: Pixels cut from every side after blurring, so the solver never sees the border.
MARGIN = 24
#: Standard deviation of the additive Gaussian noise (images on [0, 1]).
SIGMA = 0.01
#: One seed for every case: the same noise realisation on every run.
SEED = 0


def load_image(name):
    """A scikit-image sample as float32 on [0, 1]: "camera" or grey "astronaut"."""
    from skimage import color, data

    if name == "camera":
        image = data.camera() / 255.0
    elif name == "astronaut":
        image = color.rgb2gray(data.astronaut())
    else:
        raise ValueError(f"image={name!r} is not a benchmark image; use 'camera' or 'astronaut'")
    return np.asarray(image, dtype=np.float32)


class Case:
    """A deconvolution problem with a known truth.

    The full image is blurred with reflecting borders, then the centre is cut
    out (`margin` pixels off every side) so that light from outside the field
    of view is in the data but the scene that sent it is not, and finally
    Gaussian noise of standard deviation `sigma` is added.

    Attributes
    ----------
    name : str
        "image / psf spec".
    truth : ndarray
        The sharp image on the observed field of view (float32).
    observation : ndarray
        Blurred, cropped, noisy image (float32).
    psf : ndarray
        The PSF (float64, sums to 1), as the solvers are given it.
    """

    def __init__(self, image_name, psf_spec, *, sigma=SIGMA, margin=MARGIN, seed=SEED):
        image = load_image(image_name)
        self.name = f"{image_name} / {psf_spec}"
        self.psf = restore.psf.from_spec(psf_spec, ndim=2)
        blurred = restore.blur(image, self.psf, boundary="reflect")
        window = (slice(margin, -margin),) * 2
        self.truth = image[window].copy()
        rng = np.random.default_rng(seed)
        noise = rng.standard_normal(self.truth.shape) * sigma
        self.observation = (blurred[window] + noise).astype(np.float32)
        self.sigma = sigma

    def psnr(self, estimate):
        """PSNR of `estimate` against the truth, peak 1 (images live on [0, 1])."""
        return psnr(self.truth, estimate)


def psnr(truth, estimate):
    """PSNR in dB with data_range=1: restore.metrics.psnr (skimage's if that is missing)."""
    metrics = getattr(restore, "metrics", None)
    if metrics is not None and hasattr(metrics, "psnr"):
        return metrics.psnr(truth, estimate, data_range=1)
    from skimage.metrics import peak_signal_noise_ratio

    return float(peak_signal_noise_ratio(truth, np.asarray(estimate, truth.dtype), data_range=1))


def repeat(func, repeats=5, warmup=1):
    """Seconds taken by each of `repeats` calls of `func()` (after `warmup` untimed calls)."""
    for _ in range(warmup):
        func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return times


def markdown_table(headers, rows, align=None):
    """A GitHub-flavoured Markdown table as a string (cells are str()-ed)."""
    align = align or ["l"] + ["r"] * (len(headers) - 1)
    rule = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join(rule[a] for a in align) + " |",
    ]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def dB(value, digits=2):
    """A PSNR or gap for a table cell ("—" for missing, "inf" for infinite)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if math.isinf(value):
        return "inf" if value > 0 else "−inf"
    return f"{value:.{digits}f}"


def number(value):
    """A parameter value for a table cell: 4 significant digits."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return str(value)


def environment():
    """One line naming the machine and the versions that matter for the numbers."""
    import scipy
    import skimage

    workers = getattr(getattr(restore, "_backend", None), "FFT_WORKERS", "?")
    return (
        f"restore {restore.__version__}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"scikit-image {skimage.__version__}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPU cores, RESTORE_FFT_WORKERS={workers}"
    )


def verdict(label, passed, detail=""):
    """One "PASS/FAIL target: detail" line."""
    word = "PASS" if passed else "FAIL"
    return f"{word}  {label}" + (f": {detail}" if detail else "")


def rl_fft_plan(f, psf, census, extra=3):
    """(FFTs per RL iteration, their work shape, the boundary RL chose), for
    our RL with default options; `census()` is a context manager whose
    ``calls`` lists ``(name, shape)`` of every FFT made inside it."""
    import restore

    counts = []
    for iterations in (1, 1 + extra):
        with census() as taken:
            _, info = restore.richardson_lucy(f, psf, iterations=iterations, return_info=True)
        counts.append(taken.calls)
    per_iteration = (len(counts[1]) - len(counts[0])) / extra
    shapes = [shape for _, shape in counts[1][len(counts[0]):]]
    common = max(set(shapes), key=shapes.count) if shapes else tuple(f.shape)
    return per_iteration, common, info.parameters.get("boundary", "?")
