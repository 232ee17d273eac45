"""zymo.scipy.linalg: SciPy's values bit for bit on traced inputs; derivatives of both modes to second order."""

import numpy as np
import pytest
import scipy.linalg as sl
from hypothesis import given
from hypothesis import strategies as st

import zymo
from tests.numpy._strategies_linalg import check, randn, spd, well_conditioned
from tests.numpy.conftest import FAST
from zymo.core.errors import ZymoError
from zymo.scipy import linalg

sizes = st.integers(1, 3)
seeds = st.integers(0, 2**16)


def _rhs(n, vector, seed):
    return randn(n, seed=seed + 1) if vector else randn(n, 2, seed=seed + 1)


@FAST
@given(sizes, st.booleans(), st.sampled_from([0, 1]), st.booleans(), st.booleans(), seeds)
def test_solve_triangular(n, vector, trans, lower, unit, seed):
    a, b = well_conditioned(n, n, seed=seed), _rhs(n, vector, seed)
    check(lambda a, b: linalg.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit), (a, b))


def test_solve_triangular_reads_only_its_triangle():
    a = well_conditioned(3, 3)
    g = zymo.grad(lambda a: linalg.solve_triangular(a, np.ones(3), lower=True, unit_diagonal=True).sum())(a)
    assert np.all(np.triu(g) == 0) and np.any(g != 0)


def test_solve_triangular_complex():
    a = well_conditioned(3, 3) + 1j * randn(3, 3, seed=4)
    check(lambda a, b: linalg.solve_triangular(a, b, lower=True), (a, randn(3, seed=5) + 0j))


@FAST
@given(sizes, st.booleans(), seeds)
def test_cholesky(n, lower, seed):
    check(lambda a: linalg.cholesky(a, lower=lower), (spd(n, n, seed=seed),))


@FAST
@given(sizes, st.booleans(), st.booleans(), seeds)
def test_cho_factor_and_cho_solve(n, lower, vector, seed):
    a, b = spd(n, n, seed=seed), _rhs(n, vector, seed)
    check(lambda a: linalg.cho_factor(a, lower=lower)[0], (a,))
    check(lambda a, b: linalg.cho_solve(linalg.cho_factor(a, lower=lower), b), (a, b))


@FAST
@given(sizes, st.booleans(), st.sampled_from([0, 1]), seeds)
def test_lu_factor_and_lu_solve(n, vector, trans, seed):
    a, b = randn(n, n, seed=seed) + 0.5 * np.eye(n), _rhs(n, vector, seed)  # pivoting happens
    check(lambda a: linalg.lu_factor(a)[0], (a,))
    check(lambda a, b: linalg.lu_solve(linalg.lu_factor(a), b, trans=trans), (a, b))


def test_lu_factor_pivots_are_scipys():
    a = randn(4, 4, seed=3)
    piv = []
    zymo.grad(lambda a: piv.append(linalg.lu_factor(a)[1]) or linalg.lu_factor(a)[0].sum())(a)
    np.testing.assert_array_equal(piv[0], sl.lu_factor(a)[1])


@FAST
@given(
    sizes,
    st.booleans(),
    st.sampled_from(
        [None, "gen", "sym", "pos", "diagonal", "tridiagonal", "upper triangular", "lower triangular", "banded"]
    ),
    st.booleans(),
    st.booleans(),
    seeds,
)
def test_solve_with_assume_a(n, vector, assume_a, lower, transposed, seed):
    a, b = spd(n, n, seed=seed) if assume_a == "pos" else well_conditioned(n, n, seed=seed), _rhs(n, vector, seed)
    check(lambda a, b: linalg.solve(a, b, assume_a=assume_a, lower=lower, transposed=transposed), (a, b))


def test_solve_sym_reads_one_triangle():
    g = zymo.grad(lambda a: linalg.solve(a, np.ones(3), assume_a="sym", lower=True).sum())(spd(3, 3))
    assert np.all(np.triu(g, 1) == 0)


