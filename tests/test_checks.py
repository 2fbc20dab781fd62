"""The shared glue: argument checks (restore._checks), colour channels
(restore._channels) and parameter text (restore._display)."""

import doctest
import importlib
import re

import numpy as np
import pytest

import restore
from restore import metrics, noise
from restore._channels import channels, per_channel
from restore._checks import (
    ArgumentTypeError,
    as_array,
    check_channel_axis,
    check_finite,
    check_flag,
    check_image,
    check_integer,
    check_number,
    check_psf_fits,
)
from restore._display import format_parameters, format_value
from restore.comparison import compare

# --------------------------------------------------------------------------- #
# numbers
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("value", [2, 2.5, -3.0, 0, np.float32(0.25), np.int64(7),
                                   np.array(1.5), np.uint8(200)])
def test_check_number_passes_real_numbers_through_as_floats(value):
    number = check_number("x", value)
    assert type(number) is float and number == float(value)


@pytest.mark.parametrize("words,value", [(("auto",), "auto"), ((None,), None),
                                         (("auto", None), None), (("auto", None), "auto")])
def test_check_number_passes_its_words_through_unchanged(words, value):
    assert check_number("lam", value, bound="positive", words=words) is value


@pytest.mark.parametrize("value,bound,words,expected", [
    (-1, "positive", ("auto",), "a finite positive number or 'auto'"),
    (0, "positive", (), "a finite positive number"),
    (0.0, "positive", (None,), "a finite positive number or None"),
    (-0.5, "non-negative", (), "a finite non-negative number"),
    (float("nan"), None, (), "a finite number"),
    (float("inf"), "non-negative", (), "a finite non-negative number"),
    ("0.5", "positive", (), "a finite positive number"),
    ("gcv", "positive", ("auto",), "a finite positive number or 'auto'"),
    ("AUTO", None, ("auto",), "a finite number or 'auto'"),
    (True, None, (), "a finite number"),
    (None, "positive", ("auto",), "a finite positive number or 'auto'"),
    ([1.0], None, (), "a finite number"),
    (np.array([1.0, 2.0]), None, (), "a finite number"),
    ("x", None, ("auto", None), "a finite number, 'auto' or None"),
])
def test_check_number_refuses_with_one_sentence_naming_the_argument(value, bound, words,
                                                                    expected):
    message = f"my_arg must be {expected}, got {value!r}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_number("my_arg", value, bound=bound, words=words)


def test_check_number_bounds_at_zero():
    assert check_number("x", 0, bound="non-negative") == 0.0
    assert check_number("x", 1e-300, bound="positive") == 1e-300
    with pytest.raises(ValueError, match="x must be a finite positive number, got 0"):
        check_number("x", 0, bound="positive")


# --------------------------------------------------------------------------- #
# integers and flags
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("value", [1, 30, np.int32(5), np.uint16(2)])
def test_check_integer_passes_whole_numbers_through_as_ints(value):
    integer = check_integer("iterations", value)
    assert type(integer) is int and integer == value


def test_check_integer_passes_its_words_through_unchanged():
    assert check_integer("iterations", "auto", words=("auto",)) == "auto"
    assert check_integer("levels", 0, minimum=0) == 0


@pytest.mark.parametrize("value", [0, -2, 1.0, 2.5, True, "3", None, np.float64(3)])
def test_check_integer_refuses_naming_the_argument(value):
    message = f"iterations must be a positive integer or 'auto', got {value!r}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_integer("iterations", value, words=("auto",))


def test_check_integer_says_its_minimum():
    with pytest.raises(ValueError, match="^n must be a non-negative integer, got -1$"):
        check_integer("n", -1, minimum=0)
    with pytest.raises(ValueError, match="^n must be an integer >= 3, got 2$"):
        check_integer("n", 2, minimum=3)


@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_check_flag_passes_bools_through(value):
    flag = check_flag("accelerate", value)
    assert type(flag) is bool and flag == bool(value)


@pytest.mark.parametrize("value", ["no", 1, 0, None, "True"])
def test_check_flag_refuses_non_bools_naming_the_argument(value):
    with pytest.raises(TypeError,
                       match=f"^accelerate must be True or False, got {re.escape(repr(value))}$"):
        check_flag("accelerate", value)


# --------------------------------------------------------------------------- #
# channel axes
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("axis,expected", [(None, None), (0, 0), (2, 2), (-1, 2), (-3, 0),
                                           (np.int64(-2), 1)])
def test_check_channel_axis_normalises_valid_axes(axis, expected):
    assert check_channel_axis(axis, (4, 5, 3)) == expected


@pytest.mark.parametrize("axis", [3, -4, 10])
def test_check_channel_axis_out_of_range_is_a_value_error_naming_the_array(axis):
    with pytest.raises(ValueError) as error:
        check_channel_axis(axis, (4, 5, 3), "clean")
    assert not isinstance(error.value, TypeError)
    assert str(error.value) == (f"channel_axis must be None or an integer in [-3, 2] (an axis "
                                f"of clean with shape (4, 5, 3)), got {axis!r}")


