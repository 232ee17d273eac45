"""jacobian, jacfwd, jacrev, hessian, hvp, elementwise_grad, make_jvp, make_vjp."""

import numpy as onp
import pytest

import zymo
import zymo.numpy as znp
from zymo.testing import numerical_grad

rng = onp.random.default_rng(0)
A = rng.standard_normal((3, 4))
X = rng.standard_normal(4)


def f_vec(x):
    return znp.tanh(A @ x) * x[:3]


def numerical_jacobian(f, x, eps=1e-6):
    cols = []
    for i in range(x.size):
        d = onp.zeros_like(x)
        d.reshape(-1)[i] = eps
        cols.append((onp.asarray(f(x + d)) - onp.asarray(f(x - d))) / (2 * eps))
    return onp.stack(cols, axis=-1).reshape(onp.shape(f(x)) + x.shape)


@pytest.mark.parametrize("jac", [zymo.jacobian, zymo.jacfwd, zymo.jacrev])
def test_jacobian_matches_finite_differences(jac):
    assert onp.allclose(jac(f_vec)(X), numerical_jacobian(f_vec, X), atol=1e-7)


@pytest.mark.parametrize("jac", [zymo.jacobian, zymo.jacfwd, zymo.jacrev])
def test_jacobian_of_matrix_function_has_output_then_input_shape(jac):
    def f(m):
        return znp.sin(m).sum(axis=0)

    m = rng.standard_normal((2, 3))
    j = jac(f)(m)
    assert j.shape == (3, 2, 3)
    assert onp.allclose(j, numerical_jacobian(f, m), atol=1e-7)


@pytest.mark.parametrize("jac", [zymo.jacobian, zymo.jacfwd, zymo.jacrev])
def test_jacobian_with_tuple_argnums_and_pytree_output(jac):
    def f(x, d):
        return {"u": x * d["w"], "v": znp.sum(x) * 2.0}

    d = {"w": onp.array([1.0, 2.0])}
    x = onp.array([3.0, -1.0])
    j = jac(f, argnums=(0, 1))(x, d)
    assert onp.allclose(j["u"][0], onp.diag(d["w"]))
    assert onp.allclose(j["u"][1]["w"], onp.diag(x))
    assert onp.allclose(j["v"][0], [2.0, 2.0])
    assert onp.allclose(j["v"][1]["w"], [0.0, 0.0])


def test_jacobian_picks_reverse_mode_for_few_outputs(monkeypatch):
    from zymo import transforms

    calls = []
    monkeypatch.setattr(transforms, "_jac_by_jvp", lambda *a: calls.append("fwd"))
    zymo.jacobian(lambda x: znp.sum(x**2))(X)
    assert calls == []
    zymo.jacobian(lambda x: znp.outer(x, x))(X)
    assert calls == ["fwd"]


def test_hessian_matches_finite_differences_of_the_gradient():
    def f(x):
        return znp.sum(znp.tanh(A @ x) ** 2) + znp.prod(x[:2])

    h = zymo.hessian(f)(X)
    want = numerical_jacobian(zymo.grad(f), X)
    assert h.shape == (4, 4)
    assert onp.allclose(h, want, atol=1e-6)
    assert onp.allclose(h, h.T, atol=1e-12)


def test_hvp_equals_hessian_times_vector():
    def f(x, y):
        return znp.sum(znp.sin(x) * y**2)

    y = rng.standard_normal(4)
    v, w = rng.standard_normal(4), rng.standard_normal(4)
    hx, hy = zymo.hvp(f, (X, y), (v, w))
    hxx = zymo.hessian(f, 0)(X, y)
    hxy = zymo.jacobian(zymo.grad(f, 0), 1)(X, y)
    hyy = zymo.hessian(f, 1)(X, y)
    assert onp.allclose(hx, hxx @ v + hxy @ w)
    assert onp.allclose(hy, hxy.T @ v + hyy @ w)


def test_hvp_needs_one_tangent_per_primal():
    with pytest.raises(zymo.ZymoError, match="one tangent per primal"):
        zymo.hvp(lambda x: x * x, (1.0,), ())


def test_elementwise_grad_is_the_derivative_per_element():
    g = zymo.elementwise_grad(znp.tanh)(X)
    assert onp.allclose(g, 1 - onp.tanh(X) ** 2)


def test_make_vjp_returns_output_and_gradient_for_argnums():
    out, back = zymo.make_vjp(lambda x, y: x * y, argnums=(0, 1))(X, 2.0)
    gx, gy = back(onp.ones(4))
    assert onp.array_equal(out, X * 2.0) and onp.array_equal(gx, onp.full(4, 2.0)) and gy == pytest.approx(X.sum())


def test_make_jvp_matches_directional_finite_difference():
    v = rng.standard_normal(4)
    out, t = zymo.make_jvp(f_vec)(X)(v)
    eps = 1e-6
    assert onp.array_equal(out, f_vec(X))
    assert onp.allclose(t, (f_vec(X + eps * v) - f_vec(X - eps * v)) / (2 * eps), atol=1e-7)


def test_jacobian_of_a_loop_with_buffer_writes():
    def f(x):
        buf = znp.zeros((3, 4))
        h = x
        for t in range(3):
            h = znp.tanh(h * 0.5 + t)
            buf[t] = h
        return buf.ravel()

    j = zymo.jacobian(f)(X)
    assert onp.allclose(j, numerical_jacobian(f, X), atol=1e-7)
    (g,) = numerical_grad(lambda x: float(onp.sum(f(x))), (X,))
    assert onp.allclose(j.sum(axis=0), g, atol=1e-6)
