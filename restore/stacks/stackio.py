"""Read and write microscopy stacks lazily, with their calibration.

Reads TIFF (plain, ImageJ hyperstack, OME-TIFF) and Zarr (a plain array or an
OME-Zarr image) as a lazy :mod:`dask.array` plus a :class:`StackMeta` holding
the axes, voxel size, unit, channel names, the optics the metadata records and
the ImageJ/OME fields worth carrying over. Writes ImageJ TIFF, OME-TIFF or
OME-Zarr (NGFF 0.5) with the same calibration and a ``restore`` record of the
method and parameters, always under a temporary name renamed when complete.

The data are read region by region (a chunk opens the file, copies its part
and closes it again), so a stack bigger than memory is never loaded whole and
the reader pickles (a ``dask.distributed`` worker can open it too).
"""

import contextlib
import itertools
import json
import os
import shutil
import tempfile
import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._signals import raise_if_received

__all__ = [
    "RECORD_TAG",
    "StackMeta",
    "atomic_directory",
    "is_zarr",
    "open_stack",
    "read_record",
    "write_tiff",
    "write_zarr_begin",
]

#: Private TIFF tag holding the JSON record of what restore did.
RECORD_TAG = 65000
#: Axes restore treats as space.
SPATIAL = "ZYX"
#: ImageJ hyperstack axis order.
IMAGEJ_ORDER = "TZCYX"
_MICRO = "µm"
_UNIT_WORDS = {
    "um": _MICRO, "µm": _MICRO, "μm": _MICRO, "micron": _MICRO, "microns": _MICRO,
    "micrometer": _MICRO, "micrometre": _MICRO, "\\u00b5m": _MICRO, "nm": "nm",
    "nanometer": "nm", "mm": "mm", "millimeter": "mm", "m": "m", "meter": "m",
}
#: Factor from a unit to µm.
_TO_MICRONS = {_MICRO: 1.0, "nm": 1e-3, "mm": 1e3, "m": 1e6}


@dataclass
class StackMeta:
    """What a stack is and how it was calibrated.

    Attributes
    ----------
    path : Path
        The file (TIFF) or directory (Zarr) read.
    format : str
        "imagej", "ome-tiff", "tiff", "zarr" or "ome-zarr".
    shape : tuple of int
    dtype : numpy.dtype
    axes : str
        One letter per axis: T (time), C (channel), Z, Y, X; Q for an unnamed
        axis (treated like time: each entry restored on its own).
    voxel_size : dict
        Axis letter -> size in `unit` (only the axes the file calibrates).
    unit : str or None
        Unit of `voxel_size` ("µm", "nm"...).
    channel_names : list of str or None
    optics : dict
        What the metadata records of the microscope: "na",
        "refractive_index", "wavelengths" (µm, one per channel, None where
        unknown).
    extra : dict
        ImageJ fields (finterval, LUTs, ranges...) or OME fields carried over.
    component : str or None
        The array's path inside a Zarr group.
    """

    path: Path
    format: str
    shape: tuple
    dtype: np.dtype
    axes: str
    voxel_size: dict = field(default_factory=dict)
    unit: str | None = None
    channel_names: list | None = None
    optics: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    component: str | None = None

    @property
    def channel_axis(self):
        """Index of the channel axis (C or S), or None."""
        return next((i for i, a in enumerate(self.axes) if a in "CS"), None)

    @property
    def channels(self):
        """Number of channels (1 without a channel axis)."""
        axis = self.channel_axis
        return 1 if axis is None else self.shape[axis]

    def voxel_size_microns(self, axis):
        """The size along `axis` in µm, or None when unknown."""
        size = self.voxel_size.get(axis)
        factor = _TO_MICRONS.get(self.unit) if self.unit else None
        if size is None or factor is None:
            return None
        return size * factor


def _unit(text):
    if text is None:
        return None
    text = str(text).strip()
    return _UNIT_WORDS.get(text.lower(), _UNIT_WORDS.get(text, text or None))


# --------------------------------------------------------------------- reading


def is_zarr(path):
    """True when `path` is a Zarr array or group (a directory with Zarr metadata)."""
    path = Path(path)
    return path.is_dir() and any(
        (path / name).exists() for name in ("zarr.json", ".zarray", ".zgroup"))


