"""How good are restore's solvers, and how good are their automatic parameters?

For each case (an image, a PSF, the border cut off, Gaussian noise σ = 0.01) this
prints one Markdown table: the PSNR of the observation, and for every solver the
PSNR with its automatic parameters (the default call), the parameters it chose,
and its *oracle* PSNR, the best over a sweep of its main parameter against the
known truth. scikit-image's Wiener and Richardson–Lucy, given the same data,
are swept the same way as the peers to beat.

Targets (a PASS/FAIL line each at the end):

(a) every solver but the inverse filter improves on the observation (auto PSNR);
(b) every automatic choice is within 1 dB of its solver's oracle;
(c) our best automatic result beats the better of scikit-image's two oracles by
    at least 1 dB.

Run ``python benchmarks/quality.py`` (5–10 min on 2 cores) or with
``--quick`` (camera / gauss:2 only, small grids, about a minute).
"""

import argparse
import math
import sys
import time
import warnings

import numpy as np

import restore
from _common import Case, dB, environment, markdown_table, number, verdict

IMAGES = ("camera", "astronaut")
PSFS = ("gauss:2", "motion:15,30")

#: Improvement over the observation (dB) counted as "improves".
IMPROVE_MARGIN = 0.0
#: Largest allowed gap between automatic and oracle PSNR (dB).
AUTO_GAP = 1.0
#: Lead over scikit-image's best oracle (dB).
PEER_LEAD = 1.0


def grids(quick):
    """The sweeps of each solver's main parameter."""
    if quick:
        return {
            "inverse": np.geomspace(1e-3, 0.3, 6),
            "wiener": np.arange(10.0, 41.0, 5.0),
            "tikhonov": np.geomspace(1e-6, 1.0, 9),
            "rl_iterations": 150,
            "tv": [0.0625, 0.25, 1.0],
            "wavelet": [0.125, 0.5],
            "refine": False,
            "skimage_wiener": np.geomspace(1e-5, 1.0, 7),
            "skimage_rl": [2, 5, 10, 20],
        }
    return {
        "inverse": np.geomspace(1e-3, 0.5, 10),
        "wiener": np.arange(0.0, 50.5, 1.0),
        "tikhonov": np.geomspace(1e-6, 1.0, 25),
        "rl_iterations": 300,
        "tv": np.geomspace(1 / 32, 2.0, 7),
        "wavelet": np.geomspace(1 / 16, 1.0, 5),
        "refine": True,  # tv, wavelet: also try best·√2^±1
        "skimage_wiener": np.geomspace(1e-5, 1.0, 21),
        "skimage_rl": [1, 2, 3, 5, 10, 20, 30, 50, 80, 120],
    }


class Row:
    """One line of a case's table."""

    def __init__(self, name):
        self.name = name
        self.auto = None  # PSNR with the default call
        self.auto_params = "—"
        self.auto_time = None
        self.oracle = None  # best PSNR over the sweep (or the auto result if better)
        self.oracle_at = "—"
        self.ours = True

    @property
    def gap(self):
        if self.auto is None or self.oracle is None:
            return None
        return self.oracle - self.auto

    def cells(self):
        seconds = "—" if self.auto_time is None else f"{self.auto_time:.2f}"
        return [self.name, dB(self.auto), self.auto_params, seconds, dB(self.oracle),
                self.oracle_at, dB(self.gap)]


def describe(info):
    """The automatic choices of one default call, short."""
    p = info.parameters
    method = info.method
    if method == "inverse":
        text = f"threshold={number(p['threshold'])}"
    elif method == "wiener":
        text = ", ".join(f"{k}={number(v)}" for k, v in p.items()
                         if k not in ("boundary", "sigma"))
    elif method == "tikhonov":
        text = f"lam={number(p['lam'])} ({p.get('regularizer', '?')})"
    elif method == "richardson_lucy":
        text = f"{info.iterations} it ({info.stop_reason})"
        if p.get("floor"):
            text += f", floor={number(p['floor'])}"
    else:  # tv, wavelet
        text = f"lam={number(p.get('lam'))}, {info.iterations} it ({info.stop_reason})"
    if "sigma" in p:
        text += f", σ̂={p['sigma']:.4f}"
    if "boundary" in p:
        text += f", {p['boundary']}"
    return text


