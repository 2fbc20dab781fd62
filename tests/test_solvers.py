import math
import numpy as np
import scipy.ndimage
import pytest
import skimage.restoration

import restore
from restore.metrics import psnr

SOLVER_NAMES = ["inverse", "wiener", "tikhonov", "richardson_lucy", "tv", "wavelet"]
# Small iteration budgets keep the suite quick; auto choices are tested separately.
FAST = {
    "richardson_lucy": {"iterations": 15},
    "tv": {"lam": 0.001, "iterations": 30},
    "wavelet": {"lam": 0.003, "iterations": 20},
}


def observe(image, psf, *, sigma=0.01, margin=8, seed=0):
    """Blur a larger scene, cut the centre (unknown border), add Gaussian noise."""
    blurred = restore.blur(image, psf, boundary="reflect")
    window = tuple(slice(margin, n - margin) for n in image.shape)
    rng = np.random.default_rng(seed)
    f = blurred[window] + rng.normal(0, sigma, blurred[window].shape).astype(image.dtype)
    return image[window], f


@pytest.fixture(scope="module")
def camera_case(camera):
    psf = restore.psf.gaussian(1.5)
    truth, f = observe(camera, psf)
    return truth, f, psf


def test_tikhonov_laplacian_periodic_equals_skimage_wiener(camera):
    psf = restore.psf.gaussian(2.0)
    f = restore.blur(camera.astype(np.float64), psf, boundary="periodic")
    for lam in (1e-3, 0.05):
        ours = restore.tikhonov(f, psf, lam=lam, regularizer="laplacian", boundary="periodic")
        theirs = skimage.restoration.wiener(f, psf, balance=lam, clip=False)
        assert np.linalg.norm(ours - theirs) <= 1e-5 * np.linalg.norm(theirs)


def test_richardson_lucy_matches_skimage_iterates(camera):
    psf = restore.psf.gaussian(1.5)
    f = restore.blur(camera.astype(np.float64), psf, boundary="zero") + 0.01
    for iterations in (1, 5, 20):
        ours = restore.richardson_lucy(f, psf, iterations=iterations, boundary="zero", init=0.5)
        theirs = skimage.restoration.richardson_lucy(f, psf, num_iter=iterations, clip=False)
        assert np.linalg.norm(ours - theirs) <= 1e-4 * np.linalg.norm(theirs)


@pytest.mark.parametrize("name", SOLVER_NAMES)
def test_scale_equivariance_with_automatic_parameters(name, camera_case):
    """Restoring c·f gives c·ĝ: every automatic choice is scale-free."""
    _, f, psf = camera_case
    f = f[:64, :64]
    solver = restore.SOLVERS[name]
    c = 37.3
    x = solver(f, psf)
    xc = solver(c * f, psf)
    assert np.linalg.norm(xc - c * x) <= 1e-3 * np.linalg.norm(c * x)


@pytest.mark.parametrize("name", SOLVER_NAMES[1:])
def test_each_solver_improves_on_the_observation(name, camera_case):
    truth, f, psf = camera_case
    x, info = restore.SOLVERS[name](f, psf, return_info=True)
    assert x.shape == f.shape and x.dtype == np.float32
    assert psnr(truth, x, data_range=1) > psnr(truth, f, data_range=1) + 0.5, info.summary()


def test_inverse_amplifies_noise(camera_case):
    truth, f, psf = camera_case
    naive = restore.inverse(f, psf, threshold=1e-6)
    assert psnr(truth, naive, data_range=1) < psnr(truth, f, data_range=1) - 10


@pytest.mark.parametrize("name", SOLVER_NAMES)
@pytest.mark.parametrize("ndim", [1, 3])
def test_one_and_three_dimensions(name, ndim):
    rng = np.random.default_rng(ndim)
    shape = (256,) if ndim == 1 else (24, 32, 32)
    truth = np.zeros(shape, np.float32)
    for _ in range(12):  # bright blobs on a dark background, like fluorescence
        centre = tuple(rng.integers(4, n - 4) for n in shape)
        truth[centre] = 1.0
    psf = restore.psf.gaussian(1.5, ndim=ndim)
    truth = restore.blur(truth, restore.psf.gaussian(0.7, ndim=ndim)) * 5 + 0.1
    f = restore.blur(truth, psf) + rng.normal(0, 0.005, shape).astype(np.float32)
    x = restore.SOLVERS[name](f, psf, **FAST.get(name, {}))
    assert x.shape == shape
    if name != "inverse":
        assert np.linalg.norm(x - truth) < np.linalg.norm(f - truth)


@pytest.mark.parametrize("name", SOLVER_NAMES)
def test_colour_channels_are_restored_one_by_one(name):
    from skimage import data

    rgb = (data.astronaut()[100:164, 180:244] / 255.0).astype(np.float32)
    psf = restore.psf.gaussian(1.0)
    f = np.stack([restore.blur(rgb[..., c], psf) for c in range(3)], axis=-1)
    x = restore.SOLVERS[name](f, psf, channel_axis=-1, **FAST.get(name, {}))
    assert x.shape == rgb.shape
    single = restore.SOLVERS[name](f[..., 1], psf, **FAST.get(name, {}))
    np.testing.assert_allclose(x[..., 1], single, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["richardson_lucy", "tv", "wavelet"])
def test_callback_sees_every_iteration(name, camera_case):
    _, f, psf = camera_case
    seen = []
    options = dict(FAST[name], iterations=7)
    x, info = restore.SOLVERS[name](f, psf, callback=lambda k, e: seen.append((k, e.shape)),
                                    return_info=True, **options)
    assert [k for k, _ in seen] == list(range(1, 8))
    assert all(shape == f.shape for _, shape in seen)
    assert info.iterations == 7 and info.stop_reason == "iterations"


@pytest.mark.parametrize("boundary", ["reflect", "periodic", "zero", "unknown"])
def test_richardson_lucy_stays_non_negative(boundary, camera_case):
    _, f, psf = camera_case
    for options in ({}, {"accelerate": True}, {"tv_weight": 0.01}):
        x = restore.richardson_lucy(f, psf, iterations=10, boundary=boundary, **options)
        assert float(x.min()) >= 0


def test_accelerated_richardson_lucy_needs_half_the_iterations(camera_case):
    truth, f, psf = camera_case

    def best(accelerate):
        scores = []
        restore.richardson_lucy(f, psf, iterations=60, accelerate=accelerate,
                                callback=lambda k, e: scores.append(psnr(truth, e, data_range=1)))
        return max(scores), int(np.argmax(scores)) + 1

    plain_best, plain_k = best(False)
    trace = []
    restore.richardson_lucy(f, psf, iterations=plain_k // 2, accelerate=True,
                            callback=lambda k, e: trace.append(psnr(truth, e, data_range=1)))
    assert max(trace) >= plain_best - 0.05