class _Region:
    """A picklable array-like that reads one region of a stack per indexing call."""

    def __init__(self, path, kind, shape, dtype, component=None):
        self.path = str(path)
        self.kind = kind
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.ndim = len(self.shape)
        self.component = component

    def __getitem__(self, index):
        if self.kind == "zarr":
            import zarr

            node = zarr.open(self.path, mode="r")
            if self.component:
                node = node[self.component]
            return np.asarray(node[index])
        import tifffile
        import zarr

        with tifffile.TiffFile(self.path) as tif:
            series = tif.series[0]
            try:
                mapped = tif.filehandle.is_file and series.dataoffset is not None
            except Exception:  # noqa: BLE001 - any doubt: read through the Zarr store
                mapped = False
            if mapped:
                region = _read_mapped(self.path, np.dtype(tif.byteorder + series.dtype.char),
                                      series.dataoffset, tuple(series.shape),
                                      _reshaped(index, series.shape, self.shape))
                return region.reshape(_region_shape(index, self.shape)).astype(
                    self.dtype, copy=False)
            with series.aszarr() as store:
                node = zarr.open(store, mode="r")
                region = np.asarray(node[_reshaped(index, series.shape, self.shape)])
            return region.reshape(_region_shape(index, self.shape))


def _read_mapped(path, dtype, offset, shape, index):
    """`index` of the C-ordered array of `shape` stored at `offset` in `path`,
    through a memory map of one plane's rows at a time.

    A region's rows are whole pages of the file, however few columns it
    takes: mapping the region at once put every row it crosses, full width,
    in the resident set (44 MB of file pages for a 32×282×282 chunk of a
    2420-wide uint16 stack, one per chunk solved at once); a plane's band
    of rows is a thirty-second of that. Each map is let go at once.
    """
    index = index if isinstance(index, tuple) else (index,)
    index = index + (slice(None),) * (len(shape) - len(index))
    if len(shape) < 3 or not all(isinstance(s, slice) and s.step in (None, 1) for s in index):
        memmap = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)
        region = np.array(memmap[index])
        del memmap  # unmapped at once: its pages leave the resident set
        return region
    (r0, r1, _), (c0, c1, _) = index[-2].indices(shape[-2]), index[-1].indices(shape[-1])
    planes = [range(*s.indices(n)) for s, n in zip(index[:-2], shape[:-2])]
    region = np.empty([len(p) for p in planes] + [max(r1 - r0, 0), max(c1 - c0, 0)], dtype)
    if region.size == 0:
        return region
    row = shape[-1] * dtype.itemsize
    for place, plane in zip(itertools.product(*[range(len(p)) for p in planes]),
                            itertools.product(*planes)):
        flat = int(np.ravel_multi_index(plane, shape[:-2]))
        band = np.memmap(path, dtype=dtype, mode="r", shape=(r1 - r0, shape[-1]),
                         offset=offset + (flat * shape[-2] + r0) * row)
        region[place] = band[:, c0:c1]
        del band
    return region


def _reshaped(index, stored_shape, shape):
    """`index` (for `shape`) for the stored array, which may have extra 1-long axes."""
    if tuple(stored_shape) == tuple(shape):
        return index
    # the series' own shape drops or adds length-1 axes only; map by skipping them
    index = index if isinstance(index, tuple) else (index,)
    full = list(index) + [slice(None)] * (len(shape) - len(index))
    kept = [i for i, n in zip(full, shape) if n != 1]
    out, k = [], 0
    for n in stored_shape:
        if n == 1:
            out.append(slice(None))
        else:
            out.append(kept[k])
            k += 1
    return tuple(out)


def _region_shape(index, shape):
    index = index if isinstance(index, tuple) else (index,)
    full = list(index) + [slice(None)] * (len(shape) - len(index))
    return tuple(len(range(*s.indices(n))) for s, n in zip(full, shape)
                 if isinstance(s, slice))


