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
    "inv_boxcox": (((0.3, 3),), (), (0.7,)),
    "inv_boxcox1p": (((-0.5, 3),), (), (0.7,)),
    "k0": (((0.3, 3),), (), ()),
    "k1": (((0.3, 3),), (), ()),
    "k0e": (((0.3, 3),), (), ()),
    "k1e": (((0.3, 3),), (), ()),
    "kn": (((0.5, 3),), (2,), ()),
    "jve": (((0.3, 3),), (1.5,), ()),
    "yve": (((0.5, 3),), (1.5,), ()),
    "struve": (((0.3, 3),), (1.5,), ()),
    "modstruve": (((0.3, 3),), (0.5,), ()),
    "exp1": (((0.2, 3),), (), ()),
    "expi": (((0.2, 3),), (), ()),
    "expn": (((0.2, 3),), (3,), ()),
    "expn of order 0": (((0.2, 3),), (0,), ()),
    "erfi": (((-1.5, 1.5),), (), ()),
    "exprel": (((-2, 2),), (), ()),
    "hyp0f1": (((-2, 2),), (1.5,), ()),
    "hyp1f1": (((-2, 2),), (0.5, 1.5), ()),
    "hyp2f1": (((-0.8, 0.8),), (0.5, 1.5, 2.5), ()),
    "hyperu": (((0.5, 3),), (0.5, 1.5), ()),
    "spence": (((0.2, 3),), (), ()),
    "ellipk": (((-1, 0.9),), (), ()),
    "ellipkm1": (((0.1, 2),), (), ()),
    "ellipe": (((-1, 0.9),), (), ()),
    "ellipkinc": (((-1.5, 1.5),), (), (0.6,)),
    "ellipeinc": (((-1.5, 1.5),), (), (0.6,)),
    "wrightomega": (((-2, 3),), (), ()),
    "poch": (((0.5, 3), (0.2, 2)), (), ()),
    "binom": (((3, 6), (0.5, 2.5)), (), ()),
    "owens_t": (((-2, 2), (-2, 2)), (), ()),
    "powm1": (((0.3, 3), (-2, 2)), (), ()),
    "tandg": (((-60, 60),), (), ()),
    "cotdg": (((20, 160),), (), ()),
    "eval_gegenbauer": (((-0.9, 0.9),), (3, 1.5), ()),
    "eval_gegenbauer of degree 2.5": (((-0.9, 0.9),), (2.5, 1.5), ()),
    "eval_jacobi": (((-0.9, 0.9),), (3, 0.5, 1.5), ()),
    "eval_legendre": (((-0.9, 0.9),), (4,), ()),
    "eval_legendre of degree 0": (((-0.9, 0.9),), (0,), ()),
    "eval_chebyt": (((-0.9, 0.9),), (4,), ()),
    "eval_chebyu": (((-0.9, 0.9),), (3,), ()),
    "eval_chebyc": (((-1.8, 1.8),), (3,), ()),
    "eval_chebys": (((-1.8, 1.8),), (3,), ()),
    "eval_sh_legendre": (((0.1, 0.9),), (3,), ()),
    "eval_sh_chebyt": (((0.1, 0.9),), (3,), ()),
    "eval_sh_chebyu": (((0.1, 0.9),), (3,), ()),
    "eval_laguerre": (((0, 3),), (3,), ()),
    "eval_genlaguerre": (((0, 3),), (3, 0.5), ()),
    "eval_hermite": (((-2, 2),), (3,), ()),
    "eval_hermite of degree 0": (((-2, 2),), (0,), ()),
    "eval_hermitenorm": (((-2, 2),), (3,), ()),
    "chdtr": (((0.3, 3),), (2.5,), ()),
    "chdtrc": (((0.3, 3),), (2.5,), ()),
    "chdtri": (((0.1, 0.9),), (3.0,), ()),
    "gdtr": (((0.3, 3),), (1.5, 2.5), ()),
    "gdtrc": (((0.3, 3),), (1.5, 2.5), ()),
    "pdtr": (((0.3, 4),), (2,), ()),
    "pdtrc": (((0.3, 4),), (2.5,), ()),
    "pdtri": (((0.1, 0.9),), (2,), ()),
    "bdtr": (((0.1, 0.9),), (2, 6), ()),
    "bdtrc": (((0.1, 0.9),), (2, 6), ()),
    "bdtri": (((0.1, 0.9),), (2, 6), ()),
    "nbdtr": (((0.1, 0.9),), (3, 5), ()),
    "nbdtrc": (((0.1, 0.9),), (2, 5), ()),
    "nbdtri": (((0.1, 0.9),), (2, 5), ()),
    "fdtr": (((0.3, 3),), (2.5, 4.0), ()),
    "fdtrc": (((0.3, 3),), (2.5, 4.0), ()),
    "fdtri": (((0.1, 0.9),), (2.5, 4.0), ()),
    "stdtrit": (((0.1, 0.9),), (3.5,), ()),
    "wright_bessel": (((0.1, 3),), (0.5, 1.5), ()),
    "log_wright_bessel": (((0.1, 3),), (0.5, 1.5), ()),
    "radian": (((-30, 30), (-30, 30), (-30, 30)), (), ()),
    "itstruve0": (((0.3, 3),), (), ()),
    "it2struve0": (((0.3, 3),), (), ()),
    "itmodstruve0": (((0.3, 3),), (), ()),
    "ber": (((0.3, 3),), (), ()),
    "bei": (((0.3, 3),), (), ()),
    "ker": (((0.3, 3),), (), ()),
    "kei": (((0.3, 3),), (), ()),
    "berp": (((0.3, 3),), (), ()),
    "beip": (((0.3, 3),), (), ()),
    "kerp": (((0.3, 3),), (), ()),
    "keip": (((0.3, 3),), (), ()),
    "lpmv": (((-0.9, 0.9),), (1, 2.5), ()),
    "betaincinv": (((0.1, 0.9),), (2.0, 3.5), ()),
    "betainccinv": (((0.1, 0.9),), (2.0, 3.5), ()),
    "gdtrix": (((0.1, 0.9),), (1.5, 2.5), ()),
    "airy[0]": (((-3, 2),), (), ()),
    "airy[1]": (((-3, 2),), (), ()),
    "airy[2]": (((-3, 2),), (), ()),
    "airy[3]": (((-3, 2),), (), ()),
    "itairy[0]": (((0.2, 2),), (), ()),
    "itairy[1]": (((0.2, 2),), (), ()),
    "itairy[2]": (((0.2, 2),), (), ()),
    "itairy[3]": (((0.2, 2),), (), ()),
    "itj0y0[0]": (((0.3, 3),), (), ()),
    "itj0y0[1]": (((0.3, 3),), (), ()),
    "iti0k0[0]": (((0.3, 3),), (), ()),
    "iti0k0[1]": (((0.3, 3),), (), ()),
    "it2j0y0[0]": (((0.3, 3),), (), ()),
    "it2j0y0[1]": (((0.3, 3),), (), ()),
    "it2i0k0[0]": (((0.3, 3),), (), ()),
    "it2i0k0[1]": (((0.3, 3),), (), ()),
    "ellipj[0]": (((-2, 2),), (), (0.6,)),
    "ellipj[1]": (((-2, 2),), (), (0.6,)),
    "ellipj[2]": (((-2, 2),), (), (0.6,)),
    "ellipj[3]": (((-2, 2),), (), (0.6,)),
    "pbdv[0]": (((-2, 2),), (1.5,), ()),
    "pbdv[1]": (((-2, 2),), (1.5,), ()),
    "pbvv[0]": (((-2, 2),), (1.5,), ()),
    "pbvv[1]": (((-2, 2),), (1.5,), ()),
    "pbwa[0]": (((-2, 2),), (0.5,), ()),
    "pbwa[1]": (((-2, 2),), (0.5,), ()),
    "nrdtrimn": (((0.1, 0.9), (0.5, 2), (-2, 2)), (), ()),
    "nrdtrisd": (((-2, 2), (0.6, 0.9), (2.5, 4)), (), ()),
    "airye[0]": (((0.2, 2),), (), ()),
    "airye[1]": (((0.2, 2),), (), ()),
    "airye[2]": (((0.2, 2),), (), ()),
    "airye[3]": (((0.2, 2),), (), ()),
    "airye[2] on x < 0": (((-2, -0.2),), (), ()),
    "airye[3] on x < 0": (((-2, -0.2),), (), ()),
    "sici[0]": (((-3, 3),), (), ()),
    "sici[1]": (((0.3, 3),), (), ()),
    "shichi[0]": (((-3, 3),), (), ()),
    "shichi[1]": (((0.3, 3),), (), ()),
    "fresnel[0]": (((-2, 2),), (), ()),
    "fresnel[1]": (((-2, 2),), (), ()),
}


