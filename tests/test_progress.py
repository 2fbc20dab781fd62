"""Tests for restore/progress.py: the status line of long steps."""

import io

import numpy as np

import restore


def _observed():
    rng = np.random.default_rng(0)
    scene = np.zeros((96, 96), np.float32)
    scene[20:70, 30:60] = 1.0
    return restore.blur(scene, "gauss:1.5") + 0.01 * rng.standard_normal((96, 96)).astype(
        np.float32)


def test_the_automatic_search_and_the_iterations_are_shown():
    """What sat at 'tv: 0it' for a minute now names the λ search and its round."""
    stream = io.StringIO()
    with restore.progress.show(stream, delay=0, interval=0.001):
        restore.tv(_observed(), "gauss:1.5")
    text = stream.getvalue()
    assert "tv › choosing lam 1/6 › iterations" in text
    assert text.endswith("\r")  # the line is cleared at the end


def test_a_closed_form_solver_shows_its_elapsed_time():
    stream = io.StringIO()
    with restore.progress.show(stream, delay=0, interval=0.001):
        restore.wiener(np.tile(_observed(), (8, 8)), "gauss:1.5")
    assert "wiener · 0 s" in stream.getvalue()


def test_quick_steps_draw_nothing():
    stream = io.StringIO()
    with restore.progress.show(stream, delay=5.0, interval=0.001):
        restore.wiener(_observed(), "gauss:1.5", snr=30)
    assert stream.getvalue() == ""


def test_without_a_display_steps_cost_nothing_and_draw_nothing(capsys):
    with restore.progress.step("anything", total=3) as advance:
        advance()
    assert capsys.readouterr() == ("", "")


def test_comparison_and_info_display_in_a_notebook():
    from skimage import data

    comparison = restore.compare(data.camera()[::8, ::8] / 255.0, "gauss:1",
                                 methods="wiener,tikhonov")
    text = repr(comparison)
    assert text.startswith("<Comparison of 2 solvers.") and "array(" not in text
    assert len(text) < 400
    html = comparison._repr_html_()
    assert html.count("<tr>") == 3 and "wiener" in html and "PSNR (dB)" in html
    assert comparison._repr_markdown_() == comparison.to_markdown()
    _, info = restore.wiener(comparison.observed, "gauss:1", return_info=True)
    html = info._repr_html_()
    assert "restore.wiener" in html and "spectrum_exponent" in html
