"""The result objects of a comparison and their text: ComparisonRow, Comparison, Sweep.

:class:`Comparison` is the table that :func:`restore.comparison.compare` and
:func:`restore.comparison.compare_observed` return, one :class:`ComparisonRow`
per solver; :class:`Sweep` is what :func:`restore.comparison.sweep` returns. Each
writes itself as Markdown, CSV and (in a notebook) HTML; figures and files are
drawn by :mod:`restore.report`.
"""

import csv
import io
import math
from dataclasses import dataclass

from .._display import format_parameters, format_value, html_table

__all__ = ["Comparison", "ComparisonRow", "Sweep"]


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
            cells = [row.method, format_parameters(row.parameters)]
            if self.has_truth:
                cells += [_fixed(row.psnr, 2), _fixed(row.ssim, 4), _fixed(row.isnr, 2)]
            cells += [_fixed(self._residual_ratio(row), 2), f"{row.seconds:.3f}"]
            if oracle:
                best = format_parameters(row.oracle_parameter) if row.oracle_parameter else "—"
                cells += [best, _fixed(row.oracle_psnr, 2), _fixed(row.oracle_gain, 2)]
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
                format_parameters(row.parameters, exact=True),
                _csv(row.psnr), _csv(row.ssim), _csv(row.isnr),
                _csv(row.residual_rms), _csv(self.noise_sigma),
                _csv(row.seconds),
                format_parameters(row.oracle_parameter or {}, exact=True),
                _csv(row.oracle_psnr),
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
            writer.writerow([str(model), _csv(self.levels[i]),
                             _csv(self.observed_psnr[i])]
                            + [_csv(v[i]) for v in self.psnr.values()])
        return buffer.getvalue()


# --------------------------------------------------------------------------- #
# Cell text
# --------------------------------------------------------------------------- #


def _fixed(value, digits):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def _csv(value):
    """A CSV cell: every digit of a float, empty for None."""
    return format_value(value, exact=True)