def open_stack(path, *, chunks=None):
    """Open a TIFF/OME-TIFF/ImageJ stack or a Zarr array lazily.

    Parameters
    ----------
    path : str or path-like
        A ``.tif``/``.tiff`` file or a Zarr directory (``.zarr``, an OME-Zarr
        image).
    chunks : tuple of int, optional
        Chunk shape of the spatial axes (Z, Y, X present, in the stored
        order) read at a time; each other axis is read one entry at a time.
        Default: one whole volume per chunk.

    Returns
    -------
    data : dask.array.Array
        The stack in its stored dtype and axis order, read on demand.
    meta : StackMeta
        Axes, calibration, channel names and what else is carried over.

    Raises
    ------
    ValueError
        If the file is not a readable stack.

    Examples
    --------
    >>> import os, tempfile, tifffile
    >>> path = os.path.join(tempfile.mkdtemp(), "cells.tif")
    >>> tifffile.imwrite(path, np.zeros((4, 8, 8), np.uint16), imagej=True,
    ...                  resolution=(10, 10),
    ...                  metadata={"axes": "ZYX", "spacing": 0.3, "unit": "um"})
    >>> data, meta = open_stack(path)
    >>> meta.axes, sorted(meta.voxel_size.items()), meta.unit
    ('ZYX', [('X', 0.1), ('Y', 0.1), ('Z', 0.3)], 'µm')
    """
    import dask.array as da

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"input '{path}' does not exist; check the name and path")
    try:
        meta = _zarr_meta(path) if is_zarr(path) else _tiff_meta(path)
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as error:  # noqa: BLE001 - any reader failure is an unusable file
        if isinstance(error, (ValueError, FileNotFoundError)) and str(path) in str(error):
            raise
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ValueError(f"'{path}' is not a readable stack ({reason}); give a TIFF, "
                         "OME-TIFF or Zarr stack") from None
    if meta.dtype.kind not in "uif" or len(meta.shape) < 2 or 0 in meta.shape:
        raise ValueError(f"'{path}' holds {meta.dtype} data of shape {meta.shape}; give "
                         "a stack of real numbers with at least two axes")
    data = da.from_array(region_reader(meta), chunks=_read_chunks(meta, chunks),
                         name=f"read-{uuid.uuid4().hex}",
                         meta=np.empty((0,) * len(meta.shape), meta.dtype))
    return data, meta


def region_reader(meta):
    """A picklable reader of `meta`'s stack: ``reader[index]`` reads just that region."""
    kind = "zarr" if meta.format in ("zarr", "ome-zarr") else "tiff"
    return _Region(meta.path, kind, meta.shape, meta.dtype, meta.component)


def _read_chunks(meta, chunks=None):
    """One chunk per spatial volume, or `chunks` along the spatial axes."""
    spatial = iter(chunks) if chunks is not None else None
    return tuple((next(spatial) if spatial is not None else n) if a in SPATIAL else 1
                 for a, n in zip(meta.axes, meta.shape))


def _tiff_meta(path):
    import tifffile

    if path.suffix.lower() not in (".tif", ".tiff"):
        raise ValueError(f"'{path}' is not a TIFF (.tif/.tiff) file or a Zarr directory; "
                         "give a TIFF, OME-TIFF or Zarr stack")
    with tifffile.TiffFile(path) as tif:
        if not tif.series:
            raise ValueError(f"'{path}' holds no images")
        series = tif.series[0]
        shape, dtype = tuple(series.shape), np.dtype(series.dtype)
        axes = series.axes.upper()
        page = series.pages[0]
        imagej = tif.imagej_metadata if tif.is_imagej else None
        ome = tif.ome_metadata if tif.is_ome else None
        resolution = getattr(page, "resolution", None)
        resolution_unit = int(getattr(page, "resolutionunit", 1) or 1)
    axes = _name_axes(axes)
    meta = StackMeta(path=path, format="tiff", shape=shape, dtype=dtype, axes=axes)
    if ome:
        meta.format = "ome-tiff"
        _read_ome(meta, ome)
    elif imagej is not None:
        meta.format = "imagej"
        _read_imagej(meta, imagej, resolution)
    elif resolution and resolution_unit in (2, 3) and all(resolution):
        # inch or centimetre resolution tags: pixels per unit
        per_micron = {2: 25400.0, 3: 10000.0}[resolution_unit]
        meta.unit = _MICRO
        meta.voxel_size.update({"X": per_micron / resolution[0],
                                "Y": per_micron / resolution[1]})
    return meta


