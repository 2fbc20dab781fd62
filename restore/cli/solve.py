"""The solver commands of ``restore``: inverse, wiener, tikhonov, rl, tv, wavelet.

Owns one command per solver: its own options (on top of the shared ones of
:mod:`restore.cli._options`), the solver call they bind, and which options were
left to the solver's automatic choice (:func:`_automatic`). Reading, checking
and writing the files is :func:`restore.cli._files._restore_file`. ``restore
batch`` parses its solver options with these commands' parameters.
"""

import functools

import click

import restore
from restore.cli import cli
from restore.cli._files import _restore_file
from restore.cli._options import (
    NumberOrWord,
    _boundary_option,
    _iterations_option,
    _solver_input,
    _solver_run_options,
    _tol_option,
)

_BOUNDARIES = restore.solvers.BOUNDARIES
MAX_ITERATIONS = restore.solvers.MAX_ITERATIONS
_AUTO_WORDS = ("auto",)


def _automatic(**values):
    """Names of the options whose value is the word 'auto'."""
    return tuple(name for name, value in values.items()
                 if isinstance(value, str) and value in _AUTO_WORDS)


# --------------------------------------------------------- solver commands


@cli.command("inverse")
@_solver_input
@click.option("--threshold", type=NumberOrWord(("auto",), bound="positive"), default="auto",
              show_default=True,
              help="Zero the frequencies where |H| < threshold x max|H| (below 1); 'auto' "
                   "picks it by generalised cross-validation.")
@_boundary_option(_BOUNDARIES["inverse"])
@_solver_run_options
def inverse_command(input_path, psf_spec, output, force, dtype, rescale, device, quiet, threshold,
                    boundary):
    """Restore with the truncated inverse filter (to show noise amplification).

    Divides by the OTF where it is large enough. Use wiener or tikhonov for
    real work.

    Example:

    \b
      restore inverse blurred.png --psf gauss:2 --threshold 0.01
    """
    solve = functools.partial(restore.inverse, threshold=threshold, boundary=boundary)
    _restore_file("inverse", solve, input_path, psf_spec, output=output, force=force,
                  dtype=dtype, rescale=rescale, device=device, quiet=quiet,
                  automatic=_automatic(threshold=threshold))


@cli.command("wiener")
@_solver_input
@click.option("--snr", type=NumberOrWord(("auto",)), default="auto", show_default=True,
              help="Signal-to-noise ratio in dB, or 'auto' (noise and signal spectrum "
                   "estimated from the image).")
@click.option("--nsr", type=NumberOrWord((), bound="positive"), default=None,
              help="Constant noise-to-signal power ratio, instead of --snr.")
@_boundary_option(_BOUNDARIES["wiener"])
@_solver_run_options
@click.pass_context
def wiener_command(ctx, input_path, psf_spec, output, force, dtype, rescale, device, quiet, snr, nsr,
                   boundary):
    """Restore with the Wiener filter (linear, minimum mean-square error).

    Example:

    \b
      restore wiener blurred.png --psf gauss:2 --snr 30
      restore wiener photo.jpg --psf motion:21,11 -o sharp.png
    """
    if nsr is not None and ctx.get_parameter_source("snr") is not \
            click.core.ParameterSource.DEFAULT:
        raise click.UsageError("give either --snr or --nsr, not both", ctx=ctx)
    solve = functools.partial(restore.wiener, snr=snr, nsr=nsr, boundary=boundary)
    _restore_file("wiener", solve, input_path, psf_spec, output=output, force=force,
                  dtype=dtype, rescale=rescale, device=device, quiet=quiet,
                  automatic=_automatic(snr=snr) if nsr is None else ())


@cli.command("tikhonov")
@_solver_input
@click.option("--lam", type=NumberOrWord(("auto",), bound="positive"), default="auto",
              show_default=True,
              help="Weight λ of ‖Hx − f‖² + λ‖Rx‖² (scale-free), or 'auto' (generalised "
                   "cross-validation).")
@click.option("--regularizer", type=click.Choice(["laplacian", "gradient", "identity"]),
              default="laplacian", show_default=True,
              help="Penalise curvature, gradient or energy of the estimate.")
@_boundary_option(_BOUNDARIES["tikhonov"])
@_solver_run_options
def tikhonov_command(input_path, psf_spec, output, force, dtype, rescale, device, quiet, lam,
                     regularizer, boundary):
    """Restore by Tikhonov regularisation: argmin ||Hx - f||² + λ||Rx||².

    Example:

    \b
      restore tikhonov blurred.tif --psf disk:3 --lam auto --regularizer gradient
    """
    solve = functools.partial(restore.tikhonov, lam=lam, regularizer=regularizer,
                              boundary=boundary)
    _restore_file("tikhonov", solve, input_path, psf_spec, output=output, force=force,
                  dtype=dtype, rescale=rescale, device=device, quiet=quiet, automatic=_automatic(lam=lam))


@cli.command("rl")
@_solver_input
@_iterations_option(MAX_ITERATIONS["richardson_lucy"])
@_tol_option("none")
@click.option("--accelerate/--no-accelerate", default=None,
              help="Biggs-Andrews acceleration (typically 2-4x fewer iterations). "
                   "Default: on with --iterations auto, off with a given count.")
@click.option("--tv-weight", type=NumberOrWord((), bound="non-negative"), default=0.0,
              show_default=True, help="Weight λ of RL-TV's KL(f, Hx) + λ·TV(x) (scale-free; "
                                      "0: plain RL; typical 0.001-0.01, at most 0.1).")
