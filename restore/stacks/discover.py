"""Turn the inputs a person names (files, folders, globs) into a list of stacks."""

import glob
from pathlib import Path

from .stackio import is_zarr

__all__ = ["STACK_SUFFIXES", "discover", "output_stem"]

#: File suffixes read as stacks (a Zarr directory is recognised by its metadata).
STACK_SUFFIXES = (".tif", ".tiff")


def _is_stack(path):
    return is_zarr(path) or (path.is_file() and path.suffix.lower() in STACK_SUFFIXES)


def _in_folder(folder):
    """Stacks in `folder`: its TIFF files and Zarr stores, not hidden ones, sorted."""
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue  # temporary outputs and the like
        if _is_stack(path):
            found.append(path)
    return found


def discover(inputs):
    """The stacks named by `inputs`, in order, each once.

    Parameters
    ----------
    inputs : sequence of str or path-like
        Files (``.tif``, ``.tiff``, OME-TIFF), Zarr directories, folders
        (their TIFF files and Zarr stores, not descending further) or glob
        patterns (``data/*.tif``, ``**`` for subfolders).

    Returns
    -------
    list of Path

    Raises
    ------
    ValueError
        If an input names nothing that exists, or a file that is not a stack.

    Examples
    --------
    >>> [p.name for p in discover(["data/stack*.tif"])]
    ['stack.tif', 'stack_clean.tif']
    """
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    found, seen = [], set()
    for item in inputs:
        text = str(item)
        path = Path(text)
        if path.exists():
            if _is_stack(path):
                matches = [path]
            elif path.is_dir():
                matches = _in_folder(path)
                if not matches:
                    raise ValueError(f"input folder '{text}' holds no TIFF or Zarr stacks")
            else:
                raise ValueError(f"input '{text}' is not a stack; give .tif/.tiff files, "
                                 "Zarr directories, folders or glob patterns")
        elif glob.has_magic(text):
            matches = [Path(m) for m in sorted(glob.glob(text, recursive=True))]
            matches = [m for m in matches if _is_stack(m) and not m.name.startswith(".")]
            if not matches:
                raise ValueError(f"input pattern '{text}' matches no TIFF or Zarr stacks")
        else:
            raise ValueError(f"input '{text}' does not exist; check the name and path")
        for match in matches:
            key = match.resolve()
            if key not in seen:
                seen.add(key)
                found.append(match)
    return found


def output_stem(path):
    """The name of `path` without its stack suffix (``a.ome.tif`` -> ``a``)."""
    name = Path(path).name
    lower = name.lower()
    for suffix in (".ome.tiff", ".ome.tif", ".ome.zarr", ".tiff", ".tif", ".zarr"):
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name
