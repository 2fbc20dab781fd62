"""The shared glue: parameter text (restore._display)."""

import doctest
import importlib

import numpy as np
import pytest

import restore
from restore._display import format_parameters, format_value
from restore.comparison import compare

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


@pytest.mark.parametrize("module", ["restore._display"])
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
