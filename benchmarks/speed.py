"""How fast is restore on the CPU, measured against peers and against the FFT floor?

Everything is float32 on the CPU with the default FFT threads (RESTORE_FFT_WORKERS,
all cores unless set). Every ratio is taken from timings made in this one run,
on this machine. A PASS/FAIL line per target at the end:

(a) Richardson–Lucy per iteration at 2048² and 128×512×512 is ≥ 2.5× faster
    than ``skimage.restoration.richardson_lucy`` per iteration;
(b) one RL iteration costs ≤ 1.3× the floor of four real FFTs (two
    rfftn + irfftn pairs) at the shape its FFTs run at;
(c) accelerated RL reaches plain RL's best PSNR (within 0.05 dB) in at most half
    the iterations (camera / gauss:2, border cut off, σ = 0.01);
(d) Wiener and Tikhonov at 4096², with an explicit parameter and with the
    automatic one, cost ≤ 3× one forward + inverse real FFT at 4096²;
(e) RL's peak memory at 2048² is ≤ 8× the input's float32 size;
(f) one TV-ADMM iteration costs ≤ 2.5× the rfftn + irfftn pair it needs
    (2048², 64×256×256), and the automatic TV call ≤ 200 FFT pairs at 512²
    (≤ 250 at 64×256×256), an FFT pair being one rfftn + irfftn at the image's
    size, median of many;
(g) the automatic wavelet call ≤ 1000 FFT pairs at 512², with 2 real FFTs
    per FISTA iteration;
(h) the noise estimate ≤ 10 % of an automatic RL call (512², 2048²), and that
    call ≤ 100 FFT pairs at 512²;
(i) TV and wavelet peak memory ≤ 8× the input at 4096²;
(j) 3-D grids (issue #11 item 4): with ``boundary="periodic"`` RL per
    iteration at 64×256×256 ≥ 1.5× faster than RedLionfish's CPU RL
    (``pip install redlionfish``, a benchmark-only dependency; skipped without
    it), and RL's peak memory ≤ 6× the input at 64×256×256 and 128×512×512;
    the default boundary's work grid and its ratios are printed beside them.

``--solvers`` runs (f)–(i) only, ``--grids`` (j) only.

Run ``python benchmarks/speed.py`` (a few minutes) or ``--quick`` (smaller sizes).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc

import numpy as np

import restore
from restore import _backend
from _common import rl_fft_plan, Case, environment, load_image, markdown_table, repeat, verdict

RL_LEAD = 2.5  # (a) times faster than scikit-image
FFT_FLOOR = 1.3  # (b) RL iteration / four real FFTs
ACCELERATION = 0.5  # (c) accelerated iterations / plain iterations
CLOSED_FORM = 3.0  # (d) Wiener or Tikhonov / one rfftn + irfftn pair
MEMORY = 8.0  # (e) peak bytes / input bytes
REDLIONFISH_LEAD = 1.5  # (j) RedLionfish CPU RL per iteration / ours, periodic
# RedLionfish's iterations per call: its time per iteration is the difference of
# two calls over the difference of their iterations (2 and 7 read 24 to 69 ms
# per iteration on one machine in one run: a call's setup varies by more than 5
# iterations cost; 2 and 12: 79 to 99 ms)
RLF_LOW, RLF_HIGH = 2, 12
MEMORY_3D = 6.0  # (j) RL's peak bytes / input bytes in 3-D


def sizes(quick):
    if quick:
        return {"image": (1024, 1024), "volume": (32, 256, 256), "large": (2048, 2048),
                "memory": (1024, 1024), "rl_iterations": 150}
    return {"image": (2048, 2048), "volume": (128, 512, 512), "large": (4096, 4096),
            "memory": (2048, 2048), "rl_iterations": 300}


def test_image(shape):
    """A clean float32 image of `shape`: camera tiled (2-D), or shifted copies stacked (3-D)."""
    tile = load_image("camera")
    if len(shape) == 2:
        reps = [-(-n // t) for n, t in zip(shape, tile.shape)]
        return np.ascontiguousarray(np.tile(tile, reps)[: shape[0], : shape[1]])
    plane = test_image(shape[1:])
    return np.stack([np.roll(plane, 3 * z, axis=1) for z in range(shape[0])])


def observation(shape, psf, seed=0):
    """`test_image(shape)` blurred by `psf` (reflecting borders) plus noise σ = 0.01."""
    blurred = restore.blur(test_image(shape), psf, boundary="reflect")
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(blurred.shape, dtype=np.float32) * np.float32(0.01)
    return (blurred + noise).astype(np.float32)


def fmt_shape(shape):
    return "×".join(str(n) for n in shape)


# ---------------------------------------------------------------- timings
#
# Ratios use the fastest of several repeats (as timeit advises: other work on the
# machine only ever adds time); the tables also show the median.


class Timing:
    """Seconds of several runs of one thing: ``best`` (min) and ``median``."""

    def __init__(self, seconds):
        self.seconds = np.asarray(seconds, dtype=float)
        self.best = float(self.seconds.min())
        self.median = float(np.median(self.seconds))

    def __truediv__(self, other):
        return self.best / (other.best if isinstance(other, Timing) else other)

    def cell(self):
        return f"{1e3 * self.best:.1f} ({1e3 * self.median:.1f})"


def rl_iteration_seconds(f, psf, iterations, **options):
    """Seconds between successive RL callbacks: one per iteration, setup excluded."""
    stamps = []
    restore.richardson_lucy(f, psf, iterations=iterations,
                            callback=lambda k, x: stamps.append(time.perf_counter()),
                            **options)
    return list(np.diff(stamps))


def page_faults():
    """Minor page faults of this process so far (each maps one fresh, zeroed page)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def rl_page_faults(f, psf, iterations=4):
    """Minor page faults per RL iteration (between callbacks) and per four-FFT floor."""
    marks = []
    restore.richardson_lucy(f, psf, iterations=iterations,
                            callback=lambda k, x: marks.append(page_faults()))
    return (marks[-1] - marks[0]) / (len(marks) - 1)


