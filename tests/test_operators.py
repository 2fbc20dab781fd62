import numpy as np
import pytest
import scipy.ndimage
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

import restore
from restore.operators import ADJOINT_BOUNDARIES, Blur, WorkDomain


@st.composite
def shapes_and_psfs(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(4, 14)) for _ in range(ndim))
    psf_shape = tuple(draw(st.integers(1, n)) for n in shape)
    seed = draw(st.integers(0, 2**31))
    return shape, psf_shape, seed


@settings(max_examples=60, deadline=None)
@given(shapes_and_psfs(), st.sampled_from(ADJOINT_BOUNDARIES))
def test_adjoint_identity(case, boundary):
    """⟨Hx, y⟩ = ⟨x, Hᵀy⟩ for random N-D shapes, PSFs and every boundary."""
    shape, psf_shape, seed = case
    rng = np.random.default_rng(seed)
    H = Blur(rng.random(psf_shape), shape, boundary=boundary, dtype=np.float64)
    x = rng.standard_normal(H.input_shape)
    y = rng.standard_normal(H.shape)
    lhs = np.vdot(H.apply(x), y)
    rhs = np.vdot(x, H.adjoint(y))
    assert abs(lhs - rhs) <= 1e-10 * (np.linalg.norm(x) * np.linalg.norm(y) + 1)


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("psf_size", [3, 4, 5])
def test_delta_blurs_to_the_psf(ndim, psf_size):
    """A centred delta comes out as the PSF itself, its centre at n//2 (even sizes too)."""
    rng = np.random.default_rng(ndim)
    psf = rng.random((psf_size,) * ndim)
    n = 11
    delta = np.zeros((n,) * ndim)
    delta[(n // 2,) * ndim] = 1
    out = Blur(psf, delta.shape, boundary="zero", dtype=np.float64).apply(delta)
    start = n // 2 - psf_size // 2
    window = tuple(slice(start, start + psf_size) for _ in range(ndim))
    np.testing.assert_allclose(out[window], psf, atol=1e-12)
    assert abs(out.sum() - psf.sum()) < 1e-10


@pytest.mark.parametrize("shape,psf_shape", [((31,), (7,)), ((20, 25), (5, 9)), ((9, 12, 10), (3, 5, 7))])
def test_zero_boundary_matches_fftconvolve(shape, psf_shape):
    rng = np.random.default_rng(1)
    x, psf = rng.random(shape), rng.random(psf_shape)
    ours = Blur(psf, shape, boundary="zero", dtype=np.float64).apply(x)
    np.testing.assert_allclose(ours, scipy.signal.fftconvolve(x, psf, mode="same"), atol=1e-12)


@pytest.mark.parametrize("boundary,mode", [("reflect", "reflect"), ("periodic", "wrap")])
def test_reflect_and_periodic_match_ndimage(boundary, mode):
    """scipy.ndimage.convolve's 'reflect' is the symmetric mirror we use; 'wrap' is periodic."""
    rng = np.random.default_rng(2)
    x, psf = rng.random((16, 19)), rng.random((5, 7))
    ours = Blur(psf, x.shape, boundary=boundary, dtype=np.float64).apply(x)
    np.testing.assert_allclose(ours, scipy.ndimage.convolve(x, psf, mode=mode), atol=1e-12)


def test_reflect_with_psf_wider_than_the_image():
    """Mirroring more than one image width still matches ndimage (repeated reflection)."""
    rng = np.random.default_rng(3)
    x, psf = rng.random((4,)), rng.random((9,))
    ours = Blur(psf, x.shape, boundary="reflect", dtype=np.float64).apply(x)
    np.testing.assert_allclose(ours, scipy.ndimage.convolve(x, psf, mode="reflect"), atol=1e-12)


def test_unknown_boundary_is_the_valid_convolution():
    rng = np.random.default_rng(4)
    psf = rng.random((5, 3))
    H = Blur(psf, (12, 10), boundary="unknown", dtype=np.float64)
    assert H.input_shape == (16, 12)
    x = rng.random(H.input_shape)
    np.testing.assert_allclose(H.apply(x), scipy.signal.fftconvolve(x, psf, mode="valid"), atol=1e-12)


@pytest.mark.parametrize("boundary", restore.operators.FORWARD_BOUNDARIES)
@pytest.mark.parametrize("psf_shape", [(5, 5), (4, 7)])
def test_solvers_work_grid_applies_the_same_model_as_blur(boundary, psf_shape):
    """One forward model: the periodic H of a solver's work grid, applied to the
    scene as the grid continues it, gives in the field of view exactly what
    blur() gives for the same boundary name."""
    rng = np.random.default_rng(5)
    g, psf = rng.random((23, 30)), rng.random(psf_shape)
    psf /= psf.sum()
    domain = WorkDomain(psf, g, boundary)
    on_grid = domain.crop(domain.op.apply(domain.data))
    np.testing.assert_allclose(on_grid, restore.blur(g, psf, boundary=boundary), atol=1e-12)


def test_blur_normalises_the_psf_as_the_solvers_do():
    """blur(g, ones((5, 5))) is the 5×5 mean (not 25·g's sum), so deconvolving it
    with the same PSF gives back g's scale."""
    rng = np.random.default_rng(6)
    g = rng.random((32, 32))
    f = restore.blur(g, np.ones((5, 5)), boundary="reflect")
    np.testing.assert_allclose(f, scipy.ndimage.uniform_filter(g, 5, mode="reflect"), atol=1e-12)
    restored = restore.tikhonov(f, np.ones((5, 5)), lam=1e-6, boundary="reflect")
    assert abs(restored.mean() - g.mean()) < 0.01 * g.mean()


def test_smooth_boundary_blurs_without_an_adjoint():
    """A flat scene continued smoothly stays flat; "smooth" has H but no Hᵀ."""
    H = Blur(np.ones((5, 5)) / 25, (20, 24), boundary="smooth", dtype=np.float64)
    np.testing.assert_allclose(H.apply(np.full((20, 24), 3.0)), 3.0, atol=1e-12)
    with pytest.raises(ValueError, match="boundary='smooth' has no adjoint"):
        H.adjoint(np.ones((20, 24)))


def test_regularised_inverse_matches_the_formula():
    """conj(H)/(|H|² + extra) against numpy's own FFT of the PSF, in float64."""
    rng = np.random.default_rng(7)
    psf = rng.random((5, 3))
    H = Blur(psf, (16, 12), boundary="periodic", dtype=np.float64)
    padded = np.zeros((16, 12))
    padded[:5, :3] = psf
    otf = np.fft.rfft2(np.roll(padded, (-2, -1), axis=(0, 1)))
    np.testing.assert_allclose(H.power(), np.abs(otf) ** 2, atol=1e-12)
    np.testing.assert_allclose(H.regularised_inverse(0.1), otf.conj() / (np.abs(otf) ** 2 + 0.1),
                               atol=1e-12)


def test_blur_keeps_dtype_and_flux():
    psf = restore.psf.gaussian(1.5)
    image = np.ones((40, 40), dtype=np.uint8) * 7
    out = restore.blur(image, psf)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 7, rtol=1e-5)
    assert restore.blur(image.astype(np.float64), psf).dtype == np.float64


def test_blur_rejects_wrong_psf_dimensions():
    with pytest.raises(ValueError, match="psf has 2 dimensions but image has 1"):
        restore.blur(np.ones(10), np.ones((3, 3)))


def test_blur_rejects_unknown_boundary_name():
    with pytest.raises(ValueError, match="boundary='mirror' is not supported"):
        restore.blur(np.ones(10), np.ones(3), boundary="mirror")


@pytest.mark.parametrize("boundary", ["reflect", "unknown", "periodic"])
def test_work_domain_window_holds_the_observation(boundary):
    rng = np.random.default_rng(5)
    f = rng.random((20, 17)).astype(np.float32)
    domain = WorkDomain(np.ones((5, 5), np.float32) / 25, f, boundary)
    np.testing.assert_array_equal(domain.crop(domain.data), f)
    if boundary == "unknown":
        assert float(domain.mask.sum()) == f.size
    else:
        assert domain.mask is None


def test_blur_refuses_nan_and_oversized_psfs():
    image = np.ones((16, 16))
    image[2, 2] = np.nan
    with pytest.raises(ValueError, match="image contains NaN or Inf"):
        restore.blur(image, restore.psf.gaussian(1.0))
    with pytest.raises(ValueError, match="larger than the image"):
        restore.blur(np.ones((8, 8)), np.ones((9, 9)), boundary="periodic")


def test_blur_takes_a_psf_longer_than_a_thin_stack():
    """Mirrored (repeatedly, as ndimage's 'reflect' does) beyond the image."""
    rng = np.random.default_rng(8)
    x, psf = rng.random((4, 12)), rng.random((9, 3))
    np.testing.assert_allclose(restore.blur(x, psf),
                               scipy.ndimage.convolve(x, psf / psf.sum(), mode="reflect"),
                               atol=1e-6)


def test_blur_takes_a_psf_spec():
    image = np.random.default_rng(0).random((32, 32))
    np.testing.assert_allclose(restore.blur(image, "gauss:1.5"),
                               restore.blur(image, restore.psf.gaussian(1.5)), rtol=1e-6)


@pytest.mark.parametrize(
    "psf",
    [restore.psf.gaussian((1.0, 2.5)), restore.psf.box(5, ndim=3), restore.psf.motion(9, 30),
     restore.psf.gaussian(1.5, ndim=1), np.random.default_rng(6).random((4, 6))],
    ids=["gaussian", "box-3d", "motion", "1-d", "random-even"],
)
def test_otf_is_the_fft_of_the_centred_psf(psf):
    """The separable shortcut and the real-OTF storage change nothing."""
    shape = tuple(n + 7 for n in psf.shape)
    H = Blur(psf, shape, boundary="periodic", dtype=np.float64)
    padded = np.zeros(shape)
    padded[tuple(slice(0, k) for k in psf.shape)] = psf
    padded = np.roll(padded, [-(k // 2) for k in psf.shape], axis=tuple(range(psf.ndim)))
    np.testing.assert_allclose(H.otf, np.fft.rfftn(padded), atol=1e-12)


def test_separable_factors_recognise_outer_products():
    from restore.operators import separable_factors

    assert separable_factors(restore.psf.gaussian((1.0, 2.0, 3.0))) is not None
    assert separable_factors(restore.psf.disk(4)) is None
    assert separable_factors(restore.psf.motion(9, 30)) is None


@pytest.mark.parametrize("shape", [(9,), (8,), (6, 9), (5, 8, 7), (4, 3, 4, 6)])
@pytest.mark.parametrize("overwrite", [False, True])
def test_backend_irfftn_inverts_rfftn_like_scipy(shape, overwrite):
    """The split inverse (complex passes, then one real pass) is scipy's irfftn."""
    import scipy.fft

    from restore import _backend

    x = np.random.default_rng(len(shape)).standard_normal(shape)
    spectrum = _backend.rfftn(x, shape)
    kept = spectrum.copy()
    back = _backend.irfftn(spectrum, shape, overwrite=overwrite)
    np.testing.assert_allclose(back, x, atol=1e-12)
    np.testing.assert_allclose(back, scipy.fft.irfftn(kept, s=shape), atol=1e-12)
    if not overwrite:
        np.testing.assert_array_equal(spectrum, kept)


@pytest.mark.parametrize("symmetric", [True, False])  # a real OTF, a complex one
def test_spectrum_halves_compose_to_apply_and_adjoint(symmetric):
    rng = np.random.default_rng(3)
    psf = restore.psf.gaussian(1.0) if symmetric else rng.random((4, 6))
    H = Blur(psf, (20, 18), boundary="periodic", dtype=np.float64)
    assert (H.otf.dtype.kind == "f") == symmetric
    x = rng.standard_normal((20, 18))
    np.testing.assert_allclose(H.from_spectrum(H.spectrum(x)), H.apply(x), atol=1e-12)
    np.testing.assert_allclose(H.from_spectrum(H.spectrum(x), adjoint=True), H.adjoint(x),
                               atol=1e-12)
    with pytest.raises(ValueError, match="periodic Blur"):
        Blur(psf, (20, 18), boundary="reflect").spectrum(x)


def test_in_blocks_equals_the_whole_array_operation(monkeypatch):
    """Row blocks on threads give the plain result, broadcast operands included."""
    from restore import _backend

    monkeypatch.setattr(_backend, "FFT_WORKERS", 2)
    rng = np.random.default_rng(0)
    a = rng.random((1030, 1030), dtype=np.float32)
    row = rng.random((1, 1030), dtype=np.float32)
    column = rng.random((1030, 1), dtype=np.float32)
    trailing = rng.random(1030, dtype=np.float32)  # 1-D, as long as axis 0: not split
    full = rng.random((1030, 1030), dtype=np.float32)
    expected = (a * row * column * trailing) / full
    calls = []

    def work(x, r, c, t, y, nothing):
        calls.append(x.shape[0])
        x *= r
        x *= c
        x *= t
        x /= y

    _backend.in_blocks(work, a, row, column, trailing, full, None)
    np.testing.assert_array_equal(a, expected)
    assert len(calls) > 1 and sum(calls) == 1030

    def fail(x):
        raise ArithmeticError("from a worker")

    with pytest.raises(ArithmeticError, match="from a worker"):
        _backend.in_blocks(fail, a)


def test_in_blocks_works_in_a_forked_child(monkeypatch):
    """A child forked after the worker threads started makes its own (no hang)."""
    import multiprocessing

    from restore import _backend

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    monkeypatch.setattr(_backend, "FFT_WORKERS", 2)
    a = np.ones((1100, 1000), np.float32)
    _backend.in_blocks(_double, a)  # the parent's threads exist now
    child = multiprocessing.get_context("fork").Process(target=_double_in_blocks)
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
        pytest.fail("in_blocks hung in a forked child")
    assert child.exitcode == 0


def _double(x):
    x *= 2


def _double_in_blocks():
    from restore import _backend

    a = np.ones((1100, 1000), np.float32)
    _backend.in_blocks(_double, a)
    assert float(a.sum()) == 2 * a.size


def test_periodic_at_a_slow_fft_size_warns_once_with_the_fast_shape():
    import warnings

    from restore.operators import SlowFFTWarning

    f = np.random.default_rng(0).random((257, 263)).astype(np.float32)  # two primes
    with pytest.warns(SlowFFTWarning, match=r"\(270, 270\) would be fast"):
        restore.wiener(f, "gauss:1", snr=30, boundary="periodic")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restore.wiener(f, "gauss:1", snr=30, boundary="periodic")  # once per shape
        restore.wiener(f[:256, :256], "gauss:1", snr=30, boundary="periodic")  # fast size
        restore.wiener(f, "gauss:1", snr=30, boundary="reflect")  # its own fast grid


# ---------------------------------------------------- axes mirrored by a DCT


def _mirrored_reference(x, psf, mirrored):
    """Blur of `x` mirrored (half-sample) on the `mirrored` axes and wrapped on
    the others, by explicit padding: an independent reference for cosine axes."""
    pads = [(2 * k, 2 * k) if a in mirrored else (0, 0) for a, k in enumerate(psf.shape)]
    padded = np.pad(x, pads, mode="symmetric")
    blurred = scipy.ndimage.convolve(padded, psf, mode="wrap")
    return blurred[tuple(slice(p, p + n) for (p, _), n in zip(pads, x.shape))]


@pytest.mark.parametrize("shape, psf, mirrored", [
    ((20, 25), "disk:3", (0, 1)),
    ((20, 25), "disk:3", (0,)),
    ((20, 25), "disk:3", (1,)),
    ((12, 40, 44), "gauss:2,1.2,1.2", (0,)),         # a PSF taller than the stack
    ((18, 40, 44), "gauss:2,1.2,1.2", (0, 2)),
    ((9, 31), "box:5", (0, 1)),
    ((30,), "gauss:2", (0,)),
])
def test_cosine_axes_are_the_reflect_model_exactly(shape, psf, mirrored):
    """A DCT on the mirrored axes blurs exactly as padding by mirror images
    (float64 to 1e-12), on the image's own grid, and keeps ⟨Hx, y⟩ = ⟨x, Hᵀy⟩."""
    kernel = restore.psf.from_spec(psf, ndim=len(shape)).astype(np.float64)
    rng = np.random.default_rng(len(shape))
    x, y = rng.random(shape), rng.random(shape)
    H = Blur(kernel, shape, boundary="periodic", dtype=np.float64, cosine_axes=mirrored)
    assert H.work_shape == shape
    np.testing.assert_allclose(H.apply(x), _mirrored_reference(x, kernel, mirrored),
                               rtol=0, atol=1e-12)
    assert abs(np.vdot(H.apply(x), y) - np.vdot(x, H.adjoint(y))) <= 1e-10 * x.size
    if mirrored == tuple(range(len(shape))):  # all mirrored: the "reflect" boundary itself
        reflect = Blur(kernel, shape, boundary="reflect", dtype=np.float64).apply(x)
        np.testing.assert_allclose(H.apply(x), reflect, rtol=0, atol=1e-12)


def test_cosine_axes_take_an_asymmetric_psf_on_the_wrapped_axes():
    """Mirror-symmetric along the mirrored axis only: a complex OTF, still exact."""
    rng = np.random.default_rng(3)
    kernel = rng.random((5, 3, 7))
    kernel = kernel + kernel[::-1]  # symmetric in z only
    x = rng.random((12, 10, 16))
    H = Blur(kernel, x.shape, boundary="periodic", dtype=np.float64, cosine_axes=(0,))
    assert H.otf.dtype.kind == "c"
    np.testing.assert_allclose(H.apply(x), _mirrored_reference(x, kernel, (0,)), atol=1e-11)


def test_cosine_axes_refuse_a_psf_not_symmetric_along_them():
    kernel = np.random.default_rng(0).random((5, 5))
    with pytest.raises(ValueError, match="cosine_axes"):
        Blur(kernel, (20, 20), boundary="periodic", cosine_axes=(0,))
    with pytest.raises(ValueError, match="periodic"):
        Blur(np.ones((3, 3)), (20, 20), boundary="reflect", cosine_axes=(0,))


def test_cosine_axes_are_chosen_where_padding_costs():
    """A tall PSF's z axis and short axes are mirrored by a DCT; a photo's
    axes, asymmetric and even-length axes, and slow DCT lengths are padded."""
    from restore.operators import cosine_axes

    tall = restore.psf.from_spec("gauss:3,1.2,1.2", ndim=3)
    assert cosine_axes(tall, (32, 512, 512)) == (0,)
    assert cosine_axes(tall, (32, 2420, 2420)) == (0,)
    assert cosine_axes(tall, (31 * 13, 512, 512)) == ()  # 403 = 13·31: a slow DCT length
    assert cosine_axes(restore.psf.gaussian(2.0), (512, 512)) == ()
    assert cosine_axes(restore.psf.gaussian(2.0), (64, 64)) == (0, 1)
    assert cosine_axes(restore.psf.from_spec("motion:9,30"), (64, 64)) == ()
    assert cosine_axes(np.ones((4, 5)) / 20, (32, 32)) == (1,)


def test_rl_on_mirrored_axes_equals_rl_on_the_mirror_image_volume():
    """Richardson-Lucy with "reflect" on a DCT grid is RL on the observation
    mirrored into a volume twice as long and wrapped (the same model by FFT)."""
    from restore.operators import cosine_axes

    rng = np.random.default_rng(5)
    psf = restore.psf.from_spec("gauss:1.5,1.2,1.2", ndim=3).astype(np.float64)
    scene = rng.random((16, 30, 30)) + (rng.random((16, 30, 30)) > 0.97) * 20
    f = restore.blur(scene, psf) + 0.01 * rng.standard_normal(scene.shape)
    assert cosine_axes(psf, f.shape) == (0, 1, 2)
    ours = restore.richardson_lucy(f, psf, iterations=12, boundary="reflect", init="observation")
    doubled = np.concatenate([f, f[::-1]], axis=0)
    doubled = np.concatenate([doubled, doubled[:, ::-1]], axis=1)
    doubled = np.concatenate([doubled, doubled[:, :, ::-1]], axis=2)
    reference = restore.richardson_lucy(doubled, psf, iterations=12, boundary="periodic",
                                        init="observation")[:16, :30, :30]
    np.testing.assert_allclose(ours, reference, rtol=1e-9, atol=1e-9 * float(f.max()))
    padded = WorkDomain(psf, f, "reflect")  # the solvers that pad: a grid 1.7-2.6x larger
    assert np.prod(padded.op.work_shape) > 2 * f.size
    assert WorkDomain(psf, f, "reflect", dct=True).op.work_shape == f.shape


def test_fft_threads_limit_one_threads_work():
    from restore import _backend

    seen = []
    with _backend.fft_threads(1):
        _backend.in_blocks(lambda a: seen.append(a.shape), np.ones((4000, 300), np.float32))
        assert _backend.fft_workers() == 1
    assert seen == [(4000, 300)]  # one call: no blocks on other threads
    assert _backend.fft_workers() == _backend.FFT_WORKERS


def test_tv_on_mirrored_axes_equals_tv_on_the_mirror_image_volume():
    """TV-ADMM on a DCT grid (differences that end at the mirrored edges) is TV
    on the observation mirrored into a volume twice as long and wrapped.
    Anisotropic: mirroring turns forward differences into backward ones, so
    the isotropic norm of the doubled volume couples other pixels."""
    from restore.operators import cosine_axes

    rng = np.random.default_rng(6)
    psf = restore.psf.from_spec("gauss:1.5,1.2,1.2", ndim=3).astype(np.float64)
    scene = rng.random((16, 30, 30)) + (rng.random((16, 30, 30)) > 0.97) * 20
    f = restore.blur(scene, psf) + 0.01 * rng.standard_normal(scene.shape)
    assert cosine_axes(psf, f.shape) == (0, 1, 2)
    # ρ given: its default follows σ̂, which the doubled volume's repeats change
    ours = restore.tv(f, psf, lam=0.01, iterations=25, boundary="reflect", nonnegative=True,
                      isotropic=False, rho=0.02)
    doubled = np.concatenate([f, f[::-1]], axis=0)
    doubled = np.concatenate([doubled, doubled[:, ::-1]], axis=1)
    doubled = np.concatenate([doubled, doubled[:, :, ::-1]], axis=2)
    reference = restore.tv(doubled, psf, lam=0.01, iterations=25, boundary="periodic",
                           nonnegative=True, isotropic=False, rho=0.02)[:16, :30, :30]
    np.testing.assert_allclose(ours, reference, rtol=1e-7, atol=1e-7 * float(f.max()))


@pytest.mark.parametrize("shape, cosine", [((37,), ()), ((24, 30), ()), ((25, 31), (0,)),
                                           ((6, 10, 12), (0, 1)), ((8, 9, 10), (0, 1, 2))])
def test_a_work_array_holds_its_spectrum_and_the_result_in_its_own_memory(shape, cosine):
    """``Blur.work_array``: its transform (``spectrum(x, overwrite=True)``) and
    the filtered result (``from_spectrum(in_place=True)``) are written over its
    own memory, and equal the allocating transforms exactly."""
    from restore._backend import (cosine_irfftn, cosine_irfftn_in_place, cosine_rfftn,
                                  cosine_rfftn_in_place, spectral_work_array)

    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(np.float32)
    work = spectral_work_array(shape, cosine, np.float32, np)
    work[...] = x
    memory = work.base if work.base is not None else work
    spectrum = cosine_rfftn_in_place(work, shape, cosine)
    reference = cosine_rfftn(x.copy(), shape, cosine)
    assert np.shares_memory(spectrum, memory)
    np.testing.assert_array_equal(spectrum, reference)
    transfer = rng.random(reference.shape).astype(np.float32)
    spectrum *= transfer
    result = cosine_irfftn_in_place(spectrum, shape, cosine)
    assert result.shape == shape and np.shares_memory(result, memory)
    np.testing.assert_array_equal(result, cosine_irfftn(reference * transfer, shape, cosine))


def test_a_view_that_reorders_the_rows_of_a_spectral_buffer_is_not_transformed_in_place():
    """Only a work array whose row i lies in its buffer's row i is transformed over
    its own bytes: a reversed view would have row blocks overwrite rows not yet read."""
    from restore._backend import cosine_rfftn, cosine_rfftn_in_place, holds_its_spectrum

    rng = np.random.default_rng(4)
    data = rng.standard_normal((64, 64)).astype(np.float32)
    buffer = np.zeros((64, 33), np.complex64)
    reversed_rows = buffer.view(np.float32)[::-1, :64]
    assert not holds_its_spectrum(reversed_rows, (64, 64), ())
    reversed_rows[...] = data
    spectrum = cosine_rfftn_in_place(reversed_rows, (64, 64), ())
    np.testing.assert_allclose(spectrum, cosine_rfftn(data, (64, 64), ()), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("cosine", [(0,), (0, 1), (1,)])
def test_cosine_axes_of_a_complex_spectrum_are_scipys_dct_of_each_part(cosine):
    """The DCTs of ``cosine_rfftn`` run on the spectrum's real view (real and
    imaginary parts interleaved): the same as SciPy's DCT of each part."""
    import scipy.fft

    from restore._backend import cosine_irfftn, cosine_rfftn

    x = np.random.default_rng(4).standard_normal((6, 8, 10))
    others = tuple(a for a in range(3) if a not in cosine)
    spectrum = scipy.fft.rfftn(x, axes=others)
    reference = (scipy.fft.dctn(spectrum.real, axes=cosine, norm="ortho")
                 + 1j * scipy.fft.dctn(spectrum.imag, axes=cosine, norm="ortho"))
    ours = cosine_rfftn(x.copy(), x.shape, cosine)
    np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cosine_irfftn(ours, x.shape, cosine), x, atol=1e-12)
