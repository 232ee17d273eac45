"""zymo.scipy.special's Python-level functions: derivatives in both modes, SciPy's values."""

import numpy as np
import pytest
import scipy.special as sc
from hypothesis import given
from hypothesis import strategies as st

import zymo
from tests.numpy.conftest import FAST, array_tuples, arrays, axes_for, shapes
from zymo.scipy import special
from zymo.testing import check_grads


def _shape_and_axis(min_dims=0):
    return shapes(min_dims=min_dims).flatmap(lambda s: st.tuples(st.just(s), axes_for(len(s))))


@FAST
@given(_shape_and_axis().flatmap(lambda sa: st.tuples(st.just(sa[1]), st.booleans(), arrays(sa[0]))))
def test_logsumexp_derivatives_and_values(case):
    axis, keepdims, a = case
    f = lambda a: special.logsumexp(a, axis=axis, keepdims=keepdims)
    check_grads(f, (a,), order=2)
    np.testing.assert_allclose(zymo.vjp(f, a)[0], sc.logsumexp(a, axis=axis, keepdims=keepdims), rtol=1e-13)


def _a_and_positive_b(shape_and_axis):
    shape, axis = shape_and_axis
    return st.tuples(st.just(axis), array_tuples((shape, shape), ((-2, 2), (0.2, 2))))


@FAST
@given(_shape_and_axis().flatmap(_a_and_positive_b))
def test_logsumexp_with_b_differentiates_in_a_and_b(case):
    axis, (a, b) = case
    f = lambda a, b: special.logsumexp(a, axis=axis, b=b)
    check_grads(f, (a, b), order=2)
    np.testing.assert_allclose(zymo.vjp(f, a, b)[0], sc.logsumexp(a, axis=axis, b=b), rtol=1e-13)


def test_logsumexp_return_sign_gives_log_of_absolute_sum_and_its_sign():
    a, b = np.array([[0.0, 1.0], [2.0, -1.0]]), np.array([[1.0, -3.0], [2.0, 0.5]])
    f = lambda a, b: special.logsumexp(a, axis=1, b=b, return_sign=True)[0]
    (value, sign), _ = zymo.vjp(lambda a, b: special.logsumexp(a, axis=1, b=b, return_sign=True), a, b)
    want_value, want_sign = sc.logsumexp(a, axis=1, b=b, return_sign=True)
    np.testing.assert_allclose(value, want_value, rtol=1e-13)
    np.testing.assert_array_equal(sign, want_sign)
    check_grads(f, (a, b), order=2)


def test_logsumexp_ignores_entries_whose_weight_is_zero():
    a, b = np.array([1000.0, 0.0]), np.array([0.0, 1.0])
    g = zymo.grad(lambda a: special.logsumexp(a, b=b))(a)
    np.testing.assert_array_equal(g, [0.0, 1.0])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_and_log_softmax_derivatives_and_values(name):
    @FAST
    @given(_shape_and_axis(min_dims=1).flatmap(lambda sa: st.tuples(st.just(sa[1]), arrays(sa[0]))))
    def run(case):
        axis, x = case
        f = lambda x: getattr(special, name)(x, axis=axis)
        check_grads(f, (x,), order=2)
        np.testing.assert_allclose(zymo.vjp(f, x)[0], getattr(sc, name)(x, axis=axis), rtol=1e-13, atol=1e-15)

    run()


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_polygamma_derivatives_and_values(n):
    @FAST
    @given(shapes().flatmap(lambda s: arrays(s, 0.5, 4)))
    def run(x):
        f = lambda x: special.polygamma(n, x)
        check_grads(f, (x,), order=2, rtol=1e-4)
        np.testing.assert_allclose(zymo.vjp(f, x)[0], sc.polygamma(n, x), rtol=1e-13)

    run()


def test_polygamma_with_an_array_of_orders():
    n, x = np.array([0, 1, 2]), np.array([0.7, 1.5, 2.5])
    f = lambda x: special.polygamma(n, x)
    np.testing.assert_allclose(zymo.vjp(f, x)[0], sc.polygamma(n, x), rtol=1e-13)
    check_grads(f, (x,), order=2, rtol=1e-4)


@pytest.mark.parametrize("d", [1, 2, 4])
def test_multigammaln_derivatives_and_values(d):
    @FAST
    @given(shapes().flatmap(lambda s: arrays(s, 2.0, 5.0)))
    def run(a):
        f = lambda a: special.multigammaln(a, d)
        check_grads(f, (a,), order=2)
        np.testing.assert_allclose(zymo.vjp(f, a)[0], sc.multigammaln(a, d), rtol=1e-13)

    run()


def test_multigammaln_of_a_transposed_array_is_scipys_bit_for_bit_in_c_order():
    a = np.array([[2.5, 3.1], [4.2, 2.9]]).T
    got = zymo.vjp(lambda a: special.multigammaln(a, 3), a)[0]
    want = sc.multigammaln(a, 3)
    assert got.strides == want.strides
    np.testing.assert_array_equal(got, want)


def test_multigammaln_refuses_a_below_its_domain_like_scipy():
    with pytest.raises(ValueError, match="condition a"):
        zymo.grad(lambda a: special.multigammaln(a, 4))(1.0)


def test_hurwitz_zeta_differentiates_in_q():
    q = np.array([0.5, 1.0, 2.5])
    f = lambda q: special.zeta(3.0, q)
    check_grads(f, (q,), order=2)
    np.testing.assert_array_equal(zymo.vjp(f, q)[0], sc.zeta(3.0, q))


def test_riemann_zeta_of_a_traced_value_names_the_function():
    with pytest.raises(zymo.UnsupportedOperationError, match=r"scipy\.special\.zeta with respect to x"):
        zymo.grad(special.zeta)(3.0)


def test_functions_on_plain_arrays_return_scipys_values_exactly():
    a = np.random.default_rng(0).uniform(-2, 2, (3, 4))
    np.testing.assert_array_equal(special.logsumexp(a, axis=1, b=a), sc.logsumexp(a, axis=1, b=a))
    np.testing.assert_array_equal(special.softmax(a, axis=0), sc.softmax(a, axis=0))
    np.testing.assert_array_equal(special.polygamma(2, a + 3), sc.polygamma(2, a + 3))


def test_ufunc_entries_are_exported_and_differentiate():
    assert special.xlogy.__name__ == "xlogy" and special.psi is special.digamma
    assert zymo.grad(special.expit)(0.0) == 0.25
