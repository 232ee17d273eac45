"""Linear-algebra rules: products, einsum, diagonals, inverse, solve, determinants, norms, kron, cross.

Every rule: NumPy's forward values bit for bit under tracing, and forward- and
reverse-mode derivatives up to second order against central finite differences.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import zymo
import zymo.numpy as znp
from tests.numpy._strategies_linalg import (
    check,
    crandn,
    matmul_shapes,
    randn,
    same_float32_gradient,
    well_conditioned,
)
from tests.numpy.conftest import FAST, arrays, check_complex_grads
from zymo.testing import check_grads


# --- products on hypothesis shapes ---------------------------------------------------------------
@FAST
@given(matmul_shapes(), st.integers(0, 2**16))
def test_matmul_of_every_operand_rank_and_broadcast_batch(shapes, seed):
    a, b = randn(*shapes[0], seed=seed), randn(*shapes[1], seed=seed + 1)
    check(lambda a, b: a @ b, (a, b))


def test_matmul_ufunc_and_zymo_namespace_agree_with_operator():
    a, b = randn(2, 3, 4), randn(4, 2)
    g_op = zymo.grad(lambda a: np.sum((a @ b) ** 2))(a)
    g_np = zymo.grad(lambda a: np.sum(np.matmul(a, b) ** 2))(a)
    g_znp = zymo.grad(lambda a: np.sum(znp.matmul(a, b) ** 2))(a)
    np.testing.assert_array_equal(g_op, g_np)
    np.testing.assert_array_equal(g_op, g_znp)


@st.composite
def _dot_shapes(draw):
    k = draw(st.integers(1, 3))
    a = draw(st.sampled_from([(), (k,), (2, k), (1, 2, k)]))
    b = draw(st.sampled_from([(), (k,), (k, 2), (2, k, 3)]))
    return a, b


@FAST
@given(_dot_shapes(), st.integers(0, 2**16))
def test_dot_of_scalars_vectors_matrices_and_stacks(shapes, seed):
    a, b = randn(*shapes[0], seed=seed), randn(*shapes[1], seed=seed + 1)
    check(lambda a, b: np.dot(a, b), (a, b))


@FAST
@given(st.integers(0, 2), st.integers(0, 2**16))
def test_tensordot_with_an_integer_axes_count(n, seed):
    a, b = randn(2, 3, 2, seed=seed), randn(*(2, 3, 2)[3 - n :], 2, seed=seed + 1)
    check(lambda a, b: np.tensordot(a, b, n), (a, b))


def test_tensordot_with_paired_axes_in_any_order():
    check(lambda a, b: znp.tensordot(a, b, axes=([0, 2], [1, 0])), (randn(2, 3, 4), randn(4, 2, 5)))


def test_outer_flattens_its_arguments():
    check(lambda a, b: np.outer(a, b), (randn(3), randn(2, 2)))


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (4, 3)), ((), (2, 3)), ((2, 3), ())])
def test_inner_of_vectors_matrices_and_scalars(shapes):
    check(lambda a, b: np.inner(a, b), (randn(*shapes[0]), randn(*shapes[1], seed=1)))


def test_vdot_flattens_both_arguments():
    check(lambda a, b: np.vdot(a, b), (randn(2, 3), randn(3, 2, seed=1)))


# --- einsum ---------------------------------------------------------------------------------------
EINSUM = {
    "matrix product": ("ij,jk->ik", [(2, 3), (3, 4)]),
    "implicit output": ("ij,jk", [(2, 3), (3, 4)]),
    "index summed out of one operand": ("ij,jk->i", [(2, 3), (3, 4)]),
    "summed to a scalar": ("ij->", [(3, 2)]),
    "independent operands summed": ("ij,k->", [(2, 3), (4,)]),
    "trace by a repeated index": ("ii->", [(3, 3)]),
    "implicit trace": ("ii", [(3, 3)]),
    "diagonal by a repeated index": ("ii->i", [(3, 3)]),
    "repeated index in a 3-d operand": ("iji->j", [(3, 2, 3)]),
    "repeated index with another operand": ("iij,j->i", [(2, 2, 3), (3,)]),
    "ellipsis batch product": ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),
    "ellipsis summed over": ("i...->...", [(2, 3, 4)]),
    "ellipsis in the middle": ("i...j,j->i...", [(2, 3, 4), (4,)]),
    "batched diagonal": ("...ii->...i", [(2, 3, 3)]),
    "broadcast size-1 index": ("ij,ij->i", [(2, 3), (1, 3)]),
    "elementwise only": ("...", [(2, 3)]),
}


@pytest.mark.parametrize("spec,shapes", list(EINSUM.values()), ids=list(EINSUM))
def test_einsum(spec, shapes):
    args = tuple(randn(*s, seed=i) for i, s in enumerate(shapes))
    check(lambda *a: np.einsum(spec, *a), args)


@FAST
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2**16))
def test_einsum_on_random_sizes(n, k, m, seed):
    args = (randn(n, k, seed=seed), randn(k, m, seed=seed + 1), randn(m, seed=seed + 2))
    check(lambda a, b, c: znp.einsum("ij,jk,k->j", a, b, c), args)


# --- diagonals -------------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [-1, 0, 2])
def test_diag_builds_a_matrix_from_a_vector(k):
    check(lambda v: np.diag(v, k), (randn(3),))


@pytest.mark.parametrize("k", [-1, 0, 1])
def test_diag_reads_the_diagonal_of_a_matrix(k):
    check(lambda a: np.diag(a, k), (randn(3, 4),))


def test_diagonal_of_chosen_axes_with_offset():
    check(lambda a: np.diagonal(a, 1, 0, 2), (randn(3, 2, 4),))


def test_trace_of_a_matrix_and_of_a_stack():
    check(lambda a: np.trace(a), (randn(3, 3),))
    check(lambda a: np.trace(a, axis1=1, axis2=2), (randn(2, 3, 3),))


# --- inverse, solve, determinants ---------------------------------------------------------------------
@FAST
@given(st.sampled_from([(), (2,), (2, 1)]), st.integers(1, 3), st.integers(0, 2**16))
def test_inv_of_matrices_and_stacks(batch, n, seed):
    check(lambda a: np.linalg.inv(a), (well_conditioned(*batch, n, n, seed=seed),))


@pytest.mark.parametrize(
    "a_shape,b_shape",
    [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (2, 3, 1)), ((2, 3, 3), (1, 3, 2))],
    ids=["vector", "matrix", "stack-with-one-vector", "stacks", "broadcast-stack"],
)
def test_solve_with_vector_and_matrix_right_hand_sides(a_shape, b_shape):
    a = well_conditioned(*a_shape)
    check(lambda a, b: np.linalg.solve(a, b), (a, randn(*b_shape, seed=1)))


@FAST
@given(st.sampled_from([(), (2,)]), st.integers(1, 3), st.integers(0, 2**16))
def test_det_of_matrices_and_stacks(batch, n, seed):
    check(lambda a: np.linalg.det(a), (randn(*batch, n, n, seed=seed),))


def test_slogdet_differentiates_the_log_of_the_absolute_determinant():
    a = randn(3, 3)
    check(lambda a: np.linalg.slogdet(a)[1], (a,))
    sign, _ = znp.linalg.slogdet(a)
    assert sign == np.linalg.slogdet(a)[0]


# --- norms ------------------------------------------------------------------------------------------------
VECTOR_ORDS = [None, 1, 2, -1, -2, np.inf, -np.inf, 0, 3, 0.5]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=str)
def test_vector_norm_of_every_order(ord):
    x = np.array([0.7, -1.3, 2.1, -0.4])
    check(lambda x: np.linalg.norm(x, ord), (x,))
    check(lambda x: znp.linalg.norm(x, ord, axis=-1, keepdims=True), (randn(2, 3),))


@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
def test_matrix_norm_of_every_order(ord):
    check(lambda x: np.linalg.norm(x, ord), (randn(3, 4),))
    check(lambda x: znp.linalg.norm(x, ord, axis=(2, 0), keepdims=True), (randn(3, 2, 4, seed=1),))


def test_norm_of_an_nd_array_without_order_is_the_flat_two_norm():
    check(lambda x: np.linalg.norm(x), (randn(2, 3, 2),))


# --- kron, cross ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shapes", [((2, 3), (2, 2)), ((3,), (2, 2)), ((), (2,)), ((2,), (3,))])
def test_kron(shapes):
    check(lambda a, b: np.kron(a, b), (randn(*shapes[0]), randn(*shapes[1], seed=1)))


@pytest.mark.parametrize(
    "shapes,kwargs",
    [(((4, 3), (3,)), {}), (((3, 2), (3, 2)), {"axis": 0}), (((2, 3), (3, 2)), {"axisa": 1, "axisb": 0})],
    ids=["broadcast", "axis", "axisa-axisb"],
)
def test_cross_of_3_vectors(shapes, kwargs):
    check(lambda a, b: np.cross(a, b, **kwargs), (randn(*shapes[0]), randn(*shapes[1], seed=1)))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("sizes", [(2, 2), (2, 3), (3, 2)])
def test_cross_with_2_vectors(sizes):
    check(lambda a, b: np.cross(a, b), (randn(sizes[0]), randn(sizes[1], seed=1)))


# --- dtypes and dispatch --------------------------------------------------------------------------------------
FLOAT32 = {
    "matmul": (lambda a, b: a @ b, [(2, 3), (3, 2)]),
    "einsum": (lambda a, b: znp.einsum("ij,jk->k", a, b), [(2, 3), (3, 2)]),
    "tensordot": (lambda a, b: np.tensordot(a, b, 1), [(2, 3), (3, 2)]),
    "solve": (lambda a, b: np.linalg.solve(a + 3 * np.eye(3, dtype=a.dtype), b), [(3, 3), (3,)]),
    "inv": (lambda a: np.linalg.inv(a + 3 * np.eye(3, dtype=a.dtype)), [(3, 3)]),
    "det": (lambda a: np.linalg.det(a), [(3, 3)]),
    "norm": (lambda a: np.linalg.norm(a, "nuc"), [(3, 3)]),
}


@pytest.mark.parametrize("name", FLOAT32)
def test_float32_inputs_get_float32_gradients(name):
    f, shapes = FLOAT32[name]
    same_float32_gradient(f, tuple(randn(*s, seed=i) for i, s in enumerate(shapes)))


@FAST
@given(arrays((3, 3)))
def test_plain_numpy_and_zymo_numpy_give_the_same_gradient(a):
    a = a + 3 * np.eye(3)
    for name in ["inv", "det"]:
        g_np = zymo.grad(lambda a: np.sum(getattr(np.linalg, name)(a)))(a)
        g_znp = zymo.grad(lambda a: np.sum(getattr(znp.linalg, name)(a)))(a)
        np.testing.assert_array_equal(g_np, g_znp)


# --- complex inputs (JAX's convention) -------------------------------------------------------------------------
def _c(*shape, seed=0):
    return crandn(*shape, seed=seed)


COMPLEX = {
    "matmul": (lambda a, b: a @ b, (_c(2, 3), _c(3, 2, seed=1))),
    "matmul real by complex": (lambda a, b: a @ b, (randn(2, 3), _c(3, 2, seed=1))),
    "dot": (lambda a, b: np.dot(a, b), (_c(2, 3), _c(3, seed=1))),
    "vdot conjugates its first argument": (lambda a, b: np.vdot(a, b), (_c(3), _c(3, seed=1))),
    "inner": (lambda a, b: np.inner(a, b), (_c(2, 3), _c(3, seed=1))),
    "outer": (lambda a, b: np.outer(a, b), (_c(3), randn(2))),
    "tensordot": (lambda a, b: np.tensordot(a, b, 1), (_c(2, 3), _c(3, 2, seed=1))),
    "einsum": (lambda a, b: np.einsum("ij,jk->i", a, b), (_c(2, 3), _c(3, 2, seed=1))),
    "trace": (lambda a: np.trace(a), (_c(3, 3),)),
    "diag": (lambda a: np.diag(a), (_c(3, 3),)),
    "inv": (lambda a: np.linalg.inv(a), (_c(3, 3) + 3 * np.eye(3),)),
    "solve": (lambda a, b: np.linalg.solve(a, b), (_c(3, 3) + 3 * np.eye(3), _c(3, seed=1))),
    "solve real right-hand side": (lambda a, b: np.linalg.solve(a, b), (_c(3, 3) + 3 * np.eye(3), randn(3, 2))),
    "det": (lambda a: np.linalg.det(a), (_c(3, 3),)),
    "slogdet": (lambda a: np.linalg.slogdet(a)[1], (_c(3, 3),)),
    "norm": (lambda a: np.linalg.norm(a), (_c(3, 3),)),
    "norm 1": (lambda a: np.linalg.norm(a, 1), (_c(3),)),
    "norm 3": (lambda a: np.linalg.norm(a, 3), (_c(3),)),
    "norm inf": (lambda a: np.linalg.norm(a, np.inf), (_c(3),)),
    "matrix norm 1": (lambda a: np.linalg.norm(a, 1), (_c(3, 3),)),
    "kron": (lambda a, b: np.kron(a, b), (_c(2), _c(2, seed=1))),
    "cross": (lambda a, b: np.cross(a, b), (_c(3), _c(3, seed=1))),
}


@pytest.mark.parametrize("name", COMPLEX)
def test_complex_inputs_follow_jax_convention(name):
    f, args = COMPLEX[name]
    check_complex_grads(f, args, order=2)


# --- compositions: matrix_power, multi_dot, array-API names ----------------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -2])
def test_matrix_power_multiplies_in_numpys_order(n):
    a = well_conditioned(2, 3, 3) / 3
    check(lambda a: np.linalg.matrix_power(a, n) * a, (a,))


@pytest.mark.parametrize(
    "shapes",
    [[(2, 3), (3,)], [(3,), (3, 4), (4, 2)], [(5, 2), (2, 6), (6, 3), (3,)], [(2, 2), (2, 3), (3, 3), (3, 1)]],
    ids=["two", "three", "four-to-vector", "four"],
)
def test_multi_dot_of_chains(shapes):
    check(lambda *a: np.linalg.multi_dot(list(a)), tuple(randn(*s, seed=i) for i, s in enumerate(shapes)))


def test_array_api_linalg_names():
    x = randn(2, 3, 2)
    check(lambda x: np.linalg.matrix_transpose(x), (x,))
    check(lambda x: np.linalg.svdvals(x), (x,))
    check(lambda x: np.linalg.matrix_norm(x, ord="nuc", keepdims=True), (x,))
    check(lambda x: np.linalg.vector_norm(x), (x,))
    check(lambda x: np.linalg.vector_norm(x, axis=(0, 2), keepdims=True, ord=3), (x,))


# --- vecdot, matvec, vecmat; numpy.linalg's array-API spellings ---------------------------------------------
GUFUNCS = {
    "vecdot": (lambda a, b: np.vecdot(a, b), [(2, 3), (3,)]),
    "matvec": (lambda a, b: np.matvec(a, b), [(2, 2, 3), (3,)]),
    "vecmat": (lambda a, b: np.vecmat(a, b), [(3,), (2, 3, 2)]),
    "linalg.vecdot along an axis": (lambda a, b: np.linalg.vecdot(a, b, axis=0), [(3, 2), (3, 2)]),
    "vecdot along an axis": (lambda a, b: np.vecdot(a, b, axis=0), [(3, 2), (3, 1)]),
    "linalg.matmul": (lambda a, b: np.linalg.matmul(a, b), [(2, 3), (3, 2)]),
    "linalg.tensordot": (lambda a, b: np.linalg.tensordot(a, b, axes=1), [(2, 3), (3, 2)]),
    "linalg.outer": (lambda a, b: np.linalg.outer(a, b), [(2,), (3,)]),
    "linalg.cross": (lambda a, b: np.linalg.cross(a, b), [(2, 3), (3,)]),
}


@pytest.mark.parametrize("name", GUFUNCS)
def test_vector_products(name):
    f, shapes = GUFUNCS[name]
    check(f, tuple(randn(*s, seed=i) for i, s in enumerate(shapes)))


def test_linalg_diagonal_and_trace_of_stacks():
    check(lambda a: np.linalg.diagonal(a, offset=1), (randn(2, 3, 3),))
    check(lambda a: np.linalg.trace(a), (randn(2, 3, 3),))


@pytest.mark.parametrize(
    "f,args",
    [
        (lambda a, b: np.vecdot(a, b), (crandn(2, 3), crandn(3, seed=1))),
        (lambda a, b: np.vecmat(a, b), (crandn(3), crandn(3, 2, seed=1))),
        (lambda a, b: np.matvec(a, b), (crandn(2, 3), randn(3))),
    ],
    ids=["vecdot", "vecmat", "matvec"],
)
def test_complex_vector_products_conjugate_as_numpy_does(f, args):
    check_complex_grads(f, args)


# --- cond, tensorsolve, tensorinv, matrix_rank ---------------------------------------------------------------------
@pytest.mark.parametrize("p", [None, 2, -2, 1, -1, np.inf, "fro", "nuc"], ids=str)
def test_cond(p):
    check(lambda a: np.linalg.cond(a, p), (well_conditioned(2, 3, 3),))


def test_tensorsolve_and_tensorinv():
    a, b = well_conditioned(6, 6).reshape(2, 3, 6), randn(2, 3, seed=1)
    check(lambda a, b: np.linalg.tensorsolve(a, b), (a, b))
    check(lambda a, b: np.linalg.tensorsolve(a, b, axes=(0,)), (a.reshape(6, 2, 3), b))
    check(lambda a: np.linalg.tensorinv(a, 1), (well_conditioned(4, 4).reshape(4, 2, 2),))


def test_matrix_rank_is_a_plain_integer():
    g = zymo.grad(lambda a: np.sum(a) * np.linalg.matrix_rank(a))(randn(3, 3))
    np.testing.assert_array_equal(g, np.full((3, 3), 3.0))


def test_einsum_in_the_interleaved_form():
    args = (randn(2, 3), randn(3, 4, seed=1))
    check(lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]), args)
    check(lambda a, b: np.einsum(a, [Ellipsis, 1], b, [1, 2]), args)


def test_slogdet_sign_of_a_complex_matrix_is_a_differentiable_phase():
    check_complex_grads(lambda a: np.linalg.slogdet(a)[0], (crandn(3, 3),))
    sign, logabsdet = znp.linalg.slogdet(crandn(3, 3))
    assert (sign, logabsdet) == tuple(np.linalg.slogdet(crandn(3, 3)))


@pytest.mark.parametrize("keywords", [{"rtol": 1e-3}, {"rtol": None}, {"rcond": 1e-3}, {}], ids=str)
def test_pinv_rtol_keyword_gives_numpys_values_and_derivatives(keywords):
    a = np.random.default_rng(0).standard_normal((4, 3))
    f = lambda a: np.linalg.pinv(a, **keywords)
    np.testing.assert_array_equal(zymo.vjp(f, a)[0], f(a))
    check_grads(f, (a,), order=2)


def test_pinv_with_both_rtol_and_rcond_raises_numpys_error():
    with pytest.raises(ValueError, match="rtol"):
        zymo.grad(lambda a: np.linalg.pinv(a, rcond=1e-3, rtol=1e-3).sum())(np.eye(2))
