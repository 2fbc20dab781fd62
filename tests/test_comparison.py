import csv
import io
import math

import numpy as np
import pytest

import restore
from restore import metrics
from restore.comparison import ORACLE_GRIDS, Comparison, compare, compare_observed, sweep
from restore.comparison.oracle import NOISE_SCALED

# Small iteration budgets keep the suite quick; automatic choices are the solvers' business.
FAST = {
    "richardson_lucy": {"iterations": 10},
    "tv": {"iterations": 25},
    "wavelet": {"iterations": 15},
}
TABLE_COLUMNS = ["Method", "Parameters", "PSNR (dB)", "SSIM", "ISNR (dB)", "Residual/σ̂",
                 "Time (s)"]
CSV_COLUMNS = ["method", "parameters", "psnr", "ssim", "isnr", "residual_rms", "noise_sigma",
               "seconds", "oracle_parameter", "oracle_psnr", "noise", "psf", "seed"]


@pytest.fixture(scope="module")
def crop(camera):
    """A 96×96 crop of camera on [0, 1]."""
    return camera[16:112, 16:112]


@pytest.fixture(scope="module")
def volume():
    """A 16×48×48 volume of smooth blobs on [0, 1]."""
    from scipy import ndimage

    rng = np.random.default_rng(3)
    v = ndimage.gaussian_filter((rng.random((16, 48, 48)) > 0.97).astype(np.float32), 1.5)
    return (v / v.max()).astype(np.float32)


@pytest.fixture(scope="module")
def basic(crop):
    return compare(crop, "gauss:1.5", noise="gaussian:snr=30", seed=3,
                   methods=["wiener", "tikhonov", "rl"], parameters=FAST)


def table_cells(markdown):
    """The Markdown table's rows, as lists of cell texts (header first)."""
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")]
            for row in rows if "---" not in row]


def without_seconds(comparison):
    return [(r.method, repr(r.parameters), r.psnr, r.ssim, r.isnr, r.residual_rms,
             r.oracle_parameter, r.oracle_psnr, r.oracle_scan) for r in comparison.rows]


# ----------------------------------------------------------------------------- table


def test_table_has_a_row_per_method_with_every_column(basic):
    assert [r.method for r in basic.rows] == ["wiener", "tikhonov", "richardson_lucy"]
    assert list(basic.restored) == ["wiener", "tikhonov", "richardson_lucy"]
    cells = table_cells(basic.to_markdown())
    assert cells[0] == TABLE_COLUMNS
    assert [row[0] for row in cells[1:]] == ["wiener", "tikhonov", "richardson_lucy"]
    assert all(len(row) == len(TABLE_COLUMNS) for row in cells)
    # Parameters used, automatic choices resolved; fixed options passed through.
    assert basic.rows[1].parameters["lam"] > 0
    assert basic.rows[2].parameters["iterations"] == 10
    assert "iterations=10" in cells[3][1]
    assert all(r.seconds >= 0 for r in basic.rows)


def test_metrics_match_restore_metrics_on_the_returned_arrays(basic, crop):
    data_range = float(crop.max() - crop.min())
    for row in basic.rows:
        restored = basic.restored[row.method]
        assert restored.shape == crop.shape
        assert row.psnr == pytest.approx(metrics.psnr(crop, restored, data_range=data_range),
                                         abs=1e-9)
        assert row.ssim == pytest.approx(metrics.ssim(crop, restored, data_range=data_range),
                                         abs=1e-9)
        assert row.isnr == pytest.approx(metrics.isnr(crop, restored, basic.observed), abs=1e-9)
        # ISNR is the PSNR gain over the observation.
        assert row.isnr == pytest.approx(row.psnr - basic.observed_psnr, abs=1e-6)


def test_observation_is_the_blurred_clean_image_plus_the_seeded_noise(basic, crop):
    psf = restore.psf.from_spec("gauss:1.5")
    model = restore.noise.from_spec("gaussian:snr=30")
    expected = model(restore.blur(crop, psf), seed=3)
    np.testing.assert_array_equal(basic.observed, expected)
    assert basic.noise == model and basic.seed == 3 and basic.psf_description == "gauss:1.5"


def test_csv_has_the_same_numbers_at_full_precision(basic):
    rows = list(csv.DictReader(io.StringIO(basic.to_csv())))
    assert list(rows[0]) == CSV_COLUMNS
    for parsed, row in zip(rows, basic.rows):
        assert parsed["method"] == row.method
        assert float(parsed["psnr"]) == row.psnr
        assert float(parsed["ssim"]) == row.ssim
        assert parsed["noise"] == "gaussian:snr=30" and parsed["seed"] == "3"
        assert parsed["oracle_psnr"] == ""


