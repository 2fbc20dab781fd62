"""Draw and write a comparison: montage, PSNR-against-noise plot, tables.

Figures are drawn with matplotlib's object API (:class:`matplotlib.figure.Figure`
on an Agg canvas), so nothing touches pyplot's global state, no window opens, and
the functions are safe in scripts, notebooks and servers alike. Every file is
written to a temporary name in its own directory and renamed into place, so an
interrupted run leaves no partial file.

- :func:`montage` — clean, observed and every restoration on one grey scale,
  each with a zoomed inset of a detail region.
- :func:`sweep_plot` — PSNR against noise level, one line per solver.
- :func:`write_report` — ``table.md``, ``table.csv``, ``montage.png`` (and
  ``sweep.png``, ``sweep.csv``) in a folder.

Examples
--------
>>> from skimage import data
>>> from restore.comparison import compare
>>> from restore.report import write_report
>>> c = compare(data.camera()[::4, ::4] / 255.0, "gauss:1.5", methods=["wiener", "rl"])
>>> paths = write_report(c, "report")                              # doctest: +SKIP
"""

import math
from pathlib import Path

import numpy as np

from ._backend import to_host
from .io import atomic_output

__all__ = ["montage", "sweep_plot", "write_report"]

#: Colour of the inset's frame and of the rectangle marking its source.
INSET_COLOUR = "#ffb000"
#: Width of a montage panel, in inches (figures are drawn at `DPI`).
PANEL_INCHES = 3.0
DPI = 110
#: Side of the default inset region, as a fraction of the image's side.
INSET_FRACTION = 1 / 6
#: Side of the magnified box, as a fraction of the panel's width.
INSET_SIZE = 0.42
#: Pixels of blank between the sections of a 3-D panel.
SECTION_GAP = 2

_PARAMETER_LABELS = {
    "snr": ("SNR (dB)", "less noise"),
    "sigma": ("noise σ (image units)", "more noise"),
    "peak": ("peak photons", "less noise"),
    "read_noise": ("read noise (e⁻)", "more noise"),
    "background": ("background photons", "more noise"),
    "gain": ("gain (ADU/e⁻)", None),
    "offset": ("offset (ADU)", None),
}
_MODEL_NAMES = {"gaussian": "Gaussian", "poisson": "Poisson",
                "poisson_gaussian": "Poisson–Gaussian", "none": "no"}


# --------------------------------------------------------------------------- #
# Public functions
# --------------------------------------------------------------------------- #


def montage(comparison, path, *, inset=None):
    """Draw clean, observed and every restoration side by side; write a PNG.

    One panel per image: the clean image (when there is one), the observation,
    and each restoration titled with its method and PSNR (residual/σ̂ without a
    truth). All panels share one grey scale, from the clean image's minimum to
    its maximum (the observation's 0.1–99.9 % percentiles without a truth), so
    that brightness means the same everywhere; values outside are clipped in
    the picture only.

    Each panel carries a magnified copy of a detail region in the corner
    diagonally opposite that region (in the blank corner of a 3-D view),
    framed in orange, with an orange rectangle marking where it comes from.

    - **2-D** images: as they are. Colour images (``channel_axis`` given to the
      comparison) are shown as RGB with the same scale on every channel (with 3
      or 4 channels; other counts are shown as the channels' mean, in grey).
    - **3-D** volumes (z, y, x): each panel is an orthogonal view of the central
      sections: xy (the central z slice) in the top left, xz (the central y
      row, z downwards) below it and yz (the central x column, z to the right)
      to its right, sharing their axes with xy; the corner is blank. The inset
      is taken from the xy section.
    - **1-D** signals: one line plot per method instead, the truth (black) and
      the observation (grey) under each restoration, on the same vertical
      scale, with the detail region shaded and magnified.

    Parameters
    ----------
    comparison : Comparison
        From :func:`restore.compare` or :func:`restore.compare_observed`.
    path : str or path-like
        PNG file to write (replaced if it exists, atomically).
    inset : tuple of slice, optional
        The detail region, one slice per spatial axis of a 2-D image (y, x), of
        the xy section of a 3-D volume (y, x), or of a 1-D signal. Default: the
        window 1/6 of the image's size with the highest local variance in the
        clean image (the observation without a truth).

    Returns
    -------
    path : pathlib.Path
    """
    figure = _montage_figure(comparison, inset)
    path = Path(path)
    _atomic_write(path, lambda handle: figure.savefig(handle, format="png", dpi=DPI))
    return path


