"""Indexing and mutation rules: reads of every index kind, writes of every index kind, in-place operators,
copyto, fill, gathers (take, take_along_axis, sort, partition) and the r_/c_/s_ helpers.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import zymo
import zymo.numpy as znp
from tests.numpy._strategies_linalg import (
    assert_traced_value_is_numpys,
    check,
    crandn,
    randn,
    same_float32_gradient,
)
from tests.numpy.conftest import FAST, arrays, check_complex_grads

SEEDS = st.integers(0, 2**16)

READS = {
    "integer": lambda x: x[1],
    "negative integer": lambda x: x[-1, -2],
    "slice with step": lambda x: x[::2, 1:],
    "negative slice": lambda x: x[-2:, ::-1],
    "ellipsis": lambda x: x[..., 1],
    "new axis": lambda x: x[None, :, None, 0],
    "ellipsis and new axis": lambda x: x[..., None, 1],
    "integer array": lambda x: x[np.array([2, 0, 2])],
    "list with repeats and negatives": lambda x: x[[-1, 0, -1], 1:],
    "two integer arrays": lambda x: x[np.array([0, 2]), np.array([1, 3])],
    "broadcast integer arrays": lambda x: x[np.array([[0], [2]]), np.array([1, 3])],
    "boolean mask": lambda x: x[x > 0],
    "boolean rows": lambda x: x[np.array([True, False, True])],
    "mixed slice and array": lambda x: x[1:, [0, 0, 3]],
    "s_ helper": lambda x: x[znp.s_[1:, ::2]],
    "0-d from a 1-d row": lambda x: x[0][2],
}


@pytest.mark.parametrize("name", READS)
def test_getitem(name):
    check(READS[name], (randn(3, 4),))


@FAST
@given(st.integers(1, 4), st.integers(1, 4), st.data())
def test_getitem_of_random_integer_indices(n, m, data):
    idx = data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5))
    check(lambda x: x[np.array(idx)], (randn(n, m),))


def test_getitem_of_a_0d_array_with_an_empty_tuple():
    check(lambda x: x[()] * 2, (np.array(1.5),))


# --- writes ----------------------------------------------------------------------------------------
WRITES = {
    "integer": (1, (4,)),
    "negative integer": (-1, ()),
    "slice": ((slice(None), slice(1, 3)), (3, 2)),
    "slice broadcasting the value": ((slice(None), slice(1, 3)), (2,)),
    "ellipsis": (Ellipsis, (4,)),
    "ellipsis and integer": ((Ellipsis, 0), (3,)),
    "new axis": ((None, 1), (4,)),
    "integer array": (np.array([2, 0]), (2, 4)),
    "two integer arrays": ((np.array([0, 2]), np.array([1, 3])), (2,)),
    "boolean mask": (np.array([[True, False, True, False]] * 3), (6,)),
    "boolean rows": (np.array([True, False, True]), (4,)),
}


@pytest.mark.parametrize("name", WRITES)
def test_setitem_into_a_buffer_reaches_the_value_and_what_the_buffer_held(name):
    idx, vshape = WRITES[name]

    def f(x, v):
        buf = znp.array(x)
        buf[idx] = v
        return buf * x

    check(f, (randn(3, 4), randn(*vshape, seed=1)))


def test_setitem_with_duplicate_indices_gives_the_overwritten_values_zero_gradient():
    def f(x, v):
        buf = znp.zeros(3)
        buf[np.array([0, 0, 2])] = v
        return buf * x

    x, v = randn(3), randn(3, seed=1)
    check(f, (x, v))
    _, gv = zymo.grad(lambda x, v: np.sum(f(x, v)), argnums=(0, 1))(x, v)
    assert gv[0] == 0.0  # NumPy keeps the last write to a repeated position
    assert gv[1] == x[0] and gv[2] == x[2]


def test_setitem_of_a_plain_number_into_a_traced_array():
    def f(x):
        y = x * 2
        y[1] = 5.0
        return y

    check(f, (randn(3),))


def test_setitem_into_a_0d_value_held_as_a_numpy_scalar():
    # a full reduction is a NumPy scalar under the tracer; array API code writes into it (SciPy's `at`)
    def f(x, v):
        s = x.sum()
        s[()] = s * v
        s[np.bool_(False)] = 7.0
        return s

    x, v = randn(3), 1.5
    for mode in ("rev", "fwd"):
        grad = zymo.grad if mode == "rev" else lambda f, argnums: zymo.jacfwd(f, argnums=argnums)
        gx, gv = grad(f, argnums=(0, 1))(x, v)
        np.testing.assert_allclose(gx, np.full(3, v), rtol=1e-15)
        np.testing.assert_allclose(gv, x.sum(), rtol=1e-15)
    seen = []
    zymo.vjp(lambda x: seen.append(f(x, 2.0)) or seen[-1], np.arange(3.0))
    assert zymo.core.tracer.bottom(seen[0]) == 6.0


@FAST
@given(st.integers(1, 4), SEEDS)
def test_setitem_row_by_row_in_a_loop(n, seed):
    def f(xs):
        buf = znp.empty((n, 2))
        for t in range(n):
            buf[t] = np.tanh(xs[t]) * (buf[t - 1] if t else 1.0)
        return buf

    check(f, (randn(n, 2, seed=seed),))


INPLACE = {
    "+=": lambda b, v: b.__iadd__(v),
    "-=": lambda b, v: b.__isub__(v),
    "*=": lambda b, v: b.__imul__(v),
    "/=": lambda b, v: b.__itruediv__(v * v + 1.0),
    "**=": lambda b, v: b.__ipow__(v),
}


@pytest.mark.parametrize("op", INPLACE)
def test_inplace_operator_on_a_buffer(op):
    def f(x, v):
        buf = znp.array(x)
        r = INPLACE[op](buf, v)
        assert r is buf
        return buf

    check(f, (np.abs(randn(2, 3)) + 0.5, randn(3, seed=1)))


def test_inplace_matmul_on_a_buffer():
    def f(x, w):
        buf = znp.array(x)
        buf @= w
        return buf

    check(f, (randn(2, 3), randn(3, 3, seed=1)))


def test_inplace_add_into_a_slice_view():
    def f(x, v):
        buf = znp.zeros((3, 4))
        buf[1:] += x
        buf[:, 0] *= v
        return buf

    check(f, (randn(2, 4), randn(3, seed=1)))


def test_copyto_and_copyto_where():
    def f(x, v):
        buf = znp.empty((2, 3))
        np.copyto(buf, v)
        np.copyto(buf, x, where=np.array([True, False, True]))
        return buf * x

    check(f, (randn(2, 3), randn(3, seed=1)))


def test_fill_with_a_traced_scalar():
    def f(x):
        buf = znp.zeros_like(x)
        buf.fill(x[0])
        return buf * x

    check(f, (randn(3),))


# --- gathers ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("axis,mode", [(None, "raise"), (1, "raise"), (0, "wrap"), (1, "clip")])
def test_take(axis, mode):
    check(lambda x: np.take(x, [0, -1, 5, 0] if mode != "raise" else [0, 2, 2], axis=axis, mode=mode), (randn(3, 4),))


def test_take_method():
    check(lambda x: x.take([0, 2], 1), (randn(3, 4),))


def test_take_along_axis():
    idx = np.array([[0, 0, 2], [1, 2, 0]])
    check(lambda x: np.take_along_axis(x, idx, axis=1), (randn(2, 3),))
    check(lambda x: np.take_along_axis(x, idx.T, axis=0), (randn(3, 2),))


@FAST
@given(st.integers(1, 5), st.integers(1, 3), SEEDS)
def test_sort_along_each_axis(n, m, seed):
    x = randn(n, m, seed=seed)
    for axis in (0, 1, -1, None):
        check(lambda x: np.sort(x, axis=axis), (x,))


@FAST
@given(st.integers(1, 6), SEEDS, st.data())
def test_partition_matches_numpys_arrangement(n, seed, data):
    kth = data.draw(st.integers(0, n - 1))
    check(lambda x: np.partition(x, kth), (randn(3, n, seed=seed),))
    check(lambda x: znp.partition(x, kth, axis=None), (randn(n, 2, seed=seed),))


def test_partition_of_ties_gives_numpys_values():
    x = np.array([2.0, 1.0, 2.0, 1.0, 3.0, 2.0, 1.0])
    assert_traced_value_is_numpys(lambda x: np.partition(x, [1, 4]), (x,))


# --- r_ / c_ --------------------------------------------------------------------------------------------------
def test_r_joins_traced_arrays_numbers_and_ranges():
    check(lambda a, b: znp.r_[a, 1.0, b, 0:2], (randn(2), randn(3, seed=1)))


def test_r_with_an_axis_directive():
    check(lambda a, b: znp.r_["1", a, b], (randn(2, 2), randn(2, 3, seed=1)))


def test_c_makes_columns_of_vectors():
    check(lambda a, b: znp.c_[a, b], (randn(3), randn(3, 2, seed=1)))


def test_r_of_plain_values_is_numpys():
    np.testing.assert_array_equal(znp.r_[1:3, [5.0]], np.r_[1:3, [5.0]])


# --- dtypes, complex ---------------------------------------------------------------------------------------------
@FAST
@given(arrays((3, 4), dtype=np.float32))
def test_float32_inputs_get_float32_gradients(x):
    same_float32_gradient(lambda x: x[[0, 2], 1:] * 2, (x.astype(np.float64),))

    def write(x):
        buf = znp.zeros_like(x)
        buf[1] = x[0]
        return buf

    same_float32_gradient(write, (x.astype(np.float64),))


def test_complex_reads_and_writes_follow_jax_convention():
    def f(x, v):
        buf = znp.array(x)
        buf[np.array([0, 0])] = v
        return buf[::-1, [1, 1, 2]]

    check_complex_grads(f, (crandn(2, 3), crandn(3, seed=1)))
    check_complex_grads(lambda x: np.sort(x.real) * x[0], (crandn(3),))


# --- put_along_axis, fill_diagonal ------------------------------------------------------------------------------
def test_put_along_axis_writes_into_a_buffer():
    def f(x, v):
        buf = znp.array(x)
        np.put_along_axis(buf, np.array([[0], [2]]), v, 1)
        return buf * x

    check(f, (randn(2, 3), randn(2, 1, seed=1)))


@pytest.mark.parametrize(
    "ind,vsize,mode",
    [
        ([0, 4], 2, "raise"),
        ([-1, 0, 5, 2], 3, "raise"),
        ([1, 1], 2, "raise"),
        ([0, 1, 2], 1, "raise"),
        ([9, -8], 2, "wrap"),
        ([9, -8, 3], 2, "clip"),
    ],
)
def test_put_repeats_or_cuts_the_values_and_maps_indices_as_numpy_does(ind, vsize, mode):
    def f(x, v):
        buf = znp.array(x)
        np.put(buf, ind, v, mode=mode)
        return buf * x

    check(f, (randn(2, 3), randn(vsize, seed=1)))


def test_put_into_a_0d_array_keeps_the_last_value_as_numpy_does():
    def f(x, v):
        buf = znp.array(x)
        np.put(buf, [0, -1], v)
        return buf * x

    check(f, (randn(), randn(3, seed=1)))


def test_put_out_of_bounds_raises_numpys_index_error():
    def f(x):
        buf = znp.array(x)
        np.put(buf, [6], 1.0)
        return buf

    with pytest.raises(IndexError, match="index 6 is out of bounds for axis 0 with size 6"):
        zymo.vjp(f, randn(2, 3))


@pytest.mark.parametrize("shape,vshape,wrap", [((3, 3), (), False), ((7, 3), (2,), True), ((2, 2, 2), (2,), False)])
def test_fill_diagonal(shape, vshape, wrap):
    def f(x, v):
        buf = znp.array(x)
        np.fill_diagonal(buf, v, wrap=wrap)
        return buf * x

    check(f, (randn(*shape), randn(*vshape, seed=1)))


def test_writing_a_traced_value_into_a_plain_array_with_put_along_axis_is_refused():
    with pytest.raises(zymo.TracerConversionError):
        zymo.vjp(lambda v: np.put_along_axis(np.zeros((2, 2)), np.array([[0], [1]]), v, 1), randn(2, 1))


@pytest.mark.parametrize("helper", ["diag_indices_from", "tril_indices_from", "triu_indices_from"])
def test_index_helpers_accept_traced_arrays(helper):
    x = np.arange(9.0).reshape(3, 3)
    g = zymo.grad(lambda x: x[getattr(np, helper)(x)].sum())(x)
    want = np.zeros((3, 3))
    want[getattr(np, helper)(x)] = 1
    np.testing.assert_array_equal(g, want)
