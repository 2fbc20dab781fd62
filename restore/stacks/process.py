"""Restore a stack chunk by chunk with :func:`dask.array.map_overlap`.

Each 3-D volume of a stack (each time point and channel; each plane with
``per_slice``) is restored on its own. A volume that fits the memory budget
is restored whole, exactly as the solver would; a bigger one is cut by
:func:`restore.stacks.plan.plan_chunks` into chunks with a halo of the PSF's
full support, each restored alone and trimmed. Under "reflect" or "smooth"
a chunk is laid out as a piece of the volume (:func:`_solve`): padded as the
mode pads the volume's own edges, not at its cut sides, where the halo is
the scene, and solved as periodic on that grid; chunks of one grid share the
PSF's FFT (:func:`restore.operators.reusing_otfs`).

Automatic parameters are decided once per volume, not per chunk, so that the
chunks agree: the solver runs with the user's options on a central block of
one chunk's size (which fits), and every chunk then gets the values it chose:

- Richardson-Lucy, TV, wavelet: the iteration count it stopped at (and no
  `tol`, which would stop chunks at different counts);
- inverse (threshold), Tikhonov, TV, wavelet (lam): the number chosen (every
  weight is the weight of the solver's objective, the same for any chunk);
- Wiener: the fitted noise-to-signal model (level and spectrum exponent);
- TV: its ADMM penalty ρ, which follows the block's noise level (a chunk's
  own noise level would give other iterates at the same count).

Thin stacks: where a volume (or chunk) has fewer planes than the PSF, it is
mirrored out (symmetric padding) to the PSF's length, restored, and cropped
back, so the PSF keeps every plane the data can see.
"""

import contextlib
import warnings
from dataclasses import dataclass, field

import numpy as np

import restore
from restore import params
from restore._backend import FFT_WORKERS, fft_threads, require_gpu, to_gpu, to_host
from restore.operators import (
    PIECE_BOUNDARIES,
    cosine_axes,
    extend_piece,
    forget_otfs,
    mirror_out,
    mirroring_axes,
    prepare,
    resolve_boundary,
    resolve_closed_form_boundary,
    reusing_otfs,
    solved_unknown,
)

from restore.solvers.richardson_lucy import auto_accelerates, step_factors

from .plan import _shape, plan_chunks, solve_bytes

__all__ = ["METHODS", "ArraySource", "VolumeReport", "VolumeSource", "deconvolve_stack",
           "restore_volume", "solver_for"]

#: CLI names -> library solver names.
METHODS = {"inverse": "inverse", "wiener": "wiener", "tikhonov": "tikhonov",
           "rl": "richardson_lucy", "richardson_lucy": "richardson_lucy", "tv": "tv",
           "wavelet": "wavelet"}
_ITERATIVE = ("richardson_lucy", "tv", "wavelet")


def solver_for(method):
    """The library name of `method` ("rl" -> "richardson_lucy")."""
    try:
        return METHODS[method]
    except (KeyError, TypeError):
        raise ValueError(f"method {method!r} is not a solver; choose one of inverse, wiener, "
                         "tikhonov, rl, tv, wavelet") from None


def _sized_unknown(method, boundary, psf_shape, shape):
    """True where `method` resolves `boundary` on a volume of `shape` to
    "unknown" by its size under the PSF alone, as the solvers do
    (:func:`restore.operators.resolve_boundary`'s `spanning`): every iterative
    solver in 1-D and 2-D, TV in volumes as well."""
    takes = method == "tv" or (method in _ITERATIVE and len(shape) < 3)
    return takes and solved_unknown(boundary, psf_shape, shape)