def test_best_is_the_highest_psnr(basic):
    assert basic.best().psnr == max(r.psnr for r in basic.rows)
    assert basic.best("ssim").ssim == max(r.ssim for r in basic.rows)


# ----------------------------------------------------------------------------- seeds


def test_same_seed_reproduces_observation_and_table(crop, basic):
    again = compare(crop, "gauss:1.5", noise="gaussian:snr=30", seed=3,
                    methods=["wiener", "tikhonov", "rl"], parameters=FAST)
    np.testing.assert_array_equal(again.observed, basic.observed)
    assert without_seconds(again) == without_seconds(basic)
    for name in basic.restored:
        np.testing.assert_array_equal(again.restored[name], basic.restored[name])

    def drop_time(markdown):
        return [row[:-1] for row in table_cells(markdown)]

    assert drop_time(again.to_markdown()) == drop_time(basic.to_markdown())


def test_different_seed_gives_a_different_observation(crop, basic):
    other = compare(crop, "gauss:1.5", noise="gaussian:snr=30", seed=4, methods=["tikhonov"])
    assert not np.array_equal(other.observed, basic.observed)


# ----------------------------------------------------------------------------- noise


@pytest.mark.parametrize("spec", [
    "gaussian:snr=25",
    "gaussian:sigma=0.02",
    "poisson:peak=50",
    "poisson_gaussian:peak=100,read_noise=3",
])
def test_markdown_header_names_noise_model_parameters_psf_and_seed(crop, spec):
    model = restore.noise.from_spec(spec)
    result = compare(crop[:48, :48], "gauss:1", noise=model, seed=11, methods=["wiener"])
    header = result.to_markdown().split("|")[0]
    assert model.describe() in header       # e.g. "Poisson, peak 50 photons"
    assert str(model) in header             # e.g. "poisson:peak=50"
    assert "seed 11" in header and "gauss:1" in header
    assert result.noise.name == model.name


def test_photon_noise_on_a_black_background_works():
    """FFT round-off makes tiny negatives when blurring zeros; they must not break Poisson."""
    clean = np.zeros((40, 40), np.float32)
    clean[12:28, 12:28] = 1
    result = compare(clean, "gauss:2", noise="poisson:peak=50", seed=0, methods=["wiener"])
    assert result.observed.min() >= 0


def test_noise_sigma_estimates_the_true_rms_noise(camera):
    psf = restore.psf.from_spec("gauss:1.5")
    blurred = restore.blur(camera, psf)
    for spec in ("gaussian:sigma=0.02", "poisson:peak=100"):
        result = compare(camera, psf, noise=spec, seed=0, methods=["tikhonov"])
        true_rms = float(np.sqrt(np.mean((result.observed - blurred) ** 2)))
        assert result.noise_sigma == pytest.approx(true_rms, rel=0.15)


# ----------------------------------------------------------------------------- oracle


@pytest.fixture(scope="module")
def tuned(crop):
    return compare(crop, "gauss:1.5", noise="poisson:peak=200", seed=0, methods="all",
                   tune="oracle", parameters=FAST)


def test_oracle_reports_the_best_grid_value_for_every_method(tuned):
    for row in tuned.rows:
        key, grid = ORACLE_GRIDS[row.method]
        # Richardson-Lucy's also says which path it swept (accelerated with
        # automatic iterations, the default call's)
        extra = ["accelerate"] if row.method == "richardson_lucy" else []
        assert list(row.oracle_parameter) == [key] + extra
        value = row.oracle_parameter[key]
        if row.method in NOISE_SCALED:  # TV's and wavelet's λ grids are in units of σ̂
            value /= restore.params.noise_level(tuned.observed)
            assert min(abs(value - v) for v in grid) < 1e-9 * value
        else:
            assert value in grid
        scores = [p for _, p in row.oracle_scan if not math.isnan(p)]
        assert row.oracle_psnr == max(scores) >= min(scores)
        assert row.oracle_gain == pytest.approx(row.oracle_psnr - row.psnr)
    cells = table_cells(tuned.to_markdown())
    assert cells[0][-3:] == ["Oracle parameter", "Oracle PSNR (dB)", "Oracle gain (dB)"]


def test_oracle_score_is_the_psnr_of_a_run_at_that_value(tuned, crop):
    for name in ("wiener", "tv"):
        row = next(r for r in tuned.rows if r.method == name)
        options = {**FAST.get(name, {}), **row.oracle_parameter}
        again = restore.SOLVERS[name](tuned.observed, "gauss:1.5", **options)
        assert metrics.psnr(crop, again) == pytest.approx(row.oracle_psnr, abs=1e-6)


