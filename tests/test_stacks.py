"""Tests for restore/stacks: chunked solves, stack I/O with metadata, the batch driver."""

import hashlib
import json
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
import tifffile

import restore
from restore.stacks import (
    deconvolve_stack,
    discover,
    open_stack,
    parse_memory,
    plan_chunks,
    read_record,
)
from restore.operators import cosine_axes, extend_piece, mirroring_axes
from restore.stacks import batch as batch_module
from restore.stacks.batch import run_batch
from restore.stacks.psfs import psfs_for
from restore.cli import main as cli_main

PSF3 = restore.psf.gaussian((1.0, 1.5, 1.5))  # 9 x 13 x 13
SMALL_LIMIT = "1.2MB"  # cuts a 16 x 64 x 64 volume into 4 chunks (2 x 2) for RL
SHAPE = (16, 64, 64)


def _scene(shape=SHAPE, seed=0, peak=200.0):
    """Beads and a bar on a background, in photons."""
    rng = np.random.default_rng(seed)
    g = np.full(shape, 5.0)
    for _ in range(25):
        z, y, x = (rng.integers(2, n - 2) for n in shape)
        g[z - 1:z + 2, y - 1:y + 2, x - 1:x + 2] += peak * rng.uniform(0.3, 1.0)
    g[shape[0] // 2, 10:50, 30:33] += peak / 2
    return g


def _observed(shape=SHAPE, seed=0, psf=PSF3, peak=200.0):
    """The scene blurred by `psf` with Poisson noise, as uint16 counts."""
    blurred = restore.blur(_scene(shape, seed, peak), psf)
    return np.random.default_rng(seed + 1).poisson(np.maximum(blurred, 0)).astype(np.uint16)


def _interior(array, psf_shape):
    """`array` without a half PSF at each border of the stack."""
    m = [k // 2 for k in psf_shape]
    return array[tuple(slice(h, n - h) for h, n in zip(m, array.shape))]


# ------------------------------------------------------------------ chunking


@pytest.mark.parametrize("kind", ["numpy", "dask"])  # tasks reading regions; map_overlap
def test_chunked_rl_matches_whole_volume_inside_the_stack(kind):
    import dask.array as da

    f = _observed().astype(np.float32)
    whole = restore.richardson_lucy(f, PSF3, iterations=15)
    given = f if kind == "numpy" else da.from_array(f, chunks=(16, 32, 32))
    chunked, report = deconvolve_stack(given, PSF3, method="rl", iterations=15,
                                       memory_limit=SMALL_LIMIT, return_info=True)
    assert report.plan.count >= 4 and report.plan.halo[1:] == PSF3.shape[1:]
    error = np.abs(_interior(chunked, PSF3.shape) - _interior(whole, PSF3.shape)).max()
    assert error <= 1e-3 * whole.max()


@pytest.mark.parametrize("method", ["rl", "tv"])
def test_chunks_laid_out_as_pieces_match_the_whole_volume_to_its_edges(method, monkeypatch):
    """A chunk is padded only at the volume's own edges, as the boundary mode
    pads them (mirrored: "reflect"), and solved as periodic on that grid: the
    halo absorbs the wrap at cut sides. The interior matches the whole volume
    to 1e-3, and so does the rim along the volume's edges."""
    import restore.stacks.process as process

    laid_out = []

    def counting(f, psf_shape, boundary, cut, cosine=()):
        laid_out.append((boundary, cut))
        return extend_piece(f, psf_shape, boundary, cut, cosine)

    monkeypatch.setattr(process, "extend_piece", counting)
    f = _observed().astype(np.float32)
    if method == "rl":
        options, limit = {"iterations": 15}, SMALL_LIMIT
    else:
        # 4 chunks (2 x 2); 16 planes under a 9-plane PSF, which TV's "auto"
        # leaves unknown (not laid out as pieces): the mirror is asked for
        options, limit = {"lam": 0.05, "iterations": 10, "boundary": "reflect"}, "5MB"
    chunked, report = deconvolve_stack(f, PSF3, method=method, memory_limit=limit,
                                       return_info=True, **options)
    if method == "rl":
        whole = restore.richardson_lucy(f, PSF3, iterations=15)
    else:  # with the ADMM penalty the batch fixed (it follows the block's noise level)
        whole = restore.tv(f, PSF3, lam=0.05, iterations=10, rho=report.chosen["rho"],
                           boundary="reflect")
    assert report.plan.count >= 4 and report.plan.halo[1:] == PSF3.shape[1:]
    assert len(laid_out) == report.plan.count  # every chunk (the decision block is not)
    assert {b for b, _ in laid_out} == {"reflect"}
    assert {c[0] for _, c in laid_out} == {(False, False)}  # z not cut: the volume's edges
    error = np.abs(_interior(chunked, PSF3.shape) - _interior(whole, PSF3.shape)).max()
    assert error <= 1e-3 * whole.max()
    assert np.abs(chunked - whole).max() <= 1e-3 * whole.max()


def test_chunks_of_an_unknown_boundary_are_padded_by_the_solver(monkeypatch):
    """"unknown" (no mirror, a mask of the observed pixels) is not laid out as
    pieces: each chunk keeps the solver's own margins and still matches."""
    import restore.stacks.process as process

    monkeypatch.setattr(process, "extend_piece", None)  # never called
    f = _observed().astype(np.float32)
    whole = restore.richardson_lucy(f, PSF3, iterations=15, boundary="unknown")
    chunked, report = deconvolve_stack(f, PSF3, method="rl", iterations=15,
                                       boundary="unknown", memory_limit="4MB",
                                       return_info=True)
    assert report.plan.count > 1
    error = np.abs(_interior(chunked, PSF3.shape) - _interior(whole, PSF3.shape)).max()
    assert error <= 1e-3 * whole.max()


def test_a_chunk_that_is_the_whole_volume_is_laid_out_as_the_solver_does():
    """A piece with no cut side is on the solver's own grid, extended the same way
    (the axes the solver mirrors by a DCT mirrored so too); RL-TV pads them all."""
    f = _observed().astype(np.float32)
    psf = PSF3.astype(np.float32) / PSF3.sum()
    uncut = ((False, False),) * 3
    for tv_weight, cosine in ((0.0, cosine_axes(psf, f.shape)), (0.002, ())):
        whole = restore.richardson_lucy(f, psf, iterations=5, boundary="reflect",
                                        tv_weight=tv_weight)
        extended, window = extend_piece(f, psf.shape, "reflect", uncut, cosine)
        with mirroring_axes(cosine):
            periodic = restore.richardson_lucy(extended, psf, iterations=5,
                                               boundary="periodic", tv_weight=tv_weight)
        np.testing.assert_allclose(periodic[window], whole, rtol=1e-5, atol=1e-4)
    assert cosine_axes(psf, f.shape) == (0, 1, 2)  # the first loop mirrored them


def test_without_a_halo_the_seams_show():
    """The comparison above can fail: with no halo the chunks disagree."""
    f = _observed().astype(np.float32)
    whole = restore.richardson_lucy(f, PSF3, iterations=15)
    seams = deconvolve_stack(f, PSF3, method="rl", iterations=15, memory_limit=SMALL_LIMIT,
                             halo=(0, 0, 0))
    error = np.abs(_interior(seams, PSF3.shape) - _interior(whole, PSF3.shape)).max()
    assert error > 1e-2 * whole.max()


def test_automatic_iterations_are_decided_once_for_every_chunk():
    f = _observed().astype(np.float32)
    auto, report = deconvolve_stack(f, PSF3, method="rl", iterations="auto",
                                    memory_limit=SMALL_LIMIT, return_info=True)
    k, floor = report.chosen["iterations"], report.chosen["floor"]
    assert report.decided_on is not None and 1 <= k < 500
    assert 4 < floor <= 5  # the scene's 5-photon background: one floor for every chunk
    # the same count, floor and (accelerated) step factors given explicitly
    # give the same chunks, bit for bit...
    from restore.stacks.process import _central, batch_options, decide

    fixed, _, _ = decide(f[_central(f.shape, report.decided_on)], PSF3, "richardson_lucy",
                         batch_options("rl", {"iterations": "auto"}), volume_shape=f.shape)
    factors = fixed["accelerate"]
    explicit = deconvolve_stack(f, PSF3, method="rl", iterations=k, floor=floor,
                                accelerate=factors, memory_limit=SMALL_LIMIT)
    np.testing.assert_array_equal(auto, explicit)
    # ...and agree with the whole volume restored with them
    whole = restore.richardson_lucy(f, PSF3, iterations=k, floor=floor, accelerate=factors)
    error = np.abs(_interior(auto, PSF3.shape) - _interior(whole, PSF3.shape)).max()
    assert error <= 2e-3 * whole.max()  # accelerated: see the step factors' test


def test_automatic_tikhonov_lambda_is_one_number_for_every_chunk():
    """λ is chosen once; the halo reaches as far as the filter's response
    (wider than the PSF at this λ), so the chunks match the whole volume."""
    f = _observed().astype(np.float32)
    out, report = deconvolve_stack(f, PSF3, method="tikhonov", memory_limit="4MB",
                                   return_info=True)
    assert report.plan.count == 4
    assert report.plan.halo[1] > PSF3.shape[1]  # the PSF's support leaves 1.2e-3
    lam = report.chosen["lam"]
    explicit = deconvolve_stack(f, PSF3, method="tikhonov", lam=lam, memory_limit="4MB")
    np.testing.assert_array_equal(out, explicit)
    whole = restore.tikhonov(f, PSF3, lam=lam)
    error = np.abs(_interior(out, PSF3.shape) - _interior(whole, PSF3.shape)).max()
    assert error <= 1e-3 * whole.max()


def test_wiener_chunks_match_the_whole_volume_with_their_model():
    """The NSR model fitted on the central block, applied to the whole volume,
    is what the chunks reproduce."""
    from restore.stacks.process import _wiener_fixed, _wiener_model, _central

    f = _observed().astype(np.float32)
    out, report = deconvolve_stack(f, PSF3, method="wiener", memory_limit="4MB",
                                   return_info=True)
    assert report.plan.count > 1 and report.decided_on is not None
    psf = (PSF3 / PSF3.sum()).astype(np.float32)
    model = _wiener_model(f[_central(f.shape, report.decided_on)], psf)
    whole = _wiener_fixed(f, psf, model, "auto")
    error = np.abs(_interior(out, PSF3.shape) - _interior(whole, PSF3.shape)).max()
    assert error <= 1e-3 * whole.max()


def test_a_halo_the_limit_cannot_hold_is_said():
    f = _observed().astype(np.float32)
    with pytest.warns(RuntimeWarning, match="tikhonov: the memory limit leaves room"):
        out = deconvolve_stack(f, PSF3, method="tikhonov", memory_limit="2.5MB")
    assert np.isfinite(out).all()


def test_the_reach_of_a_closed_form_grows_as_its_weight_falls():
    from restore.stacks.process import filter_reach

    psf = (PSF3 / PSF3.sum()).astype(np.float32)
    strong, weak = (filter_reach(psf, "tikhonov", {"lam": lam}, {}, (64, 256, 256))
                    for lam in (1e-1, 1e-4))
    assert all(s < w for s, w in zip(strong, weak))
    assert weak[1] > PSF3.shape[1]


def test_tv_chunks_share_the_weight_chosen_on_the_block():
    """The automatic λ is chosen once, on the central block, and every chunk
    solves with that λ (TV's objective weight, not one per chunk)."""
    f = _observed().astype(np.float32)
    # 16 planes under a 9-plane PSF: "auto" is "unknown", each chunk padded
    out, report = deconvolve_stack(f, PSF3, method="tv", iterations=5,
                                   memory_limit="20MB", return_info=True)
    assert report.chosen["boundary"] == "unknown"
    assert not report.plan.whole
    lam = report.chosen["lam"]
    whole = restore.tv(f, PSF3, lam=lam, iterations=5, rho=report.chosen["rho"])
    error = np.abs(_interior(out, PSF3.shape) - _interior(whole, PSF3.shape)).max()
    assert error <= 1e-3 * whole.max()


def test_automatic_wiener_model_is_the_solvers_own():
    """The NSR model fitted once and given to chunks reproduces restore.wiener's 'auto'."""
    from restore.stacks.process import _wiener_fixed, _wiener_model

    f = _observed().astype(np.float32)
    psf = PSF3.astype(np.float32)
    fixed = _wiener_fixed(f, psf, _wiener_model(f, psf), "auto")
    np.testing.assert_allclose(fixed, restore.wiener(f, PSF3), rtol=1e-6, atol=1e-5)


def test_a_volume_that_fits_is_restored_whole_exactly_as_the_solver():
    f = _observed().astype(np.float32)
    out, report = deconvolve_stack(f, PSF3, method="rl", iterations="auto",
                                   memory_limit="1GB", return_info=True)
    whole, info = restore.richardson_lucy(f, PSF3, iterations="auto", return_info=True)
    assert report.plan.whole and report.chosen["iterations"] == info.iterations
    assert report.chosen["accelerate"] is True  # as the solver: automatic iterations
    np.testing.assert_array_equal(out, whole)


@pytest.mark.parametrize("iterations", ["auto", 12])
def test_accelerated_chunks_take_the_step_factors_of_the_central_block(iterations):
    """Biggs-Andrews' step factor is one number per iteration read over the
    whole grid: chunks estimating their own parted from each other and from
    the volume (4.8e-3 of the peak inside the stack at 12 iterations, 5.6e-3
    at 30). The central block's factors go to every chunk, and the chunks
    then match the whole volume solved with the same factors (at 12 given
    iterations 1e-3; the 11 automatic ones stand for 32 plain iterations and
    the extrapolation carries the halo's small differences on: 1.5e-3)."""
    f = _observed().astype(np.float32)
    chunked, report = deconvolve_stack(f, PSF3, method="rl", iterations=iterations,
                                       accelerate=True, memory_limit=SMALL_LIMIT,
                                       return_info=True)
    assert report.plan.count >= 4 and report.chosen["accelerate"] is True
    k = report.chosen["iterations"]
    # the block's run, replayed by every chunk: its factors, its count, its floor
    from restore.stacks.process import _central, batch_options, decide

    fixed, _, _ = decide(f[_central(f.shape, report.decided_on)], PSF3, "richardson_lucy",
                         batch_options("rl", {"iterations": iterations, "accelerate": True}),
                         volume_shape=f.shape)
    assert len(fixed["accelerate"]) == k and max(fixed["accelerate"]) > 0.3
    assert report.chosen["step_factors"] == list(fixed["accelerate"])  # reproducible
    whole = restore.richardson_lucy(f, PSF3, iterations=k, accelerate=fixed["accelerate"],
                                    floor=fixed.get("floor", 0.0),
                                    boundary=fixed["boundary"])
    error = np.abs(_interior(chunked, PSF3.shape) - _interior(whole, PSF3.shape)).max()
    assert error <= 2e-3 * whole.max()


def test_a_volume_that_fits_is_solved_once(monkeypatch, tmp_path):
    """The solve and its info were two names for one task after dask fused the
    graph: the volume was solved twice, at once (twice the time and memory)."""
    calls = []
    solver = restore.SOLVERS["richardson_lucy"]

    def counted(*args, **kwargs):
        calls.append(args[0].shape)
        return solver(*args, **kwargs)

    monkeypatch.setitem(restore.SOLVERS, "richardson_lucy", counted)
    f = _observed().astype(np.float32)
    deconvolve_stack(f, PSF3, method="rl", iterations=3, memory_limit="1GB",
                     return_info=True)
    assert calls == [f.shape]
    calls.clear()
    path = tmp_path / "stack.tif"
    tifffile.imwrite(path, f)
    code = cli_main(["batch", str(path), "--method", "rl", "--psf", "gauss:1.5,1,1",
                 "--iterations", "3", "--out", str(tmp_path / "out"), "-q"])
    assert code == 0 and calls == [f.shape]


def test_thin_stack_with_a_deeper_psf_is_restored():
    psf = restore.psf.gaussian((3.0, 1.5, 1.5))  # 25 planes
    f = _observed((25, 48, 48), psf=psf)[8:17].astype(np.float32)  # 9 planes of a deep scene
    with pytest.warns(UserWarning, match="mirrored out"):  # the solver does the same itself
        single = restore.richardson_lucy(f, psf, iterations=5)
    out = deconvolve_stack(f, psf, method="rl", iterations=5, memory_limit="1GB")
    np.testing.assert_allclose(out, single, rtol=1e-5, atol=1e-5 * single.max())
    # reference by hand: mirror the planes out to the PSF's depth, restore, crop
    padded = np.pad(f, ((8, 8), (0, 0), (0, 0)), mode="symmetric")
    reference = restore.richardson_lucy(padded, psf, iterations=5)
    np.testing.assert_allclose(out, reference[8:17], rtol=1e-5, atol=1e-5 * reference.max())
    assert out.shape == f.shape and np.all(out >= 0)


def test_tv_batch_of_a_stack_thinner_than_its_psf_leaves_it_unknown(recwarn):
    """TV's "auto" on 9 planes under a 25-plane PSF is "unknown" with no
    mirrored-out copy, in the batch as in the solver: chunks match the whole
    volume restored by restore.tv at the block's λ inside it (within a PSF of
    the volume's sides, each chunk's own unseen border differs, as for any
    "unknown" chunk: up to 1 % of the peak here)."""
    psf = restore.psf.gaussian((3.0, 1.5, 1.5))  # 25 planes
    f = _observed((25, 64, 64), psf=psf)[8:17].astype(np.float32)
    out, report = deconvolve_stack(f, psf, method="tv", iterations=8, memory_limit="40MB",
                                   return_info=True)
    assert report.plan.count >= 2 and report.chosen["boundary"] == "unknown"
    assert not [w for w in recwarn if "mirrored out" in str(w.message)]
    whole = restore.tv(f, psf, lam=report.chosen["lam"], rho=report.chosen["rho"],
                       iterations=8)
    lateral = (1,) + psf.shape[1:]  # every plane: the stack is thinner than the PSF
    error = np.abs(_interior(out, lateral) - _interior(whole, lateral)).max()
    assert error <= 1e-3 * whole.max()
    # in one piece: the solver's own call, automatic λ included
    single = deconvolve_stack(f, psf, method="tv", iterations=8, memory_limit="1GB")
    np.testing.assert_array_equal(single, restore.tv(f, psf, iterations=8))


def test_a_plan_of_pieces_has_fewer_larger_chunks_within_the_limit():
    """Laid out as pieces (no margin at cut sides), chunks cost less grid, so
    the plan takes fewer, larger ones; the volume's z (the PSF's tallest
    axis, shorter than a z halo pair) is not cut, and the largest chunk's
    solve still fits."""
    from restore.stacks.plan import axis_pieces, solve_bytes

    shape, psf = (32, 2420, 2420), (21, 31, 31)
    old = plan_chunks(shape, psf, memory_limit=161e6)
    new = plan_chunks(shape, psf, memory_limit=161e6, boundary="reflect")
    assert new.count < old.count and new.chunks[0] == old.chunks[0] == 32
    assert new.halo == (0, 31, 31) and new.task_bytes <= new.budget
    lengths = [axis_pieces(n, c, h, k, "reflect")
               for n, c, h, k in zip(shape, new.chunks, new.halo, psf)]
    assert lengths[0][0] == (72,)  # z: the solver's own reflect grid, 32 + 3 × 11 → 72
    # a chunk inside the volume: its read plus the seam's few pixels, a fast length
    assert lengths[1][0][1] == restore.operators.boundaries.next_fast_length(
        new.chunks[1] + 2 * 31 + restore.operators.CUT_GAP)
    biggest = tuple(max(w) for w, _ in lengths)
    reads = tuple(max(r) for _, r in lengths)
    assert solve_bytes(reads, psf, "richardson_lucy", work=biggest) == new.task_bytes


def test_a_plan_mirrors_z_by_a_dct_and_runs_chunks_side_by_side():
    """With the solve's DCT axes (z of a tall PSF) the chunks carry no z
    padding, so they are larger for the same memory; with two threads the
    plan solves two at once on one thread each, their memory together
    within the budget (on one thread: one at a time, the default threads)."""
    from restore.stacks.plan import axis_pieces

    shape, psf = (32, 2420, 2420), (21, 31, 31)
    padded = plan_chunks(shape, psf, memory_limit=161e6, boundary="reflect")
    mirrored = plan_chunks(shape, psf, memory_limit=161e6, boundary="reflect", cosine=(0,))
    assert axis_pieces(32, 32, 0, 21, "reflect", True)[0] == (32,)
    assert mirrored.count < padded.count and mirrored.task_bytes <= mirrored.budget
    assert (mirrored.concurrency, mirrored.threads) == (1, None)
    side = plan_chunks(shape, psf, memory_limit=161e6, boundary="reflect", cosine=(0,),
                       threads=2)
    assert (side.concurrency, side.threads) == (2, 1)
    assert side.concurrency * side.task_bytes <= side.budget
    assert "2 at a time on 1 thread each" in side.describe()


def test_chunks_side_by_side_each_on_its_share_of_the_threads(monkeypatch):
    """deconvolve_stack runs as many chunks at once as the plan says (never
    more), each solve on its share of the threads, and still matches the
    whole volume inside the stack."""
    import threading

    import restore.stacks.process as process
    from restore import _backend

    monkeypatch.setattr(process, "FFT_WORKERS", 2)
    original, lock = process.restore.SOLVERS["richardson_lucy"], threading.Lock()
    running, seen = [0], []

    def watched(*args, **kwargs):
        with lock:
            running[0] += 1
            seen.append((running[0], _backend.fft_workers()))
        try:
            return original(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setitem(process.restore.SOLVERS, "richardson_lucy", watched)
    f = _observed().astype(np.float32)
    out, report = deconvolve_stack(f, PSF3, method="rl", iterations=10, memory_limit="2MB",
                                   return_info=True)
    assert (report.plan.concurrency, report.plan.threads) == (2, 1)
    decided = report.decided_on is not None  # the central block: alone, on every thread
    assert len(seen) == report.plan.count + decided and seen[:decided] == [(1, 2)] * decided
    chunks = seen[decided:]
    assert max(n for n, _ in chunks) <= 2 and {w for _, w in chunks} == {1}
    whole = original(f, PSF3, iterations=10)
    error = np.abs(_interior(out, PSF3.shape) - _interior(whole, PSF3.shape)).max()
    assert error <= 1e-3 * whole.max()


def test_piece_layout_pads_only_the_volumes_own_edges():
    from restore.operators import grid_layout, piece_layout

    f = np.arange(12 * 30 * 40, dtype=np.float32).reshape(12, 30, 40)
    psf_shape = (5, 9, 9)
    for mode in ("reflect", "smooth"):  # no cut side: the solver's own layout and extension
        shape, margin = grid_layout(psf_shape, f.shape, mode)
        extended, window = extend_piece(f, psf_shape, mode, ((False, False),) * 3)
        np.testing.assert_array_equal(extended, restore.operators.extend(f, shape, margin, mode))
    cut = ((False, False), (True, False), (True, True))
    shape, pads = piece_layout(psf_shape, f.shape, "reflect", cut)
    assert pads == ((3, 3), (0, 5), (0, 0))
    extended, window = extend_piece(f, psf_shape, "reflect", cut)
    assert extended.shape == shape and shape[2] >= 40 + restore.operators.CUT_GAP
    np.testing.assert_array_equal(extended[window], f)
    # the volume's own edge along y (after) is mirrored, as "reflect" mirrors it
    np.testing.assert_array_equal(extended[3:15, 30:35, :40], f[:, :-6:-1, :])
    with pytest.raises(ValueError, match="boundary='unknown' is not supported"):
        piece_layout(psf_shape, f.shape, "unknown", cut)


def test_plan_fits_the_limit_and_refuses_an_impossible_one():
    plan = plan_chunks((32, 512, 512), (21, 31, 31), memory_limit=100e6)
    assert not plan.whole and plan.task_bytes <= 100e6
    assert plan.halo == (0, 31, 31)  # z not cut: a halo only where chunks meet
    with pytest.raises(ValueError, match="memory limit .* too small"):
        plan_chunks((32, 512, 512), (21, 31, 31), memory_limit=1e6)


@pytest.mark.parametrize("text, expected", [("4GB", 4 * 10**9), ("500MB", 5 * 10**8),
                                            ("2GiB", 2 * 2**30), ("1e6", 10**6)])
def test_parse_memory(text, expected):
    assert parse_memory(text) == expected


@pytest.mark.parametrize("text", ["lots", "-1GB", "0", "4 parsecs"])
def test_parse_memory_refuses_nonsense(text):
    with pytest.raises(ValueError, match="memory limit"):
        parse_memory(text)


# ------------------------------------------------------------------- dtypes


# ----------------------------------------------------------------- reading


def _imagej_hyperstack(path, data, axes="ZYX", **metadata):
    tifffile.imwrite(path, data, imagej=True, resolution=(10.0, 10.0),
                     metadata={"axes": axes, "spacing": 0.3, "unit": "um", **metadata})


def test_imagej_calibration_is_read(tmp_path):
    path = tmp_path / "cells.tif"
    _imagej_hyperstack(path, np.zeros((2, 4, 3, 16, 16), np.uint16), axes="TZCYX",
                       Labels=["dapi", "gfp", "rfp"] * 8)
    data, meta = open_stack(path)
    assert meta.axes == "TZCYX" and data.shape == (2, 4, 3, 16, 16)
    assert meta.voxel_size == pytest.approx({"Z": 0.3, "Y": 0.1, "X": 0.1})
    assert meta.unit == "µm" and meta.channel_names == ["dapi", "gfp", "rfp"]


def test_ome_calibration_and_optics_are_read(tmp_path):
    path = tmp_path / "cells.ome.tif"
    tifffile.imwrite(path, np.zeros((2, 8, 16, 16), np.uint16), ome=True,
                     photometric="minisblack", metadata={
                         "axes": "CZYX", "PhysicalSizeX": 0.065, "PhysicalSizeY": 0.065,
                         "PhysicalSizeZ": 0.2, "Channel": {"Name": ["a", "b"]}})
    data, meta = open_stack(path)
    assert meta.format == "ome-tiff" and meta.axes == "CZYX"
    assert meta.voxel_size == pytest.approx({"X": 0.065, "Y": 0.065, "Z": 0.2})
    assert meta.unit == "µm" and meta.channel_names == ["a", "b"]


def test_zarr_input_is_read_lazily(tmp_path):
    import zarr

    volume = _observed()
    array = zarr.create_array(str(tmp_path / "v.zarr"), shape=volume.shape, dtype=volume.dtype,
                              chunks=(8, 32, 32))
    array[:] = volume
    data, meta = open_stack(tmp_path / "v.zarr")
    assert meta.format == "zarr" and meta.axes == "ZYX"
    np.testing.assert_array_equal(data[3:5, 10:20].compute(), volume[3:5, 10:20])


def test_discover_folders_globs_and_zarr(tmp_path):
    import zarr

    for name in ("a.tif", "b.ome.tif", "notes.txt", ".hidden.tif"):
        (tmp_path / name).write_bytes(b"x")
    zarr.create_array(str(tmp_path / "c.zarr"), shape=(4, 4), dtype="u2")
    assert [p.name for p in discover([tmp_path])] == ["a.tif", "b.ome.tif", "c.zarr"]
    assert [p.name for p in discover([str(tmp_path / "*.tif"), tmp_path / "a.tif"])] == [
        "a.tif", "b.ome.tif"]
    with pytest.raises(ValueError, match="matches no"):
        discover([str(tmp_path / "*.png")])
    with pytest.raises(ValueError, match="does not exist"):
        discover([tmp_path / "missing.tif"])


# --------------------------------------------------------------------- PSFs


def test_widefield_spec_takes_the_voxel_size_from_the_file(tmp_path):
    path = tmp_path / "cells.tif"
    tifffile.imwrite(path, np.zeros((8, 16, 16), np.uint16), imagej=True,
                     resolution=(10.0, 10.0),
                     metadata={"axes": "ZYX", "spacing": 0.25, "unit": "um"})
    _, meta = open_stack(path)
    (psf,), _ = psfs_for(["widefield:1.2,0.52,1.33"], meta)
    np.testing.assert_allclose(psf, restore.psf.widefield(1.2, 0.52, 1.33, 0.1, 0.25))
    with pytest.warns(UserWarning, match="records 0.25"):
        (psf,), _ = psfs_for(["widefield:1.2,0.52,1.33,0.1,0.5"], meta)
    np.testing.assert_allclose(psf, restore.psf.widefield(1.2, 0.52, 1.33, 0.1, 0.25))
    plain = tmp_path / "plain.tif"
    tifffile.imwrite(plain, np.zeros((8, 16, 16), np.uint16))
    with pytest.raises(ValueError, match="lacks PIXEL, ZSTEP"):
        psfs_for(["widefield:1.2,0.52,1.33"], open_stack(plain)[1])


def test_one_psf_per_channel(tmp_path):
    path = tmp_path / "two.tif"
    tifffile.imwrite(path, np.zeros((8, 2, 16, 16), np.uint16), imagej=True,
                     metadata={"axes": "ZCYX"})
    _, meta = open_stack(path)
    psfs, _ = psfs_for(["gauss:1,1,1", "gauss:1,2,2"], meta)
    assert [p.shape for p in psfs] == [restore.psf.from_spec(s, ndim=3).shape
                                       for s in ("gauss:1,1,1", "gauss:1,2,2")]
    assert psfs[0].shape != psfs[1].shape
    with pytest.raises(ValueError, match="given 3 times .* 2 channel"):
        psfs_for(["gauss:1"] * 3, meta)
    narrow = restore.psf.from_spec("gauss:1,1,1", ndim=3)
    n = narrow.shape[0]
    wide = restore.psf.from_spec("gauss:1.5,1.5,1.5", ndim=3)
    c = (wide.shape[0] - n) // 2
    wide = wide[c:c + n, c:c + n, c:c + n]
    tifffile.imwrite(tmp_path / "psfs.tif", np.stack([narrow, wide]).astype(np.float32))
    from_file, _ = psfs_for([str(tmp_path / "psfs.tif")], meta)  # one file, a PSF per channel
    assert len(from_file) == 2
    np.testing.assert_allclose(from_file[0], narrow, atol=1e-6)
    np.testing.assert_allclose(from_file[1], wide / wide.sum(), atol=1e-6)


# ------------------------------------------------------------------- batch


def test_batch_keeps_imagej_calibration_and_records_what_was_done(tmp_path):
    volume = _observed()
    _imagej_hyperstack(tmp_path / "cells.tif", volume)
    before = hashlib.sha256((tmp_path / "cells.tif").read_bytes()).hexdigest()
    summary = run_batch([tmp_path / "cells.tif"], method="rl", psf="gauss:1,1.5,1.5",
                        out=tmp_path / "out", iterations=4)
    assert summary.count("done") == 1
    out = tmp_path / "out" / "cells.rl.tif"
    with tifffile.TiffFile(out) as tif:
        ij = tif.imagej_metadata
        assert tif.series[0].axes == "ZYX" and tif.series[0].dtype == np.float32
        assert tif.pages[0].resolution == pytest.approx((10.0, 10.0))
        assert ij["spacing"] == pytest.approx(0.3) and ij["unit"] == "um"
        result = tif.asarray()
    record = read_record(out)
    assert record["method"] == "richardson_lucy" and record["parameters"]["iterations"] == 4
    assert "restore:" in ij["Info"]
    np.testing.assert_allclose(result, restore.richardson_lucy(volume, PSF3, iterations=4),
                               rtol=1e-6, atol=1e-4)
    assert hashlib.sha256((tmp_path / "cells.tif").read_bytes()).hexdigest() == before


def test_the_record_of_an_accelerated_batch_reproduces_it(tmp_path):
    """Automatic iterations are accelerated, and Biggs-Andrews' step factors
    are part of what a volume was restored with: the record keeps them."""
    volume = _observed()
    tifffile.imwrite(tmp_path / "beads.tif", volume, photometric="minisblack")
    lines = []
    run_batch([tmp_path / "beads.tif"], method="rl", psf="gauss:1,1.5,1.5", out=tmp_path / "out",
              quiet=False, echo=lines.append)
    record = read_record(tmp_path / "out" / "beads.rl.tif")
    chosen = record["parameters"]
    assert chosen["accelerate"] is True and len(chosen["step_factors"]) == chosen["iterations"]
    assert "accelerate=True" in lines[-1] and "step_factors" not in lines[-1]  # for people
    again = restore.richardson_lucy(volume.astype(np.float32), PSF3,
                                    iterations=chosen["iterations"],
                                    accelerate=chosen["step_factors"], floor=chosen["floor"],
                                    boundary=chosen["boundary"])
    result = tifffile.imread(tmp_path / "out" / "beads.rl.tif")
    np.testing.assert_array_equal(result, again)


def test_batch_keeps_ome_calibration_and_channels(tmp_path):
    volume = np.stack([_observed(seed=1), _observed(seed=2)])
    tifffile.imwrite(tmp_path / "c.ome.tif", volume, ome=True, photometric="minisblack",
                     metadata={"axes": "CZYX", "PhysicalSizeX": 0.065, "PhysicalSizeY": 0.065,
                               "PhysicalSizeZ": 0.2, "Channel": {"Name": ["dapi", "gfp"]}})
    psfs = ["gauss:1,1.5,1.5", "gauss:1,1,1"]
    run_batch([tmp_path / "c.ome.tif"], method="rl", psf=psfs, out=tmp_path, iterations=3)
    out = tmp_path / "c.rl.ome.tif"
    with tifffile.TiffFile(out) as tif:
        pixels = next(e for e in ElementTree.fromstring(tif.ome_metadata).iter()
                      if e.tag.endswith("Pixels"))
        names = [e.get("Name") for e in pixels if e.tag.endswith("Channel")]
        result = tif.asarray()
    assert names == ["dapi", "gfp"]
    assert float(pixels.get("PhysicalSizeX")) == pytest.approx(0.065)
    assert float(pixels.get("PhysicalSizeZ")) == pytest.approx(0.2)
    for c, spec in enumerate(psfs):  # each channel with its own PSF
        reference = restore.richardson_lucy(volume[c], spec, iterations=3)
        np.testing.assert_allclose(result[c], reference, rtol=1e-6, atol=1e-4)


def _leave_room(monkeypatch, room=12 * 10**6, limit=10**9):
    """Pretend the process already uses all of `limit` but `room` bytes."""
    monkeypatch.setattr(batch_module, "process_memory", lambda: limit - room)


def test_batch_writes_ome_zarr_when_the_result_does_not_fit(tmp_path, monkeypatch):
    import zarr

    volume = _observed((16, 256, 256))  # a 4 MB float32 result: more than 12 MB / 4
    _imagej_hyperstack(tmp_path / "big.tif", volume)
    _leave_room(monkeypatch)
    summary = run_batch([tmp_path / "big.tif"], method="rl", psf="gauss:1,1.5,1.5",
                        out=tmp_path / "out", iterations=10, memory_limit="1GB")
    out = tmp_path / "out" / "big.rl.ome.zarr"
    assert summary.count("done") == 1 and out.is_dir()
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["big.rl.ome.zarr"]
    group = zarr.open_group(str(out), mode="r")
    image = group.attrs["ome"]["multiscales"][0]
    assert image["datasets"][0]["coordinateTransformations"][0]["scale"] == pytest.approx(
        [0.3, 0.1, 0.1])
    assert [a["name"] for a in image["axes"]] == ["z", "y", "x"]
    record = group.attrs["restore"]
    assert "chunks" in record["chunks"] and record["parameters"]["iterations"] == 10
    assert group["0"].compressors == ()  # float32: barely compressible, written as is
    whole = restore.richardson_lucy(volume, PSF3, iterations=10)
    error = np.abs(_interior(np.asarray(group["0"]), PSF3.shape)
                   - _interior(whole, PSF3.shape)).max()
    assert error <= 1e-3 * whole.max()


def test_integer_output_reports_the_values_it_clips(tmp_path):
    volume = _observed(peak=60000.0)
    path = tmp_path / "bright.tif"
    _imagej_hyperstack(path, volume)
    lines = []
    summary = run_batch([path], method="rl", psf="gauss:1,1.5,1.5", out=tmp_path / "out",
                        iterations=20, dtype="uint16", echo=lines.append)
    restored = restore.richardson_lucy(volume, PSF3, iterations=20)
    expected = int(np.count_nonzero(np.rint(restored) > 65535))
    assert expected > 0 and summary.results[0].clipped == expected
    assert any(f"{expected} values" in line and "clipped" in line for line in lines)
    stored = tifffile.imread(tmp_path / "out" / "bright.rl.tif")
    assert stored.dtype == np.uint16
    np.testing.assert_array_equal(stored, np.clip(np.rint(restored), 0, 65535))


def test_a_corrupt_file_is_reported_and_the_batch_goes_on(tmp_path):
    _imagej_hyperstack(tmp_path / "good.tif", _observed())
    (tmp_path / "bad.tif").write_bytes(b"II*\x00 this is not a TIFF")
    lines = []
    summary = run_batch([tmp_path], method="rl", psf="gauss:1,1.5,1.5", out=tmp_path / "o",
                        iterations=2, echo=lines.append)
    assert [r.status for r in summary.results] == ["failed", "done"]
    assert "bad.tif" in summary.failed[0].message or "bad.tif" in str(summary.failed[0].path)
    assert any(line.startswith("Error: ") and "bad.tif" in line for line in lines)
    assert [p.name for p in (tmp_path / "o").iterdir()] == ["good.rl.tif"]


def test_a_rerun_skips_finished_outputs_and_overwrite_redoes_them(tmp_path):
    _imagej_hyperstack(tmp_path / "s.tif", _observed())
    options = dict(method="rl", psf="gauss:1,1.5,1.5", out=tmp_path / "o", iterations=2)
    assert run_batch([tmp_path / "s.tif"], **options).count("done") == 1
    stamp = (tmp_path / "o" / "s.rl.tif").stat().st_mtime_ns
    assert run_batch([tmp_path / "s.tif"], **options).count("skipped") == 1
    assert (tmp_path / "o" / "s.rl.tif").stat().st_mtime_ns == stamp
    assert run_batch([tmp_path / "s.tif"], overwrite=True, **options).count("done") == 1


@pytest.mark.parametrize("where", ["tiff", "zarr"])
def test_interrupt_leaves_no_partial_output(tmp_path, monkeypatch, where):

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    if where == "tiff":
        _imagej_hyperstack(tmp_path / "s.tif", _observed())
        monkeypatch.setattr(batch_module, "write_tiff", interrupted)
    else:
        _imagej_hyperstack(tmp_path / "s.tif", _observed((16, 256, 256)))
        _leave_room(monkeypatch)
        solve = restore.SOLVERS["richardson_lucy"]
        calls = []

        def interrupted_in_a_chunk(*args, **kwargs):  # Ctrl-C while chunks are written
            calls.append(1)
            if len(calls) == 4:
                raise KeyboardInterrupt
            return solve(*args, **kwargs)

        monkeypatch.setitem(restore.SOLVERS, "richardson_lucy", interrupted_in_a_chunk)
    with pytest.raises(KeyboardInterrupt):
        run_batch([tmp_path / "s.tif"], method="rl", psf="gauss:1,1.5,1.5",
                  out=tmp_path / "o", iterations=2, memory_limit="1GB")
    assert list((tmp_path / "o").iterdir()) == []


def test_per_slice_restores_each_plane_in_2d(tmp_path):
    scene = _scene((5, 48, 48))
    psf2 = restore.psf.from_spec("gauss:1.5")
    blurred = np.stack([restore.blur(plane, psf2) for plane in scene])
    volume = np.random.default_rng(3).poisson(blurred).astype(np.uint16)
    _imagej_hyperstack(tmp_path / "p.tif", volume)
    # boundary given: "auto" is decided once per stack (on its middle plane), which
    # need not be what each plane alone would get
    run_batch([tmp_path / "p.tif"], method="rl", psf="gauss:1.5", out=tmp_path, iterations=3,
              per_slice=True, boundary="reflect")
    result = tifffile.imread(tmp_path / "p.rl.tif")
    for z in range(5):
        np.testing.assert_allclose(result[z], restore.richardson_lucy(volume[z], "gauss:1.5",
                                                                      iterations=3,
                                                                      boundary="reflect"),
                                   rtol=1e-6, atol=1e-4)


def test_a_local_cluster_runs_the_same_batch(tmp_path):
    from distributed import LocalCluster

    volume = _observed()
    _imagej_hyperstack(tmp_path / "s.tif", volume)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        summary = run_batch([tmp_path / "s.tif"], method="rl", psf="gauss:1,1.5,1.5",
                            out=tmp_path / "o", iterations=5, scheduler=cluster.scheduler_address)
    assert summary.count("done") == 1
    result = tifffile.imread(tmp_path / "o" / "s.rl.tif")
    np.testing.assert_allclose(result, restore.richardson_lucy(volume, PSF3, iterations=5),
                               rtol=1e-6, atol=1e-4)
    assert json.dumps(read_record(tmp_path / "o" / "s.rl.tif"))


def test_progress_bars_go_to_stderr(tmp_path, capsys):
    _imagej_hyperstack(tmp_path / "s.tif", _observed())
    run_batch([tmp_path / "s.tif"], method="rl", psf="gauss:1,1.5,1.5", out=tmp_path / "o",
              iterations=2, memory_limit="1GB", progress=True)
    captured = capsys.readouterr()
    assert "files" in captured.err and "s.tif" in captured.err and captured.out == ""


def test_time_lapse_with_channels_restores_each_volume_with_its_channel_psf(tmp_path):
    shape = (10, 32, 32)
    psfs = ["gauss:1,1.5,1.5", "gauss:1,1,1"]
    data = np.empty((2, 10, 2, 32, 32), np.uint16)  # T, Z, C, Y, X
    for t in range(2):
        for c in range(2):
            data[t, :, c] = _observed(shape, seed=10 * t + c,
                                      psf=restore.psf.from_spec(psfs[c], ndim=3))
    tifffile.imwrite(tmp_path / "tl.tif", data, imagej=True, resolution=(10.0, 10.0),
                     metadata={"axes": "TZCYX", "spacing": 0.3, "unit": "um",
                               "finterval": 2.5, "Labels": ["dapi", "gfp"] * 20})
    summary = run_batch([tmp_path / "tl.tif"], method="rl", psf=psfs, out=tmp_path / "o",
                        iterations=3)
    assert len(summary.results[0].parameters) == 4  # one entry per (t, c) volume
    with tifffile.TiffFile(tmp_path / "o" / "tl.rl.tif") as tif:
        assert tif.series[0].axes == "TZCYX"
        ij = tif.imagej_metadata
        assert ij["finterval"] == pytest.approx(2.5) and ij["Labels"][:2] == ["dapi", "gfp"]
        result = tif.asarray()
    for t in range(2):
        for c in range(2):
            reference = restore.richardson_lucy(data[t, :, c], psfs[c], iterations=3)
            np.testing.assert_allclose(result[t, :, c], reference, rtol=1e-6, atol=1e-4)


def test_an_ome_zarr_output_reads_back_with_its_calibration(tmp_path, monkeypatch):
    _imagej_hyperstack(tmp_path / "big.tif", _observed((16, 256, 256)))
    _leave_room(monkeypatch)
    summary = run_batch([tmp_path / "big.tif"], method="wiener", psf="gauss:1,1.5,1.5",
                        out=tmp_path / "out", snr=30, memory_limit="1GB")
    assert summary.count("done") == 1, summary.results[0].message
    data, meta = open_stack(tmp_path / "out" / "big.wiener.ome.zarr")
    assert meta.format == "ome-zarr" and meta.axes == "ZYX" and data.shape == (16, 256, 256)
    assert meta.voxel_size == pytest.approx({"Z": 0.3, "Y": 0.1, "X": 0.1})
    assert meta.unit == "µm" and data.dtype == np.float32


def test_device_gpu_moves_each_chunk_once_each_way(monkeypatch):
    """With device="gpu" every solve (the decision block and each chunk) moves
    its block to the device once and its result back once: no transfer per
    iteration. CuPy is stood in for by counting wrappers, so this runs anywhere."""
    import restore.stacks.process as process

    moves = {"to": 0, "back": 0}

    def to_gpu(x):
        moves["to"] += 1
        return x

    def to_host(x):
        moves["back"] += 1
        return x

    monkeypatch.setattr(process, "require_gpu", lambda: None)
    monkeypatch.setattr(process, "to_gpu", to_gpu)
    monkeypatch.setattr(process, "to_host", to_host)
    f = _observed().astype(np.float32)
    out, report = deconvolve_stack(f, PSF3, method="rl", iterations=5, memory_limit=SMALL_LIMIT,
                                   return_info=True, device="gpu")
    assert not report.plan.whole
    solves = report.plan.count + (report.decided_on is not None)
    assert moves == {"to": solves, "back": solves}
    cpu = deconvolve_stack(f, PSF3, method="rl", iterations=5, memory_limit=SMALL_LIMIT)
    np.testing.assert_array_equal(out, cpu)


def test_device_gpu_without_a_gpu_is_refused(monkeypatch):
    import restore.stacks.process as process

    monkeypatch.setattr(process, "require_gpu", restore._backend.require_gpu)
    if restore._backend.cupy_available():
        pytest.skip("a GPU is available here")
    with pytest.raises(ValueError, match="a GPU was asked for but none is available"):
        deconvolve_stack(_observed().astype(np.float32), PSF3, method="rl", iterations=2,
                         device="gpu")
    with pytest.raises(ValueError, match='device must be "cpu" or "gpu"'):
        deconvolve_stack(_observed().astype(np.float32), PSF3, method="rl", iterations=2,
                         device="cuda")


def test_chunks_share_one_otf_per_grid_and_let_it_go():
    """Chunk solves on grids of one shape compute the PSF's FFT once
    (operators.reusing_otfs); the results are those of separate solves, and
    nothing is kept once the volume is done."""
    import importlib

    from restore.operators import reusing_otfs

    blur_module = importlib.import_module("restore.operators.blur")  # not the function

    computed = []
    original = blur_module.Blur._compute_otf

    def counting(self):
        computed.append((self.work_shape, self.cosine_axes))
        return original(self)

    f = _observed().astype(np.float32)
    psf = PSF3.astype(np.float32) / PSF3.sum()
    alone = restore.richardson_lucy(f, psf, iterations=3, boundary="periodic")
    with reusing_otfs():
        first = restore.richardson_lucy(f, psf, iterations=3, boundary="periodic")
        cached = next(iter(blur_module._otf_cache.values()))
        assert not cached.flags.writeable
        again = restore.richardson_lucy(f, psf, iterations=3, boundary="periodic")
    np.testing.assert_array_equal(first, alone)
    np.testing.assert_array_equal(again, alone)
    blur_module.forget_otfs()
    blur_module.Blur._compute_otf = counting
    wide = _observed((16, 40, 200)).astype(np.float32)
    try:
        out, report = deconvolve_stack(wide, PSF3, method="rl", iterations=5,
                                       memory_limit=SMALL_LIMIT, return_info=True,
                                       scheduler="sync")
    finally:
        blur_module.Blur._compute_otf = original
    # the decision block (the solver's own grid), then each chunk grid once per run of it
    assert all(a != b for a, b in zip(computed, computed[1:]))
    assert len(computed) < report.plan.count + 1
    assert blur_module._otf_cache == {}
    whole = restore.richardson_lucy(wide, PSF3, iterations=5)
    error = np.abs(_interior(out, PSF3.shape) - _interior(whole, PSF3.shape)).max()
    assert error <= 1e-3 * whole.max()


def test_regions_are_read_a_plane_band_at_a_time(tmp_path, monkeypatch):
    """A region of an uncompressed TIFF reads the same values as tifffile, and
    maps at most one plane's rows at a time (not every row it crosses, full
    width, of every plane at once: those pages count in the resident set)."""
    import tifffile

    from restore.stacks import stackio

    rng = np.random.default_rng(0)
    data = rng.integers(0, 60000, (3, 5, 40, 50), dtype=np.uint16)  # T, Z, Y, X
    path = tmp_path / "s.tif"
    tifffile.imwrite(path, data, imagej=True, metadata={"axes": "TZYX"})
    _, meta = stackio.open_stack(path)
    reader = stackio.region_reader(meta)
    maps, original = [], np.memmap

    def recording(*args, **kwargs):
        mapped = original(*args, **kwargs)
        maps.append(mapped.size)
        return mapped

    monkeypatch.setattr(stackio.np, "memmap", recording)
    for index in [(slice(1, 3), slice(0, 5), slice(7, 30), slice(11, 12)),
                  (slice(0, 3), slice(2, 4), slice(0, 40), slice(0, 50)),
                  (slice(2, 3), slice(4, 5), slice(39, 40), slice(49, 50))]:
        maps.clear()
        region = reader[index]
        np.testing.assert_array_equal(region, data[index])
        rows = index[2].stop - index[2].start
        assert maps and max(maps) <= rows * 50


def test_a_chunk_darker_than_the_stacks_floor_is_restored_without_it():
    """The floor is decided on the stack's central block; a chunk whose values
    all lie below it (a dim edge) is restored with none, not refused."""
    from restore.stacks.process import _solve

    dark = np.full((8, 24, 24), 3.0, np.float32)
    dark += np.random.default_rng(0).random(dark.shape, dtype=np.float32)
    out = _solve(dark, PSF3, "richardson_lucy", {"floor": 9.7, "iterations": 3})
    assert out.shape == dark.shape and np.isfinite(out).all()
    with pytest.raises(ValueError, match="floor"):  # given directly, it is refused
        restore.richardson_lucy(dark, PSF3, floor=9.7, iterations=3)


@pytest.mark.parametrize("levels", [1, "auto"])
def test_chunked_wavelet_matches_whole_volume_inside_the_stack(levels):
    """Every chunk starts on the volume's dyadic grid and is transformed on
    its axes with its levels (here z, 16 planes, allows one level; a chunk's
    own choice would differ), so its prior is the whole volume's: the
    interior matches to 1e-3. Without the alignment it differed by 2-11 %."""
    f = _observed((16, 128, 128)).astype(np.float32)
    chunked, report = deconvolve_stack(f, PSF3, method="wavelet", lam=0.05, iterations=5,
                                       levels=levels, memory_limit="20MB", return_info=True)
    whole = restore.wavelet(f, PSF3, lam=0.05, iterations=5, levels=levels)
    assert report.plan.count >= 4
    assert all(n % 2 == 0 for n in report.plan.chunks[1:] + report.plan.halo[1:])
    error = np.abs(_interior(chunked, PSF3.shape) - _interior(whole, PSF3.shape)).max()
    assert error <= 1e-3 * whole.max()


def test_wavelet_chunks_start_on_the_volumes_dyadic_grid():
    from restore.stacks.process import volume_plan

    for shape, options, period in [((40, 300, 300), {}, 4),  # z allows 2 levels
                                   ((64, 300, 300), {}, 8),
                                   ((64, 300, 300), {"levels": 1}, 2)]:
        plan = volume_plan(shape, PSF3, "wavelet", options, memory_limit=60e6)
        assert not plan.whole
        for n, c, h in zip(shape, plan.chunks, plan.halo):
            assert c == n or (c % period == 0 and h % period == 0)
    # a block is solved on the volume's axes and levels, not on its own
    from restore.stacks.process import decide

    block = _observed((16, 40, 40)).astype(np.float32)
    options = {"lam": 0.05, "iterations": 2}
    assert decide(block, PSF3, "wavelet", options)[1]["levels"] == 1  # its own: z allows 1
    assert decide(block, PSF3, "wavelet", options, volume_shape=(64, 256, 256))[1]["levels"] == 3


def test_wavelet_chunks_mirrored_by_a_dct_keep_the_volumes_dyadic_grid():
    """A small chunk is mirrored by a DCT (no margin) on axes where the whole
    volume is padded (a margin of 7 here): the cycle-spin shifts count from
    the image's first pixel, so both share one dyadic grid (3e-2 apart when
    they counted from the work grid's)."""
    from restore.operators import cosine_axes

    f = _observed((16, 248, 248)).astype(np.float32)
    assert cosine_axes(PSF3.astype(np.float32), f.shape) == (0,)
    chunked, report = deconvolve_stack(f, PSF3, method="wavelet", lam=4.8, iterations=5,
                                       memory_limit="40MB", return_info=True)
    read = tuple(c + 2 * h for c, h in zip(report.plan.chunks, report.plan.halo))
    assert len(cosine_axes(PSF3.astype(np.float32), read)) > 1  # a cut axis mirrored
    whole = restore.wavelet(f, PSF3, lam=4.8, iterations=5)
    error = np.abs(_interior(chunked, PSF3.shape) - _interior(whole, PSF3.shape)).max()
    assert error <= 1e-3 * whole.max()