def floor_page_faults(shape, repeats=3):
    x = np.random.default_rng(1).random(shape, dtype=np.float32)
    _backend.irfftn(_backend.rfftn(x, shape), shape)
    start = page_faults()
    for _ in range(2 * repeats):
        _backend.irfftn(_backend.rfftn(x, shape), shape)
    return (page_faults() - start) / repeats


def skimage_rl_seconds(f, psf, iterations):
    """Seconds of one ``skimage.restoration.richardson_lucy`` call."""
    from skimage.restoration import richardson_lucy

    start = time.perf_counter()
    richardson_lucy(f, psf, num_iter=iterations, clip=False)
    return time.perf_counter() - start


def four_ffts_seconds(shape, repeats=3):
    """Seconds of two rfftn + irfftn pairs of a float32 array of `shape` (restore's backend)."""
    x = np.random.default_rng(1).random(shape, dtype=np.float32)

    def four():  # the inverse reuses the spectrum's buffer, as RL's own FFTs do
        for _ in range(2):
            _backend.irfftn(_backend.rfftn(x, shape), shape, overwrite=True)

    return repeat(four, repeats=repeats)


def fft_pair_timing(shape, repeats=7):
    """One rfftn + irfftn of a float32 array of `shape`, with restore's backend.

    The inverse overwrites the spectrum it is given (no copy of it), as the
    solvers' own FFT pairs do; the median of `repeats` is the unit of the
    "FFT pairs" figures.
    """
    x = np.random.default_rng(1).random(shape, dtype=np.float32)
    return Timing(repeat(lambda: _backend.irfftn(_backend.rfftn(x, shape), shape,
                                                 overwrite=True),
                         repeats=repeats))


def in_fft_pairs(call, shape, rounds=3, repeats=7):
    """``call()`` measured in FFT pairs at `shape`, the pair timed right before
    each call: ``(ratios, call seconds, pair seconds, last result)``.

    The machine's speed drifts (on a shared 2-core machine the same 512² pair
    measured 0.8 ms and 2.1 ms minutes apart), so a pair timed once at the
    start and a call timed later can be 2.5× apart for nothing: each round's
    ratio is the call against the pair median of the moment, and the rounds'
    median and best are reported. One untimed call first (caches, plans).
    """
    result = call()
    ratios, seconds, pairs = [], [], []
    for _ in range(rounds):
        pair = fft_pair_timing(shape, repeats=repeats).median
        start = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - start
        ratios.append(elapsed / pair)
        seconds.append(elapsed)
        pairs.append(pair)
    return Timing(ratios), Timing(seconds), Timing(pairs), result


def pairs_cell(ratios):
    """'best (median) pairs' of :func:`in_fft_pairs`' ratios."""
    return f"{ratios.best:.0f} ({ratios.median:.0f}) pairs"


def transform_pair_timing(shape, cosine=(), repeats=7):
    """:func:`fft_pair_timing` for a grid whose `cosine` axes are mirrored by a
    DCT (``_backend.cosine_rfftn`` and its inverse): the transforms a solver
    on that grid runs, whatever mixes them."""
    if not cosine:
        return fft_pair_timing(shape, repeats)
    x = np.random.default_rng(1).random(shape, dtype=np.float32)
    return Timing(repeat(lambda: _backend.cosine_irfftn(
        _backend.cosine_rfftn(x, shape, cosine), shape, cosine, overwrite=True),
        repeats=repeats))


def work_grid(f, psf):
    """(shape, DCT axes) of the grid TV solves `f` on with `psf` by default."""
    from restore.operators import WorkDomain, resolve_boundary

    h = np.asarray(psf, np.float32) / np.float32(np.sum(psf))
    mode = resolve_boundary("auto", h, asymmetric="smooth", image=f, spanning="unknown")
    op = WorkDomain(h, f, mode, dct=True).op
    return tuple(op.shape), tuple(op.cosine_axes)


