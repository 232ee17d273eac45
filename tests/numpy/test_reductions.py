"""Reduction rules: every axis form and keepdims, NumPy's values, dtypes, zeros in products, differences."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import zymo
import zymo.numpy as znp
from tests.numpy.conftest import FAST, arrays, axes_for, check_complex_grads, complex_arrays, shapes
from zymo.testing import check_grads

REDUCTIONS = ["sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "logsumexp"]
CUMULATIVE = ["cumsum", "cumprod"]
DOMAIN = {"prod": (0.5, 1.5), "std": (-2, 2)}


def _reduction(name):
    return getattr(znp, name) if name == "logsumexp" else getattr(np, name)


def _case(name, min_dims=0):
    """A non-empty array in ``name``'s domain, an axis argument for it and a keepdims flag."""
    lo, hi = DOMAIN.get(name, (-2, 2))
    return shapes(min_dims=min_dims).flatmap(lambda s: st.tuples(arrays(s, lo, hi), axes_for(len(s)), st.booleans()))


def _reduced_size(shape, axis):
    axes = range(len(shape)) if axis is None else (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes]))


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_derivatives_match_finite_differences_for_every_axis_form(name):
    @FAST
    @given(_case(name))
    def run(case):
        x, axis, keepdims = case
        if name in ("var", "std") and _reduced_size(x.shape, axis) < 2:
            x, axis = np.stack([x, x + 1.0]), None  # a spread to differentiate
        check_grads(lambda x: _reduction(name)(x, axis=axis, keepdims=keepdims), (x,), order=2)

    run()


@pytest.mark.parametrize("name", CUMULATIVE)
def test_cumulative_derivatives_match_finite_differences_for_none_and_negative_axes(name):
    @FAST
    @given(shapes(min_dims=1).flatmap(lambda s: st.tuples(arrays(s, 0.5, 1.5), st.sampled_from([None, 0, -1]))))
    def run(case):
        x, axis = case
        check_grads(lambda x: getattr(np, name)(x, axis=axis), (x,), order=2)
        check_grads(lambda x: getattr(znp, name)(x, axis=axis), (x,), order=2)

    run()


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "var", "std"])
def test_reductions_through_znp_match_numpy_dispatch(name):
    x = np.random.default_rng(0).uniform(0.5, 1.5, (3, 4))
    check_grads(lambda x: getattr(znp, name)(x, axis=(0, 1), keepdims=True), (x,), order=2)
    g_np = zymo.grad(lambda x: getattr(np, name)(x, axis=-1).sum())(x)
    g_znp = zymo.grad(lambda x: getattr(znp, name)(x, axis=-1).sum())(x)
    np.testing.assert_array_equal(g_np, g_znp)


METHODS = {
    "x.sum(axis=1)": lambda x: x.sum(axis=1),
    "x.sum()": lambda x: x.sum(),
    "x.mean(axis=0, keepdims=True)": lambda x: x.mean(axis=0, keepdims=True),
    "x.prod(axis=-1)": lambda x: x.prod(axis=-1),
    "x.max()": lambda x: x.max(),
    "x.min(axis=0)": lambda x: x.min(axis=0),
    "x.var(ddof=1)": lambda x: x.var(ddof=1),
    "x.std(axis=1)": lambda x: x.std(axis=1),
    "x.cumsum(axis=1)": lambda x: x.cumsum(axis=1),
    "x.cumprod()": lambda x: x.cumprod(),
    "np.add.reduce(x)": lambda x: np.add.reduce(x),
    "np.maximum.reduce(x, axis=1)": lambda x: np.maximum.reduce(x, axis=1),
    "np.multiply.accumulate(x)": lambda x: np.multiply.accumulate(x),
}


@pytest.mark.parametrize("expr", METHODS)
def test_reduction_methods_and_ufunc_reductions_differentiate(expr):
    x = np.random.default_rng(1).uniform(0.5, 1.5, (3, 4))
    check_grads(METHODS[expr], (x,), order=2)
    np.testing.assert_array_equal(zymo.vjp(METHODS[expr], x)[0], METHODS[expr](x))


