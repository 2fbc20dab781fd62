"""Tests for restore/io.py: reading and writing images without losing a file."""

import os
import re
import struct
import zlib

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile

from restore import io as image_io
from restore.io import (
    ClippingWarning,
    ImageMeta,
    check_output,
    convert,
    default_output,
    read_image,
    write_image,
)


def _ramp(shape, dtype):
    """A deterministic image that uses much of `dtype`'s range."""
    values = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    if np.dtype(dtype).kind == "f":
        return (values / values.max() * 3.5 - 1.0).astype(dtype)
    top = np.iinfo(dtype).max
    return (values * 7919 % (top + 1)).astype(dtype)


def _write_with(suffix, path, array):
    """Write `array` with the format's own library (independent of restore.io)."""
    if suffix == ".npy":
        np.save(path, array)
    elif suffix in (".tif", ".tiff"):
        tifffile.imwrite(path, array)
    else:
        iio.imwrite(path, array)


def _png16(path, array):
    """A 16-bit colour PNG, written by hand (Pillow cannot write one)."""
    h, w, c = array.shape
    raw = b"".join(b"\x00" + array[i].astype(">u2").tobytes() for i in range(h))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", w, h, 16, {3: 2, 4: 6}[c], 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("suffix, dtype", [
    (".png", np.uint8), (".png", np.uint16),
    (".tif", np.uint8), (".tif", np.uint16), (".tif", np.float32), (".tiff", np.float64),
    (".npy", np.uint8), (".npy", np.uint16), (".npy", np.float32),
])
def test_grey_round_trip_keeps_values_and_dtype(tmp_path, suffix, dtype):
    original = _ramp((24, 32), dtype)
    source = tmp_path / f"in{suffix}"
    _write_with(suffix, source, original)
    image, meta = read_image(source)
    assert image.dtype == np.dtype(dtype)
    assert meta.dtype == np.dtype(dtype)
    assert meta.channel_axis is None and meta.spatial_ndim == 2
    np.testing.assert_array_equal(image, original)

    out = write_image(tmp_path / f"out{suffix}", image.astype(np.float32), meta)
    again, _ = read_image(out)
    assert again.dtype == np.dtype(dtype)
    np.testing.assert_allclose(again, original, rtol=1e-6)


def test_jpeg_reads_as_uint8_and_writes_back_closely(tmp_path):
    original = np.tile(np.linspace(0, 255, 64), (48, 1)).astype(np.uint8)
    iio.imwrite(tmp_path / "in.jpg", original, quality=100)
    image, meta = read_image(tmp_path / "in.jpg")
    assert image.dtype == np.uint8 and meta.format == "jpeg"
    out = write_image(tmp_path / "out.jpeg", image, meta)
    again, _ = read_image(out)
    assert np.abs(again.astype(int) - original).max() <= 4  # lossy, quality 95


def test_integer_output_is_rounded_and_clipped_not_rescaled(tmp_path):
    np.save(tmp_path / "in.npy", np.zeros(5, np.uint8))
    _, meta = read_image(tmp_path / "in.npy")
    with pytest.warns(ClippingWarning, match=r"2 of 5 values \(40%\) fell outside uint8's "
                                             r"range 0\.\.255 and were clipped"):
        out = write_image(tmp_path / "out.npy", [-3.0, 0.49, 0.51, 254.6, 1e6], meta)
    np.testing.assert_array_equal(np.load(out), np.array([0, 0, 1, 255, 255], np.uint8))


def test_values_inside_the_range_are_written_without_a_warning(tmp_path, recwarn):
    np.save(tmp_path / "in.npy", np.zeros(4, np.uint8))
    _, meta = read_image(tmp_path / "in.npy")
    write_image(tmp_path / "out.npy", [0.0, 12.4, 254.6, 255.4], meta)
    assert not [w for w in recwarn if issubclass(w.category, ClippingWarning)]


def test_rescale_input_maps_a_16_bit_range_onto_8_bits(tmp_path):
    grey16 = np.array([[0, 257, 32768, 65535]], np.uint16)
    tifffile.imwrite(tmp_path / "in.tif", grey16)
    image, meta = read_image(tmp_path / "in.tif")
    out = write_image(tmp_path / "out.jpg", np.repeat(image, 4, axis=0).astype(float), meta,
                      dtype="uint8", rescale="input")
    np.testing.assert_allclose(iio.imread(out)[1], [0, 1, 128, 255], atol=2)  # JPEG: lossy


