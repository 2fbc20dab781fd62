"""Time to quality: how long does each solver take to reach the quality it ends at?

Issue #11 item 6. Two cases, each with a known truth:

- **photo**: scikit-image's camera (float32 on [0, 1]) blurred by ``gauss:2``
  with reflecting borders on the whole 512² image, the centre cut out with a
  24-pixel margin (464²: the border is unknown to the solvers), Gaussian noise
  σ = 0.01, seed 0 (``_common.Case``, quality.py's camera / gauss:2); PSNR with
  peak 1;
- **fluorescence**: the zoo's raw 3-D beads in photon counts (peak 100 photons,
  background 10, Poisson + read noise 2, ``gauss:2,1.2,1.2``, an 8-voxel margin
  cut off every side), 64×256×256; the truth includes the background; PSNR with
  data range = truth's max − min.

For every solver in ``restore.SOLVERS`` one default, automatic call
``fn(f, psf, callback=cb, return_info=True)`` is timed (``time.perf_counter``
around it). ``cb`` stamps the clock at every iteration of the final solve and
measures that iterate's PSNR; the time spent inside ``cb`` is summed and taken off
the stamps that follow it and off the call's total, so the PSNRs cost nothing.

- *s to final*: the whole call, automatic choices (noise level, λ search)
  included: the time to the PSNR it returns;
- *s to within 0.1 dB*: from the call's start to the first iterate whose PSNR is
  ≥ final − 0.1 dB (the λ search, done before the final solve's first
  iteration, included); the whole call for the closed-form solvers.

Beside them, scikit-image tuned to the truth (an oracle: the sweeps' cost is not
counted): ``restoration.wiener(f, psf, balance=b, clip=False)`` over a log grid of
``balance``, and ``restoration.richardson_lucy(max(f, 0), psf, num_iter=n,
clip=False)`` over n = 1, 2, 3, 5, 10, 20, 30, 50, 80, 120 (in 3-D the grid
stops at 50 and goes on to 80 and 120 only while the best n is at its end);
their times are calls at the best parameter (Wiener: 3 calls; RL: ``--repeat``
calls, the sweep's own call among them) and, for RL's "within 0.1 dB", at the
smallest grid n within 0.1 dB of the best. A solver that fails says why in its row
(scikit-image's Wiener cannot take a PSF taller than the volume: ``--quick``'s 16
planes under a 17-plane PSF).

Times are the fastest of ``--repeat`` calls with the median beside it (default: 3
for the photo, 1 for the volume), each after a small untimed warm-up call.

Run ``python benchmarks/time_to_quality.py`` (about 5 minutes on 2 cores: the
photo half a minute, the rest the volume, most of it the wavelet call and
scikit-image's RL sweep), ``--quick`` (the 256² centre of the photo and a
16×64×64 volume, under a minute: a smoke test), ``--only photo`` or ``--only
fluorescence``, ``--solvers tv,wavelet,skimage_rl`` (``skimage_wiener`` and
``skimage_rl`` name the peers) and ``--repeat N``.
"""

import argparse
import inspect
import os
import sys
import time
import warnings

import numpy as np

import restore
from _common import MARGIN, Case, dB, environment, markdown_table, number, repeat
from quality import describe, sweep
from speed import Timing, fmt_shape
from zoo import fluorescence, psnr_or_minus_inf

#: "Within" this many dB of the final PSNR.
TOLERANCE = 0.1
#: scikit-image's Wiener balance grid (as quality.py's full sweep).
BALANCE = np.geomspace(1e-5, 1.0, 21)
#: scikit-image's RL iteration counts (as quality.py's full sweep).
RL_GRID = (1, 2, 3, 5, 10, 20, 30, 50, 80, 120)
#: In 3-D the RL sweep stops here unless the best n is at the end.
RL_CAP_3D = 50
PEERS = ("skimage_wiener", "skimage_rl")


# --------------------------------------------------------------------------- #
# Cases
# --------------------------------------------------------------------------- #