def sweep_plot(sweep_result, path):
    """Plot PSNR against noise level, one line per solver; write a PNG.

    The x axis is the noise parameter that varies in the sweep (e.g. SNR in
    dB, or peak photons on a log scale), labelled with the noise model and the
    direction of less noise; the observation's own PSNR is the dashed grey line.

    Parameters
    ----------
    sweep_result : Sweep
        From :func:`restore.sweep`.
    path : str or path-like
        PNG file to write (replaced if it exists, atomically).

    Returns
    -------
    path : pathlib.Path
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.4), layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    levels = np.asarray(sweep_result.levels, dtype=float)
    order = np.argsort(levels)
    x = levels[order]
    for method, values in sweep_result.psnr.items():
        ax.plot(x, np.asarray(values, dtype=float)[order], marker="o", label=method)
    ax.plot(x, np.asarray(sweep_result.observed_psnr, dtype=float)[order], "--",
            color="0.5", label="observed")
    parameter = sweep_result.parameter
    model = _MODEL_NAMES.get(sweep_result.model_name, sweep_result.model_name)
    if parameter is None:
        ax.set_xticks(x)
        ax.set_xticklabels([str(sweep_result.noise[i]) for i in order], rotation=20,
                           ha="right", fontsize=8)
        ax.set_xlabel("noise model")
    else:
        label, direction = _PARAMETER_LABELS.get(parameter, (parameter, None))
        text = f"{model} noise: {label}" if model else label
        if direction:
            text += f"  ({direction} →)"
        ax.set_xlabel(text)
        positive = x[x > 0]
        if parameter != "snr" and positive.size == x.size and x.size > 1 \
                and x.max() / x.min() >= 10:
            ax.set_xscale("log")
        ax.set_xticks(x, [f"{v:g}" for v in x])  # a tick at every level, as plain numbers
        ax.minorticks_off()
    ax.set_ylabel("PSNR (dB)")
    seed = "none" if sweep_result.seed is None else sweep_result.seed
    ax.set_title(f"PSNR against noise level\nPSF {sweep_result.psf_description}, seed {seed}",
                 fontsize=11)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9, loc="best")
    path = Path(path)
    _atomic_write(path, lambda handle: figure.savefig(handle, format="png", dpi=DPI))
    return path


def write_report(comparison, out_dir, *, sweep=None, inset=None):
    """Write a comparison's tables and figures into a folder.

    Files: ``table.md`` (:meth:`Comparison.to_markdown`), ``table.csv``
    (:meth:`Comparison.to_csv`), ``montage.png`` (:func:`montage`) and, with a
    sweep, ``sweep.png`` (:func:`sweep_plot`) and ``sweep.csv``. Each is written
    to a temporary file in `out_dir` and renamed into place, so an interrupted
    run leaves no partial file. Existing files of these names are replaced.

    Parameters
    ----------
    comparison : Comparison
    out_dir : str or path-like
        Folder, created (with its parents) if missing.
    sweep : Sweep, optional
        From :func:`restore.sweep`.
    inset : tuple of slice, optional
        Detail region of the montage (see :func:`montage`).

    Returns
    -------
    paths : list of pathlib.Path
        The files written, in the order above.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"out_dir '{out_dir}' exists and is not a folder; "
                                 "give a folder for the report")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [
        _write_text(out_dir / "table.md", comparison.to_markdown()),
        _write_text(out_dir / "table.csv", comparison.to_csv()),
        montage(comparison, out_dir / "montage.png", inset=inset),
    ]
    if sweep is not None:
        paths.append(sweep_plot(sweep, out_dir / "sweep.png"))
        paths.append(_write_text(out_dir / "sweep.csv", sweep.to_csv()))
    return paths


# --------------------------------------------------------------------------- #
# Files
# --------------------------------------------------------------------------- #


def _atomic_write(path, write):
    """Call ``write(binary_handle)`` on a temporary file next to `path`, then rename."""
    with atomic_output(path) as temporary, open(temporary, "wb") as handle:
        write(handle)


def _write_text(path, text):
    _atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))
    return Path(path)


# --------------------------------------------------------------------------- #
# The montage
# --------------------------------------------------------------------------- #


