"""Compare solvers side by side: one observation, many solvers, one honest table.

:func:`compare` simulates an observation from a clean image (blur by the PSF, then
a noise model with a fixed seed), restores it with every chosen solver using its
*automatic* parameters, and scores each result against the truth (PSNR, SSIM,
ISNR). With ``tune="oracle"`` it also sweeps each solver's main parameter against
the truth, so the cost of choosing parameters automatically is visible beside the
best that solver could have done. :func:`compare_observed` does the same for real
data with no ground truth, where only a no-reference figure is available, and
:func:`sweep` repeats a comparison over noise levels.

Figures and files (montage, PSNR-against-noise plot, table.md/table.csv) are drawn
by :mod:`restore.report`; nothing in this module reads or writes files.

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

import csv
import io
import math
import os
from dataclasses import dataclass

import numpy as np

from .. import metrics, params
from .. import noise as noise_module
from .. import psf as psf_module
from .._backend import array_module, float_dtype, to_host
from .._display import html_table
from ..operators import blur as _blur
from ..solvers import SOLVERS
from ..solvers._framework import _fmt

__all__ = [
    "ORACLE_GRIDS",
    "Comparison",
    "ComparisonRow",
    "Sweep",
    "compare",
    "compare_observed",
    "sweep",
]

#: The oracle's search: per solver, the parameter swept and the values tried.
#: Richardson–Lucy is run once, to the last count, and every iterate is scored.
#: TV and wavelet λ are relative to the estimated noise level (see their solvers).
ORACLE_GRIDS = {
    "inverse": ("threshold", tuple(float(10.0**e) for e in np.arange(-4.0, -0.24, 0.25))),
    "wiener": ("snr", tuple(float(v) for v in np.arange(5.0, 45.01, 2.5))),
    "tikhonov": ("lam", tuple(float(v) for v in np.logspace(-5.0, 0.0, 13))),
    "richardson_lucy": ("iterations", range(1, 201)),
    "tv": ("lam", (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8)),
    "wavelet": ("lam", (0.02, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6)),
}

#: Short names the shell uses, mapped to :data:`restore.SOLVERS` names.
ALIASES = {"rl": "richardson_lucy"}

#: Options that :func:`compare` sets itself and `parameters` may not override.
_RESERVED = ("channel_axis", "return_info", "callback")


# --------------------------------------------------------------------------- #
# Results
# --------------------------------------------------------------------------- #


@dataclass
class ComparisonRow:
    """One solver's line in a :class:`Comparison`.

    Attributes
    ----------
    method : str
        Solver name, a key of :data:`restore.SOLVERS`.
    parameters : dict
        The parameters the solver actually used (automatic choices resolved to
        numbers), plus ``iterations`` for iterative solvers.
    psnr, ssim, isnr : float or None
        Quality against the truth (PSNR and ISNR in dB); None without a truth.
        The data range is the clean image's ``max - min``.
    seconds : float
        Wall-clock run time of the solver.
    residual_rms : float
        The no-reference figure ``‖H ĝ − f‖ / √N`` (see :func:`compare_observed`).
    oracle_parameter : dict or None
        With ``tune="oracle"``: the best value of the solver's main parameter
        against the truth, e.g. ``{"snr": 27.5}``.
    oracle_psnr : float or None
        The PSNR at `oracle_parameter`.
    oracle_scan : tuple of (value, psnr) pairs
        Every value the oracle tried, with its PSNR (every iterate for RL).
    """

    method: str
    parameters: dict
    psnr: float | None
    ssim: float | None
    isnr: float | None
    seconds: float
    residual_rms: float = math.nan
    oracle_parameter: dict | None = None
    oracle_psnr: float | None = None
    oracle_scan: tuple = ()

    @property
    def oracle_gain(self):
        """``oracle_psnr − psnr`` in dB: what the automatic choice cost (None if untuned)."""
        if self.oracle_psnr is None or self.psnr is None:
            return None
        return self.oracle_psnr - self.psnr


@dataclass(repr=False)
class Comparison:
    """Result of :func:`compare` or :func:`compare_observed`.

    Attributes
    ----------
    clean : ndarray or None
        The truth (None for :func:`compare_observed`), as float.
    observed : ndarray
        The observation every solver restored.
    restored : dict
        Solver name → restored array, in the order of `rows`.
    rows : list of ComparisonRow
        One per solver.
    noise : NoiseModel or None
        The noise model that made `observed` (None for real data).
    psf_description : str
        The PSF spec, or the shape of a PSF array.
    seed : int or None
        Seed of the noise; the same seed reproduces `observed` exactly.
    psf : ndarray
        The normalised PSF used.
    channel_axis : int or None
        Axis of colour channels.
    noise_sigma : float
        RMS noise estimated from `observed` alone: ``sqrt(a·mean(f) + b)`` from
        :func:`restore.noise.estimate_poisson_gaussian` (σ for Gaussian noise, the
        average photon + read noise otherwise), :func:`restore.noise.estimate_sigma`
        for images under about 5000 pixels; RMS over channels.
    observed_psnr, observed_ssim : float or None
        Quality of the observation itself against the truth.
    tune : str or None
        ``"oracle"`` when the oracle columns were filled.
    """

    clean: object
    observed: object
    restored: dict
    rows: list
    noise: object
    psf_description: str
    seed: int | None
    psf: object = None
    channel_axis: int | None = None
    noise_sigma: float = math.nan
    observed_psnr: float | None = None
    observed_ssim: float | None = None
    tune: str | None = None
    boundary: str = "auto"

    @property
    def has_truth(self):
        """True when a clean image was given (PSNR, SSIM, ISNR are filled)."""
        return self.clean is not None

    def header(self):
        """One line naming the noise model with its parameters, the PSF and the seed."""
        shape = "×".join(str(n) for n in self.observed.shape)
        image = f"image {shape} {self.observed.dtype}"
        if self.channel_axis is not None:
            image += f" (channel axis {self.channel_axis})"
        if not self.has_truth:
            return (f"Observed data (no ground truth); PSF {self.psf_description}; "
                    f"{image}; estimated noise σ̂ = {self.noise_sigma:.4g}.")
        seed = "none (not reproducible)" if self.seed is None else str(self.seed)
        return (f"Noise: {self.noise.describe()} (`{self.noise}`); PSF {self.psf_description}; "
                f"seed {seed}; {image}.")

    def to_markdown(self):
        """The table as Markdown, under a header naming noise model, PSF and seed.

        Returns
        -------
        text : str
            A ``#`` title, the header line, a line on the observation, and one
            table row per solver. With an oracle, three more columns: the best
            parameter, its PSNR and the gain over the automatic choice.
        """
        lines = ["# Deconvolution comparison", "", self.header(), ""]
        if self.has_truth:
            lines.append(
                f"Observed: PSNR {self.observed_psnr:.2f} dB, "
                f"SSIM {_fixed(self.observed_ssim, 4)}; estimated noise "
                f"σ̂ = {self.noise_sigma:.4g}. Parameters are the automatic choices; "
                "residual/σ̂ = ‖Hĝ − f‖/√N ÷ σ̂ (≈ 1: fits the data to the noise level)."
            )
        else:
            lines.append(
                "Parameters are the automatic choices. Residual/σ̂ = ‖Hĝ − f‖/√N ÷ σ̂: "
                "≈ 1 explains the data down to the noise; well below 1 fits the noise "
                "(under-regularised); well above 1 leaves signal unexplained "
                "(over-smoothed)."
            )
        lines.append("")
        header, rows = self._table()
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join(":---" if i < 2 else "---:" for i in range(len(header))) + "|")
        lines.extend("| " + " | ".join(cells) + " |" for cells in rows)
        return "\n".join(lines) + "\n"

    def _table(self):
        """The column names and one list of text cells per solver."""
        header = ["Method", "Parameters"]
        if self.has_truth:
            header += ["PSNR (dB)", "SSIM", "ISNR (dB)"]
        header += ["Residual/σ̂", "Time (s)"]
        oracle = self.tune == "oracle"
        if oracle:
            header += ["Oracle parameter", "Oracle PSNR (dB)", "Oracle gain (dB)"]
        rows = []
        for row in self.rows:
            cells = [row.method, _parameter_text(row.parameters)]
            if self.has_truth:
                cells += [_fixed(row.psnr, 2), _fixed(row.ssim, 4), _fixed(row.isnr, 2)]
            cells += [_fixed(self._residual_ratio(row), 2), f"{row.seconds:.3f}"]
            if oracle:
                cells += [_parameter_text(row.oracle_parameter) if row.oracle_parameter else "—",
                          _fixed(row.oracle_psnr, 2), _fixed(row.oracle_gain, 2)]
            rows.append(cells)
        return header, rows

    def __repr__(self):
        best = ""
        if self.rows:
            row = self.best()
            best = f"; best {row.method}" + (f" ({row.psnr:.2f} dB)" if self.has_truth else
                                             " (by the discrepancy)")
        return f"<Comparison of {len(self.rows)} solvers. {self.header().rstrip('.')}{best}>"

    def _repr_markdown_(self):
        return self.to_markdown()

    def _repr_html_(self):
        header, rows = self._table()
        caption = self.header()
        if self.has_truth:
            caption += f" Observed: PSNR {self.observed_psnr:.2f} dB."
        return html_table(header, rows, caption=caption, right_from=2)

    def to_csv(self):
        """The table as CSV text (one row per solver, full precision, a header row).

        Columns: method, parameters (``key=value; ...``), psnr, ssim, isnr,
        residual_rms, noise_sigma, seconds, oracle_parameter, oracle_psnr, noise
        (the spec), psf, seed. Empty cells where a value does not apply.
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["method", "parameters", "psnr", "ssim", "isnr", "residual_rms",
                         "noise_sigma", "seconds", "oracle_parameter", "oracle_psnr",
                         "noise", "psf", "seed"])
        for row in self.rows:
            writer.writerow([
                row.method,
                "; ".join(f"{k}={_csv_value(v)}" for k, v in row.parameters.items()),
                _csv_value(row.psnr), _csv_value(row.ssim), _csv_value(row.isnr),
                _csv_value(row.residual_rms), _csv_value(self.noise_sigma),
                _csv_value(row.seconds),
                "; ".join(f"{k}={_csv_value(v)}" for k, v in (row.oracle_parameter or {}).items()),
                _csv_value(row.oracle_psnr),
                "" if self.noise is None else str(self.noise),
                self.psf_description,
                "" if self.seed is None else self.seed,
            ])
        return buffer.getvalue()

    def best(self, by=None):
        """The row of the best solver.

        Parameters
        ----------
        by : {"psnr", "ssim", "isnr", "oracle_psnr", "discrepancy"}, optional
            What "best" means. Default: "psnr" with a truth, else "discrepancy":
            the residual RMS closest to the estimated noise σ̂ (on a log scale),
            a heuristic, not a measure of quality.

        Returns
        -------
        row : ComparisonRow
        """
        if by is None:
            by = "psnr" if self.has_truth else "discrepancy"
        allowed = ("psnr", "ssim", "isnr", "oracle_psnr", "discrepancy")
        if by not in allowed:
            raise ValueError(f"by={by!r} is not known; use one of {', '.join(map(repr, allowed))}")
        if not self.rows:
            raise ValueError("this comparison has no rows")
        if by == "discrepancy":
            def key(row):
                ratio = self._residual_ratio(row)
                return -abs(math.log(ratio)) if ratio > 0 and math.isfinite(ratio) else -math.inf
        else:
            if not self.has_truth:
                raise ValueError(f"best(by={by!r}) needs a ground truth; this comparison "
                                 "has none (use by='discrepancy')")
            if by == "oracle_psnr" and self.tune != "oracle":
                raise ValueError("best(by='oracle_psnr') needs compare(..., tune='oracle')")

            def key(row):
                value = getattr(row, by)
                return -math.inf if value is None or math.isnan(value) else value
        return max(self.rows, key=key)

    def _residual_ratio(self, row):
        if not self.noise_sigma > 0:
            return math.nan
        return row.residual_rms / self.noise_sigma


