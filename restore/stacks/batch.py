"""The batch driver behind ``restore batch``: many stacks, unattended, nothing lost.

For each stack: skip it when its output exists (unless `overwrite`), read it
lazily, build one PSF per channel, restore every volume (time point,
channel; every plane with `per_slice`) in chunks that fit the memory limit,
convert to the output dtype (counting what an integer dtype clips), and write
under a temporary name renamed when complete: TIFF (ImageJ or OME, as the
input) when the result fits in memory, OME-Zarr otherwise. A stack that fails
is reported and the batch goes on; the summary counts done, skipped, failed.
"""

import json
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

import restore

from .._backend import FFT_WORKERS
from .._display import format_value
from .._signals import raise_if_received
from ..io import atomic_output, convert
from ..operators import forget_otfs
from .discover import discover, output_stem
from .plan import parse_memory, process_memory
from .process import (COMPUTE_OPTIMIZED, VolumeSource, batch_options, chosen_parameters,
                      decide, restore_volume, solver_for, volume_plan)
from .psfs import psfs_for
from .stackio import SPATIAL, atomic_directory, open_stack, record_json, \
    region_reader, write_tiff, write_zarr_begin

__all__ = ["BatchSummary", "FileResult", "convert", "output_path", "run_batch"]

#: Output dtypes: float32 (default), the input's, or an integer type.
DTYPES = ("float32", "input", "uint8", "uint16")


@dataclass
class FileResult:
    """What happened to one input: status "done", "skipped", "failed" or "planned"."""

    path: Path
    status: str
    output: Path | None = None
    message: str = ""
    seconds: float = 0.0
    clipped: int = 0
    parameters: list = field(default_factory=list)


@dataclass
class BatchSummary:
    """All the files of a batch, in order."""

    results: list = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status):
        """How many files ended with `status`."""
        return sum(r.status == status for r in self.results)

    @property
    def failed(self):
        """The failed files' results."""
        return [r for r in self.results if r.status == "failed"]

    def line(self):
        """One line for people."""
        parts = [f"{self.count('done')} done", f"{self.count('skipped')} skipped (already done)",
                 f"{self.count('failed')} failed"]
        if self.count("planned"):
            parts = [f"{self.count('planned')} to do", parts[1]]
        return f"batch: {len(self.results)} files: " + ", ".join(parts) + \
            f" in {self.seconds:.1f} s"


# ------------------------------------------------------------------- dtypes


# ------------------------------------------------------------------- naming


def output_path(path, meta_format, out_dir, method, *, zarr):
    """Where the result of `path` goes: OUT/STEM.METHOD.tif, .ome.tif or .ome.zarr."""
    stem = output_stem(path)
    if zarr:
        suffix = ".ome.zarr"
    elif meta_format in ("ome-tiff", "ome-zarr"):
        suffix = ".ome.tif"
    else:
        suffix = ".tif"
    return Path(out_dir) / f"{stem}.{method}{suffix}"


def _candidates(path, out_dir, method):
    stem = output_stem(path)
    return [Path(out_dir) / f"{stem}.{method}{s}" for s in (".tif", ".ome.tif", ".ome.zarr")]


# ------------------------------------------------------------------- one file


def _volumes(meta, per_slice):
    """(spatial axes, non-spatial axes) of the stack, as index lists."""
    spatial = [i for i, a in enumerate(meta.axes) if a in ("YX" if per_slice else SPATIAL)]
    if len(spatial) < 2:
        raise ValueError(f"'{meta.path}' has axes {meta.axes}: no Y and X to restore")
    others = [i for i in range(len(meta.axes)) if i not in spatial]
    return spatial, others