def _name_axes(axes):
    """tifffile letters -> restore's: S kept as a channel axis; I/P/Q unnamed."""
    axes = axes.replace("I", "Q").replace("P", "Q")
    if "Z" not in axes and axes.count("Q") == 1 and axes.endswith("QYX"):
        axes = axes.replace("Q", "Z")  # a plain multi-page stack: its pages are planes
    return axes


def _read_imagej(meta, imagej, resolution):
    unit = _unit(imagej.get("unit"))
    if unit:
        meta.unit = unit
        if resolution and all(resolution):
            meta.voxel_size.update({"X": 1.0 / resolution[0], "Y": 1.0 / resolution[1]})
        if imagej.get("spacing") and "Z" in meta.axes:
            meta.voxel_size["Z"] = float(imagej["spacing"])
    labels = imagej.get("Labels")
    if labels and meta.channel_axis is not None and len(labels) >= meta.channels:
        meta.channel_names = [str(x) for x in labels[: meta.channels]]
    for key in ("finterval", "fps", "loop", "mode", "LUTs", "Info", "Properties",
                "Ranges", "min", "max", "tunit", "yorigin", "xorigin", "zorigin"):
        if key in imagej:
            meta.extra[key] = imagej[key]


def _xml_children(element, name):
    return [child for child in element.iter() if child.tag.rsplit("}", 1)[-1] == name]


def _read_ome(meta, xml):
    root = ElementTree.fromstring(xml)
    images = _xml_children(root, "Image")
    if not images:
        return
    image = images[0]
    pixels = _xml_children(image, "Pixels")[0]
    units = set()
    for axis in SPATIAL:
        value = pixels.get(f"PhysicalSize{axis}")
        if value is not None and axis in meta.axes:
            meta.voxel_size[axis] = float(value)
            units.add(_unit(pixels.get(f"PhysicalSize{axis}Unit", _MICRO)))
    if len(units) > 1:  # mixed units: bring them to µm
        for axis in list(meta.voxel_size):
            unit = _unit(pixels.get(f"PhysicalSize{axis}Unit", _MICRO))
            meta.voxel_size[axis] *= _TO_MICRONS.get(unit, 1.0)
        units = {_MICRO}
    meta.unit = units.pop() if units else None
    channels = _xml_children(pixels, "Channel")
    names = [c.get("Name") for c in channels]
    if channels and all(names) and meta.channel_axis is not None:
        meta.channel_names = names[: meta.channels]
    wavelengths = []
    for channel in channels:
        value = channel.get("EmissionWavelength")
        unit = _unit(channel.get("EmissionWavelengthUnit", "nm"))
        wavelengths.append(float(value) * _TO_MICRONS.get(unit, 1e-3) if value else None)
    if any(w is not None for w in wavelengths):
        meta.optics["wavelengths"] = wavelengths
    for objective in _xml_children(root, "Objective"):
        if objective.get("LensNA"):
            meta.optics["na"] = float(objective.get("LensNA"))
    for settings in _xml_children(image, "ObjectiveSettings"):
        if settings.get("RefractiveIndex"):
            meta.optics["refractive_index"] = float(settings.get("RefractiveIndex"))
    if pixels.get("TimeIncrement"):
        meta.extra["TimeIncrement"] = float(pixels.get("TimeIncrement"))
        meta.extra["TimeIncrementUnit"] = pixels.get("TimeIncrementUnit", "s")
    description = _xml_children(image, "Description")
    if description and description[0].text:
        meta.extra["Description"] = description[0].text


