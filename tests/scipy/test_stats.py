"""zymo.scipy.stats: derivatives in both modes in x and the parameters, SciPy's values."""

import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given

import zymo
from tests.numpy.conftest import FAST, array_tuples, broadcastable_shapes
from zymo.scipy import special, stats
from zymo.testing import check_grads

# name -> (domain of x, domains of the shape parameters, domain of loc, domain of scale)
CONTINUOUS = {
    "norm": ((-2, 2), (), (-1, 1), (0.5, 2)),
    "t": ((-2, 2), ((2, 6),), (-1, 1), (0.5, 2)),
    "gamma": ((0.8, 4), ((1.5, 4),), (-0.2, 0.2), (0.5, 2)),
    "beta": ((0.2, 0.8), ((1.5, 4), (1.5, 4)), (-0.05, 0.05), (1.0, 1.1)),
    "chi2": ((0.8, 4), ((2.5, 6),), (-0.2, 0.2), (0.5, 2)),
    "expon": ((0.5, 4), (), (-0.2, 0.2), (0.5, 2)),
    "laplace": ((-2, 2), (), (-1, 1), (0.5, 2)),
    "logistic": ((-2, 2), (), (-1, 1), (0.5, 2)),
    "cauchy": ((-2, 2), (), (-1, 1), (0.5, 2)),
}
# Families whose cdf has no derivative in the shape parameters (the incomplete gamma/beta and Student's t in df).
CDF_SHAPES_FIXED = {"t", "gamma", "beta", "chi2"}
METHODS = ["pdf", "logpdf", "cdf", "logcdf", "sf", "logsf"]


def _inputs(name):
    x, shapes, loc, scale = CONTINUOUS[name]
    domains = (x, *shapes, loc, scale)
    return broadcastable_shapes(len(domains)).flatmap(lambda ss_: array_tuples(ss_, domains))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", CONTINUOUS)
def test_continuous_distribution_derivatives_and_values(name, method):
    n_shapes = len(CONTINUOUS[name][1])

    @FAST
    @given(_inputs(name))
    def run(args):
        x, *shapes, loc, scale = args
        ours, theirs = getattr(getattr(stats, name), method), getattr(getattr(ss, name), method)
        np.testing.assert_allclose(
            zymo.vjp(lambda x: ours(x, *shapes, loc, scale), x)[0], theirs(x, *shapes, loc, scale), rtol=1e-10
        )
        if method in ("pdf", "logpdf") or name not in CDF_SHAPES_FIXED or n_shapes == 0:
            check_grads(lambda x, loc, scale, *shapes: ours(x, *shapes, loc=loc, scale=scale), (x, loc, scale, *shapes))
        else:
            check_grads(lambda x, loc, scale: ours(x, *shapes, loc=loc, scale=scale), (x, loc, scale))

    run()


@pytest.mark.parametrize("name", CONTINUOUS)
def test_continuous_entropy_derivatives_and_values(name):
    _, shapes, _, scale = CONTINUOUS[name]
    rng = np.random.default_rng(1)
    params = [rng.uniform(lo, hi, 3) for lo, hi in (*shapes, scale)]
    f = lambda *p: getattr(stats, name).entropy(*p[:-1], scale=p[-1])
    np.testing.assert_allclose(zymo.vjp(f, *params)[0], getattr(ss, name).entropy(*params[:-1], scale=params[-1]))
    check_grads(f, params)


def test_frozen_distribution_matches_the_unfrozen_call():
    x = np.array([0.3, 1.2])
    f = lambda loc: stats.norm(loc, 2.0).logpdf(x).sum()
    g = lambda loc: stats.norm.logpdf(x, loc, 2.0).sum()
    assert zymo.grad(f)(0.5) == zymo.grad(g)(0.5)
    np.testing.assert_allclose(stats.norm(0.5, 2.0).entropy(), ss.norm(0.5, 2.0).entropy())


def test_outside_the_support_logpdf_is_minus_infinity_with_zero_gradient():
    x = np.array([-1.0, 2.0])
    value, back = zymo.vjp(lambda x: stats.gamma.logpdf(x, 2.0), x)
    np.testing.assert_array_equal(value, ss.gamma.logpdf(x, 2.0))
    np.testing.assert_array_equal(back(np.ones(2))[0], [0.0, -0.5])