def interleaved_rl_timings(f, psf, our_iterations, low, high, rounds, fft_shape):
    """Our RL (default and periodic boundary), skimage's RL and the 4-FFT floor, in turns.

    Each round runs every measurement once, so that a burst of other work on
    the machine hits all of them alike; the fastest of each is then compared.
    """
    seconds = {"ours": [], "periodic": [], "floor": [], "low": [], "high": []}
    for _ in range(rounds):
        seconds["ours"] += rl_iteration_seconds(f, psf, our_iterations)
        seconds["periodic"] += rl_iteration_seconds(f, psf, our_iterations, boundary="periodic")
        seconds["floor"] += four_ffts_seconds(fft_shape)
        seconds["low"].append(skimage_rl_seconds(f, psf, low))
        seconds["high"].append(skimage_rl_seconds(f, psf, high))
    peer = Timing([(min(seconds["high"]) - min(seconds["low"])) / (high - low)])
    peer.median = float((np.median(seconds["high"]) - np.median(seconds["low"])) / (high - low))
    return Timing(seconds["ours"]), Timing(seconds["periodic"]), peer, Timing(seconds["floor"])


class fft_census:
    """Record the real FFTs restore runs (forward and inverse, with their shapes).

    restore's backend looks ``scipy.fft.rfftn`` (forward) and ``scipy.fft.irfft``
    (the last step of every inverse: after the complex passes on the other axes)
    up at call time, so wrapping them shows which transforms a solver really
    runs, whatever its internals.
    """

    def __enter__(self):
        import scipy.fft

        self.calls = []
        self._saved = scipy.fft.rfftn, scipy.fft.irfft

        def forward(x, s=None, *args, **kwargs):
            self.calls.append(("rfftn", tuple(s) if s is not None else tuple(np.shape(x))))
            return self._saved[0](x, s, *args, **kwargs)

        def inverse(x, n=None, *args, **kwargs):
            last = n if n is not None else 2 * (np.shape(x)[-1] - 1)
            self.calls.append(("irfftn", tuple(np.shape(x)[:-1]) + (last,)))
            return self._saved[1](x, n, *args, **kwargs)

        scipy.fft.rfftn, scipy.fft.irfft = forward, inverse
        return self

    def __exit__(self, *exc):
        import scipy.fft

        scipy.fft.rfftn, scipy.fft.irfft = self._saved
        return False


def rl_profile(f, psf, iterations):
    """Seconds per iteration spent in each function (cProfile, one run, setup included)."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    restore.richardson_lucy(f, psf, iterations=iterations)
    profile.disable()
    stats = pstats.Stats(profile).stats
    return {_function_name(key): value[2] / iterations for key, value in stats.items()}


def _function_name(key):
    filename, line, name = key
    if "pocketfft" in name or name in ("r2c", "c2r"):
        return {"r2c": "rfftn (pocketfft r2c)", "c2r": "irfftn (pocketfft c2r)"}.get(
            name.split(".")[-1].rstrip(">").split(" ")[-1], name)
    if filename == "~":
        return name.replace("<built-in method ", "").rstrip(">")
    short = filename.split("site-packages/")[-1].split("/restore/")[-1]
    return f"{short}:{line}({name})"


def with_fft_workers(workers, func):
    """Run `func()` with restore's FFTs on `workers` threads (the RESTORE_FFT_WORKERS knob)."""
    saved = _backend.FFT_WORKERS
    _backend.FFT_WORKERS = workers
    try:
        return func()
    finally:
        _backend.FFT_WORKERS = saved


# ---------------------------------------------------------------- (a), (b)