# --- NumPy's values and dtypes ----------------------------------------------------------------
VALUE_CASES = [(n, a) for n in REDUCTIONS for a in (None, 0, -1, (0, 2))] + [
    (n, a) for n in CUMULATIVE for a in (None, 0, -1)
]


@pytest.mark.parametrize("name, axis", VALUE_CASES)
def test_forward_value_under_tracing_is_numpys_bit_for_bit(name, axis):
    x = np.random.default_rng(2).uniform(0.5, 1.5, (2, 3, 4))
    f = lambda x: _reduction(name)(x, axis=axis)
    want = f(x)
    got_rev, _ = zymo.vjp(f, x)
    got_fwd, _ = zymo.jvp(f, (x,), (np.ones_like(x),))
    for got in (got_rev, got_fwd):
        assert np.asarray(got).dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", REDUCTIONS + CUMULATIVE)
def test_float32_input_gives_float32_gradient_and_tangent(name):
    x = np.random.default_rng(3).uniform(0.5, 1.5, (2, 3)).astype(np.float32)
    f = lambda x: _reduction(name)(x, axis=0)
    assert zymo.grad(lambda x: f(x).sum())(x).dtype == np.float32
    _, t = zymo.jvp(f, (x,), (np.ones_like(x),))
    assert t.dtype == np.float32


