"""Hostile and unusual inputs: NaN and infinity, empty arrays, integers, object arrays, extreme values.

The NaN-safe ``where`` pattern. ``np.where(c, a, b)`` evaluates both branches,
and IEEE arithmetic gives ``0 * nan = nan``, so the gradient of an untaken
branch that is NaN (``sqrt`` of a negative, ``log`` of zero) still reaches the
input as NaN. This happens in NumPy, JAX and PyTorch as well. The fix is to
make the untaken branch's *input* safe as well::

    safe = np.where(x > 0, x, 1.0)                  # any value where the branch is not taken
    y = np.where(x > 0, np.sqrt(safe), 0.0)         # finite value and finite gradient everywhere
"""

from __future__ import annotations

import warnings

import numpy as onp
import pytest

import zymo
import zymo.nn as nn
import zymo.numpy as np


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# --- NaN and infinity -----------------------------------------------------------------------
def test_nan_input_propagates_to_the_value_and_its_own_gradient_entry():
    x = onp.array([onp.nan, 2.0])
    value, g = zymo.value_and_grad(lambda x: np.sum(x * x))(x)
    assert onp.isnan(value)
    assert onp.isnan(g[0]) and g[1] == 4.0


def test_nan_input_reaches_no_gradient_of_an_operation_whose_derivative_is_constant():
    g = zymo.grad(lambda x: np.sum(3.0 * x))(onp.array([onp.nan, 1.0]))
    onp.testing.assert_array_equal(g, [3.0, 3.0])


def test_infinite_inputs_give_ieee_derivatives():
    x = onp.array([onp.inf, -onp.inf, 0.0])
    onp.testing.assert_array_equal(zymo.grad(lambda x: np.sum(np.tanh(x)))(x), [0.0, 0.0, 1.0])
    onp.testing.assert_array_equal(zymo.grad(lambda x: np.sum(np.exp(x)))(x), [onp.inf, 0.0, 1.0])


def test_infinite_inputs_in_forward_mode_match_reverse_mode():
    x = onp.array([onp.inf, -onp.inf, 0.0])
    _, t = zymo.jvp(lambda x: np.tanh(x), (x,), (onp.ones(3),))
    onp.testing.assert_array_equal(t, [0.0, 0.0, 1.0])


def test_where_leaks_nan_from_the_branch_not_taken_as_ieee_arithmetic_demands():
    x = onp.array([4.0, -1.0])
    with onp.errstate(invalid="ignore"):
        g = zymo.grad(lambda x: np.sum(np.where(x > 0, np.sqrt(x), 0.0)))(x)
    assert g[0] == 0.25 and onp.isnan(g[1])


def test_nan_safe_where_pattern_gives_a_finite_gradient():
    def f(x):
        safe = np.where(x > 0, x, 1.0)
        return np.sum(np.where(x > 0, np.sqrt(safe), 0.0))

    onp.testing.assert_array_equal(zymo.grad(f)(onp.array([4.0, -1.0, 0.0])), [0.25, 0.0, 0.0])


# --- zero-size arrays -----------------------------------------------------------------------
def test_zero_size_input_gets_a_zero_size_gradient_of_its_shape_and_dtype():
    x = onp.zeros((0, 3), onp.float32)
    g = zymo.grad(lambda x: np.sum(np.tanh(x) * 2.0))(x)
    assert g.shape == (0, 3) and g.dtype == onp.float32


def test_matmul_over_an_empty_inner_dimension_has_zero_gradients():
    a, b = onp.ones((2, 0)), onp.ones((0, 3))
    value, (ga, gb) = zymo.withgradient(lambda a, b: np.sum(a @ b), a, b)
    assert value == 0.0 and ga.shape == (2, 0) and gb.shape == (0, 3)


def test_concatenating_onto_an_empty_array_passes_the_gradient_through():
    def f(x):
        y = np.zeros(0)
        for k in range(3):
            y = np.concatenate([y, x[k : k + 1] ** 2])
        return np.sum(y)

    onp.testing.assert_allclose(zymo.grad(f)(onp.array([1.0, 2.0, 3.0])), [2.0, 4.0, 6.0])


