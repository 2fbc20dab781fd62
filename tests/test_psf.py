"""Tests for restore/psf/: every PSF model against a closed form."""

import doctest
import importlib
import math
import pkgutil

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

import restore.psf as psf

LAMBDA, NA, N_OIL = 0.52, 1.4, 1.518


# ------------------------------------------------------------------ helpers


def moments(h, axis):
    """Mean and second central moment of `h` along `axis`, about index n//2."""
    x = np.arange(h.shape[axis]) - h.shape[axis] // 2
    p = h.sum(axis=tuple(a for a in range(h.ndim) if a != axis))
    mean = float((p * x).sum())
    return mean, float((p * (x - mean) ** 2).sum())


def fwhm(profile, step=1.0):
    """Full width at half maximum of a symmetric profile peaked at its centre."""
    c = len(profile) // 2
    p = np.asarray(profile) / profile[c]
    i = c
    while p[i] > 0.5:
        i += 1
    crossing = i - 1 + (p[i - 1] - 0.5) / (p[i - 1] - p[i])
    return 2 * (crossing - c) * step


def centre(h):
    return tuple(n // 2 for n in h.shape)


def assert_contract(h, ndim):
    assert isinstance(h, np.ndarray) and h.dtype == np.float64
    assert h.ndim == ndim
    assert all(n % 2 == 1 for n in h.shape), h.shape
    assert np.all(np.isfinite(h)) and h.min() >= 0
    assert h.sum() == pytest.approx(1.0, abs=1e-12)


# ---------------------------------------------------------------- contract

SYMMETRIC = [
    (lambda: psf.gaussian(1.5), 2),
    (lambda: psf.gaussian(0.4, ndim=1), 1),
    (lambda: psf.gaussian([2.0, 1.0, 1.0]), 3),
    (lambda: psf.gaussian(1.0, size=(5, 11)), 2),
    (lambda: psf.box(5), 2),
    (lambda: psf.box(3, ndim=3), 3),
    (lambda: psf.disk(3.3), 2),
    (lambda: psf.disk(2.5, ndim=3), 3),
    (lambda: psf.disk(4, ndim=1), 1),
    (lambda: psf.airy(LAMBDA, NA, 0.065), 2),
    (lambda: psf.airy(LAMBDA, NA, 0.2, size=15), 2),
    (lambda: psf.widefield(NA, LAMBDA, N_OIL, 0.1, 0.25), 3),
    (lambda: psf.widefield(0.8, 0.6, 1.0, 0.15, 0.4, shape=(9, 15, 21)), 3),
]


@pytest.mark.parametrize("make, ndim", SYMMETRIC)
def test_symmetric_models_keep_the_contract(make, ndim):
    h = make()
    assert_contract(h, ndim)
    assert h[centre(h)] == h.max()  # box and disk are flat: the centre is a peak
    for axis in range(ndim):  # mirror symmetric about the centre on every axis
        np.testing.assert_allclose(h, np.flip(h, axis), rtol=1e-9, atol=1e-15)


@settings(max_examples=25, deadline=None)
@given(
    sigmas=st.lists(st.floats(0.3, 4.0), min_size=1, max_size=3),
)
def test_gaussian_contract_property(sigmas):
    h = psf.gaussian(sigmas)
    assert_contract(h, len(sigmas))
    assert np.unravel_index(h.argmax(), h.shape) == centre(h)


@settings(max_examples=40, deadline=None)
@given(length=st.floats(0.5, 30.0), angle=st.floats(-360.0, 360.0))
def test_motion_contract_property(length, angle):
    h = psf.motion(length, angle)
    assert_contract(h, 2)
    for axis in (0, 1):
        assert moments(h, axis)[0] == pytest.approx(0.0, abs=1e-9)


# ---------------------------------------------------------------- gaussian


@pytest.mark.parametrize("sigma", [1.0, 2.0, 3.5])
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_gaussian_second_moment_is_sigma_squared(sigma, ndim):
    h = psf.gaussian(sigma, ndim=ndim)
    for axis in range(ndim):
        mean, var = moments(h, axis)
        assert mean == pytest.approx(0.0, abs=1e-12)
        # pixel integration adds the box's variance 1/12 (closed form)
        assert var == pytest.approx(sigma**2 + 1 / 12, rel=5e-3)
        if sigma >= 2:
            assert var == pytest.approx(sigma**2, rel=0.03)


def test_gaussian_per_axis_sigmas_are_respected():
    sigmas = (3.0, 1.2, 1.2)
    h = psf.gaussian(sigmas)
    assert h.shape == (25, 11, 11)
    for axis, s in enumerate(sigmas):
        assert moments(h, axis)[1] == pytest.approx(s**2 + 1 / 12, rel=0.01)


def test_gaussian_small_sigma_is_the_pixel_integral():
    # independent: differences of the normal CDF at the pixel edges
    sigma = 0.3
    x = np.arange(5) - 2
    profile = stats.norm.cdf(x + 0.5, scale=sigma) - stats.norm.cdf(x - 0.5, scale=sigma)
    expected = np.outer(profile, profile)
    np.testing.assert_allclose(psf.gaussian(sigma), expected / expected.sum(), atol=1e-14)


def test_gaussian_zero_sigma_axis_does_not_blur():
    h = psf.gaussian([0.0, 2.0])
    assert h.shape == (1, 17)
    np.testing.assert_allclose(h[0], psf.gaussian(2.0, ndim=1))


def test_gaussian_default_size_and_explicit_size():
    assert psf.gaussian(2.0).shape == (17, 17)
    assert psf.gaussian(2.0, ndim=3, size=7).shape == (7, 7, 7)
    with pytest.raises(ValueError, match="size must be odd"):
        psf.gaussian(2.0, size=8)
    with pytest.raises(ValueError, match="sigma has 2 entries but ndim=3"):
        psf.gaussian([1.0, 2.0], ndim=3)
    with pytest.raises(ValueError, match="sigma must be a finite non-negative number, got -1"):
        psf.gaussian(-1.0)


# ------------------------------------------------------------- box / disk


@pytest.mark.parametrize("size, ndim", [(1, 2), (7, 2), (5, 3), ((3, 9), 2)])
def test_box_is_constant(size, ndim):
    h = psf.box(size, ndim=ndim)
    assert_contract(h, ndim)
    assert np.ptp(h) == 0
    assert h.size == np.prod(np.broadcast_to(size, (ndim,)))


@pytest.mark.parametrize("size", [4, 0, -3, 2.5])
def test_box_rejects_bad_sizes(size):
    with pytest.raises(ValueError, match="box size"):
        psf.box(size)


@pytest.mark.parametrize("radius", [2.0, 3.0, 4.5, 10.0])
def test_disk_area_is_pi_r_squared(radius):
    h = psf.disk(radius)
    # interior pixels are full, so 1 / max is the area covered, in pixels
    assert 1 / h.max() == pytest.approx(math.pi * radius**2, rel=0.02)
    assert h.shape == (2 * math.ceil(radius - 0.5) + 1,) * 2
    np.testing.assert_allclose(h, h.T)


def test_ball_volume_and_rim_anti_aliasing():
    h = psf.disk(6.0, ndim=3)
    assert 1 / h.max() == pytest.approx(4 / 3 * math.pi * 6.0**3, rel=0.01)
    levels = np.unique(np.round(h * (1 / h.max()), 9))
    assert len(levels) > 5  # partial pixels on the rim, not a hard 0/1 mask
    assert levels.max() == 1


def test_tiny_disk_is_a_point():
    np.testing.assert_array_equal(psf.disk(0.01), [[1.0]])


# ------------------------------------------------------------------ motion


@pytest.mark.parametrize("length", [5.0, 10.5, 21.0])
@pytest.mark.parametrize("angle", [0.0, 11.0, 45.0, 90.0, 137.0])
def test_motion_moments(length, angle):
    h = psf.motion(length, angle)
    assert_contract(h, 2)
    rows, cols = np.indices(h.shape)
    rows, cols = rows - h.shape[0] // 2, cols - h.shape[1] // 2
    theta = math.radians(angle)
    along = cols * math.cos(theta) - rows * math.sin(theta)  # rows go down
    across = cols * math.sin(theta) + rows * math.cos(theta)
    assert (h * cols).sum() == pytest.approx(0.0, abs=1e-12)
    assert (h * rows).sum() == pytest.approx(0.0, abs=1e-12)
    # uniform segment (L^2/12) blurred by the 2-pixel triangle (1/6)
    assert (h * along**2).sum() == pytest.approx(length**2 / 12 + 1 / 6, rel=0.01)
    if length >= 10:
        assert (h * along**2).sum() == pytest.approx(length**2 / 12, rel=0.03)
    assert (h * across**2).sum() < 0.25  # one pixel wide


def test_motion_direction_convention():
    h0, h90 = psf.motion(21, 0), psf.motion(21, 90)
    assert h0.shape == (1, 23)
    np.testing.assert_allclose(h90, h0.T, atol=1e-12)
    np.testing.assert_allclose(psf.motion(21, 180), h0, atol=1e-12)
    # 45 degrees counter-clockwise with rows going down: up and to the right
    h45 = psf.motion(15, 45)
    c = h45.shape[0] // 2
    assert h45[c - 4, c + 4] > 0.01 and h45[c + 4, c + 4] < 1e-12


def test_motion_size_argument():
    h = psf.motion(21, 30, size=31)
    assert h.shape == (31, 31)
    assert_contract(h, 2)
    with pytest.raises(ValueError, match="length must be a finite positive number, got 0"):
        psf.motion(0, 10)


# -------------------------------------------------------------- airy / widefield


def test_airy_first_zero_at_0_61_lambda_over_na():
    pixel = 0.02
    h = psf.airy(LAMBDA, NA, pixel)
    c = h.shape[0] // 2
    row = h[c, c:]
    first_minimum = int(np.argmax(np.diff(row) > 0))
    assert first_minimum == pytest.approx(0.61 * LAMBDA / NA / pixel, abs=1.0)
    assert fwhm(h[c], pixel) == pytest.approx(0.51 * LAMBDA / NA, rel=0.05)
    np.testing.assert_allclose(h, h.T, atol=1e-15)


def test_airy_matches_point_samples_of_the_closed_form_for_small_pixels():
    # pixel much smaller than the pattern: the pixel average is nearly the value
    pixel = 0.005
    h = psf.airy(LAMBDA, NA, pixel, size=41)
    v = 2 * math.pi * NA * pixel * np.hypot(*np.indices((41, 41)) - 20) / LAMBDA
    v[20, 20] = 1e-12
    expected = (2 * special.j1(v) / v) ** 2
    np.testing.assert_allclose(h / h.max(), expected, atol=2e-3)


@pytest.fixture(scope="module")
def fine_widefield():
    return psf.widefield(NA, LAMBDA, N_OIL, 0.04, 0.1, shape=(41, 41, 41))


def test_widefield_symmetry_and_peak(fine_widefield):
    h = fine_widefield
    assert_contract(h, 3)
    assert np.unravel_index(h.argmax(), h.shape) == (20, 20, 20)
    np.testing.assert_allclose(h, h[::-1], rtol=1e-9, atol=1e-16)
    np.testing.assert_allclose(h, np.swapaxes(h, 1, 2), rtol=1e-9, atol=1e-16)


def test_widefield_lateral_and_axial_widths(fine_widefield):
    h = fine_widefield
    lateral = fwhm(h[20, 20, :], 0.04)
    axial = fwhm(h[:, 20, 20], 0.1)
    assert lateral == pytest.approx(0.51 * LAMBDA / NA, rel=0.2)
    assert axial > 2 * lateral


def test_widefield_axial_profile_is_born_wolf(fine_widefield):
    # on axis Born-Wolf gives I(u, 0) = (sin(u/4) / (u/4))^2, u = k NA^2 z / n
    h = fine_widefield
    z = (np.arange(41) - 20) * 0.1
    u = 2 * math.pi / LAMBDA * NA**2 / N_OIL * z
    expected = np.sinc(u / (4 * math.pi)) ** 2
    np.testing.assert_allclose(h[:, 20, 20] / h[20, 20, 20], expected, atol=2e-3)


def test_widefield_focal_plane_is_the_airy_pattern(fine_widefield):
    focus = fine_widefield[20] / fine_widefield[20].sum()
    airy = psf.airy(LAMBDA, NA, 0.04, size=41)
    np.testing.assert_allclose(focus, airy, atol=2e-3 * airy.max())


def test_widefield_default_shape_and_errors():
    h = psf.widefield(NA, LAMBDA, N_OIL, 0.1, 0.25)
    assert all(n % 2 == 1 and n <= 65 for n in h.shape)
    assert h.shape[0] > 1
    with pytest.raises(ValueError, match="na .* must be smaller than refractive_index"):
        psf.widefield(1.6, LAMBDA, N_OIL, 0.1, 0.25)
    with pytest.raises(ValueError, match="z_step must be a finite positive number, got 0"):
        psf.widefield(NA, LAMBDA, N_OIL, 0.1, 0)


# --------------------------------------------------------------------- load


@pytest.fixture
def noisy_bead():
    """A Gaussian bead off centre on a 48 x 40 field, with offset and noise."""
    rng = np.random.default_rng(0)
    rows, cols = np.indices((48, 40))
    bead = np.exp(-((rows - 30) ** 2 + (cols - 12) ** 2) / (2 * 2.0**2))
    return 100 + 1000 * bead + rng.normal(0, 5, bead.shape)


@pytest.mark.parametrize("suffix", [".npy", ".tif"])
def test_load_recentres_a_shifted_noisy_bead(tmp_path, noisy_bead, suffix):
    path = tmp_path / f"bead{suffix}"
    if suffix == ".npy":
        np.save(path, noisy_bead)
    else:
        tifffile.imwrite(path, noisy_bead.astype(np.float32))
    h = psf.load(path)
    assert_contract(h, 2)
    assert h.shape == (47, 39)
    assert np.unravel_index(h.argmax(), h.shape) == (23, 19)
    for axis in (0, 1):
        assert moments(h, axis)[0] == pytest.approx(0.0, abs=0.5)
    # the offset (100 a pixel, 7x the bead's mass in all) is gone: the bead's
    # 4-sigma window holds most of the mass, the clipped noise floor the rest
    assert h[15:32, 11:28].sum() > 0.8
    bead = psf.gaussian(2.0, size=(17, 17))
    np.testing.assert_allclose(h[15:32, 11:28] / h[23, 19], bead / bead.max(), atol=0.05)


def test_load_size_background_and_uint16_stack(tmp_path):
    stack = np.zeros((9, 20, 20), np.uint16)
    stack[3, 5, 6] = 500
    stack[2:5, 4:7, 5:8] += 50
    path = tmp_path / "stack.tiff"
    tifffile.imwrite(path, stack)
    h = psf.load(path, size=(5, 7, 7), background=None)
    assert_contract(h, 3)
    assert h.shape == (5, 7, 7)
    assert np.unravel_index(h.argmax(), h.shape) == (2, 3, 3)
    h = psf.load(path, background=50.0, size=3)
    assert h.shape == (3, 3, 3) and h[1, 1, 1] == pytest.approx(1.0)


def test_load_png_colour_becomes_grey(tmp_path):
    rgb = np.zeros((15, 15, 3), np.uint8)
    rgb[6:9, 8:11] = (200, 100, 50)
    path = tmp_path / "psf.png"
    iio.imwrite(path, rgb)
    h = psf.load(path)
    assert h.shape == (15, 15)
    np.testing.assert_allclose(h[6:9, 6:9], 1 / 9)


def test_load_errors_name_the_path(tmp_path):
    with pytest.raises(OSError, match="missing.npy' does not exist"):
        psf.load(tmp_path / "missing.npy")
    with pytest.raises(ValueError, match="psf.txt' has an unsupported suffix"):
        psf.load(tmp_path / "psf.txt")
    flat = tmp_path / "flat.npy"
    np.save(flat, np.zeros((11, 11)))
    with pytest.raises(ValueError, match="flat.npy' has no signal above the background"):
        psf.load(flat)
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"not a tiff")
    with pytest.raises(OSError, match="broken.tif' could not be read"):
        psf.load(broken)
    with pytest.raises(ValueError,
                       match=r"background must be a finite number, 'auto' or None, got 'median'"):
        psf.load(flat, background="median")
    np.save(flat, np.full((11, 11), 7.0))
    with pytest.raises(ValueError, match="size must be odd"):
        psf.load(flat, background=0, size=4)


