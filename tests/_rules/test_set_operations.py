"""``unique`` and the set operations on traced values: NumPy's values bit for bit, gradients to the entries read."""

import numpy as np
import pytest

import zymo
from zymo.testing import check_grads

# distinct values a small perturbation cannot reorder; ties are made inside each case from the same entries,
# so that they stay ties under the finite differences
_X = np.array([3.1, 1.2, 2.7, 4.4, 5.3, 0.9, 0.4])
_Y = np.array([2.2, 6.2, 0.6, 9.9])
_ROWS = np.array([[1.0, 2.0], [0.5, 4.0], [0.7, 0.1]])


def _tied(x):
    return np.concatenate([x, x[[2, 0, 2]]])


def _shared(x, y):
    return np.concatenate([y, x[[2, 6]]])


CASES = {
    "unique": (lambda x: np.unique(_tied(x)), (_X,)),
    "unique_unsorted": (lambda x: np.unique(_tied(x), sorted=False), (_X,)),
    "unique_index_inverse_counts": (lambda x: np.unique(_tied(x), True, True, True), (_X,)),
    "unique_rows": (lambda x: np.unique(np.concatenate([x, x[:2]]), axis=0), (_ROWS,)),
    "unique_columns_with_index": (
        lambda x: np.unique(np.concatenate([x, x[1:]]).T, return_index=True, axis=1),
        (_ROWS,),
    ),
    "unique_of_a_matrix": (lambda x: np.unique(np.stack([x, x[::-1]])), (_X,)),
    "unique_all": (lambda x: tuple(np.unique_all(_tied(x))), (_X,)),
    "unique_counts": (lambda x: tuple(np.unique_counts(_tied(x))), (_X,)),
    "unique_inverse": (lambda x: tuple(np.unique_inverse(_tied(x))), (_X,)),
    "unique_values": (lambda x: np.unique_values(_tied(x)), (_X,)),
    "union1d": (lambda x, y: np.union1d(x, _shared(x, y)), (_X, _Y)),
    "intersect1d": (lambda x, y: np.intersect1d(_tied(x), _shared(x, y)), (_X, _Y)),
    "intersect1d_indices": (lambda x, y: np.intersect1d(x, _shared(x, y), return_indices=True), (_X, _Y)),
    "setdiff1d": (lambda x, y: np.setdiff1d(_tied(x), _shared(x, y)), (_X, _Y)),
    "setxor1d": (lambda x, y: np.setxor1d(x, _shared(x, y)), (_X, _Y)),
}


@pytest.mark.parametrize("name", CASES)
def test_values_equal_numpys_and_derivatives_match_finite_differences(name):
    f, args = CASES[name]
    got, want = zymo.vjp(f, *args)[0], f(*args)
    for g, w in zip(zymo.tree_flatten(got)[0], zymo.tree_flatten(want)[0]):
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_array_equal(g, w)
    check_grads(lambda *a: zymo.tree_flatten(f(*a))[0][0], args, order=2)


def test_the_gradient_of_unique_reaches_the_entries_it_reads_instead_of_vanishing():
    grad = zymo.grad(lambda x: (np.unique(x) ** 2).sum())(np.array([3.0, 1.0, 3.0]))
    np.testing.assert_array_equal(grad, [6.0, 2.0, 0.0])  # the first 3.0 is read; the second is a duplicate


def test_set_operations_pass_gradients_to_both_arguments():
    x, y = np.array([3.0, 1.0, 2.0]), np.array([2.0, 7.0])
    grad_x, grad_y = zymo.grad(lambda x, y: np.union1d(x, y).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(grad_x + np.array([0.0, 0.0, grad_y[0]]), [1, 1, 1])  # 2.0 read once
    assert grad_y[1] == 1.0
    grad_x, grad_y = zymo.grad(lambda x, y: np.setdiff1d(x, y).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(grad_x, [1, 1, 0])
    np.testing.assert_array_equal(grad_y, [0, 0])


@pytest.mark.parametrize("sorted_", [True, False])
@pytest.mark.parametrize("return_index", [True, False])
def test_a_signed_zero_or_a_nan_comes_back_with_numpys_exact_bits(sorted_, return_index):
    x = np.array([0.0, 2.0, -0.0, np.nan, 1.0, -0.0, np.nan])
    for equal_nan in (True, False):
        kwargs = {"return_index": return_index, "equal_nan": equal_nan, "sorted": sorted_}
        want = np.unique(x, **kwargs)
        got = zymo.vjp(lambda x: np.unique(x, **kwargs), x)[0]
        w, g = (want[0], got[0]) if return_index else (want, got)
        np.testing.assert_array_equal(np.asarray(g).view(np.uint64), w.view(np.uint64))


def test_plain_arrays_get_numpys_own_results():
    assert np.unique(_X).tolist() == zymo.numpy.unique(_X).tolist()
    assert zymo.numpy.union1d(_X, _Y).tolist() == np.union1d(_X, _Y).tolist()
