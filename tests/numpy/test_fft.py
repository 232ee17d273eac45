"""zymo.numpy.fft: derivatives of every transform in both modes (complex convention of JAX), NumPy's values."""

import numpy as np
import pytest
from hypothesis import given

import zymo
import zymo.numpy as znp
from tests.numpy.conftest import FAST, check_complex_grads, complex_arrays, shapes
from zymo.testing import check_grads

F = znp.fft

# Complex-to-complex transforms, with cropping/padding, axes and normalisations.
TRANSFORMS = {
    "fft(a)": lambda a: F.fft(a),
    "fft(a, n=6, axis=0)": lambda a: F.fft(a, n=6, axis=0),
    "fft(a, n=2, norm='ortho')": lambda a: F.fft(a, n=2, norm="ortho"),
    "ifft(a)": lambda a: F.ifft(a),
    "ifft(a, n=7, norm='forward')": lambda a: F.ifft(a, n=7, norm="forward"),
    "fft2(a)": lambda a: F.fft2(a),
    "fft2(a, s=(2, 6))": lambda a: F.fft2(a, s=(2, 6)),
    "ifft2(a, norm='ortho')": lambda a: F.ifft2(a, norm="ortho"),
    "fftn(a)": lambda a: F.fftn(a),
    "fftn(a, axes=(0,), norm='forward')": lambda a: F.fftn(a, axes=(0,), norm="forward"),
    "ifftn(a, s=(5, 3), axes=(0, 1))": lambda a: F.ifftn(a, s=(5, 3), axes=(0, 1)),
    "irfft(a)": lambda a: F.irfft(a),
    "irfft(a, n=5, axis=0, norm='ortho')": lambda a: F.irfft(a, n=5, axis=0, norm="ortho"),
    "irfft(a, n=3, norm='forward')": lambda a: F.irfft(a, n=3, norm="forward"),
    "irfft(a, n=9)": lambda a: F.irfft(a, n=9),
    "fftshift(a)": lambda a: F.fftshift(a),
    "ifftshift(a, axes=1)": lambda a: F.ifftshift(a, axes=1),
}

REAL_TRANSFORMS = {
    "rfft(a)": lambda a: F.rfft(a),
    "rfft(a, n=5, norm='ortho')": lambda a: F.rfft(a, n=5, norm="ortho"),
    "rfft(a, n=2, axis=0, norm='forward')": lambda a: F.rfft(a, n=2, axis=0, norm="forward"),
    "rfft(a, n=8)": lambda a: F.rfft(a, n=8),
}


def _inputs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    return x, x + 1j * rng.normal(size=(3, 4))


@pytest.mark.parametrize("expr", TRANSFORMS)
@pytest.mark.parametrize("kind", ["real", "complex"])
def test_transform_derivatives_match_finite_differences(expr, kind):
    x, z = _inputs()
    check_complex_grads(TRANSFORMS[expr], (x if kind == "real" else z,), order=2)


@pytest.mark.parametrize("expr", REAL_TRANSFORMS)
def test_real_transform_derivatives_match_finite_differences(expr):
    x, _ = _inputs()
    check_complex_grads(REAL_TRANSFORMS[expr], (x,), order=2)


def test_fft_derivatives_hold_on_generated_shapes():
    @FAST
    @given(shapes(min_dims=1, max_dims=3, max_side=4).flatmap(lambda s: complex_arrays(s)))
    def run(z):
        check_complex_grads(lambda z: F.fft(z, axis=0), (z,), order=2)
        check_complex_grads(F.ifftn, (z,), order=2)

    run()


@pytest.mark.parametrize("name", ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft"])
def test_numpy_fft_calls_on_traced_values_reach_zymo(name):
    x, _ = _inputs()
    loss = lambda x: np.sum(np.abs(getattr(np.fft, name)(x)) ** 2)
    check_grads(loss, (x,), order=2)
    np.testing.assert_array_equal(zymo.vjp(getattr(np.fft, name), x)[0], getattr(np.fft, name)(x))


@pytest.mark.parametrize("expr", list(TRANSFORMS) + list(REAL_TRANSFORMS))
def test_forward_values_under_tracing_are_numpys_bit_for_bit(expr):
    x, z = _inputs()
    f = {**TRANSFORMS, **REAL_TRANSFORMS}[expr]
    for a in (x,) if expr in REAL_TRANSFORMS else (x, z):
        want = f(a)
        for got in (zymo.vjp(f, a)[0], zymo.jvp(f, (a,), (np.ones_like(a),))[0]):
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)


def test_parseval_energy_gradient_is_two_n_x():
    x = np.random.default_rng(1).normal(size=8)
    g = zymo.grad(lambda x: np.sum(np.abs(F.fft(x)) ** 2))(x)
    np.testing.assert_allclose(g, 2 * 8 * x, rtol=1e-12)


def test_float32_signal_gets_a_float32_gradient():
    x = np.random.default_rng(2).normal(size=6).astype(np.float32)
    g = zymo.grad(lambda x: np.sum(np.abs(F.rfft(x))))(x)
    assert g.dtype == np.float32


def test_complex_output_is_differentiated_with_vjp():
    _, z = _inputs()
    out, back = zymo.vjp(F.fft, z)
    (g,) = back(np.ones_like(out))
    np.testing.assert_allclose(g, np.fft.fft(np.ones_like(out)))  # fft's transpose is fft


def test_frequency_helpers_and_hermitian_transforms_give_numpys_values_on_plain_arrays():
    np.testing.assert_array_equal(F.fftfreq(4), np.fft.fftfreq(4))
    np.testing.assert_array_equal(F.rfftfreq(5, 0.3), np.fft.rfftfreq(5, 0.3))
    np.testing.assert_array_equal(F.hfft(np.arange(3.0)), np.fft.hfft(np.arange(3.0)))


def test_shifts_of_plain_arrays_are_numpys():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(F.fftshift(x), np.fft.fftshift(x))
    np.testing.assert_array_equal(F.ifftshift(x, axes=1), np.fft.ifftshift(x, axes=1))


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("rfft2", {}),
        ("rfftn", {}),
        ("rfftn", {"axes": (0, 2)}),
        ("rfftn", {"s": (3, 6), "axes": (1, 2)}),
        ("rfft2", {"s": (4, 4), "norm": "ortho"}),
        ("irfft2", {}),
        ("irfftn", {"axes": (2, 0)}),
        ("irfftn", {"s": (2, 6), "axes": (0, 2), "norm": "forward"}),
    ],
)
def test_real_multidimensional_transforms_equal_numpys_and_differentiate(name, kwargs):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4))
    if name.startswith("i"):
        x = x + 1j * rng.standard_normal((2, 3, 4))
    f = lambda x: getattr(np.fft, name)(x, **kwargs)
    got = zymo.vjp(f, x)[0]
    np.testing.assert_array_equal(got, f(x))
    if name.startswith("i"):
        check_complex_grads(f, (x,), order=2)
    else:
        check_grads(lambda x: np.abs(f(x)) ** 2, (x,), order=2)