@dataclass(repr=False)
class Sweep:
    """PSNR against noise level, from :func:`sweep`.

    Iterating gives ``(noise_model, {method: psnr})`` pairs, one per level.

    Attributes
    ----------
    noise : list of NoiseModel
        One per level, in the order given.
    parameter : str or None
        The noise parameter that varies ("snr", "sigma", "peak", ...), or None
        when the models differ in more than one way (levels are then 0, 1, ...).
    levels : list of float
        The value of `parameter` at each level.
    psnr : dict
        Method → list of PSNR (dB), one per level.
    observed_psnr : list of float
        PSNR of the observation itself at each level.
    psf_description : str
    seed : int or None
    """

    noise: list
    parameter: str | None
    levels: list
    psnr: dict
    observed_psnr: list
    psf_description: str
    seed: int | None
    model_name: str = ""

    def __len__(self):
        return len(self.noise)

    def __repr__(self):
        return (f"<Sweep of {len(self.psnr)} solvers over {len(self.noise)} noise levels "
                f"({self.parameter or 'level'} = {', '.join(f'{v:g}' for v in self.levels)})>")

    def _repr_html_(self):
        header = [self.parameter or "level", "observed"] + list(self.psnr)
        rows = [[f"{level:g}", _fixed(self.observed_psnr[i], 2)]
                + [_fixed(values[i], 2) for values in self.psnr.values()]
                for i, level in enumerate(self.levels)]
        return html_table(header, rows, caption=f"PSNR (dB) against noise; PSF "
                                                f"{self.psf_description}", right_from=0)

    def __iter__(self):
        for i, model in enumerate(self.noise):
            yield model, {method: values[i] for method, values in self.psnr.items()}

    def __getitem__(self, i):
        return list(self)[i]

    def to_csv(self):
        """CSV text: one row per level (noise spec, level, observed PSNR, a column per method)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["noise", self.parameter or "level", "observed"] + list(self.psnr))
        for i, model in enumerate(self.noise):
            writer.writerow([str(model), _csv_value(self.levels[i]),
                             _csv_value(self.observed_psnr[i])]
                            + [_csv_value(v[i]) for v in self.psnr.values()])
        return buffer.getvalue()


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

    blurred = _per_channel(lambda x: _blur(x, h, boundary="reflect"), clean, channel_axis, xp)
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
            residual_rms=_residual_rms(estimate, observed, h, channel_axis, xp),
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
    observed, xp = _as_image(observed, "observed")
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
            residual_rms=_residual_rms(estimate, observed, h, channel_axis, xp),
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
    if image is None or isinstance(image, (str, bytes)):
        raise TypeError(f"{name} must be an array, got {type(image).__name__}")
    xp = array_module(image)
    image = xp.asarray(image)
    if image.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {image.dtype}")
    if image.size == 0 or image.ndim == 0:
        raise ValueError(f"{name} must be a non-empty array, got shape {image.shape}")
    image = image.astype(float_dtype(image.dtype))
    if not bool(xp.isfinite(image).all()):
        raise ValueError(f"{name} contains NaN or Inf values")
    return image, xp


def _spatial_ndim(image, channel_axis, name):
    if channel_axis is None:
        ndim = image.ndim
    else:
        if isinstance(channel_axis, bool) or not isinstance(channel_axis, (int, np.integer)) \
                or not -image.ndim <= channel_axis < image.ndim:
            raise ValueError(f"channel_axis={channel_axis!r} is not an axis of {name} with "
                             f"shape {tuple(image.shape)}")
        ndim = image.ndim - 1
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


def _per_channel(func, image, channel_axis, xp):
    if channel_axis is None:
        return func(image)
    channels = xp.moveaxis(image, channel_axis, -1)
    result = xp.stack([func(channels[..., c]) for c in range(channels.shape[-1])], axis=-1)
    return xp.moveaxis(result, -1, channel_axis)


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
    x = to_host(observed)
    channels = [x] if channel_axis is None else list(np.moveaxis(x, channel_axis, 0))
    return math.sqrt(float(np.mean([params.noise_sigma(c) ** 2 for c in channels])))


def _residual_rms(estimate, observed, h, channel_axis, xp):
    """‖H ĝ − f‖/√N over pixels at least a PSF half-width from every border."""
    reblurred = _per_channel(lambda x: _blur(x, h, boundary="reflect"), estimate,
                             channel_axis, xp)
    residual = np.asarray(to_host(reblurred), dtype=np.float64) \
        - np.asarray(to_host(observed), dtype=np.float64)
    if channel_axis is not None:
        residual = np.moveaxis(residual, channel_axis, -1)
    window = tuple(slice(k // 2, n - k // 2) if n > 2 * (k // 2) else slice(None)
                   for k, n in zip(h.shape, residual.shape))
    inner = residual[window]
    return float(np.sqrt(np.mean(inner * inner)))


def _oracle(name, clean, observed, h, boundary, channel_axis, fixed, truth_range):
    """Best value of `name`'s main parameter against the truth: (parameter, psnr, scan)."""
    key, grid = ORACLE_GRIDS[name]
    options = {"boundary": boundary, **fixed}
    if name == "richardson_lucy":
        scan = _oracle_iterations(observed, h, clean, channel_axis, options, max(grid),
                                  truth_range)
    else:
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
    return {key: value}, best, tuple(scan)