def test_rescale_input_maps_a_float_image_in_0_1_onto_0_255(tmp_path):
    values = np.linspace(0, 1, 16, dtype=np.float32).reshape(4, 4)
    tifffile.imwrite(tmp_path / "in.tif", values)
    image, meta = read_image(tmp_path / "in.tif")
    out = write_image(tmp_path / "out.png", image, meta, dtype="uint8", rescale="input")
    np.testing.assert_array_equal(iio.imread(out), np.rint(values * 255).astype(np.uint8))


def test_rescale_input_maps_float_counts_by_their_own_range(tmp_path):
    values = np.array([[100.0, 300.0], [520.0, 900.0]], np.float32)
    tifffile.imwrite(tmp_path / "in.tif", values)
    image, meta = read_image(tmp_path / "in.tif")
    data, clipped = convert(image, "uint8", rescale="input", meta=meta)
    np.testing.assert_array_equal(data, np.rint((values - 100) / 800 * 255))
    assert clipped == 0


def test_rescale_result_stretches_without_clipping():
    data, clipped = convert(np.array([-2.0, 0.0, 6.0]), "uint16", rescale="result")
    assert data.tolist() == [0, 16384, 65535] and clipped == 0


def test_rescale_of_a_float_output_is_refused(tmp_path):
    np.save(tmp_path / "in.npy", np.zeros(3, np.float32))
    _, meta = read_image(tmp_path / "in.npy")
    with pytest.raises(ValueError, match="leave out --rescale"):
        write_image(tmp_path / "out.npy", np.zeros(3), meta, rescale="input")
    assert not (tmp_path / "out.npy").exists()


def test_four_axis_array_is_refused_naming_its_shape(tmp_path):
    np.save(tmp_path / "hyper.npy", np.zeros((2, 3, 8, 8), np.float32))
    with pytest.raises(ValueError, match=r"holds a 4-D array \(shape \(2, 3, 8, 8\)"):
        read_image(tmp_path / "hyper.npy")


@pytest.mark.parametrize("source, suffix, advice", [
    (np.zeros((4, 4), np.uint16), ".jpg", "--dtype uint8 --rescale input for a picture "
                                          "(maps 0..65535 onto 0..255)"),
    (np.zeros((4, 4), np.float32), ".png", "--dtype uint16 --rescale input for a picture"),
])
def test_refusal_suggests_a_conversion_that_gives_a_picture(tmp_path, source, suffix, advice):
    np.save(tmp_path / "in.npy", source)
    image, meta = read_image(tmp_path / "in.npy")
    with pytest.raises(ValueError, match=re.escape(advice)) as error:
        write_image(tmp_path / f"out{suffix}", image, meta)
    assert "--dtype float32" not in str(error.value)  # never given, so never blamed


def test_float32_output_on_request(tmp_path):
    np.save(tmp_path / "in.npy", np.zeros((4, 4), np.uint16))
    image, meta = read_image(tmp_path / "in.npy")
    values = np.full((4, 4), 2.75, np.float64)
    out = write_image(tmp_path / "out.tif", values, meta, dtype="float32")
    stored = tifffile.imread(out)
    assert stored.dtype == np.float32
    np.testing.assert_array_equal(stored, 2.75)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_float_output_refused_for_png_and_jpeg(tmp_path, suffix):
    np.save(tmp_path / "in.npy", np.zeros((4, 4), np.uint8))
    image, meta = read_image(tmp_path / "in.npy")
    with pytest.raises(ValueError, match=r"not float32 \(--dtype float32\); write a \.tif "
                                         r"or \.npy file to keep the values, or leave out "
                                         r"--dtype to write the input's uint8"):
        write_image(tmp_path / f"out{suffix}", image, meta, dtype="float32")
    assert not (tmp_path / f"out{suffix}").exists()


def test_multipage_tiff_is_a_3d_stack_with_z_first(tmp_path):
    stack = _ramp((5, 16, 20), np.uint16)
    tifffile.imwrite(tmp_path / "stack.tif", stack, photometric="minisblack")  # a page per plane
    image, meta = read_image(tmp_path / "stack.tif")
    assert image.shape == (5, 16, 20)
    assert meta.axes == "ZYX" and meta.pages == 5 and meta.spatial_ndim == 3
    np.testing.assert_array_equal(image, stack)
    out = write_image(tmp_path / "out.tif", image, meta)
    with tifffile.TiffFile(out) as tif:
        assert len(tif.pages) == 5
    np.testing.assert_array_equal(tifffile.imread(out), stack)


