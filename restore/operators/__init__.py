"""The forward model and the grid the solvers work on.

- :mod:`.boundaries`: the boundary names (:data:`BOUNDARY_MODES`, what each
  assumes beyond the field of view), the work-grid layout of each, how the
  scene is continued there, and ``boundary="auto"``;
- :mod:`.blur`: :class:`Blur`, the convolution operator H with Hᵀ and its
  Fourier-domain pieces, and :func:`blur`, the forward model for simulation;
- :mod:`.domain`: :class:`WorkDomain`, an observation on the periodic work
  grid, which every solver inverts;
- :mod:`.inputs`: :func:`prepare`, an image and a PSF checked (with
  :mod:`restore._checks`) and converted at the public edge.
"""

from .blur import (
    ADJOINT_BOUNDARIES,
    Blur,
    blur,
    forget_otfs,
    psf_centre,
    reusing_otfs,
    separable_factors,
)
from .boundaries import (
    BOUNDARY_MODES,
    CLOSED_FORM_BOUNDARIES,
    CUT_GAP,
    FADE_RATIO,
    FORWARD_BOUNDARIES,
    ITERATIVE_BOUNDARIES,
    PIECE_BOUNDARIES,
    WORK_BOUNDARIES,
    check_boundary,
    cosine_axes,
    edges_fade,
    extend,
    extend_piece,
    fast_multiple,
    grid_layout,
    is_mirror_symmetric,
    piece_layout,
    psf_spans_image,
    resolve_boundary,
    resolve_closed_form_boundary,
    solved_unknown,
    smooth_extension,
)
from .domain import (
    SLOW_MIN_PIXELS,
    SLOW_PRIME,
    SlowFFTWarning,
    WorkDomain,
    difference_power,
    mirroring_axes,
    warn_slow_periodic,
)
from .inputs import mirror_out, prepare

__all__ = [
    "ADJOINT_BOUNDARIES", "BOUNDARY_MODES", "Blur", "CLOSED_FORM_BOUNDARIES", "CUT_GAP",
    "FADE_RATIO", "FORWARD_BOUNDARIES", "ITERATIVE_BOUNDARIES", "PIECE_BOUNDARIES",
    "SLOW_MIN_PIXELS", "SLOW_PRIME",
    "SlowFFTWarning", "WORK_BOUNDARIES", "WorkDomain", "blur", "check_boundary",
    "cosine_axes", "difference_power", "edges_fade", "extend", "extend_piece",
    "fast_multiple", "forget_otfs", "grid_layout", "is_mirror_symmetric", "mirror_out",
    "mirroring_axes", "piece_layout", "prepare", "psf_centre", "psf_spans_image",
    "resolve_boundary", "resolve_closed_form_boundary", "reusing_otfs", "separable_factors",
    "solved_unknown",
    "smooth_extension", "warn_slow_periodic",
]
