"""From a memory limit to a chunk shape and a halo.

A chunk is restored on its own with a halo of the PSF's full support on each
side (interior sides only; the stack's own borders keep the solver's boundary
handling). With that halo the interior of the result agrees with restoring
the whole volume at once to about 1e-3 of the peak (measured on the bundled
stack for 20 Richardson-Lucy iterations: 7e-4; half the support gave 7e-3).

Memory of one chunk's solve: the solvers work on the chunk plus its halo on
a periodic work grid, and hold a number of float32 arrays of that size at
their peak. Where the boundary mode is "reflect" or "smooth" the chunk is
laid out as a piece of the volume (:func:`restore.operators.piece_layout`):
padded only at the volume's own edges, a few pixels of blend across its cut
sides (the halo is the scene there), a fast FFT length, and no padding on
the axes Richardson-Lucy mirrors by a DCT (a tall PSF's z); otherwise the
solver pads it on every side as it pads an image (mirrored out by half a PSF
and closed by a seam as wide, :class:`restore.operators.WorkDomain`). The factors below were measured with
:mod:`tracemalloc` on 3-D stacks (32-64 planes, 96-160 px) with a 21×31×31
widefield PSF, plus a margin; the process's peak RSS in ``restore batch``
stayed within the limit in benchmarks/stacks.py.
"""

import functools
import itertools
import math
import os
import re
from dataclasses import dataclass

import numpy as np

from restore._backend import next_fast_length

__all__ = ["ChunkPlan", "WORK_ARRAYS", "axis_pieces", "parse_memory", "plan_chunks",
           "process_memory"]

#: Float32 work-grid arrays alive at a solver's peak (measured 3.7-4.2 for
#: Wiener, Tikhonov and RL; RL on a grid with an axis mirrored by a DCT 4.5,
#: the DCT's output held while the FFT runs; 4.8-5.2 accelerated RL; 23-25 TV;
#: 11-16 wavelet).
WORK_ARRAYS = {"inverse": 5.0, "wiener": 5.0, "tikhonov": 5.0, "richardson_lucy": 5.0,
               "richardson_lucy+accelerate": 6.0, "tv": 27.0, "wavelet": 18.0}