def rl_speed(quick, results):
    s = sizes(quick)
    psf2 = restore.psf.from_spec("gauss:2", ndim=2).astype(np.float32)
    psf3 = restore.psf.from_spec("gauss:2", ndim=3).astype(np.float32)
    rows, floor_rows, profile_rows = [], [], []
    # label, shape, psf, our iterations per run, skimage's (n₁, n₂), rounds, profiled its
    problems = [("2-D", s["image"], psf2, 12, (2, 6), 3, 10),
                ("3-D", s["volume"], psf3, 5, (1, 3), 2, 4)]
    for label, shape, psf, our_iterations, (low, high), rounds, profile_iterations in problems:
        name = f"{label} {fmt_shape(shape)}"
        f = observation(shape, psf)
        ffts, fft_shape, boundary = rl_fft_plan(f, psf, fft_census)
        ours, periodic, peer, floor = interleaved_rl_timings(
            f, psf, our_iterations, low, high, rounds, fft_shape)
        rows.append([f"{name} ({boundary})", peer.cell(), ours.cell(), f"{peer / ours:.2f}×",
                     periodic.cell(), f"{peer / periodic:.2f}×", f"{peer / floor:.2f}×"])
        faults = (rl_page_faults(f, psf), floor_page_faults(fft_shape))
        page = 4096 / (4 * np.prod(fft_shape))  # one float32 work array, in pages⁻¹
        floor_rows.append([name, fmt_shape(fft_shape), f"{ffts:g}", ours.cell(), floor.cell(),
                           f"{ours / floor:.2f}×", f"{faults[0]:.0f} ({faults[0] * page:.1f})",
                           f"{faults[1]:.0f} ({faults[1] * page:.1f})"])
        results["a"].append((name, peer / ours))
        results["b"].append((name, ours / floor))
        if label == "2-D":  # how much of the lead over scikit-image comes from threads?
            one = Timing(with_fft_workers(1, lambda: rl_iteration_seconds(f, psf, our_iterations)))
            one_floor = Timing(with_fft_workers(1, lambda: four_ffts_seconds(fft_shape, 5)))
            rows.append([f"{name}, 1 FFT thread", peer.cell(), one.cell(), f"{peer / one:.2f}×",
                         "—", "—", f"{peer / one_floor:.2f}×"])
            floor_rows.append([f"{name}, 1 FFT thread", fmt_shape(fft_shape), f"{ffts:g}",
                               one.cell(), one_floor.cell(), f"{one / one_floor:.2f}×", "", ""])
        profile = rl_profile(f, psf, profile_iterations)
        total = sum(profile.values())
        for part, seconds in sorted(profile.items(), key=lambda item: -item[1])[:6]:
            profile_rows.append([name, part, f"{1e3 * seconds:.1f}",
                                 f"{100 * seconds / total:.0f} %"])
        profile_rows.append([name, "all (profiled, with cProfile's overhead)",
                             f"{1e3 * total:.1f}", "100 %"])
        sys.stdout.flush()

    print("## (a) Richardson–Lucy per iteration vs scikit-image")
    print()
    print("ms per iteration, fastest (median). Ours: interval between callbacks, default "
          "options (the boundary \"auto\" chose is in brackets); *periodic*: the "
          "cheapest boundary, for reference. scikit-image: (t(n₂) − t(n₁)) / (n₂ − n₁). "
          "*ceiling*: the speed-up an iteration costing exactly four FFTs would give.")
    print()
    print(markdown_table(["problem", "skimage", "ours", "speed-up", "ours periodic",
                          "speed-up", "ceiling"], rows))
    print()
    print("## (b) RL iteration vs four real FFTs at its work shape")
    print()
    print("*FFT shape* and *FFTs/it*: the real FFTs our RL actually runs (counted by "
          "wrapping scipy.fft). *4 FFTs*: two rfftn + irfftn pairs at that shape. *faults*: "
          "minor page faults per RL iteration and per four FFTs (in float32 work arrays): "
          "each is a fresh page the kernel maps and zeroes, i.e. large temporaries "
          "allocated anew instead of reused; they cost system time and serialise threads.")
    print()
    print(markdown_table(["problem", "FFT shape", "FFTs/it", "RL iteration", "4 FFTs",
                          "ratio", "faults/it (arrays)", "faults/4 FFTs (arrays)"],
                         floor_rows))
    print()
    print("Where one iteration's time goes (cProfile's own time per function over one run "
          "of 10 (2-D) or 4 (3-D) iterations, divided by the iterations, setup included; "
          "largest first):")
    print()
    print(markdown_table(["problem", "function", "ms", "share"], profile_rows,
                         align=["l", "l", "r", "r"]))
    print()
    sys.stdout.flush()


# ---------------------------------------------------------------- (c)

#: PSNR (dB) within which accelerated RL counts as having reached plain RL's best.
REACH_TOLERANCE = 0.05


def acceleration(quick, results):
    iterations = sizes(quick)["rl_iterations"]
    case = Case("camera", "gauss:2")
    traces, auto = {}, {}
    for accelerate in (False, True):
        trace = []
        restore.richardson_lucy(case.observation, case.psf, iterations=iterations,
                                accelerate=accelerate,
                                callback=lambda k, x: trace.append(case.psnr(x)))
        traces[accelerate] = np.array(trace)
        estimate, info = restore.richardson_lucy(case.observation, case.psf,
                                                 accelerate=accelerate, return_info=True)
        auto[accelerate] = (case.psnr(estimate), info.iterations, info.stop_reason)
        boundary = info.parameters.get("boundary", "?")
    plain, fast = traces[False], traces[True]
    k_plain = int(np.argmax(plain)) + 1
    best = float(plain.max())

    def first(trace, level):
        hits = np.nonzero(trace >= level)[0]
        return int(hits[0]) + 1 if hits.size else None

    k_fast = first(fast, best - REACH_TOLERANCE)
    k_fast_strict = first(fast, best)
    rows = []
    for name, trace, accelerate in (("plain", plain, False), ("accelerated", fast, True)):
        psnr_auto, k_auto, reason = auto[accelerate]
        rows.append([name, f"{trace.max():.2f}", int(np.argmax(trace)) + 1,
                     f"{trace[-1]:.2f}", f"{psnr_auto:.2f} ({k_auto} it, {reason})"])
    print("## (c) Accelerated vs plain Richardson–Lucy")
    print()
    print(f"{case.name}, 24 px border cut, σ = 0.01, default boundary ({boundary}); {iterations} "
          "iterations each, PSNR (dB) of every iterate; last column: the default "
          "iterations=\"auto\" (discrepancy principle).")
    print()
    print(markdown_table(["RL", "best PSNR", "at iteration", f"PSNR at {iterations}",
                          "auto"], rows))
    print()
    strict = (f"at iteration {k_fast_strict}" if k_fast_strict else
              f"never (its best is {fast.max():.2f} dB)")
    within = f"iteration {k_fast}" if k_fast else "never"
    print(f"Plain RL's best is {best:.2f} dB at iteration {k_plain}. Accelerated RL reaches "
          f"it within {REACH_TOLERANCE} dB at {within}, exactly {strict}.")
    print()
    results["c"] = (k_plain, k_fast, k_fast_strict, best, float(fast.max()))


# ---------------------------------------------------------------- (d)