def test_automatic_iterations_are_accelerated_and_counted_as_plain_ones(camera_case):
    """accelerate="auto": Biggs-Andrews with automatic iterations, plain with a
    given count; the stop counts a step pushed along by α as the 1/(1 − α)
    plain steps it stands for (counted as one, it stopped 1-4 dB short)."""
    truth, f, psf = camera_case
    x_fast, fast = restore.richardson_lucy(f, psf, return_info=True)
    x_plain, plain = restore.richardson_lucy(f, psf, accelerate=False, return_info=True)
    given = restore.richardson_lucy(f, psf, iterations=3, return_info=True)[1]
    assert fast.parameters["accelerate"] is True
    assert plain.parameters["accelerate"] is False and given.parameters["accelerate"] is False
    assert fast.iterations <= plain.iterations / 2
    assert psnr(truth, x_fast, data_range=1) >= psnr(truth, x_plain, data_range=1) - 0.1
    history = fast.history
    count = np.cumsum([1 / (1 - h["alpha"]) for h in history])
    assert [h["equivalent"] for h in history] == pytest.approx(count)
    assert max(h["alpha"] for h in history) > 0.5
    reached = next(h["equivalent"] for h in history if h["misfit"] <= fast.parameters["sigma"] ** 2)
    assert fast.stop_reason == "discrepancy"
    assert history[-1]["equivalent"] >= 2.25 * reached > history[-2]["equivalent"]


def test_recorded_step_factors_replay_an_accelerated_run_bit_for_bit(camera_case):
    """accelerate= a run's step factors (as its history records them) takes
    them instead of estimating its own: what lets chunks of one volume take
    the same steps."""
    _, f, psf = camera_case
    x, info = restore.richardson_lucy(f, psf, return_info=True)
    factors = [h["alpha"] for h in info.history]
    assert factors[:2] == [0.0, 0.0] and max(factors) > 0.5
    again = restore.richardson_lucy(f, psf, iterations=info.iterations, accelerate=factors,
                                    floor=info.parameters["floor"])
    np.testing.assert_array_equal(again, x)
    shorter = restore.richardson_lucy(f, psf, iterations=5, accelerate=factors,
                                      floor=info.parameters["floor"])
    assert not np.array_equal(shorter, x)
    with pytest.raises(ValueError, match="at most 3"):
        restore.richardson_lucy(f, psf, iterations=5, accelerate=factors[:3])
    with pytest.raises(ValueError, match="at most"):
        restore.richardson_lucy(f, psf, accelerate=factors)  # "auto" iterations
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        restore.richardson_lucy(f, psf, iterations=2, accelerate=[0.5, 1.0])


@pytest.mark.parametrize("name, options", [("richardson_lucy", {"accelerate": True}),
                                           ("richardson_lucy", {}), ("tv", {}), ("wavelet", {})])
def test_estimates_given_to_the_callback_are_not_overwritten_later(name, options, camera_case):
    """A callback may keep the estimates it is given: later iterations leave them alone."""
    _, f, psf = camera_case
    kept, copies = [], []

    def keep(k, estimate):
        kept.append(estimate)
        copies.append(np.array(estimate, copy=True))

    restore.SOLVERS[name](f, psf, iterations=6, callback=keep, **options)
    for k, (estimate, copy) in enumerate(zip(kept, copies), start=1):
        np.testing.assert_array_equal(estimate, copy, err_msg=f"iteration {k}")


def test_acceleration_factor_read_on_a_sample_matches_the_exact_one(monkeypatch):
    """On a large grid α is read on every k-th pixel; the iterates barely move."""
    import importlib

    rl_module = importlib.import_module("restore.solvers.richardson_lucy")

    psf = restore.psf.gaussian(2.0)
    scene = np.tile(skimage.data.camera().astype(np.float32) / 255, (2, 2))
    truth, f = observe(scene, psf)  # ~1024²: α is read on every 4th pixel
    default = rl_module.STEP_SAMPLE
    assert f.size // default >= 2
    runs = {}
    for sample in (default, 10**9):
        monkeypatch.setattr(rl_module, "STEP_SAMPLE", sample)
        trace = []
        restore.richardson_lucy(f, psf, iterations=12, accelerate=True,
                                callback=lambda k, e: trace.append(psnr(truth, e, data_range=1)))
        runs[sample] = trace
    sampled, exact = runs.values()
    assert exact[-1] > exact[1] + 1  # the acceleration did something to compare
    np.testing.assert_allclose(sampled, exact, atol=0.02)


def test_unknown_boundary_removes_edge_ringing(camera):
    """With the border cut away, "unknown" beats "periodic" near the edges."""
    psf = restore.psf.gaussian(2.0)
    truth, f = observe(camera, psf, sigma=0.002, margin=12)
    edge = np.ones(f.shape, bool)
    edge[8:-8, 8:-8] = False
    errors = {}
    for boundary in ("periodic", "unknown"):
        x = restore.richardson_lucy(f, psf, iterations=30, boundary=boundary)
        errors[boundary] = float(np.sqrt(((x - truth)[edge] ** 2).mean()))
    assert errors["unknown"] < 0.7 * errors["periodic"]


def test_automatic_choices_are_reported(camera_case):
    _, f, psf = camera_case
    _, info = restore.wiener(f, psf, return_info=True)
    assert info.parameters["sigma"] == pytest.approx(0.01, rel=0.2)
    _, info = restore.tikhonov(f, psf, return_info=True)
    assert 0 < info.parameters["lam"] < 1
    _, info = restore.richardson_lucy(f, psf, return_info=True)
    assert info.stop_reason == "discrepancy" and 1 < info.iterations < 500
    assert "snr" in restore.wiener(f, psf, snr=25, return_info=True)[1].parameters


@pytest.mark.parametrize("name", SOLVER_NAMES)
def test_nan_in_the_image_is_refused(name):
    f = np.ones((32, 32), np.float32)
    f[3, 4] = np.nan
    with pytest.raises(ValueError, match="image contains NaN or Inf"):
        restore.SOLVERS[name](f, restore.psf.gaussian(1.0))


@pytest.mark.parametrize("name", SOLVER_NAMES)
def test_psf_dimensions_must_match(name):
    with pytest.raises(ValueError, match="psf has 3 dimensions but image has 2"):
        restore.SOLVERS[name](np.ones((32, 32)), np.ones((3, 3, 3)))


@pytest.mark.parametrize("name", ["wiener", "richardson_lucy", "tv"])
def test_a_psf_longer_than_a_thin_stack_is_met_by_mirroring(name):
    """A 5-plane stack under a 9-plane PSF: the solver restores the stack
    mirrored out to 9 planes and crops back, exactly as a caller would by
    hand (np.pad symmetric), and says so in a warning."""
    rng = np.random.default_rng(0)
    truth = scipy.ndimage.gaussian_filter(rng.random((5, 32, 32)), 1.0) + 0.1
    psf = restore.psf.gaussian((1.5, 1.0, 1.0), size=(9, 7, 7))
    f = restore.blur(truth, psf) + rng.normal(0, 0.005, truth.shape)
    # TV's ρ given: its default follows σ̂, read on the stack, not on the hand-mirrored
    # copy; its boundary too ("auto" leaves a stack this thin unknown, unmirrored)
    options = {"tv": {"lam": 1e-3, "iterations": 10, "rho": 0.02, "boundary": "reflect"},
               "richardson_lucy": {"iterations": 10}, "wiener": {}}[name]
    with pytest.warns(UserWarning, match="mirrored out to the PSF's length"):
        x = restore.SOLVERS[name](f, psf, **options)
    by_hand = restore.SOLVERS[name](np.pad(f, ((2, 2), (0, 0), (0, 0)), mode="symmetric"),
                                    psf, **options)[2:7]
    assert x.shape == f.shape
    np.testing.assert_allclose(x, by_hand, rtol=1e-6, atol=1e-6)


