"""Boundary models: what the scene is taken to be beyond the field of view.

The one definition of the boundary names. The forward model
(:class:`~restore.operators.Blur`, :func:`~restore.blur`, ``restore simulate``),
every solver's work grid (:class:`~restore.operators.WorkDomain`), the CLI's
``--boundary`` choices and :func:`restore.compare` all read it, so a name means
the same model everywhere: :data:`BOUNDARY_MODES` says what each one assumes,
:func:`grid_layout` where the image sits on the periodic work grid for it.
"""

import math

import numpy as np

from .._backend import array_module, ndimage_module, next_fast_length

#: Every boundary model, with what it assumes about the scene beyond the edges.
BOUNDARY_MODES = {
    "reflect": "the scene beyond each edge is the mirror image of the scene inside it",
    "smooth": "the scene continues smoothly from each edge round to the opposite one, "
              "with no mirrored detail (right for asymmetric PSFs such as motion)",
    "periodic": "the scene wraps around: opposite edges meet",
    "zero": "the scene is zero (dark) beyond the edges",
    "unknown": "the scene beyond the edges is unknown: a solver estimates it and fits "
               "only the observed pixels",
}
#: What a forward model can apply ("unknown" describes an inverse problem only).
FORWARD_BOUNDARIES = ("reflect", "smooth", "periodic", "zero")
#: What a closed-form (Fourier-diagonal) solver can honour.
CLOSED_FORM_BOUNDARIES = ("reflect", "smooth", "periodic")
#: ... and an iterative solver on the same grid, which can also leave the
#: unseen border unknown and fit only the observed pixels.
ITERATIVE_BOUNDARIES = CLOSED_FORM_BOUNDARIES + ("unknown",)
#: Every mode a work grid supports (Richardson-Lucy takes them all).
WORK_BOUNDARIES = ITERATIVE_BOUNDARIES + ("zero",)


def check_boundary(boundary, allowed=tuple(BOUNDARY_MODES)):
    """Raise ValueError unless `boundary` is one of `allowed`."""
    if boundary not in allowed:
        raise ValueError(
            f"boundary={boundary!r} is not supported here; use one of "
            + ", ".join(repr(b) for b in allowed)
        )


#: An axis is mirrored by a DCT instead of padded where the padded FFT
#: length is at least this many times the image's. A DCT along one axis
#: costs 1.18× the real FFT along it (32×288×288, one thread), but padding
#: one axis enlarges the transforms along every axis and every pixel-wise
#: pass: RL per iteration at 64×256×256 (gauss:2, padding 1.125 in-plane)
#: 145–158 ms on the unpadded grid against 168–178 ms on 64×288×288, peak
#: memory 4.0× the input against 5.7×; at 128×512×512 (z padded 1.25×)
#: medians 1.17–1.37 s against 1.09–1.50 s, memory 5.0× against 6.3×.
#: Below 1.1 (512² and larger images under small PSFs) the pad is cheaper.
COSINE_GAIN = 1.1
#: ... and where the axis length has no prime factor above this (the DCT
#: runs an FFT of the axis's own length, which no padding makes fast).
COSINE_PRIME = 11


