"""Write ``python_api.ipynb`` (outputs empty) from the cells below.

The notebook is generated so that its source stays reviewable as plain Python;
edit the cells here and run::

    python examples/make_python_api_notebook.py

Then open ``examples/python_api.ipynb`` in Jupyter and run it top to bottom.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOK = Path(__file__).resolve().parent / "python_api.ipynb"

CELLS = [
    ("md", """\
# The `restore` Python API, top to bottom

`restore` recovers a scene g from an observation f = g ∗ h + n: a blurred (PSF h),
noisy (n) image. This notebook walks through the whole API on one image:

1. make a point-spread function (PSF) and look at it;
2. simulate an observation: blur, then noise;
3. restore it with three solvers and read what each chose (`info.summary()`);
4. watch Richardson–Lucy converge with a `callback`;
5. restore a colour image with `channel_axis=-1`.

Everything runs on the CPU in a few seconds. With CuPy installed, the same calls on
CuPy arrays run on the GPU and return CuPy arrays."""),
    ("code", """\
import matplotlib.pyplot as plt
import numpy as np
from skimage import data, transform

import restore

print("restore", restore.__version__)"""),
    ("md", """\
## 1. A point-spread function

`restore.psf.from_spec` turns a short text spec into a PSF array (the same specs the
`restore` command's `--psf` takes): `gauss:SIGMA`, `box:SIZE`, `disk:RADIUS`,
`motion:LENGTH,ANGLE`, `airy:WAVELENGTH,NA,PIXEL`, or a file. Every PSF sums to 1 and
has its centre at index `n // 2` on each axis. The functions behind the specs
(`restore.psf.gaussian`, `disk`, `motion`, …) take the same numbers as arguments."""),
    ("code", """\
psfs = {spec: restore.psf.from_spec(spec) for spec in ("gauss:2", "disk:4", "motion:21,30")}
for spec, h in psfs.items():
    print(f"{spec:<14} shape {h.shape}, sum {h.sum():.3f}, centre value {h[h.shape[0] // 2, h.shape[1] // 2]:.4f}")

fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), layout="constrained")
for ax, (spec, h) in zip(axes, psfs.items()):
    shown = ax.imshow(h, cmap="magma")
    ax.set_title(f'from_spec("{spec}")')
    ax.set_xlabel("x (pixels)")
    ax.set_ylabel("y (pixels)")
    fig.colorbar(shown, ax=ax, label="weight")
plt.show()"""),
    ("md", """\
## 2. Simulate an observation

`restore.blur(image, psf)` is the forward model h ∗ g (by default the image is
mirrored past its borders); `restore.noise` adds noise: `gaussian` (by σ or by an
SNR in dB), `poisson` (photon counts) or `poisson_gaussian` (a camera).
A `seed` makes the noise reproducible. `restore.metrics` has `psnr`, `ssim`, `isnr`."""),
    ("code", """\
psf = psfs["gauss:2"]
clean = transform.resize(data.camera() / 255.0, (256, 256), anti_aliasing=True)
blurred = restore.blur(clean, psf)
observed = restore.noise.gaussian(blurred, snr=30, seed=0)   # 30 dB: var(signal) / sigma² = 1000

print(f"noise sigma estimated from the image: {restore.noise.estimate_sigma(observed):.4f}")
print(f"observed: PSNR {restore.metrics.psnr(clean, observed):.2f} dB, "
      f"SSIM {restore.metrics.ssim(clean, observed):.3f}")

fig, axes = plt.subplots(1, 2, figsize=(8, 4), layout="constrained")
for ax, image, title in zip(axes, (clean, observed), ("clean g", "observed f = h∗g + n")):
    shown = ax.imshow(image, cmap="gray", vmin=0, vmax=1)
    ax.set_title(title)
    ax.axis("off")
fig.colorbar(shown, ax=axes, shrink=0.8, label="intensity")
plt.show()"""),
    ("md", """\
## 3. Restore with three solvers

Every solver has the same shape: `solver(image, psf, *, its options, boundary=...,
channel_axis=None, return_info=False)`. Given only an image and a PSF, each picks its
own parameters from the data; `return_info=True` also returns a `RestoreInfo` that
says what it chose (`info.parameters`, `info.iterations`, `info.time`), and
`info.summary()` puts it on one line.

- `restore.wiener`: closed form; `snr="auto"` fits the signal's spectrum and picks the level by GCV.
- `restore.richardson_lucy`: iterative, for non-negative data; `iterations="auto"` stops at the noise level (discrepancy principle).
- `restore.tv`: total variation by ADMM; `lam="auto"` by the discrepancy principle. Sharp edges, flat areas."""),
    ("code", """\
restored = {}
for solver in (restore.wiener, restore.richardson_lucy, restore.tv):
    estimate, info = solver(observed, psf, return_info=True)
    restored[info.method] = estimate
    print(info.summary())
    print(f"    PSNR {restore.metrics.psnr(clean, estimate):.2f} dB, "
          f"ISNR {restore.metrics.isnr(clean, estimate, observed):+.2f} dB\\n")"""),
    ("code", """\