def test_richardson_lucy_oracle_scores_every_iterate_of_one_long_run(tuned, crop):
    row = next(r for r in tuned.rows if r.method == "richardson_lucy")
    length = max(ORACLE_GRIDS["richardson_lucy"][1])
    assert [k for k, _ in row.oracle_scan] == list(range(1, length + 1))
    best = row.oracle_parameter["iterations"]
    assert 1 <= best <= length
    # Independent check: a fresh run stopped at a scanned count has that PSNR.
    for k in (best, 7):
        x = restore.richardson_lucy(tuned.observed, "gauss:1.5", iterations=k)
        assert metrics.psnr(crop, x) == pytest.approx(row.oracle_scan[k - 1][1], abs=1e-6)


def test_richardson_lucy_oracle_of_the_default_call_sweeps_its_accelerated_path(crop):
    # automatic iterations are accelerated (accelerate="auto"): the oracle
    # tunes the count of that path, and says so, so that a run with its
    # parameters reproduces its score
    tuned = compare(crop, "gauss:1.5", noise="poisson:peak=200", seed=0, methods=["rl"],
                    tune="oracle")
    row = tuned.rows[0]
    assert row.parameters["accelerate"] is True
    assert row.oracle_parameter["accelerate"] is True
    k = row.oracle_parameter["iterations"]
    x = restore.richardson_lucy(tuned.observed, "gauss:1.5", **row.oracle_parameter)
    assert metrics.psnr(crop, x) == pytest.approx(row.oracle_psnr, abs=1e-6)
    plain = restore.richardson_lucy(tuned.observed, "gauss:1.5", iterations=k)
    assert abs(metrics.psnr(crop, plain) - row.oracle_psnr) > 1e-3


def test_oracle_needs_the_option(basic):
    assert all(r.oracle_parameter is None and r.oracle_psnr is None for r in basic.rows)
    with pytest.raises(ValueError, match="tune='oracle'"):
        basic.best("oracle_psnr")


# ----------------------------------------------------------------------------- methods


def test_all_and_the_rl_alias(crop):
    small = crop[:32, :32]
    assert [r.method for r in compare(small, "gauss:1", methods="all", parameters=FAST).rows] \
        == list(restore.SOLVERS)
    result = compare(small, "gauss:1", methods="rl,wiener,rl", parameters={"rl": {"iterations": 3}})
    assert [r.method for r in result.rows] == ["richardson_lucy", "wiener"]
    assert result.rows[0].parameters["iterations"] == 3


@pytest.mark.parametrize("kwargs, message", [
    ({"methods": ["wiener", "sharpen"]},
     r"unknown method 'sharpen'; valid methods: inverse, wiener"),
    ({"methods": []}, "methods is empty"),
    ({"tune": "grid"}, r"tune='grid' is not known"),
    ({"parameters": {"sharpen": {}}}, "parameters names unknown method 'sharpen'"),
    ({"parameters": {"wiener": {"channel_axis": 0}}}, "sets channel_axis"),
    ({"noise": "laplace:scale=1"}, "noise spec 'laplace:scale=1' is not understood"),
    ({"parameters": {"wiener": {"snr": "loud"}}},
     "wiener: snr must be a finite number or 'auto', got 'loud'"),
])
def test_bad_arguments_raise_value_errors_that_name_them(crop, kwargs, message):
    with pytest.raises(ValueError, match=message):
        compare(crop[:32, :32], "gauss:1", **kwargs)


def test_constant_clean_image_is_refused():
    with pytest.raises(ValueError, match="clean is constant"):
        compare(np.ones((32, 32)), "gauss:1", methods=["wiener"])


# ----------------------------------------------------------------------------- shapes


def test_three_dimensional_volume(volume):
    result = compare(volume, "gauss:1", noise="poisson:peak=100", seed=0,
                     methods=["wiener", "rl"], parameters=FAST)
    assert result.restored["wiener"].shape == volume.shape
    assert result.rows[0].psnr == pytest.approx(metrics.psnr(volume, result.restored["wiener"]))
    assert "16×48×48" in result.to_markdown()


def test_one_dimensional_signal():
    x = np.linspace(0, 1, 300)
    signal = (np.sin(12 * x) > 0).astype(float) + 0.5
    result = compare(signal, "gauss:2", noise="gaussian:snr=30", seed=0,
                     methods=["wiener", "tikhonov", "rl"], parameters=FAST)
    assert all(r.psnr > result.observed_psnr for r in result.rows[:2])
    assert result.restored["tikhonov"].dtype == np.float64