def cosine_axes(psf, shape):
    """The axes on which "reflect" is best met by a DCT: no padding at all.

    A DCT-II diagonalises the blur of an axis mirrored at both ends
    (half-sample symmetric, as ``np.pad(mode="symmetric")`` mirrors) by a
    mirror-symmetric kernel of odd length: the "reflect" model exactly, on
    the image's own length, where the FFT needs the image mirrored out by
    the PSF's reach and a seam (:func:`grid_layout`). Taken on the axes
    where that padding is :data:`COSINE_GAIN` or more of the length (a
    tall PSF's z axis; small images), the length is fast for a DCT
    (:data:`COSINE_PRIME`) and the backend has one. A PSF longer than the
    image (a thin stack) is fine on these axes.

    Examples
    --------
    >>> from restore.psf import gaussian
    >>> cosine_axes(gaussian((3.0, 1.2, 1.2)), (32, 512, 512))
    (0,)
    """
    from .._backend import has_dct

    xp = array_module(psf)
    if not has_dct(xp):
        return ()
    axes = []
    for axis, (n, k) in enumerate(zip(shape, psf.shape)):
        padded = next_fast_length(n + 3 * (k // 2 + 1))
        if (k % 2 and k > 1 and padded >= COSINE_GAIN * n
                and _largest_prime_factor(n) <= COSINE_PRIME
                and is_mirror_symmetric(psf, axes=(axis,))):
            axes.append(axis)
    return tuple(axes)


def _largest_prime_factor(n):
    largest, p = 1, 2
    while p * p <= n:
        while n % p == 0:
            largest, n = p, n // p
        p += 1
    return max(largest, n)


def grid_layout(psf_shape, shape, boundary, *, multiple=1, cosine=()):
    """The periodic work grid for an image of `shape` under `boundary`.

    Returns ``(work_shape, margin)``: the image sits at offset `margin` on
    a grid of fast FFT lengths (each a multiple of `multiple`). The margin is
    what the mode needs on each side: none for "periodic" (the grid is the
    image); the PSF's reach (``k // 2``) for "zero" and "unknown", every
    pixel that reaches the field of view; one more for "reflect", plus as
    much again after it where a smooth blend closes the periodic seam (two
    mirror images do not meet there); the PSF's size for "smooth", room for
    the blend. The `cosine` axes of "reflect" (:func:`cosine_axes`) are not
    padded: a DCT mirrors them.
    """
    check_boundary(boundary)
    if cosine and boundary != "reflect":
        raise ValueError(f"cosine axes mirror the image: boundary 'reflect', not {boundary!r}")
    if boundary == "periodic":
        return tuple(int(n) for n in shape), (0,) * len(shape)
    if boundary in ("unknown", "zero"):
        margin = tuple(k // 2 for k in psf_shape)
    elif boundary == "reflect":
        margin = tuple(k // 2 + 1 for k in psf_shape)
    else:  # smooth
        margin = tuple(psf_shape)
    seam = margin if boundary == "reflect" else (0,) * len(shape)
    work_shape = tuple(fast_multiple(n + 2 * m + g, multiple)
                       for n, m, g in zip(shape, margin, seam))
    if cosine:
        work_shape = tuple(n if a in cosine else w
                           for a, (n, w) in enumerate(zip(shape, work_shape)))
        margin = tuple(0 if a in cosine else m for a, m in enumerate(margin))
    return work_shape, margin


#: Pixels at least between the two ends of an axis cut on a side (see
#: :func:`piece_layout`), where a blend closes the periodic seam.
CUT_GAP = 4
#: The modes a piece of a larger image can be laid out in (:func:`piece_layout`).
PIECE_BOUNDARIES = ("reflect", "smooth")


def piece_layout(psf_shape, shape, boundary, cut, cosine=()):
    """The periodic work grid for a piece of a larger image (a chunk with its halo).

    `cut` gives, per axis, a pair of flags (before, after): true where the
    piece was cut out of the image, false where it ends at the image's own
    edge. An image edge gets the margin :func:`grid_layout` gives it under
    `boundary`; a cut side none, since the halo holds the scene there. An
    axis cut on both sides closes its periodic seam over :data:`CUT_GAP`
    pixels or more (up to the next fast FFT length) instead of the mode's
    margins and seam: the halo absorbs what the wrap does; an axis with one
    image edge keeps the seam "reflect" puts beyond its mirror there. An
    axis with no cut side is laid out exactly as :func:`grid_layout` does.

    The `cosine` axes ("reflect") are not padded: a DCT mirrors them
    (:func:`cosine_axes`) at the image's edges, as on the whole image, and
    at a cut side too, where the halo absorbs it as it absorbs the wrap.

    Returns ``(work_shape, pads)``: the piece sits at offset ``pads[a][0]``
    on axis `a`, with ``pads[a]`` = (before, after) the margin each side.
    Only "reflect" and "smooth" (:data:`PIECE_BOUNDARIES`) lay out pieces.
    """
    check_boundary(boundary, PIECE_BOUNDARIES)
    if len(cut) != len(shape) or len(psf_shape) != len(shape):
        raise ValueError(f"cut has {len(cut)} axes and the PSF {len(psf_shape)}, "
                         f"but the piece has {len(shape)}")
    full, margin = grid_layout(psf_shape, shape, boundary)
    work_shape, pads = [], []
    for axis, (n, m, w, (before, after)) in enumerate(zip(shape, margin, full, cut)):
        if axis in cosine:
            work_shape.append(n)
            pads.append((0, 0))
            continue
        if not (before or after):
            work_shape.append(w)
            pads.append((m, m))
            continue
        sides = (0 if before else m, 0 if after else m)
        # an image edge keeps "reflect"'s seam beyond its mirror, as on the whole image
        seam = m if boundary == "reflect" and not (before and after) else CUT_GAP
        work_shape.append(next_fast_length(n + sum(sides) + seam))
        pads.append(sides)
    return tuple(work_shape), tuple(pads)


def extend_piece(f, psf_shape, boundary, cut, cosine=()):
    """A piece of a larger image continued onto its :func:`piece_layout` grid.

    The image's own edges are continued as `boundary` continues them
    (mirrored for "reflect", a blend round to the opposite side for
    "smooth"); cut sides are not padded; the periodic seam of each axis is
    closed by :func:`smooth_extension`. Returns ``(extended, window)``,
    `window` the piece's place on the grid. A periodic solve on `extended`
    (``boundary="periodic"``, its `cosine` axes mirrored by
    :func:`~restore.operators.mirroring_axes`) treats the image's edges as
    `boundary` would.
    """
    xp = array_module(f)
    work_shape, pads = piece_layout(psf_shape, f.shape, boundary, cut, cosine)
    window = tuple(slice(a, a + n) for (a, _), n in zip(pads, f.shape))
    if boundary == "reflect":
        if any(a or b for a, b in pads):
            f = xp.pad(f, pads, mode="symmetric")
        offset = (0,) * f.ndim
    else:  # smooth: the blend fills every margin
        offset = tuple(a for a, _ in pads)
    return smooth_extension(f, work_shape, offset, xp), window


def fast_multiple(n, multiple):
    """Smallest fast FFT length >= n that is a multiple of `multiple`."""
    m = next_fast_length(n)
    while m % multiple:
        m = next_fast_length(m + 1)
    return m


def is_mirror_symmetric(psf, axes=None):
    """True when flipping `psf` along any one axis (of `axes`, default all)
    leaves it unchanged.

    Then a mirrored image, blurred, is the mirror of the blurred image, and
    reflecting the observation past its borders is consistent with the blur.
    """
    xp = array_module(psf)
    tolerance = 1e-6 * float(xp.abs(psf).max())
    axes = range(psf.ndim) if axes is None else axes
    return all(float(xp.abs(psf - xp.flip(psf, axis=a)).max()) <= tolerance for a in axes)



def resolve_boundary(boundary, psf, *, asymmetric, image=None, sigma=None, spanning=None):
    """Turn ``boundary="auto"`` into a mode: "reflect" for mirror-symmetric PSFs,
    `asymmetric` ("smooth" or "unknown") otherwise. Other values pass through.

    Given the `image`, an iterative solver (``asymmetric="unknown"`` allowed by
    the caller passing the image) also takes "unknown" when the image fades
    towards its edges (:func:`edges_fade`): a scene that was dark beyond the
    field of view, which mirroring would model as bright. `sigma` is the
    image's noise level when the caller has it (else estimated if needed).
    `spanning` is the mode where the PSF spans more than half the `image`
    on an axis (:func:`psf_spans_image`); None: no such rule.
    """
    if boundary != "auto":
        return boundary
    if image is not None and spanning is not None and psf_spans_image(psf.shape, image.shape):
        return spanning
    if image is not None and edges_fade(image, psf, sigma=sigma):
        return "unknown"
    return "reflect" if is_mirror_symmetric(psf) else asymmetric


def resolve_closed_form_boundary(boundary, psf):
    """Turn ``boundary="auto"`` into a mode for the closed-form solvers:
    "smooth" for 1-D signals and 2-D images whatever the PSF, as for
    volumes :func:`resolve_boundary` (mirror-symmetric PSFs "reflect", on a
    DCT grid with no padding; others "smooth"). Other values pass through.

    A real scene does not mirror at the edge of the field of view: on 49
    signals and images cut from larger scenes (the zoo's and 20 random
    crops, 48²–320², σ = 0.003–0.05) the smooth continuation was as good or
    better for Wiener and Tikhonov on all but one (a star field, −0.05 dB),
    by a median of 0.2 dB and up to 19 dB where the PSF is much of the field
    (coffee 64² under box:9, σ = 0.005: Tikhonov 8.99 -> 27.85 dB, the
    observation 24.14); below the observation: Wiener 8 -> 2, Tikhonov 9 ->
    3. quality.py's four 464² photos: +0.02 to +0.08 dB. On volumes it moved
    −0.27 to +0.25 dB (9 fluorescence stacks), where the mirror's DCT grid
    is the cheaper one.
    """
    if boundary == "auto" and psf.ndim < 3:
        return "smooth"
    return resolve_boundary(boundary, psf, asymmetric="smooth")


#: TV leaves the scene beyond the field of view unknown where the PSF is
#: longer than this fraction of a volume on an axis (:func:`psf_spans_image`):
#: most of it then takes light from beyond its edges, which a mirror
#: invents. On 18 fluorescence volumes (4–64 planes under 17–25-plane PSFs,
#: 0.39–4.25 of the depth) TV gained 0.15–6.71 dB over the mirror, on every
#: one (a 6-plane stack: 29.58 -> 36.29 dB, where the observation is
#: 34.99), in 2.6–5× the time (medians of 3: that stack 1.9 -> 5.1 s,
#: 32×64×64 widefield 1.7 -> 5.3 s: a larger grid, 3× longer λ trials, more
#: iterations). At 0.27 (time_to_quality's 64×256×256 beads) +0.10 dB for
#: 3.2× the time: not taken. Volumes are TV's only: the wavelet solver gained
#: 1.1–2.0 dB on six thin stacks but lost 2.6 and 2.0 on 8-plane beads (at
#: its iteration cap), Richardson–Lucy −1.5 to +1.9 (+0.14 on average) for
#: 3–5× the memory of its unpadded DCT grid.
SPAN_FOR_UNKNOWN = 0.5
#: ... and of an image (1-D or 2-D), where every iterative solver takes it:
#: on 36 crops of camera, astronaut and coffee (48²–256², Gaussian, disk and
#: box PSFs 0.105–0.39 of the side, σ = 0.01) TV gained 0.13–20.9 dB over
#: the mirror (median 1.67), on every one; with the mirror 8 of them were
#: below the observation (coffee 64² under a 13-pixel disk: 11.60 dB against
#: 23.16 observed; unknown 32.48). Each took 0.27–0.95 s instead of
#: 0.04–0.13. The wavelet solver gained 0.14–21.2 dB (median 1.86; mirrored
#: it fell to 4.7–13.6 dB on 16 of them), Richardson–Lucy −2.46 to +6.87
#: (median 1.35; 35 of 36 gained). On 16 crops of other kinds (star fields
#: 96² and 120², cells 128², pages 64², 0.11–0.17): wavelet −0.14 to +6.0,
#: RL −0.65 to +4.6, TV +0.3 to +4.2 on pages, −0.8 to +2.4 on cells, −0.3
#: to −0.8 on the 120² star fields and −4.7 to −9.2 on the 96² ones (its λ search
#: over-smooths sparse scenes, as on 3-D beads; the mirror's search had
#: stopped at its lower limit); no automatic result below the observation
#: with "unknown", where the mirror put 8 photo crops below it. (Remeasured
#: after σ̂ on sparse crops, the 1500-iteration TV cap and the wavelet's
#: longer trials: TV −7.8 to +2.4 on the four 96² star fields, wavelet
#: −0.8 to +6.1, RL −0.5 to +4.6; one result below the observation, the
#: wavelet solver on a 96² star field, 38.59 dB against 38.93, mirrored
#: 39.43.) That was at
#: 0.1; 0.04 since: at lower noise the mirror's error at the border outweighs
#: the noise under smaller PSFs too. 16 random crops (64²–160², box, disk,
#: motion and Gaussian PSFs, σ = 0.005–0.03): 5 moved, by −0.05 to +12.7 dB
#: (coffee 160² under box:11, σ = 0.005: wavelet 14.86 -> 27.60, TV 21.86
#: -> 28.32, RL 22.06 -> 27.61, the observation 22.39); the zoo's 256²
#: photos, cells and star field under gauss:2, 2.5 and motion:15,30: −0.09
#: to +2.84 dB (cells: TV +2.84, RL +2.56). A 17-pixel Gaussian keeps the
#: mirror from 425² up (#11's 512² speed and 4096² memory targets). Still
#: mirrored, and below the observation: the wavelet solver on coffee 320²
#: under box:11 at σ = 0.005 (19.23 dB against 23.23; "unknown" 27.36).
SPAN_FOR_UNKNOWN_IMAGES = 0.04


def psf_spans_image(psf_shape, shape):
    """True where the PSF is longer than :data:`SPAN_FOR_UNKNOWN` of a volume
    on some axis (a stack a few PSF lengths deep, or thinner than its PSF),
    or than :data:`SPAN_FOR_UNKNOWN_IMAGES` of an image (a small crop).

    Examples
    --------
    >>> psf_spans_image((17, 11, 11), (24, 256, 256)), psf_spans_image((17, 11, 11), (64, 256, 256))
    (True, False)
    >>> psf_spans_image((13, 13), (96, 96)), psf_spans_image((17, 17), (512, 512))
    (True, False)
    """
    fraction = SPAN_FOR_UNKNOWN if len(shape) >= 3 else SPAN_FOR_UNKNOWN_IMAGES
    return any(k > fraction * n for k, n in zip(psf_shape, shape))


def solved_unknown(boundary, psf_shape, shape):
    """True where TV solves an image of `shape` with `boundary` as "unknown"
    by the shape alone (given, or "auto" with a PSF that spans the image):
    such an image is not mirrored out when thinner than its PSF, since the
    unknown boundary's grid holds the PSF's support."""
    return boundary == "unknown" or (boundary == "auto" and psf_spans_image(psf_shape, shape))


#: The outermost pixels of an image blurred over a dark surround are this much
#: dimmer, on average, than the pixels a PSF's half-width further in.
FADE_RATIO = 0.8


def edges_fade(image, psf, *, sigma=None):
    """True when `image` is dimmer at its edges than a PSF's half-width inside
    (medians of the outermost and the inner frame of pixels, over every edge).

    That is the mark of a scene blurred with a dark (zero) surround, as
    ``scipy.signal.convolve(mode="same")`` makes it: on scikit-image's own
    restoration set-up (camera, 5×5 box), mirroring the borders put TV and
    wavelet 1.5–2.7 dB below the observation where "unknown" gains 2.6–4 dB.
    The dimming must be below :data:`FADE_RATIO` of the inner level and well
    above the noise of a median (six times it), so that noise or a bead on
    one frame of a small image does not count. Only axes the PSF blurs are
    read, and only intensities (:func:`restore.params.looks_signed`).
    """
    from ..params import looks_signed

    xp = array_module(image)
    if looks_signed(image, sigma):
        return False
    outer, inner, noise, length = [], [], [], []
    for axis, (n, k) in enumerate(zip(image.shape, psf.shape)):
        depth = k // 2
        if depth < 1 or n <= 4 * depth:
            continue
        for edge, inside in ((0, depth), (n - 1, n - 1 - depth)):
            frame = xp.take(image, edge, axis=axis).ravel()
            if frame.size < 16:  # a 1-D signal's or a thin image's frame: too few pixels
                continue
            outer.append(float(xp.median(frame)))
            inner.append(float(xp.median(xp.take(image, inside, axis=axis))))
            steps = xp.abs(xp.diff(frame))
            noise.append(float(xp.median(steps)) / 0.6745 / math.sqrt(2))
            length.append(frame.size)
    if not outer:
        return False
    level, rim = sum(inner) / len(inner), sum(outer) / len(outer)
    spread = 6 * max(noise) / math.sqrt(min(length))  # ~ six standard errors of a median
    return level > 0 and rim < FADE_RATIO * level and level - rim > spread


def extend(f, work_shape, margin, boundary):
    """`f` continued onto the work grid as `boundary` assumes the scene goes on.

    `f` sits at offset `margin` (from :func:`grid_layout`). "reflect"
    mirrors it by the margin, then closes the periodic seam with a smooth
    blend; "smooth" blends its opposite edges (:func:`smooth_extension`);
    "zero" (and the observed part of "unknown") puts zeros round it;
    "periodic" is `f` itself.
    """
    xp = array_module(f)
    if boundary == "periodic":
        return f
    if boundary == "reflect":
        mirrored = xp.pad(f, [(m, m) for m in margin], mode="symmetric")
        return smooth_extension(mirrored, work_shape, (0,) * f.ndim, xp)
    if boundary == "smooth":
        return smooth_extension(f, work_shape, margin, xp)
    out = xp.zeros(work_shape, dtype=f.dtype)
    out[tuple(slice(m, m + n) for m, n in zip(margin, f.shape))] = f
    return out


def smooth_extension(f, shape, offset, xp, edge_sigma=2.0):
    """Continue `f` to `shape` periodically and smoothly, `f` starting at `offset`.

    Axis by axis, the gap between the last and (wrapping round) the first
    row is filled by a raised-cosine blend of the two, each lightly smoothed
    along the edge so the fill carries no noise stripes. The result has no
    jump across the periodic seam and no mirrored copies of detail. It is
    built in place in one array of `shape` (no copy per axis).
    """
    ndimage = ndimage_module(xp)
    out = xp.empty(shape, dtype=f.dtype)
    filled = [slice(o, o + n) for o, n in zip(offset, f.shape)]
    out[tuple(filled)] = f
    for axis, (size, start, n) in enumerate(zip(shape, offset, f.shape)):
        gap = size - n
        if gap <= 0:
            continue
        edge = list(filled)
        edge[axis] = slice(start, start + 1)
        first = out[tuple(edge)]
        edge[axis] = slice(start + n - 1, start + n)
        last = out[tuple(edge)]
        for other in range(f.ndim):
            if other != axis and first.shape[other] > 1:
                first = ndimage.gaussian_filter1d(first, edge_sigma, axis=other, mode="nearest")
                last = ndimage.gaussian_filter1d(last, edge_sigma, axis=other, mode="nearest")
        t = np.arange(1, gap + 1) / (gap + 1)
        weight = (0.5 * (1 - np.cos(np.pi * t))).astype(f.dtype)
        view = [1] * f.ndim
        view[axis] = gap
        fill = last + xp.asarray(weight.reshape(view)) * (first - last)
        # the gap runs from just after the image to just before it, round the seam
        tail = size - (start + n)
        target = list(filled)
        target[axis] = slice(start + n, size)
        out[tuple(target)] = _take(fill, axis, slice(0, tail))
        target[axis] = slice(0, start)
        out[tuple(target)] = _take(fill, axis, slice(tail, gap))
        filled[axis] = slice(0, size)
    return out


def _take(a, axis, s):
    index = [slice(None)] * a.ndim
    index[axis] = s
    return a[tuple(index)]