#: Chunk sides are not cut below this (the halo would dominate the work).
MIN_SIDE = 16
#: What each FFT thread beyond the first adds to one chunk's speed. At chunk
#: sizes (72×288×288, 72×200×200, 32×288×288 float32 grids, 2 cores) a
#: second thread made an FFT pair 1.1-1.2× faster, while two chunks on one
#: thread each ran 1.65-1.74× faster than one after the other: the chunks
#: of a plan run side by side (:attr:`ChunkPlan.concurrency`) where the
#: smaller chunks that lets fit cost less than that gains.
THREAD_GAIN = 0.15
_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9,
          "t": 1e12, "tb": 1e12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_memory(text):
    """Bytes from ``"4GB"``, ``"500MB"``, ``"2GiB"`` or a number of bytes.

    Examples
    --------
    >>> parse_memory("4GB"), parse_memory("512MiB"), parse_memory(1000)
    (4000000000, 536870912, 1000)
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*",
                             str(text))
        unit = match.group(2).lower() if match else None
        if not match or unit not in _UNITS:
            raise ValueError(f"memory limit {text!r} is not understood; give a size such as "
                             "'4GB', '500MB' or '2GiB'")
        value = float(match.group(1)) * _UNITS[unit]
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"memory limit {text!r} must be a positive size such as '4GB'")
    return int(value)


def process_memory():
    """Resident memory of this process now, in bytes (150 MB when unknown)."""
    try:
        with open("/proc/self/statm") as file:
            return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return 150 * 10**6


@dataclass
class ChunkPlan:
    """How one volume is cut.

    Attributes
    ----------
    shape : tuple of int
        The volume's spatial shape.
    chunks : tuple of int
        Chunk shape (interior, without halo).
    halo : tuple of int
        Halo on each side, per axis (0 where the axis is not cut).
    task_bytes : int
        Estimated peak memory of one chunk's solve.
    budget : int
        Memory the plan had for its solves.
    concurrency : int
        Chunks solved at once (their memory together within `budget`).
    threads : int or None
        FFT threads each of those solves uses (None: the default, all).
    """

    shape: tuple
    chunks: tuple
    halo: tuple
    task_bytes: int
    budget: int
    concurrency: int = 1
    threads: int | None = None

    @property
    def count(self):
        """Number of chunks."""
        return math.prod(-(-n // c) for n, c in zip(self.shape, self.chunks))

    @property
    def whole(self):
        """True when the volume is one chunk (restored as a whole, no halo)."""
        return self.count == 1

    def describe(self):
        """One line for people."""
        if self.whole:
            return (f"whole volume {_shape(self.shape)} in one piece "
                    f"(~{_size(self.task_bytes)} of {_size(self.budget)})")
        grid = "x".join(str(-(-n // c)) for n, c in zip(self.shape, self.chunks))
        at_once = (f", {self.concurrency} at a time on {self.threads} thread"
                   f"{'s' if self.threads != 1 else ''} each" if self.concurrency > 1 else "")
        return (f"{self.count} chunks ({grid}) of {_shape(self.chunks)} with halo "
                f"{_shape(self.halo)} (~{_size(self.task_bytes)} each of "
                f"{_size(self.budget)}{at_once})")


def _shape(shape):
    return "×".join(str(n) for n in shape)


def _size(nbytes):
    for unit, factor in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= factor:
            return f"{nbytes / factor:.3g} {unit}"
    return f"{nbytes} B"


def work_shape(block_shape, psf_shape, cosine=()):
    """The solvers' work grid for a block: mirrored out by k//2+1, a seam as wide, fast
    sizes; the `cosine` axes (mirrored by a DCT) as they are."""
    return tuple(n if a in cosine else next_fast_length(n + 3 * (k // 2 + 1))
                 for a, (n, k) in enumerate(zip(block_shape, psf_shape)))


def solve_bytes(block_shape, psf_shape, method, *, accelerate=False, work=None, cosine=()):
    """Estimated peak bytes of one solve on a block (halo included).

    `work` is the block's work grid when it is not :func:`work_shape`'s
    (a chunk laid out as a piece of the volume, :func:`axis_pieces`): the
    block is then let go once it is on the grid, and the solver (periodic)
    makes no copy of its own. Measured with :mod:`tracemalloc` on the
    benchmark's chunks (32×282×282 read, 72×288×288 grid, RL): 181 MB of
    227 estimated padded by the solver, 108 MB of 140 as a piece.
    """
    key = method + ("+accelerate" if accelerate and method == "richardson_lucy" else "")
    copies = 4 if work is None else 2
    work = math.prod(work_shape(block_shape, psf_shape, cosine) if work is None else work)
    block = math.prod(block_shape)
    # work arrays + the block read (float32) and its result and their copies
    return int(WORK_ARRAYS.get(key, 6.0) * work * 4 + copies * block * 4)


@functools.lru_cache(maxsize=4096)
def axis_pieces(n, chunk, halo, k, boundary, mirrored=False):
    """The work-grid lengths of the chunks along one axis, laid out as pieces.

    An axis of length `n` cut in chunks of `chunk` with `halo` each side,
    for a PSF of length `k`, each chunk on the grid of
    :func:`restore.operators.piece_layout` under `boundary` (`mirrored`:
    the axis is mirrored by a DCT, not padded). Returns
    ``(lengths, reads)``: each chunk's work length and read length (halo in).
    """
    from restore.operators import piece_layout

    lengths, reads = [], []
    for start in range(0, n, chunk):
        lo, hi = max(0, start - halo), min(n, start + chunk + halo)
        cut = ((lo > 0, hi < n),)
        lengths.append(piece_layout((k,), (hi - lo,), boundary, cut,
                                    (0,) if mirrored else ())[0][0])
        reads.append(hi - lo)
    return tuple(lengths), tuple(reads)


def _candidates(n, halo, align=1):
    """Chunk lengths along an axis of length `n`: n, n/2, n/3... down to MIN_SIDE,
    each but `n` rounded up to a multiple of `align`."""
    lengths, parts = [], 1
    while True:
        length = -(-n // parts)
        if length < n:
            length = min(n, -(-length // align) * align)
        if lengths and length < max(MIN_SIDE, halo // 2):
            break
        if not lengths or length != lengths[-1]:
            lengths.append(length)
        if length == 1:
            break
        parts += 1
    return lengths


def plan_chunks(shape, psf_shape, *, memory_limit, method="richardson_lucy",
                accelerate=False, reserved=0, halo=None, boundary=None, threads=1,
                cosine=(), align=None):
    """Choose the chunk shape and halo for a volume under a memory limit.

    Parameters
    ----------
    shape : tuple of int
        Spatial shape of the volume (z, y, x) or (y, x).
    psf_shape : tuple of int
        The PSF's shape (same number of axes).
    memory_limit : int
        Bytes one solve may use (what is left of the limit after the
        process itself and any result held in memory: `reserved`).
    method : str
        Solver name (sets how many work arrays a solve holds).
    accelerate : bool
        Accelerated Richardson-Lucy (one more work array).
    reserved : int
        Bytes of the limit already taken.
    halo : tuple of int, optional
        Halo per axis; default the PSF's shape (its full support).
    boundary : {"reflect", "smooth"}, optional
        The mode chunks are laid out in as pieces of the volume
        (:func:`restore.stacks.process.piece_mode`): padded only at the
        volume's own edges. None: each chunk padded by the solver on every
        side (the work grid of :func:`work_shape`).
    cosine : tuple of int
        Axes the solve mirrors by a DCT (no padding), chunks as the whole
        volume (:func:`restore.operators.cosine_axes`).
    threads : int
        Threads the chunks may use. With more than one, chunks may run
        side by side (``concurrency``), each on its share of the threads,
        their solves together within the limit.
    align : tuple of int, optional
        Per axis, a length every chunk and halo along it is a multiple of,
        so that each chunk starts at a multiple of it in the volume (the
        wavelet solver's dyadic grid, :func:`restore.solvers.wavelet.transform_grid`).

    Returns
    -------
    ChunkPlan
        The whole volume when it fits (one solve on every thread); else
        the chunking and concurrency with the least time, taken as the
        total work (halo and padding included) over the speed of the
        solves at once (:data:`THREAD_GAIN`): the time goes with the work
        grid's voxels, so a cut along the PSF's longest axis or more,
        smaller chunks lose to fewer, larger ones, unless running them
        side by side gains more.

    Raises
    ------
    ValueError
        If not even the smallest chunk fits in the limit.

    Examples
    --------
    >>> plan = plan_chunks((32, 512, 512), (21, 31, 31), memory_limit=100e6)
    >>> plan.whole, plan.halo
    (False, (0, 31, 31))
    """
    shape, psf_shape = tuple(int(n) for n in shape), tuple(int(k) for k in psf_shape)
    budget = int(memory_limit - reserved)
    halo = tuple(psf_shape) if halo is None else tuple(int(h) for h in halo)
    whole = solve_bytes(shape, psf_shape, method, accelerate=accelerate, cosine=cosine)
    if whole <= budget:
        return ChunkPlan(shape, shape, (0,) * len(shape), whole, budget)
    align = (1,) * len(shape) if align is None else tuple(int(a) for a in align)
    halo = tuple(-(-h // a) * a for h, a in zip(halo, align))
    best = None
    options = [_candidates(n, h, a) for n, h, a in zip(shape, halo, align)]
    # per axis and chunk length: (length, halo, largest read, largest grid
    # length, the axis's share of the total grid: count x grid, or their sum)
    axes = []
    for axis, (n, h, k, lengths) in enumerate(zip(shape, halo, psf_shape, options)):
        rows = []
        for c in lengths:
            cut = h if c < n else 0
            if boundary is None:
                block = min(n, c + 2 * cut)
                grid = next_fast_length(block + 3 * (k // 2 + 1))
                rows.append((c, cut, block, grid, -(-n // c) * grid))
            else:
                grids, reads = axis_pieces(n, c, cut, k, boundary, axis in cosine)
                rows.append((c, cut, max(reads), max(grids), sum(grids)))
        axes.append(rows)
    threads = max(1, int(threads))
    for rows in itertools.product(*axes):
        chunk = tuple(r[0] for r in rows)
        if chunk == shape:
            continue
        need = solve_bytes(tuple(r[2] for r in rows), psf_shape, method, accelerate=accelerate,
                           work=tuple(r[3] for r in rows))
        at_once = min(threads, budget // max(need, 1), math.prod(-(-n // c) for n, c in
                                                                  zip(shape, chunk)))
        if at_once < 1:
            continue
        each = threads // at_once
        time = math.prod(r[4] for r in rows) / (at_once * (1 + THREAD_GAIN * (each - 1)))
        if best is None or time < best[0]:
            best = (time, ChunkPlan(shape, chunk, tuple(r[1] for r in rows), need, budget,
                                    at_once, each if threads > 1 else None))
    if best is None:
        smallest = tuple(o[-1] for o in options)
        block = tuple(min(n, c + 2 * h) for c, n, h in zip(smallest, shape, halo))
        need = solve_bytes(block, psf_shape, method, accelerate=accelerate) + reserved
        raise ValueError(
            f"the memory limit ({_size(memory_limit)}) is too small for a {_shape(shape)} "
            f"volume with a {_shape(psf_shape)} PSF; give at least {_size(need)}")
    return best[1]
