"""``restore batch``: deconvolve many microscopy stacks, unattended.

A thin click layer over :func:`restore.stacks.run_batch`. The solver's options
are the solver command's own: the tokens ``batch`` does not know are parsed
by ``restore METHOD``'s click parameters (so ``--iterations``, ``--lam``,
``--accelerate``... mean and check exactly what they do there).
"""

import sys
from pathlib import Path

import click

from restore.cli._files import _is_terminal, _uses_gpu
from restore.cli._options import PSF_SPEC, device_option, quiet_option
from restore.stacks.batch import DTYPES, run_batch

__all__ = ["batch_command", "solver_options"]

_METHODS = ("inverse", "wiener", "tikhonov", "rl", "tv", "wavelet")
#: Parameters of the solver commands that batch replaces by its own.
_NOT_SOLVER = {"input_path", "psf_spec", "output", "force", "dtype", "rescale", "device",
               "quiet", "psf_background", "psf_recentre"}


def _solver_params(command):
    return [p for p in command.params
            if isinstance(p, click.Option) and p.name not in _NOT_SOLVER]


def _split(tokens, command, ctx):
    """(inputs, solver tokens) from what click left unparsed."""
    params = _solver_params(command)
    takes_value = {}
    for param in params:
        for opt in param.opts:
            takes_value[opt] = not param.is_flag
        for opt in param.secondary_opts:
            takes_value[opt] = False
    inputs, solver = [], []
    tokens = list(tokens)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith("-") and len(token) > 1:
            name, eq, _ = token.partition("=")
            if name not in takes_value:
                known = ", ".join(sorted(o for o in takes_value if o.startswith("--")))
                raise click.UsageError(
                    f"no such option: {name} (options of --method {command.name}: "
                    f"{known or 'none'}; results go to --out DIR)", ctx=ctx)
            solver.append(token)
            if takes_value[name] and not eq:
                if i + 1 >= len(tokens):
                    raise click.UsageError(f"option {name} requires a value", ctx=ctx)
                solver.append(tokens[i + 1])
                i += 1
        else:
            inputs.append(token)
        i += 1
    return inputs, solver


def solver_options(method, tokens, parent=None):
    """The library options for `method` from command-line tokens, parsed by its command.

    Examples
    --------
    >>> solver_options("rl", ["--iterations", "5", "--accelerate"])["iterations"]
    5
    """
    from restore.cli import cli

    command = cli.commands[method]
    context = command.make_context(method, ["INPUT", "--psf", "gauss:1", *tokens],
                                   parent=parent)
    values = {k: v for k, v in context.params.items() if k not in _NOT_SOLVER}
    if method == "wiener" and values.get("nsr") is not None and \
            context.get_parameter_source("snr") is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError("give either --snr or --nsr, not both", ctx=context)
    return values


@click.command("batch", context_settings={"ignore_unknown_options": True,
                                          "help_option_names": ["-h", "--help"]})
@click.argument("inputs", nargs=-1, type=click.UNPROCESSED,
                metavar="INPUTS... [SOLVER OPTIONS]")
@click.option("--method", type=click.Choice(_METHODS), required=True,
              help="The solver; its options are those of 'restore METHOD' "
                   "(e.g. --iterations 20 for rl).")
@click.option("--psf", "psf_specs", type=PSF_SPEC, multiple=True, required=True,
              metavar="SPEC",
              help="PSF spec or file; repeat it for one PSF per channel, or give a PSF "
                   "file with one PSF per channel (C, Z, Y, X). A widefield spec takes "
                   "the voxel size (and the optics recorded) from each file: "
                   "widefield:NA,WAVELENGTH,N.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Folder for the results (created if missing): STEM.METHOD.tif "
                   "(.ome.tif for OME input), or STEM.METHOD.ome.zarr when the result "
                   "does not fit in memory.")
@click.option("--memory-limit", default="4GB", show_default=True, metavar="SIZE",
              help="Memory to stay within, e.g. 4GB or 500MB: sets the chunks.")
@click.option("--per-slice", is_flag=True,
              help="Restore each plane on its own with a 2-D PSF (default: 3-D).")
@click.option("--dtype", type=click.Choice(DTYPES), default="float32", show_default=True,
              help="Output dtype: float32, the input's, or an integer type (rounded; "
                   "values outside its range are clipped and counted in a warning).")
@click.option("--overwrite", is_flag=True,
              help="Redo stacks whose output exists (default: skip them).")
@click.option("--dry-run", is_flag=True,
              help="Only list what would be done and the chunk plan.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run on a dask.distributed cluster (e.g. tcp://10.0.0.5:8786); "
                   "default: the local threaded scheduler.")
@device_option
@quiet_option
@click.pass_context
def batch_command(ctx, inputs, method, psf_specs, out_dir, memory_limit, per_slice, dtype,
                  overwrite, dry_run, scheduler, device, quiet):
    """Deconvolve many TIFF/OME-TIFF/Zarr stacks in 3-D, within a memory limit.

    INPUTS are files, folders or glob patterns. Each stack is restored volume
    by volume (time points and channels recognised from its metadata) in
    chunks with a halo of the PSF's support, automatic parameters decided
    once per volume. Results keep the axes, voxel size, units and channel
    names, with a record of the method and parameters, and are written
    under a temporary name renamed when complete. Finished outputs are
    skipped on a rerun; a stack that fails is reported and the batch goes
    on (exit status 1 when any failed).

    Example:

    \b
      restore batch data/stack.tif --method rl --psf data/psf_widefield.tif \\
          --out restored/ --iterations 10 --background 10
      restore batch 'plates/*.ome.tif' --method rl --psf widefield:1.4,0.52,1.518 \\
          --out out/ --memory-limit 8GB --scheduler tcp://head:8786
    """
    from restore.cli import cli

    command = cli.commands[method]
    paths, tokens = _split(inputs, command, ctx)
    if not paths:
        raise click.UsageError("no INPUTS given; name stack files, folders or glob "
                               "patterns", ctx=ctx)
    options = solver_options(method, tokens, parent=ctx.parent)
    try:  # each chunk is moved to the GPU for its solve, and back
        if _uses_gpu(device, gpu_capable=method != "wavelet"):
            options["device"] = "gpu"
    except ValueError as error:
        raise ValueError(f"--device gpu: {error}") from None
    stream = sys.stderr
    summary = run_batch(
        paths, method=method, psf=list(psf_specs), out=out_dir, memory_limit=memory_limit,
        per_slice=per_slice, dtype=dtype, overwrite=overwrite, dry_run=dry_run,
        scheduler=scheduler, quiet=quiet and not dry_run,
        echo=lambda text: click.echo(text, err=True),
        progress=not quiet and not dry_run and _is_terminal(stream), **options)
    if not quiet or summary.failed:
        click.echo(summary.line(), err=True)
    for result in summary.failed:
        click.echo(f"  failed: {result.path}: {result.message}", err=True)
    return 1 if summary.failed else 0
