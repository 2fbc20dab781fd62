"""The shared click pieces of the ``restore`` commands: parameter types and options.

Owns the parameter types (:class:`PsfSpec`, :class:`NoiseSpec`,
:class:`NumberOrWord`) and the option decorators every command group reuses:
:data:`input_argument` and :data:`clean_argument`, :data:`psf_option` (with the
``--psf-background`` / ``--psf-recentre`` callbacks that keep how a PSF file is
read in ``ctx.meta``), :func:`noise_option`, :func:`output_options`,
:data:`device_option`, :data:`quiet_option`, and the solvers' ``--boundary`` and
``--iterations`` options. Nothing here reads a file or runs a solver.
"""

import os
from pathlib import Path

import click

import restore
from restore import io as image_io
from restore._checks import check_integer, check_number

_PSF_HELP = (
    "Point-spread function: gauss:SIGMA[,SIGMA...], box:SIZE, disk:RADIUS, "
    "motion:LENGTH,ANGLE, airy:WAVELENGTH,NA,PIXEL, "
    "widefield:NA,WAVELENGTH,N,PIXEL,ZSTEP, or a PSF file (.tif/.png/.npy). "
    "Lengths in pixels unless the model says otherwise; values may be named, e.g. "
    "airy:wavelength=0.52,na=1.4,pixel=0.065. A PSF file is read as a measured PSF "
    "(restore.psf.load, as in Python): negative values set to 0 (with a warning), the "
    "border median subtracted as background (--psf-background), the light centroid "
    "moved to the centre (--psf-recentre), normalised to sum 1."
)


# ----------------------------------------------------------- parameter types


class PsfSpec(click.ParamType):
    """A PSF spec (``gauss:2``) or a PSF file, as text.

    Only the form is checked here (non-empty; a file that is named exists):
    the PSF is built with :func:`restore.psf.from_spec` at run time, when the
    image, and so the PSF's number of dimensions, is known.
    """

    name = "psf"

    def convert(self, value, param, ctx):
        text = os.fspath(value).strip() if isinstance(value, (str, os.PathLike)) else ""
        if not text:
            self.fail(f"{value!r} is not a PSF; give a spec such as 'gauss:2' or a "
                      "PSF file", param, ctx)
        path = Path(text)
        if path.suffix.lower() in restore.psf.FILE_SUFFIXES and not path.is_file():
            self.fail(f"psf file '{text}' does not exist; give an existing PSF file "
                      "or a spec such as 'gauss:2'", param, ctx)
        return text


class NoiseSpec(click.ParamType):
    """A noise spec such as ``gaussian:snr=30`` -> :class:`restore.noise.NoiseModel`."""

    name = "noise"

    def convert(self, value, param, ctx):
        if isinstance(value, restore.noise.NoiseModel):
            return value
        try:
            return restore.noise.from_spec(str(value))
        except (TypeError, ValueError) as error:
            self.fail(str(error), param, ctx)


class NumberOrWord(click.ParamType):
    """A finite number, or one of a few words (``auto``).

    The number is checked by :func:`restore._checks.check_number` (or
    :func:`~restore._checks.check_integer`), so the shell refuses a value with
    the sentence Python uses, naming the option and the value as typed:
    ``Invalid value for '--lam': --lam must be a finite positive number or
    'auto', got '-1'``.

    Parameters
    ----------
    words : tuple of str
        Words accepted as they are (lower case), e.g. ``("auto",)``.
    integer : bool
        Accept positive whole numbers only (returned as int).
    bound : {None, "positive", "non-negative"}
        For numbers: any finite number, > 0, or >= 0.
    """

    def __init__(self, words=("auto",), *, integer=False, bound=None):
        self.words = tuple(words)
        self.integer = integer
        self.bound = bound
        kind = "INTEGER" if integer else "NUMBER"
        self.name = "|".join((kind.lower(), *self.words))
        self._metavar = "|".join((kind, *self.words))

    def get_metavar(self, param, ctx=None):
        return self._metavar

    def convert(self, value, param, ctx):
        typed = value
        if isinstance(value, str):
            text = value.strip().lower()
            if text in self.words:
                return text
            try:
                value = int(text) if self.integer else float(text)
            except ValueError:
                pass  # the text itself, refused below by name
        flags = [opt for opt in getattr(param, "opts", ()) if opt.startswith("--")]
        name = flags[0] if flags else (param.name if param is not None and param.name
                                       else "value")
        try:
            if self.integer:
                return check_integer(name, value, words=self.words)
            return check_number(name, value, bound=self.bound, words=self.words)
        except ValueError as error:
            message = str(error)
            if isinstance(typed, str) and ", got " in message:  # the value as typed
                message = message.rsplit(", got ", 1)[0] + f", got {typed!r}"
            self.fail(message, param, ctx)


PSF_SPEC = PsfSpec()
NOISE_SPEC = NoiseSpec()


# ------------------------------------------------------------ option groups


def _compose(*decorators):
    def apply(func):
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


#: The input image (INPUT); the file is checked by :func:`restore.io.read_image`.
input_argument = click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))