def batch_options(method, options):
    """`options` of a `method` solve as a batch runs it: Richardson-Lucy's
    ``accelerate="auto"`` (the solver's default, None from the command line)
    resolved as the solver resolves it (accelerated with automatic
    iterations), before the chunks are planned (acceleration holds one more
    work array).

    Examples
    --------
    >>> batch_options("rl", {"iterations": "auto", "accelerate": None})["accelerate"]
    True
    >>> batch_options("rl", {"iterations": 20})["accelerate"]
    False
    """
    options = dict(options)
    if (solver_for(method) == "richardson_lucy"
            and options.get("accelerate", "auto") in (None, "auto")):
        options["accelerate"] = auto_accelerates(options.get("iterations", "auto"))
    return options


@dataclass
class VolumeReport:
    """What was done to one volume.

    Attributes
    ----------
    index : tuple
        Position of the volume among the non-spatial axes (time, channel...).
    chosen : dict
        Parameters the chunks used (automatic choices resolved).
    plan : ChunkPlan
    decided_on : tuple or None
        Shape of the block automatic choices were made on (None: the whole
        volume was restored in one piece, choices included).
    """

    index: tuple
    chosen: dict = field(default_factory=dict)
    plan: object = None
    decided_on: tuple | None = None
    pending: object = None


def piece_mode(method, boundary, psf):
    """The boundary mode a chunk of a `method` solve is laid out in as a piece
    (:func:`restore.operators.piece_layout`), or None where the solver pads it.

    "reflect" and "smooth" (what "auto" is without an image for most PSFs);
    not wavelet, whose grid must also be a multiple of its levels' size.
    """
    if method == "wavelet":
        return None
    if boundary == "auto" and method in _ITERATIVE:
        asymmetric = "unknown" if method == "richardson_lucy" else "smooth"
        boundary = resolve_boundary("auto", np.asarray(psf), asymmetric=asymmetric)
    elif boundary == "auto":
        boundary = resolve_closed_form_boundary("auto", np.asarray(psf))
    return boundary if boundary in PIECE_BOUNDARIES else None


def piece_cosine(method, options, psf, shape):
    """The axes the chunks of a `method` solve of a volume of `shape` mirror
    by a DCT (no padding): those the solve of the whole volume would
    (Richardson-Lucy without RL-TV, and TV, under "reflect",
    :func:`restore.operators.cosine_axes`). At a cut side the halo absorbs
    the mirror, as it absorbs a wrap."""
    mirrors = method == "tv" or (method == "richardson_lucy" and not options.get("tv_weight", 0))
    if not mirrors or piece_mode(method, options.get("boundary", "auto"), psf) != "reflect":
        return ()
    return cosine_axes(np.asarray(psf), tuple(shape))


def volume_plan(shape, psf, method, options, *, memory_limit, reserved=0, halo=None,
                threads=1):
    """The :func:`~restore.stacks.plan_chunks` plan of a `method` solve with
    `options` of a volume of `shape`: the chunks laid out in the boundary
    mode they are solved in (:func:`piece_mode`), mirrored by a DCT on the
    volume's axes (:func:`piece_cosine`)."""
    align = None
    if method == "wavelet":
        axes, levels = wavelet_grid(shape, options)
        align = tuple(2**levels if a in axes else 1 for a in range(len(shape)))
    return plan_chunks(tuple(shape), psf.shape, memory_limit=memory_limit, method=method,
                       accelerate=bool(options.get("accelerate", False)), reserved=reserved,
                       halo=halo, threads=threads,
                       boundary=piece_mode(method, options.get("boundary", "auto"), psf),
                       cosine=piece_cosine(method, options, psf, shape), align=align)


def wavelet_grid(shape, options):
    """The axes and levels the wavelet solver transforms a volume of `shape`
    with `options` on: every chunk and the decision block are solved on them
    (:func:`restore.solvers.wavelet.on_grid`), and the chunks start on its
    dyadic grid (:func:`volume_plan`), so each has the volume's prior."""
    from restore.solvers.wavelet import transform_grid

    return transform_grid(shape, options.get("wavelet_name", "db4"),
                          options.get("levels", "auto"))


