"""zymo.scipy.integrate: SciPy's values on traced inputs; adjoint and forward-sensitivity derivatives
against finite differences, to the accuracy the solver's tolerances give."""

import numpy as np
import pytest
import scipy.integrate as si

import zymo
from tests.numpy._strategies_linalg import randn
from zymo.core.errors import ZymoError
from zymo.core.tracer import bottom
from zymo.scipy import integrate
from zymo.testing import check_grads

TIGHT = {"rtol": 1e-11, "atol": 1e-11}


def lotka_volterra(y, t, a, b):
    return np.stack([a * y[0] - b * y[0] * y[1], b * y[0] * y[1] - y[1]])


def forced(y, t, w):  # depends on t explicitly
    return np.tanh(w @ y) + np.sin(t)


Y0, TS = np.array([1.0, 0.5]), np.array([0.0, 0.4, 1.1, 1.5])


def _traced_value(f, *args):
    seen = []
    zymo.vjp(lambda *a: seen.append(f(*a)) or seen[-1], *args)
    return bottom(seen[0])


def test_odeint_values_are_scipys():
    a, b = np.float64(1.1), np.float64(0.7)
    want = si.odeint(lotka_volterra, Y0, TS, args=(a, b))
    got = _traced_value(lambda y0, a: integrate.odeint(lotka_volterra, y0, TS, args=(a, b)), Y0, a)
    np.testing.assert_array_equal(got, want)


def test_solve_ivp_values_are_scipys():
    f = lambda t, y, a, b: lotka_volterra(y, t, a, b)  # noqa: E731
    want = si.solve_ivp(f, (0.0, 2.0), Y0, t_eval=TS[1:], args=(1.1, 0.7)).y
    got = _traced_value(lambda y0: integrate.solve_ivp(f, (0.0, 2.0), y0, t_eval=TS[1:], args=(1.1, 0.7)).y, Y0)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_odeint_derivatives_in_state_parameters_and_times(mode):
    def f(y0, ts, a, b):
        return integrate.odeint(lotka_volterra, y0, ts, args=(a, b), **TIGHT)

    check_grads(f, (Y0, TS, np.float64(1.1), np.float64(0.7)), order=1, modes=(mode,), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_odeint_time_dependent_matrix_parameter(mode):
    w = 0.5 * randn(3, 3, seed=2)
    f = lambda y0, ts, w: integrate.odeint(forced, y0, ts, args=(w,), **TIGHT)  # noqa: E731
    check_grads(f, (randn(3, seed=1), TS, w), order=1, modes=(mode,), rtol=1e-5, atol=1e-6)


def test_odeint_second_order():
    f = lambda y0, a: integrate.odeint(lotka_volterra, y0, TS[:3], args=(a, 0.7), **TIGHT)  # noqa: E731
    check_grads(f, (Y0, np.float64(1.1)), order=2, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("method", ["RK45", "DOP853", "LSODA"])
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_solve_ivp_derivatives(method, mode):
    def f(y0, t0, t_eval, a):
        return integrate.solve_ivp(
            lambda t, y, a: lotka_volterra(y, t, a, 0.7), (t0, 2.0), y0, method=method, t_eval=t_eval, args=(a,),
            **TIGHT,
        ).y  # fmt: skip

    check_grads(f, (Y0, np.float64(0.0), TS[1:], np.float64(1.1)), order=1, modes=(mode,), rtol=1e-5, atol=1e-6)


def test_reverse_and_forward_agree_on_the_gradient():
    f = lambda a: integrate.odeint(lotka_volterra, Y0, TS, args=(a, 0.7), **TIGHT)[-1].sum()  # noqa: E731
    g = zymo.grad(f)(1.1)
    t = zymo.jvp(f, (1.1,), (1.0,))[1]
    np.testing.assert_allclose(g, t, rtol=1e-6)


def test_captured_traced_value_is_refused_with_the_fix():
    def f(a):
        return integrate.odeint(lambda y, t: -a * y, Y0, TS)[-1].sum()

    with pytest.raises(ZymoError, match="args="):
        zymo.grad(f)(1.0)


def test_solve_ivp_needs_t_eval_on_traced_values():
    with pytest.raises(ZymoError, match="t_eval"):
        zymo.grad(lambda y0: integrate.solve_ivp(lambda t, y: -y, (0.0, 1.0), y0).y.sum())(Y0)


def test_scipy_odeint_on_a_traced_value_names_the_zymo_version():
    with pytest.raises(ZymoError, match="zymo.scipy.integrate.odeint"):
        zymo.grad(lambda y0: si.odeint(lambda y, t: -y, y0, TS).sum())(Y0)
