"""NumPy functions written in Python (run as NumPy's code over zymo.numpy) and the last C ones: values, derivatives."""

import numpy as np
import pytest
from hypothesis import given

import zymo
import zymo.numpy as znp
from tests.numpy.conftest import FAST, array_tuples, broadcastable_shapes
from zymo.testing import check_grads

_rng = np.random.default_rng(7)
_V = _rng.uniform(0.5, 1.5, 5)
_M = _rng.uniform(0.5, 1.5, (3, 4))
_T = _rng.uniform(0.5, 1.5, (2, 3, 4))
_ENDS = np.array([0.0, 1.0, 1.0, 1.0, 0.0])  # exact zeros at both ends, whatever the perturbation


def _write(fn, mask):
    def f(x, v):
        buf = x * 1.0
        fn(buf, mask, v)
        return buf

    return f


CASES = {
    "unwrap": (lambda p: np.unwrap(p), (np.array([0.1, 3.5, 6.9, 0.4, -3.0]),)),
    "unwrap_period": (lambda p: np.unwrap(p, period=4.0, axis=0), (_M * 3,)),
    "trim_zeros": (lambda x: np.trim_zeros(x * _ENDS), (_V,)),
    "trim_zeros_front": (lambda x: np.trim_zeros(x * _ENDS, trim="f"), (_V,)),
    "vander": (lambda x: np.vander(x, 4), (_V,)),
    "vander_increasing": (lambda x: np.vander(x, increasing=True), (_V[:3],)),
    "piecewise": (
        lambda x: np.piecewise(x, [x < 1.0, x >= 1.0], [lambda v: v**2, lambda v: np.sin(v)]),
        (_V,),
    ),
    "piecewise_otherwise": (lambda x: np.piecewise(x, [x < 1.0], [lambda v: v**3, 2.0]), (_V,)),
    "apply_along_axis": (lambda x: np.apply_along_axis(lambda r: r * r.sum(), 1, x), (_M,)),
    "apply_along_axis_scalar": (lambda x: np.apply_along_axis(np.max, 0, x), (_M,)),
    "apply_over_axes": (lambda x: np.apply_over_axes(np.sum, x, [0, 2]), (_T,)),
    "cumulative_sum": (lambda x: np.cumulative_sum(x, axis=0, include_initial=True), (_M,)),
    "cumulative_prod": (lambda x: np.cumulative_prod(x, axis=1), (_M,)),
    "ediff1d": (lambda x: np.ediff1d(x, to_begin=x[:2], to_end=3.0), (_M,)),
    "geomspace": (lambda a: np.geomspace(a[0], a[1] * 4, 5), (_V,)),
    "geomspace_negative": (lambda a: np.geomspace(-a[0], -a[1] * 4, 4, endpoint=False), (_V,)),
    "logspace": (lambda a: np.logspace(a[0], a[1], 4, base=a[2] + 1), (_V,)),
    "i0": (lambda x: np.i0(x), (np.array([-9.0, -2.0, 0.3, 4.0, 12.0]),)),
    "kaiser": (lambda b: znp.kaiser(6, b[0] * 3), (_V,)),
    "matrix_transpose": (lambda x: np.matrix_transpose(x), (_T,)),
    "poly": (lambda r: np.poly(r), (_V[:3],)),
    "polyadd": (lambda a, b: np.polyadd(a, b), (_V, _V[:2] * 2)),
    "polysub": (lambda a, b: np.polysub(a[:2], b), (_V, _V[::-1])),
    "polymul": (lambda a, b: np.polymul(a, b), (_V[:3], _V[::-1])),
    "polyder": (lambda p: np.polyder(p, 2), (_V,)),
    "polyint": (lambda p: np.polyint(p, 2, k=[p[0], 1.0]), (_V,)),
    "polydiv": (lambda u, v: np.polydiv(u, v), (_V, _V[:2] + 1)),
    "polyfit": (lambda x, y: np.polyfit(x * np.arange(1, 6), y, 2), (_V, _V[::-1])),
    "polyfit_weighted": (lambda x, w: np.polyfit(np.arange(5.0), x, 1, w=w), (_V, _V[::-1])),
    "roots": (lambda p: np.real(np.roots(np.polymul(p, [1.0, -3.0]))), (np.array([1.0, -0.5]),)),
    "sort_complex": (lambda x: np.real(np.sort_complex(x)), (_V,)),
    "choose": (lambda x, y: np.choose([[0, 1, 1, 0], [1, 0, 0, 1], [1, 1, 0, 0]], [x, y]), (_M, _M[::-1])),
    "choose_clip": (lambda x, y: np.choose([[0, 5, 1, -1]] * 3, [x, y], mode="clip"), (_M, _M[:, ::-1])),
    "place": (_write(np.place, _V > 1.0), (_V, _V[:2])),
    "putmask": (_write(np.putmask, _V > 1.0), (_V, _V[:3])),
    "hfft": (lambda x: np.fft.hfft(x, 6), (_V,)),
    "ihfft": (lambda x: np.fft.ihfft(x), (_V,)),
    "fftfreq": (lambda d: np.fft.fftfreq(5, d[0]) * znp.fft.fftfreq(6, d[1])[:5], (_V,)),
    "rfftfreq": (lambda d: znp.fft.rfftfreq(7, d[0]), (_V,)),
    "arange": (lambda s: znp.arange(s[0], 4.05, s[1] + 0.2), (_V,)),
    "require": (lambda x: znp.require(x.T, requirements=["C", "W"]), (_M,)),
    "asfortranarray": (lambda x: znp.asfortranarray(x), (_M,)),
    "asarray_chkfinite": (lambda x: znp.asarray_chkfinite([x, x * 2]), (_V,)),
}