def test_forward_mode_on_zero_size_input():
    out, t = zymo.jvp(lambda x: np.sin(x), (onp.zeros(0),), (onp.zeros(0),))
    assert out.shape == (0,) and t.shape == (0,)


# --- integer and boolean inputs -------------------------------------------------------------
def test_integer_argument_gets_no_gradient():
    value, (gx, gn) = zymo.withgradient(lambda x, n: np.sum(x * n), onp.array([1.0, 2.0]), onp.array([3, 4]))
    assert value == 11.0 and gn is None
    onp.testing.assert_array_equal(gx, [3.0, 4.0])


def test_boolean_mask_argument_gets_no_gradient():
    _, (gx, gm) = zymo.withgradient(
        lambda x, m: np.sum(np.where(m, x, 0.0)), onp.array([1.0, 2.0]), onp.array([True, False])
    )
    assert gm is None
    onp.testing.assert_array_equal(gx, [1.0, 0.0])


def test_gradient_with_respect_to_integers_only_is_an_error_saying_to_pass_a_float():
    with pytest.raises(zymo.ZymoError, match="int64 array .*pass `x.astype"):
        zymo.grad(lambda n: np.sum(n * n))(onp.array([1, 2]))
    with pytest.raises(zymo.ZymoError, match="the integer 3.*pass `3.0`"):
        zymo.grad(lambda n: n * 2.0)(3)


def test_python_bool_and_int_leaves_of_a_pytree_get_none():
    g = zymo.grad(lambda p: p["w"] * p["n"] if p["flag"] else 0.0)({"w": 2.0, "n": 3, "flag": True})
    assert g == {"w": 3.0, "n": None, "flag": None}


# --- object arrays and unsupported dtypes -----------------------------------------------------
def test_object_array_argument_is_refused_naming_the_line():
    x = onp.array([1.0, 2.0], dtype=object)
    with pytest.raises(zymo.UnsupportedOperationError, match=r"dtype object.*test_hostile_inputs\.py:\d+.*astype"):
        zymo.grad(lambda x: np.sum(x * x))(x)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_traced_value_mixed_with_an_object_array_is_refused(mode):
    y = onp.array([1.0, 2.0], dtype=object)

    def f(x):
        return np.sum(x * y)

    with pytest.raises(zymo.UnsupportedOperationError, match="dtype object"):
        if mode == "rev":
            zymo.grad(f)(onp.ones(2))
        else:
            zymo.jvp(f, (onp.ones(2),), (onp.ones(2),))


def test_cast_of_a_traced_value_to_object_is_refused():
    with pytest.raises(zymo.UnsupportedOperationError, match="dtype object"):
        zymo.grad(lambda x: np.sum(x.astype(object)))(onp.ones(2))


def test_string_and_datetime_arguments_get_no_gradient():
    _, (gx, gs, gd) = zymo.withgradient(
        lambda x, s, d: np.sum(x), onp.ones(2), onp.array(["a"]), onp.array(["2020-01-01"], dtype="datetime64[D]")
    )
    assert gs is None and gd is None
    onp.testing.assert_array_equal(gx, [1.0, 1.0])


@pytest.mark.parametrize("dtype", [onp.float16, onp.float32, onp.longdouble])
def test_gradient_keeps_unusual_float_dtypes(dtype):
    g = zymo.grad(lambda x: np.sum(x * x))(onp.array([1.0, 2.0], dtype))
    assert g.dtype == dtype
    onp.testing.assert_array_equal(g, onp.array([2.0, 4.0], dtype))


# --- arguments the output does not depend on ------------------------------------------------
def test_gradient_for_an_unused_argument_is_zeros_of_its_shape_and_dtype():
    _, (gx, gy) = zymo.withgradient(lambda x, y: np.sum(x * 2.0), onp.ones(2), onp.ones((3, 1), onp.float32))
    onp.testing.assert_array_equal(gx, [2.0, 2.0])
    assert gy.shape == (3, 1) and gy.dtype == onp.float32 and not gy.any()