def _solve(block, psf, method, options, *, wiener_model=None, info=False, cut=None,
           threads=None, volume_shape=None):
    """Restore one block (NumPy) with fixed options; float32 result of its shape.

    ``options["device"] == "gpu"`` moves the block to the GPU for the solve and
    the result back (one copy each way per chunk, none inside the iterations).

    `cut` (per axis, (before, after) flags: true where the block was cut out
    of the volume, its halo on that side) lays a chunk out as a piece of the
    volume when its boundary mode allows (:func:`piece_mode`): the volume's
    own edges padded as the mode pads them, the cut sides not at all (the
    halo is the scene there), and the chunk solved as periodic on that grid
    (:func:`restore.operators.extend_piece`) instead of padded again by the
    solver on every side; the axes the volume's solve mirrors by a DCT
    (:func:`piece_cosine` of `volume_shape`) are mirrored so in the chunk
    too. `threads` limits the solve's FFT threads (chunks
    solved side by side, :attr:`restore.stacks.ChunkPlan.concurrency`). The
    wavelet solver transforms the axes, with the levels, of the volume's
    :func:`wavelet_grid`.
    """
    options = dict(options)
    on_gpu = options.pop("device", "cpu") == "gpu"
    block = np.asarray(block, dtype=np.float32)
    if method == "richardson_lucy" and not isinstance(options.get("floor", "auto"), str):
        # a floor decided on the stack's central block: a chunk darker than
        # it (a dim edge or end plane) is restored without one, not refused
        if float(block.max()) <= float(options.get("background", 0.0)) + options["floor"]:
            options["floor"] = 0.0
    # a block thinner than the PSF is mirrored out, as the solvers do, except
    # where TV solves it with an unknown boundary (whose grid holds the PSF)
    if method == "tv" and solved_unknown(options.get("boundary", "auto"), psf.shape,
                                         block.shape):
        work, crop = block, None
    else:
        work, crop = mirror_out(block, psf.shape)
    # automatic choices read σ̂ off the block itself, not its mirrored-out copy
    noise = contextlib.nullcontext() if crop is None else params.noise_measured_on(block)
    del block
    if on_gpu:
        work = to_gpu(work)
    window, shared, mirrored = None, contextlib.nullcontext(), contextlib.nullcontext()
    mode = piece_mode(method, options.get("boundary", "auto"), psf)
    if (mode is not None and cut is not None and crop is None
            and any(a or b for a, b in cut)):
        # the volume's own choice: a chunk's length on a cut axis is not the volume's
        cosine = piece_cosine(method, options, psf, volume_shape) if volume_shape else ()
        work, window = extend_piece(work, psf.shape, mode, cut, cosine)
        options["boundary"] = "periodic"
        shared = reusing_otfs()  # the chunks' grids are mostly one shape: one PSF FFT
        mirrored = mirroring_axes(cosine)
    limited = contextlib.nullcontext() if threads is None else fft_threads(threads)
    grid = contextlib.nullcontext()
    if method == "wavelet" and volume_shape is not None:
        from restore.solvers.wavelet import on_grid

        grid = on_grid(*wavelet_grid(volume_shape, options))
    with shared, noise, limited, mirrored, grid:
        if wiener_model is not None:
            result = _wiener_fixed(work, psf, wiener_model, options.get("boundary", "auto"))
            solved = (result, None)
        else:
            solved = restore.SOLVERS[method](work, psf, return_info=True, **options)
    del work
    result = solved[0] if crop is None else solved[0][crop]
    if window is not None:
        result = result[window]
    result = np.ascontiguousarray(to_host(result), dtype=np.float32)
    return (result, solved[1]) if info else result


# --------------------------------------------------------------- Wiener model