def _zarr_meta(path):
    import zarr

    node = zarr.open(str(path), mode="r")
    component = None
    attributes = dict(node.attrs)
    ome = attributes.get("ome", attributes)
    multiscales = ome.get("multiscales") if isinstance(ome, dict) else None
    axes, scale, units = None, None, set()
    if isinstance(node, zarr.Group):
        if not multiscales:
            arrays = sorted(name for name, _ in node.arrays())
            if not arrays:
                raise ValueError(f"'{path}' is a Zarr group without arrays")
            component = arrays[0]
        else:
            image = multiscales[0]
            component = image["datasets"][0]["path"]
            axes = "".join(a["name"][0].upper() if isinstance(a, dict) else a[0].upper()
                           for a in image.get("axes", []))
            units = {_unit(a.get("unit")) for a in image.get("axes", [])
                     if isinstance(a, dict) and a.get("type") == "space" and a.get("unit")}
            for transform in image["datasets"][0].get("coordinateTransformations", []):
                if transform.get("type") == "scale":
                    scale = transform["scale"]
        array = node[component]
    else:
        array = node
        axes = attributes.get("axes") if isinstance(attributes.get("axes"), str) else None
    shape, dtype = tuple(array.shape), np.dtype(array.dtype)
    if not axes or len(axes) != len(shape):
        axes = _default_axes(len(shape))
    meta = StackMeta(path=path, format="ome-zarr" if multiscales else "zarr", shape=shape,
                     dtype=dtype, axes=axes, component=component)
    if scale and len(scale) == len(axes):
        meta.voxel_size = {a: float(s) for a, s in zip(axes, scale) if a in SPATIAL}
        meta.unit = units.pop() if len(units) == 1 else None
    omero = ome.get("omero") if isinstance(ome, dict) else None
    if omero and meta.channel_axis is not None:
        names = [c.get("label") for c in omero.get("channels", [])]
        if names and all(names):
            meta.channel_names = names[: meta.channels]
    return meta


def _default_axes(ndim):
    return "YX" if ndim == 2 else "ZYX" if ndim == 3 else "Q" * (ndim - 3) + "ZYX"


def read_record(path):
    """The ``restore`` record (dict) an output was written with, or None.

    Examples
    --------
    >>> read_record("data/stack.tif") is None
    True
    """
    path = Path(path)
    if is_zarr(path):
        import zarr

        attributes = dict(zarr.open(str(path), mode="r").attrs)
        return attributes.get("restore")
    import tifffile

    with tifffile.TiffFile(path) as tif:
        tag = tif.pages[0].tags.get(RECORD_TAG)
        return None if tag is None else json.loads(tag.value)


# --------------------------------------------------------------------- writing