def test_gradient_of_a_constant_function_is_zeros():
    onp.testing.assert_array_equal(zymo.grad(lambda x: 3.0)(onp.ones(2)), [0.0, 0.0])


def test_gradient_through_stop_gradient_only_is_zeros():
    onp.testing.assert_array_equal(zymo.grad(lambda x: np.sum(zymo.stop_gradient(x) ** 2))(onp.ones(2)), [0.0, 0.0])


def test_vjp_and_jvp_of_an_output_independent_of_the_input_are_zeros():
    out, back = zymo.vjp(lambda x, y: (x * 2.0, np.ones(3)), onp.ones(2), onp.ones(4))
    gx, gy = back((onp.ones(2), onp.ones(3)))
    onp.testing.assert_array_equal(gy, onp.zeros(4))
    _, t = zymo.jvp(lambda x, y: np.sum(x), (onp.ones(2), onp.ones(3)), (onp.zeros(2), onp.ones(3)))
    assert t == 0.0


# --- extreme values in the stable activations and losses -------------------------------------
EXTREME = onp.array([-1e308, -1e30, -1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4, 1e30, 1e308])
ACTIVATIONS = [nn.sigmoid, nn.softplus, nn.silu, nn.gelu, nn.elu, nn.tanh, nn.relu, nn.leaky_relu]


@pytest.mark.parametrize("act", ACTIVATIONS, ids=lambda f: f.__name__)
def test_activation_at_extreme_values_is_finite_without_warnings(act):
    weights = onp.linspace(-1.0, 1.0, EXTREME.size)
    value, g = zymo.value_and_grad(lambda x: np.sum(act(x) * weights))(EXTREME)
    assert onp.isfinite(act(EXTREME)).all() and onp.isfinite(value)
    assert onp.isfinite(g).all()


@pytest.mark.parametrize("act", [nn.sigmoid, nn.tanh, nn.softplus], ids=lambda f: f.__name__)
def test_saturating_activation_at_extreme_values_has_exact_limits(act):
    y = act(onp.array([-1e308, 1e308]))
    lo = {"sigmoid": 0.0, "tanh": -1.0, "softplus": 0.0}[act.__name__]
    assert y[0] == lo and onp.isfinite(y[1])


@pytest.mark.parametrize("act", [nn.softmax, nn.log_softmax], ids=lambda f: f.__name__)
def test_softmax_family_at_extreme_logits_is_finite_without_warnings(act):
    z = onp.array([[-1e4, 0.0, 1e4], [800.0, 800.0, -800.0], [1e30, -1e30, 0.0]])
    value = act(z)
    g = zymo.grad(lambda z: np.sum(act(z) * onp.arange(9.0).reshape(3, 3)))(z)
    assert onp.isfinite(value).all() and onp.isfinite(g).all()


def test_logit_losses_at_extreme_logits_are_finite_without_warnings():
    z = onp.array([[-1e4, 0.0, 1e4], [800.0, -800.0, 0.0]])
    y = onp.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    for loss in (nn.losses.logitcrossentropy, nn.losses.logitbinarycrossentropy):
        value, g = zymo.value_and_grad(lambda z: loss(z, y))(z)
        assert onp.isfinite(value) and onp.isfinite(g).all(), loss.__name__


def test_probability_losses_at_zero_and_one_are_finite_without_warnings():
    p = onp.array([[0.0, 1.0], [1.0, 0.0]])
    y = onp.array([[1.0, 0.0], [1.0, 0.0]])
    for loss in (nn.losses.crossentropy, nn.losses.binarycrossentropy):
        value, g = zymo.value_and_grad(lambda p: loss(p, y))(p)
        assert onp.isfinite(value) and onp.isfinite(g).all(), loss.__name__
