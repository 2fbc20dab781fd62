import os
import subprocess
import sys
import textwrap

import imageio.v3 as iio
import numpy as np
import pytest

from restore.comparison import compare, compare_observed, sweep
from restore.report import (
    _atomic_write,
    _detail_region,
    _display,
    _orthogonal_view,
    montage,
    sweep_plot,
    write_report,
)

FAST = {"richardson_lucy": {"iterations": 8}, "tv": {"iterations": 20},
        "wavelet": {"iterations": 10}}


@pytest.fixture(scope="module")
def crop(camera):
    return camera[16:112, 16:112]


@pytest.fixture(scope="module")
def comparison(crop):
    return compare(crop, "gauss:1.5", noise="poisson:peak=100", seed=0,
                   methods=["wiener", "tikhonov", "rl"], parameters=FAST)


def read_png(path):
    image = iio.imread(path)
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    return image


def assert_non_trivial_png(path):
    image = read_png(path)
    assert os.path.getsize(path) > 10_000
    assert min(image.shape[:2]) > 200
    assert image[..., :3].std() > 10  # not a blank canvas
    return image


def leftovers(folder):
    return [name for name in os.listdir(folder) if name.endswith(".tmp")]


# ----------------------------------------------------------------------------- report


def test_write_report_writes_tables_and_montage(comparison, tmp_path):
    out = tmp_path / "report" / "nested"
    paths = write_report(comparison, out)
    assert [p.name for p in paths] == ["table.md", "table.csv", "montage.png"]
    assert (out / "table.md").read_text(encoding="utf-8") == comparison.to_markdown()
    assert (out / "table.csv").read_text(encoding="utf-8") == comparison.to_csv()
    assert_non_trivial_png(out / "montage.png")
    assert leftovers(out) == []


def test_write_report_with_a_sweep(crop, comparison, tmp_path):
    result = sweep(crop, "gauss:1.5", noise_specs=["poisson:peak=10", "poisson:peak=100",
                                                    "poisson:peak=1000"],
                   methods=["wiener", "rl"], parameters=FAST)
    paths = write_report(comparison, tmp_path, sweep=result)
    assert [p.name for p in paths] == ["table.md", "table.csv", "montage.png", "sweep.png",
                                       "sweep.csv"]
    assert_non_trivial_png(tmp_path / "sweep.png")
    assert (tmp_path / "sweep.csv").read_text().startswith("noise,peak,observed,wiener,")
    # Rewriting replaces the files in place.
    write_report(comparison, tmp_path, sweep=result)
    assert leftovers(tmp_path) == []


def test_write_report_refuses_a_file_as_folder(comparison, tmp_path):
    target = tmp_path / "report"
    target.write_text("not a folder")
    with pytest.raises(NotADirectoryError, match="is not a folder"):
        write_report(comparison, target)


def test_an_interrupted_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "montage.png"
    target.write_bytes(b"old contents")

    def fail_halfway(handle):
        handle.write(b"half a PNG")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _atomic_write(target, fail_halfway)
    assert target.read_bytes() == b"old contents"
    assert leftovers(tmp_path) == []
    with pytest.raises(KeyboardInterrupt):
        _atomic_write(tmp_path / "new.png", fail_halfway)
    assert os.listdir(tmp_path) == ["montage.png"]


# ----------------------------------------------------------------------------- montage


def test_montage_of_a_2d_comparison(comparison, tmp_path):
    path = montage(comparison, tmp_path / "m.png")
    image = assert_non_trivial_png(path)
    # 5 panels (clean, observed, 3 methods) in one row of 4 and one of 1: wider than tall.
    assert image.shape[1] > image.shape[0]


def test_montage_with_a_chosen_inset_and_a_bad_one(comparison, tmp_path):
    assert_non_trivial_png(montage(comparison, tmp_path / "m.png",
                                   inset=(slice(10, 30), slice(50, 90))))
    with pytest.raises(ValueError, match="inset must be a tuple of 2 slices"):
        montage(comparison, tmp_path / "bad.png", inset=(slice(0, 10),))
    with pytest.raises(ValueError, match="at least 2 consecutive samples"):
        montage(comparison, tmp_path / "bad.png", inset=(slice(5, 5), slice(0, 10)))
    assert not (tmp_path / "bad.png").exists()


def test_montage_of_a_3d_volume(tmp_path):
    from scipy import ndimage

    rng = np.random.default_rng(1)
    volume = ndimage.gaussian_filter((rng.random((16, 48, 48)) > 0.97).astype(np.float32), 1.5)
    result = compare(volume / volume.max(), "gauss:1", noise="gaussian:snr=25", seed=0,
                     methods=["wiener", "rl"], parameters=FAST)
    assert_non_trivial_png(montage(result, tmp_path / "m3.png"))