def _wiener_model(f, psf):
    """Wiener's automatic NSR model fitted to `f` (:func:`restore.solvers.wiener.nsr_model`)."""
    from restore.solvers.wiener import nsr_model

    f, h, xp = prepare(f, psf)
    model, scale, parameters = nsr_model(f, h, xp)
    return {"model": model, "scale": scale, "sigma": parameters["sigma"],
            "spectrum_exponent": parameters["spectrum_exponent"],
            "level": parameters["level"]}


def _wiener_fixed(f, psf, fitted, boundary):
    """Wiener filter with an NSR model fitted elsewhere (the central block)."""
    from restore.operators import WorkDomain
    from restore.solvers.wiener import wiener_filter

    f, h, xp = prepare(f, psf)
    domain = WorkDomain(h, f, resolve_closed_form_boundary(boundary, h))
    ratio = fitted["model"].reciprocal(domain.op.shape, xp, f.dtype, scale=fitted["scale"])
    return wiener_filter(domain, ratio)


# ------------------------------------------------------------- filter reach

#: A closed-form chunk's halo reaches as far as the restoring filter's
#: response to a point carries more than this fraction of its absolute sum
#: (per axis, outside the halo), and at least the PSF's support: at small λ
#: the response rings on well past the PSF. Tikhonov at λ 1e-3 on a 16×64²
#: stack cut in 4: 6.9e-4 of the peak with the PSF's halo (13), 5.1e-5 with
#: this one (20); in 6 smaller chunks the PSF's halo left 1.2e-3.
FILTER_TAIL = 1e-3
#: The response is read on a grid of this many PSF lengths per axis (at most
#: the volume's): a reach beyond half of it is taken as half of it.
REACH_GRID = 8