def closed_form(quick, results, rounds=5):
    shape = sizes(quick)["large"]
    psf = restore.psf.from_spec("gauss:2", ndim=2)
    f = observation(shape, psf)
    calls = [
        ("wiener(snr=30)", lambda: restore.wiener(f, psf, snr=30)),
        ("wiener (auto)", lambda: restore.wiener(f, psf)),
        ("tikhonov(lam=1e-3)", lambda: restore.tikhonov(f, psf, lam=1e-3)),
        ("tikhonov (auto)", lambda: restore.tikhonov(f, psf)),
    ]
    ffts = {}
    for name, call in calls:  # also the warm-up
        with fft_census() as census:
            call()
        ffts[name] = census.calls
    x = np.random.default_rng(1).random(shape, dtype=np.float32)
    seconds = {name: [] for name, _ in calls}
    seconds["pair"] = []
    for _ in range(rounds):  # in turns, so that other load hits all alike
        seconds["pair"] += repeat(lambda: _backend.irfftn(_backend.rfftn(x, shape), shape),
                                  repeats=2, warmup=0)
        for name, call in calls:
            seconds[name] += repeat(call, repeats=1, warmup=0)
    pair = Timing(seconds["pair"])
    rows = []
    for name, _ in calls:
        timing = Timing(seconds[name])
        shapes = sorted({fmt_shape(c) for _, c in ffts[name]})
        rows.append([name, timing.cell(), f"{timing / pair:.2f}×", len(ffts[name]),
                     ", ".join(shapes)])
        results["d"].append((name, timing / pair))
    print(f"## (d) Wiener and Tikhonov at {fmt_shape(shape)} vs one real FFT pair")
    print()
    print(f"One rfftn + irfftn at {fmt_shape(shape)}: {pair.cell()} ms. Calls: fastest "
          f"(median) of {rounds}, in ms, default boundary; *FFTs*: real FFTs the call runs "
          "and their shapes.")
    print()
    print(markdown_table(["call", "ms", "× FFT pair", "FFTs", "FFT shapes"], rows,
                         align=["l", "r", "r", "r", "l"]))
    print()


# ---------------------------------------------------------------- (e)

_RSS_PROBE = textwrap.dedent("""
    import gc, json, resource
    import numpy as np
    import restore

    def status(key):
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        return None

    f = np.load({path!r})
    psf = restore.psf.from_spec("gauss:2", ndim=2)
    gc.collect()
    base = status("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # reset the high-water mark VmHWM to the current RSS
        method = "VmHWM after clear_refs"
    except OSError:
        method = "ru_maxrss (also counts the interpreter's start-up)"
    restore.richardson_lucy(f, psf, iterations=10, accelerate={accelerate!r})
    if method.startswith("VmHWM"):
        peak = status("VmHWM")
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({{"extra": peak - base, "method": method}}))
""")


def rss_extra(path, accelerate):
    """Peak RSS growth (bytes) of one RL call on the array saved at `path`, fresh interpreter."""
    code = _RSS_PROBE.format(path=path, accelerate=accelerate)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory(quick, results):
    shape = sizes(quick)["memory"]
    psf = restore.psf.from_spec("gauss:2", ndim=2)
    f = observation(shape, psf)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "input.npy")
        np.save(path, f)
        for accelerate in (False, True):
            tracemalloc.start()
            tracemalloc.reset_peak()
            restore.richardson_lucy(f, psf, iterations=10, accelerate=accelerate)
            _, traced = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rss = rss_extra(path, accelerate)
            name = "accelerated" if accelerate else "plain"
            rows.append([name, f"{traced / 2**20:.0f}", f"{traced / f.nbytes:.2f}×",
                         f"{rss['extra'] / 2**20:.0f}", f"{rss['extra'] / f.nbytes:.2f}×"])
            results["e"].append((name, traced / f.nbytes, rss["extra"] / f.nbytes))
    print(f"## (e) Peak memory of Richardson–Lucy at {fmt_shape(shape)}")
    print()
    print(f"Input: {f.nbytes / 2**20:.0f} MiB float32; 10 iterations, default options. "
          "*traced*: tracemalloc's peak during the call (NumPy's allocations are traced; the "
          "input, allocated before, is not counted). *RSS*: growth of the resident set "
          f"over one call in a fresh interpreter ({rss['method']}), which also sees FFT "
          "scratch space and allocator slack. The target is judged on both.")
    print()
    print(markdown_table(["RL", "traced MiB", "× input", "RSS MiB", "× input"], rows))
    print()


# ---------------------------------------------------------------- (f)–(i)

TV_ITERATION = 2.5  # (f) one TV iteration / one FFT pair
TV_AUTO = {2: 200, 3: 250}  # (f) automatic TV call / FFT pairs, by dimensions
WAVELET_AUTO = 1000  # (g) automatic wavelet call / FFT pairs
NOISE_SHARE = 0.10  # (h) noise estimate / automatic RL call
RL_AUTO = 100  # (h) automatic RL call at 512² / FFT pairs


def solver_sizes(quick):
    if quick:
        return {"iteration": [(1024, 1024), (32, 128, 128)], "auto2": (512, 512),
                "auto3": (32, 128, 128), "noise": [(512, 512), (1024, 1024)],
                "memory": (1024, 1024)}
    return {"iteration": [(2048, 2048), (64, 256, 256)], "auto2": (512, 512),
            "auto3": (64, 256, 256), "noise": [(512, 512), (2048, 2048)],
            "memory": (4096, 4096)}


