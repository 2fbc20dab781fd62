"""Microscopy stacks: batch, bigger-than-memory and distributed deconvolution.

``restore.stacks`` runs the solvers over TIFF/OME-TIFF/Zarr stacks chunk by
chunk with :mod:`dask.array` (``map_overlap``, a halo of the PSF's support),
within a memory limit, on the local scheduler or a ``dask.distributed``
cluster, and writes the results (with their calibration and a record of
what was done) without ever leaving a partial file.

Modules: :mod:`~restore.stacks.discover` (inputs -> stacks),
:mod:`~restore.stacks.stackio` (reading and writing with metadata),
:mod:`~restore.stacks.plan` (memory limit -> chunks and halo),
:mod:`~restore.stacks.process` (chunked solves, parameters decided once),
:mod:`~restore.stacks.batch` (the batch driver behind ``restore batch``).

Examples
--------
>>> import numpy as np, restore
>>> from restore.stacks import deconvolve_stack
>>> volume = np.random.default_rng(0).poisson(20, (16, 64, 64)).astype(np.float32)
>>> out = deconvolve_stack(volume, restore.psf.gaussian((1.0, 1.5, 1.5)), method="rl",
...                        iterations=5, memory_limit="20MB")
>>> out.shape
(16, 64, 64)
"""

from .discover import discover
from .plan import ChunkPlan, parse_memory, plan_chunks
from .process import METHODS, VolumeReport, deconvolve_stack, restore_volume
from .stackio import StackMeta, open_stack, read_record

__all__ = ["METHODS", "ChunkPlan", "StackMeta", "VolumeReport", "deconvolve_stack",
           "discover", "open_stack", "parse_memory", "plan_chunks", "read_record",
           "restore_volume"]
