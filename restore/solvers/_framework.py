"""What every solver shares: :func:`run_solver` (the image checked, colour
channels restored one at a time through :mod:`restore._channels`, timing), the
result record :class:`RestoreInfo`, :func:`flag_search_limit` and
:func:`gcv_with_floor`. Options are
checked with :mod:`restore._checks`; the iteration loop is in
:mod:`restore.solvers._iterative`."""

import contextvars
import time
import warnings
from dataclasses import dataclass, field

from .. import progress
from .._backend import array_module
from .._channels import per_channel
from .._checks import check_image
from .._context import setting
from .._display import format_parameters, format_value, html_table
from ..operators import mirror_out, prepare
from .. import params
from ..params import search_limit


@dataclass
class RestoreInfo:
    """What a solver did: returned with ``return_info=True``.

    Attributes
    ----------
    method : str
        Solver name ("wiener", "richardson_lucy", ...).
    parameters : dict
        Every parameter actually used, automatic choices resolved to numbers
        (per channel, a list, when `channel_axis` was given).
    iterations : int or None
        Iterations run (None for closed-form solvers).
    stop_reason : str
        Why the solver stopped ("closed form", "iterations", "tol", "discrepancy").
    time : float
        Wall-clock seconds.
    history : list of dict
        Iterative solvers: one dict per iteration of the final solve, with
        ``iteration``, ``change`` (the relative change ‖x_k − x_{k−1}‖/‖x‖,
        None where the iteration did not compute it) and what else it
        measured (``misfit``: the mean squared residual of Richardson–Lucy's
        automatic stop; TV's ADMM residuals). With `channel_axis`, a list of
        such lists, one per channel. Empty for closed-form solvers.
    """

    method: str
    parameters: dict = field(default_factory=dict)
    iterations: int | None = None
    stop_reason: str = "closed form"
    time: float = 0.0
    history: list = field(default_factory=list)

    def summary(self):
        """One line for people: method, parameters, iterations, time."""
        text = f"{self.method} ({format_parameters(self.parameters)})"
        if self.iterations is not None:
            plural = "" if self.iterations == 1 else "s"
            text += f", {self.iterations} iteration{plural} (stopped by {self.stop_reason})"
        return text + f", {self.time:.2f} s"

    def _repr_html_(self):
        rows = [[key, format_value(value)] for key, value in self.parameters.items()]
        if self.iterations is not None:
            rows.append(["iterations", f"{self.iterations} (stopped by {self.stop_reason})"])
        rows.append(["time", f"{self.time:.2f} s"])
        return html_table(["parameter", "value"], rows, caption=f"restore.{self.method}")


def run_solver(method, core, image, psf, *, channel_axis, return_info, unknown=None):
    """Validate, split colour channels, time the run and assemble the result.

    `core(f, h, xp)` restores one channel and returns ``(estimate, parameters,
    iterations, stop_reason)``, and an iterative solver its history after them.
    A channel shorter than the PSF on an axis is mirrored out to the PSF's
    length for `core` and cropped back (with a warning), unless
    ``unknown(shape, psf_shape)`` says `core` solves it with the boundary
    "unknown", whose grid holds the PSF's support and needs no such copy.
    """
    with progress.step(method):
        return _run_solver(method, core, image, psf, channel_axis=channel_axis,
                           return_info=return_info, unknown=unknown)


def _run_solver(method, core, image, psf, *, channel_axis, return_info, unknown):
    start = time.perf_counter()
    xp = array_module(image)
    image = check_image(image, "image", xp=xp, finite=False)  # each channel: prepare()
    records = []  # per channel: (parameters, iterations, stop_reason[, history])

    def restore_channel(channel):
        f, h, _ = prepare(channel, psf, xp=xp, psf_may_exceed=True)
        observed = f
        if unknown is not None and unknown(f.shape, h.shape):
            crop = None
        else:
            f, crop = mirror_out(f, h.shape)
        if crop is None:
            estimate, *record = core(f, h, xp)
        else:
            _warn_mirrored(method, h.shape, crop)
            # the noise level and the callback's estimates of the image, not of the copy
            with params.noise_measured_on(observed), callbacks_see(crop):
                estimate, *record = core(f, h, xp)
        records.append(record)
        return estimate if crop is None else estimate[crop]

    estimate = per_channel(restore_channel, image, channel_axis)
    if channel_axis is None:
        parameters, iterations, stop_reason, *history = records[0]
        history = history[0] if history else []
    else:
        # the union of the channels' keys (a channel may report one the others
        # do not, e.g. RL's offset): None where a channel has none
        keys = dict.fromkeys(key for r in records for key in r[0])
        parameters = {
            key: [r[0].get(key) for r in records]
            if len({repr(r[0].get(key)) for r in records}) > 1 else records[0][0].get(key)
            for key in keys
        }
        iterations = None if records[0][1] is None else max(r[1] for r in records)
        stop_reason = records[0][2]
        history = [r[3] for r in records] if len(records[0]) > 3 else []
    if estimate.base is not None or not estimate.flags.c_contiguous:
        # a crop of the work grid: an array of its own, C-contiguous, not a
        # view that keeps the whole padded grid alive
        estimate = estimate.copy()
    if not return_info:
        return estimate
    info = RestoreInfo(
        method=method,
        parameters=parameters,
        iterations=iterations,
        stop_reason=stop_reason,
        time=time.perf_counter() - start,
        history=history,
    )
    return estimate, info