# --------------------------------------------------- normalize / center / as_psf


def test_center_moves_the_centroid_by_whole_pixels():
    a = np.zeros((10, 12))
    a[1:4, 7:10] = 1.0
    h = psf.center(a)
    assert h.shape == (9, 11)
    np.testing.assert_allclose(h[3:6, 4:7], 1 / 9)
    assert h.sum() == pytest.approx(1.0)


def test_normalize_and_as_psf_arrays():
    a = np.arange(9.0).reshape(3, 3)
    np.testing.assert_allclose(psf.normalize(a), a / 36)
    np.testing.assert_allclose(psf.as_psf(a.astype(np.float32), ndim=2), a / 36)
    assert psf.as_psf([1, 2, 1], ndim=1).dtype == np.float64
    with pytest.raises(ValueError, match="psf has 2 dimensions but ndim=3"):
        psf.as_psf(a, ndim=3)
    with pytest.raises(ValueError, match="psf contains NaN"):
        psf.as_psf(np.array([1.0, np.nan, 1.0]), ndim=1)
    with pytest.raises(ValueError, match="psf has negative values"):
        psf.normalize([1.0, -2.0, 1.0])
    with pytest.raises(ValueError, match="psf is all zero"):
        psf.as_psf(np.zeros((3, 3)), ndim=2)
    with pytest.raises(TypeError, match="psf must be an array or a spec string"):
        psf.as_psf(3, ndim=2)