def test_closed_form_solvers_refuse_the_unknown_boundary():
    with pytest.raises(ValueError, match="boundary='unknown' is not supported here"):
        restore.wiener(np.ones((16, 16)), "gauss:1", boundary="unknown")


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda f: restore.richardson_lucy(f, "gauss:1", iterations=0), "iterations must be"),
        (lambda f: restore.tikhonov(f, "gauss:1", lam=-1), "lam must be a finite positive"),
        (lambda f: restore.tikhonov(f, "gauss:1", regularizer="tv"), "regularizer='tv' is not known"),
        (lambda f: restore.wiener(f, "gauss:1", snr="loud"),
         "snr must be a finite number or 'auto', got 'loud'"),
        (lambda f: restore.wavelet(f, "gauss:1", wavelet_name="bior2.2"), "not an orthogonal"),
        (lambda f: restore.tv(f, "gauss:1", lam="gcv"),
         "lam must be a finite positive number or 'auto', got 'gcv'"),
    ],
)
def test_bad_parameters_name_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call(np.ones((16, 16), np.float32))


def test_input_is_not_modified(camera_case):
    _, f, psf = camera_case
    before = f.copy()
    for name in SOLVER_NAMES:
        restore.SOLVERS[name](f, psf, **FAST.get(name, {}))
    np.testing.assert_array_equal(f, before)


@pytest.mark.parametrize("name,asymmetric", [("tv", "smooth"), ("richardson_lucy", "unknown")])
def test_auto_boundary_follows_the_psf_symmetry(name, asymmetric, camera_case):
    _, f, _ = camera_case
    options = FAST.get(name, {})
    # 3×3 PSFs: the iterative solvers leave this 112² image under a PSF
    # longer than 0.04 of its side (over 4.48 pixels) unknown
    symmetric = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32) / 16
    asymmetric_psf = np.array([[0, 0, 0], [0, 2, 1], [0, 0, 1]], np.float32) / 4
    _, info = restore.SOLVERS[name](f, symmetric, return_info=True, **options)
    assert info.parameters["boundary"] == "reflect"
    _, info = restore.SOLVERS[name](f, asymmetric_psf, return_info=True, **options)
    assert info.parameters["boundary"] == asymmetric
    _, info = restore.SOLVERS[name](f, "gauss:1", return_info=True, **options)  # 9 pixels
    assert info.parameters["boundary"] == "unknown"


@pytest.mark.parametrize("name", ["inverse", "wiener", "tikhonov"])
def test_closed_forms_continue_images_smoothly_and_mirror_volumes(name, camera_case):
    """"auto" for the closed forms: "smooth" for signals and images whatever
    the PSF, "reflect" (a DCT grid) for volumes under a mirror-symmetric PSF."""
    _, f, _ = camera_case
    symmetric = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32) / 16
    _, info = restore.SOLVERS[name](f, symmetric, return_info=True)
    assert info.parameters["boundary"] == "smooth"
    _, info = restore.SOLVERS[name](f[32], "gauss:1", return_info=True)
    assert info.parameters["boundary"] == "smooth"
    volume = np.stack([f[:32, :32]] * 8)
    _, info = restore.SOLVERS[name](volume, "gauss:1", return_info=True)
    assert info.parameters["boundary"] == "reflect"
    lopsided = np.zeros((3, 3, 3), np.float32)
    lopsided[1, 1, 1:] = 0.5
    _, info = restore.SOLVERS[name](volume, lopsided, return_info=True)
    assert info.parameters["boundary"] == "smooth"


@pytest.mark.parametrize("name", ["inverse", "wiener", "tikhonov"])
def test_closed_forms_restore_a_small_crop_above_the_observation(name):
    """The zoo's 80² camera crop under a 9×9 box (σ = 0.01, blurred with what
    lay beyond it, observation 20.7 dB): mirrored, inverse 19.3, Wiener 17.1
    and Tikhonov 15.9 dB; continued smoothly 22.4, 22.6, 22.3."""
    truth, f, psf = _camera_crop_under_a_box()
    ours, theirs = _auto_and_mirrored(name, truth, f, psf, "smooth")
    assert ours > psnr(truth, f, data_range=1) + 0.5 and ours > theirs + 1, (ours, theirs)


def _auto_and_mirrored(name, truth, f, psf, boundary):
    """PSNRs of solver `name`'s automatic result, whose border must be
    `boundary`, and of its result with the border mirrored."""
    x, info = restore.SOLVERS[name](f, psf, return_info=True)
    assert info.parameters["boundary"] == boundary
    mirrored = restore.SOLVERS[name](f, psf, boundary="reflect")
    return psnr(truth, x, data_range=1), psnr(truth, mirrored, data_range=1)


def _camera_crop_under_a_box():
    """The zoo's 80² camera crop under a 9×9 box, σ = 0.01, blurred with what
    lay beyond it: (truth, observation, psf)."""
    from skimage import data

    scene = (data.camera() / 255.0).astype(np.float32)[184:328, 184:328]
    psf = restore.psf.from_spec("box:9")
    truth = scene[32:112, 32:112]
    clean = restore.blur(scene, psf, boundary="reflect")[32:112, 32:112]
    return truth, clean + np.random.default_rng(6).normal(0, 0.01, clean.shape).astype(np.float32), psf


def test_wavelet_trials_run_longer_with_the_border_unknown(monkeypatch):
    """On the 80² crop (border unknown) trials as long as the mirror's read a
    misfit the converged solve does not have, and the search took too small
    a λ: 22.5 dB; three times as long: 24.1."""
    from restore.solvers import _iterative

    truth, f, psf = _camera_crop_under_a_box()
    x, info = restore.wavelet(f, psf, return_info=True)
    assert info.parameters["boundary"] == "unknown"
    monkeypatch.setattr(_iterative, "UNKNOWN_TRIAL_FACTOR", 1)
    short = restore.wavelet(f, psf)
    assert psnr(truth, x, data_range=1) > psnr(truth, short, data_range=1) + 1


def test_smooth_boundary_beats_mirroring_for_motion_blur(camera):
    """A mirrored motion blur is a different blur: reflecting the data rings."""
    psf = restore.psf.motion(11, 30)
    truth, f = observe(camera, psf, sigma=0.005, margin=12)
    scores = {b: psnr(truth, restore.tikhonov(f, psf, lam=0.01, boundary=b), data_range=1)
              for b in ("reflect", "smooth")}
    assert scores["smooth"] > scores["reflect"] + 2, scores


@pytest.mark.parametrize("boundary", ["reflect", "unknown", "periodic", "zero"])
def test_richardson_lucy_survives_an_exactly_zero_background(boundary):
    """Where f is FFT round-off and Hx has decayed further, f/Hx must not overflow."""
    truth = np.zeros((64, 64))
    truth[20:30, 20:30] = 1
    f = restore.blur(truth, restore.psf.gaussian(2.0))
    x = restore.richardson_lucy(f, "gauss:2", iterations=200, boundary=boundary)
    assert np.isfinite(x).all()
    assert np.abs(x - truth).mean() < np.abs(f - truth).mean()


