"""The ``restore`` command: restore, simulate and inspect from the shell.

A thin click layer over the library: each command reads a file with
:mod:`restore.io`, calls one library function and writes the result through a
temporary file. No algorithm lives here.

This package owns the click group (:data:`cli`), :func:`main`, and the error
contract below with its one-line error and warning printing. The commands live
in one module per command group and register on :data:`cli` when imported:

  solve.py       the six solvers: inverse, wiener, tikhonov, rl, tv, wavelet
  simulate.py    simulate (make test data)
  psf_tools.py   psf (render a PSF, draw its sections)
  compare.py     compare (solvers side by side, report files)
  batch.py       batch (many stacks, chunked, through restore.stacks)
  _options.py    the shared parameter types and option decorators
  _files.py      the shared steps: read the input, build the PSF, check and
                 write the output

Error contract: :class:`RestoreGroup` runs click with ``standalone_mode=False``
and turns every failure (click usage errors, ``ValueError``, ``TypeError``,
``OSError``, ``FloatingPointError``, ``MemoryError``) into one line
``Error: <message>`` on stderr and exit status 2, with no traceback and no
output file; ``--help`` and ``--version`` exit 0; Ctrl-C exits 130 and SIGTERM 143,
each with one line (:mod:`restore._entry` covers the imports too). Set the
environment variable ``RESTORE_TRACEBACK=1`` to see the traceback instead.

Adding a command (e.g. ``compare``): define it in a module of this package with
``@cli.command()`` (or register it with ``cli.add_command(...)``), import that
module at the end of this file, and reuse the option decorators
(:data:`input_argument`, :data:`psf_option`, :func:`output_options`,
:data:`device_option`, :data:`quiet_option`) and parameter types
(:class:`PsfSpec`, :class:`NoiseSpec`, :class:`NumberOrWord`) of
:mod:`restore.cli._options`, re-exported here.
"""

import os
import sys
import warnings

import click

import restore
from restore._signals import exit_for_signal, handled_signals
from restore.cli._options import (
    NoiseSpec,
    NumberOrWord,
    PsfSpec,
    device_option,
    input_argument,
    output_options,
    psf_option,
    quiet_option,
)

__all__ = [
    "NoiseSpec",
    "NumberOrWord",
    "PsfSpec",
    "RestoreGroup",
    "cli",
    "device_option",
    "input_argument",
    "main",
    "output_options",
    "psf_option",
    "quiet_option",
]

#: Exit status for every error (bad input, bad options, failures).
EXIT_ERROR = 2


# --------------------------------------------------------------- the group


class RestoreGroup(click.Group):
    """A click group with the project's error contract (see the module docstring)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        code = self._run(args, prog_name, complete_var, extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(self, args, prog_name, complete_var, extra):
        try:
            with warnings.catch_warnings():
                # a warning from outside the solve (a PSF spec, say) is one line too
                warnings.showwarning = _show_warning
                result = super().main(args=args, prog_name=prog_name,
                                      complete_var=complete_var, standalone_mode=False,
                                      **extra)
        except click.exceptions.NoArgsIsHelpError as error:
            click.echo(error.ctx.get_help())
            return 0
        except BaseException as error:
            # a Ctrl-C or SIGTERM, whatever exception it became on the way
            status = _signal_status(error)
            if status is None and isinstance(error, click.exceptions.Abort):
                status = _signal_status(KeyboardInterrupt())  # end of input at a prompt
            if status is None:
                status = _failure(error)
            if status is None:
                raise
            return status
        status = _signal_status()  # a signal something swallowed after the last check
        if status is not None:
            return status
        return result if isinstance(result, int) and not isinstance(result, bool) else 0


def _signal_status(error=None):
    """Say how a signal ended the command and return its exit status; None when
    no signal came (see :func:`restore._signals.exit_for_signal`)."""
    ending = exit_for_signal(error)
    if ending is None:
        return None
    status, message = ending
    _error(message)
    return status


def _failure(error):
    """Say a user-facing error in one line and return its exit status; None for
    errors of our own code (not the user's input), which are raised on."""
    if isinstance(error, click.ClickException):
        message = error.format_message()
        if isinstance(error, click.UsageError) and error.ctx is not None:
            message += f" (see '{error.ctx.command_path} --help')"
        _error(message)
        return EXIT_ERROR
    if isinstance(error, (ValueError, TypeError, OSError, FloatingPointError, MemoryError)) \
            and not os.environ.get("RESTORE_TRACEBACK"):
        _error(_describe(error))
        return EXIT_ERROR
    return None


def _describe(error):
    """One line for an exception: its sentence, or 'file: reason' for bare OS errors."""
    if isinstance(error, OSError) and error.strerror and len(error.args) >= 2:
        where = error.filename if error.filename is not None else ""
        text = f"{where}: {error.strerror}" if where else error.strerror
    elif isinstance(error, MemoryError):
        text = f"not enough memory ({error or 'allocation failed'}); try a smaller " \
               "image or --device cpu"
    else:
        text = str(error) or type(error).__name__
    return " ".join(text.split())


def _show_warning(message, category, filename, lineno, file=None, line=None):
    click.echo(f"Warning: {_warning_text(message, category)}", err=True)


def _warning_text(message, category):
    """A warning in our words: NumPy's floating-point notes get a sentence around them."""
    text = " ".join(str(message).split())
    if issubclass(category, RuntimeWarning) and "encountered in" in text:
        text = (f"a numerical step hit an overflow or an invalid value ({text}); check "
                "the result, and please report it with the input if it looks wrong")
    return text


def _error(message):
    click.echo(f"Error: {message}", err=True)


@click.group(cls=RestoreGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(restore.__version__, "--version", prog_name="restore",
                      message="%(prog)s %(version)s")
def cli():
    """Restore blurred images and stacks: recover g from f = g*h + n.

    Each solver is a subcommand. The result is written beside the input as
    INPUT_STEM.METHOD.EXT (or -o), in the input's dtype and bit depth, through
    a temporary file: the input is never overwritten and an existing output
    only with --force. Reads PNG, JPEG, TIFF (8/16-bit, float, multi-page
    stacks) and NPY; colour images are restored channel by channel.

    \b
    PSF specs (--psf): gauss:SIGMA[,SIGMA...]  box:SIZE  disk:RADIUS
      motion:LENGTH,ANGLE  airy:WAVELENGTH,NA,PIXEL
      widefield:NA,WAVELENGTH,N,PIXEL,ZSTEP  or a PSF file (.tif/.png/.npy)

    Example:

    \b
      restore simulate clean.png --psf gauss:2 --noise gaussian:snr=30 --seed 1 -o blurred.png
      restore wiener blurred.png --psf gauss:2 --snr 30      # -> blurred.wiener.png
      restore rl stack.tif --psf gauss:1.5,1,1 --iterations auto
    """


def main(args=None):
    """Run the ``restore`` command; return its exit status (console script, ``-m``)."""
    with handled_signals():
        return cli.main(args=args, prog_name="restore", standalone_mode=False)


# ------------------------------------------------------------ the commands
# Each module registers its commands on `cli` as it is imported, in this order;
# batch builds on the solver commands (their options are its own).
from restore.cli import solve, simulate, psf_tools, compare  # noqa: E402,F401
from restore.cli.batch import batch_command  # noqa: E402
from restore.cli.compare import REPORT_FILES, sweep_specs  # noqa: E402,F401

cli.add_command(batch_command)
