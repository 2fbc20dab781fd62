"""Transposed convolution is not deconvolution, and the inverse fails only on noise.

A deep-learning "transposed convolution" (often called "deconvolution") layer
with the PSF as its kernel computes Hᵀ f: it spreads every observed pixel back
through the (flipped) PSF. In the Fourier domain that is conj(H)·F = |H|²·G
(plus noise), so it blurs the image a *second* time. This script shows, on
scikit-image's camera blurred by a Gaussian PSF (σ = 2 pixels) with a little
Gaussian noise (σ = 0.002, half an 8-bit grey level):

1. Hᵀ f (``restore.Blur(...).adjoint``) is blurrier than the observation:
   its PSNR drops;
2. the naive inverse F / H (``restore.inverse(f, psf, threshold=1e-6)``) divides
   the noise by |H|, which is below 1e-5 at high frequencies: the noise is
   amplified a million-fold and the PSNR collapses far below zero;
3. without noise the very same inverse is nearly perfect: it is the noise, not
   the inverse, that fails;
4. the Wiener filter (``restore.wiener``), a regularised inverse that
   stops dividing where the signal sinks under the noise, recovers the scene.

Everything uses periodic boundaries (the image wraps around) so that the blur
is exactly diagonal in the Fourier domain and the only thing separating (2)
from (3) is the noise. Figures: a panel of images and a plot of the spectra
(OTF |H|, amplification 1/|H|, signal and noise levels per frequency).

Run from the repository root::

    python examples/transposed_convolution_is_not_deconvolution.py [--out DIR]

(default DIR: examples/output/).
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # write files; no window needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from skimage import data  # noqa: E402

import restore  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "output"
NOISE_SIGMA = 0.002   # half an 8-bit grey level, on a [0, 1] image
THRESHOLD = 1e-6      # the inverse divides wherever |H| >= 1e-6 · max|H|


def main(out):
    out.mkdir(parents=True, exist_ok=True)
    clean = data.camera() / 255.0                      # float64: the inverse needs it
    psf = restore.psf.from_spec("gauss:2")
    H = restore.Blur(psf, clean.shape, boundary="periodic", dtype=np.float64)

    blurred = H.apply(clean)                           # h * g, no noise
    observed = restore.noise.gaussian(blurred, sigma=NOISE_SIGMA, seed=0)

    results = {
        "observed f = h∗g + n": observed,
        "transposed convolution Hᵀf": H.adjoint(observed),
        "inverse F/H, no noise": restore.inverse(
            blurred, psf, threshold=THRESHOLD, boundary="periodic"),
        "inverse F/H": restore.inverse(
            observed, psf, threshold=THRESHOLD, boundary="periodic"),
        "Wiener (automatic)": restore.wiener(observed, psf, boundary="periodic"),
    }
    psnr = {name: restore.metrics.psnr(clean, image) for name, image in results.items()}
    for name, value in psnr.items():
        print(f"{name:<28} PSNR {value:7.2f} dB")
    spread = float(np.abs(results["inverse F/H"]).max())
    print(f"{'':<28} (the noisy inverse reaches |x| = {spread:.0f} on a [0, 1] image)")

    figure = image_panel(clean, results, psnr, spread)
    figure.savefig(out / "transposed_convolution_images.png", dpi=100)
    figure = spectrum_plot(clean, observed, results, H)
    figure.savefig(out / "transposed_convolution_spectra.png", dpi=110)
    print(f"wrote {out / 'transposed_convolution_images.png'}")
    print(f"wrote {out / 'transposed_convolution_spectra.png'}")


def image_panel(clean, results, psnr, spread):
    """Clean, observed, Hᵀf / noise-free inverse, inverse, Wiener on one grey scale."""
    panels = [("clean g (truth)", clean, None)] + [
        (name, image, psnr[name]) for name, image in results.items()]
    figure, axes = plt.subplots(2, 3, figsize=(11, 8.2), layout="constrained")
    for axis, (name, image, value) in zip(axes.flat, panels):
        shown = axis.imshow(image, cmap="gray", vmin=0, vmax=1)
        title = name if value is None else f"{name}\nPSNR {value:.1f} dB"
        if name == "inverse F/H":
            title += f"\n(values up to ±{spread:.0f}, clipped to [0, 1])"
        axis.set_title(title, fontsize=10)
        axis.set_xticks([])
        axis.set_yticks([])
    figure.colorbar(shown, ax=axes, shrink=0.5, label="intensity")
    figure.suptitle(
        f"camera, Gaussian blur σ = 2 px, noise σ = {NOISE_SIGMA} (periodic boundaries)")
    return figure


def radial_amplitude(image, bins):
    """RMS Fourier amplitude per ring of radial frequency (cycles / pixel).

    Normalised so that white noise of standard deviation σ has amplitude σ.
    """
    spectrum = np.fft.rfft2(image) / np.sqrt(image.size)
    ky = np.fft.fftfreq(image.shape[0])[:, None]
    kx = np.fft.rfftfreq(image.shape[1])[None, :]
    ring = np.digitize(np.hypot(ky, kx), bins)
    power = np.abs(spectrum) ** 2
    return np.sqrt([power[ring == i].mean() for i in range(1, len(bins))])


def spectrum_plot(clean, observed, results, H):
    """Left: the OTF and the inverse's gain. Right: what each image holds per frequency."""
    # The Gaussian OTF is radially symmetric: its profile along x is enough.
    frequency = np.fft.rfftfreq(H.work_shape[1])
    otf = np.abs(H.otf[0, :])
    kept = otf >= THRESHOLD * otf.max()

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    left.semilogy(frequency, otf, label="OTF |H|: what the blur passes")
    left.semilogy(frequency[kept], 1 / otf[kept], label="1/|H|: the inverse's gain on noise")
    left.axhline(1, color="grey", linewidth=0.8)
    left.axhline(1 / THRESHOLD, color="grey", linestyle=":",
                 label=f"gain cap 1/threshold = {1 / THRESHOLD:.0e}")
    left.set_xlabel("spatial frequency (cycles / pixel)")
    left.set_ylabel("magnitude")
    left.set_title("Gaussian PSF σ = 2 px: the OTF and its inverse")
    left.set_ylim(1e-10, 1e10)
    left.annotate(f"floor and zeros: the PSF is cut\nat ±4σ ({H.psf.shape[1]} px wide)",
                  xy=(0.42, 2e-6), xytext=(0.27, 1e-8), fontsize=9,
                  arrowprops=dict(arrowstyle="->", color="grey"))
    left.legend(loc="lower left", fontsize=9)

    bins = np.linspace(0, 0.5, 51)
    centre = (bins[:-1] + bins[1:]) / 2
    curves = [
        ("clean |G|", clean, dict(color="black", linewidth=2)),
        ("observed |F| = |HG + N|", observed, dict(color="C0")),
        ("transposed conv. |HᵀF| ≈ |H|²|G|", results["transposed convolution Hᵀf"],
         dict(color="C1", linestyle="--")),
        ("inverse |F/H| = |G + N/H|", results["inverse F/H"], dict(color="C3")),
        ("Wiener", results["Wiener (automatic)"], dict(color="C2")),
    ]
    for label, image, style in curves:
        right.semilogy(centre, radial_amplitude(image, bins), label=label, **style)
    right.axhline(NOISE_SIGMA, color="grey", linestyle=":",
                  label=f"noise floor σ = {NOISE_SIGMA}")
    right.set_xlabel("spatial frequency (cycles / pixel)")
    right.set_ylabel("RMS amplitude per frequency ring")
    right.set_title("Where the signal sinks under the noise, F/H is amplified noise")
    right.legend(fontsize=9, loc="lower left")
    right.set_ylim(1e-7, 1e4)
    return figure


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder for the figures (default: examples/output/)")
    main(parser.parse_args().out)