@pytest.mark.parametrize("options", [{}, {"snr": 0}, {"snr": 30}, {"nsr": 1.0}])
def test_wiener_keeps_the_mean(options):
    """The mean is not noise-limited: microscopy counts on an offset stay counts."""
    rng = np.random.default_rng(1)
    truth = np.zeros((96, 96))
    for _ in range(30):
        truth[tuple(rng.integers(8, 88, 2))] = 200
    truth = restore.blur(truth, "gauss:0.7", boundary="periodic") + 100
    f = rng.poisson(np.clip(restore.blur(truth, "gauss:2", boundary="periodic"), 0, None))
    x = restore.wiener(f.astype(np.float32), "gauss:2", boundary="periodic", **options)
    assert float(x.mean()) == pytest.approx(float(f.mean()), rel=1e-3)


def test_tv_with_nonnegativity_returns_a_non_negative_image(camera_case):
    _, f, psf = camera_case
    with pytest.warns(UserWarning, match="signed data"):
        x = restore.tv(f - 0.3, psf, lam=0.001, iterations=20, nonnegative=True)
    assert float(x.min()) >= 0


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda f: restore.wiener(f, "gauss:1", channel_axis=1.5), TypeError, "channel_axis must be"),
        (lambda f: restore.wiener(f, "gauss:1", channel_axis=True), TypeError, "channel_axis must be"),
        (lambda f: restore.richardson_lucy(f, "gauss:1", accelerate="no"), TypeError, "accelerate must be"),
        (lambda f: restore.tv(f, "gauss:1", isotropic="no"), TypeError, "isotropic must be"),
        (lambda f: restore.inverse(f, "gauss:1", threshold=2), ValueError, "threshold must be below 1"),
        (lambda f: restore.richardson_lucy(f - 2, "gauss:1"), ValueError, "no positive values"),
    ],
)
def test_bad_options_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call(np.ones((16, 16), np.float32))


ORACLE_GRIDS = {
    "wiener": ("snr", [10, 14, 18, 22, 26, 30]),
    "tikhonov": ("lam", list(np.geomspace(1e-4, 1, 9))),
    "tv": ("lam", [0.025, 0.05, 0.1, 0.2]),
    "wavelet": ("lam", [0.05, 0.1, 0.2, 0.4]),
    "inverse": ("threshold", list(np.geomspace(1e-3, 0.5, 10))),
}


@pytest.mark.parametrize("name", ["inverse", "wiener", "tikhonov", "richardson_lucy", "tv", "wavelet"])
def test_automatic_parameters_land_near_the_oracle(name, camera):
    """A light version of benchmarks/quality.py: auto within 1 dB of the best grid value."""
    psf = restore.psf.gaussian(1.5)
    truth, f = observe(camera, psf, sigma=0.01, margin=8)
    solver = restore.SOLVERS[name]
    auto = psnr(truth, solver(f, psf), data_range=1)
    if name == "richardson_lucy":
        scores = []
        solver(f, psf, iterations=150, callback=lambda k, e: scores.append(psnr(truth, e, data_range=1)))
        oracle = max(scores)
    else:
        key, grid = ORACLE_GRIDS[name]
        oracle = max(psnr(truth, solver(f, psf, **{key: v}), data_range=1) for v in grid)
    assert auto > oracle - 1.0, (auto, oracle)