@FAST
@given(st.integers(1, 4), st.booleans(), seeds)
def test_eigh(n, lower, seed):
    a = randn(n, n, seed=seed)
    a = a + a.T
    check(lambda a: linalg.eigh(a, lower=lower)[0], (a,))
    check(lambda a: linalg.eigh(a, lower=lower)[1] ** 2, (a,))  # squared: free of the sign of each vector


@FAST
@given(st.integers(1, 4), st.booleans(), seeds)
def test_eigh_generalized(n, lower, seed):
    a = randn(n, n, seed=seed)
    a, b = a + a.T, spd(n, n, seed=seed + 1)
    check(lambda a, b: linalg.eigh(a, b, lower=lower, eigvals_only=True), (a, b))
    check(lambda a, b: linalg.eigh(a, b, lower=lower)[1] ** 2, (a, b))


def test_eigh_refuses_a_subset():
    with pytest.raises(ZymoError, match="subset"):
        zymo.grad(lambda a: linalg.eigh(a, subset_by_index=(0, 0))[0].sum())(spd(2, 2))


@FAST
@given(st.integers(1, 3), seeds)
def test_expm(n, seed):
    check(linalg.expm, (randn(n, n, seed=seed),))


def test_expm_batched_and_complex():
    check(linalg.expm, (randn(2, 3, 3, seed=1),))
    check(linalg.expm, (randn(2, 2, seed=2) + 1j * randn(2, 2, seed=3),))


@FAST
@given(st.integers(1, 3), st.booleans(), seeds)
def test_expm_frechet(n, compute_expm, seed):
    a, e = randn(n, n, seed=seed), randn(n, n, seed=seed + 1)
    check(lambda a, e: linalg.expm_frechet(a, e, compute_expm=compute_expm), (a, e))


@FAST
@given(st.integers(1, 3), seeds)
def test_sqrtm(n, seed):
    check(linalg.sqrtm, (spd(n, n, seed=seed),))


@FAST
@given(st.integers(1, 3), st.integers(1, 3), seeds)
def test_solve_sylvester(n, m, seed):
    a, b, q = well_conditioned(n, n, seed=seed), well_conditioned(m, m, seed=seed + 1), randn(n, m, seed=seed + 2)
    check(linalg.solve_sylvester, (a, b, q))


@FAST
@given(st.integers(2, 5), st.integers(0, 2), st.integers(0, 2), st.booleans(), seeds)
def test_solve_banded(n, lower, upper, vector, seed):
    ab = randn(lower + upper + 1, n, seed=seed)
    ab[upper] += 4.0  # diagonally dominant
    check(lambda ab, b: linalg.solve_banded((lower, upper), ab, b), (ab, _rhs(n, vector, seed)))


def test_solve_banded_unused_corners_get_no_gradient():
    ab = randn(3, 4)
    ab[1] += 4
    g = zymo.grad(lambda ab: linalg.solve_banded((1, 1), ab, np.ones(4)).sum())(ab)
    assert g[0, 0] == 0 and g[2, -1] == 0 and np.all(g[1] != 0)


def test_block_diag():
    check(lambda a, b, c: linalg.block_diag(a, b, c), (randn(2, 3), randn(3, seed=1), np.float64(2.0)))
    check(lambda a, b: linalg.block_diag(a, b), (randn(2, 2).astype(np.float32), randn(1, 2, seed=2)), order=1)


def test_plain_inputs_call_scipy():
    a = spd(3, 3)
    np.testing.assert_array_equal(linalg.cholesky(a), sl.cholesky(a))
    np.testing.assert_array_equal(linalg.expm(a / 10), sl.expm(a / 10))


def test_scipy_call_on_a_traced_value_names_the_zymo_version():
    with pytest.raises(ZymoError, match="zymo.scipy.linalg.expm"):
        zymo.grad(lambda a: sl.expm(a).sum())(np.eye(2))