def _psf_background(ctx, param, value):
    ctx.meta["psf_background"] = None if value == "none" else value
    return value


def _psf_recentre(ctx, param, value):
    ctx.meta["psf_recentre"] = value
    return value


#: ``--psf SPEC`` (required), with how a PSF file is read (kept in ``ctx.meta``).
psf_option = _compose(
    click.option("--psf", "psf_spec", type=PSF_SPEC, required=True, metavar="SPEC",
                 help=_PSF_HELP),
    click.option("--psf-background", type=NumberOrWord(("auto", "none")), default="auto",
                 show_default=True, metavar="auto|none|NUMBER", expose_value=False,
                 callback=_psf_background,
                 help="For a PSF file: the background subtracted first: the median of "
                      "its border pixels, nothing, or this value."),
    click.option("--psf-recentre/--psf-as-stored", default=True, show_default=True,
                 expose_value=False, callback=_psf_recentre,
                 help="For a PSF file: move the light's centroid to the centre, or keep "
                      "the array's middle pixel as its centre."),
)

#: ``--device cpu|gpu|auto``.
device_option = click.option(
    "--device", type=click.Choice(["cpu", "gpu", "auto"]), default="auto",
    show_default=True,
    help="Where to compute: the GPU (needs CuPy and a CUDA device), the CPU, or "
         "the GPU when one is available.")

#: ``-q/--quiet``.
quiet_option = click.option(
    "-q", "--quiet", is_flag=True,
    help="No progress bar, summary line or notes (errors, clipped values and automatic "
         "choices at a search limit are still printed).")


def output_options(default_name):
    """``-o/--output``, ``--force`` and ``--dtype``; `default_name` describes the default."""
    return _compose(
        click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
                     help=f"Output file; its suffix picks the format (.png, .jpg, .tif, "
                          f".npy). Default: {default_name} beside the input."),
        click.option("--force", is_flag=True,
                     help="Overwrite an existing output file (never the input)."),
        click.option("--dtype", type=click.Choice(["input", "uint8", "uint16", "float32"]),
                     default="input", show_default=True,
                     help="Output dtype: the input's or another; float32 needs .tif or "
                          ".npy."),
        click.option("--rescale", type=click.Choice(image_io.RESCALE_MODES), default="keep",
                     show_default=True,
                     help="How values map onto an integer output: 'keep' them (rounded; "
                          "values outside the range are clipped and counted), map the "
                          "'input' range onto the output's (uint16 0..65535 -> uint8 "
                          "0..255; a float image's 0..1 or min..max), or stretch the "
                          "'result' range onto it."),
    )


def _boundary_option(choices, default="auto", spanning=False):
    """``--boundary``; `spanning`: "auto" is also "unknown" where the PSF spans
    more than half a volume on an axis (TV: :func:`restore.operators.psf_spans_image`)."""
    iterative = "unknown" in choices
    return click.option("--boundary", type=click.Choice(choices), default=default,
                        show_default=True,
                        help="How the image continues past its edges: 'auto' "
                             + ("" if iterative else "blends the edges of a signal or "
                                "image ('smooth'); in a volume it ")
                             + "mirrors it for mirror-symmetric PSFs and otherwise "
                             + ("fits only the observed pixels ('unknown')"
                                if "zero" in choices else "blends its edges ('smooth')")
                             + ("; it takes 'unknown' where the image fades to dark at its "
                                "edges or the PSF is longer than 0.04 of a 2-D image's side"
                                if iterative else "")
                             + (" or half a volume on an axis (a thin stack)" if spanning else "")
                             + "; 'smooth' suits asymmetric PSFs such as motion blur"
                             + ("; 'unknown' fits only the observed pixels (no ringing)."
                                if iterative else "."))


def _iterations_option(cap):
    return click.option(
        "--iterations", type=NumberOrWord(("auto",), integer=True),
        default="auto", show_default=True,
        help=f"Number of iterations, or 'auto' (stop by the solver's rule, at most {cap}).")


def _tol_option(default_rule):
    return click.option(
        "--tol", type=NumberOrWord((), bound="positive"), default=None,
        help="Stop once an iteration changes the estimate by less than this, relative to "
             f"its size, at any iteration count (default: {default_rule}).")


#: What every solver command starts with, and ends with (after its own options).
_solver_input = _compose(input_argument, psf_option)
_solver_run_options = _compose(output_options("INPUT_STEM.METHOD.EXT"), device_option,
                               quiet_option)


# ------------------------------------------------------- clean image, noise


_NOISE_FORMS = ("gaussian:snr=DB, gaussian:sigma=STD, poisson:peak=PHOTONS[,background=PHOTONS], "
                "poisson_gaussian:peak=P,read_noise=E[,gain=G][,offset=ADU]")

#: ``CLEAN`` for the commands that start from a noise-free image.
clean_argument = click.argument("clean_path", metavar="CLEAN", type=click.Path(path_type=Path))


def noise_option(default):
    """``--noise SPEC`` parsed into a :class:`restore.noise.NoiseModel`."""
    return click.option("--noise", type=NOISE_SPEC, default=default, show_default=True,
                        help=f"Noise model: none, {_NOISE_FORMS}.")