def _call(name):
    _, before, after = SPECS[name]
    name = name.split(" ")[0]
    f = getattr(sc, name.split("[")[0])
    if "[" in name:  # one output of a ufunc with several
        k = int(name.split("[")[1][:-1])
        return lambda *xs: f(*before, *xs, *after)[k]
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


def _ufuncs_of_scipy_special() -> dict:
    found = {}
    for name in sorted(dir(sc)):
        uf = getattr(sc, name)
        if isinstance(uf, np.ufunc) and not name.startswith("_") and uf not in found.values():
            found[name] = uf
    return found


def test_every_scipy_special_ufunc_has_rules_or_is_listed_with_the_reason_it_has_none():
    from zymo._rules.scipy_special_ufuncs import ENTRIES, WITHOUT_RULES

    for name, uf in _ufuncs_of_scipy_special().items():
        covered = any(getattr(e, "_ufunc", None) is uf for e in ENTRIES.values())
        assert covered != (name in WITHOUT_RULES), name
    assert set(WITHOUT_RULES) <= set(_ufuncs_of_scipy_special())


@pytest.mark.parametrize("name", ["agm", "kolmogorov", "bdtrik", "mathieu_cem", "elliprf", "zetac"])
def test_a_ufunc_without_rules_raises_zymos_error_naming_it_and_the_line(name):
    uf = getattr(sc, name)
    args = {"agm": (1.5,), "bdtrik": (0.5, 6.0), "mathieu_cem": (1.0, 0.5), "elliprf": (1.0, 2.0)}.get(name, ())

    def f(x):
        out = uf(*args, x) if name != "bdtrik" else uf(x, *args)
        return (out[0] if type(out) is tuple else out).sum()

    with pytest.raises(zymo.UnsupportedOperationError, match=rf"scipy\.special\.{name}.*test_special_ufuncs\.py:\d+"):
        zymo.grad(f)(np.array([0.4, 0.6]))


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