@pytest.mark.parametrize("method", METHODS[2:])
@pytest.mark.parametrize("name", ["gamma", "chi2"])
def test_cdf_derivative_in_the_shape_parameter_through_gammainc(name, method):
    x, a = np.array([0.5, 1.5, 6.0]), np.array([2.0, 3.5, 1.5])
    check_grads(lambda a: getattr(getattr(stats, name), method)(x, a), (a,), order=1)


def test_gamma_cdf_second_derivative_in_its_shape_parameter_names_the_special_function():
    with pytest.raises(zymo.UnsupportedOperationError, match=r"scipy\.special\.gammainc's derivative in a"):
        zymo.grad(lambda a: zymo.grad(lambda a: stats.gamma.cdf(1.0, a))(a))(2.0)


@pytest.mark.parametrize("name", ["poisson", "binom"])
def test_discrete_pmf_derivatives_in_the_rate_and_probability(name):
    k = np.array([0.0, 1.0, 3.0, 5.0])
    rng = np.random.default_rng(2)
    for method in ("pmf", "logpmf"):
        ours, theirs = getattr(getattr(stats, name), method), getattr(getattr(ss, name), method)
        if name == "poisson":
            mu = rng.uniform(0.5, 4, 4)
            f, want = (lambda mu: ours(k, mu)), theirs(k, mu)
            arg = mu
        else:
            p = rng.uniform(0.2, 0.8, 4)
            f, want = (lambda p: ours(k, 7, p)), theirs(k, 7, p)
            arg = p
        np.testing.assert_allclose(zymo.vjp(f, arg)[0], want, rtol=1e-12)
        check_grads(f, (arg,))


def test_discrete_pmf_is_zero_off_the_integers():
    mu = np.array([2.0, 2.0])
    np.testing.assert_array_equal(zymo.vjp(lambda mu: stats.poisson.pmf(np.array([1.5, -1.0]), mu), mu)[0], [0, 0])


def test_dirichlet_logpdf_pdf_entropy():
    rng = np.random.default_rng(3)
    alpha = rng.uniform(1.5, 3, 4)
    x = rng.dirichlet(np.ones(4), 5).T
    for method in ("logpdf", "pdf"):
        f = lambda x, a: getattr(stats.dirichlet, method)(x, a)
        np.testing.assert_allclose(zymo.vjp(f, x, alpha)[0], getattr(ss.dirichlet, method)(x, alpha), rtol=1e-12)
        # in x through a point of the simplex (finite differences of plain inputs reach SciPy, which checks it)
        check_grads(lambda u, a: f(special.softmax(u), a), (np.log(x[:, 0]), alpha))
        check_grads(lambda a: f(x, a), (alpha,))
    np.testing.assert_allclose(zymo.vjp(stats.dirichlet.entropy, alpha)[0], ss.dirichlet.entropy(alpha), rtol=1e-12)
    check_grads(stats.dirichlet.entropy, (alpha,))


def test_multivariate_normal_logpdf_pdf_entropy():
    rng = np.random.default_rng(4)
    m = rng.standard_normal((3, 3))
    cov, mean, x = m @ m.T + np.eye(3), rng.standard_normal(3), rng.standard_normal((5, 3))
    for method in ("logpdf", "pdf"):
        f = lambda x, mean, cov: getattr(stats.multivariate_normal, method)(x, mean, 0.5 * (cov + cov.T))
        want = getattr(ss.multivariate_normal, method)(x, mean, cov)
        np.testing.assert_allclose(zymo.vjp(f, x, mean, cov)[0], want, rtol=1e-12)
        check_grads(f, (x, mean, cov))
        np.testing.assert_allclose(
            zymo.vjp(f, x[0], mean, cov)[0], getattr(ss.multivariate_normal, method)(x[0], mean, cov)
        )
    f = lambda cov: stats.multivariate_normal.entropy(None, 0.5 * (cov + cov.T))
    np.testing.assert_allclose(zymo.vjp(f, cov)[0], ss.multivariate_normal.entropy(None, cov), rtol=1e-12)
    check_grads(f, (cov,))


def test_plain_inputs_give_scipys_values_exactly():
    x = np.linspace(-2, 2, 7)
    np.testing.assert_array_equal(stats.t.logcdf(x, 3.0, 0.2, 1.5), ss.t.logcdf(x, 3.0, 0.2, 1.5))