def _oracle_iterations(observed, h, clean, channel_axis, options, count, truth_range):
    """One Richardson–Lucy run of `count` iterations, every iterate scored.

    Colour channels are run one at a time, so that the per-iteration errors of
    all channels can be added before the best count is chosen.
    """
    options = {k: v for k, v in options.items() if k not in ("iterations", "tol")}
    xp = array_module(observed)
    truth = xp.asarray(clean).astype(xp.float64)  # on the estimate's device: no copies per iterate
    if channel_axis is None:
        pairs = [(observed, truth)]
    else:
        f = xp.moveaxis(observed, channel_axis, -1)
        t = xp.moveaxis(truth, channel_axis, -1)
        pairs = [(f[..., c], t[..., c]) for c in range(f.shape[-1])]
    squared_errors = np.zeros(count)
    for f, t in pairs:
        def track(k, estimate, t=t):
            squared_errors[k - 1] += float(((t - estimate.astype(xp.float64)) ** 2).sum())

        SOLVERS["richardson_lucy"](f, h, iterations=count, callback=track, **options)
    mse = squared_errors / truth.size
    with np.errstate(divide="ignore"):
        psnr = 10.0 * np.log10(truth_range**2 / mse)
    return [(k, float(psnr[k - 1])) for k in range(1, count + 1)]


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


def _parameter_text(parameters):
    return ", ".join(f"{k}={_fmt(v)}" for k, v in parameters.items())


def _fixed(value, digits):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(_csv_value(v) for v in value) + "]"
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return str(value)
