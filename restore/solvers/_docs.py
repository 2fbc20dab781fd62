"""The numpydoc sections every solver's docstring shares, written once.

A solver's docstring names a section as ``%(name)s`` on a line of its own,
indented as a parameter (4 spaces); :func:`shared_docstring` fills it in.
"""

SECTIONS = {
    "image": """image : (M[, N[, P]]) array_like
        Observed image f (1-D, 2-D or 3-D), NumPy or CuPy; the result has the
        same type.""",
    "psf": """psf : array_like or str
        PSF (one axis per image axis) or a spec such as ``"gauss:2"``;
        normalised to sum 1. Where it is longer than the image (a measured
        PSF with more planes than a thin stack), the image is mirrored out
        to the PSF's length for the solve and cropped back, with a warning.""",
    "boundary_closed_form": """boundary : {"auto", "reflect", "smooth", "periodic"}, optional
        What the scene is beyond the field of view
        (:data:`restore.operators.BOUNDARY_MODES`): mirrored (consistent with
        mirror-symmetric PSFs), continued smoothly with no mirrored detail
        (right for asymmetric PSFs such as motion blur), or wrapping around.
        "auto" (default) picks "smooth" for signals and images (a real scene
        does not mirror at the edge of the field of view) and, for volumes,
        "reflect" for PSFs symmetric under flipping each axis and "smooth"
        otherwise (:func:`restore.operators.resolve_closed_form_boundary`).""",
    "boundary_iterative": """boundary : {"auto", "reflect", "smooth", "periodic", "unknown"}, optional
        What the scene is beyond the field of view
        (:data:`restore.operators.BOUNDARY_MODES`): as for the closed-form
        solvers, or "unknown": the scene beyond the field of view is
        estimated and only the observed pixels are fitted (no ringing from
        the borders). "auto" (default) picks "unknown" when the image fades
        towards its edges (a dark surround) or, in a 1-D or 2-D image, the
        PSF is longer than 0.04 of its side (25 PSF lengths across or less)
        (:func:`restore.operators.psf_spans_image`), else "reflect" for
        mirror-symmetric PSFs and "smooth" otherwise. TV and the wavelet
        solver take "unknown" after all where their λ search cannot fit a
        mirrored or smoothed 1-D or 2-D image down to its noise (the info's
        ``boundary_method`` says so).""",
    "channel_axis": """channel_axis : int, optional
        Axis of colour channels, each restored on its own.""",
    "callback": """callback : callable, optional
        ``callback(k, estimate)`` after iteration k (1-based) of the final
        solve, with the estimate's field of view.""",
    "return_info": """return_info : bool, optional
        Also return a :class:`RestoreInfo`: the parameters used (automatic
        choices resolved, with the method that chose them) and, for the
        iterative solvers, the iterations, why they stopped and one history
        record per iteration.""",
    "returns": """Returns
    -------
    estimate : ndarray
        Restored image, an array of its own (C-contiguous), float32 unless
        `image` is float64.
    info : RestoreInfo
        Only with ``return_info=True``.""",
}


def shared_docstring(func):
    """Fill the ``%(name)s`` sections of `func`'s docstring from :data:`SECTIONS`."""
    doc = func.__doc__
    for name, text in SECTIONS.items():
        doc = doc.replace(f"%({name})s", text)
    if "%(" in doc:
        raise KeyError(f"{func.__name__}'s docstring names an unknown shared section")
    func.__doc__ = doc
    return func
