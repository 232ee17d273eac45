"""zymo.optimize.minimize: SciPy's optimizers fed by zymo's gradients and Hessian-vector products."""

import numpy as np
import pytest
import scipy.optimize

import zymo.numpy as znp
from zymo.optimize import minimize


def rosen(x):
    return znp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B", "CG", "Newton-CG", "trust-ncg", "trust-krylov", "trust-constr"])
def test_minimize_finds_the_rosenbrock_minimum(method):
    res = minimize(rosen, np.array([-1.2, 1.0, 0.5]), method=method, options={"maxiter": 2000})
    np.testing.assert_allclose(res.x, np.ones(3), atol=1e-4)


@pytest.mark.parametrize("method", ["Newton-CG", "trust-ncg", "trust-krylov"])
def test_second_order_methods_get_hessian_vector_products(method):
    res = minimize(rosen, np.array([-1.2, 1.0]), method=method)
    want = scipy.optimize.minimize(
        scipy.optimize.rosen,
        [-1.2, 1.0],
        jac=scipy.optimize.rosen_der,
        hessp=scipy.optimize.rosen_hess_prod,
        method=method,
    )
    assert res.nhev > 0 and res.nhev == want.nhev and res.nit == want.nit
    np.testing.assert_allclose(res.x, want.x, rtol=1e-10)


@pytest.mark.parametrize("method", ["dogleg", "trust-exact"])
def test_methods_needing_the_whole_hessian_get_scipys_steps(method):
    res = minimize(rosen, np.array([-1.2, 1.0, 0.5]), method=method)
    want = scipy.optimize.minimize(
        scipy.optimize.rosen,
        [-1.2, 1.0, 0.5],
        jac=scipy.optimize.rosen_der,
        hess=scipy.optimize.rosen_hess,
        method=method,
    )
    assert res.success and res.nhev > 0 and res.nit == want.nit
    np.testing.assert_allclose(res.x, want.x, rtol=1e-10)


def test_gradient_equals_scipys_hand_written_one_along_the_way():
    res = minimize(rosen, np.array([-1.2, 1.0, 0.5, 2.0]), method="BFGS")
    want = scipy.optimize.minimize(
        scipy.optimize.rosen, [-1.2, 1.0, 0.5, 2.0], jac=scipy.optimize.rosen_der, method="BFGS"
    )
    assert res.nit == want.nit
    np.testing.assert_allclose(res.x, want.x, rtol=1e-10)


def test_x0_may_be_any_pytree_and_the_result_keeps_its_structure():
    target = np.array([[1.0, 2.0], [3.0, 4.0]])

    def loss(p, c):
        return znp.sum((p["w"] - c) ** 2) + (p["b"][0] - 1.0) ** 2 + (p["b"][1] + 2.0) ** 2

    res = minimize(loss, {"w": np.zeros((2, 2)), "b": (0.0, np.zeros(()))}, args=(target,), method="L-BFGS-B")
    np.testing.assert_allclose(res.x["w"], target, atol=1e-6)
    assert type(res.x["b"][0]) is float and res.x["b"][1].shape == ()
    assert abs(res.x["b"][0] - 1.0) < 1e-6 and abs(res.x["b"][1] + 2.0) < 1e-6
    assert res.jac["w"].shape == (2, 2)


def test_callback_sees_the_point_as_a_tree():
    seen = []
    minimize(lambda p: (p["a"] - 3.0) ** 2, {"a": 0.0}, method="BFGS", callback=lambda r: seen.append(r.x["a"]))
    assert seen and abs(seen[-1] - 3.0) < 1e-6


def test_gradient_free_method_gets_the_value_alone():
    res = minimize(lambda x: znp.sum((x - 2.0) ** 2), np.zeros(2), method="Nelder-Mead", options={"xatol": 1e-8})
    np.testing.assert_allclose(res.x, [2.0, 2.0], atol=1e-6)