def run_auto(row, case, solver, **options):
    start = time.perf_counter()
    estimate, info = solver(case.observation, case.psf, return_info=True, **options)
    row.auto_time = time.perf_counter() - start
    row.auto = case.psnr(estimate)
    row.auto_params = describe(info)
    return info


def sweep(case, values, restore_with):
    """[(value, PSNR)] of ``restore_with(value)`` for every value (−inf for NaN/Inf output)."""
    results = []
    for v in values:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # scikit-image RL overflowing
            estimate = np.asarray(restore_with(v))
        finite = bool(np.isfinite(estimate).all())
        results.append((v, case.psnr(estimate) if finite else -math.inf))
    return results


def sweep_refined(case, values, restore_with, refine):
    """Sweep a geometric grid; with `refine`, also the half-steps around the best."""
    results = sweep(case, values, restore_with)
    if refine and len(values) > 1:
        best = max(results, key=lambda r: r[1])[0]
        step = math.sqrt(values[1] / values[0])
        results += sweep(case, [best / step, best * step], restore_with)
    return results


def set_oracle(row, results, label):
    value, best = max(results, key=lambda r: r[1])
    row.oracle, row.oracle_at = best, label(value)
    if row.auto is not None and row.auto > row.oracle:  # the grid missed the auto choice
        row.oracle, row.oracle_at = row.auto, row.oracle_at + " (auto is better)"


def rl_trace(case, iterations, **options):
    """PSNR after every Richardson–Lucy iteration of one long run."""
    trace = []
    restore.richardson_lucy(case.observation, case.psf, iterations=iterations,
                            callback=lambda k, x: trace.append((k, case.psnr(x))), **options)
    return trace