def test_montage_of_a_1d_signal(tmp_path):
    x = np.linspace(0, 1, 300)
    signal = (np.sin(12 * x) > 0).astype(float) + 0.5
    result = compare(signal, "gauss:2", noise="gaussian:snr=30", seed=0,
                     methods=["wiener", "tikhonov"], tune="oracle")
    assert_non_trivial_png(montage(result, tmp_path / "m1.png"))
    assert_non_trivial_png(montage(result, tmp_path / "m1b.png", inset=slice(100, 150)))


def test_montage_of_a_colour_image(tmp_path):
    from skimage import data

    rgb = (data.astronaut()[::8, ::8] / 255.0).astype(np.float32)
    result = compare(rgb, "gauss:1", noise="gaussian:snr=25", seed=0, methods=["wiener"],
                     channel_axis=-1)
    image = assert_non_trivial_png(montage(result, tmp_path / "rgb.png"))
    colour = image[..., :3].astype(int)
    assert np.abs(colour[..., 0] - colour[..., 2]).max() > 50  # really in colour


def test_montage_without_ground_truth(comparison, tmp_path):
    result = compare_observed(comparison.observed, "gauss:1.5", methods=["wiener", "tikhonov"])
    assert_non_trivial_png(montage(result, tmp_path / "obs.png"))


def test_panels_share_the_clean_images_grey_scale():
    clean = np.array([[0.0, 0.5], [1.0, 0.25]])
    brighter = clean * 2 + 0.1
    shown_clean = _display(clean, False, 2, clean.min(), clean.max())
    shown_other = _display(brighter, False, 2, clean.min(), clean.max())
    np.testing.assert_allclose(shown_clean, clean)
    np.testing.assert_allclose(shown_other, np.clip(brighter, 0, 1))


def test_detail_region_is_the_busiest_window():
    image = np.zeros((120, 90))
    image[70:90, 10:25] = np.random.default_rng(0).random((20, 15))
    ry, rx = _detail_region(image)
    assert (ry.stop - ry.start, rx.stop - rx.start) == (20, 15)  # 1/6 of each side
    assert 60 <= ry.start and ry.stop <= 100 and 0 <= rx.start and rx.stop <= 35


def test_orthogonal_view_places_the_central_sections():
    z, y, x = np.meshgrid(np.arange(4), np.arange(6), np.arange(8), indexing="ij")
    volume = (100 * z + 10 * y + x).astype(float)
    view = _orthogonal_view(volume)
    gap = view.shape[0] - 6 - 4
    np.testing.assert_array_equal(view[:6, :8], volume[2])                     # xy at z = 2
    np.testing.assert_array_equal(view[6 + gap:, :8], volume[:, 3, :])         # xz at y = 3
    np.testing.assert_array_equal(view[:6, 8 + gap:], volume[:, :, 4].T)       # yz at x = 4
    assert np.isnan(view[6 + gap:, 8 + gap:]).all()


# ----------------------------------------------------------------------------- sweep


def test_sweep_plot_over_different_models(crop, tmp_path):
    result = sweep(crop[:48, :48], "gauss:1", noise_specs=["gaussian:snr=20", "poisson:peak=30"],
                   methods=["wiener"])
    assert_non_trivial_png(sweep_plot(result, tmp_path / "sweep.png"))


def test_drawing_leaves_pyplot_alone(tmp_path):
    """The report draws on Figure objects: pyplot is never imported, no backend is set."""
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        from restore.comparison import compare
        from restore.report import write_report
        clean = np.zeros((32, 32)); clean[8:24, 8:24] = 1
        write_report(compare(clean, "gauss:1", methods=["wiener"]), {str(tmp_path)!r})
        assert "matplotlib.pyplot" not in sys.modules, "pyplot was imported"
    """)
    subprocess.run([sys.executable, "-c", script], check=True)
    assert (tmp_path / "montage.png").exists()


def test_sparse_scenes_get_a_square_root_grey_scale():
    from restore.report import _is_sparse

    beads = np.zeros((16, 32, 32))
    beads[8, 10, 10] = beads[4, 20, 5] = 100.0
    assert _is_sparse(beads, 0.0, 100.0)
    ramp = np.linspace(0, 1, 32 * 32).reshape(32, 32)
    assert not _is_sparse(ramp, 0.0, 1.0)
