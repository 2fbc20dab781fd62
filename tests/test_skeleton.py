"""The contracts the solvers share: one forward model, one iterative skeleton,
one meaning per parameter, results of their own."""

import ast
import pathlib

import numpy as np
import pytest
from click.testing import CliRunner

import restore
from restore.cli import cli
from restore.solvers import BOUNDARIES, COMMON_BOUNDARIES, MAX_ITERATIONS
from test_solvers import observe

SOLVERS_DIR = pathlib.Path(restore.__file__).parent / "solvers"
ITERATIVE = ("richardson_lucy", "tv", "wavelet")
FAST = {"richardson_lucy": {"iterations": 10}, "tv": {"lam": 1e-3, "iterations": 10},
        "wavelet": {"lam": 3e-3, "iterations": 10}}


@pytest.fixture(scope="module")
def case():
    from skimage import data

    truth = (data.camera()[::4, ::4] / 255.0).astype(np.float32)
    return observe(truth, restore.psf.gaussian(1.5))


def test_no_solver_module_calls_an_fft():
    """The FFT is reached only through the operator (Blur / WorkDomain)."""
    offenders = []
    for path in SOLVERS_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            name = (node.attr if isinstance(node, ast.Attribute)
                    else node.id if isinstance(node, ast.Name)
                    else None)
            if name and ("fft" in name.lower()):
                offenders.append(f"{path.name}:{node.lineno} {name}")
            if isinstance(node, ast.ImportFrom) and node.module and "fft" in node.module:
                offenders.append(f"{path.name}:{node.lineno} import {node.module}")
    assert not offenders, offenders


@pytest.mark.parametrize("name", sorted(restore.SOLVERS))
def test_results_are_arrays_of_their_own(name, case):
    """No solver hands back a view into its padded work grid."""
    _, f = case
    x = restore.SOLVERS[name](f, "gauss:1.5", **FAST.get(name, {}))
    assert x.base is None and x.flags.c_contiguous and x.shape == f.shape


@pytest.mark.parametrize("name", ITERATIVE)
def test_history_has_one_record_per_iteration(name, case):
    _, f = case
    options = {**FAST[name], "iterations": 20}  # the change is measured every 10th or 20th
    x, info = restore.SOLVERS[name](f, "gauss:1.5", return_info=True, **options)
    assert [r["iteration"] for r in info.history] == list(range(1, info.iterations + 1))
    changes = [r["change"] for r in info.history if r["change"] is not None]
    assert changes, "no relative change recorded"
    assert all(c >= 0 for c in changes)


def test_richardson_lucy_history_holds_the_misfit_it_stopped_on(case):
    _, f = case
    _, info = restore.richardson_lucy(f + 0.1, "gauss:1.5", return_info=True)
    assert info.stop_reason == "discrepancy"
    misfits = [r["misfit"] for r in info.history]
    assert misfits[-1] < misfits[0]  # the misfit falls from far above the noise
    assert min(misfits) <= info.parameters["sigma"] ** 2


@pytest.mark.parametrize("name", ITERATIVE)
def test_tol_is_honoured_at_a_fixed_iteration_count(name, case):
    """tol is the relative change of the estimate, in every iterative solver,
    whether or not the iteration count is automatic."""
    _, f = case
    options = {**FAST[name], "iterations": 150, "tol": 2e-2}
    image = f + 0.1 if name == "richardson_lucy" else f
    _, info = restore.SOLVERS[name](image, "gauss:1.5", return_info=True, **options)
    assert info.stop_reason == "tol" and info.iterations < 150
    last = [r["change"] for r in info.history if r["change"] is not None][-1]
    assert last < 2e-2


@pytest.mark.parametrize("name, options", [("tv", {"iterations": 20}),
                                           ("wavelet", {"iterations": 10})])
def test_lam_is_the_objectives_weight(name, options, case):
    """λ scales with the image: twice the image with twice λ is twice the result.
    A weight relative to σ̂ would be scale-free instead (and fail this)."""
    _, f = case
    solver = restore.SOLVERS[name]
    once = solver(f, "gauss:1.5", lam=2e-3, boundary="reflect", **options)
    twice = solver(2 * f, "gauss:1.5", lam=4e-3, boundary="reflect", **options)
    np.testing.assert_allclose(twice, 2 * once, rtol=1e-3, atol=1e-4 * float(once.max()))
    relative = solver(2 * f, "gauss:1.5", lam=2e-3, boundary="reflect", **options)
    assert np.abs(relative - twice).max() > 1e-3 * float(twice.max())


def test_automatic_choices_say_auto_and_name_their_method(case):
    _, f = case
    methods = {
        "tikhonov": ("lam_method", "gcv"),
        "inverse": ("threshold_method", "gcv"),
        "tv": ("lam_method", "discrepancy x 0.4"),
        "wavelet": ("lam_method", "discrepancy x 0.5"),
    }
    for name, (key, value) in methods.items():
        options = {"iterations": 10} if name in ITERATIVE else {}
        _, info = restore.SOLVERS[name](f, "gauss:1.5", return_info=True, **options)
        assert info.parameters[key] == value, name
    with pytest.raises(ValueError, match="lam must be"):
        restore.tikhonov(f, "gauss:1.5", lam="gcv")


def _choices(command, option):
    params = {p.name: p for p in cli.commands[command].params}
    return tuple(params[option].type.choices)


def test_the_cli_reads_the_solvers_boundaries_and_caps():
    for command, solver in (("inverse", "inverse"), ("wiener", "wiener"),
                            ("tikhonov", "tikhonov"), ("rl", "richardson_lucy"),
                            ("tv", "tv"), ("wavelet", "wavelet")):
        assert _choices(command, "boundary") == BOUNDARIES[solver]
    assert _choices("compare", "boundary") == COMMON_BOUNDARIES
    assert set(COMMON_BOUNDARIES) == {"auto", "reflect", "smooth", "periodic"}
    assert _choices("simulate", "boundary") == restore.operators.FORWARD_BOUNDARIES
    for command, solver in (("rl", "richardson_lucy"), ("tv", "tv"), ("wavelet", "wavelet")):
        text = CliRunner().invoke(cli, [command, "--help"], terminal_width=200).output
        assert f"at most {MAX_ITERATIONS[solver]})" in text, command


def test_every_boundary_name_is_defined_once():
    """Each solver's list, the forward model's and compare's are drawn from
    BOUNDARY_MODES (plus "auto")."""
    modes = set(restore.operators.BOUNDARY_MODES)
    for accepted in BOUNDARIES.values():
        assert set(accepted) - {"auto"} <= modes
    assert set(restore.operators.FORWARD_BOUNDARIES) <= modes