def test_as_psf_spec_string():
    np.testing.assert_array_equal(psf.as_psf("gauss:2", ndim=3), psf.gaussian(2.0, ndim=3))


# -------------------------------------------------------------------- specs


@pytest.mark.parametrize(
    "spec, ndim, expected",
    [
        ("gauss:2", 2, lambda: psf.gaussian(2.0)),
        ("gauss:2", 3, lambda: psf.gaussian(2.0, ndim=3)),
        ("gauss:3,1.2,1.2", 3, lambda: psf.gaussian([3.0, 1.2, 1.2])),
        ("gaussian:sigma=1.5", 1, lambda: psf.gaussian(1.5, ndim=1)),
        (" GAUSS : 2 ", 2, lambda: psf.gaussian(2.0)),
        ("box:9", 2, lambda: psf.box(9)),
        ("box:5", 3, lambda: psf.box(5, ndim=3)),
        ("disk:4", 2, lambda: psf.disk(4.0)),
        ("disk:radius=2.5", 3, lambda: psf.disk(2.5, ndim=3)),
        ("motion:21,11", 2, lambda: psf.motion(21.0, 11.0)),
        ("motion:angle=11,length=21", 2, lambda: psf.motion(21.0, 11.0)),
        ("motion:21,angle=11", 2, lambda: psf.motion(21.0, 11.0)),
        ("airy:0.52,1.4,0.065", 2, lambda: psf.airy(0.52, 1.4, 0.065)),
        ("airy:wavelength=0.52,na=1.4,pixel=0.065", 2, lambda: psf.airy(0.52, 1.4, 0.065)),
        ("widefield:1.4,0.52,1.518,0.1,0.25", 3,
         lambda: psf.widefield(1.4, 0.52, 1.518, 0.1, 0.25)),
    ],
)
def test_from_spec_forms(spec, ndim, expected):
    h = psf.from_spec(spec, ndim=ndim)
    assert_contract(h, ndim)
    np.testing.assert_array_equal(h, expected())