# --- special cases ---------------------------------------------------------------------------
def test_max_shares_the_gradient_evenly_among_ties():
    g = zymo.grad(lambda x: np.max(x))(np.array([1.0, 3.0, 3.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 0.5, 0.5, 0.0])


def test_prod_gradient_is_exact_with_one_zero():
    g = zymo.grad(np.prod)(np.array([0.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g, [6.0, 0.0, 0.0])


def test_prod_gradient_is_zero_with_two_zeros():
    g = zymo.grad(lambda x: np.prod(x, axis=1).sum())(np.array([[0.0, 2.0, 0.0], [1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(g, [[0.0, 0.0, 0.0], [6.0, 3.0, 2.0]])


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_prod_with_zeros_passes_second_order_checks(axis):
    x = np.array([[0.0, 2.0, 0.5], [1.5, 0.0, 0.0], [0.7, 1.2, -0.8]])
    check_grads(lambda x: np.prod(x, axis=axis), (x,), order=2)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_cumprod_with_zeros_passes_second_order_checks(axis):
    x = np.array([[0.0, 2.0, 0.5], [1.5, 0.0, 0.0], [0.7, 1.2, -0.8]])
    check_grads(lambda x: np.cumprod(x, axis=axis), (x,), order=2)


def test_prod_of_tiny_values_keeps_an_accurate_gradient():
    x = np.array([1e-200, 1e-200, 3.0])  # the product underflows; the other elements' products do not
    g = zymo.grad(np.prod)(x)
    np.testing.assert_allclose(g, [3e-200, 3e-200, 0.0])


def test_logsumexp_is_stable_for_large_inputs():
    x = np.array([1000.0, 1000.0])
    value, g = zymo.value_and_grad(znp.logsumexp)(x)
    np.testing.assert_allclose(value, 1000.0 + np.log(2.0))
    np.testing.assert_allclose(g, [0.5, 0.5])


def test_var_and_std_respect_ddof():
    x = np.array([[0.3, 1.2, -0.7], [2.0, 0.1, 0.4]])
    check_grads(lambda x: np.var(x, axis=1, ddof=1), (x,), order=2)
    check_grads(lambda x: np.std(x, ddof=1, keepdims=True), (x,), order=2)


# --- finite differences: diff and gradient --------------------------------------------------
DIFFS = {
    "diff(x)": lambda x: np.diff(x),
    "diff(x, n=2, axis=0)": lambda x: np.diff(x, n=2, axis=0),
    "diff(x, prepend=0.5)": lambda x: np.diff(x, prepend=0.5),
    "diff(x, axis=0, append=x[:1])": lambda x: np.diff(x, axis=0, append=x[:1]),
    "znp.diff(x, n=3)": lambda x: znp.diff(x, n=3),
}


@pytest.mark.parametrize("expr", DIFFS)
def test_diff_derivatives_and_values(expr):
    x = np.random.default_rng(4).normal(size=(4, 5))
    f = DIFFS[expr]
    check_grads(f, (x,), order=2)
    np.testing.assert_array_equal(zymo.vjp(f, x)[0], f(x))


COORDS = [0.0, 1.0, 3.0, 3.5, 5.0]
GRADIENTS = {
    "gradient(y)": lambda y: np.gradient(y),
    "gradient(y, axis=1)": lambda y: np.gradient(y, axis=1),
    "gradient(y, 0.5, edge_order=2)": lambda y: np.gradient(y, 0.5, edge_order=2),
    "gradient(y, 2.0, coords)": lambda y: np.gradient(y, 2.0, COORDS),
    "gradient(y, coords, axis=1, edge_order=2)": lambda y: np.gradient(y, COORDS, axis=1, edge_order=2),
    "znp.gradient(y, axis=-2)": lambda y: znp.gradient(y, axis=-2),
}


@pytest.mark.parametrize("expr", GRADIENTS)
def test_numpy_gradient_derivatives_and_values(expr):
    y = np.random.default_rng(5).normal(size=(4, 5))
    f = GRADIENTS[expr]
    check_grads(f, (y,), order=2)
    got, want = zymo.vjp(f, y)[0], f(y)
    for g, w in zip(got if isinstance(got, tuple) else [got], want if isinstance(want, tuple) else [want]):
        np.testing.assert_array_equal(g, w)


def test_numpy_gradient_too_short_axis_raises_numpys_error():
    with pytest.raises(ValueError, match="too small"):
        zymo.grad(lambda y: np.gradient(y, edge_order=2).sum())(np.ones(2))


# --- complex values ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "cumsum", "cumprod"])
def test_holomorphic_reductions_on_complex_inputs(name):
    @FAST
    @given(shapes(min_dims=1, max_dims=2).flatmap(lambda s: complex_arrays(s, radius=1.0)))
    def run(z):
        check_complex_grads(lambda z: getattr(np, name)(z, axis=-1), (z,), order=2)

    run()


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_and_std_of_complex_inputs_follow_the_real_valued_convention(name):
    z = np.array([[1.0 + 2.0j, -0.5 + 0.3j, 0.2 - 1.0j], [0.4 + 0.1j, 1.1 - 0.6j, -0.9 - 0.2j]])
    check_complex_grads(lambda z: getattr(np, name)(z, axis=1, ddof=1), (z,), order=2)
    check_complex_grads(lambda z: getattr(np, name)(z), (z,), order=2)


@pytest.mark.parametrize(
    "f",
    [
        lambda x: np.prod(x, axis=1),
        lambda x: np.cumprod(x, axis=0),
        lambda x: znp.logsumexp(x, axis=0),
        lambda x: np.std(x, axis=1),
    ],
    ids=["prod with zeros", "cumprod with zeros", "logsumexp", "std"],
)
def test_third_order_derivatives_match_finite_differences(f):
    x = np.array([[0.0, 2.0, 0.5], [1.5, 0.0, 0.0], [0.7, 1.2, -0.8]])
    check_grads(f, (x,), order=3, eps=1e-4, rtol=1e-4, atol=1e-5)


def test_std_of_a_constant_has_zero_derivative_in_both_modes():
    x = np.array([[0.1, 0.2, 0.3], [0.1, 0.5, 0.3]])
    np.testing.assert_array_equal(zymo.grad(lambda x: np.std(x[:1], axis=0).sum())(x), np.zeros_like(x))
    _, t = zymo.jvp(lambda x: np.std(x, axis=0), (x,), (np.ones_like(x),))
    np.testing.assert_allclose(t, [0.0, 0.0, 0.0], atol=1e-15)  # columns 0 and 2 are constant; column 1 moves rigidly
    check_grads(lambda x: np.std(x[:1], axis=0), (x,), order=2)


def test_on_plain_arrays_diff_and_gradient_are_numpys():
    b = np.array([True, False, False, True])
    np.testing.assert_array_equal(znp.diff(b), np.diff(b))
    y = np.array([1, 4, 9, 16])
    np.testing.assert_array_equal(znp.gradient(y, 2), np.gradient(y, 2))


@pytest.mark.parametrize("reduction", [np.var, np.std], ids=lambda f: f.__name__)
def test_var_and_std_about_a_given_mean_give_numpys_values_and_derivatives(reduction):
    x = np.random.default_rng(0).standard_normal((3, 4))
    f = lambda x: reduction(x, axis=1, ddof=1, mean=0.5 * np.mean(x, axis=1, keepdims=True))
    np.testing.assert_array_equal(zymo.vjp(f, x)[0], f(x))
    check_grads(f, (x,), order=2)


_W = np.random.default_rng(3).random((4, 6)) < 0.7
_W[:, 0] = _W[0, :] = True  # every row and column keeps an entry
WHERE = {
    "sum": lambda x: np.sum(x, axis=1, where=_W),
    "sum_all": lambda x: np.sum(x, where=_W),
    "mean": lambda x: np.mean(x, axis=1, where=_W, keepdims=True),
    "mean_all": lambda x: np.mean(x, where=_W),
    "prod": lambda x: np.prod(x, axis=1, where=_W),
    "max": lambda x: np.max(x, axis=1, where=_W, initial=0.0),
    "min": lambda x: np.min(x, axis=0, where=_W, initial=10.0),
    "var": lambda x: np.var(x, axis=1, where=_W),
    "std": lambda x: np.std(x, axis=0, where=_W),
    "var_all_ddof": lambda x: np.var(x, where=_W, ddof=1),
}


@pytest.mark.parametrize("name", WHERE)
def test_reductions_with_where_give_numpys_values_and_derivatives(name):
    f = WHERE[name]
    x = np.random.default_rng(0).uniform(0.5, 1.5, (4, 6))
    np.testing.assert_array_equal(zymo.vjp(f, x)[0], f(x))
    check_grads(f, (x,), order=2)


def test_max_with_where_and_no_initial_raises_numpys_error():
    with pytest.raises(ValueError, match="initial"):
        zymo.grad(lambda x: np.max(x, where=_W))(np.ones((4, 6)))


@pytest.mark.parametrize("name", ["sum", "prod"])
@pytest.mark.parametrize("axis", [0, 1, None, (0, 1)])
def test_initial_starts_the_reduction_as_in_numpy_bit_for_bit(name, axis):
    # NumPy computes (initial + x0) + x1 along an outer axis, which rounds differently from (x0 + x1) + initial
    f = getattr(np, name)
    for seed in range(20):
        rng = np.random.default_rng(seed)
        x, w = rng.uniform(0.5, 2.0, (3, 4)), rng.random((3, 4)) < 0.7
        for kw in ({"initial": 1.5}, {"initial": 0.7, "where": w, "keepdims": True}):
            if name == "prod" and "where" in kw:
                continue
            want = f(x, axis=axis, **kw)
            np.testing.assert_array_equal(zymo.vjp(lambda a: f(a, axis=axis, **kw), x)[0], want)
            np.testing.assert_array_equal(zymo.jvp(lambda a: f(a, axis=axis, **kw), (x,), (x,))[0], want)
    check_grads(lambda a: f(a, axis=axis, initial=1.5), (x,), order=2, modes=("fwd", "rev"))
