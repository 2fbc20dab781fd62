"""The steps the ``restore`` commands share, from the input file to the output file.

Owns reading the input (:func:`_restore_file`, the whole read → solve → write
path of a solver command), building the PSF for the image
(:func:`_build_psf`, honouring ``--psf-background`` / ``--psf-recentre``),
checking the image against the PSF (:func:`_check_image`), the output's path
and dtype, moving the data to the chosen device, writing through
:func:`restore.io.write_image` (:func:`_write`), printing the warnings caught
on the way (:func:`_report_warnings`) and the status line on a terminal
(:func:`_progress_display`).
"""

import contextlib
import sys
import warnings
from pathlib import Path

import click

import restore
from restore import io as image_io
from restore._backend import cupy_available, require_gpu, to_gpu, to_host
from restore._checks import check_finite, check_psf_fits
from restore.cli import _warning_text


def _is_terminal(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _progress_display(quiet, stream=None):
    """The status line of :mod:`restore.progress` on a terminal's stderr (after 2 s)."""
    stream = sys.stderr if stream is None else stream
    if quiet or not _is_terminal(stream):
        return contextlib.nullcontext()
    return restore.progress.show(stream)


def _uses_gpu(device, *, gpu_capable=True):
    """True when `--device` means the GPU: "gpu" (ValueError without one), or
    "auto" with a GPU present for a solver that can use it."""
    if device == "gpu":
        require_gpu()
        return True
    return device == "auto" and gpu_capable and cupy_available()


def _to_device(image, device, *, gpu_capable=True):
    """The image on the chosen device; True when it is on the GPU."""
    if _uses_gpu(device, gpu_capable=gpu_capable):
        return to_gpu(image), True
    return image, False


def _output_dtype(dtype):
    return None if dtype == "input" else dtype


def _output_path(output, input_path, suffix_name):
    """-o as given, INPUT_STEM.NAME.EXT beside the input, or that name inside a folder -o."""
    default = image_io.default_output(input_path, suffix_name)
    if output is None:
        return default
    output = Path(output)
    return output / default.name if output.is_dir() else output


def _write(output, data, meta, *, dtype, force, rescale, quiet):
    """Write through :func:`restore.io.write_image`, reporting clipped values."""
    with warnings.catch_warnings(record=True) as caught, \
            restore.progress.step(f"writing {output}"):
        warnings.simplefilter("always")
        image_io.write_image(output, data, meta, dtype=_output_dtype(dtype), overwrite=force,
                             rescale=rescale)
    _report_warnings(caught, quiet)  # after the status line is cleared


def _build_psf(psf_spec, meta):
    """The PSF for `meta`'s image: 2-D for a colour photo, 3-D for a stack; a PSF
    file is read as --psf-background and --psf-recentre say."""
    ctx = click.get_current_context(silent=True)
    settings = ctx.meta if ctx is not None else {}
    return restore.psf.from_spec(psf_spec, ndim=meta.spatial_ndim,
                                 background=settings.get("psf_background", "auto"),
                                 recentre=settings.get("psf_recentre", True))


def _report_warnings(caught, quiet):
    """Print each caught warning once. --quiet hides only the note-like ones:
    clipped values and an automatic choice at its limit are always said."""
    from restore.solvers import AutomaticChoiceWarning

    always = (image_io.ClippingWarning, AutomaticChoiceWarning)
    seen = set()
    for warning in caught:
        text = _warning_text(warning.message, warning.category)
        if quiet and not issubclass(warning.category, always):
            continue
        if text not in seen and not issubclass(
                warning.category, (DeprecationWarning, PendingDeprecationWarning,
                                   ResourceWarning)):
            seen.add(text)
            click.echo(f"Warning: {text}", err=True)


def _restore_file(command, solve, input_path, psf_spec, *, output, force, dtype, rescale,
                  device, quiet, automatic=(), gpu_capable=True):
    """Read, restore with `solve`, write, and say what was done.

    `solve` is a solver with its own options bound (functools.partial);
    `automatic` names the options left to the solver's automatic choice.
    Progress (solver, λ search, iterations) is the status line of
    :mod:`restore.progress`.
    """
    with _progress_display(quiet):
        with restore.progress.step(f"reading {input_path}"):
            image, meta = image_io.read_image(input_path)
        output = _output_path(output, input_path, command)
        psf = _build_psf(psf_spec, meta)
        # the input's problems before the output's; a PSF longer than a thin
        # stack is the solver's to meet (it mirrors the stack out, with a warning)
        _check_image(image, psf, meta, psf_may_exceed=True)
        output, _ = image_io.check_output(output, meta, dtype=_output_dtype(dtype),
                                          overwrite=force, rescale=rescale)
        data, on_gpu = _to_device(image, device, gpu_capable=gpu_capable)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            estimate, info = solve(data, psf, channel_axis=meta.channel_axis,
                                   return_info=True)
        _report_warnings(caught, quiet)
        _write(output, to_host(estimate), meta, dtype=dtype, force=force, rescale=rescale,
               quiet=quiet)
    if not quiet:
        line = info.summary()
        if on_gpu:
            line += " on the GPU"
        if automatic:
            line += "; chosen automatically: " + ", ".join(automatic)
        click.echo(f"{line} → {output}", err=True)


def _check_image(image, psf, meta, *, psf_may_exceed=False):
    """The checks the solvers make, made before anything is written."""
    check_finite(image, f"'{meta.path}'")
    if psf_may_exceed:
        return
    spatial = tuple(n for i, n in enumerate(meta.shape)
                    if not meta.is_colour or i != meta.channel_axis % len(meta.shape))
    check_psf_fits(psf.shape, spatial)