def photo_case(quick):
    """Camera / gauss:2 / σ = 0.01, border cut: 464² (``--quick``: the 256² centre)."""
    case = Case("camera", "gauss:2", margin=128 if quick else MARGIN)
    case.label = f"photo: {case.name} / σ=0.01, border cut"
    return case


def fluorescence_case(quick):
    """The zoo's raw 3-D beads in photons, 64×256×256 (``--quick``: 16×64×64)."""
    case = fluorescence(subtracted=False, shape=(16, 64, 64) if quick else (64, 256, 256))
    case.label = f"fluorescence: {case.name} ({case.note})"
    return case


CASES = {"photo": photo_case, "fluorescence": fluorescence_case}


# --------------------------------------------------------------------------- #
# Our solvers: one timed call, PSNR per iterate through the callback
# --------------------------------------------------------------------------- #


class Trace:
    """A callback that stamps the clock and measures each iterate's PSNR.

    Its own time is excluded: ``stamps[i]`` is the time since ``start()`` less
    the time spent inside earlier callbacks, and ``stop()`` returns the call's
    total less all of it.
    """

    def __init__(self, case):
        self.case = case
        self.start()

    def start(self):
        """Reset, and start the clock."""
        self.stamps, self.psnrs, self.excluded = [], [], 0.0
        self.began = time.perf_counter()

    def __call__(self, k, estimate):
        entered = time.perf_counter()
        self.stamps.append(entered - self.began - self.excluded)
        self.psnrs.append(psnr_or_minus_inf(self.case, estimate))
        self.excluded += time.perf_counter() - entered

    def stop(self):
        """Seconds since ``start()``, less the callbacks' own time."""
        return time.perf_counter() - self.began - self.excluded


def timed_call(case, solver):
    """One default call: (estimate, info, seconds, trace, warnings caught).

    The trace is passed as ``callback`` to the solvers that take one (the
    iterative ones); the closed-form ones are simply timed.
    """
    trace = Trace(case)
    options = {"callback": trace} if "callback" in inspect.signature(solver).parameters else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trace.start()
        estimate, info = solver(case.observation, case.psf, return_info=True, **options)
        seconds = trace.stop()
    return estimate, info, seconds, trace, caught


def first_within(trace, final, total):
    """(seconds, iteration) of the first iterate within TOLERANCE of `final`;
    (total, None) for a closed-form call (no callbacks)."""
    for k, (stamp, value) in enumerate(zip(trace.stamps, trace.psnrs), start=1):
        if value >= final - TOLERANCE:
            return stamp, k
    return total, None