def test_wavelet_on_a_one_pixel_high_image_warns_of_nothing():
    import warnings

    f = np.random.default_rng(0).random((1, 64)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = restore.wavelet(f, np.ones((1, 5)) / 5, lam=0.003, iterations=10)
    assert x.shape == f.shape


# ------------------------------------------------ values the data cannot mean


def test_richardson_lucy_refuses_a_background_at_the_maximum(camera_case):
    _, f, psf = camera_case
    with pytest.raises(ValueError, match=r"background=1e\+06 is at or above the image's "
                                         r"maximum"):
        restore.richardson_lucy(f, psf, background=1e6, iterations=2)


def test_richardson_lucy_tv_weight_that_erases_the_image_is_refused(camera_case):
    _, f, psf = camera_case
    with pytest.raises(ValueError, match=r"tv_weight=10 is above 0\.1.*erased"):
        restore.richardson_lucy(f, psf, tv_weight=10, iterations=2)


def test_richardson_lucy_refuses_clearly_signed_data(camera_case):
    _, f, psf = camera_case
    with pytest.raises(ValueError, match="signed data, not intensities.*use wiener"):
        restore.richardson_lucy(f - f.mean(), psf, iterations=2)


def _dim_beads(seed=1):
    """Sparse 3-D beads, Poisson counts on a background of 10 with read noise,
    background-subtracted: about half the background voxels are negative."""
    rng = np.random.default_rng(seed)
    g = np.zeros((20, 48, 48))
    g[tuple(rng.integers((4, 5, 5), (16, 43, 43), size=(25, 3)).T)] = 1.0
    g = restore.blur(g, restore.psf.gaussian(0.7, ndim=3))
    g *= 100 / g.max()
    psf = restore.psf.from_spec("gauss:1.5,1.2,1.2", ndim=3)
    f = rng.poisson(restore.blur(g, psf) + 10) + rng.normal(0, 2, g.shape) - 10
    return g, f.astype(np.float32), psf


def test_richardson_lucy_models_negatives_instead_of_pinning_them_at_zero():
    g, f, psf = _dim_beads()
    assert (f < 0).mean() > 0.3
    x, info = restore.richardson_lucy(f, psf, iterations=20, return_info=True)
    assert info.parameters["offset"] > -f.min()
    assert (x == 0).mean() < 0.01  # clipping the start at 0 pinned 50 % of voxels there
    gain = psnr(g, x, data_range=g.max()) - psnr(g, f, data_range=g.max())
    assert gain > 5  # measured 6.7 dB; 1.6 dB with the clipped start


@pytest.mark.parametrize("snr, message", [(1e6, "beyond what data can carry"),
                                          (-100, "would return one flat value")])
def test_wiener_refuses_an_snr_the_data_cannot_carry(camera_case, snr, message):
    _, f, psf = camera_case
    with pytest.raises(ValueError, match=message):
        restore.wiener(f, psf, snr=snr)


def test_wiener_warns_of_an_snr_below_zero(camera_case):
    _, f, psf = camera_case
    with pytest.warns(UserWarning, match="noise is stronger than the signal"):
        restore.wiener(f, psf, snr=-5)


@pytest.mark.parametrize("name, key", [("wiener", "level"), ("tikhonov", "lam")])
def test_automatic_choice_at_a_search_limit_is_flagged(name, key):
    """An unblurred noisy photo 'restored' with gauss:2: GCV runs to its floor."""
    from skimage import data

    photo = data.camera()[::2, ::2].astype(np.float32)
    with pytest.warns(restore.solvers.AutomaticChoiceWarning,
                      match=f"GCV's {key}=.* sat at the floor.*signal-variance bound"):
        _, info = restore.SOLVERS[name](photo, "gauss:2", return_info=True)
    assert info.parameters["limit"] == f"{key} at lower search limit"
    assert "limit=" in info.summary()
    method = info.parameters["nsr_method" if name == "wiener" else "lam_method"]
    assert method == "signal-variance bound (gcv at its floor)"
    assert info.parameters[key] > restore.params.GCV_LAMBDA_FLOOR


def test_automatic_choice_inside_its_range_is_not_flagged(camera_case, recwarn):
    _, f, psf = camera_case
    _, info = restore.tikhonov(f, psf, return_info=True)
    assert "limit" not in info.parameters
    assert not [w for w in recwarn
                if issubclass(w.category, restore.solvers.AutomaticChoiceWarning)]


def test_wavelet_levels_beyond_the_size_are_refused():
    with pytest.raises(ValueError, match=r"levels=50 is more than an image of shape "
                                         r"\(64, 64\) allows with 'db4' \(at most 3\)"):
        restore.wavelet(np.ones((64, 64)), "gauss:1", levels=50)


# --------------------------------------- every solver, boundary and odd size


def _boundaries(name):
    return restore.solvers.BOUNDARIES[name]


@pytest.mark.parametrize("name", SOLVER_NAMES)
@pytest.mark.parametrize("shape", [(23,), (24,), (11, 16), (9, 10, 11), (10, 12, 8)])
def test_every_boundary_on_odd_and_even_sizes(name, shape):
    """Each accepted boundary gives a finite image of the input's shape, with no
    NumPy or PyWavelets warning (odd sizes crashed the periodic wavelet solver)."""
    import warnings

    rng = np.random.default_rng(len(shape))
    scene = 1 + rng.random(shape).astype(np.float32)
    psf = restore.psf.gaussian(1.0, ndim=len(shape), size=3)
    f = restore.blur(scene, psf) + 0.01 * rng.standard_normal(shape).astype(np.float32)
    options = dict(FAST.get(name, {}))
    if "iterations" in options:
        options["iterations"] = 3
    for boundary in _boundaries(name):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            warnings.simplefilter("ignore", restore.solvers.AutomaticChoiceWarning)
            x = restore.SOLVERS[name](f, psf, boundary=boundary, **options)
        assert x.shape == f.shape and x.dtype == np.float32, boundary
        assert np.all(np.isfinite(x)), boundary


def _zero_mean_camera():
    from skimage import data

    rng = np.random.default_rng(0)
    g = (data.camera()[::4, ::4] / 255.0).astype(np.float32)
    g -= g.mean()
    f = restore.blur(g, "gauss:1.5") + 0.01 * rng.standard_normal(g.shape).astype(np.float32)
    return g, f


def test_tv_does_not_constrain_signed_data_by_default():
    """nonnegative=True set half a zero-mean image to 0: 12.1 dB where 24.4 was possible."""
    g, f = _zero_mean_camera()
    x, info = restore.tv(f, "gauss:1.5", return_info=True)
    assert info.parameters["nonnegative"] is False
    assert (x < 0).mean() > 0.3
    assert psnr(g, x, data_range=np.ptp(g)) > psnr(g, f, data_range=np.ptp(g)) + 1


def test_tv_warns_when_told_to_constrain_signed_data():
    _, f = _zero_mean_camera()
    with pytest.warns(UserWarning, match="nonnegative=True on signed data"):
        restore.tv(f, "gauss:1.5", nonnegative=True, lam=0.005, iterations=5)


def test_tv_constrains_intensities_by_default(camera_case):
    _, f, psf = camera_case
    _, info = restore.tv(f, psf, lam=0.005, iterations=5, return_info=True)
    assert info.parameters["nonnegative"] is True


def test_richardson_lucy_auto_restores_the_bundled_stack():
    """Started from the smooth observation, the discrepancy stop fired at iteration 1
    (30.16 dB against 30.14 observed); the flat start gives 32.2 dB, and with the
    stack's dark floor (13.6, where the scene's darkest is 14) 32.4 dB, stopping
    at 41 iterations where the misfit stalls (its best iterate)."""
    import pathlib

    import tifffile

    folder = pathlib.Path(__file__).resolve().parents[1] / "data"
    stack = tifffile.imread(folder / "stack.tif").astype(np.float32)
    truth = tifffile.imread(folder / "stack_clean.tif").astype(np.float32)
    x, info = restore.richardson_lucy(stack, str(folder / "psf_widefield.tif"),
                                      return_info=True)
    data_range = float(np.ptp(truth))
    observed = psnr(truth, stack - 10, data_range=data_range)
    assert info.iterations > 5 and info.stop_reason in ("discrepancy", "misfit stalled")
    assert 0 < info.parameters["floor"] <= float(truth.min()) + 10
    assert psnr(truth, x - 10, data_range=data_range) > observed + 2.0


@pytest.mark.parametrize("spec", ["box:9", "disk:4", "motion:15,30"])
def test_wiener_spectrum_fit_survives_zeros_of_the_transfer_function(spec):
    """At σ = 0.05 the fit used to return β = 0 (a flat spectrum) under blurs whose
    OTF has zeros, and Wiener fell 1-2.5 dB below the observation."""
    from skimage import data

    rng = np.random.default_rng(0)
    scene = (data.camera() / 255.0).astype(np.float32)
    psf = restore.psf.from_spec(spec)
    truth, f = scene[24:-24, 24:-24], restore.blur(scene, psf)[24:-24, 24:-24]
    f = f + 0.05 * rng.standard_normal(f.shape).astype(np.float32)
    x, info = restore.wiener(f, psf, return_info=True)
    assert info.parameters["spectrum_exponent"] < -0.5
    assert psnr(truth, x, data_range=1.0) > psnr(truth, f, data_range=1.0) + 1.5


# ------------------------------------------------ speed: stopping rules, FFT counts


def _fft_calls(call):
    """Whole-array transforms (real FFTs, with DCTs on mirrored axes, forward and
    inverse) that `call()` runs, counted where every solver's transforms go
    through: ``operators.Blur``'s, allocating or in a work array's memory."""
    import importlib

    blur_module = importlib.import_module("restore.operators.blur")
    calls = []
    names = ("cosine_rfftn", "cosine_irfftn", "cosine_rfftn_in_place", "cosine_irfftn_in_place")
    saved = {name: getattr(blur_module, name) for name in names}

    def counted(name):
        def transform(*args, **kwargs):
            calls.append(name)
            return saved[name](*args, **kwargs)
        return transform

    for name in names:
        setattr(blur_module, name, counted(name))
    try:
        call()
    finally:
        for name in names:
            setattr(blur_module, name, saved[name])
    return len(calls)


@pytest.mark.parametrize("boundary", ["reflect", "unknown"])
def test_tv_final_solve_stops_when_the_estimate_stops_moving(boundary):
    """On a photo the automatic TV call stops by its change rule, well before the
    300-iteration cap (the warm-started final solve used to run to ~260 on
    "unknown"), and no worse than a long run at the same λ."""
    from skimage import data

    truth = (data.camera()[::2, ::2] / 255.0).astype(np.float32)
    truth, f = observe(truth, restore.psf.gaussian(1.5))
    x, info = restore.tv(f, restore.psf.gaussian(1.5), boundary=boundary, return_info=True)
    assert info.stop_reason == "tol" and info.iterations < 150, info.summary()
    long = restore.tv(f, restore.psf.gaussian(1.5), boundary=boundary,
                      lam=info.parameters["lam"], iterations=300)
    assert psnr(truth, x, data_range=1) > psnr(truth, long, data_range=1) - 0.1


@pytest.mark.parametrize("boundary", ["reflect", "periodic", "unknown"])
def test_wavelet_runs_one_fft_pair_per_iteration_without_a_mask(camera_case, boundary):
    """FISTA's gradient HᵀH y − Hᵀf is one FFT pair with |H|² (Hᵀf once);
    only "unknown", whose data term has a mask, needs H and Hᵀ apart (4 FFTs)."""
    _, f, psf = camera_case
    counts = [_fft_calls(lambda n=n: restore.wavelet(f, psf, lam=0.003, iterations=n,
                                                      boundary=boundary))
              for n in (2, 6)]
    assert (counts[1] - counts[0]) / 4 == (4 if boundary == "unknown" else 2)


def test_tv_default_penalty_converges_on_a_star_field():
    """Point sources on a sky of 20 photons: the automatic λ is ~0.01 σ̂, far from
    a photo's ~0.05 σ̂. ρ = λ/(2.5 σ̂) puts the shrinkage threshold at the noise;
    the old fixed ρ = 0.02 left TV 4 dB further from the truth after 150
    iterations (44.8 against 40.7 dB)."""
    rng = np.random.default_rng(0)
    scene = np.full((112, 112), 20.0)
    ys, xs = rng.integers(0, 112, (2, 30))
    scene[ys, xs] += 10 ** rng.uniform(1, 4.5, 30)
    psf = restore.psf.from_spec("gauss:1.5")
    truth = scene[8:-8, 8:-8]
    f = rng.poisson(restore.blur(scene, psf)[8:-8, 8:-8]).astype(np.float32)
    lam = 0.0832  # the automatic λ on this field

    def score(**options):  # mirrored ("auto" leaves a 96² crop under 13 pixels unknown)
        x = restore.tv(f, psf, lam=lam, iterations=150, boundary="reflect", **options)
        return psnr(truth, x, data_range=truth.max() - truth.min())

    assert score() >= score(rho=0.02) + 2.0


def test_tv_runs_one_fft_pair_per_iteration(camera_case):
    """Without a mask (any boundary but "unknown"): the right-hand side's
    transform and the division's inverse."""
    _, f, psf = camera_case
    counts = [_fft_calls(lambda n=n: restore.tv(f, psf, lam=0.001, iterations=n,
                                                boundary="reflect"))
              for n in (2, 6)]
    assert (counts[1] - counts[0]) / 4 == 2


@pytest.mark.parametrize("isotropic", [True, False])
@pytest.mark.parametrize("shape", [(40,), (24, 31), (9, 12, 10)])
def test_tv_admm_matches_a_plain_float64_admm(shape, isotropic):
    """The compact, blocked ADMM takes the same steps as the textbook scaled-form
    ADMM (z = ∇x, z₊ = x; np.roll differences), written out in float64."""
    rng = np.random.default_rng(3)
    f = (1 + rng.random(shape)).astype(np.float64)
    psf = restore.psf.gaussian(1.0, ndim=len(shape), size=3)
    lam, rho, iterations = 0.05, 0.02, 15
    ours = restore.tv(f, psf, lam=lam, rho=rho, iterations=iterations, boundary="periodic",
                      isotropic=isotropic)
    from restore.operators import Blur

    otf = Blur(psf / psf.sum(), shape, boundary="periodic", dtype=np.float64).otf
    axes = range(len(shape))
    grad = lambda x: [np.roll(x, -1, a) - x for a in axes]
    div = lambda ys: sum(y - np.roll(y, 1, a) for a, y in zip(axes, ys))
    impulse = np.zeros(shape)
    impulse[(0,) * len(shape)] = 1
    d_power = sum(np.abs(np.fft.rfftn(np.roll(impulse, -1, a) - impulse)) ** 2 for a in axes)
    h_power = np.abs(otf) ** 2
    x = f.copy()
    z, u = grad(x), [np.zeros(shape) for _ in axes]
    zp, up = x.copy(), np.zeros(shape)
    t = lam / rho  # lam is the objective's weight
    for _ in range(iterations):
        rhs = -rho * div([a - b for a, b in zip(z, u)]) + rho * (zp - up)
        spectrum = np.conj(otf) * np.fft.rfftn(f) + np.fft.rfftn(rhs)
        x = np.fft.irfftn(spectrum / (h_power + rho * d_power + rho), s=shape, axes=tuple(axes))
        v = [g + b for g, b in zip(grad(x), u)]
        if isotropic:
            m = np.sqrt(sum(c * c for c in v))
            z = [c * np.maximum(1 - t / np.maximum(m, 1e-30), 0) for c in v]
        else:
            z = [np.sign(c) * np.maximum(np.abs(c) - t, 0) for c in v]
        u = [c - a for c, a in zip(v, z)]
        vp = x + up
        zp = np.maximum(vp, 0)
        up = vp - zp
    assert np.allclose(ours, np.maximum(x, 0), atol=1e-6 * np.abs(x).max())


def test_iterative_solvers_model_a_dark_surround_as_unknown():
    """scikit-image's set-up: convolve(mode="same") fades the image at its edges.
    Mirrored, TV fell 1.5 dB below the observation; as "unknown" it gains."""
    import scipy.signal
    from skimage import data

    rng = np.random.default_rng(0)
    scene = (data.camera()[::2, ::2] / 255.0).astype(np.float32)
    f = scipy.signal.convolve(scene, np.ones((5, 5)) / 25, mode="same").astype(np.float32)
    f += 0.1 * f.std() * rng.standard_normal(f.shape).astype(np.float32)
    box = np.ones((5, 5)) / 25
    assert restore.operators.edges_fade(f, box)
    assert not restore.operators.edges_fade(scene, box)
    x, info = restore.tv(f, box, return_info=True)
    assert info.parameters["boundary"] == "unknown"
    assert psnr(scene, x, data_range=1.0) > psnr(scene, f, data_range=1.0) + 1


def test_a_mirrored_thin_stack_keeps_its_own_noise_level():
    """The automatic choices read σ̂ off the stack itself, not its mirrored-out
    copy (whose repeated planes read as less noise: RL then never reached its
    discrepancy level, ran to its cap and fell 11 dB below the observation)."""
    rng = np.random.default_rng(1)
    g = scipy.ndimage.gaussian_filter(rng.random((40, 48, 48)), (2, 1.5, 1.5)) * 200 + 5
    psf = restore.psf.gaussian((2.5, 1.2, 1.2), size=(21, 9, 9))
    f = (rng.poisson(restore.blur(g, psf)).astype(np.float32)[15:24]
         + rng.normal(0, 2, (9, 48, 48)).astype(np.float32) - 5)
    truth = g[15:24] - 5
    span = float(truth.max() - truth.min())
    for name, options in (("richardson_lucy", {}), ("tv", {"boundary": "reflect"})):
        with pytest.warns(UserWarning, match="mirrored out"):
            x, info = restore.SOLVERS[name](f, psf, return_info=True, **options)
        assert info.parameters["sigma"] == pytest.approx(restore.params.noise_level(f))
        assert psnr(truth, x, data_range=span) > psnr(truth, f, data_range=span) + 3, name


def test_tv_leaves_a_stack_thinner_than_its_psf_unknown(recwarn):
    """Six camera planes of spots under a 21-plane PSF: most of their light
    comes from planes beyond the stack. The mirror invents those planes; TV
    with it fell below the observation (29.1 against 30.3 dB). "auto" now
    leaves them unknown, with no mirrored-out copy: 32.0 dB."""
    rng = np.random.default_rng(1)
    full = (14, 72, 72)
    scene = np.zeros(full)
    scene[tuple(rng.integers(0, full, (30, 3)).T)] = rng.uniform(200, 2000, 30)
    scene = 10 * scipy.ndimage.gaussian_filter(scene, (0.5, 1.2, 1.2)) + 5
    psf = restore.psf.from_spec("gauss:2.5,1.3,1.3", ndim=3)
    view = (slice(4, 10), slice(4, 68), slice(4, 68))
    truth, clean = 3 * scene[view] + 400, restore.blur(scene, psf, boundary="zero")[view]
    f = (3 * rng.poisson(clean) + 400 + 4 * rng.standard_normal(clean.shape)).astype(np.float32)
    span = float(truth.max() - truth.min())
    x, info = restore.tv(f, psf, return_info=True)
    assert info.parameters["boundary"] == "unknown"
    assert info.parameters["sigma"] == pytest.approx(restore.params.noise_level(f))
    assert not [w for w in recwarn if "mirrored out" in str(w.message)]
    with pytest.warns(UserWarning, match="mirrored out"):
        mirrored = restore.tv(f, psf, boundary="reflect")
    ours, theirs = psnr(truth, x, data_range=span), psnr(truth, mirrored, data_range=span)
    assert ours > psnr(truth, f, data_range=span) + 1 and ours > theirs + 1, (ours, theirs)


@pytest.mark.parametrize("name", ["tv", "wavelet", "richardson_lucy"])
def test_iterative_solvers_leave_a_small_crop_under_a_wide_psf_unknown(name):
    """A 64² crop of a photo under a 13-pixel defocus disk, blurred with what
    lay beyond it: mirrored, every iterative solver fell below the
    observation (21.30 dB): TV 15.71, wavelet 8.53, RL 16.09; "auto" leaves
    the border unknown: 24.25, 24.28, 24.03."""
    truth, f, psf = _coffee_crop_under_a_disk()
    ours, theirs = _auto_and_mirrored(name, truth, f, psf, "unknown")
    assert ours > psnr(truth, f, data_range=1) + 2 and ours > theirs + 2, (ours, theirs)


def _coffee_crop_under_a_disk():
    from skimage import color, data

    scene = color.rgb2gray(data.coffee()).astype(np.float32)[100:228, 150:278]
    psf = restore.psf.from_spec("disk:6")
    blurred = restore.blur(scene, psf, boundary="reflect")
    truth, clean = scene[32:96, 32:96], blurred[32:96, 32:96]
    return truth, clean + np.random.default_rng(0).normal(0, 0.01, clean.shape).astype(np.float32), psf


@pytest.mark.parametrize("name", ["inverse", "wiener", "tikhonov"])
def test_closed_forms_read_a_small_crop_through_a_hann_window(name, monkeypatch):
    """On a 64² crop under a 13-pixel disk the closed forms' choices read a
    Hann-tapered periodogram: with the Tukey window, its leakage into the
    disk's zeros read as signal and GCV's λ fell far too low (inverse 15.3,
    Wiener 16.7, Tikhonov 16.6 dB; Hann: 23.4, 21.2, 19.7, continued
    smoothly). Wiener and Tikhonov are still below the observation (21.3) on
    this crop: the closed forms cannot leave the border unknown, and the
    README says to use an iterative solver on small crops."""
    from restore import params

    truth, f, psf = _coffee_crop_under_a_disk()
    assert params.choice_taper(f.shape, psf.shape) == params.SPANNED_TAPER
    ours = psnr(truth, restore.SOLVERS[name](f, psf), data_range=1)
    monkeypatch.setattr(params, "SPANNED_TAPER", params.TAPER)
    tukey = psnr(truth, restore.SOLVERS[name](f, psf), data_range=1)
    assert ours > tukey + 2, (ours, tukey)


@pytest.mark.parametrize("name", ["tv", "wavelet", "richardson_lucy"])
def test_low_noise_leaves_a_border_unknown_under_a_small_box(name):
    """160² of coffee under an 11-pixel box at σ = 0.005: 0.07 of the side,
    under the old 0.1 the mirror's border error outweighed the noise and the
    wavelet solver fell to 14.9 dB against 22.4 observed (TV 21.9, RL 22.1);
    "auto" now leaves the border unknown: 27.6, 28.3, 27.6."""
    from skimage import color, data

    scene = color.rgb2gray(data.coffee()).astype(np.float32)[60:284, 160:384]
    psf = restore.psf.from_spec("box:11")
    blurred = restore.blur(scene, psf, boundary="reflect")
    truth, clean = scene[32:192, 32:192], blurred[32:192, 32:192]
    f = clean + np.random.default_rng(3).normal(0, 0.005, clean.shape).astype(np.float32)
    x, info = restore.SOLVERS[name](f, psf, return_info=True)
    assert info.parameters["boundary"] == "unknown"
    assert psnr(truth, x, data_range=1) > psnr(truth, f, data_range=1) + 3


def test_tv_restores_again_with_the_border_unknown_where_the_mirror_cannot_fit(monkeypatch):
    """Camera 256² under a 7-pixel box at σ = 0.003 (0.027 of the side:
    mirrored): TV's λ search ended at its lower limit, the mirror's border
    error above the noise, and TV fell to 17.3 dB against 22.7 observed; it
    now solves again with the border unknown: 31.2."""
    import importlib

    from skimage import data

    from restore.solvers._framework import AutomaticChoiceWarning

    iterative = importlib.import_module("restore.solvers._iterative")
    scene = (data.camera()[96:416, 96:416] / 255.0).astype(np.float32)
    psf = restore.psf.from_spec("box:7")
    blurred = restore.blur(scene, psf, boundary="reflect")
    truth, clean = scene[32:288, 32:288], blurred[32:288, 32:288]
    f = restore.noise.gaussian(clean, sigma=0.003, seed=5)
    observed = psnr(truth, f, data_range=1)
    x, info = restore.tv(f, psf, return_info=True)
    assert info.parameters["boundary"] == "unknown"
    assert "lower limit" in info.parameters["boundary_method"]
    assert psnr(truth, x, data_range=1) > observed + 5
    monkeypatch.setattr(iterative, "RETRY_UNKNOWN", False)
    with pytest.warns(AutomaticChoiceWarning, match="lower end"):
        mirrored, info = restore.tv(f, psf, return_info=True)
    assert info.parameters["boundary"] == "reflect"
    assert psnr(truth, mirrored, data_range=1) < observed


def _cycle_spun_reference(x, threshold, shifts, wavelet_name, levels, axes):
    """The definition, by PyWavelets' multilevel transforms: the mean over the
    shifts s of roll(−s) W⁻¹ soft(W roll(s) x), approximation not thresholded."""
    import pywt

    every = tuple(range(x.ndim))
    total = np.zeros(x.shape, np.float64)
    for shift in shifts:
        coeffs = pywt.wavedecn(np.roll(x, shift, every).astype(np.float64), wavelet_name,
                               mode="periodization", level=levels, axes=axes)
        coeffs[1:] = [{k: pywt.threshold(c, threshold, "soft") for k, c in d.items()}
                      for d in coeffs[1:]]
        back = pywt.waverecn(coeffs, wavelet_name, mode="periodization", axes=axes)
        total += np.roll(back, [-s for s in shift], every)
    return total / len(shifts)


@pytest.mark.parametrize("shape, levels, wavelet_name", [
    ((128, 96), 3, "db4"),    # even shifts: the full-size level once
    ((32, 40), 2, "db2"),     # odd shifts at the first level
    ((40, 24), 1, "haar"),    # repeated shifts
    ((3, 32, 40), 2, "db2"),  # a thin stack: the planes' axis is not transformed
    ((128,), 3, "sym4"),
])
def test_wavelet_cycle_spinning_matches_its_definition(shape, levels, wavelet_name):
    """The shifts share their even part in the transform's coarser levels,
    in place; the result is the per-shift definition's."""
    import importlib

    import pywt
    from restore.operators import WorkDomain

    wavelet_module = importlib.import_module("restore.solvers.wavelet")
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(np.float32)
    domain = WorkDomain(np.ones((1,) * len(shape), np.float32), x, "periodic")
    axes, usable = wavelet_module._transform_plan(shape, pywt.Wavelet(wavelet_name),
                                                  wavelet_name, levels)
    solver = wavelet_module._WaveletFISTA(domain, pywt.Wavelet(wavelet_name), usable, np, axes)
    expected = _cycle_spun_reference(x, 0.7, solver.shifts, wavelet_name, usable, axes)
    spun = solver._prox(x.copy(), 0.7, solver.shifts)
    np.testing.assert_allclose(spun, expected, atol=2e-5)
    assert np.abs(expected - x).max() > 0.1  # the thresholding did something


def test_wavelet_with_lambda_given_holds_few_arrays():
    """The gradient step, its spectrum and the thresholding share one work
    array, the transforms run in its memory a block at a time: 1024², 3
    iterations, 7.4× the input (17.9× with PyWavelets' multilevel transforms
    per shift beside it)."""
    import tracemalloc

    rng = np.random.default_rng(0)
    psf = restore.psf.gaussian(2.0).astype(np.float32)
    scene = restore.blur(rng.random((128, 128)).repeat(8, 0).repeat(8, 1), psf)
    f = (scene + 0.01 * rng.standard_normal(scene.shape)).astype(np.float32)
    restore.wavelet(f[:64, :64], psf, lam=0.003, iterations=2)  # imports, tables
    tracemalloc.start()
    try:
        restore.wavelet(f, psf, lam=0.003, iterations=3)
        peak = tracemalloc.get_traced_memory()[1] / f.nbytes
    finally:
        tracemalloc.stop()
    assert peak <= 10


def test_wavelet_tol_reads_the_field_of_view_not_the_unseen_border():
    """scikit-image's set-up (zero borders: boundary "unknown"): the border
    beyond the image drifts on for ever, so a change read on the whole work
    grid never fell below tol (200 iterations, 24.14 dB); read on the field
    of view the solve stops at 35 (24.23 dB)."""
    import scipy.signal

    truth = (skimage.data.camera()[::2, ::2] / 255.0).astype(np.float32)
    psf = np.ones((5, 5)) / 25
    f = scipy.signal.convolve(truth, psf, mode="same")
    f = f + 0.1 * f.std() * np.random.default_rng(0).standard_normal(f.shape)
    x, info = restore.wavelet(f, psf, return_info=True)
    assert info.parameters["boundary"] == "unknown"
    assert info.stop_reason == "tol" and info.iterations < 100, info.summary()


def test_tv_tol_lattice_lies_in_the_field_of_view():
    """TV's change is read on a lattice of the field of view: with boundary
    "unknown" (scikit-image's set-up at 512²) the unseen border kept the
    whole-grid change above tol to 165 iterations, 105 on the field of view."""
    import importlib

    tv = importlib.import_module("restore.solvers.tv")
    window = (slice(7, 519), slice(9, 400))
    lattice = tv._change_sample(window)
    for axis, (points, view) in enumerate(zip(lattice, window)):
        indices = range(600)[points]
        assert indices[0] == view.start and indices[-1] < view.stop, axis
        assert len(indices) >= 16
    assert math.prod(len(range(600)[s]) for s in lattice) >= tv.CHANGE_SAMPLE


def test_tv_final_solve_after_the_search_stops_at_a_looser_tol(camera_case, monkeypatch):
    """The final solve starts from the search's estimate, near its end: twice
    the default tol takes fewer iterations (here 25 against 45) for about the
    same PSNR (here −0.050 dB, the most measured: the PSNR still climbs by
    0.0025 dB an iteration; on quality.py's 8 TV rows −0.01 to +0.04)."""
    import importlib

    tv = importlib.import_module("restore.solvers.tv")
    truth, f, psf = camera_case
    x, info = restore.tv(f, psf, return_info=True)
    monkeypatch.setattr(tv, "FINAL_TOL_FACTOR", 1.0)
    x_tight, tight = restore.tv(f, psf, return_info=True)
    assert info.parameters["lam"] == tight.parameters["lam"]
    assert info.stop_reason == "tol" and info.iterations < tight.iterations
    psnr = restore.metrics.psnr
    assert abs(psnr(truth, x, data_range=1.0) - psnr(truth, x_tight, data_range=1.0)) < 0.06


def test_wavelet_mirrors_a_volumes_axes_by_a_dct_and_pads_an_images(monkeypatch):
    """Volumes: "reflect" by a DCT where it is exact, no margin (a 32-plane
    stack under a 21-plane PSF ran 5.7x faster); images keep the padded grid
    (a DCT's wrap put the image's opposite edges next to each other in the
    prior: −0.1 to −0.4 dB on 256² photos)."""
    import importlib

    wavelet_module = importlib.import_module("restore.solvers.wavelet")
    grids = []
    real = wavelet_module.WorkDomain

    def recording(*args, **kwargs):
        domain = real(*args, **kwargs)
        grids.append(domain.op.shape)
        return domain

    monkeypatch.setattr(wavelet_module, "WorkDomain", recording)
    volume = np.random.default_rng(0).random((16, 40, 40)).astype(np.float32)
    psf3 = restore.psf.gaussian((1.0, 1.0, 1.0))
    restore.wavelet(volume, psf3, lam=0.01, iterations=2, boundary="reflect")
    assert grids[-1][0] == 16  # z mirrored by a DCT, not padded
    image = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    restore.wavelet(image, "gauss:2", lam=0.01, iterations=2, boundary="reflect")
    assert grids[-1][0] > 64


def test_tv_keeps_a_small_grids_shrinkage_factors_for_the_v_update(camera_case, monkeypatch):
    """The factors of v were computed twice an iteration (right-hand side,
    then v-update) though v does not change in between; small grids keep
    them (same iterates, fewer passes)."""
    import importlib

    tv_module = importlib.import_module("restore.solvers.tv")
    _, f, psf = camera_case
    calls = []
    original = tv_module._TVADMM._factors

    def counted(self, v, block, threshold):
        calls.append(block.stop - block.start)
        return original(self, v, block, threshold)

    monkeypatch.setattr(tv_module._TVADMM, "_factors", counted)
    kept = restore.tv(f, psf, lam=0.003, iterations=12)
    rows_kept, calls[:] = sum(calls), []
    monkeypatch.setattr(tv_module, "KEEP_FACTORS_ELEMENTS", 0)
    again = restore.tv(f, psf, lam=0.003, iterations=12)
    np.testing.assert_array_equal(kept, again)
    assert rows_kept < 0.6 * sum(calls)