def filter_reach(psf, method, options, extra, shape):
    """Per axis, the half-width holding all but :data:`FILTER_TAIL` of the
    closed-form `method`'s response to a point (fixed `options`, Wiener's
    fitted model in `extra`), for a volume of `shape`.

    The response is the solver run with ``boundary="periodic"`` on a point
    at the centre of a grid of :data:`REACH_GRID` PSF lengths per axis.

    Examples
    --------
    >>> import restore
    >>> psf = restore.psf.gaussian((1.0, 1.5, 1.5))
    >>> filter_reach(psf, "tikhonov", {"lam": 1e-2}, {}, (64, 256, 256))
    (12, 19, 19)
    """
    grid = tuple(int(min(n, max(REACH_GRID * k, 16))) for n, k in zip(shape, psf.shape))
    point = np.zeros(grid, np.float32)
    point[tuple(n // 2 for n in grid)] = 1.0
    fixed = {**options, "boundary": "periodic"}
    if "wiener_model" in extra:
        response = _wiener_fixed(point, psf, extra["wiener_model"], "periodic")
    else:
        response = restore.SOLVERS[method](point, psf, **fixed)
    response = np.asarray(to_host(response), np.float64)
    # Wiener keeps the mean exactly where its NSR is flat elsewhere: a constant
    # over the grid, which no halo changes (a chunk keeps its own mean)
    response = np.abs(response - np.median(response))
    total = response.sum()
    reach = []
    for axis, n in enumerate(grid):
        profile = response.sum(axis=tuple(a for a in range(len(grid)) if a != axis))
        by_distance = np.bincount(np.abs(np.arange(n) - n // 2), weights=profile)
        # the absolute sum beyond each half-width h: what a halo of h leaves out
        beyond = total - np.cumsum(by_distance)
        enough = np.flatnonzero(beyond <= FILTER_TAIL * total)
        reach.append(int(enough[0]) if enough.size else n // 2)
    return tuple(reach)


# ------------------------------------------------------------------ decisions


def _central(shape, size):
    return tuple(slice((n - min(n, s)) // 2, (n - min(n, s)) // 2 + min(n, s))
                 for n, s in zip(shape, size))


def decide(block, psf, method, options, volume_shape=None):
    """Run the solver on `block` with `options`; the fixed options every chunk gets.

    `block` is cut from a volume of `volume_shape` (default: it is the
    volume), whose wavelet grid it is solved on. Returns ``(chunk_options,
    chosen, extra)`` where `extra` holds the ``wiener_model`` the chunks
    need (Wiener).
    """
    options = dict(options)
    extra = {}
    if method == "wiener" and options.get("nsr") is None and options.get("snr", "auto") == "auto":
        fitted = _wiener_model(np.asarray(block, np.float32), psf)
        extra["wiener_model"] = fitted
        chosen = {k: fitted[k] for k in ("sigma", "spectrum_exponent", "level")}
        chosen["boundary"] = options.get("boundary", "auto")
        return options, chosen, extra
    if method in _ITERATIVE and options.get("boundary", "auto") == "auto":
        # the volume decides: its edges (a chunk's are not the volume's edges)
        # and its size under the PSF (TV's volumes, every iterative solver's images)
        spanning = _sized_unknown(method, "auto", psf.shape, volume_shape or block.shape)
        options["boundary"] = "unknown" if spanning else resolve_boundary(
            "auto", psf, asymmetric="unknown" if method == "richardson_lucy" else "smooth",
            image=np.asarray(block, np.float32))
    given = None
    # Biggs-Andrews' step factor is one number per iteration read over the
    # whole grid: chunks estimating their own would part from each other and
    # from the volume, so the block's factors are recorded and every chunk
    # takes them (the solver's accelerate=sequence)
    replayed = method == "richardson_lucy" and options.get("accelerate") is True
    if (method in _ITERATIVE and options.get("iterations", "auto") != "auto"
            and options.get("tol") is None and not replayed):
        # a given count: nothing the solver chooses depends on how many
        # iterations it runs (λ is searched before the final solve), so one
        given = int(options["iterations"])
        _, info = _solve(block, psf, method, {**options, "iterations": 1}, info=True,
                         volume_shape=volume_shape)
    else:
        _, info = _solve(block, psf, method, options, info=True, volume_shape=volume_shape)
    chosen = dict(info.parameters)
    fixed = dict(options)
    if "boundary" in chosen:
        fixed["boundary"] = chosen["boundary"]
    if method in _ITERATIVE and (options.get("iterations", "auto") == "auto"
                                 or options.get("tol") is not None):
        fixed["iterations"] = int(info.iterations)
        fixed["tol"] = None
    if method in _ITERATIVE:
        chosen["iterations"] = int(info.iterations) if given is None else given
    if replayed:  # the count is the block's (fixed above), one factor per iteration
        fixed["accelerate"] = tuple(step_factors(info))
        chosen["step_factors"] = list(fixed["accelerate"])  # in the record: reproducible
    # chosen by the solver (TV's ADMM penalty follows the block's noise level:
    # a chunk's own would take other iterates to the same count)
    for key in ("threshold", "lam", "floor", "rho"):
        if key in chosen and (options.get(key) is None or isinstance(options.get(key), str)):
            fixed[key] = float(chosen[key])
    return fixed, chosen, extra


# ------------------------------------------------------------------- volumes


class ArraySource:
    """A volume in memory, read region by region like a file (see :class:`VolumeSource`)."""

    def __init__(self, array):
        self.array = array
        self.shape = tuple(array.shape)

    def __call__(self, region):
        return np.asarray(self.array[region])


class VolumeSource:
    """One volume (a time point, channel or plane) of a stack, read region by region.

    Picklable: it holds the stack's region reader, not its data, so each
    chunk task (on a thread or a ``dask.distributed`` worker) reads just its
    own region, halo included, straight from the file.

    Parameters
    ----------
    reader : array-like
        Indexable by a tuple with one int or slice per stored axis.
    spatial : list of int
        Stored positions of the volume's axes (in stored order).
    others : list of int
        Stored positions of the other axes, fixed at `index`.
    index : tuple of int
    shape : tuple of int
        The volume's shape.
    """

    def __init__(self, reader, spatial, others, index, shape):
        self.reader, self.spatial, self.others = reader, list(spatial), list(others)
        self.index, self.shape = tuple(index), tuple(shape)

    def __call__(self, region):
        full = [slice(None)] * (len(self.spatial) + len(self.others))
        for position, i in zip(self.others, self.index):
            full[position] = i
        for position, s in zip(self.spatial, region):
            full[position] = s
        return np.asarray(self.reader[tuple(full)])


def _read_and_solve(source, region, crop, psf, method, options, info=False, threads=None,
                    **extra):
    """Read `region` (chunk + halo) from `source`, restore it, keep `crop`.

    The sides of `region` inside the volume are cut sides (see :func:`_solve`).
    """
    cut = tuple((r.start > 0, r.stop < n) for r, n in zip(region, source.shape))
    result = _solve(source(region), psf, method, options, info=info, cut=cut,
                    threads=threads, volume_shape=source.shape, **extra)
    if info:
        return result[0][crop], result[1]
    return result[crop]


def restore_volume(volume, psf, method, options, *, memory_limit, reserved=0, decided=None,
                   halo=None, threads=1):
    """A lazy restored volume (dask, float32) and its :class:`VolumeReport`.

    `volume` is an array (NumPy), a :class:`VolumeSource` (read from a file
    region by region) or a dask array. Automatic choices are made now (on a
    central block, computed at once), or taken from `decided` (what
    :func:`decide` returned for another volume of the same stack); the chunks
    run when the result is computed.

    Chunks of a NumPy array or a file are independent tasks that each read
    their own region with its halo (no task holds a neighbour's data); a
    dask array goes through :func:`dask.array.map_overlap`. Both trim the
    halo the same way (none beyond the volume's own borders). With
    `threads` > 1 the plan may solve chunks side by side, each on its share
    of the threads (compute with ``report.plan.concurrency`` workers).
    """
    import dask
    import dask.array as da

    method = solver_for(method)
    options = batch_options(method, options)
    psf = np.asarray(psf, dtype=np.float32)
    psf = psf / psf.sum()
    shape = tuple(volume.shape)

    def planned(boundary, reach=None):
        if _sized_unknown(method, boundary, psf.shape, shape):
            boundary = "unknown"  # what the solver takes: the volume's size decides
        return volume_plan(shape, psf, method, {**options, "boundary": boundary},
                           memory_limit=memory_limit, reserved=reserved,
                           halo=reach if halo is None else halo, threads=threads)

    # the chunks' layout follows the boundary they are solved with: the
    # user's, or (iterative "auto") the one the central block resolves
    plan = planned((decided[0] if decided is not None else options).get("boundary", "auto"))
    report = VolumeReport(index=(), plan=plan)
    if isinstance(volume, da.Array):
        source = None
    else:
        source = volume if callable(volume) else ArraySource(np.asarray(volume))
    whole = tuple(slice(0, n) for n in shape)
    if decided is None and plan.whole:
        # one piece: the solver as it is, automatic choices included
        if source is None:
            solved = dask.delayed(_solve, pure=True, nout=2)(
                volume.rechunk(shape), psf, method, options, info=True)
        else:
            solved = dask.delayed(_read_and_solve, pure=True, nout=2)(
                source, whole, whole, psf, method, options, info=True)
        report.pending = solved[1]
        return da.from_delayed(solved[0], shape, dtype=np.float32), report
    if decided is not None:
        fixed, chosen, extra = decided
    else:
        block_shape = tuple(min(n, c + 2 * h)
                            for n, c, h in zip(shape, plan.chunks, plan.halo))
        region = _central(shape, block_shape)
        central = source(region) if source is not None else volume[region].compute()
        fixed, chosen, extra = decide(np.asarray(central, np.float32), psf, method, options,
                                      volume_shape=shape)
        report.decided_on = central.shape
        del central
    reach = None
    if method in ("wiener", "tikhonov") and not plan.whole:  # may ring on past the PSF
        reach = tuple(max(k, r) for k, r in
                      zip(psf.shape, filter_reach(psf, method, fixed, extra, shape)))
    try:
        again = planned(fixed.get("boundary", "auto"), reach)
    except ValueError:  # room for the PSF's halo only
        if reach is None:  # not even that (the chosen boundary pads every chunk)
            raise
        warnings.warn(
            f"{method}: the memory limit leaves room for a halo of the PSF's size "
            f"({_shape(psf.shape)}), not the {_shape(reach)} its filter reaches: chunks "
            "may differ from the whole volume by about 1e-3 of the peak; give a larger "
            "--memory-limit", RuntimeWarning, stacklevel=2)
        again = planned(fixed.get("boundary", "auto"))
    if again != plan:  # e.g. "unknown" from the image: the solver pads every chunk
        plan = report.plan = again
    report.chosen = dict(chosen)
    if source is None:
        if plan.whole:
            return volume.rechunk(shape).map_blocks(
                _solve, psf=psf, method=method, options=fixed, dtype=np.float32,
                meta=np.empty((0,) * len(shape), np.float32), **extra), report
        return _overlapped(volume, plan, psf, method, fixed, extra), report
    return _tiled(source, plan, psf, method, fixed, extra), report


def _tiled(source, plan, psf, method, fixed, extra):
    """One task per chunk: read chunk + halo, restore, trim; assembled with da.block."""
    import dask
    import dask.array as da

    shape = plan.shape
    starts = [range(0, n, c) for n, c in zip(shape, plan.chunks)]
    tiles = np.empty([len(s) for s in starts], dtype=object)
    for position in np.ndindex(*tiles.shape):
        lo = [starts[a][i] for a, i in enumerate(position)]
        hi = [min(s + c, n) for s, c, n in zip(lo, plan.chunks, shape)]
        read_lo = [max(0, s - h) for s, h in zip(lo, plan.halo)]
        read_hi = [min(n, e + h) for e, h, n in zip(hi, plan.halo, shape)]
        region = tuple(slice(a, b) for a, b in zip(read_lo, read_hi))
        crop = tuple(slice(s - a, e - a) for s, e, a in zip(lo, hi, read_lo))
        task = dask.delayed(_read_and_solve, pure=True)(source, region, crop, psf, method,
                                                       fixed, threads=plan.threads, **extra)
        tiles[position] = da.from_delayed(task, tuple(e - s for s, e in zip(lo, hi)),
                                          dtype=np.float32)
    return da.block(tiles.tolist())


def _solve_overlapped(block, psf, method, options, block_info=None, **extra):
    """:func:`_solve` for map_overlap: the cut sides from the block's place
    (`extra`: the volume's shape and the plan's threads, as :func:`_solve` takes)."""
    cut = None
    if block_info is not None and None in block_info:
        where = block_info[None]
        cut = tuple((i > 0, i < n - 1)
                    for i, n in zip(where["chunk-location"], where["num-chunks"]))
    return _solve(block, psf, method, options, cut=cut, **extra)


def _overlapped(volume, plan, psf, method, fixed, extra):
    """Each chunk with its halo restored alone, then trimmed (dask map_overlap)."""
    volume = volume.rechunk(plan.chunks)
    depth = {axis: h for axis, h in enumerate(plan.halo)}
    return volume.map_overlap(_solve_overlapped, depth=depth, boundary="none",
                              dtype=np.float32, psf=psf, method=method, options=fixed,
                              threads=plan.threads, volume_shape=plan.shape,
                              meta=np.empty((0,) * volume.ndim, np.float32), **extra)


#: dask's graph optimisation fuses a whole-volume solve into the array's
#: task under a new name, while the solver's info still asks for it under
#: the old one: the volume was solved twice, at once (2.0× the time and the
#: memory of one solve). Our graphs are a few tasks per chunk: nothing to fuse.
COMPUTE_OPTIMIZED = False


def chosen_parameters(report, info=None):
    """The parameters a volume used; `info` is its computed ``report.pending``.

    Accelerated Richardson-Lucy's include its ``step_factors`` (one per
    iteration): given back as ``accelerate=``, they reproduce the result.
    """
    if info is None:
        return dict(report.chosen)
    values = dict(info.parameters)
    if info.iterations is not None:
        values["iterations"] = info.iterations
    if info.method == "richardson_lucy" and values.get("accelerate") is True:
        values["step_factors"] = step_factors(info)
    return values


def deconvolve_stack(image, psf, *, method="rl", memory_limit="4GB", halo=None,
                     return_info=False, scheduler="threads", device="cpu", **options):
    """Restore a 3-D (or 2-D) volume in chunks that fit `memory_limit`.

    Parameters
    ----------
    image : array_like or dask.array.Array
        The volume (z, y, x), NumPy or dask; read chunk by chunk.
    psf : array_like
        PSF with one axis per image axis.
    method : str, optional
        "inverse", "wiener", "tikhonov", "rl", "tv" or "wavelet".
    memory_limit : str or int, optional
        Memory one solve may use ("4GB", "500MB" or bytes). A volume that
        fits is restored whole; a bigger one in chunks with a halo of the
        PSF's support (the interior agrees with the whole-volume result to
        about 1e-3 of its peak).
    halo : tuple of int, optional
        Halo per axis on each interior side of a chunk; default the PSF's
        shape (its full support). Smaller halos show the seams.
    return_info : bool, optional
        Also return a :class:`VolumeReport` (the plan and the parameters used).
    scheduler : str or distributed.Client, optional
        Dask scheduler ("threads" by default, or a client).
    device : {"cpu", "gpu"}, optional
        Where each chunk is restored: "gpu" moves it to the GPU (CuPy) for its
        solve and back; ValueError when no GPU is available.
    **options
        The solver's own options (``iterations=``, ``lam=``...). Automatic
        choices are made once, on a central block, and given to every chunk.

    Returns
    -------
    estimate : ndarray of float32
    report : VolumeReport
        Only with ``return_info=True``.

    Examples
    --------
    >>> import numpy as np, restore
    >>> from restore.stacks import deconvolve_stack
    >>> volume = np.random.default_rng(0).poisson(20, (16, 64, 64)).astype(np.float32)
    >>> psf = restore.psf.gaussian((1.0, 1.5, 1.5))
    >>> out = deconvolve_stack(volume, psf, method="rl", iterations=5, memory_limit="20MB")
    >>> out.shape, out.dtype
    ((16, 64, 64), dtype('float32'))
    """
    from .plan import parse_memory

    limit = parse_memory(memory_limit)
    if device not in ("cpu", "gpu"):
        raise ValueError(f'device must be "cpu" or "gpu", got {device!r}')
    if device == "gpu":
        require_gpu()
        options = {**options, "device": "gpu"}
    local = scheduler == "threads"
    result, report = restore_volume(image, psf, method, options, memory_limit=limit,
                                    halo=halo, threads=FFT_WORKERS if local else 1)
    import dask

    extra = {}
    if local:  # not the name: dask would import distributed to look for a client
        import dask.threaded

        scheduler = dask.threaded.get
        extra["num_workers"] = report.plan.concurrency  # their memory is what the plan has
    try:
        estimate, info = dask.compute(result, report.pending, scheduler=scheduler,
                                      optimize_graph=COMPUTE_OPTIMIZED, **extra)
    finally:
        forget_otfs()
    report.chosen = chosen_parameters(report, info)
    report.pending = None
    return (estimate, report) if return_info else estimate


__all__ += ["chosen_parameters", "decide", "solve_bytes", "volume_plan"]
