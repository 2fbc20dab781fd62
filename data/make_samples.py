"""Regenerate the sample data in data/ (deterministic: fixed seeds).

    python data/make_samples.py

Writes, next to this script:

- ``clean.png``     256×256 8-bit grey photo (scikit-image's astronaut, public domain)
- ``blurred.png``   the same blurred by ``gauss:2`` (reflecting borders) with Gaussian
                    noise at SNR 30 dB (BSNR), rounded to 8 bits
- ``stack_clean.tif``  32×96×96 uint16 fluorescence-like volume: beads and filaments
- ``stack.tif``     the volume blurred by ``psf_widefield.tif`` with Poisson noise
                    (peak 200 photons, background 10) — a widefield micrograph
- ``psf_widefield.tif``  the 3-D widefield PSF used (``restore.psf.widefield``)
"""

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import tifffile
from skimage import color, data, transform

import restore

HERE = Path(__file__).resolve().parent
WIDEFIELD = dict(na=1.2, wavelength=0.52, refractive_index=1.33, pixel_size=0.1, z_step=0.25)


def photo():
    grey = color.rgb2gray(data.astronaut())
    return transform.resize(grey, (256, 256), anti_aliasing=True).astype(np.float32)


def fluorescence_volume(shape=(32, 96, 96), seed=1):
    """Beads and curved filaments on a dim background, in [0, 1]."""
    rng = np.random.default_rng(seed)
    volume = np.zeros(shape, np.float32)
    for _ in range(40):  # beads
        z, y, x = (int(rng.integers(2, n - 2)) for n in shape)
        volume[z, y, x] += rng.uniform(0.5, 1.0)
    t = np.linspace(0, 1, 400)
    for _ in range(6):  # filaments: random smooth curves
        start = rng.uniform([4, 8, 8], [shape[0] - 4, shape[1] - 8, shape[2] - 8])
        bend = rng.normal(0, [4, 30, 30], size=(2, 3))
        points = start + np.outer(t, bend[0]) + np.outer(t**2, bend[1])
        for p in points:
            z, y, x = np.round(p).astype(int)
            if 0 <= z < shape[0] and 0 <= y < shape[1] and 0 <= x < shape[2]:
                volume[z, y, x] = max(volume[z, y, x], 0.6)
    volume = restore.blur(volume, restore.psf.gaussian((0.5, 0.7, 0.7)))
    return volume / volume.max() + 0.02


def main():
    clean = photo()
    blurred = restore.blur(clean, restore.psf.from_spec("gauss:2"))
    noisy = restore.noise.gaussian(blurred, snr=30, seed=0)
    iio.imwrite(HERE / "clean.png", np.clip(np.round(clean * 255), 0, 255).astype(np.uint8))
    iio.imwrite(HERE / "blurred.png", np.clip(np.round(noisy * 255), 0, 255).astype(np.uint8))

    volume = fluorescence_volume()
    psf = restore.psf.widefield(**WIDEFIELD, shape=(21, 31, 31))
    peak, background = 200.0, 10.0
    photons = restore.blur(volume, psf) * peak
    counts = np.random.default_rng(2).poisson(photons + background)
    tifffile.imwrite(HERE / "stack_clean.tif", np.round(volume * peak).astype(np.uint16))
    tifffile.imwrite(HERE / "stack.tif", counts.astype(np.uint16))
    tifffile.imwrite(HERE / "psf_widefield.tif", psf.astype(np.float32))
    for name in ("clean.png", "blurred.png", "stack_clean.tif", "stack.tif", "psf_widefield.tif"):
        print(f"{name}: {(HERE / name).stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