def warm_up(case, solver):
    """An untimed call on a small window of the observation (imports, first use)."""
    window = tuple(slice(0, min(n, 48)) for n in case.observation.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            solver(np.ascontiguousarray(case.observation[window]), case.psf)
        except Exception:  # noqa: BLE001 - the timed call reports errors
            pass


class Row:
    """One line of a case's table."""

    def __init__(self, name, shape):
        self.name, self.shape = name, shape
        self.final = None
        self.total = self.within = None  # Timing
        self.choice = "—"
        self.error = None

    def cells(self, observed):
        if self.error is not None:
            return [self.name, self.shape, "—", "—", "—", "—", self.error[:100]]
        return [self.name, self.shape, dB(self.final), dB(self.final - observed),
                seconds_cell(self.total), seconds_cell(self.within), self.choice]


def seconds_cell(timing):
    """Seconds, 3 significant digits: "fastest (median)", or one number for one call."""
    if timing is None:
        return "—"
    if len(timing.seconds) == 1:
        return f"{timing.best:.3g}"
    return f"{timing.best:.3g} ({timing.median:.3g})"


def choice_text(info, caught, k_within, trace, final):
    """The automatic choice, the iteration that came within TOLERANCE and any flags."""
    text = describe(info)
    if info.iterations is not None and k_within is not None:
        text += f"; within {TOLERANCE:g} dB at it {k_within}"
    if trace.psnrs and max(trace.psnrs) >= final + TOLERANCE:
        best = int(np.argmax(trace.psnrs))
        text += f"; best iterate {trace.psnrs[best]:.2f} dB at it {best + 1}"
    limit = info.parameters.get("limit")
    flagged = [w for w in caught if issubclass(w.category, restore.solvers.AutomaticChoiceWarning)]
    if limit or flagged:
        text += f"; {limit or 'AutomaticChoiceWarning'}"
    return text


def run_ours(case, name, repeats):
    """`repeats` default calls of solver `name`: final PSNR and both times."""
    row = Row(name, fmt_shape(case.observation.shape))
    solver = restore.SOLVERS[name]
    warm_up(case, solver)
    totals, withins = [], []
    try:
        for _ in range(repeats):
            estimate, info, seconds, trace, caught = timed_call(case, solver)
            final = psnr_or_minus_inf(case, estimate)
            within, k_within = first_within(trace, final, seconds)
            totals.append(seconds)
            withins.append(within)
            del estimate
    except Exception as error:  # noqa: BLE001 - a benchmark reports, it does not stop
        row.error = f"{type(error).__name__}: {error}"
        return row
    row.final, row.total, row.within = final, Timing(totals), Timing(withins)
    row.choice = choice_text(info, caught, k_within, trace, final)
    return row


# --------------------------------------------------------------------------- #
# scikit-image tuned to the truth
# --------------------------------------------------------------------------- #


def timed_sweep(case, values, call):
    """quality.sweep's [(value, PSNR)] and {value: [seconds of its call]}."""
    times = {}

    def timed(value):
        start = time.perf_counter()
        out = call(value)
        times.setdefault(value, []).append(time.perf_counter() - start)
        return out

    return sweep(case, values, timed), times


def skimage_wiener(case, repeats=3):
    """scikit-image's Wiener at the balance best against the truth."""
    from skimage import restoration

    row = Row("skimage wiener (oracle)", fmt_shape(case.observation.shape))
    f, h = case.observation, case.psf.astype(np.float32)

    def call(balance):
        return restoration.wiener(f, h, balance=balance, clip=False)

    try:
        results, _ = timed_sweep(case, BALANCE, call)
    except Exception as error:  # noqa: BLE001 - e.g. 2-D only in older versions
        row.error = f"{type(error).__name__}: {error}"
        return row
    balance, row.final = max(results, key=lambda r: r[1])
    row.total = row.within = Timing(repeat(lambda: call(balance), repeats=repeats, warmup=0))
    end = " (grid end)" if balance in (BALANCE[0], BALANCE[-1]) else ""
    row.choice = f"balance={number(balance)}{end}, best of {len(BALANCE)} on a log grid"
    return row


def rl_sweep(case, call, three_d):
    """quality.sweep over RL_GRID (in 3-D: up to RL_CAP_3D, extended while the best
    is at the end); returns ([(n, PSNR)], {n: [seconds]}, the grid swept)."""
    grid = [n for n in RL_GRID if n <= RL_CAP_3D] if three_d else list(RL_GRID)
    results, times = timed_sweep(case, grid, call)
    for n in RL_GRID[len(grid):]:
        if max(results, key=lambda r: r[1])[0] != grid[-1]:
            break
        more, more_times = timed_sweep(case, [n], call)
        results += more
        times.update(more_times)
        grid.append(n)
    return results, times, grid


def skimage_rl(case, repeats):
    """scikit-image's RL (on max(f, 0)) at the iteration count best against the truth."""
    from skimage import restoration

    row = Row("skimage RL (oracle)", fmt_shape(case.observation.shape))
    f, h = np.maximum(case.observation, 0), case.psf.astype(np.float32)

    def call(n):
        return restoration.richardson_lucy(f, h, num_iter=n, clip=False)

    try:
        results, times, grid = rl_sweep(case, call, case.observation.ndim == 3)
    except Exception as error:  # noqa: BLE001
        row.error = f"{type(error).__name__}: {error}"
        return row
    best, row.final = max(results, key=lambda r: r[1])
    near = min(n for n, value in results if value >= row.final - TOLERANCE)
    for n in {best, near}:
        times[n] += repeat(lambda: call(n), repeats=repeats - 1, warmup=0)
    row.total, row.within = Timing(times[best]), Timing(times[near])
    end = " (grid end)" if best == grid[-1] else ""
    row.choice = (f"{best} it{end}, best of n = {', '.join(map(str, grid))}; "
                  f"within {TOLERANCE:g} dB at {near} it")
    return row


# --------------------------------------------------------------------------- #
# Output
# --------------------------------------------------------------------------- #


def load():
    """The load average, for the header and the footer."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def evaluate(case, solvers, repeats):
    """Every requested row of one case, printed as soon as each is done."""
    rows = [run_ours(case, name, repeats) for name in solvers if name in restore.SOLVERS]
    if "skimage_wiener" in solvers:
        rows.append(skimage_wiener(case))
    if "skimage_rl" in solvers:
        rows.append(skimage_rl(case, repeats))
    return rows


def report(case, rows, observed, seconds):
    """One case's heading, table and time."""
    print()
    print(f"## {case.label}")
    print()
    print(f"{fmt_shape(case.observation.shape)}; observation {observed:.2f} dB")
    print()
    print(markdown_table(
        ["solver", "shape", "final PSNR (dB)", "gain over observation (dB)", "s to final",
         f"s to within {TOLERANCE:g} dB", "iterations / choice"],
        [r.cells(observed) for r in rows],
        align=["l", "l", "r", "r", "r", "r", "l"]))
    print()
    print(f"- case time {seconds:.0f} s (load average now {load()})")
    sys.stdout.flush()


def parse(argv):
    """The command line: quick, only, solvers, repeat."""
    choices = list(restore.SOLVERS) + list(PEERS)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="256² photo and a 16×64×64 volume (a smoke test, under a minute)")
    parser.add_argument("--only", default=",".join(CASES),
                        help="comma-separated cases: photo, fluorescence (default: both)")
    parser.add_argument("--solvers", default=",".join(choices),
                        help=f"comma-separated, from {', '.join(choices)} (default: all)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed calls per solver (default: 3 for the photo, 1 for the volume)")
    args = parser.parse_args(argv)
    args.only = [c.strip() for c in args.only.split(",") if c.strip()]
    args.solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    for values, allowed, flag in ((args.only, CASES, "--only"),
                                  (args.solvers, choices, "--solvers")):
        unknown = [v for v in values if v not in allowed]
        if unknown:
            parser.error(f"{flag}: unknown {unknown}; choose from {list(allowed)}")
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv=None):
    args = parse(argv)
    started = time.perf_counter()
    print("# restore time to quality" + (" (--quick)" if args.quick else ""))
    print()
    print(environment())
    print(f"Load average before: {load()} (other work on the machine slows every timing).")
    print()
    print(f"One default call per solver (`fn(f, psf, callback=cb, return_info=True)`). "
          f"*s to final*: the whole call; *s to within {TOLERANCE:g} dB*: from the call's "
          f"start to the first iterate within {TOLERANCE:g} dB of the final PSNR (the "
          "automatic λ search included; the callback's own time excluded); closed-form "
          "solvers: the whole call. Times: fastest (median) of the repeats, one number "
          "for one call. scikit-image rows are oracles tuned to the truth: their sweeps "
          "are not timed, only calls at the chosen parameter.")
    sys.stdout.flush()
    for name in args.only:
        case_start = time.perf_counter()
        case = CASES[name](args.quick)
        repeats = args.repeat or (3 if case.observation.ndim == 2 else 1)
        observed = case.psnr(case.observation)
        rows = evaluate(case, args.solvers, repeats)
        report(case, rows, observed, time.perf_counter() - case_start)
    print()
    print(f"Total {time.perf_counter() - started:.0f} s; load average after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