@pytest.mark.parametrize("axis", [1.5, True, "-1", [0]])
def test_check_channel_axis_of_the_wrong_kind_is_both_error_types(axis):
    """Solvers raised TypeError here, comparison and noise ValueError: both still hold."""
    with pytest.raises(ArgumentTypeError, match="^channel_axis must be None or an integer"):
        check_channel_axis(axis, (4, 5, 3))
    assert issubclass(ArgumentTypeError, TypeError) and issubclass(ArgumentTypeError, ValueError)


@pytest.mark.parametrize("call,name", [
    (lambda a, axis: restore.wiener(a, "gauss:1", channel_axis=axis), "image"),
    (lambda a, axis: noise.estimate_sigma(a, channel_axis=axis), "image"),
    (lambda a, axis: metrics.ssim(a, a, channel_axis=axis), "truth"),
    (lambda a, axis: compare(a, "gauss:1", methods="wiener", channel_axis=axis), "clean"),
])
@pytest.mark.parametrize("axis,error", [(3, ValueError), (1.5, TypeError), (1.5, ValueError)])
def test_every_channel_axis_is_checked_the_one_way(call, name, axis, error):
    image = np.random.default_rng(0).random((16, 16, 3))
    with pytest.raises(error, match=re.escape(f"an axis of {name} with shape (16, 16, 3)), "
                                              f"got {axis!r}")):
        call(image, axis)


# --------------------------------------------------------------------------- #
# image arrays
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int16, np.float32, np.float64])
def test_check_image_passes_arrays_through_unchanged(dtype):
    image = (np.arange(12).reshape(3, 4) % 2).astype(dtype)
    checked = check_image(image, "image")
    assert checked is image  # not copied, not converted
    assert as_array(image) is image


def test_check_image_takes_nested_lists_as_arrays():
    checked = check_image([[1, 2], [3, 4]], "clean")
    assert isinstance(checked, np.ndarray) and checked.tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("value,message", [
    (None, "clean must be an array of real numbers, got NoneType"),
    ("cat.png", "clean must be an array of real numbers, got str"),
    (np.ones(3, complex), "clean must be an array of real numbers, got dtype complex128"),
    (np.array(["a", "b"]), "clean must be an array of real numbers, got dtype <U1"),
    (np.array([1, None], dtype=object), "clean must be an array of real numbers, got dtype object"),
    ([[1, 2], [3]], "clean must be an array of real numbers, got list ("),
])
def test_check_image_refuses_what_is_not_an_array_of_real_numbers(value, message):
    with pytest.raises(ArgumentTypeError, match="^" + re.escape(message)):
        check_image(value, "clean")


@pytest.mark.parametrize("shape", [(0,), (4, 0), ()])
def test_check_image_refuses_empty_arrays(shape):
    with pytest.raises(ValueError, match=re.escape(f"psf must be a non-empty array, got shape "
                                                   f"{shape}")):
        check_image(np.zeros(shape), "psf")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_check_image_refuses_nan_and_inf_unless_told(bad):
    image = np.ones((4, 4))
    image[1, 2] = bad
    with pytest.raises(ValueError, match="^observed contains NaN or Inf values; replace them"):
        check_image(image, "observed")
    with pytest.raises(ValueError, match="^'a.tif' contains NaN or Inf values"):
        check_finite(image, "'a.tif'")
    assert check_image(image, "observed", finite=False) is image


def test_check_psf_fits():
    check_psf_fits((5, 5), (5, 9))
    with pytest.raises(ValueError, match=re.escape("psf of shape (7, 5) is larger than the "
                                                   "image (5, 9)")):
        check_psf_fits((7, 5), (5, 9))


@pytest.mark.parametrize("call,name", [
    (lambda a: restore.wiener(a, "gauss:1"), "image"),
    (lambda a: noise.poisson(a, peak=10), "image"),
    (lambda a: noise.estimate_sigma(a), "image"),
    (lambda a: noise.estimate_poisson_gaussian(a), "image"),
    (lambda a: restore.psf.as_psf(a, ndim=2), "psf"),
    (lambda a: compare(a, "gauss:1", methods="wiener"), "clean"),
])
def test_every_image_argument_is_checked_the_one_way(call, name):
    nan = np.ones((16, 16))
    nan[3, 3] = np.nan
    with pytest.raises(ValueError, match=f"^{name} contains NaN or Inf values"):
        call(nan)
    with pytest.raises(TypeError, match=f"^{name} must be an array of real numbers, got dtype "
                                        "complex128"):
        call(np.ones((16, 16), complex))


# --------------------------------------------------------------------------- #
# colour channels
# --------------------------------------------------------------------------- #


def _per_channel_by_hand(func, image, axis):
    """The loop every module used to write: one channel at a time, stacked."""
    results = [func(np.take(image, c, axis=axis)) for c in range(image.shape[axis])]
    return np.stack(results, axis=axis % image.ndim)


@pytest.mark.parametrize("shape,axis", [((6, 7, 3), -1), ((6, 7, 3), 2), ((3, 6, 7), 0),
                                        ((6, 2, 7), 1), ((4, 5, 6, 2), -1), ((9, 4), 0)])
