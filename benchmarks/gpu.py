"""How fast is restore on one GPU (CuPy), against cuFFT's floor and the CPU path?

Everything is float32, measured in this one run on this machine. For each size
(2048², 8192², 128×512×512 and 256×1024×1024; ``gauss:2``, default options,
so boundary "auto" = "reflect"):

- Richardson–Lucy per iteration: CUDA events recorded in the solver's
  ``callback`` at iteration 2 and 22 (no synchronisation inside the loop), the
  interval divided by 20; fastest and median of 5 calls after a warm-up call;
- the FFT floor: the four real FFTs one RL iteration runs (two rfftn + irfftn
  pairs, the inverse overwriting its spectrum as the solver's does), through
  ``restore._backend`` (cupyx.scipy.fft) on the solver's own work grid, which
  is read off a real call by wrapping the FFTs ``operators.Blur`` calls;
  beside it H and Hᵀ through ``Blur.spectrum``/``from_spectrum`` on the
  solver's ``WorkDomain`` (the same four FFTs plus the two OTF products);
- RL iteration / four FFTs (target ≤ 1.25 at the two largest sizes by voxels,
  8192² and 256×1024×1024);
- TV (ADMM, λ = 1e-3, fixed iterations) per iteration, as RL; Tikhonov
  (λ = 1e-3) per whole call, events around the call;
- speed-up over the CPU path (NumPy/SciPy, all cores) on the same data, with
  fewer iterations and repeats where the CPU would take too long (the table
  says which), skipping sizes that would overrun ``--time-limit``;
- RL's peak GPU memory over a 3-iteration call, cuFFT plans included (the plan
  cache and the pool's free blocks are emptied first): the peak of the bytes
  in use, followed through a CuPy memory hook, and the growth of the memory
  pool's total, against the float32 size of the padded work grid (target ≤ 6×).

``--dry-run`` runs the same code with NumPy standing in for CuPy at tiny sizes
(64², 128², 12×32×32, 16×32×32), so the script's logic is tested on any machine;
its numbers mean nothing (peak memory there is tracemalloc's). Without CuPy and
a CUDA device, and without ``--dry-run``, it prints one line and exits 0.

Run ``python benchmarks/gpu.py`` on the GPU machine (about 3–5 minutes, most of
it the CPU comparison); ``--json FILE`` also writes every number.
"""

import argparse
import importlib
import json
import platform
import sys
import time
import tracemalloc

import numpy as np

import restore
from restore import _backend
from restore.operators import WorkDomain
from _common import rl_fft_plan, load_image, markdown_table, verdict

#: The module whose rfftn/irfftn every solver's FFTs go through (``restore.operators.blur``,
#: as an attribute, is the function blur()).
blur_module = importlib.import_module("restore.operators.blur")

SIZES = [(2048, 2048), (8192, 8192), (128, 512, 512), (256, 1024, 1024)]
DRY_SIZES = [(64, 64), (128, 128), (12, 32, 32), (16, 32, 32)]
PSF, DRY_PSF = "gauss:2", "gauss:1"  # the dry run's 3-D sizes are shorter than gauss:2
SIGMA = 0.01  # noise on a 0..1 image
LAM = 1e-3  # TV's and Tikhonov's λ: the objective's weight, for a 0..1 image with σ ≈ 0.01
FLOOR_TARGET = 1.25  # RL iteration / four FFTs, at the two largest sizes
MEMORY_TARGET = 6.0  # RL peak GPU memory / padded float32 volume
WARM, COUNT = 2, 20  # iterations before the first mark, iterations timed
DRY_WARM, DRY_COUNT = 1, 4
REPEATS = 5  # timed calls per measurement (after one warm-up call)
CPU_SMALL = 2**23  # voxels up to which the CPU gets the full treatment


def fmt_shape(shape):
    return "×".join(str(n) for n in shape)


def parse_sizes(text):
    return [tuple(int(n) for n in item.split("x")) for item in text.split(",") if item]


# ---------------------------------------------------------------- clocks