def _describe_parameters(values):
    """`key=value` text of the parameters; a range (or list) where volumes differ.

    Examples
    --------
    >>> _describe_parameters([{"iterations": 9, "tv_weight": 0.0}, {"iterations": 12, "tv_weight": 0.0}])
    'iterations=9..12, tv_weight=0'
    """
    if not values:
        return ""
    parts = []
    for key in (k for k in values[0] if k not in ("boundary", "step_factors")):
        seen = [v.get(key) for v in values]
        numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in seen)
        if len({format_value(x) for x in seen}) == 1:
            parts.append(f"{key}={format_value(seen[0])}")
        elif numbers:
            parts.append(f"{key}={format_value(min(seen))}..{format_value(max(seen))}")
        else:
            parts.append(f"{key}={format_value(list(seen))}")
    return ", ".join(parts)


class _Job:
    """One stack: its plan, lazy result and how it is written."""

    def __init__(self, path, *, method, options, psf_specs, out_dir, limit, per_slice,
                 dtype, baseline, threads=1):
        self.path = Path(path)
        self.threads = threads
        self.method = method
        self.solver = solver_for(method)
        self.options = options
        _, self.meta = open_stack(path)
        self.spatial, self.others = _volumes(self.meta, per_slice)
        self.per_slice = per_slice
        self.psfs, self.psf_text = psfs_for(psf_specs, self.meta, per_slice=per_slice)
        self.dtype = np.dtype(self.meta.dtype if dtype == "input" else dtype)
        self.limit = limit
        out_bytes = math.prod(self.meta.shape) * max(self.dtype.itemsize, 4)
        self.baseline = baseline
        room = limit - self.baseline
        self.zarr = 2 * out_bytes > room / 2
        self.reserved = self.baseline + (0 if self.zarr else 2 * out_bytes)
        self.output = output_path(self.path, self.meta.format, out_dir, method, zarr=self.zarr)
        spatial_shape = tuple(self.meta.shape[i] for i in self.spatial)
        self.plan = volume_plan(spatial_shape, self.psfs[0], self.solver, options,
                                memory_limit=limit, reserved=self.reserved, threads=threads)
        self.reader = region_reader(self.meta)  # each chunk reads its own region

    def volume_count(self):
        return math.prod(self.meta.shape[i] for i in self.others)

    def build(self):
        """The lazy result (N-D, the input's axis order) and the volume reports."""
        import dask.array as da

        meta = self.meta
        channel_axis = meta.channel_axis
        other_shape = tuple(meta.shape[i] for i in self.others)
        spatial_shape = tuple(meta.shape[i] for i in self.spatial)
        whole = tuple(slice(0, n) for n in spatial_shape)
        results, reports = [], []
        decisions = {}
        for index in np.ndindex(*other_shape) if other_shape else [()]:
            source = VolumeSource(self.reader, self.spatial, self.others, index,
                                  spatial_shape)
            channel = 0
            if channel_axis is not None:
                channel = index[self.others.index(channel_axis)]
            psf = self.psfs[channel]
            decided = None
            if self.per_slice and "Z" in meta.axes and meta.axes.index("Z") in self.others:
                # decide once per stack (time point, channel) on its middle plane
                z = self.others.index(meta.axes.index("Z"))
                key = index[:z] + index[z + 1:]
                if key not in decisions:
                    middle = list(index)
                    middle[z] = other_shape[z] // 2
                    plane = VolumeSource(self.reader, self.spatial, self.others, middle,
                                         spatial_shape)(whole)
                    decisions[key] = decide(np.asarray(plane, np.float32),
                                            np.asarray(psf, np.float32) / psf.sum(),
                                            self.solver, self.options)
                decided = decisions[key]
            result, report = restore_volume(source, psf, self.solver, self.options,
                                            memory_limit=self.limit, reserved=self.reserved,
                                            decided=decided, threads=self.threads)
            report.index = index
            results.append(result)
            reports.append(report)
        stacked = da.stack(results) if other_shape else results[0]
        if other_shape:
            stacked = stacked.reshape(other_shape + stacked.shape[1:])
        order = self.others + self.spatial  # axes of the stacked result
        inverse = np.argsort(order)
        return stacked.transpose(tuple(int(i) for i in inverse)), reports

    def record(self, parameters, clipped):
        return {
            "software": f"restore {restore.__version__}",
            "method": self.solver,
            "options": {k: v for k, v in self.options.items()},
            "parameters": parameters if len(parameters) > 1 else parameters[0],
            "psf": self.psf_text if len(set(self.psf_text)) > 1 else self.psf_text[0],
            "per_slice": self.per_slice,
            "input": str(self.path),
            "dtype": str(self.dtype),
            "clipped": clipped,
            "chunks": self.plan.describe(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }


def _compute(*things, scheduler, workers, callback):
    """dask.compute on a client, or on a thread pool of our own.

    The pool is ours so that on any failure (Ctrl-C included) the chunks
    still running finish before the temporary output is removed: no thread
    writes into it afterwards.
    """
    import contextlib
    from concurrent.futures import ThreadPoolExecutor

    import dask

    if scheduler != "threads":
        return dask.compute(*things, scheduler=scheduler, optimize_graph=COMPUTE_OPTIMIZED)
    import dask.threaded

    pool = ThreadPoolExecutor(workers)
    try:
        with callback if callback is not None else contextlib.nullcontext():
            # the threaded scheduler itself: the name "threads" has dask import
            # distributed (seconds) to look for a default client first
            return dask.compute(*things, scheduler=dask.threaded.get, pool=pool,
                                optimize_graph=COMPUTE_OPTIMIZED)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        forget_otfs()  # the chunks' shared OTF


def _write_block(block, target, dtype, block_info=None):
    """Convert one restored chunk, write it into the Zarr `target`; its clipped count.

    One task per chunk does both, so a chunk is dropped as soon as it is
    written (two consumers of the same chunk would keep it alive).
    """
    data, clipped = convert(block, dtype)
    target[tuple(slice(a, b) for a, b in block_info[0]["array-location"])] = data
    return np.full((1,) * block.ndim, clipped, dtype=np.int64)


def _run_one(job, *, scheduler, callback):
    import zarr

    result, reports = job.build()
    pending = [r.pending for r in reports]
    # the volumes' own plans (a boundary the image chose may have changed them)
    job.plan = max((r.plan for r in reports), key=lambda plan: plan.task_bytes,
                   default=job.plan)
    workers = job.plan.concurrency
    if job.zarr:
        with atomic_directory(job.output) as tmp:
            chunks = tuple(c[0] for c in result.chunks)
            target = write_zarr_begin(tmp, job.meta, result.shape, job.dtype, chunks, {})
            counts = result.map_blocks(_write_block, target, job.dtype, dtype=np.int64,
                                       chunks=tuple((1,) * len(c) for c in result.chunks))
            count, infos = _compute(counts.sum(), pending, scheduler=scheduler,
                                    workers=workers, callback=callback)
            parameters = [chosen_parameters(r, i) for r, i in zip(reports, infos)]
            group = zarr.open_group(str(tmp), mode="r+")
            group.attrs["restore"] = json.loads(record_json(job.record(parameters,
                                                                       int(count))))
    else:
        array, infos = _compute(result, pending, scheduler=scheduler, workers=workers,
                                callback=callback)
        array, count = convert(array, job.dtype)
        parameters = [chosen_parameters(r, i) for r, i in zip(reports, infos)]
        with atomic_output(job.output) as tmp:
            write_tiff(tmp, np.asarray(array), job.meta, job.record(parameters, int(count)),
                       ome=job.meta.format in ("ome-tiff", "ome-zarr"))
    return parameters, int(count)


class _ChunkProgress:
    """A dask callback drawing a tqdm bar over a computation's tasks."""

    def __new__(cls, bar_factory):
        from dask.callbacks import Callback

        class Progress(Callback):
            def _start_state(self, dsk, state):
                self.bar = bar_factory(len(state["ready"]) + len(state["waiting"])
                                       + len(state["finished"]))

            def _posttask(self, key, result, dsk, state, worker_id):
                self.bar.update(1)

            def _finish(self, dsk, state, errored):
                self.bar.close()

        return Progress()


def run_batch(inputs, *, method, psf, out, memory_limit="4GB", per_slice=False,
              dtype="float32", overwrite=False, dry_run=False, scheduler=None, quiet=True,
              echo=None, progress=False, **options):
    """Restore many stacks, unattended.

    Parameters
    ----------
    inputs : sequence of str or path-like
        Stack files, Zarr directories, folders or glob patterns.
    method : str
        "inverse", "wiener", "tikhonov", "rl", "tv" or "wavelet".
    psf : str or sequence of str
        PSF spec(s) or file(s): one for all channels or one per channel.
    out : str or path-like
        Output folder (created if missing).
    memory_limit : str or int, optional
        Memory the process may use ("4GB"); sets the chunks and whether the
        result is written as TIFF (fits in memory) or OME-Zarr.
    per_slice : bool, optional
        Restore plane by plane with a 2-D PSF.
    dtype : {"float32", "input", "uint8", "uint16"}, optional
        Output dtype; integer types are rounded and clipped, and the number
        of clipped values is reported (never silently).
    overwrite : bool, optional
        Redo stacks whose output exists (default: skip them).
    dry_run : bool, optional
        Only plan: report what would be done and the chunks.
    scheduler : str, optional
        Address of a ``dask.distributed`` scheduler; default the local
        threaded scheduler.
    quiet : bool, optional
        No per-file lines through `echo`.
    echo : callable, optional
        Called with each line for people (default: print to stderr).
    progress : bool, optional
        Draw progress bars (files and chunks) on stderr.
    **options
        The solver's options (``iterations=``, ``lam=``...).

    Returns
    -------
    BatchSummary

    Examples
    --------
    >>> import tempfile
    >>> summary = run_batch(["data/stack.tif"], method="rl", psf="data/psf_widefield.tif",
    ...                     out=tempfile.mkdtemp(), iterations=2, quiet=True)
    >>> summary.count("done")
    1
    """
    import sys

    start = time.perf_counter()
    if echo is None:
        def echo(text):
            print(text, file=sys.stderr)
    say = (lambda text: None) if quiet else echo
    options = batch_options(method, options)
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    limit = parse_memory(memory_limit)
    specs = [psf] if isinstance(psf, (str, os.PathLike)) else list(psf)
    if not specs:
        raise ValueError("--psf is missing; give a PSF spec or file (once, or once per channel)")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out '{out}' is a file; give a folder for the results")
    paths = [p for p in discover(inputs) if not _is_own_output(p, out, method)]
    _check_collisions(paths, out, method)
    if not dry_run:
        out.mkdir(parents=True, exist_ok=True)
    summary = BatchSummary()
    # the process's own memory (libraries loaded), measured once: what a file
    # leaves behind (memory the allocator keeps) must not shrink the next file's chunks
    import dask.array  # noqa: F401
    import tifffile  # noqa: F401
    import zarr  # noqa: F401

    _release_freed_memory()
    baseline = process_memory()
    client = None
    if scheduler and not dry_run:
        from distributed import Client

        client = Client(scheduler, set_as_default=False)
    files_bar = None
    if progress:
        from tqdm import tqdm

        files_bar = tqdm(total=len(paths), desc="files", unit="file", file=sys.stderr,
                         position=0, leave=False)
    try:
        for path in paths:
            summary.results.append(_one(
                path, method=method, options=options, specs=specs, out=out, limit=limit,
                per_slice=per_slice, dtype=dtype, overwrite=overwrite, dry_run=dry_run,
                scheduler=client if client is not None else "threads", say=say,
                echo=echo, progress=progress, baseline=baseline))
            if files_bar is not None:
                files_bar.update(1)
    finally:
        if files_bar is not None:
            files_bar.close()
        if client is not None:
            client.close()
    summary.seconds = time.perf_counter() - start
    return summary


def _check_collisions(paths, out, method):
    seen = {}
    for path in paths:
        key = output_stem(path)
        if key in seen:
            raise ValueError(f"inputs '{seen[key]}' and '{path}' would both be written as "
                             f"'{out / key}.{method}.*'; rename one or run them separately")
        seen[key] = path


def _is_own_output(path, out, method):
    """True for a result this batch writes (a folder given as input and as --out)."""
    name = path.name.lower()
    return path.parent.resolve() == out.resolve() and any(
        name.endswith(f".{method}{suffix}") for suffix in (".tif", ".ome.tif", ".ome.zarr"))


def _one(path, *, method, options, specs, out, limit, per_slice, dtype, overwrite, dry_run,
         scheduler, say, echo, progress, baseline):
    existing = [c for c in _candidates(path, out, method) if c.exists()]
    if existing and not overwrite:
        say(f"{path}: skipped, {existing[0]} exists (--overwrite redoes it)")
        return FileResult(path, "skipped", existing[0])
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # chunks side by side on the local threads; a cluster's workers run their own
            job = _Job(path, method=method, options=options, psf_specs=specs, out_dir=out,
                       limit=limit, per_slice=per_slice, dtype=dtype, baseline=baseline,
                       threads=FFT_WORKERS if scheduler == "threads" else 1)
            if dry_run:
                line = (f"{path}: {job.meta.axes} {_shape(job.meta.shape)} {job.meta.dtype} "
                        f"({job.volume_count()} volume(s)) → {job.output}; "
                        f"{job.plan.describe()}")
                say(line)
                return FileResult(path, "planned", job.output, line)
            callback = None
            if progress:
                from tqdm import tqdm

                callback = _ChunkProgress(lambda total: tqdm(
                    total=total, desc=path.name, unit="task", position=1, leave=False))
            parameters, clipped = _run_one(job, scheduler=scheduler, callback=callback)
            for stale in existing:  # --overwrite: the new result replaces the old one
                if stale != job.output:
                    _remove(stale)
        seconds = time.perf_counter() - start
        for warning in caught:
            say(f"Warning: {path}: {' '.join(str(warning.message).split())}")
        if clipped:
            echo(f"Warning: {path}: {clipped} values "
                 f"({100 * clipped / math.prod(job.meta.shape):.3g}%) were outside the "
                 f"{job.dtype} range and were clipped; use --dtype float32 to keep them")
        say(f"{path}: {job.meta.axes} {_shape(job.meta.shape)}, {job.plan.describe()}, "
            f"{seconds:.1f} s, {job.solver} ({_describe_parameters(parameters)}) "
            f"→ {job.output}")
        return FileResult(path, "done", job.output, seconds=seconds, clipped=clipped,
                          parameters=parameters)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as error:  # noqa: BLE001 - one bad stack must not stop the batch
        raise_if_received()  # a Ctrl-C that a library turned into another error
        if os.environ.get("RESTORE_TRACEBACK"):
            raise
        message = _describe(error)
        echo(f"Error: {path}: {message}")
        return FileResult(path, "failed", None, message,
                          seconds=time.perf_counter() - start)


def _release_freed_memory():
    """Have glibc give freed arrays back to the system at once (Linux; no-op elsewhere).

    glibc raises its mmap threshold after large blocks are freed, up to 32 MB,
    after which chunk-sized arrays come from the heap and their memory stays
    with the process: RSS crept to 1.4x the limit over a few hundred chunks.
    A fixed threshold (what ``MALLOC_MMAP_THRESHOLD_=131072`` sets) keeps
    every large array in its own mapping, returned when freed.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _describe(error):
    """One line for an exception: its sentence, or 'file: reason' for bare OS errors."""
    if isinstance(error, OSError) and error.strerror and error.filename is not None:
        text = f"{error.filename}: {error.strerror}"
    elif isinstance(error, MemoryError):
        text = "not enough memory; give a lower --memory-limit or free memory"
    else:
        text = str(error) or type(error).__name__
    return " ".join(text.split())


def _remove(path):
    import shutil

    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def _shape(shape):
    return "×".join(str(n) for n in shape)

