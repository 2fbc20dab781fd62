"""The PSF(s) for one stack: one per channel, widefield models calibrated from the file."""

import math
import warnings
from pathlib import Path

import numpy as np

import restore

__all__ = ["psfs_for", "widefield_values"]

_WIDEFIELD = ("na", "wavelength", "n", "pixel", "zstep")


def _is_widefield(spec):
    return isinstance(spec, str) and spec.strip().lower().split(":", 1)[0] == "widefield"


def widefield_values(spec):
    """The values a ``widefield:`` spec gives (missing ones are None).

    ``widefield:NA,WAVELENGTH,N[,PIXEL,ZSTEP]``, named values
    (``widefield:na=1.4,wavelength=0.52,n=1.518``), or just ``widefield``
    when the file's metadata records the optics.

    Examples
    --------
    >>> widefield_values("widefield:1.2,0.52,1.33")
    {'na': 1.2, 'wavelength': 0.52, 'n': 1.33, 'pixel': None, 'zstep': None}
    """
    _, _, text = spec.partition(":")
    values = dict.fromkeys(_WIDEFIELD)
    positional = 0
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        key, eq, value = item.partition("=")
        if not eq:
            key, value = (_WIDEFIELD[positional] if positional < len(_WIDEFIELD) else None), key
            positional += 1
        key = key.strip().lower()
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if key not in values or not math.isfinite(number):
            raise ValueError(f"--psf {spec!r} is not understood; give "
                             "widefield:NA,WAVELENGTH,N[,PIXEL,ZSTEP] (µm), the voxel size "
                             "coming from the file when it records one")
        values[key] = number
    return values


def _widefield(spec, meta, channel, per_slice):
    values = widefield_values(spec)
    from_file = {"pixel": meta.voxel_size_microns("X"), "zstep": meta.voxel_size_microns("Z"),
                 "na": meta.optics.get("na"), "n": meta.optics.get("refractive_index")}
    wavelengths = meta.optics.get("wavelengths") or []
    if channel < len(wavelengths) and wavelengths[channel]:
        from_file["wavelength"] = wavelengths[channel]
    for key in ("pixel", "zstep"):  # the file's calibration wins over the spec
        if from_file[key] is not None:
            if values[key] is not None and not math.isclose(values[key], from_file[key],
                                                             rel_tol=1e-3):
                warnings.warn(f"{meta.path.name}: --psf gives {key} {values[key]:g} µm but "
                              f"the file records {from_file[key]:g} µm; using the file's",
                              stacklevel=2)
            values[key] = from_file[key]
    for key in ("na", "n", "wavelength"):  # optics: the spec's, else the file's
        if values[key] is None and from_file.get(key) is not None:
            values[key] = from_file[key]
    missing = [k.upper() for k, v in values.items() if v is None]
    if missing:
        raise ValueError(f"--psf {spec!r} lacks {', '.join(missing)} and '{meta.path}' does "
                         "not record them; give widefield:NA,WAVELENGTH,N,PIXEL,ZSTEP (µm)")
    psf = restore.psf.widefield(values["na"], values["wavelength"], values["n"],
                                values["pixel"], values["zstep"])
    if per_slice:
        psf = psf[psf.shape[0] // 2]
        psf = psf / psf.sum()
    return psf, values


def psfs_for(specs, meta, *, per_slice=False):
    """One PSF per channel of the stack `meta` describes.

    Parameters
    ----------
    specs : sequence of str
        ``--psf`` values: one for every channel, one per channel, or one PSF
        file holding a C axis (C, Z, Y, X) with one PSF per channel.
    meta : StackMeta
    per_slice : bool
        2-D PSFs (the stack is restored plane by plane).

    Returns
    -------
    psfs : list of ndarray
        One per channel (float64, normalised).
    described : list of str
        How each was made, for the record.
    """
    ndim = 2 if per_slice else sum(a in "ZYX" for a in meta.axes)
    channels = meta.channels
    specs = list(specs)
    if len(specs) == 1 and not _is_widefield(specs[0]) and \
            Path(specs[0]).suffix.lower() in restore.psf.FILE_SUFFIXES:
        import tifffile

        path = specs[0]
        raw = tifffile.imread(path) if Path(path).suffix.lower() in (".tif", ".tiff") \
            else None
        if raw is not None and raw.ndim == ndim + 1 and channels > 1:
            if raw.shape[0] != channels:
                raise ValueError(f"--psf file '{path}' holds {raw.shape[0]} PSFs but "
                                 f"'{meta.path}' has {channels} channels; give one per channel")
            psfs = [restore.psf.center(restore.psf.normalize(np.asarray(p, np.float64)))
                    for p in raw]
            return psfs, [f"{path}[{c}]" for c in range(channels)]
    if len(specs) not in (1, channels):
        raise ValueError(f"--psf was given {len(specs)} times but '{meta.path}' has "
                         f"{channels} channel(s); give one PSF, or one per channel")
    psfs, described = [], []
    for channel in range(channels):
        spec = specs[channel if len(specs) > 1 else 0]
        if _is_widefield(spec):
            psf, values = _widefield(spec, meta, channel, per_slice)
            text = "widefield:" + ",".join(f"{k}={v:g}" for k, v in values.items())
        else:
            psf = restore.psf.from_spec(spec, ndim=ndim)
            text = spec
        psfs.append(psf)
        described.append(text)
    return psfs, described