def test_per_channel_equals_a_loop_over_channels(shape, axis):
    image = np.random.default_rng(1).random(shape)

    def func(channel):  # depends on the channel's axis order and values
        return np.cumsum(channel, axis=0) * np.arange(1, channel.shape[-1] + 1)

    result = per_channel(func, image, axis)
    expected = _per_channel_by_hand(func, image, axis)
    assert result.shape == expected.shape
    np.testing.assert_array_equal(result, expected)


def test_per_channel_without_a_channel_axis_calls_func_once_on_the_whole_image():
    image = np.arange(12.0).reshape(3, 4)
    seen = []
    result = per_channel(lambda x: seen.append(x.shape) or x + 1, image, None)
    assert seen == [(3, 4)]
    np.testing.assert_array_equal(result, image + 1)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_channels_are_the_views_np_take_gives(axis):
    image = np.random.default_rng(2).random((5, 4, 3))
    parts = channels(image, axis)
    assert len(parts) == image.shape[axis]
    for c, part in enumerate(parts):
        np.testing.assert_array_equal(part, np.take(image, c, axis=axis))
        assert np.shares_memory(part, image)  # views, not copies
    assert channels(image, None)[0] is image


def test_per_channel_checks_the_axis_with_the_image_name():
    with pytest.raises(ValueError, match=re.escape("an axis of observed with shape (4, 4)), "
                                                   "got 2")):
        per_channel(lambda x: x, np.zeros((4, 4)), 2, name="observed")


def test_solvers_restore_each_channel_on_its_own():
    """run_solver through per_channel: the channels of a colour image are restored
    exactly as the same grey images are, and per-channel choices are listed."""
    clean = restore.blur(np.random.default_rng(3).random((32, 32)), restore.psf.gaussian(1.0))
    grey = [noise.gaussian(clean, sigma=sigma, seed=0) for sigma in (0.01, 0.03, 0.1)]
    rgb = np.stack(grey, axis=1)
    x, info = restore.wiener(rgb, "gauss:1", channel_axis=1, return_info=True)
    assert len(set(info.parameters["sigma"])) == 3
    for c, f in enumerate(grey):
        xc, info_c = restore.wiener(f, "gauss:1", return_info=True)
        np.testing.assert_array_equal(x[:, c, :], xc)
        assert info.parameters["sigma"][c] == info_c.parameters["sigma"]
        assert info.parameters["boundary"] == info_c.parameters["boundary"]  # one value
    assert x.flags.c_contiguous and x.shape == rgb.shape


# --------------------------------------------------------------------------- #
# parameter text
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("value,text,exact", [
    (0.0123456, "0.01235", "0.0123456"),
    (3, "3", "3"),
    (2.0, "2", "2.0"),
    ("reflect", "reflect", "reflect"),
    (None, "None", ""),
    (True, "True", "True"),
    ([0.5, 1 / 3], "[0.5, 0.3333]", "[0.5 0.3333333333333333]"),
    ((1, "a"), "[1, a]", "[1 a]"),
    (np.float64(1 / 3), "0.3333", "0.3333333333333333"),
    (np.float32(0.25), "0.25", "0.25"),
])
def test_format_value(value, text, exact):
    assert format_value(value) == text
    assert format_value(value, exact=True) == exact


def test_format_parameters_keeps_the_order_and_joins_the_pairs():
    parameters = {"lam": 0.0123456, "boundary": "reflect", "sigma": [0.1, 0.2]}
    assert format_parameters(parameters) == "lam=0.01235, boundary=reflect, sigma=[0.1, 0.2]"
    assert format_parameters(parameters, exact=True) == \
        "lam=0.0123456; boundary=reflect; sigma=[0.1 0.2]"
    assert format_parameters({}) == ""


def test_every_summary_writes_parameters_the_one_way():
    """RestoreInfo.summary, the comparison table and batch's line share the text."""
    from restore.stacks.batch import _describe_parameters

    f = restore.blur(np.random.default_rng(4).random((32, 32)), restore.psf.gaussian(1.0))
    _, info = restore.tikhonov(f, "gauss:1", return_info=True)
    text = format_parameters(info.parameters)
    assert f"tikhonov ({text})" in info.summary()
    comparison = compare(f, "gauss:1", methods="tikhonov", noise="none")
    used = comparison.rows[0].parameters
    assert f"| {format_parameters(used)} |" in comparison.to_markdown()
    assert format_parameters(used, exact=True) in comparison.to_csv()
    described = {k: v for k, v in info.parameters.items() if k != "boundary"}
    assert _describe_parameters([info.parameters]) == format_parameters(described)


def _modules():
    import pkgutil

    import restore

    return sorted(info.name for info in pkgutil.walk_packages(restore.__path__, "restore."))


@pytest.mark.parametrize("module", _modules())
def test_docstring_examples_run(module):
    """Every module's examples run and pass (testmod sees only what a module
    defines); a module whose source holds examples has them found."""
    import inspect

    imported = importlib.import_module(module)
    result = doctest.testmod(imported, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if ">>> " in inspect.getsource(imported):
        assert result.attempted > 0