def callback_intervals(call):
    """Seconds between successive callbacks of ``call(callback)``: one per iteration."""
    stamps = []
    call(lambda k, x: stamps.append(time.perf_counter()))
    return list(np.diff(stamps))


def psf_for(shape):
    return restore.psf.from_spec("gauss:2", ndim=len(shape)).astype(np.float32)


def solvers(quick, results):
    s = solver_sizes(quick)
    rows = []
    for shape in s["iteration"]:  # (f) one TV iteration against one FFT pair
        f, psf = observation(shape, psf_for(shape)), psf_for(shape)
        work, cosine = work_grid(f, psf)
        pair = transform_pair_timing(work, cosine, repeats=9)
        tv_it = Timing(callback_intervals(lambda cb: restore.tv(
            f, psf, lam=0.005, iterations=12, callback=cb)))
        grid = fmt_shape(work) + (f" (DCT {','.join(map(str, cosine))})" if cosine else "")
        rows.append([f"TV iteration {fmt_shape(shape)}", grid, pair.cell(),
                     tv_it.cell(), f"{tv_it.best / pair.best:.2f}× ({tv_it.median / pair.median:.2f}×)"])
        results["f"].append((f"iteration {fmt_shape(shape)}", tv_it.median / pair.median,
                             TV_ITERATION))
        sys.stdout.flush()
    for key in ("auto2", "auto3"):  # (f) automatic TV call in FFT pairs at the image's size
        shape = s[key]
        f, psf = observation(shape, psf_for(shape)), psf_for(shape)
        ratios, seconds, pair, (_, info) = in_fft_pairs(
            lambda: restore.tv(f, psf, return_info=True), shape, rounds=5 if len(shape) == 2 else 2)
        rows.append([f"TV auto {fmt_shape(shape)} ({info.iterations} it, {info.stop_reason})",
                     fmt_shape(shape), pair.cell(), seconds.cell(), pairs_cell(ratios)])
        results["f"].append((f"auto {fmt_shape(shape)}", ratios.median, TV_AUTO[len(shape)]))
        sys.stdout.flush()
    # (g) wavelet: FFTs per iteration and the automatic call at 512²
    shape = s["auto2"]
    f, psf = observation(shape, psf_for(shape)), psf_for(shape)
    counts = []
    for iterations in (2, 6):
        with fft_census() as census:
            restore.wavelet(f, psf, lam=0.005, iterations=iterations)
        counts.append(len(census.calls))
    per_iteration = (counts[1] - counts[0]) / 4
    pair = fft_pair_timing(shape, repeats=15)
    wav_it = Timing(callback_intervals(lambda cb: restore.wavelet(
        f, psf, lam=0.005, iterations=12, callback=cb)))
    rows.append([f"wavelet iteration {fmt_shape(shape)} ({per_iteration:g} FFTs/it)",
                 fmt_shape(shape), pair.cell(), wav_it.cell(),
                 f"{wav_it.best / pair.best:.1f}× ({wav_it.median / pair.median:.1f}×)"])
    ratios, seconds, pair, (_, info) = in_fft_pairs(
        lambda: restore.wavelet(f, psf, return_info=True), shape)
    rows.append([f"wavelet auto {fmt_shape(shape)} ({info.iterations} it, {info.stop_reason})",
                 fmt_shape(shape), pair.cell(), seconds.cell(), pairs_cell(ratios)])
    results["g"] = (ratios.median, per_iteration)
    sys.stdout.flush()
    # (h) the noise estimate against an automatic RL call
    from restore import params

    for shape in s["noise"]:
        f, psf = observation(shape, psf_for(shape)), psf_for(shape)
        h = psf / psf.sum()  # what the solvers call: image-domain fit and spectrum check
        noise = Timing(repeat(lambda: params.noise_level(f, h), repeats=7))
        ratios, rl, pair, (_, info) = in_fft_pairs(
            lambda: restore.richardson_lucy(f, psf, return_info=True), shape, rounds=5)
        rows.append([f"noise estimate {fmt_shape(shape)}", fmt_shape(shape), pair.cell(),
                     noise.cell(), f"{noise.median / rl.median:.0%} of RL auto"])
        rows.append([f"RL auto {fmt_shape(shape)} ({info.iterations} it, "
                     f"{'accelerated' if info.parameters['accelerate'] else 'plain'})",
                     fmt_shape(shape), pair.cell(), rl.cell(), pairs_cell(ratios)])
        results["h"].append((fmt_shape(shape), noise.median / rl.median, ratios.median))
        sys.stdout.flush()
    print("## (f)–(h) TV, wavelet, the noise estimate and automatic RL against the FFT pair")
    print()
    print("*FFT pair*: one rfftn + irfftn (the inverse overwriting the spectrum) at the "
          "shape shown, ms, fastest (median). Per-iteration times are intervals between "
          "callbacks. Automatic calls: several rounds, each a call timed right after a "
          "pair median (the machine's speed drifts), in pairs of that moment; "
          "fastest (median) of the rounds.")
    print()
    print(markdown_table(["measurement", "FFT shape", "FFT pair ms", "ms", "ratio"], rows))
    print()
    # (i) peak memory of TV and wavelet
    shape = s["memory"]
    f, psf = observation(shape, psf_for(shape)), psf_for(shape)
    memory_rows = []
    for name, call in (("tv", lambda: restore.tv(f, psf, lam=0.005, iterations=3)),
                       ("wavelet", lambda: restore.wavelet(f, psf, lam=0.005, iterations=3))):
        tracemalloc.start()
        tracemalloc.reset_peak()
        call()
        _, traced = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        memory_rows.append([name, f"{traced / 2**20:.0f}", f"{traced / f.nbytes:.2f}×"])
        results["i"].append((name, traced / f.nbytes))
    print(f"## (i) Peak memory of TV and wavelet at {fmt_shape(shape)} (3 iterations, "
          "explicit λ, tracemalloc's peak; the input is not counted)")
    print()
    print(markdown_table(["solver", "traced MiB", "× input"], memory_rows))
    print()


