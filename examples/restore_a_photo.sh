#!/usr/bin/env bash
# Restore a blurred photo from the shell: the same three solvers as
# restore_a_photo.py (Wiener, accelerated Richardson-Lucy, total variation),
# each with its automatic parameters, through the `restore` command.
#
# data/blurred.png is data/clean.png blurred by a Gaussian PSF of sigma = 2 px
# with noise at 30 dB (8-bit). Each command writes an 8-bit PNG (the input's
# bit depth) and prints one line on stderr: what it chose and how long it took.
# The last step compares the results with the clean image (PSNR, in Python).
#
# Run from anywhere:
#
#     bash examples/restore_a_photo.sh                 # results in examples/output/
#     bash examples/restore_a_photo.sh --out /tmp/fig  # or anywhere else
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DATA="$(cd "$HERE/../data" && pwd)"
OUT="$HERE/output"
if [[ "${1:-}" == "--out" ]]; then
    OUT="${2:?--out needs a folder}"
fi
mkdir -p "$OUT"

restore --version

# --force: replace a result left by an earlier run (the input is never touched).
restore wiener "$DATA/blurred.png" --psf gauss:2 -o "$OUT/photo.wiener.png" --force
restore rl     "$DATA/blurred.png" --psf gauss:2 --accelerate -o "$OUT/photo.rl.png" --force
restore tv     "$DATA/blurred.png" --psf gauss:2 -o "$OUT/photo.tv.png" --force

# How close is each result to the truth? (PSNR in dB, on the 8-bit values.)
"${PYTHON:-python3}" - "$DATA" "$OUT" <<'PY'
import sys
from pathlib import Path

import imageio.v3 as iio

import restore

data, out = Path(sys.argv[1]), Path(sys.argv[2])
clean = iio.imread(data / "clean.png").astype(float)
for name, path in [("observed", data / "blurred.png"), ("wiener", out / "photo.wiener.png"),
                   ("rl", out / "photo.rl.png"), ("tv", out / "photo.tv.png")]:
    print(f"{name:<9} PSNR {restore.metrics.psnr(clean, iio.imread(path)):5.2f} dB  {path}")
PY
