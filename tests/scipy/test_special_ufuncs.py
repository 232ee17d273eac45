"""scipy.special ufuncs called on traced values: derivatives of every order in both modes, SciPy's values."""

import subprocess
import sys

import numpy as np
import pytest
import scipy.special as sc
from hypothesis import given

import zymo
from tests.numpy.conftest import FAST, array_tuples, broadcastable_shapes
from zymo.testing import check_grads

# name -> (domains of the differentiated arguments, fixed arguments before them, fixed arguments after them).
SPECS = {
    "gammaln": (((0.5, 4),), (), ()),
    "loggamma": (((0.5, 4),), (), ()),
    "gamma": (((0.5, 3),), (), ()),
    "rgamma": (((0.5, 3),), (), ()),
    "digamma": (((0.5, 4),), (), ()),
    "psi": (((0.5, 4),), (), ()),
    "betaln": (((0.5, 3), (0.5, 3)), (), ()),
    "beta": (((0.5, 3), (0.5, 3)), (), ()),
    "betainc": (((0.1, 0.9),), (2.0, 3.5), ()),
    "betaincc": (((0.1, 0.9),), (2.0, 3.5), ()),
    "gammainc": (((0.3, 3),), (2.5,), ()),
    "gammaincc": (((0.3, 3),), (2.5,), ()),
    "gammaincinv": (((0.1, 0.9),), (2.5,), ()),
    "gammainccinv": (((0.1, 0.9),), (2.5,), ()),
    "stdtr": (((-3, 3),), (3.5,), ()),
    "erf": (((-2, 2),), (), ()),
    "erfc": (((-2, 2),), (), ()),
    "erfinv": (((-0.8, 0.8),), (), ()),
    "erfcinv": (((0.2, 1.8),), (), ()),
    "erfcx": (((-1, 2),), (), ()),
    "dawsn": (((-2, 2),), (), ()),
    "expit": (((-3, 3),), (), ()),
    "logit": (((0.1, 0.9),), (), ()),
    "log_expit": (((-3, 3),), (), ()),
    "xlogy": (((-2, 2), (0.3, 3)), (), ()),
    "xlog1py": (((-2, 2), (-0.5, 2)), (), ()),
    "ndtr": (((-2, 2),), (), ()),
    "ndtri": (((0.1, 0.9),), (), ()),
    "log_ndtr": (((-3, 2),), (), ()),
    "ndtri_exp": (((-3, -0.1),), (), ()),
    "i0": (((-2, 2),), (), ()),
    "i1": (((-2, 2),), (), ()),
    "i0e": (((0.1, 2),), (), ()),
    "i1e": (((-2, -0.1),), (), ()),
    "iv": (((0.3, 3),), (1.5,), ()),
    "ive": (((0.3, 3),), (1.5,), ()),
    "j0": (((-3, 3),), (), ()),
    "j1": (((-3, 3),), (), ()),
    "jv": (((0.3, 3),), (1.5,), ()),
    "jn": (((-3, 3),), (2,), ()),
    "y0": (((0.5, 3),), (), ()),
    "y1": (((0.5, 3),), (), ()),
    "yv": (((0.5, 3),), (1.5,), ()),
    "yn": (((0.5, 3),), (2,), ()),
    "kv": (((0.5, 3),), (1.5,), ()),
    "kve": (((0.5, 3),), (1.5,), ()),
    "entr": (((0.2, 2),), (), ()),
    "rel_entr": (((0.2, 2), (0.2, 2)), (), ()),
    "kl_div": (((0.2, 2), (0.2, 2)), (), ()),
    "huber": (((0.5, 1.5), (-3, 3)), (), ()),
    "pseudo_huber": (((0.5, 1.5), (-3, 3)), (), ()),
    "expm1": (((-2, 2),), (), ()),
    "log1p": (((-0.5, 2),), (), ()),
    "cosm1": (((-2, 2),), (), ()),
    "exp2": (((-2, 2),), (), ()),
    "exp10": (((-1, 1),), (), ()),
    "cbrt": (((0.2, 3),), (), ()),
    "sindg": (((-80, 80),), (), ()),
    "cosdg": (((-80, 80),), (), ()),
    "boxcox": (((0.3, 3),), (), (0.7,)),
    "boxcox1p": (((-0.5, 3),), (), (0.7,)),
}


def _call(name):
    _, before, after = SPECS[name]
    f = getattr(sc, name)
    return lambda *xs: f(*before, *xs, *after)