@click.option("--background", type=NumberOrWord((), bound="non-negative"),
              default=0.0, show_default=True,
              help="Constant background in the image's units (below its maximum); the "
                   "result is the scene without it. Negative pixels (after dark or "
                   "background subtraction) are modelled, not clipped.")
@click.option("--floor", type=NumberOrWord(("auto",), bound="non-negative"), default="auto",
              show_default=True,
              help="A level the scene never goes below (a camera offset, a fluorescence "
                   "background, a sky), kept in the result; the update works above it. "
                   "'auto': with automatic iterations, the flat dark level the darkest "
                   "fifth of the image sits at (none on photos), else 0; 0: off.")
@_boundary_option(_BOUNDARIES["richardson_lucy"])
@_solver_run_options
def rl_command(input_path, psf_spec, output, force, dtype, rescale, device, quiet, iterations, tol,
               accelerate, tv_weight, background, floor, boundary):
    """Restore with Richardson-Lucy (Poisson maximum likelihood; for counts).

    Example:

    \b
      restore rl cells.tif --psf gauss:1.5,1,1 --iterations 50 --accelerate
      restore rl blurred.png --psf gauss:2 --boundary unknown
    """
    solve = functools.partial(restore.richardson_lucy, iterations=iterations, tol=tol,
                              accelerate="auto" if accelerate is None else accelerate,
                              tv_weight=tv_weight, background=background,
                              floor=floor, boundary=boundary)
    _restore_file("rl", solve, input_path, psf_spec, output=output, force=force, dtype=dtype,
                  rescale=rescale, device=device, quiet=quiet,
                  automatic=_automatic(iterations=iterations,
                                       floor=floor if iterations == "auto" else None))


@cli.command("tv")
@_solver_input
@click.option("--lam", type=NumberOrWord(("auto",), bound="positive"), default="auto",
              show_default=True,
              help="Weight λ of ½‖Hx − f‖² + λ·TV(x), in the image's units (twice the "
                   "image, twice λ), or 'auto' (discrepancy principle).")
@click.option("--isotropic/--anisotropic", default=True, show_default=True,
              help="Isotropic TV, or anisotropic (favours axis-aligned edges).")
@click.option("--nonnegative/--allow-negative", default=None,
              callback=lambda ctx, param, value: "auto" if value is None else value,
              help="Constrain the estimate to x >= 0, or not. Default: constrain "
                   "intensities, not signed data (values well below zero).")
@_iterations_option(MAX_ITERATIONS["tv"])
@_tol_option("3e-4 with --iterations auto (1e-4 for volumes)")
@click.option("--rho", type=NumberOrWord((), bound="positive"), default=None,
              help="ADMM penalty: how fast it converges, not to what "
                   "(default: lam / (2.5 × the noise level)).")
@_boundary_option(_BOUNDARIES["tv"], spanning=True)
@_solver_run_options
def tv_command(input_path, psf_spec, output, force, dtype, rescale, device, quiet, lam, isotropic,
               nonnegative, iterations, tol, rho, boundary):
    """Restore by total-variation regularisation (ADMM): sharp edges, flat areas.

    Example:

    \b
      restore tv blurred.png --psf gauss:2 --lam auto --iterations 100
    """
    solve = functools.partial(restore.tv, lam=lam, isotropic=isotropic,
                              nonnegative=nonnegative,
                              iterations=iterations, tol=tol, rho=rho, boundary=boundary)
    _restore_file("tv", solve, input_path, psf_spec, output=output, force=force, dtype=dtype,
                  rescale=rescale, device=device, quiet=quiet,
                  automatic=_automatic(lam=lam, iterations=iterations))


@cli.command("wavelet")
@_solver_input
@click.option("--lam", type=NumberOrWord(("auto",), bound="positive"), default="auto",
              show_default=True,
              help="Weight λ of ½‖Hx − f‖² + λ‖Wx‖₁, in the image's units (twice the "
                   "image, twice λ), or 'auto' (discrepancy principle).")
@click.option("--wavelet", "wavelet_name", default="db4", show_default=True,
              help="An orthogonal PyWavelets wavelet: haar, db2...db8, sym4...")
@click.option("--levels", type=NumberOrWord(("auto",), integer=True),
              default="auto", show_default=True,
              help="Wavelet decomposition levels, at most what the image's size allows; "
                   "'auto' is 3 (fewer for small images).")
@_iterations_option(MAX_ITERATIONS["wavelet"])
@_tol_option("1e-3 with --iterations auto")
@_boundary_option(_BOUNDARIES["wavelet"])
@_solver_run_options
def wavelet_command(input_path, psf_spec, output, force, dtype, rescale, device, quiet, lam,
                    wavelet_name, levels, iterations, tol, boundary):
    """Restore by wavelet-sparse (ℓ1) regularisation, solved by FISTA.

    Runs on the CPU (PyWavelets); --device gpu is accepted but computes there.

    Example:

    \b
      restore wavelet blurred.png --psf gauss:1.5 --wavelet sym4 --levels 3
    """
    solve = functools.partial(restore.wavelet, lam=lam, wavelet_name=wavelet_name,
                              levels=levels, iterations=iterations, tol=tol,
                              boundary=boundary)
    _restore_file("wavelet", solve, input_path, psf_spec, output=output, force=force,
                  dtype=dtype, rescale=rescale, device=device, quiet=quiet,
                  automatic=_automatic(lam=lam, iterations=iterations), gpu_capable=False)