def _panels(comparison):
    """(title, host array) for every panel, in order."""
    panels = []
    truth = comparison.has_truth
    if truth:
        panels.append(("clean (truth)", _host(comparison.clean)))
    observed_title = "observed"
    if truth:
        observed_title += f"\nPSNR {comparison.observed_psnr:.2f} dB"
    panels.append((observed_title, _host(comparison.observed)))
    for row in comparison.rows:
        if truth:
            title = f"{row.method}\nPSNR {row.psnr:.2f} dB"
        else:
            ratio = comparison._residual_ratio(row)
            title = f"{row.method}\nresidual/σ̂ {ratio:.2f}"
        panels.append((title, _host(comparison.restored[row.method])))
    return panels


def _host(array):
    return np.asarray(to_host(array), dtype=np.float64)


def _channels_last(image, channel_axis):
    """`image` with its colour axis last (or unchanged without one)."""
    if channel_axis is None:
        return image
    return np.moveaxis(image, channel_axis, -1)


def _montage_figure(comparison, inset):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    channel_axis = comparison.channel_axis
    panels = [(title, _channels_last(image, channel_axis))
              for title, image in _panels(comparison)]
    reference = panels[0][1]  # the clean image, or the observation without a truth
    colour = channel_axis is not None
    spatial_ndim = reference.ndim - (1 if colour else 0)

    if comparison.has_truth:
        vmin, vmax = float(reference.min()), float(reference.max())
    else:
        vmin, vmax = (float(v) for v in np.percentile(reference, [0.1, 99.9]))
    if not vmax > vmin:
        vmax = vmin + 1.0

    if spatial_ndim == 1:
        return _line_figure(comparison, panels, colour, inset, Figure, FigureCanvasAgg)

    grey = [_grey(image, colour) for _, image in panels]
    section = grey[0] if spatial_ndim == 2 else grey[0][grey[0].shape[0] // 2]
    region = _check_inset(inset, section.shape) if inset is not None \
        else _detail_region(section)
    shown = [_display(image, colour, spatial_ndim, vmin, vmax) for _, image in panels]
    # Sparse scenes (beads, filaments: most of the range held by a few pixels)
    # vanish on a linear scale; a square-root scale shows them, on every panel.
    gamma = _is_sparse(grey[0], vmin, vmax)
    if gamma:
        shown = [np.sqrt(picture) for picture in shown]

    height, width = shown[0].shape[:2]
    count = len(panels)
    columns = min(count, 4 if width <= 1.6 * height else 3)
    rows = math.ceil(count / columns)
    panel_height = PANEL_INCHES * height / width + 0.55  # room for a two-line title
    figure = Figure(figsize=(PANEL_INCHES * columns, panel_height * rows + 0.5),
                    layout="constrained")
    FigureCanvasAgg(figure)
    cmap = _grey_colormap()
    for i, ((title, _), picture) in enumerate(zip(panels, shown)):
        ax = figure.add_subplot(rows, columns, i + 1)
        kwargs = {} if picture.ndim == 3 else {"cmap": cmap, "vmin": 0.0, "vmax": 1.0}
        ax.imshow(picture, interpolation="nearest", **kwargs)
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        _draw_inset(ax, picture, region, kwargs,
                    reference.shape[0] if spatial_ndim == 3 else None)
        if spatial_ndim == 3 and i == 0:
            _label_sections(ax, section.shape, reference.shape[0])
    caption = _caption(comparison, vmin, vmax, spatial_ndim)
    if gamma:
        caption = caption.replace("same grey scale", "same square-root grey scale", 1)
    figure.suptitle(caption, fontsize=10)
    return figure


def _is_sparse(image, vmin, vmax):
    """True when 99 % of the pixels sit in the bottom quarter of [vmin, vmax]."""
    return float(np.nanpercentile(image, 99)) < vmin + 0.25 * (vmax - vmin)


def _grey(image, colour):
    """A grey version (mean over channels) of `image`, for choosing the inset."""
    return image.mean(axis=-1) if colour else image


def _grey_colormap():
    from matplotlib import colormaps

    return colormaps["gray"].with_extremes(bad="white")


def _display(image, colour, spatial_ndim, vmin, vmax):
    """`image` scaled to [0, 1] by (vmin, vmax), as a 2-D grey or RGB picture.

    Grey pictures keep NaN for the blank parts of a 3-D view (drawn white);
    RGB pictures have those parts white.
    """
    scaled = np.clip((image - vmin) / (vmax - vmin), 0.0, 1.0)
    if colour:
        scaled = scaled[..., :3] if scaled.shape[-1] in (3, 4) else scaled.mean(axis=-1)
    if spatial_ndim == 3:
        scaled = _orthogonal_view(scaled)
    if scaled.ndim == 3:
        scaled = np.where(np.isnan(scaled), 1.0, scaled)
    return scaled


def _orthogonal_view(volume):
    """xy on the top left, xz below it, yz to its right, blank (NaN) in the corner."""
    nz, ny, nx = volume.shape[:3]
    extra = volume.shape[3:]
    gap = SECTION_GAP
    view = np.full((ny + gap + nz, nx + gap + nz) + extra, np.nan)
    view[:ny, :nx] = volume[nz // 2]                                    # xy
    view[ny + gap:, :nx] = volume[:, ny // 2]                           # xz: z down
    view[:ny, nx + gap:] = np.swapaxes(volume[:, :, nx // 2], 0, 1)     # yz: z right
    return view


def _label_sections(ax, xy_shape, nz):
    ny, nx = xy_shape
    style = {"color": INSET_COLOUR, "fontsize": 8, "va": "top", "ha": "left",
             "fontweight": "bold"}
    ax.text(1, 1, "xy", **style)
    ax.text(1, ny + SECTION_GAP + 1, "xz", **style)
    ax.text(nx + SECTION_GAP + 1, 1, "yz", **style)


def _detail_region(image):
    """The window of 1/6 the image's size with the highest local variance."""
    from scipy import ndimage

    size = tuple(max(4, int(round(n * INSET_FRACTION))) if n >= 8 else n for n in image.shape)
    mean = ndimage.uniform_filter(image, size, mode="reflect")
    mean_square = ndimage.uniform_filter(image * image, size, mode="reflect")
    variance = mean_square - mean * mean
    # Only centres whose window lies inside the image.
    valid = tuple(slice(k // 2, n - (k - k // 2) + 1) for k, n in zip(size, image.shape))
    inner = variance[valid]
    index = np.unravel_index(int(np.argmax(inner)), inner.shape)
    starts = [i + s.start - k // 2 for i, s, k in zip(index, valid, size)]
    return tuple(slice(a, a + k) for a, k in zip(starts, size))


def _check_inset(inset, shape):
    """`inset` as a tuple of bounded slices for an image of `shape`, or ValueError."""
    if isinstance(inset, slice):
        inset = (inset,)
    try:
        inset = tuple(inset)
    except TypeError:
        inset = None
    if inset is None or len(inset) != len(shape) or not all(isinstance(s, slice) for s in inset):
        raise ValueError(f"inset must be a tuple of {len(shape)} slices (one per axis of the "
                         f"{'x'.join(map(str, shape))} image or section), got {inset!r}")
    region = []
    for s, n in zip(inset, shape):
        start, stop, step = s.indices(n)
        if step != 1 or stop - start < 2:
            raise ValueError(f"inset slice {s!r} must select at least 2 consecutive samples "
                             f"of an axis of length {n}")
        region.append(slice(start, stop))
    return tuple(region)


def _inset_bounds(region, picture_shape, blank_corner=None):
    """Axes-fraction bounds of the magnified box.

    In the blank corner of a 3-D view when it is big enough (`blank_corner`:
    its side in pixels), else in the panel's corner opposite `region`.
    """
    height, width = picture_shape
    ry, rx = region
    region_h, region_w = ry.stop - ry.start, rx.stop - rx.start
    margin = 0.02
    if blank_corner is not None and blank_corner >= 0.25 * width:
        side_x, side_y = blank_corner / width, blank_corner / height
        box_w = side_x - 2 * margin
        box_h = box_w * (region_h / region_w) * (width / height)
        if box_h > side_y - 2 * margin:
            box_w *= (side_y - 2 * margin) / box_h
            box_h = side_y - 2 * margin
        return [1 - side_x / 2 - box_w / 2, side_y / 2 - box_h / 2, box_w, box_h]
    box_w = INSET_SIZE
    box_h = box_w * (region_h / region_w) * (width / height)
    if box_h > 0.5:
        box_w, box_h = box_w * 0.5 / box_h, 0.5
    centre_y = (ry.start + ry.stop) / 2 / height  # 0 = top of the picture
    centre_x = (rx.start + rx.stop) / 2 / width
    x0 = 1 - box_w - margin if centre_x < 0.5 else margin
    # Axes fractions run upwards: a region in the top half gets a box at the bottom.
    y0 = margin if centre_y < 0.5 else 1 - box_h - margin
    return [x0, y0, box_w, box_h]


def _draw_inset(ax, picture, region, kwargs, blank_corner):
    from matplotlib.patches import Rectangle

    ry, rx = region
    bounds = _inset_bounds(region, picture.shape[:2], blank_corner)
    box = ax.inset_axes(bounds)
    box.imshow(picture[ry, rx], interpolation="nearest", **kwargs)
    box.set_xticks([])
    box.set_yticks([])
    for spine in box.spines.values():
        spine.set_edgecolor(INSET_COLOUR)
        spine.set_linewidth(1.5)
    ax.add_patch(Rectangle((rx.start - 0.5, ry.start - 0.5), rx.stop - rx.start,
                           ry.stop - ry.start, fill=False, edgecolor=INSET_COLOUR,
                           linewidth=1.2))


def _caption(comparison, vmin, vmax, spatial_ndim):
    if comparison.has_truth:
        seed = "none" if comparison.seed is None else comparison.seed
        text = (f"{comparison.noise.describe()} · PSF {comparison.psf_description} · "
                f"seed {seed}")
        scale = f"same grey scale [{vmin:.3g}, {vmax:.3g}] (the clean image's range)"
    else:
        text = f"observed data · PSF {comparison.psf_description}"
        scale = f"same grey scale [{vmin:.3g}, {vmax:.3g}] (observed 0.1–99.9 %)"
    text = f"{text}\n{scale} · inset: magnified detail (orange box)"
    if spatial_ndim == 3:
        text += "\ncentral sections: xy, xz (below it), yz (right of it)"
    return text


def _line_figure(comparison, panels, colour, inset, Figure, FigureCanvasAgg):
    """Small multiples for 1-D signals: truth and observation under each restoration."""
    signals = [_grey(image, colour) for _, image in panels]
    truth = signals[0] if comparison.has_truth else None
    observed = signals[1] if comparison.has_truth else signals[0]
    reference = truth if truth is not None else observed
    region = _check_inset(inset, reference.shape)[0] if inset is not None \
        else _detail_region(reference)[0]
    methods = panels[2:] if comparison.has_truth else panels[1:]
    method_signals = signals[2:] if comparison.has_truth else signals[1:]
    entries = [(panels[1 if comparison.has_truth else 0][0], None)] + [
        (title, signal) for (title, _), signal in zip(methods, method_signals)]

    low = min(float(s.min()) for s in signals)
    high = max(float(s.max()) for s in signals)
    pad = 0.05 * (high - low or 1.0)
    limits = (low - pad, high + pad)
    x = np.arange(reference.size)

    count = len(entries)
    columns = min(count, 3)
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(4.2 * columns, 2.8 * rows + 0.5), layout="constrained")
    FigureCanvasAgg(figure)
    for i, (title, signal) in enumerate(entries):
        ax = figure.add_subplot(rows, columns, i + 1)
        zoom_lines = []
        if truth is not None:
            zoom_lines.append((truth, {"color": "black", "linewidth": 1.0, "label": "truth"}))
        zoom_lines.append((observed, {"color": "0.6", "linewidth": 0.8, "label": "observed"}))
        if signal is not None:
            zoom_lines.append((signal, {"color": "tab:blue", "linewidth": 1.2,
                                        "label": "restored"}))
        for values, style in zoom_lines:
            ax.plot(x, values, **style)
        ax.set_ylim(*limits)
        ax.set_xlim(0, reference.size - 1)
        ax.set_title(title.replace("\n", " · "), fontsize=10)
        ax.axvspan(region.start, region.stop - 1, color=INSET_COLOUR, alpha=0.2, linewidth=0)
        centre = (region.start + region.stop) / 2 / reference.size
        bounds = [0.56 if centre < 0.5 else 0.03, 0.55, 0.41, 0.42]
        box = ax.inset_axes(bounds)
        for values, style in zoom_lines:
            box.plot(x[region], values[region], **style)
        box.set_xticks([])
        box.set_yticks([])
        for spine in box.spines.values():
            spine.set_edgecolor(INSET_COLOUR)
            spine.set_linewidth(1.5)
        if i == min(1, count - 1):
            ax.legend(fontsize=8, loc="lower left" if centre >= 0.5 else "lower right")
    if comparison.has_truth:
        seed = "none" if comparison.seed is None else comparison.seed
        caption = (f"{comparison.noise.describe()} · PSF {comparison.psf_description} · "
                   f"seed {seed}")
    else:
        caption = f"observed data · PSF {comparison.psf_description}"
    figure.suptitle(caption + "\nsame vertical scale · inset: magnified detail (shaded)",
                    fontsize=10)
    return figure
