#!/usr/bin/env bash
# The one script a device session runs on the GPU machine (one NVIDIA H200, CuPy
# there, nothing downloadable): the GPU tests, then benchmarks/gpu.py, within one
# 10-minute command. Run from the repository root, with the wheels of
# benchmarks/README.md ("GPU") in .whl/ and `.whl` in the run's carry:
#
#     bash benchmarks/device_check.sh
#
# Writes to $OUT (a scratch folder here when OUT is unset):
#   device_check.log   everything: versions, nvidia-smi, pytest, gpu.py and its progress
#   pytest_gpu.xml     the GPU tests' JUnit record
#   gpu_table.md       gpu.py's tables (Markdown, the part to paste into the issue)
#   gpu.json           every number gpu.py measured (written after each phase)
#
# Knobs (environment): DEADLINE seconds from the start by which everything must be
# done (default 420, so that a run with timeout_s 480 leaves device time for a
# partial rerun), PYTEST_LIMIT (default 180 s),
# SKIP_TESTS=1 or SKIP_BENCH=1 to rerun one half, GPU_ARGS extra gpu.py arguments
# (e.g. "--no-cpu" or "--sizes 8192x8192"). The exit status is the first failure's.

set -u -o pipefail
START=$SECONDS
DEADLINE=${DEADLINE:-420}
PYTEST_LIMIT=${PYTEST_LIMIT:-180}
OUT=${OUT:-$(mktemp -d /tmp/device_check.XXXXXX)}
mkdir -p "$OUT"
LOG="$OUT/device_check.log"
export PYTHONUNBUFFERED=1
cd "$(dirname "$0")/.."
ROOT=$PWD

left() { echo $((DEADLINE - (SECONDS - START))); }
say() { echo "== $* ($((SECONDS - START)) s)" | tee -a "$LOG"; }

: >"$LOG"
say "restore device check in $ROOT, results in $OUT"

# 1. the carried wheels (PyWavelets, dask, partd, locket) and the project itself
#    (pure Python: the repository root on PYTHONPATH, no build, no dependencies)
SITE=/tmp/site
if compgen -G ".whl/*.whl" >/dev/null; then
    say "installing $(ls .whl/*.whl | wc -l) carried wheels into $SITE"
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target "$SITE" .whl/*.whl 2>&1 | tee -a "$LOG" || say "WARNING: wheel install failed"
else
    say "WARNING: no .whl/*.whl here (carry [\".whl\"]): PyWavelets and dask will be missing"
fi
export PYTHONPATH="$SITE:$ROOT${PYTHONPATH:+:$PYTHONPATH}"

# 2. what we run on
say "versions"
{
    python3 --version
    python3 - <<'EOF'
import importlib, importlib.metadata as md
for name in ["numpy", "scipy", "cupy-cuda13x", "scikit-image", "PyWavelets", "dask", "partd",
             "locket", "click", "imageio", "tifffile", "tqdm", "pytest"]:
    try:
        print(f"{name} {md.version(name)}")
    except md.PackageNotFoundError:
        print(f"{name} MISSING")
for module in ["restore", "pywt", "dask.array", "skimage", "cupy"]:
    try:
        where = importlib.import_module(module).__file__
        print(f"import {module}: ok ({where})")
    except Exception as error:  # noqa: BLE001 - the log says what failed
        print(f"import {module}: FAILED {type(error).__name__}: {error}")
try:
    import cupy
    props = cupy.cuda.runtime.getDeviceProperties(0)
    print(f"cupy sees {cupy.cuda.runtime.getDeviceCount()} device(s): {props['name'].decode()}, "
          f"CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()}, "
          f"driver {cupy.cuda.runtime.driverGetVersion()}")
except Exception as error:  # noqa: BLE001
    print(f"cupy device query FAILED {type(error).__name__}: {error}")
EOF
    nvidia-smi || echo "nvidia-smi FAILED"
    nproc
} 2>&1 | tee -a "$LOG"

STATUS=0

# 3. the GPU tests (same answers as the CPU, arrays kept on the device): the files
#    with gpu-marked tests only, since collecting the others needs packages the
#    device lacks (nbformat, nbclient for the notebook tests)
if [ "${SKIP_TESTS:-0}" != 1 ]; then
    limit=$(( $(left) - 150 < PYTEST_LIMIT ? $(left) - 150 : PYTEST_LIMIT ))
    [ "$limit" -lt 30 ] && limit=30
    files=$(grep -l "mark\.gpu" tests/test_*.py | tr '\n' ' ')
    say "pytest -m gpu $files(limit ${limit} s)"
    # shellcheck disable=SC2086
    timeout -k 10 "$limit" python3 -m pytest -m gpu -q -p no:cacheprovider --durations=8 \
        --junitxml "$OUT/pytest_gpu.xml" $files 2>&1 | tee -a "$LOG"
    rc=$?
    say "pytest exit status $rc$([ $rc = 124 ] && echo ' (timed out)')"
    [ $STATUS = 0 ] && STATUS=$rc
fi

# 4. the benchmark: device tables first, then the CPU comparison within what is left
if [ "${SKIP_BENCH:-0}" != 1 ]; then
    limit=$(( $(left) - 5 ))
    [ "$limit" -lt 60 ] && limit=60
    say "benchmarks/gpu.py (limit ${limit} s)"
    # shellcheck disable=SC2086
    timeout -k 10 "$limit" python3 benchmarks/gpu.py --json "$OUT/gpu.json" \
        --time-limit $((limit - 25)) ${GPU_ARGS:-} 2> >(tee -a "$LOG" >&2) \
        | tee "$OUT/gpu_table.md" | tee -a "$LOG"
    rc=$?
    say "gpu.py exit status $rc$([ $rc = 124 ] && echo ' (timed out: partial tables)')"
    [ $STATUS = 0 ] && STATUS=$rc
fi

say "done, exit status $STATUS; files: $(ls "$OUT" | tr '\n' ' ')"
exit $STATUS