def solver_verdicts(results):
    print(verdict(f"(f) TV iteration ≤ {TV_ITERATION:g}× an FFT pair, automatic TV ≤ "
                  f"{TV_AUTO[2]} (2-D) / {TV_AUTO[3]} (3-D) FFT pairs (medians)",
                  all(r <= limit for _, r, limit in results["f"]),
                  ", ".join(f"{n} {r:.2f}" for n, r, _ in results["f"])))
    pairs, ffts = results["g"]
    print(verdict(f"(g) automatic wavelet ≤ {WAVELET_AUTO} FFT pairs, 2 FFTs per iteration",
                  pairs <= WAVELET_AUTO and ffts <= 2,
                  f"{pairs:.0f} pairs, {ffts:g} FFTs per iteration"))
    print(verdict(f"(h) noise estimate ≤ {NOISE_SHARE:.0%} of automatic RL, RL auto ≤ "
                  f"{RL_AUTO} FFT pairs at 512²",
                  all(share <= NOISE_SHARE for _, share, _ in results["h"])
                  and results["h"][0][2] <= RL_AUTO,
                  ", ".join(f"{n}: noise {share:.0%}, RL {p:.0f} pairs"
                            for n, share, p in results["h"])))
    print(verdict(f"(i) TV and wavelet peak memory ≤ {MEMORY:g}× the input",
                  all(r <= MEMORY for _, r in results["i"]),
                  ", ".join(f"{n} {r:.2f}×" for n, r in results["i"])))


# ---------------------------------------------------------------- (j)


def redlionfish_seconds(f, psf, iterations):
    """Seconds of one RedLionfish CPU RL call (scipy.fft on one thread, periodic)."""
    import logging

    from RedLionfishDeconv import doRLDeconvolutionFromNpArrays

    logging.getLogger("RedLionfishDeconv").setLevel(logging.ERROR)
    start = time.perf_counter()
    doRLDeconvolutionFromNpArrays(f, psf, niter=iterations, method="cpu")
    return time.perf_counter() - start


def rl_peak_memory(f, psf, iterations=2):
    """tracemalloc's peak over an RL call, over the input's bytes."""
    tracemalloc.start()
    try:
        restore.richardson_lucy(f, psf, iterations=iterations)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak / f.nbytes


def grids(quick, results, rounds=3):
    from restore.operators import WorkDomain

    try:
        import RedLionfishDeconv  # noqa: F401

        peer = True
    except ImportError:
        peer = False
    psf = restore.psf.from_spec("gauss:2", ndim=3).astype(np.float32)
    psf /= psf.sum()
    shapes = [(32, 128, 128), (64, 256, 256)] if quick else [(64, 256, 256), (128, 512, 512)]
    rows = []
    for shape in shapes:
        f = observation(shape, psf)
        domain = WorkDomain(psf, f, "reflect", dct=True)
        grid, cosine = domain.op.work_shape, domain.cosine_axes
        del domain
        compare = peer and shape == shapes[0]
        seconds = {"ours": [], "periodic": [], "low": [], "high": []}
        for _ in range(rounds if shape == shapes[0] else 1):
            seconds["ours"] += rl_iteration_seconds(f, psf, 6)
            seconds["periodic"] += rl_iteration_seconds(f, psf, 6, boundary="periodic")
            if compare:
                seconds["low"].append(redlionfish_seconds(f, psf, RLF_LOW))
                seconds["high"].append(redlionfish_seconds(f, psf, RLF_HIGH))
        ours, periodic = Timing(seconds["ours"]), Timing(seconds["periodic"])
        memory_ratio = rl_peak_memory(f, psf)
        results["k"].append((fmt_shape(shape), memory_ratio))
        row = [fmt_shape(shape), f"{fmt_shape(grid)} ({np.prod(grid) / f.size:.2f}×)",
               ",".join(map(str, cosine)) or "none", ours.cell(), periodic.cell()]
        if compare:
            span = RLF_HIGH - RLF_LOW
            theirs = Timing([(min(seconds["high"]) - min(seconds["low"])) / span])
            theirs.median = float((np.median(seconds["high"]) - np.median(seconds["low"])) / span)
            lead = (theirs.best / periodic.best, theirs.median / periodic.median)
            results["j"].append((fmt_shape(shape), *lead))
            row += [theirs.cell(), f"{lead[0]:.2f}× ({lead[1]:.2f}×)",
                    f"{theirs.best / ours.best:.2f}× ({theirs.median / ours.median:.2f}×)"]
        else:
            row += ["—", "—", "—"]
        rows.append(row + [f"{memory_ratio:.2f}×"])
        sys.stdout.flush()
    print("## (j) 3-D work grids, RedLionfish, RL memory")
    print()
    print("RL (`gauss:2`, float32) per iteration in ms, fastest (median): the interval "
          "between callbacks. *grid*: the default (\"reflect\") work grid and its size "
          "over the volume's; *DCT axes*: those mirrored by a DCT, not padded "
          "(`operators.cosine_axes`). RedLionfish CPU (scipy.fft, one thread, periodic): "
          f"(t({RLF_HIGH}) − t({RLF_LOW})) / {RLF_HIGH - RLF_LOW}" + ("" if peer else " — not installed (pip install redlionfish)")
          + ". *memory*: tracemalloc's peak over a 2-iteration default call / the input.")
    print()
    print(markdown_table(["volume", "grid", "DCT axes", "ours", "ours periodic", "RedLionfish",
                          "lead (periodic)", "lead (default)", "memory"], rows))
    print()
    sys.stdout.flush()