_CALLBACK_WINDOW = contextvars.ContextVar("restore_callback_window", default=None)


def callbacks_see(window):
    """Within, callbacks see ``estimate[window]`` of the field of view: the
    image's own planes when the solver runs on a mirrored-out copy of it."""
    return setting(_CALLBACK_WINDOW, window)


def callback_window():
    """The window of :func:`callbacks_see` in force, or None."""
    return _CALLBACK_WINDOW.get()


def _warn_mirrored(method, psf_shape, crop):
    shape = tuple(s.stop - s.start for s in crop)
    axes = [a for a, (k, n) in enumerate(zip(psf_shape, shape)) if k > n]
    warnings.warn(
        f"{method}: the PSF {tuple(psf_shape)} is longer than the image {shape} on axis "
        f"{', '.join(map(str, axes))}; the image was mirrored out to the PSF's length for "
        "the solve and cropped back (the scene beyond it taken as its mirror image)",
        UserWarning, stacklevel=5)


class AutomaticChoiceWarning(UserWarning):
    """An automatic parameter choice ended at the edge of its search range."""


def flag_search_limit(parameters, method, name, value, low, high, *, advice):
    """Record and warn when an automatic `value` of `name` is at a search limit.

    The best value may then lie beyond the range, and the result may be
    worse than the input: ``parameters["limit"]`` says so in the summary and
    the tables, and an :class:`AutomaticChoiceWarning` says it once.
    """
    which = search_limit(value, low, high)
    if which is None:
        return
    parameters["limit"] = f"{name} at {which} search limit"
    warnings.warn(
        f"{method}: the automatic {name}={value:.4g} is at the {which} end of its search "
        f"range ({low:.4g}..{high:.4g}); the best value may lie beyond it and the result "
        f"may be poor: {advice}",
        AutomaticChoiceWarning, stacklevel=4)


#: GCV's choice counts as "at its floor" up to this factor above it (a thin
#: stack: 1.19e-4 for a floor of 1e-4).
NEAR_FLOOR = 2.0


def gcv_with_floor(parameters, method, name, value, floor, *, method_key, advice,
                   search_range=None):
    """GCV's `value` of `name`, or ``floor()`` where GCV sat at (near) its
    lower search limit and that is larger (`floor` is called only there).

    The floor is the signal-variance bound: the mean noise-to-signal ratio of
    a Wiener-type filter is at least σ² over the scene's variance (the mean
    of σ²/S(k) is at least σ² over the mean of S(k)), estimated with the
    data's σ̂² / (var f − σ̂²). GCV runs to its floor where the data are
    nearly noise-free (the floor is then right, and the bound below it) but
    also where its model does not fit, as under a widefield PSF whose blur
    removes most of the spectrum: Wiener fell 5.5 dB below the observation
    there and 7.7 dB on a thin stack (now 1.5 and 1.8 dB above it). Only
    there: blur lowers the data's variance below the scene's, so for sparse
    scenes the estimate errs high. Applied to every GCV choice it cost 1.5 dB
    on sparse 3-D blobs (below the observation) and 0.39 dB on a star field;
    even at the floor it costs 0.5–5.5 dB on 1-D signals of blurred blobs,
    whose floor was right (still 4.2–7.1 dB above the observation). Where the
    floor is used, ``parameters[method_key]`` and an
    :class:`AutomaticChoiceWarning` say so; at a search limit otherwise,
    :func:`flag_search_limit`. `search_range` is GCV's (default
    :data:`restore.params.GCV_LAMBDA_RANGE`). Returns the value to use.
    """
    low, high = search_range or params.GCV_LAMBDA_RANGE
    if search_limit(value, low, high, margin=NEAR_FLOOR) == "lower":
        bound = floor()
        if bound > value:
            parameters[name] = bound
            parameters[method_key] = "signal-variance bound (gcv at its floor)"
            parameters["limit"] = f"{name} at lower search limit"
            warnings.warn(
                f"{method}: GCV's {name}={value:.4g} sat at the floor of its search range "
                f"({low:.4g}); used the signal-variance bound {bound:.4g} instead: {advice}",
                AutomaticChoiceWarning, stacklevel=4)
            return bound
    flag_search_limit(parameters, method, name, value, low, high, advice=advice)
    return value
