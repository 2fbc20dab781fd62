"""Stacks study: chunked vs whole-volume Richardson-Lucy, peak memory, scikit-image.

Generates a uint16 ImageJ stack whose float32 volume is 3x the memory limit
(a smooth random scene with beads, Poisson counts) and the bundled widefield
PSF (data/psf_widefield.tif, 21x31x31), then measures, each in a fresh
subprocess (so peak RSS is that run's own, read with getrusage):

- **chunked**: ``restore batch STACK --method rl --iterations N --memory-limit
  LIMIT`` (reads the TIFF chunk by chunk, writes OME-Zarr);
- **whole (batch)**: the same command with a memory limit the whole volume
  fits in (one piece: read whole, solved whole, written as TIFF): the same job
  as chunked, so the same reading, writing and start-up;
- **whole (solve)**: the stack read whole and ``restore.richardson_lucy(f, psf,
  iterations=N)`` in one piece, the solve alone timed;
- **scikit-image**: ``skimage.restoration.richardson_lucy(f, psf, num_iter=N,
  clip=False)`` on the same stack and iterations.

Throughput is voxels per second of the whole run (imports, reading and
writing included for the two batch runs; the solve alone for the other two).
Printed: each run's figures, then the ratios (median of the repeats, best
beside it) against the targets: chunked/whole throughput >= 0.75 (the same
job, whole (batch); chunked against the whole solve alone is printed beside
it), chunked peak RSS <= limit + 20 %.

    python benchmarks/stacks.py                          # ~15-20 min on 2 cores, 10 GB RAM
    python benchmarks/stacks.py --memory-limit 200MB --repeat 1 --skip-skimage   # a few minutes
"""

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
PSF = REPO / "data" / "psf_widefield.tif"
PLANES = 32
#: The memory limit of the whole-volume batch run: the volume fits in one piece.
WHOLE = "64GB"


def make_stack(path, limit_bytes, seed=0):
    """A uint16 ImageJ stack whose float32 volume is 3x `limit_bytes`, plane by plane."""
    import scipy.ndimage as ndimage
    import tifffile

    side = int(math.sqrt(3 * limit_bytes / 4 / PLANES))
    shape = (PLANES, side, side)
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 1, (PLANES // 4 + 1, side // 16 + 1, side // 16 + 1))

    def planes():
        for z in range(PLANES):
            field = ndimage.zoom(coarse[z // 4], 16, order=1)[:side, :side]
            beads = (rng.uniform(0, 1, (side, side)) > 0.9995) * 150.0
            yield rng.poisson(10 + 40 * field + ndimage.gaussian_filter(beads, 1.5) * 9
                              ).astype(np.uint16)

    tifffile.imwrite(path, planes(), shape=shape, dtype=np.uint16, imagej=True,
                     metadata={"axes": "ZYX", "spacing": 0.25, "unit": "um"},
                     resolution=(10.0, 10.0))
    return shape


def child(mode, stack, iterations, limit, out):
    """Run one measurement in this (fresh) process; print JSON."""
    start = time.perf_counter()
    if mode in ("chunked", "whole-batch"):
        from restore.cli import main

        code = main(["batch", stack, "--method", "rl", "--psf", str(PSF), "--iterations",
                     str(iterations), "--memory-limit", limit if mode == "chunked" else WHOLE,
                     "--out", out, "-q", "--overwrite"])
        assert code == 0, code
        seconds = time.perf_counter() - start
    else:
        import tifffile

        import restore

        f = tifffile.imread(stack).astype(np.float32)
        psf = restore.psf.load(str(PSF))
        start = time.perf_counter()
        if mode == "whole":
            restore.richardson_lucy(f, psf, iterations=iterations)
        else:
            from skimage.restoration import richardson_lucy

            richardson_lucy(f, psf, num_iter=iterations, clip=False)
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak_rss": peak}))


def measure(mode, stack, iterations, limit, out):
    command = [sys.executable, __file__, "--child", mode, "--stack", stack, "--iterations",
               str(iterations), "--memory-limit", limit, "--out", out]
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{mode} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--memory-limit", default="250MB")
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-skimage", action="store_true")
    parser.add_argument("--child", choices=["chunked", "whole-batch", "whole", "skimage"])
    parser.add_argument("--stack")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.stack, args.iterations, args.memory_limit, args.out)
        return

    sys.path.insert(0, str(REPO))
    from restore.stacks.plan import parse_memory

    limit = parse_memory(args.memory_limit)
    with tempfile.TemporaryDirectory() as folder:
        stack = str(Path(folder) / "stack.tif")
        shape = make_stack(stack, limit)
        voxels = math.prod(shape)
        print(f"# Stacks: RL, {args.iterations} iterations, PSF {PSF.name} (21×31×31), "
              f"stack {'×'.join(map(str, shape))} uint16 ({voxels * 4 / 1e6:.0f} MB as "
              f"float32 = {voxels * 4 / limit:.1f}× the limit {args.memory_limit}), "
              f"{os.cpu_count()} cores\n")
        modes = ["chunked", "whole-batch", "whole"] + ([] if args.skip_skimage else ["skimage"])
        runs = {m: [] for m in modes}
        print("| run | repeat | seconds | Mvoxel/s | peak RSS (MB) |")
        print("|:---|---:|---:|---:|---:|")
        for r in range(args.repeat):
            for mode in modes:
                if mode == "skimage" and r > 0:
                    continue  # slow and only a reference: measured once
                result = measure(mode, stack, args.iterations, args.memory_limit,
                                 str(Path(folder) / "out"))
                runs[mode].append(result)
                print(f"| {mode} | {r + 1} | {result['seconds']:.1f} | "
                      f"{voxels / result['seconds'] / 1e6:.2f} | "
                      f"{result['peak_rss'] / 1e6:.0f} |", flush=True)

    def ratio(a, b):
        values = [b_run["seconds"] / a_run["seconds"] for a_run, b_run in
                  zip(runs[a], runs[b])]
        return statistics.median(values), max(values)

    print()
    median, best = ratio("chunked", "whole-batch")
    print(f"chunked / whole-volume throughput, the same batch job: median {median:.2f}, "
          f"best {best:.2f} (target >= 0.75): {'PASS' if median >= 0.75 else 'FAIL'}")
    median, best = ratio("chunked", "whole")
    print(f"chunked (I/O and start-up included) / the whole-volume solve alone: median "
          f"{median:.2f}, best {best:.2f}")
    peaks = [r["peak_rss"] / limit for r in runs["chunked"]]
    print(f"chunked peak RSS / limit: median {statistics.median(peaks):.2f}, best "
          f"{min(peaks):.2f} (target <= 1.20): "
          f"{'PASS' if statistics.median(peaks) <= 1.2 else 'FAIL'}")
    whole_peak = statistics.median(r["peak_rss"] for r in runs["whole"])
    print(f"whole-volume peak RSS: {whole_peak / 1e6:.0f} MB ({whole_peak / limit:.1f}× "
          "the limit)")
    if "skimage" in runs:
        chunked = [voxels / r["seconds"] for r in runs["chunked"]]
        skimage = voxels / runs["skimage"][0]["seconds"]
        print(f"restore batch (chunked, I/O included) / scikit-image richardson_lucy "
              f"throughput: median {statistics.median(chunked) / skimage:.2f}, best "
              f"{max(chunked) / skimage:.2f}; whole-volume restore / scikit-image: "
              f"{statistics.median(voxels / r['seconds'] for r in runs['whole']) / skimage:.2f}")


if __name__ == "__main__":
    main()