@pytest.mark.parametrize("name", ["chdtr", "chdtrc", "gdtr", "gdtrc"])
def test_gamma_distribution_functions_in_every_argument_once_and_in_rate_and_x_twice(name):
    f = getattr(sc, name)
    if name.startswith("chdtr"):
        check_grads(f, (np.array([1.5, 3.0, 7.0]), np.array([0.5, 4.0, 2.0])), order=1, modes=("fwd", "rev"))
        return
    a, b, x = np.array([0.5, 1.5, 2.0]), np.array([1.5, 3.0, 7.0]), np.array([0.5, 4.0, 2.0])
    check_grads(f, (a, b, x), order=1, modes=("fwd", "rev"))
    check_grads(lambda a, x: f(a, b, x), (a, x), order=2, modes=("fwd", "rev"))


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
    with pytest.raises(
        zymo.UnsupportedOperationError, match=r"scipy\.special\.kolmogorov.*test_special_ufuncs\.py:\d+"
    ):
        zymo.grad(lambda x: sc.kolmogorov(x))(1.0)


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


@pytest.mark.parametrize(
    "f,x",
    [
        (sc.berp, 0.0),
        (sc.beip, 0.0),
        (sc.it2struve0, 0.0),
        (lambda x: sc.it2j0y0(x)[0], 0.0),
        (lambda x: sc.it2i0k0(x)[0], 0.0),
        (lambda x: sc.lpmv(0, 2.0, x), 1.0),
    ],
    ids=["berp", "beip", "it2struve0", "it2j0y0", "it2i0k0", "lpmv"],
)
def test_derivative_is_nan_where_its_formula_is_zero_over_zero(f, x):
    with np.errstate(all="ignore"):
        assert np.isnan(zymo.grad(f)(x))
        assert np.isnan(zymo.jvp(f, (x,), (1.0,))[1])