def test_from_spec_file(tmp_path, noisy_bead):
    path = tmp_path / "bead.npy"
    np.save(path, noisy_bead)
    np.testing.assert_array_equal(psf.from_spec(str(path)), psf.load(path))
    np.testing.assert_array_equal(psf.from_spec(path), psf.load(path))
    with pytest.raises(ValueError, match="holds a 2-D PSF but ndim=3"):
        psf.from_spec(str(path), ndim=3)
    with pytest.raises(OSError, match="nope.tif' does not exist"):
        psf.from_spec(str(tmp_path / "nope.tif"))


@pytest.mark.parametrize(
    "spec, ndim, match",
    [
        ("gaus:2", 2, r"psf spec 'gaus:2' is not understood; accepted forms: gauss:SIGMA"),
        ("gauss:", 2, r"'gauss:' is not understood"),
        ("gauss", 2, r"'gauss' is not understood"),
        ("", 2, r"'' is not understood"),
        ("gauss:-1", 2, r"'gauss:-1' is invalid: sigma must be a finite non-negative number"),
        ("gauss:1,2", 3, r"'gauss:1,2' is invalid: sigma has 2 values but ndim=3"),
        ("gauss:nan", 2, r"'nan' is not a finite number"),
        ("gauss:2,,2", 2, r"an argument is empty"),
        ("motion:5", 2, r"'motion:5' is not understood: motion takes 2 values"),
        ("motion:5,1,2", 2, r"motion takes 2 values \(LENGTH,ANGLE\)"),
        ("motion:21,11", 3, r"'motion:21,11': the motion model is 2-D .* ndim=3"),
        ("motion:0,10", 2, r"length must be a finite positive number"),
        ("motion:length=3,speed=2", 2, r"'speed' is not a parameter of motion"),
        ("motion:3,length=3", 2, r"'length' is given twice"),
        ("box:abc", 2, r"'box:abc' is not understood: 'abc' is not a number"),
        ("box:8", 2, r"'box:8' is invalid: box size must be odd"),
        ("box:4.5", 2, r"box size must be an odd integer"),
        ("box:0", 2, r"box size must be odd and positive"),
        ("disk:0", 2, r"radius must be a finite positive number"),
        ("airy:0.52,1.4", 2, r"airy takes 3 values \(WAVELENGTH,NA,PIXEL\)"),
        ("airy:0.52,1.4,0.065", 3, r"the airy model is 2-D"),
        ("widefield:1.4", 2, r"'widefield:1.4': the widefield model is 3-D"),
        ("widefield:1.4", 3, r"widefield takes 5 values"),
        ("widefield:1.6,0.52,1.518,0.1,0.25", 3, r"na \(1.6\) must be smaller"),
        ("psf.txt", 2, r"not understood"),
    ],
)
def test_malformed_specs(spec, ndim, match):
    with pytest.raises(ValueError, match=match):
        psf.from_spec(spec, ndim=ndim)