class Clock:
    """Marks and intervals: CUDA events on the GPU (no host synchronisation
    between marks), ``time.perf_counter`` with NumPy."""

    def __init__(self, xp):
        self.xp = xp
        self.gpu = xp is not np

    def sync(self):
        if self.gpu:
            self.xp.cuda.Device().synchronize()

    def mark(self):
        if self.gpu:
            event = self.xp.cuda.Event()
            event.record()
            return event
        return time.perf_counter()

    def seconds(self, start, stop):
        if self.gpu:
            stop.synchronize()
            return self.xp.cuda.get_elapsed_time(start, stop) / 1e3
        return stop - start


class Timing:
    """Seconds of several runs of one thing: ``best`` (min) and ``median``."""

    def __init__(self, seconds, note=""):
        self.seconds = [float(s) for s in seconds]
        self.best = min(self.seconds)
        self.median = float(np.median(self.seconds))
        self.note = note

    def cell(self, digits=2):
        return f"{1e3 * self.best:.{digits}f} ({1e3 * self.median:.{digits}f})"

    def as_dict(self):
        return {"best_s": self.best, "median_s": self.median, "runs": len(self.seconds),
                "note": self.note}


def timed_calls(func, clock, *, repeats, warmup=1, number=1):
    """Seconds per call of `func()`: `repeats` timings of `number` calls each."""
    for _ in range(warmup):
        func()
    clock.sync()
    seconds = []
    for _ in range(repeats):
        start = clock.mark()
        for _ in range(number):
            func()
        stop = clock.mark()
        seconds.append(clock.seconds(start, stop) / number)
    return seconds


def per_iteration(run, clock, *, warm, count, repeats, warmup=1):
    """Seconds per iteration of ``run(iterations, callback)``: the interval
    between the callbacks of iterations `warm` and `warm + count`, divided by
    `count` (setup and the first iterations excluded), for each of `repeats` calls."""
    last = warm + count
    seconds = []
    for index in range(warmup + repeats):
        marks = {}

        def callback(k, estimate):
            if k in (warm, last):
                marks[k] = clock.mark()

        clock.sync()
        run(last, callback)
        if index >= warmup:
            seconds.append(clock.seconds(marks[warm], marks[last]) / count)
    return seconds


# ---------------------------------------------------------------- data


