"""custom_vjp and the public primitive / defvjp / defjvp registry."""

import numpy as onp
import pytest

import zymo
import zymo.numpy as znp
from zymo.testing import GradientCheckError, check_grads, numerical_grad

X = onp.array([0.3, -0.7, 1.1])
Y = onp.array([1.5, -2.0, 0.4])


def _sin_times():
    @zymo.custom_vjp
    def f(x, y):
        return znp.sin(x) * y

    def fwd(x, y):
        return f(x, y), (x, y)

    def bwd(res, g):
        x, y = res
        return g * znp.cos(x) * y, g * znp.sin(x)

    f.defvjp(fwd, bwd)
    return f


def test_custom_vjp_without_tracers_is_the_plain_function():
    f = _sin_times()
    assert onp.array_equal(f(X, Y), onp.sin(X) * Y)


def test_custom_vjp_reverse_forward_and_second_order_match_finite_differences():
    check_grads(_sin_times(), (X, Y), order=2)


def test_custom_vjp_third_order_nests():
    check_grads(_sin_times(), (X, Y), order=3, modes=("rev",))


def test_custom_vjp_rule_is_the_one_used():
    @zymo.custom_vjp
    def clipped_identity(x):
        return x

    clipped_identity.defvjp(lambda x: (x, None), lambda res, g: (znp.clip(g, -1.0, 1.0),))
    g = zymo.grad(lambda x: znp.sum(clipped_identity(x) * 5.0))(X)
    assert onp.array_equal(g, onp.ones(3))
    _, t = zymo.jvp(lambda x: clipped_identity(x) * 1.0, (X,), (onp.array([3.0, 0.5, -4.0]),))
    # forward mode is the transpose of the rule's (linear in g) Jacobian at g = 0: the identity
    assert onp.array_equal(t, [3.0, 0.5, -4.0])


def test_custom_vjp_wrong_rule_is_caught_by_check_grads():
    @zymo.custom_vjp
    def f(x):
        return x**2

    f.defvjp(lambda x: (f(x), x), lambda x, g: (g * 3 * x,))
    with pytest.raises(GradientCheckError):
        check_grads(f, (X,), order=1)


def test_custom_vjp_pytree_arguments_and_outputs():
    @zymo.custom_vjp
    def f(d, s):
        return {"a": d["x"] * s, "b": [znp.exp(d["x"]) * d["y"]]}

    def fwd(d, s):
        return f(d, s), (d, s)

    def bwd(res, ct):
        d, s = res
        e = znp.exp(d["x"])
        gx = ct["a"] * s + ct["b"][0] * e * d["y"]
        return {"x": gx, "y": ct["b"][0] * e}, znp.sum(ct["a"] * d["x"])

    f.defvjp(fwd, bwd)
    d = {"x": X, "y": Y}
    check_grads(f, (d, 2.0), order=2)


def test_custom_vjp_output_used_only_in_part_gets_zero_cotangent_elsewhere():
    @zymo.custom_vjp
    def pair(x):
        return x * 2, x * 3

    pair.defvjp(lambda x: (pair(x), None), lambda res, g: (g[0] * 2 + g[1] * 3,))
    assert onp.array_equal(zymo.grad(lambda x: pair(x)[1].sum())(X), onp.full(3, 3.0))


def test_custom_vjp_inside_a_loop_with_mutation_matches_finite_differences():
    f = _sin_times()

    def loss(x, y):
        buf = znp.zeros((3, 3))
        for t in range(3):
            buf[t] = f(x, y + t)
        return znp.sum(buf**2)

    (gx, gy) = zymo.grad(loss, (0, 1))(X, Y)
    nx, ny = numerical_grad(loss, (X, Y))
    assert onp.allclose(gx, nx, atol=1e-6) and onp.allclose(gy, ny, atol=1e-6)


def test_custom_vjp_none_gradient_means_zero():
    @zymo.custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (f(x, y), x), lambda x, g: (None, g * x))
    gx, gy = zymo.grad(lambda x, y: f(x, y).sum(), (0, 1))(X, Y)
    assert onp.array_equal(gx, onp.zeros(3)) and onp.array_equal(gy, X)