def test_stack_refused_for_png(tmp_path):
    tifffile.imwrite(tmp_path / "stack.tif", np.zeros((3, 8, 8), np.uint8),
                     photometric="minisblack")
    image, meta = read_image(tmp_path / "stack.tif")
    with pytest.raises(ValueError, match="one 2-D grey or RGB image"):
        write_image(tmp_path / "out.png", image, meta)


def test_rgb_png_has_a_channel_axis(tmp_path):
    rgb = _ramp((16, 20, 3), np.uint8)
    iio.imwrite(tmp_path / "rgb.png", rgb)
    image, meta = read_image(tmp_path / "rgb.png")
    assert image.shape == (16, 20, 3)
    assert meta.channel_axis == -1 and meta.is_colour and meta.spatial_ndim == 2
    out = write_image(tmp_path / "out.png", image, meta)
    np.testing.assert_array_equal(iio.imread(out), rgb)


def test_rgb_tiff_has_a_channel_axis(tmp_path):
    rgb = _ramp((16, 20, 3), np.uint16)
    tifffile.imwrite(tmp_path / "rgb.tif", rgb, photometric="rgb")
    image, meta = read_image(tmp_path / "rgb.tif")
    assert meta.channel_axis == -1 and meta.spatial_ndim == 2
    out = write_image(tmp_path / "out.tif", image, meta)
    with tifffile.TiffFile(out) as tif:
        assert tif.series[0].axes == "YXS"
    np.testing.assert_array_equal(tifffile.imread(out), rgb)


def test_alpha_is_kept_aside_and_written_back(tmp_path):
    rgba = _ramp((16, 20, 4), np.uint8)
    iio.imwrite(tmp_path / "rgba.png", rgba)
    image, meta = read_image(tmp_path / "rgba.png")
    assert image.shape == (16, 20, 3)  # alpha is not restored
    np.testing.assert_array_equal(meta.alpha, rgba[..., 3])
    out = write_image(tmp_path / "out.png", image, meta)
    np.testing.assert_array_equal(iio.imread(out), rgba)
    tif = write_image(tmp_path / "out.tif", image, meta)
    np.testing.assert_array_equal(tifffile.imread(tif), rgba)


def test_grey_with_alpha_is_grey(tmp_path):
    la = _ramp((16, 20, 2), np.uint8)
    iio.imwrite(tmp_path / "la.png", la)
    image, meta = read_image(tmp_path / "la.png")
    assert image.shape == (16, 20) and meta.channel_axis is None
    out = write_image(tmp_path / "out.png", image, meta)
    np.testing.assert_array_equal(iio.imread(out), la)


def test_npy_with_three_trailing_entries_is_colour(tmp_path):
    np.save(tmp_path / "rgb.npy", np.zeros((32, 32, 3), np.float32))
    np.save(tmp_path / "stack.npy", np.zeros((3, 32, 32), np.float32))
    assert read_image(tmp_path / "rgb.npy")[1].channel_axis == -1
    assert read_image(tmp_path / "stack.npy")[1].channel_axis is None


def test_16bit_colour_png_is_refused_rather_than_reduced(tmp_path):
    _png16(tmp_path / "rgb16.png", _ramp((8, 8, 3), np.uint16))
    with pytest.raises(ValueError, match="16-bit colour PNG.*16-bit TIFF"):
        read_image(tmp_path / "rgb16.png")


# --------------------------------------------------------------------- refusals


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="input file '.*nothing.png' does not exist"):
        read_image(tmp_path / "nothing.png")


@pytest.mark.parametrize("name, content, message", [
    ("notes.txt", b"hello", r"not an image file restore can read \(suffix '.txt'\)"),
    ("fake.png", b"hello", "is not a readable PNG image"),
    ("fake.jpg", b"hello", "is not a readable JPEG image"),
    ("fake.tif", b"hello", "is not a readable TIFF image"),
    ("fake.npy", b"hello", "is not a readable NPY image"),
])
def test_non_images_are_refused_with_the_path(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ValueError, match=message) as caught:
        read_image(tmp_path / name)
    assert name in str(caught.value)


