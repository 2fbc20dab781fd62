"""``restore simulate``: make test data from a clean image.

Owns the ``simulate`` command: blur a clean image with a PSF (colour channel
by channel) and add noise from a :class:`restore.noise.NoiseModel`, written
through the shared steps of :mod:`restore.cli._files`.
"""

import time

import click
import numpy as np

import restore
from restore import io as image_io
from restore._channels import per_channel
from restore.cli import cli
from restore.cli._files import _build_psf, _check_image, _output_dtype, _output_path, _write
from restore.cli._options import (
    clean_argument,
    noise_option,
    output_options,
    psf_option,
    quiet_option,
)


@cli.command("simulate")
@clean_argument
@psf_option
@noise_option("none")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Random seed, for the same noise every time (default: a fresh "
                   "seed, printed in the summary).")
@click.option("--boundary", type=click.Choice(restore.operators.FORWARD_BOUNDARIES),
              default="reflect", show_default=True,
              help="How the clean image continues past its edges when blurred.")
@output_options("CLEAN_STEM.simulated.EXT")
@quiet_option
def simulate_command(clean_path, psf_spec, noise, seed, boundary, output, force, dtype,
                     rescale, quiet):
    """Make test data: blur a clean image with a PSF and add noise.

    The result is in the clean image's units and dtype (rounded and clipped;
    use --dtype float32 with a .tif/.npy output to keep it exact).

    Example:

    \b
      restore simulate clean.png --psf gauss:2 --noise gaussian:snr=30 --seed 1 -o blurred.png
      restore simulate cells.tif --psf gauss:1.5,1,1 --noise poisson:peak=100 -o sim.tif
    """
    start = time.perf_counter()
    image, meta = image_io.read_image(clean_path)
    output = _output_path(output, clean_path, "simulated")
    psf = _build_psf(psf_spec, meta)
    _check_image(image, psf, meta, psf_may_exceed=boundary != "periodic")
    output, _ = image_io.check_output(output, meta, dtype=_output_dtype(dtype),
                                      overwrite=force, rescale=rescale)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0] >> 1)
    blurred = per_channel(lambda x: restore.blur(x, psf, boundary=boundary), image,
                          meta.channel_axis)
    noisy = noise(blurred, seed=seed)
    _write(output, noisy, meta, dtype=dtype, force=force, rescale=rescale, quiet=quiet)
    if not quiet:
        click.echo(f"simulate: blurred by {psf_spec} (boundary {boundary}), "
                   f"{noise.describe()}, seed {seed}, "
                   f"{time.perf_counter() - start:.2f} s → {output}", err=True)
