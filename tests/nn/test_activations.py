"""Activations: derivatives in both modes to second order, stability at extreme inputs, dtypes, values."""

import warnings

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra.numpy import arrays

import zymo
from zymo.nn import activations as act
from zymo.testing import check_grads

NEEDS_TORCH = (
    "PyTorch parity test: needs torch "
    "(CPU build: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu)"
)

ALL = [
    act.relu,
    act.leaky_relu,
    act.elu,
    act.gelu,
    act.sigmoid,
    act.hard_sigmoid,
    act.softplus,
    act.silu,
    act.tanh,
    act.softmax,
    act.log_softmax,
]
FUSED = [act.relu_p, act.sigmoid_p, act.softplus_p, act.silu_p, act.gelu_p, act.softmax_p, act.log_softmax_p]

# Away from the kinks at 0 and +-3, where finite differences straddle a corner.
X = np.array([-3.7, -2.0, -0.3, 0.4, 1.7, 2.5, 3.4])
EXTREME64 = np.array([-1e308, -1e4, -50.0, -1e-300, 0.0, 1e-300, 50.0, 1e4, 1e308])
EXTREME32 = np.array([-3e38, -1e4, -50.0, -1e-38, 0.0, 1e-38, 50.0, 1e4, 3e38], np.float32)


def _total(f):
    return lambda v: np.sum(f(v) * np.linspace(0.5, 1.5, v.size).reshape(v.shape))


@pytest.mark.parametrize("f", ALL, ids=lambda f: f.__name__)
def test_derivatives_match_finite_differences_in_both_modes_to_second_order(f):
    check_grads(f, (X,), order=2)


@pytest.mark.parametrize("f", [act.softmax, act.log_softmax], ids=lambda f: f.__name__)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_family_derivatives_along_any_axis(f, axis):
    x = np.random.default_rng(1).standard_normal((3, 4))
    check_grads(lambda v: f(v, axis=axis), (x,), order=2)


def test_parameterised_activations_have_correct_derivatives():
    check_grads(lambda v: act.leaky_relu(v, 0.2), (X,), order=2)
    check_grads(lambda v: act.elu(v, 0.7), (X,), order=2)


@pytest.mark.parametrize("f", FUSED, ids=lambda p: p.name)
def test_fused_activations_are_single_primitives_with_both_rules(f):
    assert f.vjp is not None and f.jvp is not None


@pytest.mark.parametrize("f", ALL, ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [EXTREME64, EXTREME32], ids=["float64", "float32"])
def test_extreme_inputs_give_finite_values_and_gradients_without_warnings(f, x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y, back = zymo.vjp(f, x)
        g = back(np.linspace(0.5, 1.5, x.size).astype(x.dtype))
    if f is not act.log_softmax:  # log_softmax of -1e308 next to 1e308 is -2e308: -inf is the honest answer
        assert np.all(np.isfinite(y))
    assert np.all(np.isfinite(g))


@pytest.mark.parametrize("f", [act.log_softmax, act.softmax], ids=lambda f: f.__name__)
def test_softmax_family_is_finite_for_logits_far_apart(f):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = f(np.array([-1e4, 0.0, 1e4]))
    assert np.all(np.isfinite(y))


@pytest.mark.parametrize("f", ALL, ids=lambda f: f.__name__)
def test_float32_in_gives_float32_values_and_gradients(f):
    x = X.astype(np.float32)
    assert f(x).dtype == np.float32
    assert zymo.grad(_total(f))(x).dtype == np.float32


def test_values_match_the_textbook_formulas_at_moderate_inputs():
    x = X
    sig = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(act.sigmoid(x), sig, rtol=1e-15)
    np.testing.assert_allclose(act.softplus(x), np.log1p(np.exp(x)), rtol=1e-14)
    np.testing.assert_allclose(act.silu(x), x * sig, rtol=1e-14)
    np.testing.assert_allclose(act.relu(x), np.maximum(x, 0))
    np.testing.assert_allclose(act.leaky_relu(x), np.where(x > 0, x, 0.01 * x))
    np.testing.assert_allclose(act.elu(x), np.where(x > 0, x, np.exp(x) - 1), rtol=1e-14)
    np.testing.assert_allclose(act.hard_sigmoid(x), np.clip(x / 6 + 0.5, 0, 1))
    gelu = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(act.gelu(x), gelu, rtol=1e-14)
    np.testing.assert_allclose(act.softmax(x), np.exp(x) / np.exp(x).sum(), rtol=1e-14)
    np.testing.assert_allclose(act.log_softmax(x), np.log(np.exp(x) / np.exp(x).sum()), rtol=1e-14)


def test_relu_has_zero_derivative_at_zero():
    assert zymo.grad(lambda v: act.relu(v))(0.0) == 0.0


def test_softmax_rows_sum_to_one_along_the_chosen_axis():
    x = np.random.default_rng(0).standard_normal((3, 5))
    np.testing.assert_allclose(act.softmax(x, axis=0).sum(axis=0), np.ones(5))
    np.testing.assert_allclose(np.exp(act.log_softmax(x, axis=1)).sum(axis=1), np.ones(3))


def test_activations_match_pytorch():
    torch = pytest.importorskip("torch", reason=NEEDS_TORCH)
    F = torch.nn.functional
    x = np.linspace(-6, 6, 41)
    t = torch.tensor(x)
    pairs = [
        (act.relu, F.relu),
        (lambda v: act.leaky_relu(v, 0.1), lambda v: F.leaky_relu(v, 0.1)),
        (act.elu, F.elu),
        (act.gelu, lambda v: F.gelu(v, approximate="tanh")),
        (act.sigmoid, torch.sigmoid),
        (act.hard_sigmoid, F.hardsigmoid),
        (act.softplus, F.softplus),
        (act.silu, F.silu),
        (act.tanh, torch.tanh),
        (act.softmax, lambda v: F.softmax(v, -1)),
        (act.log_softmax, lambda v: F.log_softmax(v, -1)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours(x), theirs(t).numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("f", ALL, ids=lambda f: f.__name__)
def test_traced_values_equal_plain_values_bit_for_bit(f):
    x = np.random.default_rng(3).standard_normal((4, 5)).astype(np.float32)
    traced, _ = zymo.vjp(f, x)
    np.testing.assert_array_equal(traced, f(x))
    _, tangent = zymo.jvp(f, (x,), (np.ones_like(x),))
    assert tangent.dtype == np.float32


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, st.integers(1, 6), elements=st.floats(-1e308, 1e308)))
def test_any_finite_input_gives_finite_values_and_gradients_without_warnings(x):
    for f in ALL:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y, back = zymo.vjp(f, x)
            g = back(np.ones_like(x))
        if f is not act.log_softmax:
            assert np.all(np.isfinite(y)), f.__name__
        assert np.all(np.isfinite(g)), f.__name__
