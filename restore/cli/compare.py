"""``restore compare``: solvers side by side on a clean image, as report files.

Owns the ``compare`` command, the ``--sweep`` text it expands into noise specs
(:func:`sweep_specs`) and the names of the report files it writes
(:data:`REPORT_FILES`). The comparison itself is :mod:`restore.comparison`,
the files :mod:`restore.report`.
"""

import time
from pathlib import Path

import click

import restore.solvers
from restore import io as image_io
from restore.cli import cli
from restore.cli._files import _build_psf, _check_image, _progress_display
from restore.cli._options import clean_argument, noise_option, psf_option, quiet_option


def sweep_specs(text):
    """Expand ``noise=MODEL:KEY=V1,V2,…[,OTHER=V]`` into one noise spec per value.

    Bare numbers after ``KEY=V1`` are further values of that key; exactly one
    key may vary. ``noise=gaussian:snr=10,20,30`` gives ``gaussian:snr=10``,
    ``gaussian:snr=20`` and ``gaussian:snr=30``.
    """
    kind, _, spec = text.partition("=")
    if kind.strip() != "noise" or ":" not in spec:
        raise ValueError(f"--sweep {text!r} is not understood; give noise=MODEL:KEY=V1,V2,... "
                         "e.g. noise=poisson:peak=10,30,100")
    model, _, arguments = spec.partition(":")
    settings, key = [], None  # [key, [values]] in the order given
    for token in arguments.split(","):
        token = token.strip()
        if "=" in token:
            key, value = (part.strip() for part in token.split("=", 1))
            settings.append([key, [value]])
        elif token and settings:
            settings[-1][1].append(token)
    varying = [k for k, values in settings if len(values) > 1]
    if len(varying) != 1:
        raise ValueError(f"--sweep {text!r} must vary exactly one parameter; "
                         "e.g. noise=gaussian:snr=10,20,30")
    specs = []
    for value in next(values for _, values in settings if len(values) > 1):
        parts = [f"{k}={value if len(values) > 1 else values[0]}" for k, values in settings]
        specs.append(f"{model.strip()}:" + ",".join(parts))
    return specs


REPORT_FILES = ("table.md", "table.csv", "montage.png", "sweep.png", "sweep.csv")


@cli.command("compare")
@clean_argument
@psf_option
@noise_option("gaussian:snr=30")
@click.option("--methods", default="all", show_default=True,
              help="Solvers to compare: 'all' or a comma list of "
                   "inverse,wiener,tikhonov,rl,tv,wavelet.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Random seed of the noise: the same seed gives the same report.")
@click.option("--tune", type=click.Choice(["auto", "oracle"]), default="auto",
              show_default=True,
              help="'oracle' also finds each method's best parameter against the clean "
                   "image, beside the automatic choice.")
@click.option("--sweep", "sweep_text", default=None, metavar="noise=MODEL:KEY=V1,V2,...",
              help="Also plot PSNR against noise level (sweep.png), e.g. "
                   "noise=poisson:peak=10,30,100,300.")
@click.option("--boundary", type=click.Choice(restore.solvers.COMMON_BOUNDARIES),
              default="auto", show_default=True,
              help="Boundary handling for every method.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("report"),
              show_default=True, help="Folder for table.md, table.csv, montage.png.")
@click.option("--force", is_flag=True, help="Replace report files already in --out.")
@quiet_option
def compare_command(clean_path, psf_spec, noise, methods, seed, tune, sweep_text, boundary,
                    out_dir, force, quiet):
    """Compare solvers side by side on a clean image you blur and add noise to.

    Writes OUT/table.md and table.csv (method, parameters used, PSNR, SSIM,
    ISNR, time) and montage.png (clean, observed and each restoration on one
    grey scale, with a zoomed detail); with --sweep also sweep.png.

    Example:

    \b
      restore compare clean.png --psf gauss:2 --noise poisson:peak=100 --methods all --out report/
      restore compare clean.png --psf motion:15,30 --tune oracle --sweep noise=gaussian:snr=15,25,35
    """
    from restore.comparison import compare, sweep
    from restore.report import write_report

    start = time.perf_counter()
    specs = sweep_specs(sweep_text) if sweep_text else None
    existing = [name for name in REPORT_FILES if (out_dir / name).exists()]
    if existing and not force:
        raise ValueError(f"'{out_dir}' already holds {', '.join(existing)}; pass --force to "
                         "replace them, or choose another folder with --out")
    image, meta = image_io.read_image(clean_path)
    psf = _build_psf(psf_spec, meta)
    _check_image(image, psf, meta)
    options = dict(methods=methods, seed=seed, boundary=boundary,
                   channel_axis=meta.channel_axis if meta.is_colour else None)
    with _progress_display(quiet):
        comparison = compare(image, psf, noise=noise, tune=None if tune == "auto" else tune,
                             **options)
        swept = sweep(image, psf, noise_specs=specs, **options) if specs else None
    comparison.psf_description = psf_spec  # "motion:15,30" says more than "array 9×15"
    if swept is not None:
        swept.psf_description = psf_spec
    paths = write_report(comparison, out_dir, sweep=swept)
    if not quiet:
        click.echo(comparison.to_markdown(), err=True)
        click.echo(f"compare: {len(comparison.rows)} methods, {noise.describe()}, seed {seed}, "
                   f"{time.perf_counter() - start:.1f} s → "
                   + ", ".join(str(p) for p in paths), err=True)