def observation(shape, psf, xp):
    """Camera tiled (2-D) or shifted copies stacked (3-D), blurred by `psf`
    with reflecting borders, plus noise σ = 0.01: float32 on `xp`'s device."""
    tile = xp.asarray(load_image("camera"))
    plane_shape = shape[-2:]
    reps = [-(-n // t) for n, t in zip(plane_shape, tile.shape)]
    plane = xp.tile(tile, reps)[: plane_shape[0], : plane_shape[1]]
    if len(shape) == 2:
        scene = xp.ascontiguousarray(plane)
    else:
        scene = xp.empty(shape, dtype=xp.float32)
        for z in range(shape[0]):
            scene[z] = xp.roll(plane, 3 * z, axis=1)
    del plane
    blurred = restore.blur(scene, psf, boundary="reflect")
    del scene
    noise = xp.random.default_rng(0).standard_normal(shape, dtype=xp.float32)
    noise *= xp.float32(SIGMA)
    blurred += noise
    return blurred.astype(xp.float32, copy=False)


def psf_for(shape, dry):
    return restore.psf.from_spec(DRY_PSF if dry else PSF, ndim=len(shape)).astype(np.float32)


# ---------------------------------------------------------------- what RL runs


class fft_census:
    """Record the real FFTs ``operators.Blur`` runs (forward and inverse, shapes):
    every solver's FFTs go through it, on either backend."""

    #: Blur's transforms: allocating, and in a work array's own memory (TV)
    NAMES = {"cosine_rfftn": "rfftn", "cosine_irfftn": "irfftn",
             "cosine_rfftn_in_place": "rfftn", "cosine_irfftn_in_place": "irfftn"}

    def __enter__(self):
        self.calls = []
        self._saved = {name: getattr(blur_module, name) for name in self.NAMES}
        for name, kind in self.NAMES.items():
            setattr(blur_module, name, self._counted(self._saved[name], kind))
        return self

    def _counted(self, transform, kind):
        def counted(x, shape, cosine, **kwargs):
            self.calls.append((kind, tuple(shape)))
            return transform(x, shape, cosine, **kwargs)
        return counted

    def __exit__(self, *exc):
        for name, transform in self._saved.items():
            setattr(blur_module, name, transform)
        return False


def four_ffts(shape, xp, clock, *, repeats, number):
    """Seconds of two rfftn + irfftn pairs at `shape` (restore's backend: cupyx.scipy.fft
    or scipy.fft), the inverse overwriting its spectrum as RL's do."""
    x = xp.random.default_rng(1).random(shape, dtype=xp.float32)

    def four():
        for _ in range(2):
            _backend.irfftn(_backend.rfftn(x, shape), shape, overwrite=True)

    return timed_calls(four, clock, repeats=repeats, number=number)


def blur_pair(f, psf, boundary, xp, clock, *, repeats, number):
    """(work shape, seconds of H and Hᵀ through Blur.spectrum/from_spectrum on the
    solver's own WorkDomain): four FFTs and two OTF products."""
    domain = WorkDomain(xp.asarray(psf), f, boundary)
    op, x = domain.op, domain.data

    def both():
        blurred = op.from_spectrum(op.spectrum(x))
        op.from_spectrum(op.spectrum(blurred), adjoint=True)

    return op.work_shape, timed_calls(both, clock, repeats=repeats, number=number)


# ---------------------------------------------------------------- memory


def peak_memory(call, xp):
    """(peak bytes in use, pool growth in bytes or None, method) over `call()`."""
    if xp is np:
        tracemalloc.start()
        tracemalloc.reset_peak()
        call()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak, None, "tracemalloc, NumPy"
    cupy = xp
    pool = cupy.get_default_memory_pool()
    cupy.cuda.Device().synchronize()
    cupy.fft.config.get_plan_cache().clear()  # cuFFT plans and their work areas count too
    pool.free_all_blocks()
    before = pool.total_bytes()
    hook = _live_bytes_hook(cupy)
    with hook:
        call()
        cupy.cuda.Device().synchronize()
    return hook.peak, pool.total_bytes() - before, "CuPy memory hook / pool growth"


def _live_bytes_hook(cupy):
    """A CuPy memory hook following the pool's bytes in use (allocated inside it)."""

    class LiveBytes(cupy.cuda.MemoryHook):
        name = "restore-benchmark-peak"

        def __init__(self):
            self.live, self.current, self.peak = {}, 0, 0

        def malloc_postprocess(self, **kwargs):
            if not kwargs.get("mem_ptr"):
                return
            self.live[kwargs["pmem_id"]] = kwargs["mem_size"]
            self.current += kwargs["mem_size"]
            self.peak = max(self.peak, self.current)

        def free_postprocess(self, **kwargs):
            self.current -= self.live.pop(kwargs["pmem_id"], 0)

    return LiveBytes()


# ---------------------------------------------------------------- measurements


def measure_device(shape, xp, clock, dry):
    """Everything on the device (CuPy, or NumPy in a dry run) for one size."""
    psf = psf_for(shape, dry)
    f = observation(shape, psf, xp)
    clock.sync()
    row = {"shape": list(shape), "voxels": int(np.prod(shape))}
    ffts, fft_shape, boundary = rl_fft_plan(f, psf, fft_census)  # also compiles kernels, makes plans
    row.update(ffts_per_iteration=ffts, fft_shape=list(fft_shape), boundary=boundary)
    repeats = 3 if dry else REPEATS
    number = 1 if dry else 5
    warm, count = (DRY_WARM, DRY_COUNT) if dry else (WARM, COUNT)
    row["rl"] = Timing(per_iteration(
        lambda n, cb: restore.richardson_lucy(f, psf, iterations=n, callback=cb),
        clock, warm=warm, count=count, repeats=repeats))
    row["floor"] = Timing(four_ffts(fft_shape, xp, clock, repeats=repeats + 2, number=number))
    work_shape, pair = blur_pair(f, psf, boundary, xp, clock, repeats=repeats + 2,
                                 number=number)
    row["blur_pair"] = Timing(pair)
    row["work_shape"] = list(work_shape)
    row["tv"] = Timing(per_iteration(
        lambda n, cb: restore.tv(f, psf, lam=LAM, iterations=n, callback=cb),
        clock, warm=warm, count=count, repeats=repeats))
    row["tikhonov"] = Timing(timed_calls(lambda: restore.tikhonov(f, psf, lam=LAM), clock,
                                         repeats=repeats))
    peak, growth, method = peak_memory(
        lambda: restore.richardson_lucy(f, psf, iterations=3), xp)
    padded = 4 * int(np.prod(fft_shape))
    row["iterations"] = [warm, count]
    row["memory"] = {"peak_bytes": int(peak), "pool_growth_bytes": growth,
                     "padded_bytes": padded, "input_bytes": int(f.nbytes), "method": method}
    host = _backend.to_host(f)
    f = None  # the device copy goes before the next size's  # noqa: F841
    if not dry:
        xp.get_default_memory_pool().free_all_blocks()
    return row, host


def measure_cpu(shape, f, row, dry):
    """The CPU path on the same data: fewer iterations and repeats for large sizes."""
    psf = psf_for(shape, dry)
    clock = Clock(np)
    small = row["voxels"] <= CPU_SMALL
    count, repeats = (5, 3) if small else (2, 1)
    note = f"{count} it × {repeats}"
    row["cpu_rl"] = Timing(per_iteration(
        lambda n, cb: restore.richardson_lucy(f, psf, iterations=n, callback=cb),
        clock, warm=1, count=count, repeats=repeats, warmup=0), note)
    row["cpu_tv"] = Timing(per_iteration(
        lambda n, cb: restore.tv(f, psf, lam=LAM, iterations=n, callback=cb),
        clock, warm=1, count=count, repeats=repeats, warmup=0), note)
    row["cpu_tikhonov"] = Timing(timed_calls(lambda: restore.tikhonov(f, psf, lam=LAM), clock,
                                             repeats=repeats, warmup=0),
                                 f"{repeats} call{'s' if repeats > 1 else ''}")


def progress(text):
    print(f"[gpu.py {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- output


def environment(xp, dry):
    import scipy

    parts = [f"restore {restore.__version__}", f"numpy {np.__version__}",
             f"scipy {scipy.__version__}", f"Python {platform.python_version()}",
             f"RESTORE_FFT_WORKERS={_backend.FFT_WORKERS}"]
    if dry:
        return "DRY RUN: NumPy stands in for CuPy, tiny sizes; the numbers mean nothing. " \
            + ", ".join(parts)
    cupy = xp
    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    runtime = cupy.cuda.runtime.runtimeGetVersion()
    driver = cupy.cuda.runtime.driverGetVersion()
    parts[1:1] = [f"cupy {cupy.__version__}"]
    return (f"{name} ({props['totalGlobalMem'] / 2**30:.0f} GiB, CUDA runtime {runtime}, "
            f"driver API {driver}); " + ", ".join(parts))


def ratio(a, b):
    """a / b for Timings: fastest over fastest (median over median)."""
    return f"{a.best / b.best:.2f} ({a.median / b.median:.2f})"


def speedup(cpu, gpu):
    if cpu is None:
        return "—"
    return f"{cpu.best / gpu.best:.1f}× ({cpu.median / gpu.median:.1f}×)"


def cpu_cell(row, key):
    """A CPU timing's cell; a skipped size says why in its first cell."""
    timing = row.get(key)
    if timing is not None:
        return timing.cell(1)
    return row.get("cpu_skipped", "—") if key == "cpu_rl" else "—"


def report_device(rows, dry):
    """The device's tables and the two targets; True when both pass."""
    device = "NumPy, dry run" if dry else "GPU"
    largest = sorted(rows, key=lambda r: r["voxels"])[-2:]
    warm, count = rows[0]["iterations"]
    print(f"## Richardson–Lucy per iteration against the FFT floor ({device})")
    print()
    print(f"ms, fastest (median). *RL*: interval between the callbacks of iterations {warm} "
          f"and {warm + count} / {count}, {DRY_PSF if dry else PSF}, default options "
          "(the boundary they chose in brackets). *FFTs/it* and *work grid*: the real FFTs "
          "RL runs per iteration, counted on `operators.Blur` during a real call. *4 FFTs*: "
          "two rfftn + irfftn pairs on that grid (cupyx.scipy.fft through restore._backend). "
          "*H + Hᵀ*: `Blur.spectrum`/`from_spectrum` on the solver's WorkDomain (four FFTs "
          "and the OTF products).")
    print()
    table = []
    for row in rows:
        table.append([f"{fmt_shape(row['shape'])} ({row['boundary']})",
                      fmt_shape(row["fft_shape"]), f"{row['ffts_per_iteration']:g}",
                      row["rl"].cell(), row["floor"].cell(), ratio(row["rl"], row["floor"]),
                      row["blur_pair"].cell() + ("" if row["work_shape"] == row["fft_shape"]
                                                 else f" [on {fmt_shape(row['work_shape'])}]"),
                      ratio(row["rl"], row["blur_pair"])])
    print(markdown_table(["size", "work grid", "FFTs/it", "RL ms/it", "4 FFTs ms",
                          "RL / 4 FFTs", "H + Hᵀ ms", "RL / (H + Hᵀ)"], table))
    print()
    print(f"## TV and Tikhonov ({device})")
    print()
    print(f"ms, fastest (median). TV: ADMM, λ = {LAM:g}, per iteration as RL. Tikhonov: "
          f"λ = {LAM:g}, the whole call (events around it).")
    print()
    print(markdown_table(["size", "TV ms/it", "Tikhonov ms/call"],
                         [[fmt_shape(r["shape"]), r["tv"].cell(), r["tikhonov"].cell()]
                          for r in rows]))
    print()
    method = rows[0]["memory"]["method"]
    print(f"## Peak memory of RL ({method})")
    print()
    print("One 3-iteration call, cuFFT plans included (plan cache and the pool's free blocks "
          "emptied first). *peak in use*: the most bytes the call held at once; *pool growth*: "
          "how much the memory pool grew (blocks it keeps for reuse, fragmentation). "
          "*padded*: the float32 size of the work grid.")
    print()
    table = []
    for row in rows:
        m = row["memory"]
        growth = m["pool_growth_bytes"]
        table.append([fmt_shape(row["shape"]), f"{m['padded_bytes'] / 2**20:.1f}",
                      f"{m['peak_bytes'] / 2**20:.1f}",
                      f"{m['peak_bytes'] / m['padded_bytes']:.2f}×",
                      "—" if growth is None else f"{growth / 2**20:.1f}",
                      "—" if growth is None else f"{growth / m['padded_bytes']:.2f}×",
                      f"{m['peak_bytes'] / m['input_bytes']:.2f}×"])
    print(markdown_table(["size", "padded MiB", "peak in use MiB", "× padded",
                          "pool growth MiB", "× padded", "peak × input"], table))
    print()
    print("## Targets")
    print()
    print("```")
    floor_ok = all(r["rl"].best / r["floor"].best <= FLOOR_TARGET for r in largest)
    print(verdict(f"RL iteration ≤ {FLOOR_TARGET:g}× four FFTs at the two largest sizes "
                  "(fastest)", floor_ok,
                  ", ".join(f"{fmt_shape(r['shape'])} {r['rl'].best / r['floor'].best:.2f}×"
                            for r in largest)))
    memory_ok = all(r["memory"]["peak_bytes"] <= MEMORY_TARGET * r["memory"]["padded_bytes"]
                    for r in rows)
    print(verdict(f"RL peak memory ≤ {MEMORY_TARGET:g}× the padded float32 volume", memory_ok,
                  ", ".join(f"{fmt_shape(r['shape'])} "
                            f"{r['memory']['peak_bytes'] / r['memory']['padded_bytes']:.2f}×"
                            for r in rows)))
    print("```")
    print()
    sys.stdout.flush()
    return floor_ok and memory_ok


def report_cpu(rows, dry):
    print(f"## Speed-up over the CPU path (NumPy/SciPy, {_backend.FFT_WORKERS} FFT threads on "
          f"this machine)")
    print()
    print("CPU ms, fastest (median), same data; speed-up = CPU / "
          + ("NumPy (dry run)" if dry else "GPU")
          + ", fastest (median). *CPU runs*: iterations timed × calls, after one untimed "
          f"iteration (above {CPU_SMALL} voxels fewer of both, to fit the run); a size whose "
          "CPU run would not end within --time-limit (predicted from the size before it) "
          "says so.")
    print()
    table = []
    for row in rows:
        table.append([fmt_shape(row["shape"]), cpu_cell(row, "cpu_rl"),
                      speedup(row.get("cpu_rl"), row["rl"]), cpu_cell(row, "cpu_tv"),
                      speedup(row.get("cpu_tv"), row["tv"]), cpu_cell(row, "cpu_tikhonov"),
                      speedup(row.get("cpu_tikhonov"), row["tikhonov"]),
                      row["cpu_rl"].note if "cpu_rl" in row else "—"])
    print(markdown_table(["size", "RL CPU ms/it", "RL ×", "TV CPU ms/it", "TV ×",
                          "Tikhonov CPU ms", "Tikhonov ×", "CPU runs"], table))
    print()
    sys.stdout.flush()


def as_json(rows):
    out = []
    for row in rows:
        out.append({key: value.as_dict() if isinstance(value, Timing) else value
                    for key, value in row.items()})
    return out


# ---------------------------------------------------------------- main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true",
                        help="NumPy instead of CuPy at tiny sizes: checks the script, any machine")
    parser.add_argument("--sizes", type=parse_sizes, default=None, metavar="AxB,CxDxE",
                        help="sizes instead of 2048x2048,8192x8192,128x512x512,256x1024x1024")
    parser.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                        help="skip the CPU measurements of sizes that would not end within "
                             "this many seconds of the start (predicted by voxels from the "
                             "size before); default: no limit")
    parser.add_argument("--no-cpu", action="store_true", help="skip the CPU comparison")
    parser.add_argument("--json", metavar="FILE",
                        help="also write every number to FILE (after each phase)")
    args = parser.parse_args(argv)

    if args.dry_run:
        xp = np
    elif _backend.cupy_available():
        import cupy as xp
    else:
        print("gpu.py: no CuPy with a CUDA device here; nothing measured (run it on a GPU "
              "machine, or with --dry-run to check the script with NumPy)")
        return 0
    sizes = args.sizes or (DRY_SIZES if args.dry_run else SIZES)
    clock = Clock(xp)
    started = time.perf_counter()
    header = environment(xp, args.dry_run)
    print("# restore GPU benchmark" + (" (--dry-run)" if args.dry_run else ""))
    print()
    print(header)
    print()
    sys.stdout.flush()
    results = {"environment": header, "dry_run": args.dry_run, "passed": None, "sizes": []}

    def save():
        if args.json:
            with open(args.json, "w") as fh:
                json.dump({**results, "sizes": as_json(rows)}, fh, indent=1)

    rows, hosts = [], []
    for shape in sizes:
        progress(f"{fmt_shape(shape)}: device measurements")
        row, host = measure_device(shape, xp, clock, args.dry_run)
        rows.append(row)
        hosts.append(host)
        progress(f"{fmt_shape(shape)}: RL {row['rl'].cell()} ms/it, 4 FFTs "
                 f"{row['floor'].cell()} ms, TV {row['tv'].cell()} ms/it, Tikhonov "
                 f"{row['tikhonov'].cell()} ms, peak "
                 f"{row['memory']['peak_bytes'] / row['memory']['padded_bytes']:.2f}× padded")
        save()
    results["passed"] = report_device(rows, args.dry_run)
    save()

    last = None  # (voxels, seconds) of the previous CPU size
    for index in sorted(range(len(rows)), key=lambda i: rows[i]["voxels"]):
        row = rows[index]
        if args.no_cpu:
            row["cpu_skipped"] = "skipped (--no-cpu)"
            continue
        elapsed = time.perf_counter() - started
        predicted = 0.0 if last is None else last[1] * row["voxels"] / last[0]
        if args.time_limit is not None and elapsed + predicted > args.time_limit:
            row["cpu_skipped"] = f"skipped: --time-limit (~{predicted:.0f} s predicted)"
            progress(f"{fmt_shape(row['shape'])}: CPU skipped (predicted {predicted:.0f} s, "
                     f"{args.time_limit - elapsed:.0f} s left)")
            continue
        progress(f"{fmt_shape(row['shape'])}: CPU measurements")
        cpu_started = time.perf_counter()
        measure_cpu(tuple(row["shape"]), hosts[index], row, args.dry_run)
        last = (row["voxels"], time.perf_counter() - cpu_started)
        hosts[index] = None
        progress(f"{fmt_shape(row['shape'])}: CPU RL {row['cpu_rl'].cell(1)} ms/it, TV "
                 f"{row['cpu_tv'].cell(1)} ms/it, Tikhonov {row['cpu_tikhonov'].cell(1)} ms "
                 f"({last[1]:.0f} s)")
        save()
    del hosts
    report_cpu(rows, args.dry_run)
    save()
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