@pytest.mark.parametrize("name", CASES)
def test_values_equal_numpys_and_derivatives_match_finite_differences(name):
    f, args = CASES[name]
    got = zymo.vjp(f, *args)[0]
    want = f(*args)
    for g, w in zip(zymo.tree_flatten(got)[0], zymo.tree_flatten(want)[0]):
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_array_equal(g, w)
    check_grads(f, args, order=2)


def test_asarray_chkfinite_of_a_traced_nan_raises_numpys_error():
    with pytest.raises(ValueError, match="infs or NaNs"):
        zymo.grad(lambda x: znp.asarray_chkfinite(x * np.nan).sum())(_V)


def test_arange_of_plain_numbers_is_numpys():
    np.testing.assert_array_equal(znp.arange(2, 11, 3), np.arange(2, 11, 3))


def test_windows_of_an_integer_length_run_without_derivative():
    f = lambda x: (x * np.hanning(3) * np.bartlett(3) + np.blackman(3) * np.hamming(3)).sum()
    np.testing.assert_array_equal(zymo.grad(f)(np.ones(3)), np.hanning(3) * np.bartlett(3))


# --- ufuncs new to zymo: copysign, nextafter, ldexp, and the tuple-valued frexp, modf, divmod -----------------
BINARY = {
    "copysign": lambda x, y: np.copysign(x, y),
    "nextafter": lambda x, y: np.nextafter(x, y),
    "ldexp": lambda x, y: np.ldexp(x, np.sign(y).astype(int) * 2),
    "frexp": lambda x, y: np.frexp(x * y),
    "modf": lambda x, y: np.modf(x * 3.0 + y),
    "divmod": lambda x, y: np.divmod(x * 3.0, y),
}


@pytest.mark.parametrize("name", BINARY)
def test_new_ufunc_values_equal_numpys_and_derivatives_match_finite_differences(name):
    f = BINARY[name]

    @FAST
    @given(broadcastable_shapes().flatmap(lambda s: array_tuples(s, ((-2.0, 2.0), (0.6, 2.0)))))
    def run(args):
        x, y = args
        y = y * np.where(np.arange(y.size).reshape(y.shape) % 2, -1, 1)  # both signs of y, away from zero
        got = zymo.vjp(lambda x, y: f(x, y), x, y)[0]
        for g, w in zip(zymo.tree_flatten(got)[0], zymo.tree_flatten(f(x, y))[0]):
            np.testing.assert_array_equal(g, w)
        check_grads(f, (x, y), order=2)

    run()