def test_directory_is_refused(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory; give an image file"):
        read_image(tmp_path)


def test_complex_npy_is_refused(tmp_path):
    np.save(tmp_path / "c.npy", np.zeros((4, 4), np.complex64))
    with pytest.raises(ValueError, match="not real numbers"):
        read_image(tmp_path / "c.npy")


def test_never_overwrites_the_input(tmp_path):
    np.save(tmp_path / "in.npy", np.arange(4, dtype=np.uint8))
    image, meta = read_image(tmp_path / "in.npy")
    with pytest.raises(ValueError, match="is the input file; restore never overwrites its input"):
        write_image(tmp_path / "in.npy", image + 1, meta, overwrite=True)
    np.testing.assert_array_equal(np.load(tmp_path / "in.npy"), np.arange(4))


def test_existing_output_needs_overwrite(tmp_path):
    meta = ImageMeta.for_array(np.zeros(3))
    (tmp_path / "out.npy").write_bytes(b"keep")
    with pytest.raises(FileExistsError, match="already exists; pass --force"):
        check_output(tmp_path / "out.npy", meta, overwrite=False)
    assert (tmp_path / "out.npy").read_bytes() == b"keep"


def test_unknown_output_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"suffix '.bmp' names no format"):
        write_image(tmp_path / "out.bmp", np.zeros((4, 4)))


def test_nan_cannot_become_integers(tmp_path):
    np.save(tmp_path / "in.npy", np.zeros(2, np.uint8))
    _, meta = read_image(tmp_path / "in.npy")
    with pytest.raises(ValueError, match="NaN or Inf values"):
        write_image(tmp_path / "out.npy", [np.nan, 1.0], meta)
    assert not (tmp_path / "out.npy").exists()


# ------------------------------------------------------------------ atomicity


@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()])
def test_failed_write_leaves_no_file(tmp_path, monkeypatch, failure):
    (tmp_path / "out.tif").write_bytes(b"old")

    def broken_writer(path, data, **options):
        with open(path, "wb") as file:
            file.write(b"partial")
        raise failure

    monkeypatch.setattr(tifffile, "imwrite", broken_writer)
    with pytest.raises(type(failure), match="disk full" if isinstance(failure, OSError) else "^$"):
        write_image(tmp_path / "out.tif", np.zeros((4, 4), np.float32))
    assert sorted(os.listdir(tmp_path)) == ["out.tif"]  # no temporary file left
    assert (tmp_path / "out.tif").read_bytes() == b"old"


def test_temporary_file_keeps_the_suffix(tmp_path):
    with image_io.atomic_output(tmp_path / "result.png") as tmp:
        assert tmp.parent == tmp_path
        assert tmp.name.startswith(".result.tmp-") and tmp.suffix == ".png"
        iio.imwrite(tmp, np.zeros((4, 4), np.uint8))
    assert sorted(os.listdir(tmp_path)) == ["result.png"]


# --------------------------------------------------------------------- names


@pytest.mark.parametrize("name, method, expected", [
    ("blurred.png", "wiener", "blurred.wiener.png"),
    ("a.b.tif", "rl", "a.b.rl.tif"),
    ("cells.ome.tif", "rl", "cells.rl.ome.tif"),
    ("signal.npy", "tv", "signal.tv.npy"),
])
def test_default_output_is_beside_the_input(tmp_path, name, method, expected):
    assert default_output(tmp_path / name, method) == tmp_path / expected


def test_a_float_image_kept_as_uint8_warns_that_it_will_be_black(tmp_path):
    values = np.linspace(0, 1, 16, dtype=np.float32).reshape(4, 4)
    tifffile.imwrite(tmp_path / "in.tif", values)
    image, meta = read_image(tmp_path / "in.tif")
    with pytest.warns(UserWarning, match="nearly black; --rescale input"):
        write_image(tmp_path / "out.png", image, meta, dtype="uint8")


def test_convert_counts_what_it_clips():
    values = np.array([-3.2, 0.4, 1.6, 65535.4, 65536.0, 1e6])
    out, clipped = convert(values, np.uint16)
    np.testing.assert_array_equal(out, [0, 0, 2, 65535, 65535, 65535])
    assert out.dtype == np.uint16 and clipped == 3
    with pytest.raises(ValueError, match="NaN"):
        convert(np.array([np.nan]), np.uint8)