def test_colour_image_with_channel_axis():
    from skimage import data

    rgb = (data.astronaut()[100:164, 180:244] / 255.0).astype(np.float32)
    result = compare(rgb, "gauss:1", noise="poisson:peak=200", seed=0, methods=["wiener", "rl"],
                     channel_axis=-1, tune="oracle", parameters={"rl": {"iterations": 5}})
    restored = result.restored["wiener"]
    assert restored.shape == rgb.shape
    assert result.rows[0].ssim == pytest.approx(
        metrics.ssim(rgb, restored, data_range=float(rgb.max() - rgb.min()), channel_axis=-1))
    rl = result.rows[1]
    k = rl.oracle_parameter["iterations"]
    x = restore.richardson_lucy(result.observed, "gauss:1", iterations=k, channel_axis=-1)
    assert metrics.psnr(rgb, x) == pytest.approx(rl.oracle_psnr, abs=1e-6)


# ----------------------------------------------------------------------------- no truth


def test_compare_observed_reports_the_residual_against_the_noise(basic):
    psf = restore.psf.from_spec("gauss:1.5")
    result = compare_observed(basic.observed, psf, methods=["wiener", "inverse"])
    assert isinstance(result, Comparison) and not result.has_truth
    assert all(r.psnr is None and r.ssim is None and r.isnr is None for r in result.rows)
    # Residual RMS ‖H ĝ − f‖/√N, away from the border, computed independently.
    estimate = result.restored["wiener"]
    assert psf.shape == (13, 13)
    residual = (restore.blur(estimate, psf) - basic.observed)[6:-6, 6:-6]
    assert result.rows[0].residual_rms == pytest.approx(float(np.sqrt(np.mean(residual**2))),
                                                        rel=1e-5)
    cells = table_cells(result.to_markdown())
    assert cells[0] == ["Method", "Parameters", "Residual/σ̂", "Time (s)"]
    assert "no ground truth" in result.to_markdown()
    assert "array 13×13" in result.to_markdown()
    assert result.best() in result.rows            # closest residual to σ̂
    with pytest.raises(ValueError, match="needs a ground truth"):
        result.best("psnr")


def test_regularised_solvers_fit_the_data_to_about_the_noise_level(basic):
    ratios = {r.method: r.residual_rms / basic.noise_sigma for r in basic.rows}
    assert 0.7 < ratios["tikhonov"] < 1.3


# ----------------------------------------------------------------------------- sweep


def test_sweep_gives_one_psnr_per_method_per_level(crop):
    specs = ["gaussian:snr=10", "gaussian:snr=20", "gaussian:snr=35"]
    result = sweep(crop, "gauss:1.5", noise_specs=specs, methods=["wiener", "rl"], seed=0,
                   parameters={"rl": {"iterations": 8}})
    assert len(result) == 3 and result.parameter == "snr" and result.levels == [10, 20, 35]
    pairs = list(result)
    assert [str(model) for model, _ in pairs] == specs
    assert all(set(psnrs) == {"wiener", "richardson_lucy"} for _, psnrs in pairs)
    assert result.psnr["wiener"][-1] > result.psnr["wiener"][0]
    assert result.observed_psnr[-1] > result.observed_psnr[0]
    # Each point is exactly compare() at that level.
    single = compare(crop, "gauss:1.5", noise=specs[1], seed=0, methods=["wiener"])
    assert result.psnr["wiener"][1] == single.rows[0].psnr
    assert len(result.to_csv().splitlines()) == 4


def test_sweep_over_different_models_has_no_single_parameter(crop):
    result = sweep(crop[:48, :48], "gauss:1", noise_specs=["gaussian:snr=20", "poisson:peak=30"],
                   methods=["wiener"])
    assert result.parameter is None and result.levels == [0.0, 1.0]


def test_sweep_needs_a_list_of_specs(crop):
    with pytest.raises(ValueError, match="noise_specs must be a non-empty list"):
        sweep(crop, "gauss:1", noise_specs="gaussian:snr=20", methods=["wiener"])


# ----------------------------------------------------------------------------- GPU


@pytest.mark.gpu
def test_a_cupy_image_is_compared_on_the_gpu_with_the_same_noise(crop):
    import cupy

    methods = ["wiener", "tikhonov", "rl"]
    on_cpu = compare(crop, "gauss:1.5", seed=2, methods=methods, tune="oracle", parameters=FAST)
    on_gpu = compare(cupy.asarray(crop), "gauss:1.5", seed=2, methods=methods, tune="oracle",
                     parameters=FAST)
    assert isinstance(on_gpu.observed, cupy.ndarray)
    assert all(isinstance(x, cupy.ndarray) for x in on_gpu.restored.values())
    np.testing.assert_allclose(cupy.asnumpy(on_gpu.observed), on_cpu.observed, atol=1e-5)
    for cpu_row, gpu_row in zip(on_cpu.rows, on_gpu.rows):
        assert gpu_row.psnr == pytest.approx(cpu_row.psnr, abs=0.05)
        assert gpu_row.oracle_psnr == pytest.approx(cpu_row.oracle_psnr, abs=0.05)
