"""The public differentiation API: grad, value_and_grad, withgradient, vjp, jvp, stop_gradient."""

import numpy as np
import pytest

import zymo
import zymo.numpy as znp


def test_grad_of_square_sum():
    x = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(zymo.grad(lambda x: np.sum(x**2))(x), 2 * x)


def test_grad_argnums_tuple_and_pytrees():
    def f(p, x, n):
        return np.sum(p["w"] * x) + p["b"][0] ** 2 + n

    p = {"w": np.array([1.0, 2.0]), "b": [3.0, "label"]}
    x = np.array([0.5, -1.0])
    gp, gx = zymo.grad(f, argnums=(0, 1))(p, x, 4)
    np.testing.assert_allclose(gp["w"], x)
    assert gp["b"][0] == pytest.approx(6.0) and isinstance(gp["b"][0], float)
    assert gp["b"][1] is None
    np.testing.assert_allclose(gx, p["w"])


def test_value_and_grad_with_aux():
    (v, aux), g = zymo.value_and_grad(lambda x: (np.sum(x**2), x * 2), has_aux=True)(np.ones(2))
    assert v == 2.0
    np.testing.assert_allclose(aux, [2.0, 2.0])
    assert type(aux) is np.ndarray
    np.testing.assert_allclose(g, [2.0, 2.0])


def test_withgradient_differentiates_every_argument():
    value, grads = zymo.withgradient(lambda a, b: a * b, 3.0, 4.0)
    assert value == 12.0
    assert grads == (4.0, 3.0)


def test_gradient_keeps_float32():
    g = zymo.grad(lambda x: np.mean(np.tanh(x)))(np.ones(3, np.float32))
    assert g.dtype == np.float32


def test_vjp_of_pytree_output():
    out, back = zymo.vjp(lambda x: {"a": x * 2, "b": np.sum(x)}, np.ones(3))
    (g,) = back({"a": np.array([1.0, 2.0, 3.0]), "b": 1.0})
    np.testing.assert_allclose(g, [3.0, 5.0, 7.0])
    (g2,) = back({"a": np.zeros(3), "b": 2.0})  # callable again
    np.testing.assert_allclose(g2, [2.0, 2.0, 2.0])


def test_jvp():
    out, t = zymo.jvp(lambda x: np.sin(x) * 2, (np.array([0.0, 1.0]),), (np.array([1.0, 1.0]),))
    np.testing.assert_allclose(t, 2 * np.cos([0.0, 1.0]))


def test_stop_gradient():
    g = zymo.grad(lambda x: np.sum(x * zymo.stop_gradient(x)))(np.array([1.0, 2.0]))
    np.testing.assert_allclose(g, [1.0, 2.0])


def test_output_independent_of_input_gives_zeros():
    g = zymo.grad(lambda x, y: np.sum(y**2), argnums=0)(np.ones(3), np.ones(2))
    np.testing.assert_array_equal(g, np.zeros(3))


def test_no_perturbation_confusion():
    # d/dx [x * d/dy (x + y)] = 1
    def f(x):
        return x * zymo.grad(lambda y: x + y)(2.0)

    assert zymo.grad(f)(3.0) == pytest.approx(1.0)


def test_second_derivative_reverse_over_reverse():
    d2 = zymo.grad(zymo.grad(lambda x: x**3))(2.0)
    assert d2 == pytest.approx(12.0)


def test_forward_over_reverse():
    _, t = zymo.jvp(zymo.grad(lambda x: znp.sin(x) * x), (1.0,), (1.0,))
    assert t == pytest.approx(2 * np.cos(1.0) - np.sin(1.0))


@pytest.mark.parametrize(
    "fun, args, argnums, what",
    [
        (lambda a: a**2, (3,), 0, "the integer 3"),
        (lambda a: (a**2).sum(), (np.arange(3),), 0, "an int64 array of shape \\(3,\\)"),
        (lambda a, n: a * n, (2.0, 3), 1, "argument 1: it is the integer 3"),
        (lambda a, n: a * n, (2.0, 3), (0, 1), "argument 1: it is the integer 3"),
        (lambda p: p["i"] * 2, ({"i": 1, "j": np.arange(2)},), 0, "a pytree of integers only"),
    ],
)
def test_gradient_with_respect_to_an_integer_is_an_error_naming_it_and_the_fix(fun, args, argnums, what):
    for transform in (zymo.grad, zymo.value_and_grad, lambda f, argnums: zymo.jit(zymo.grad(f, argnums))):
        with pytest.raises(zymo.ZymoError, match=f"{what}.*Fix: pass .*test_api.py:"):
            transform(fun, argnums=argnums)(*args)


def test_integer_leaf_beside_floating_leaves_keeps_a_none_gradient():
    g = zymo.grad(lambda p: p["w"] * p["n"])({"w": 2.0, "n": 3})
    assert g == {"w": 3.0, "n": None}


def test_withgradient_gives_none_for_an_integer_argument_as_flux():
    assert zymo.withgradient(lambda a, n: a * n, 2.0, 3) == (6.0, (3.0, None))


def test_argnums_out_of_range_names_the_user_line():
    with pytest.raises(zymo.ZymoError, match="argnums 2 out of range .*1 argument .*test_api.py:"):
        zymo.grad(lambda a: a * 2, argnums=2)(1.0)