def grid_verdicts(results):
    if results["j"]:
        print(verdict(f"(j) RL periodic ≥ {REDLIONFISH_LEAD:g}× faster per iteration than "
                      "RedLionfish CPU (fastest; median in brackets)",
                      all(best >= REDLIONFISH_LEAD for _, best, _ in results["j"]),
                      ", ".join(f"{n} {b:.2f}× ({m:.2f}×)" for n, b, m in results["j"])))
    else:
        print("SKIP  (j) RedLionfish not installed (pip install redlionfish)")
    print(verdict(f"(j) RL peak memory in 3-D ≤ {MEMORY_3D:g}× the input",
                  all(r <= MEMORY_3D for _, r in results["k"]),
                  ", ".join(f"{n} {r:.2f}×" for n, r in results["k"])))


# ---------------------------------------------------------------- main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="1024², 32×256×256 and 2048² instead of 2048², 128×512² and 4096²")
    parser.add_argument("--solvers", action="store_true",
                        help="only (f)–(i): TV, wavelet, the noise estimate, their memory")
    parser.add_argument("--grids", action="store_true",
                        help="only (j): 3-D work grids, RedLionfish, RL's 3-D memory")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print("# restore speed benchmark" + (" (--quick)" if args.quick else ""))
    print()
    print(environment())
    print(f"Load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())} "
          "(other work on the machine slows every timing; ratios use the fastest repeat).")
    print()
    results = {"a": [], "b": [], "c": None, "d": [], "e": [], "f": [], "g": None, "h": [],
               "i": [], "j": [], "k": []}
    for only, section, verdicts in ((args.grids, grids, grid_verdicts),
                                    (args.solvers, solvers, solver_verdicts)):
        if only:
            section(args.quick, results)
            print("```")
            verdicts(results)
            print("```")
            return 0
    rl_speed(args.quick, results)
    acceleration(args.quick, results)
    closed_form(args.quick, results)
    memory(args.quick, results)
    solvers(args.quick, results)
    grids(args.quick, results)

    print(f"## Targets  ({time.perf_counter() - started:.0f} s; load average after: "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())})")
    print()
    print("```")
    print(verdict(f"(a) RL ≥ {RL_LEAD:g}× faster per iteration than scikit-image",
                  all(r >= RL_LEAD for _, r in results["a"]),
                  ", ".join(f"{n} {r:.2f}×" for n, r in results["a"])))
    print(verdict(f"(b) RL iteration ≤ {FFT_FLOOR:g}× four real FFTs",
                  all(r <= FFT_FLOOR for _, r in results["b"]),
                  ", ".join(f"{n} {r:.2f}×" for n, r in results["b"])))
    k_plain, k_fast, k_strict, best, fast_best = results["c"]
    print(verdict(f"(c) accelerated RL reaches plain's best (within {REACH_TOLERANCE} dB) in "
                  f"≤ {ACCELERATION:g}× the iterations",
                  k_fast is not None and k_fast <= ACCELERATION * k_plain,
                  f"plain {k_plain} it ({best:.2f} dB), accelerated "
                  + (f"{k_fast} it" if k_fast else "never")
                  + (f" (exactly: {k_strict} it)" if k_strict else
                     f" (exactly: never, best {fast_best:.2f} dB)")))
    print(verdict(f"(d) Wiener/Tikhonov ≤ {CLOSED_FORM:g}× one real FFT pair",
                  all(r <= CLOSED_FORM for _, r in results["d"]),
                  ", ".join(f"{n} {r:.2f}×" for n, r in results["d"])))
    print(verdict(f"(e) RL peak memory ≤ {MEMORY:g}× the input",
                  all(max(t, r) <= MEMORY for _, t, r in results["e"]),
                  ", ".join(f"{n} traced {t:.2f}× / RSS {r:.2f}×" for n, t, r in results["e"])))
    solver_verdicts(results)
    grid_verdicts(results)
    print("```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
