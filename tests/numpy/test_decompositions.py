"""Decompositions: cholesky, eigh, eig, svd, qr, pinv, in both modes up to second order.

Outputs that are unique only up to sign or phase (eigenvectors, singular
vectors) are checked through functions that do not depend on it.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import zymo
import zymo.numpy as znp
from tests.numpy._strategies_linalg import check, crandn, randn, same_float32_gradient, spd
from tests.numpy.conftest import FAST, check_complex_grads

BATCHES = st.sampled_from([(), (2,)])
SEEDS = st.integers(0, 2**16)


def _sign_free(v):
    """Products of pairs of entries in each column: unchanged when a column changes sign."""
    return v[..., :, None, :] * v[..., None, :, :]


# --- cholesky ------------------------------------------------------------------------------------
@FAST
@given(BATCHES, st.integers(1, 3), SEEDS)
def test_cholesky_of_positive_definite_matrices(batch, n, seed):
    check(lambda a: np.linalg.cholesky(a), (spd(*batch, n, n, seed=seed),))


def test_cholesky_reads_only_the_lower_triangle():
    a = spd(3, 3)
    g = zymo.grad(lambda a: np.sum(np.linalg.cholesky(a) ** 2))(a)
    assert np.all(np.triu(g, 1) == 0)


def test_cholesky_upper_factor_reads_the_upper_triangle():
    a = spd(3, 3)
    check(lambda a: znp.linalg.cholesky(a, upper=True), (a,))
    assert np.all(np.tril(zymo.grad(lambda a: np.sum(znp.linalg.cholesky(a, upper=True)))(a), -1) == 0)


# --- eigh ------------------------------------------------------------------------------------------
@FAST
@given(BATCHES, st.integers(1, 3), SEEDS)
def test_eigh_eigenvalues(batch, n, seed):
    check(lambda a: np.linalg.eigh(a).eigenvalues, (randn(*batch, n, n, seed=seed),))


@FAST
@given(BATCHES, st.integers(2, 3), SEEDS, st.sampled_from(["L", "U"]))
def test_eigh_eigenvectors_up_to_sign(batch, n, seed, uplo):
    check(lambda a: _sign_free(np.linalg.eigh(a, uplo)[1]), (randn(*batch, n, n, seed=seed),))


def test_eigvalsh_equals_eigh_eigenvalues():
    check(lambda a: np.linalg.eigvalsh(a), (randn(3, 3),))


def test_eigh_upper_triangle_gets_no_gradient():
    g = zymo.grad(lambda a: np.sum(np.linalg.eigh(a)[0] ** 3))(randn(3, 3))
    assert np.all(np.triu(g, 1) == 0)


# --- eig ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_eig_eigenvalues_real_and_complex(seed):
    check(lambda a: np.real(np.linalg.eig(a)[0] * np.linalg.eig(a)[0]), (randn(3, 3, seed=seed),))
    check(lambda a: np.imag(np.linalg.eigvals(a) * np.linalg.eigvals(a)), (randn(3, 3, seed=seed),))


def test_eig_eigenvector_moduli():
    check(lambda a: np.abs(np.linalg.eig(a)[1]), (randn(3, 3, seed=3),), exact=False)


def test_eig_of_a_real_matrix_gives_complex_outputs_with_jax_convention():
    check_complex_grads(lambda a: np.linalg.eigvals(a), (randn(3, 3, seed=4),), order=2)


# --- svd -----------------------------------------------------------------------------------------------
@FAST
@given(BATCHES, st.integers(1, 4), st.integers(1, 4), SEEDS)
def test_singular_values(batch, m, n, seed):
    check(lambda a: np.linalg.svd(a, compute_uv=False), (randn(*batch, m, n, seed=seed),))


@FAST
@given(BATCHES, st.integers(1, 4), st.integers(1, 4), SEEDS)
def test_singular_vectors_up_to_sign(batch, m, n, seed):
    def f(a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        return _sign_free(u), s, _sign_free(np.swapaxes(vh, -1, -2)), u @ vh

    check(f, (randn(*batch, m, n, seed=seed),))


def test_full_matrices_svd_of_a_square_matrix():
    check(lambda a: _sign_free(np.linalg.svd(a)[0]), (randn(3, 3),))


def test_full_matrices_svd_of_a_rectangular_matrix_is_refused_with_the_fix():
    with pytest.raises(zymo.ZymoError, match="full_matrices=False"):
        zymo.grad(lambda a: np.sum(np.linalg.svd(a)[0]))(randn(3, 2))


# --- qr ------------------------------------------------------------------------------------------------
@FAST
@given(BATCHES, st.integers(1, 4), st.integers(1, 4), SEEDS)
def test_qr_reduced(batch, m, n, seed):
    m = max(m, n)
    check(lambda a: tuple(np.linalg.qr(a)), (randn(*batch, m, n, seed=seed),))


def test_qr_r_mode():
    check(lambda a: np.linalg.qr(a, mode="r"), (randn(4, 2),))


def test_qr_of_a_wide_matrix_is_refused_with_the_fix():
    with pytest.raises(zymo.ZymoError, match="at least as many rows"):
        zymo.grad(lambda a: np.sum(np.linalg.qr(a)[1]))(randn(2, 3))


# --- pinv -------------------------------------------------------------------------------------------------
@FAST
@given(BATCHES, st.integers(1, 4), st.integers(1, 4), SEEDS)
def test_pinv_of_full_rank_matrices(batch, m, n, seed):
    check(lambda a: np.linalg.pinv(a), (randn(*batch, m, n, seed=seed),))


# --- dtypes, complex inputs ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "f",
    [
        lambda a: np.linalg.cholesky(a @ a.T + 3 * np.eye(3, dtype=a.dtype)),
        lambda a: np.linalg.eigh(a)[0],
        lambda a: np.linalg.svd(a, compute_uv=False),
        lambda a: np.linalg.qr(a)[1],
        lambda a: np.linalg.pinv(a),
    ],
    ids=["cholesky", "eigh", "svd", "qr", "pinv"],
)
def test_float32_inputs_get_float32_gradients(f):
    same_float32_gradient(f, (randn(3, 3),), rtol=2e-3)


def _hermitian(n, seed=0):
    a = crandn(n, n, seed=seed)
    return a @ a.conj().T + n * np.eye(n)


def _phase_free(v):
    """Products ``v_i conj(v_j)`` within each column: unchanged by a phase per column."""
    return v[..., :, None, :] * np.conj(v[..., None, :, :])


def _svd_phase_free(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return _phase_free(u), s, _phase_free(np.conj(np.swapaxes(vh, -1, -2))), u @ vh


COMPLEX = {
    "cholesky": (lambda a: np.linalg.cholesky(a), _hermitian(3)),
    "cholesky upper": (lambda a: znp.linalg.cholesky(a, upper=True), _hermitian(3)),
    "eigh eigenvalues": (lambda a: np.linalg.eigh(a)[0], crandn(3, 3)),
    "eigh eigenvectors": (lambda a: _phase_free(np.linalg.eigh(a)[1]), crandn(3, 3)),
    "eigvalsh": (lambda a: np.linalg.eigvalsh(a), crandn(3, 3)),
    "eig eigenvalues": (lambda a: np.linalg.eig(a)[0], crandn(3, 3)),
    "eig eigenvectors": (lambda a: _phase_free(np.linalg.eig(a)[1]), crandn(3, 3)),
    "eigvals": (lambda a: np.linalg.eigvals(a), crandn(3, 3)),
    "singular values": (lambda a: np.linalg.svd(a, compute_uv=False), crandn(3, 2)),
    "svd tall": (_svd_phase_free, crandn(3, 2)),
    "svd wide": (_svd_phase_free, crandn(2, 3)),
    "qr": (lambda a: tuple(np.linalg.qr(a)), crandn(3, 2)),
    "pinv": (lambda a: np.linalg.pinv(a), crandn(2, 3)),
    "nuclear norm": (lambda a: np.linalg.norm(a, "nuc"), crandn(3, 2)),
}


@pytest.mark.parametrize("name", COMPLEX)
def test_complex_matrices_follow_jax_convention(name):
    f, a = COMPLEX[name]
    check_complex_grads(f, (a,), order=2)


def test_complex_hermitian_routines_read_the_lower_triangle_and_the_real_diagonal():
    a = _hermitian(3)
    _, back = zymo.vjp(lambda a: np.linalg.eigvalsh(a), a)
    (g,) = back(np.ones(3))
    assert np.all(np.triu(g, 1) == 0) and np.all(np.diag(g).imag == 0)


# --- lstsq -------------------------------------------------------------------------------------------------------
LSTSQ = {
    "solution, tall, vector": (0, (4, 2), (4,)),
    "solution, tall, matrix": (0, (4, 2), (4, 3)),
    "minimum-norm solution, wide": (0, (2, 4), (2,)),
    "residuals of a vector": (1, (4, 2), (4,)),
    "residuals of a matrix": (1, (4, 2), (4, 3)),
}


@pytest.mark.parametrize("name", LSTSQ)
def test_lstsq(name):
    part, a_shape, b_shape = LSTSQ[name]
    check(lambda a, b: np.linalg.lstsq(a, b)[part], (randn(*a_shape), randn(*b_shape, seed=1)))


def test_lstsq_singular_values_and_rank_are_numpys():
    a, b = randn(4, 2), randn(4, seed=1)
    check(lambda a: np.linalg.lstsq(a, b)[3], (a,))
    assert znp.linalg.lstsq(a, b)[2] == 2


def test_lstsq_of_complex_matrices():
    check_complex_grads(lambda a, b: np.linalg.lstsq(a, b)[0], (crandn(4, 2), crandn(4, seed=1)))
    check_complex_grads(lambda a, b: np.linalg.lstsq(a, b)[1], (crandn(4, 2), crandn(4, seed=1)))


# --- repeated eigenvalues and singular values -----------------------------------------------------------------------
def test_eigenvalues_and_singular_values_of_a_repeated_spectrum_have_finite_gradients():
    a = np.eye(3)
    np.testing.assert_array_equal(zymo.grad(lambda a: np.sum(np.linalg.eigh(a)[0] ** 2))(a), 2 * a)
    np.testing.assert_array_equal(zymo.grad(lambda a: np.sum(np.linalg.svd(a)[1]))(a), a)
    np.testing.assert_array_equal(zymo.grad(lambda a: np.sum(np.linalg.eigvalsh(a)))(a), a)


def test_projector_onto_a_repeated_eigenspace_is_differentiated_exactly():
    def projector(a):
        v = np.linalg.eigh(a)[1][:, :2]
        return v @ v.T

    check(projector, (np.diag([1.0, 1.0, 3.0]),), order=1)


def test_eigenvectors_of_a_repeated_eigenvalue_are_refused_with_the_fix():
    with pytest.raises(zymo.ZymoError, match="repeated eigenvalue"):
        zymo.grad(lambda a: np.sum(np.linalg.eigh(a)[1][:, 0] * np.arange(3.0)))(np.diag([1.0, 1.0, 3.0]))
