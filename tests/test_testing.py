"""zymo.testing: finite-difference gradients and check_grads' verdicts and messages."""

import numpy as onp
import pytest

import zymo
import zymo.numpy as znp
from zymo.testing import GradientCheckError, check_grads, max_relative_error, numerical_grad

X = onp.array([0.3, -0.8, 1.4])


def _cube(vjp_rule, jvp_rule):
    @zymo.primitive
    def cube(x):
        return x**3

    if vjp_rule is not None:
        zymo.defvjp(cube, vjp_rule)
    if jvp_rule is not None:
        zymo.defjvp(cube, jvp_rule)
    return cube


GOOD_VJP = lambda g, ans, x: g * 3 * x**2  # noqa: E731
GOOD_JVP = lambda t, ans, x: t * 3 * x**2  # noqa: E731


def test_numerical_grad_of_a_quadratic():
    (g,) = numerical_grad(lambda x: float(onp.sum(x**2)), (X,))
    assert onp.allclose(g, 2 * X, atol=1e-8)


def test_numerical_grad_gives_none_for_integer_leaves():
    g = numerical_grad(lambda x, n: float(onp.sum(x) * n), (X, 3))
    assert g[1] is None and onp.allclose(g[0], 3.0)


def test_max_relative_error_is_relative_to_the_largest_reference_entry():
    assert max_relative_error([onp.array([1.0, 2.1])], [onp.array([1.0, 2.0])]) == pytest.approx(0.05)
    assert max_relative_error(onp.ones(2), onp.ones(3)) == float("inf")


def test_check_grads_passes_correct_rules_to_second_order():
    check_grads(_cube(GOOD_VJP, GOOD_JVP), (X,), order=2)


def test_check_grads_accepts_pytrees_python_floats_and_integer_arguments():
    def f(d, s, n):
        return znp.sum(d["a"] * s) * n + znp.sum(znp.sin(d["b"][0]))

    check_grads(f, ({"a": X, "b": [X * 2]}, 1.5, 2), order=2)


def test_check_grads_converts_float32_inputs_to_float64():
    check_grads(znp.tanh, (X.astype(onp.float32),), order=1)


def test_wrong_reverse_rule_is_reported_with_mode_argument_and_order():
    @zymo.primitive
    def mul(x, y):
        return x * y

    zymo.defvjp(mul, lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x * 2)
    zymo.defjvp(mul, lambda t, ans, x, y: t * y, lambda t, ans, x, y: t * x)
    with pytest.raises(GradientCheckError, match=r"reverse mode, argument 1, order 1"):
        check_grads(mul, (X, X[::-1].copy()), order=1)


def test_wrong_forward_rule_is_reported_with_mode_argument_and_order():
    cube = _cube(GOOD_VJP, lambda t, ans, x: t * 2 * x**2)
    with pytest.raises(GradientCheckError, match=r"forward mode, argument 0, order 1") as e:
        check_grads(cube, (X,), order=1)
    assert "finite differences" in str(e.value)


def test_wrong_second_derivative_is_reported_at_order_two():
    # correct first derivative, but its own derivative ignores the dependence on x
    cube = _cube(lambda g, ans, x: g * 3 * zymo.stop_gradient(x) ** 2, GOOD_JVP)
    check_grads(cube, (X,), order=1)
    with pytest.raises(GradientCheckError, match=r"order 2 \(vjp of cube\)"):
        check_grads(cube, (X,), order=2)


def test_modes_restrict_which_derivatives_are_checked():
    rev_only = _cube(GOOD_VJP, None)
    check_grads(rev_only, (X,), order=2, modes=("rev",))
    with pytest.raises(zymo.UnsupportedOperationError):
        check_grads(rev_only, (X,), order=1, modes=("fwd",))


def test_complex_inputs_follow_one_convention_in_both_modes():
    z = onp.array([0.3 + 0.2j, -1.0 + 0.5j])
    check_grads(lambda z: z * z, (z,), order=2)


def test_tolerances_are_respected():
    cube = _cube(lambda g, ans, x: g * 3 * x**2 * (1 + 1e-4), GOOD_JVP)
    check_grads(cube, (X,), order=1, rtol=1e-2, atol=1e-2)
    with pytest.raises(GradientCheckError):
        check_grads(cube, (X,), order=1)


@pytest.mark.parametrize("kwargs", [{"modes": ("backward",)}, {"order": 0}])
def test_invalid_options_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        check_grads(znp.sin, (X,), **kwargs)