@contextlib.contextmanager
def atomic_directory(path):
    """Yield a temporary directory beside `path`; rename it to `path` when done.

    An existing `path` is moved aside first and removed only after the rename,
    so at every moment either the old or the new complete result is there.
    """
    path = Path(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        yield tmp
        raise_if_received()  # a Ctrl-C some library swallowed: no output after it
        old = None
        if path.exists():
            old = path.with_name(f".{path.name}.old-{uuid.uuid4().hex[:8]}")
            os.rename(path, old)
        os.rename(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def record_json(record):
    return json.dumps(record, default=_jsonable, sort_keys=True)


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return str(value)


def write_tiff(tmp, data, meta, record, *, ome=False):
    """Write `data` (axes ``meta.axes``) as ImageJ TIFF or OME-TIFF to `tmp`.

    ImageJ hyperstacks need the axes in TZCYX order and uint8, uint16 or
    float32 data; anything else (or ``ome=True``) is written as OME-TIFF.
    Calibration, channel names and the carried fields go with it; `record`
    (JSON) goes in a private tag, and into ImageJ's Info / OME's Description.
    """
    import tifffile

    text = record_json(record)
    extratags = [(RECORD_TAG, "s", 0, text, True)]
    axes = meta.axes.replace("Q", "T") if meta.axes.count("Q") == 1 and "T" not in meta.axes \
        else meta.axes
    imagej_ok = (not ome and _is_subsequence(axes, IMAGEJ_ORDER)
                 and data.dtype in (np.uint8, np.uint16, np.float32))
    if imagej_ok:
        metadata = {"axes": axes}
        for key in ("finterval", "fps", "loop", "LUTs", "tunit", "yorigin", "xorigin",
                    "zorigin"):
            if key in meta.extra:
                metadata[key] = meta.extra[key]
        if meta.extra.get("mode") in ("composite", "color", "grayscale"):
            metadata["mode"] = meta.extra["mode"]
        info = meta.extra.get("Info")
        metadata["Info"] = (f"{info}\n" if info else "") + f"restore: {text}"
        if meta.unit:
            metadata["unit"] = "um" if meta.unit == _MICRO else meta.unit
        if "Z" in meta.voxel_size:
            metadata["spacing"] = meta.voxel_size["Z"]
        if meta.channel_names:
            metadata["Labels"] = _imagej_labels(meta, axes, data.shape)
        resolution = None
        if "X" in meta.voxel_size and "Y" in meta.voxel_size:
            resolution = (1.0 / meta.voxel_size["X"], 1.0 / meta.voxel_size["Y"])
        tifffile.imwrite(tmp, data, imagej=True, resolution=resolution, metadata=metadata,
                         extratags=extratags)
        return "imagej"
    metadata = {"axes": meta.axes}
    for axis, size in meta.voxel_size.items():
        metadata[f"PhysicalSize{axis}"] = size
        if meta.unit:
            metadata[f"PhysicalSize{axis}Unit"] = meta.unit
    if meta.channel_names:
        metadata["Channel"] = {"Name": list(meta.channel_names)}
    if "TimeIncrement" in meta.extra:
        metadata["TimeIncrement"] = meta.extra["TimeIncrement"]
        metadata["TimeIncrementUnit"] = meta.extra["TimeIncrementUnit"]
    description = meta.extra.get("Description")
    metadata["Description"] = (f"{description}\n" if description else "") + \
        f"restore: {text}"
    tifffile.imwrite(tmp, data, ome=True, photometric="minisblack", metadata=metadata,
                     extratags=extratags)
    return "ome-tiff"


def _imagej_labels(meta, axes, shape):
    """ImageJ's per-plane labels: the channel name of each plane, in TZC order."""
    planes = [n for a, n in zip(axes, shape) if a not in "YX"]
    channel = axes.replace("Y", "").replace("X", "").find("C")
    labels = []
    for index in np.ndindex(*planes):
        labels.append(meta.channel_names[index[channel]] if channel >= 0 else "")
    return labels


def _is_subsequence(axes, order):
    position = -1
    for a in axes:
        position = order.find(a, position + 1)
        if position < 0:
            return False
    return True


_NGFF_TYPES = {"T": "time", "C": "channel", "Z": "space", "Y": "space", "X": "space"}
_NGFF_NAMES = {"T": "t", "C": "c", "Z": "z", "Y": "y", "X": "x"}


def write_zarr_begin(tmp, meta, shape, dtype, chunks, record):
    """Create an OME-Zarr image (NGFF 0.5, one scale) in directory `tmp`.

    Returns the Zarr array (path "0") into which the result is stored chunk by
    chunk; the calibration, channel names and `record` are in the group's
    attributes.
    """
    import zarr

    group = zarr.open_group(str(tmp), mode="w", zarr_format=3)
    axes_letters = meta.axes.replace("Q", "T") if meta.axes.count("Q") == 1 else meta.axes
    axes = []
    for letter in axes_letters:
        entry = {"name": _NGFF_NAMES.get(letter, letter.lower())}
        if letter in _NGFF_TYPES:
            entry["type"] = _NGFF_TYPES[letter]
        if letter in SPATIAL and meta.unit:
            entry["unit"] = "micrometer" if meta.unit == _MICRO else meta.unit
        axes.append(entry)
    scale = [float(meta.voxel_size.get(a, 1.0)) for a in axes_letters]
    ome = {"version": "0.5", "multiscales": [{
        "name": meta.path.name, "axes": axes,
        "datasets": [{"path": "0", "coordinateTransformations": [
            {"type": "scale", "scale": scale}]}],
    }]}
    if meta.channel_names:
        ome["omero"] = {"channels": [{"label": n} for n in meta.channel_names]}
    group.attrs.update({"ome": ome, "restore": json.loads(record_json(record)),
                        "carried": json.loads(record_json(meta.extra))})
    # float results are written as they are: restored float32 compressed
    # 1.15x with zarr's default zstd at ~0.2 s per 32x220x220 chunk (a fifth
    # of a 2-iteration RL batch, in series with the solves); integers keep it
    compressors = None if np.dtype(dtype).kind == "f" else "auto"
    return group.create_array("0", shape=shape, dtype=dtype, chunks=chunks,
                              fill_value=0, compressors=compressors)