def _inputs(name):
    domains = SPECS[name][0]
    return broadcastable_shapes(len(domains)).flatmap(lambda ss: array_tuples(ss, domains))


@pytest.mark.parametrize("name", SPECS)
def test_special_ufunc_derivatives_match_finite_differences(name):
    @FAST
    @given(_inputs(name))
    def run(xs):
        check_grads(_call(name), xs, order=2, modes=("fwd", "rev"))

    run()


@pytest.mark.parametrize("name", SPECS)
def test_special_ufunc_value_under_tracing_is_scipys_bit_for_bit(name):
    domains = SPECS[name][0]
    rng = np.random.default_rng(5)
    xs = [rng.uniform(lo, hi, (3, 4)) for lo, hi in domains]
    f = _call(name)
    got_rev, _ = zymo.vjp(f, *xs)
    got_fwd, _ = zymo.jvp(f, tuple(xs), tuple(np.ones_like(x) for x in xs))
    for got in (got_rev, got_fwd):
        assert got.dtype == f(*xs).dtype
        np.testing.assert_array_equal(got, f(*xs))


def test_xlogy_gradient_in_y_is_zero_where_x_is_zero():
    g = zymo.grad(lambda y: sc.xlogy(np.array([0.0, 2.0]), y).sum())(np.array([0.0, 4.0]))
    np.testing.assert_array_equal(g, [0.0, 0.5])


def test_expit_gradient_of_a_python_float_is_a_python_float():
    g = zymo.grad(sc.expit)(0.0)
    assert type(g) is float and g == 0.25


def test_gammasgn_runs_on_traced_values_with_zero_gradient():
    x = np.array([-1.5, 2.5])
    g = zymo.grad(lambda x: (sc.gammasgn(x) * x).sum())(x)
    np.testing.assert_array_equal(g, sc.gammasgn(x))


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_gammainc_derivative_in_a_on_both_branches(name):
    # x < a + 1 takes the series, the others the continued fraction; small and large a and x
    a = np.array([0.1, 0.5, 2.0, 3.0, 10.0, 50.0, 200.0, 1.5])
    x = np.array([5.0, 0.3, 1.0, 10.0, 3.0, 45.0, 190.0, 30.0])
    f = getattr(sc, name)
    check_grads(f, (a, x), order=1, modes=("fwd", "rev"))
    check_grads(lambda x: zymo.grad(lambda a: f(a, x).sum())(a), (x,), order=1)  # d2 / da dx


def test_gammainc_second_derivative_in_a_names_the_function():
    with pytest.raises(zymo.UnsupportedOperationError, match=r"gammainc's derivative in a"):
        zymo.grad(lambda a: zymo.grad(lambda a: sc.gammainc(a, 1.0))(a))(2.0)


@pytest.mark.parametrize("name", ["betainc", "iv"])
def test_shape_parameter_derivative_raises_an_error_naming_the_function_and_argument(name):
    f = {
        "betainc": lambda a: sc.betainc(a, 2.0, 0.5),
        "iv": lambda v: sc.iv(v, 1.0),
    }[name]
    with pytest.raises(zymo.UnsupportedOperationError, match=rf"scipy\.special\.{name} with respect to its argument 0"):
        zymo.grad(f)(1.5)
    with pytest.raises(zymo.UnsupportedOperationError, match=rf"scipy\.special\.{name} \(forward mode\)"):
        zymo.jvp(f, (1.5,), (1.0,))


def test_ufunc_without_a_rule_is_named_as_scipys_with_the_users_line():
    with pytest.raises(zymo.UnsupportedOperationError, match=r"scipy\.special\.airy.*test_special_ufuncs\.py:\d+"):
        zymo.grad(lambda x: sc.airy(x)[0])(1.0)


def test_import_zymo_does_not_import_scipy():
    code = "import sys, zymo, zymo.numpy, zymo.nn; assert 'scipy' not in sys.modules, 'scipy imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_float32_input_gives_float32_gradient():
    g = zymo.grad(lambda x: sc.erf(x).sum())(np.array([0.5, 1.0], np.float32))
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 2 / np.sqrt(np.pi) * np.exp(-np.array([0.25, 1.0])), rtol=1e-6)


def test_gammaln_third_derivative_on_a_zero_dimensional_input():
    check_grads(sc.gammaln, (np.array(2.5),), order=3)


@pytest.mark.parametrize("name", ["xlogy", "xlog1py"])
def test_second_derivatives_hold_where_x_is_exactly_zero(name):
    check_grads(getattr(sc, name), (np.array([0.0, 1.5]), np.array([0.5, 2.0])), order=2)