def test_spec_error_lists_every_form():
    with pytest.raises(ValueError, match="psf spec 'gaus:2' is not understood") as info:
        psf.from_spec("gaus:2")
    for form in psf.SPEC_FORMS:
        assert form in str(info.value)


def test_from_spec_rejects_non_strings_and_bad_ndim():
    with pytest.raises(TypeError, match="psf spec must be a string"):
        psf.from_spec(3.0)
    with pytest.raises(ValueError, match="ndim must be a positive integer"):
        psf.from_spec("gauss:2", ndim=0)


def test_docstring_examples_run():
    """Every module of the package (testmod sees only what a module defines)."""
    attempted = failed = 0
    for info in pkgutil.iter_modules(psf.__path__, psf.__name__ + "."):
        result = doctest.testmod(importlib.import_module(info.name),
                                 optionflags=doctest.ELLIPSIS)
        attempted, failed = attempted + result.attempted, failed + result.failed
    assert attempted > 10 and failed == 0


@pytest.mark.parametrize("spec", ["box:5", "disk:4", "airy:0.52,1.4,0.065", "gauss:1.5"])
@pytest.mark.parametrize("suffix", [".tif", ".npy"])
def test_a_rendered_psf_reads_back_unchanged(spec, suffix, tmp_path):
    """What `restore psf` writes (float, normalised) is loaded as it is."""
    import tifffile

    rendered = psf.from_spec(spec)
    path = tmp_path / f"psf{suffix}"
    if suffix == ".tif":
        tifffile.imwrite(path, rendered.astype(np.float32))
    else:
        np.save(path, rendered)
    np.testing.assert_allclose(psf.load(path), rendered, atol=1e-6)


def test_a_flat_box_picture_keeps_its_border(tmp_path):
    import imageio.v3 as iio

    path = tmp_path / "box.png"
    iio.imwrite(path, np.full((5, 5), 200, np.uint8))
    np.testing.assert_allclose(psf.load(path), np.full((5, 5), 1 / 25))
