"""Tests for restore/metrics.py against closed forms and scikit-image."""

import math

import numpy as np
import pytest
import skimage.data
import skimage.metrics

import restore.metrics as metrics
from restore._backend import cupy_available


def arrays(kind, seed=0):
    """(truth, estimate, observation) of one dimensionality, float64."""
    rng = np.random.default_rng(seed)
    if kind == "1d":
        truth = np.sin(np.linspace(0, 20, 2000))
    elif kind == "2d":
        truth = skimage.data.camera()[::2, ::2] / 255.0
    else:
        z, y, x = np.mgrid[0:24, 0:24, 0:24] / 23
        truth = np.sin(3 * x) * np.cos(2 * y) + z
    observation = truth + 0.2 * rng.standard_normal(truth.shape)
    estimate = truth + 0.05 * rng.standard_normal(truth.shape)
    return truth, estimate, observation


KINDS = ["1d", "2d", "3d"]


# --------------------------------------------------------------------------- #
# mse
# --------------------------------------------------------------------------- #


def test_mse_closed_form():
    truth = np.arange(12.0).reshape(3, 4)
    assert metrics.mse(truth, truth + 0.5) == 0.25  # constant offset c: c²
    assert metrics.mse(truth, truth) == 0.0
    assert metrics.mse([1, 2, 3], [1, 2, 6]) == 3.0  # (0 + 0 + 9) / 3


def test_mse_uses_float64_not_the_input_dtype():
    truth = np.zeros(4, dtype=np.uint8)
    estimate = np.full(4, 255, dtype=np.uint8)  # uint8 subtraction would wrap
    value = metrics.mse(truth, estimate)
    assert value == 255.0**2 and isinstance(value, float)


# --------------------------------------------------------------------------- #
# psnr
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("kind", KINDS)
def test_psnr_of_identical_arrays_is_inf(kind):
    truth, _, _ = arrays(kind)
    assert metrics.psnr(truth, truth.copy()) == math.inf


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("data_range", [None, 2.5])
def test_psnr_matches_skimage(kind, data_range):
    truth, estimate, _ = arrays(kind)
    expected_range = np.ptp(truth) if data_range is None else data_range
    expected = skimage.metrics.peak_signal_noise_ratio(truth, estimate,
                                                       data_range=expected_range)
    value = metrics.psnr(truth, estimate, data_range=data_range)
    assert isinstance(value, float)
    assert value == pytest.approx(expected, rel=1e-12)


def test_psnr_closed_form_and_scale_invariance():
    truth = np.array([0.0, 1.0, 0.0, 1.0])
    estimate = np.array([0.0, 0.9, 0.0, 1.0])  # mse = 0.01 / 4, range 1
    assert metrics.psnr(truth, estimate) == pytest.approx(10 * np.log10(400))
    assert metrics.psnr(7 * truth, 7 * estimate) == pytest.approx(10 * np.log10(400))


def test_psnr_of_a_constant_truth_needs_data_range():
    with pytest.raises(ValueError, match="constant"):
        metrics.psnr(np.ones(10), np.zeros(10))
    assert metrics.psnr(np.ones(10), np.zeros(10), data_range=1.0) == 0.0
    with pytest.raises(ValueError, match=r"data_range must be a finite positive number, got -1"):
        metrics.psnr(np.arange(10.0), np.zeros(10), data_range=-1)


# --------------------------------------------------------------------------- #
# ssim
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("kind", KINDS)
def test_ssim_matches_skimage(kind):
    truth, estimate, _ = arrays(kind)
    expected = skimage.metrics.structural_similarity(truth, estimate,
                                                     data_range=np.ptp(truth))
    assert metrics.ssim(truth, estimate) == pytest.approx(expected, rel=1e-12)
    assert metrics.ssim(truth, truth) == pytest.approx(1.0)
    assert metrics.ssim(truth, estimate) < 1.0


def test_ssim_with_channels_matches_skimage():
    rng = np.random.default_rng(1)
    truth = skimage.data.astronaut()[::4, ::4] / 255.0
    estimate = truth + 0.05 * rng.standard_normal(truth.shape)
    expected = skimage.metrics.structural_similarity(truth, estimate, data_range=1.0,
                                                     channel_axis=-1)
    value = metrics.ssim(truth, estimate, data_range=1.0, channel_axis=-1)
    assert value == pytest.approx(expected, rel=1e-12)


def test_ssim_needs_seven_samples_per_axis():
    with pytest.raises(ValueError, match=r"7-sample window.*\(5,\)"):
        metrics.ssim(np.arange(5.0), np.arange(5.0))
    with pytest.raises(ValueError, match=r"\(40, 40, 3\)"):
        metrics.ssim(np.random.rand(40, 40, 3), np.random.rand(40, 40, 3))


# --------------------------------------------------------------------------- #
# isnr
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("data_range", [None, 10.0])
def test_isnr_is_the_psnr_difference(kind, data_range):
    truth, estimate, observation = arrays(kind)
    expected = (metrics.psnr(truth, estimate, data_range=data_range)
                - metrics.psnr(truth, observation, data_range=data_range))
    assert metrics.isnr(truth, estimate, observation) == pytest.approx(expected, rel=1e-9)


def test_isnr_closed_form():
    rng = np.random.default_rng(2)
    truth = rng.random((32, 32))
    error = rng.standard_normal((32, 32))
    # the estimate's error is a tenth of the observation's: 20 dB better
    assert metrics.isnr(truth, truth + 0.1 * error, truth + error) == pytest.approx(20.0)
    assert metrics.isnr(truth, truth + error, truth + error) == 0.0
    assert metrics.isnr(truth, truth, truth + error) == math.inf
    assert math.isnan(metrics.isnr(truth, truth, truth))


# --------------------------------------------------------------------------- #
# Shapes, inputs
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("metric", [metrics.mse, metrics.psnr, metrics.ssim])
def test_shape_mismatch_names_both_shapes(metric):
    with pytest.raises(ValueError, match=r"truth has shape \(8, 9\).*estimate has shape \(9, 8\)"):
        metric(np.ones((8, 9)), np.ones((9, 8)))


def test_isnr_shape_mismatch_names_the_observation():
    with pytest.raises(ValueError, match=r"observation has shape \(3,\)"):
        metrics.isnr(np.ones(4), np.ones(4), np.ones(3))


@pytest.mark.gpu
@pytest.mark.skipif(not cupy_available(), reason="needs CuPy and a CUDA device")
def test_cupy_inputs_give_the_numpy_values():
    import cupy

    truth, estimate, observation = arrays("2d")
    gpu = [cupy.asarray(a) for a in (truth, estimate, observation)]
    assert metrics.mse(*gpu[:2]) == metrics.mse(truth, estimate)
    assert metrics.psnr(*gpu[:2]) == metrics.psnr(truth, estimate)
    assert metrics.ssim(*gpu[:2]) == metrics.ssim(truth, estimate)
    assert metrics.isnr(*gpu) == metrics.isnr(truth, estimate, observation)