fig, axes = plt.subplots(1, 4, figsize=(14, 4), layout="constrained")
panels = {"observed": observed, **restored}
for ax, (name, image) in zip(axes, panels.items()):
    shown = ax.imshow(image[64:192, 64:192], cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"{name}\\nPSNR {restore.metrics.psnr(clean, image):.2f} dB")
    ax.axis("off")
fig.colorbar(shown, ax=axes, shrink=0.8, label="intensity")
fig.suptitle("centre 128×128 pixels")
plt.show()"""),
    ("md", """\
Options are keywords with physical or scale-free meaning, e.g. a fixed SNR in dB for
Wiener, a fixed iteration count for Richardson–Lucy, or the "unknown" boundary that
estimates the scene beyond the field of view instead of mirroring it:"""),
    ("code", """\
for estimate, info in (
    restore.wiener(observed, psf, snr=30, return_info=True),
    restore.richardson_lucy(observed, psf, iterations=30, boundary="unknown", return_info=True),
):
    print(f"{info.summary()}\\n    PSNR {restore.metrics.psnr(clean, estimate):.2f} dB")"""),
    ("md", """\
## 4. Watch Richardson–Lucy converge

Iterative solvers call `callback(k, estimate)` after iteration k. Here it records the
PSNR against the clean image, for plain and accelerated (Biggs–Andrews) RL. RL first
sharpens, then starts fitting the noise: the PSNR peaks and falls (the accelerated run
gets there several times sooner). The automatic rule (`iterations="auto"`) cannot see
the truth: it stops when the residual ‖f − Hx‖ falls to the noise level estimated from
the image, which here is on the safe side, somewhat before the peak."""),
    ("code", """\
def run(accelerate, iterations=150):
    history = []

    def record(k, estimate):
        history.append(restore.metrics.psnr(clean, estimate))

    restore.richardson_lucy(observed, psf, iterations=iterations, accelerate=accelerate,
                            callback=record)
    return history

curves = {"plain RL": run(False), "accelerated RL": run(True)}
fig, ax = plt.subplots(figsize=(10, 4), layout="constrained")
for (label, history), colour in zip(curves.items(), ("C0", "C1")):
    k = np.arange(1, len(history) + 1)
    ax.plot(k, history, label=label, color=colour)
    _, info = restore.richardson_lucy(observed, psf, accelerate=label.startswith("acc"),
                                      return_info=True)
    ax.axvline(info.iterations, color=colour, linestyle=":",
               label=f'{label}: iterations="auto" stops at {info.iterations}')
    best = int(np.argmax(history))
    print(f"{label}: best PSNR {history[best]:.2f} dB at iteration {best + 1}; "
          f"auto stops at {info.iterations}")
ax.axhline(restore.metrics.psnr(clean, observed), color="grey", linewidth=0.8, label="observed")
ax.set_xlabel("iteration k")
ax.set_ylabel("PSNR against the clean image (dB)")
ax.set_title("Richardson–Lucy convergence (callback)")
ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1))
plt.show()"""),
    ("md", """\
## 5. Colour images: `channel_axis=-1`

A colour image has a channel axis that is not blurred. To simulate, give the PSF a
size-1 axis there (`restore.psf.gaussian([2, 2, 0])`: σ = 0 means no blur along
that axis). To restore, pass the 2-D PSF and `channel_axis=-1`: each channel is
restored on its own, and the info lists one automatic choice per channel."""),
    ("code", """\
rgb = transform.resize(data.astronaut(), (256, 256), anti_aliasing=True)   # (256, 256, 3) in [0, 1]
rgb_observed = restore.noise.gaussian(restore.blur(rgb, restore.psf.gaussian([2.0, 2.0, 0.0])),
                                      snr=30, seed=1)
rgb_restored, info = restore.wiener(rgb_observed, psf, channel_axis=-1, return_info=True)
print(info.summary())

fig, axes = plt.subplots(1, 3, figsize=(12, 4.3), layout="constrained")
for ax, image, title in zip(axes, (rgb, rgb_observed, rgb_restored),
                            ("clean", "observed", "Wiener, channel_axis=-1")):
    ax.imshow(np.clip(image, 0, 1))   # RGB display needs [0, 1]; the solvers do not clip
    psnr = "" if image is rgb else f"\\nPSNR {restore.metrics.psnr(rgb, image):.2f} dB"
    ax.set_title(title + psnr)
    ax.axis("off")
plt.show()"""),
    ("md", """\
## Where next

- `examples/restore_a_photo.py` / `.sh`: the same from a script and from the shell.
- `examples/transposed_convolution_is_not_deconvolution.py`: why Hᵀ (a "transposed
  convolution") blurs again and the naive inverse F/H explodes on noise.
- `examples/compare_solvers.py`: every solver on a 2-D image and a 3-D stack.
- `restore.Blur(psf, shape, boundary=...)`: the forward model itself, with `apply`
  (H) and `adjoint` (Hᵀ), for writing your own solver."""),
]


def build():
    """The notebook, with empty outputs."""
    cells = [new_markdown_cell(text) if kind == "md" else new_code_cell(text)
             for kind, text in CELLS]
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number:02d}"  # stable ids: rebuilding changes nothing
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def main():
    notebook = build()
    nbformat.validate(notebook)
    NOTEBOOK.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
    print(f"wrote {NOTEBOOK}")


if __name__ == "__main__":
    main()
