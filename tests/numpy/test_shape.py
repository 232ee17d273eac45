"""Shape rules: reshaping, transposing, broadcasting, joining, splitting, tiling, flipping, padding, triangles.

These operations only move values: NumPy's results bit for bit, and derivatives
of both modes up to second order against central finite differences.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import zymo
import zymo.numpy as znp
from tests.numpy._strategies_linalg import check, crandn, randn, same_float32_gradient
from tests.numpy.conftest import FAST, arrays, check_complex_grads, shapes
from zymo.testing import check_grads

SEEDS = st.integers(0, 2**16)


def _array(min_dims=0, max_dims=3):
    return shapes(min_dims=min_dims, max_dims=max_dims).flatmap(arrays)


# --- reshaping ------------------------------------------------------------------------------------
@FAST
@given(_array(), st.sampled_from(["C", "F"]))
def test_reshape_to_the_reversed_shape_and_back_to_flat(x, order):
    check(lambda x: np.reshape(x, x.shape[::-1], order=order), (x,))
    check(lambda x: x.reshape(-1), (x,))


@FAST
@given(_array())
def test_ravel(x):
    check(lambda x: np.ravel(x), (x,))


@FAST
@given(_array(min_dims=1).flatmap(lambda x: st.tuples(st.just(x), st.integers(-x.ndim - 1, x.ndim))))
def test_expand_dims_at_any_position(case):
    x, axis = case
    check(lambda x: np.expand_dims(x, axis), (x,))


def test_squeeze_all_and_one_axis():
    x = randn(2, 1, 3, 1)
    check(lambda x: np.squeeze(x), (x,))
    check(lambda x: np.squeeze(x, axis=1), (x,))
    check(lambda x: x.squeeze(-1), (x,))


# --- transposing ------------------------------------------------------------------------------------
@FAST
@given(_array().flatmap(lambda x: st.tuples(st.just(x), st.permutations(range(x.ndim)))))
def test_transpose_by_any_permutation(case):
    x, axes = case
    check(lambda x: np.transpose(x, axes), (x,))
    check(lambda x: x.T, (x,))


def test_swapaxes_and_moveaxis():
    x = randn(2, 3, 4)
    check(lambda x: np.swapaxes(x, 0, -1), (x,))
    check(lambda x: np.moveaxis(x, [0, 1], [2, 0]), (x,))
    check(lambda x: np.moveaxis(x, -1, 0), (x,))


# --- broadcasting ------------------------------------------------------------------------------------
@FAST
@given(_array(max_dims=2), st.lists(st.integers(1, 3), max_size=2))
def test_broadcast_to_a_larger_shape(x, lead):
    target = tuple(lead) + tuple(n if n != 1 else 2 for n in x.shape)
    check(lambda x: np.broadcast_to(x, target), (x,))


# --- joining --------------------------------------------------------------------------------------------
@st.composite
def _joinable(draw):
    base = list(draw(shapes(min_dims=1, max_dims=3)))
    axis = draw(st.integers(-len(base), len(base) - 1))
    parts = []
    for i in range(draw(st.integers(1, 3))):
        s = list(base)
        s[axis] = draw(st.integers(1, 3))
        parts.append(randn(*s, seed=i))
    return parts, axis


@FAST
@given(_joinable())
def test_concatenate_along_any_axis(case):
    parts, axis = case
    check(lambda *p: np.concatenate(p, axis=axis), tuple(parts))
    check(lambda *p: np.concatenate(p, axis=None), tuple(parts))


def test_concatenate_grows_from_an_empty_list():
    def f(x):
        out = np.array([])
        for row in x:
            out = znp.concatenate([out, row])
        return out

    check(f, (randn(3, 2),))


@FAST
@given(shapes(max_dims=2), st.integers(1, 3), SEEDS)
def test_stack_along_any_axis(shape, n, seed):
    parts = tuple(randn(*shape, seed=seed + i) for i in range(n))
    for axis in range(-len(shape) - 1, len(shape) + 1):
        check(lambda *p: np.stack(p, axis=axis), parts)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # numpy.row_stack
@pytest.mark.parametrize(
    "name,shapes_",
    [
        ("vstack", [(3,), (2, 3)]),
        ("hstack", [(3,), (2,)]),
        ("hstack", [(2, 1), (2, 3)]),
        ("dstack", [(2, 3), (2, 3, 2)]),
        ("column_stack", [(3,), (3, 2)]),
        ("row_stack", [(3,), (2, 3)]),
    ],
)
def test_stacking_helpers(name, shapes_):
    args = tuple(randn(*s, seed=i) for i, s in enumerate(shapes_))
    check(lambda *a: getattr(np, name)(list(a)), args)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_append(axis):
    a, b = randn(2, 3), randn(2, 3, seed=1)
    check(lambda a, b: np.append(a, b, axis=axis), (a, b))


# --- splitting ---------------------------------------------------------------------------------------------
def test_split_into_equal_sections_and_at_indices():
    x = randn(4, 6)
    check(lambda x: tuple(np.split(x, 3, axis=1)), (x,))
    check(lambda x: tuple(np.split(x, [1, 3], axis=0)), (x,))


def test_array_split_into_unequal_sections():
    check(lambda x: tuple(np.array_split(x, 3)), (randn(5, 2),))


def test_unequal_split_is_refused_as_numpy_does():
    with pytest.raises(ValueError, match="equal division"):
        zymo.grad(lambda x: np.sum(np.split(x, 4)[0]))(randn(6))


@pytest.mark.parametrize(
    "name,shape", [("hsplit", (2, 4)), ("hsplit", (4,)), ("vsplit", (4, 2)), ("dsplit", (2, 2, 4))]
)
def test_hsplit_vsplit_dsplit(name, shape):
    check(lambda x: tuple(getattr(np, name)(x, 2)), (randn(*shape),))


# --- tiling, repeating, rolling ---------------------------------------------------------------------------
@pytest.mark.parametrize("reps", [2, (2, 1), (2, 1, 3)], ids=str)
def test_tile(reps):
    check(lambda x: np.tile(x, reps), (randn(2, 3),))


@pytest.mark.parametrize("repeats,axis", [(2, None), ([1, 2], 0), (3, 1)])
def test_repeat_sums_the_copies(repeats, axis):
    check(lambda x: np.repeat(x, repeats, axis=axis), (randn(2, 3),))


@pytest.mark.parametrize("shift,axis", [(1, None), (-2, 1), ((1, -1), (0, 1))], ids=str)
def test_roll(shift, axis):
    check(lambda x: np.roll(x, shift, axis), (randn(2, 3),))


# --- flipping, rotating ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)], ids=str)
def test_flip(axis):
    check(lambda x: np.flip(x, axis), (randn(2, 3),))


def test_fliplr_and_flipud():
    check(lambda x: np.fliplr(x), (randn(2, 3),))
    check(lambda x: znp.flipud(x), (randn(2, 3),))


@pytest.mark.parametrize("k", [0, 1, 2, 3, -1])
def test_rot90(k):
    check(lambda x: np.rot90(x, k), (randn(2, 3),))
    check(lambda x: znp.rot90(x, k, axes=(2, 0)), (randn(2, 3, 4),))


# --- padding -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["constant", "edge", "wrap", "reflect", "symmetric"])
def test_pad_modes(mode):
    check(lambda x: np.pad(x, ((1, 2), (2, 1)), mode=mode), (randn(3, 3),))


def test_pad_with_a_constant_value():
    check(lambda x: np.pad(x, 1, constant_values=2.5), (randn(2, 2),))


# --- atleast_nd -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)], ids=str)
def test_atleast_nd(name, shape):
    check(lambda x: getattr(np, name)(x), (randn(*shape),))


def test_atleast_nd_of_several_arrays():
    check(lambda a, b: tuple(np.atleast_2d(a, b)), (randn(), randn(3)))


# --- triangles -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("k", [-1, 0, 2])
def test_tril_triu(name, k):
    check(lambda x: getattr(np, name)(x, k), (randn(3, 4),))
    check(lambda x: getattr(znp, name)(x, k), (randn(2, 3, 3),))


# --- dtypes, complex --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "f",
    [
        lambda x: np.reshape(x, (3, 2)),
        lambda x: np.transpose(x),
        lambda x: np.concatenate([x, x * 2], axis=1),
        lambda x: np.stack([x, x]),
        lambda x: np.tile(x, 2),
        lambda x: np.pad(x, 1, mode="reflect"),
        lambda x: np.roll(x, 1),
        lambda x: np.tril(x),
    ],
    ids=["reshape", "transpose", "concatenate", "stack", "tile", "pad", "roll", "tril"],
)
def test_float32_inputs_get_float32_gradients(f):
    same_float32_gradient(f, (randn(2, 3),))


def test_complex_values_move_with_jax_convention():
    x = crandn(2, 3)
    check_complex_grads(lambda x: np.concatenate([np.reshape(x, (3, 2)).T, np.flip(x, 0)], axis=1), (x,))
    check_complex_grads(lambda x, y: np.stack([x, y]), (x, randn(2, 3)))


# --- views together, grids, selections -------------------------------------------------------------------------
def test_unstack_along_an_axis():
    check(lambda x: np.unstack(x, axis=1), (randn(2, 3),))


def test_broadcast_arrays():
    check(lambda x, y: np.broadcast_arrays(x, y), (randn(2, 1), randn(3, seed=1)))


@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sparse", [False, True])
def test_meshgrid(indexing, sparse):
    args = (randn(2), randn(3, seed=1), randn(2, seed=2))
    check(lambda *a: np.meshgrid(*a, indexing=indexing, sparse=sparse), args)


def test_diagflat():
    check(lambda x: np.diagflat(x, -1), (randn(2, 2),))


@pytest.mark.parametrize("obj,axis", [([0, 2], 1), (1, None), (slice(0, 1), 0)], ids=str)
def test_delete(obj, axis):
    check(lambda x: np.delete(x, obj, axis=axis), (randn(2, 4),))


def test_compress_and_extract():
    check(lambda x: np.compress([True, False, True], x, axis=1), (randn(2, 3),))
    check(lambda x: np.compress([False, True], x), (randn(2, 3),))
    check(lambda x: np.extract(np.array([[True, False], [False, True]]), x), (randn(2, 2),))


@pytest.mark.parametrize("shape", [(3, 3), (1,), 5], ids=str)
def test_resize_repeats_the_entries(shape):
    check(lambda x: np.resize(x, shape), (randn(2, 2),))


@pytest.mark.parametrize(
    "build,shapes_",
    [
        (lambda a, b: [[a, b], [b, a]], [(2, 2), (2, 2)]),
        (lambda a, b: [a, b], [(2,), (3,)]),
        (lambda a, b: [[a], [b]], [(3,), (3,)]),
        (lambda a, b: [[a, 1.0], [b, 2.0]], [(), ()]),
        (lambda a, b: [[[a]], [[b]]], [(2,), (2,)]),
    ],
    ids=["2x2 blocks", "flat", "rows", "numbers", "depth 3"],
)
def test_block(build, shapes_):
    check(lambda a, b: np.block(build(a, b)), tuple(randn(*s, seed=i) for i, s in enumerate(shapes_)))


def test_pad_with_per_side_and_traced_constant_values():
    check(lambda x: np.pad(x, ((1, 0), (0, 2)), constant_values=((1.0, 2.0), (3.0, 4.0))), (randn(2, 2),))
    check(lambda x, c: np.pad(x, 1, constant_values=c), (randn(2, 2), randn(seed=1)))


def test_unsupported_pad_mode_names_itself():
    with pytest.raises(zymo.ZymoError, match="linear_ramp"):
        zymo.grad(lambda x: np.sum(np.pad(x, 1, mode="linear_ramp")))(randn(3))


@pytest.mark.parametrize(
    "f",
    [
        lambda x: np.expand_dims(x, 3),
        lambda x: np.squeeze(x, 2),
        lambda x: np.swapaxes(x, 0, 2),
        lambda x: np.moveaxis(x, 0, -3),
        lambda x: np.array_split(x, 2, axis=2),
        lambda x: np.take(x, [0], axis=2),
        lambda x: np.linalg.norm(x, 1, axis=(0, 2)),
    ],
    ids=["expand_dims", "squeeze", "swapaxes", "moveaxis", "array_split", "take", "norm"],
)
def test_an_axis_out_of_range_is_refused_as_numpy_does(f):
    x = randn(2, 1)
    with pytest.raises(IndexError):  # numpy.exceptions.AxisError is an IndexError
        f(x)
    with pytest.raises(np.exceptions.AxisError):
        zymo.grad(lambda x: np.sum(f(x)))(x)


DISPATCH = {
    "reshape": ((6,),),
    "ravel": (),
    "transpose": (),
    "swapaxes": (0, 1),
    "moveaxis": (0, 1),
    "expand_dims": (1,),
    "squeeze": (),
    "broadcast_to": ((2, 2, 3),),
    "tile": (2,),
    "repeat": (2,),
    "flip": (),
    "fliplr": (),
    "flipud": (),
    "roll": (1,),
    "pad": (1,),
    "atleast_3d": (),
    "tril": (),
    "triu": (),
    "rot90": (),
    "diagflat": (),
    "resize": ((4,),),
    "sort": (),
    "partition": (1,),
}


@pytest.mark.parametrize("name", DISPATCH)
def test_plain_numpy_call_on_a_traced_value_reaches_zymos_rule(name):
    x = randn(2, 3)
    args = DISPATCH[name]
    g_np = zymo.grad(lambda x: np.sum(getattr(np, name)(x, *args) ** 2))(x)
    g_znp = zymo.grad(lambda x: np.sum(getattr(znp, name)(x, *args) ** 2))(x)
    np.testing.assert_array_equal(g_np, g_znp)
    np.testing.assert_array_equal(getattr(znp, name)(x, *args), getattr(np, name)(x, *args))


@pytest.mark.parametrize(
    "obj,vshape,axis",
    [(1, (), None), ([0, 2, 2], (3,), 1), (1, (3,), 0), (slice(0, 2), (2, 1), 1), (2, (2, 2), 1)],
    ids=["flat", "repeated positions", "row", "slice", "block of columns"],
)
def test_insert(obj, vshape, axis):
    check(lambda a, v: np.insert(a, obj, v, axis=axis), (randn(2, 3), randn(*vshape, seed=1)))


def test_insert_casts_values_to_the_array_dtype():
    check(lambda a: np.insert(a, 1, 5, axis=1), (randn(2, 3),))


@pytest.mark.parametrize(
    "f",
    [
        lambda v: znp.insert(np.zeros(3), 1, v),
        lambda v: np.tril(v * np.ones((2, 2))),
        lambda v: np.resize(np.stack([v, v]), 3),
        lambda v: np.pad(np.ones(2) * v, 1, constant_values=v),
        lambda v: np.block([[v, 1.0]]),
        lambda v: np.atleast_2d(v),
        lambda v: np.kron(v, np.ones(2)),
    ],
    ids=["insert", "tril", "resize", "pad", "block", "atleast_2d", "kron"],
)
def test_a_traced_python_float_passes_through(f):
    check(f, (1.5,))


def test_ravel_in_memory_order_of_views_equals_numpys():
    a = np.arange(24.0).reshape(2, 3, 4)
    for v in (a, a.T, a.transpose(1, 0, 2), a[:, ::-1], a[:, 1:, ::2].transpose(2, 0, 1)):
        for order in ("K", "A"):
            np.testing.assert_array_equal(zymo.vjp(lambda x: np.ravel(x, order=order), v)[0], np.ravel(v, order=order))
    check_grads(lambda x: np.ravel(x.T, order="K") * np.arange(24.0), (a,), order=2)


def test_rollaxis_equals_numpys_and_differentiates():
    x = np.arange(24.0).reshape(2, 3, 4)
    for axis, start in [(2, 0), (0, 3), (1, -1), (2, 1), (0, 0)]:
        np.testing.assert_array_equal(
            zymo.vjp(lambda x: np.rollaxis(x, axis, start), x)[0], np.rollaxis(x, axis, start)
        )
    check_grads(lambda x: np.rollaxis(x, 2, 0) * np.arange(24.0).reshape(4, 2, 3), (x,), order=2)


def test_function_astype_keeps_the_gradient_for_float_types():
    np.testing.assert_array_equal(zymo.grad(lambda x: np.astype(x, np.float32).sum())(np.ones(2)), [1.0, 1.0])


@pytest.mark.parametrize(
    "view",
    [lambda x: x[::2], lambda x: x[:, ::-1], lambda x: x.T, lambda x: np.real(x * (1 + 1j))],
    ids=["every_other_row", "reversed_columns", "transpose", "real_part_of_complex"],
)
def test_ravel_of_a_non_contiguous_array_is_a_contiguous_copy_as_in_numpy(view):
    x = randn(4, 3)
    want = np.ravel(view(x))
    got, _ = zymo.vjp(lambda a: znp.ravel(view(a)), x)
    assert np.array_equal(got, want) and got.strides == want.strides == (8,)
    check(lambda a: znp.ravel(view(a)), (x,))