def test_custom_vjp_without_rule_raises_zymo_error():
    @zymo.custom_vjp
    def f(x):
        return x

    with pytest.raises(zymo.ZymoError, match="defvjp"):
        zymo.grad(lambda x: f(x).sum())(X)


def test_custom_vjp_bwd_with_wrong_arity_raises_zymo_error():
    @zymo.custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (f(x, y), None), lambda res, g: (g,))
    with pytest.raises(zymo.ZymoError, match="one gradient per argument"):
        zymo.grad(lambda x: f(x, Y).sum())(X)


def test_custom_vjp_bwd_with_wrong_shape_raises_zymo_error():
    @zymo.custom_vjp
    def f(x):
        return x * 2

    f.defvjp(lambda x: (f(x), None), lambda res, g: (g.sum(),))
    with pytest.raises(zymo.ZymoError, match="shape"):
        zymo.grad(lambda x: f(x).sum())(X)


def test_custom_vjp_forward_mode_with_plain_numpy_bwd_raises_zymo_error():
    @zymo.custom_vjp
    def f(x):
        return x * 2

    f.defvjp(lambda x: (f(x), None), lambda res, g: (onp.asarray(g) * 2,))
    with pytest.raises(zymo.ZymoError, match="forward mode"):
        zymo.jvp(f, (X,), (X,))


def test_public_primitive_with_defvjp_and_defjvp_checks_in_both_modes():
    @zymo.primitive
    def cube(x):
        return x**3

    zymo.defvjp(cube, lambda g, ans, x: g * 3 * x**2)
    zymo.defjvp(cube, lambda t, ans, x: t * 3 * x**2)
    assert onp.array_equal(cube(X), X**3)
    check_grads(cube, (X,), order=2)


def test_public_primitive_without_forward_rule_raises_in_forward_mode():
    @zymo.primitive
    def square(x):
        return x * x

    zymo.defvjp(square, lambda g, ans, x: 2 * g * x)
    with pytest.raises(zymo.UnsupportedOperationError, match="square"):
        zymo.jvp(square, (X,), (X,))


def test_custom_vjp_residual_survives_in_place_writes_to_the_output():
    @zymo.custom_vjp
    def exp(x):
        return znp.exp(x)

    def fwd(x):
        y = exp(x)
        return y, y  # the output itself is the residual

    exp.defvjp(fwd, lambda y, g: (g * y,))

    def loss(x):
        y = exp(x)
        s = znp.sum(y * y)
        y += 1.0
        y[0] = 5.0
        return s + znp.sum(y)

    (want,) = numerical_grad(loss, (X,))
    assert onp.allclose(zymo.grad(loss)(X), want, atol=1e-6)
    _, t = zymo.jvp(loss, (X,), (onp.ones(3),))
    assert t == pytest.approx(want.sum(), rel=1e-7)


def test_custom_vjp_keyword_arguments_are_static():
    @zymo.custom_vjp
    def scale(x, *, factor):
        return x * factor

    scale.defvjp(lambda x, *, factor: (scale(x, factor=factor), factor), lambda factor, g: (g * factor,))
    assert onp.array_equal(zymo.grad(lambda x: znp.sum(scale(x, factor=3.0)))(X), onp.full(3, 3.0))
    with pytest.raises(zymo.ZymoError, match="keyword argument"):
        zymo.grad(lambda x: znp.sum(scale(X, factor=x[0])))(X)


def test_custom_vjp_errors_name_where_the_rule_is_defined():
    @zymo.custom_vjp
    def f(x):
        return x * 2

    def bad_bwd(res, g):
        return g

    f.defvjp(lambda x: (f(x), None), bad_bwd)
    with pytest.raises(zymo.ZymoError, match=r"test_custom\.py:\d+"):
        zymo.grad(lambda x: f(x).sum())(X)