def evaluate(case, g):
    f, h = case.observation, case.psf
    rows = []

    row = Row("inverse")
    run_auto(row, case, restore.inverse)
    set_oracle(row, sweep(case, g["inverse"], lambda t: restore.inverse(f, h, threshold=t)),
               lambda t: f"threshold={number(t)}")
    rows.append(row)

    row = Row("wiener")
    run_auto(row, case, restore.wiener)
    set_oracle(row, sweep(case, g["wiener"], lambda s: restore.wiener(f, h, snr=s)),
               lambda s: f"snr={s:g} dB")
    rows.append(row)

    row = Row("tikhonov")
    run_auto(row, case, restore.tikhonov)
    set_oracle(row, sweep(case, g["tikhonov"], lambda lam: restore.tikhonov(f, h, lam=lam)),
               lambda lam: f"lam={number(lam)}")
    rows.append(row)

    # the default boundary ("auto"), then the extra rows with boundary="unknown"
    for name, options in (("richardson_lucy", {}), ("rl-unknown", {"boundary": "unknown"})):
        row = Row(name)
        run_auto(row, case, restore.richardson_lucy, **options)
        # the default call's path: accelerated (accelerate="auto" with automatic iterations)
        set_oracle(row, rl_trace(case, g["rl_iterations"], accelerate=True, **options),
                   lambda k: f"{k} it (of {g['rl_iterations']})")
        rows.append(row)

    # TV's and wavelet's λ (their objective's weight) scale with the noise: grids in σ̂
    sigma = restore.params.noise_level(f)
    for name, options in (("tv", {}), ("tv-unknown", {"boundary": "unknown"})):
        row = Row(name)
        run_auto(row, case, restore.tv, **options)
        set_oracle(row, sweep_refined(case, [v * sigma for v in g["tv"]],
                                      lambda lam: restore.tv(f, h, lam=lam, **options),
                                      g["refine"]),
                   lambda lam: f"lam={number(lam)}")
        rows.append(row)

    row = Row("wavelet")
    run_auto(row, case, restore.wavelet)
    set_oracle(row, sweep_refined(case, [v * sigma for v in g["wavelet"]],
                                  lambda lam: restore.wavelet(f, h, lam=lam),
                                  g["refine"]),
               lambda lam: f"lam={number(lam)}")
    rows.append(row)

    from skimage import restoration

    h32 = h.astype(np.float32)
    row = Row("skimage wiener")
    row.ours = False
    set_oracle(row, sweep(case, g["skimage_wiener"],
                          lambda b: restoration.wiener(f, h32, balance=b, clip=False)),
               lambda b: f"balance={number(b)}")
    rows.append(row)

    # RL assumes non-negative data: give scikit-image f clipped at 0, as ours does inside
    # (with the raw f, its iterates overflow wherever the noise dips below zero).
    row = Row("skimage RL")
    row.ours = False
    f_plus = np.maximum(f, 0)
    set_oracle(row, sweep(case, g["skimage_rl"],
                          lambda n: restoration.richardson_lucy(f_plus, h32, num_iter=n,
                                                                clip=False)),
               lambda n: f"{n} it")
    rows.append(row)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="camera / gauss:2 only, small sweeps (about a minute)")
    args = parser.parse_args(argv)
    g = grids(args.quick)
    cases = [("camera", "gauss:2")] if args.quick else [(i, p) for i in IMAGES for p in PSFS]

    print("# restore quality benchmark" + (" (--quick)" if args.quick else ""))
    print()
    print(environment())
    print()
    print("Each case: the full 512² image blurred with reflecting borders, the centre cut "
          "out (24 px off every side), Gaussian noise σ = 0.01 (seed 0). PSNR in dB, "
          "peak 1. *auto*: the default call; *oracle*: best over a sweep of the main "
          "parameter against the truth; *gap* = oracle − auto. scikit-image's RL is given "
          "max(f, 0), as our RL clips f inside.")

    failures = {"a": [], "b": [], "c": []}
    started = time.perf_counter()
    for image_name, spec in cases:
        case_start = time.perf_counter()
        case = Case(image_name, spec)
        observed = case.psnr(case.observation)
        rows = evaluate(case, g)
        print()
        print(f"## {case.name}  (observation: {observed:.2f} dB)")
        print()
        print(markdown_table(
            ["solver", "auto", "automatic choice", "s", "oracle", "oracle at", "gap"],
            [r.cells() for r in rows],
            align=["l", "r", "l", "r", "r", "l", "r"],
        ))
        ours = [r for r in rows if r.ours]
        peers = [r for r in rows if not r.ours]

        not_improving = [r for r in ours if r.name != "inverse"
                         and not r.auto > observed + IMPROVE_MARGIN]
        far = [r for r in ours if r.gap is not None and r.gap > AUTO_GAP]
        best = max(ours, key=lambda r: r.auto)
        peer = max(peers, key=lambda r: r.oracle)
        lead = best.auto - peer.oracle
        print()
        print(f"- (a) improves on the observation: "
              + ("all but inverse" if not not_improving else
                 "NOT " + ", ".join(f"{r.name} ({r.auto - observed:+.2f} dB)"
                                    for r in not_improving)))
        print(f"- (b) auto within {AUTO_GAP:g} dB of oracle: "
              + ("all" if not far else
                 "NOT " + ", ".join(f"{r.name} (gap {r.gap:.3f} dB)" for r in far)))
        print(f"- (c) best auto {best.name} {best.auto:.2f} dB vs best scikit-image oracle "
              f"{peer.name} {peer.oracle:.2f} dB: lead {lead:+.2f} dB "
              f"({'≥' if lead >= PEER_LEAD else '<'} {PEER_LEAD:g} dB)")
        print(f"- case time {time.perf_counter() - case_start:.0f} s")
        sys.stdout.flush()

        failures["a"] += [f"{case.name}: {r.name} {r.auto - observed:+.2f} dB"
                          for r in not_improving]
        failures["b"] += [f"{case.name}: {r.name} gap {r.gap:.3f} dB" for r in far]
        if lead < PEER_LEAD:
            failures["c"].append(f"{case.name}: lead {lead:+.2f} dB")

    print()
    print(f"## Targets  ({len(cases)} case(s), {time.perf_counter() - started:.0f} s)")
    print()
    print("```")
    print(verdict("(a) every solver but inverse improves on the observation",
                  not failures["a"], "; ".join(failures["a"])))
    print(verdict(f"(b) automatic parameters within {AUTO_GAP:g} dB of the oracle",
                  not failures["b"], "; ".join(failures["b"])))
    print(verdict(f"(c) best auto ≥ {PEER_LEAD:g} dB above scikit-image's best oracle",
                  not failures["c"], "; ".join(failures["c"])))
    print("```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
