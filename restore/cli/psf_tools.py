"""``restore psf``: render a PSF from a spec, or clean up a measured one, and write it.

Owns the ``psf`` command and the picture of a PSF's central sections it draws
with ``--show`` (matplotlib, imported only then). The PSF models and the
reading of PSF files are :mod:`restore.psf`. (Not named ``psf.py``, to keep it
apart from :mod:`restore.psf`.)
"""

from pathlib import Path

import click
import numpy as np

import restore
from restore import io as image_io
from restore.cli import cli
from restore.cli._options import PSF_SPEC, quiet_option


def _sections_path(output):
    return output.with_name(f"{output.stem}.sections.png")


def _draw_sections(psf, path, title):
    """Write a PNG of the PSF's central sections (xy; xz and yz for 3-D)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import PowerNorm
    from matplotlib.figure import Figure

    centre = tuple(n // 2 for n in psf.shape)
    if psf.ndim == 1:
        figure = Figure(figsize=(4, 3), layout="constrained")
        axes = figure.add_subplot()
        axes.plot(np.arange(psf.size) - centre[0], psf, marker=".")
        axes.set_xlabel("x (pixels from centre)")
        panels = []
    elif psf.ndim == 2:
        panels = [("xy", psf, "x", "y")]
    else:
        z, y, x = centre[-3:]
        panels = [("xy (z centre)", psf[z], "x", "y"),
                  ("xz (y centre)", psf[:, y, :], "x", "z"),
                  ("yz (x centre)", psf[:, :, x], "y", "z")]
    if panels:
        figure = Figure(figsize=(3.2 * len(panels), 3.4), layout="constrained")
        norm = PowerNorm(gamma=0.5, vmin=0, vmax=float(psf.max()))
        for i, (name, plane, xlabel, ylabel) in enumerate(panels, start=1):
            axes = figure.add_subplot(1, len(panels), i)
            axes.imshow(plane, cmap="magma", norm=norm, interpolation="nearest")
            axes.set_title(name, fontsize=9)
            axes.set_xlabel(xlabel)
            axes.set_ylabel(ylabel)
    scale = ", square-root scale" if panels else ""
    figure.suptitle(f"{title}  {psf.shape}{scale}", fontsize=9)
    FigureCanvasAgg(figure)
    with image_io.atomic_output(path) as tmp:
        figure.savefig(tmp, format="png", dpi=100)


@cli.command("psf")
@click.argument("spec", type=PSF_SPEC)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Output file: .tif or .npy (float32, sums to 1) or .png (16-bit, "
                   "peak scaled to 65535).")
@click.option("--ndim", type=click.IntRange(1, 3), default=None,
              help="Number of axes (default: 3 for widefield, a file's own, else 2).")
@click.option("--show", is_flag=True,
              help="Also write a PNG picture of the central sections, "
                   "OUTPUT_STEM.sections.png.")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@quiet_option
def psf_command(spec, output, ndim, show, force, quiet):
    """Render a PSF from a spec (or clean up a measured one) and write it.

    Example:

    \b
      restore psf gauss:2 -o psf.tif --show
      restore psf widefield:1.4,0.52,1.518,0.1,0.25 -o widefield.tif
    """
    if ndim is None and Path(spec).suffix.lower() in restore.psf.FILE_SUFFIXES:
        psf = restore.psf.load(spec)
    else:
        if ndim is None:
            ndim = 3 if spec.lower().startswith("widefield") else 2
        psf = restore.psf.from_spec(spec, ndim=ndim)
    suffix = output.suffix.lower()
    if image_io.IMAGE_SUFFIXES.get(suffix) == "jpeg":
        raise ValueError("a PSF is not written as JPEG (lossy); use .tif, .npy or .png")
    if image_io.IMAGE_SUFFIXES.get(suffix) == "png":
        data = np.rint(psf / psf.max() * 65535).astype(np.uint16)
    else:
        data = psf.astype(np.float32)
    meta = image_io.ImageMeta.for_array(data)
    output, _ = image_io.check_output(output, meta, overwrite=force)
    picture = _sections_path(output) if show else None
    if picture is not None and picture.exists() and not force:
        raise FileExistsError(f"the picture '{picture}' already exists; pass --force to "
                              "overwrite it")
    image_io.write_image(output, data, meta, overwrite=force)
    if picture is not None:
        _draw_sections(psf, picture, spec)
    if not quiet:
        also = f" and {picture}" if picture is not None else ""
        click.echo(f"psf: {spec}, shape {psf.shape} → {output}{also}", err=True)
