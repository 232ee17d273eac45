"""Shape rules: reshape, transpose, broadcasting, joining, splitting, tiling, flipping, padding.

Only a few are primitives (reshape, transpose, broadcast_to, flip, concatenate,
stack, tile, pad); the rest are written with them, so each rule lives in one
place and forward values stay NumPy's (these operations only move values).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple
from numpy.typing import ArrayLike, DTypeLike

from .. import numpy as znp
from ..core.dispatch import implements
from ..core.errors import unsupported
from ..core.forward import defjvp_all
from ..core.mutation import inplace_setitem
from ..core.primitive import Primitive
from ..core.tracer import Tracer, bottom
from .helpers import dtype_of, has_tracer, keep_real_cotangents, linear, linear_all, shape_of, unbroadcast, write_out
from .indexing import astype, laid_out_as_copy_of


def _asarray(x):

    return znp.asarray(x)


# --- reshape ------------------------------------------------------------------
def _reshape_impl(x, shape, order="C"):
    return np.reshape(x, shape, order=order)


reshape_p = Primitive(_reshape_impl, "reshape", aliases=True)
linear(reshape_p, lambda g, ans, x, shape, order="C": np.reshape(g, shape_of(x), order=order))
reshape_p.unview = lambda base, new, shape, order="C": inplace_setitem(
    base, Ellipsis, np.reshape(new, shape_of(base), order=order)
)


@implements(np.reshape)
def reshape(
    a: ArrayLike,
    shape: int | Sequence[int] | None = None,
    order: str = "C",
    *,
    newshape: int | Sequence[int] | None = None,
    copy: bool | None = None,
) -> np.ndarray:
    """``numpy.reshape`` (a view when NumPy's is one; writes through it reach the base).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: (znp.reshape(x, (2, 2)) @ znp.array([1.0, 2.0])).sum())(znp.zeros(4))
        array([1., 2., 1., 2.])
    """
    if shape is None:
        shape = newshape
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    return reshape_p(a, shape=tuple(shape), order=order)


@implements(np.ravel)
def ravel(a: ArrayLike, order: str = "C") -> np.ndarray:
    """``numpy.ravel``: the entries as a 1-d array, in ``order`` ``"C"``, ``"F"``, ``"A"`` or ``"K"`` (memory order).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.ravel(znp.array([[1.0, 2.0], [3.0, 4.0]]).T, order="K")
        array([1., 2., 3., 4.])
    """
    if type(a) is not Tracer:
        return np.ravel(a, order=order)
    if order in ("A", "K"):
        plain = np.asarray(bottom(a))
        if order == "A" or plain.flags.c_contiguous or plain.flags.f_contiguous:
            order = "F" if plain.flags.f_contiguous and not plain.flags.c_contiguous else "C"
        else:
            return _ravel_in_memory_order(a, plain.strides)
    flat = reshape_p(a, shape=(-1,), order=order)
    plain = bottom(a)
    if type(plain) is np.ndarray and not (plain.flags.f_contiguous if order == "F" else plain.flags.c_contiguous):
        return znp.copy(flat)  # NumPy's ravel is a view only of a contiguous array (reshape may give a strided one)
    return flat


def _ravel_in_memory_order(a, strides: tuple) -> np.ndarray:
    """``ravel(order="K")`` of a non-contiguous view: axes by decreasing stride (a reversed axis keeps its order)."""
    perm = sorted(range(len(strides)), key=lambda i: -abs(strides[i]))
    return reshape_p(znp.transpose(a, perm), shape=(-1,), order="C")


@implements(np.squeeze)
def squeeze(a: ArrayLike, axis: int | tuple[int, ...] | None = None) -> np.ndarray:
    """``numpy.squeeze``: axes of length one removed.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.squeeze(znp.zeros((1, 2, 1))).shape
        (2,)
    """
    shape = shape_of(a)
    if axis is None:
        new = tuple(n for n in shape if n != 1)
    else:
        axes = set(normalize_axis_tuple(axis, len(shape)))
        for ax in axes:
            if shape[ax] != 1:
                raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
        new = tuple(n for i, n in enumerate(shape) if i not in axes)
    return reshape_p(a, shape=new)


@implements(np.expand_dims)
def expand_dims(a: ArrayLike, axis: int | tuple[int, ...]) -> np.ndarray:
    """``numpy.expand_dims``: a new axis of length one at ``axis``.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.expand_dims(znp.array([1.0, 2.0]), 0).shape
        (1, 2)
    """
    if not isinstance(axis, (tuple, list)):
        axis = (axis,)
    nd = len(shape_of(a)) + len(axis)
    axes = normalize_axis_tuple(axis, nd)
    it = iter(shape_of(a))
    return reshape_p(a, shape=tuple(1 if ax in axes else next(it) for ax in range(nd)))


# --- transpose ------------------------------------------------------------------
def _transpose_impl(x, axes=None):
    return np.transpose(x, axes)


def _inverse_axes(axes, ndim):
    if axes is None:
        return None
    return tuple(np.argsort([a % ndim for a in axes]))


transpose_p = Primitive(_transpose_impl, "transpose", aliases=True)
linear(transpose_p, lambda g, ans, x, axes=None: np.transpose(g, _inverse_axes(axes, len(shape_of(x)))))
transpose_p.unview = lambda base, new, axes=None: inplace_setitem(
    base, Ellipsis, np.transpose(new, _inverse_axes(axes, len(shape_of(base))))
)


@implements(np.transpose)
def transpose(a: ArrayLike, axes: Sequence[int] | None = None) -> np.ndarray:
    """``numpy.transpose``: axes permuted (reversed when ``axes`` is None); a view.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.transpose(znp.zeros((2, 3, 4))).shape
        (4, 3, 2)
    """
    if axes is not None:
        axes = tuple(int(x) for x in axes)
    return transpose_p(a, axes=axes)


@implements(np.swapaxes)
def swapaxes(a: ArrayLike, axis1: int, axis2: int) -> np.ndarray:
    """``numpy.swapaxes``: two axes interchanged (a view).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.swapaxes(znp.zeros((2, 3)), 0, 1).shape
        (3, 2)
    """
    nd = len(shape_of(a))
    axes = list(range(nd))
    i, j = normalize_axis_index(axis1, nd), normalize_axis_index(axis2, nd)
    axes[i], axes[j] = axes[j], axes[i]
    return transpose_p(a, axes=tuple(axes))


@implements(np.moveaxis)
def moveaxis(a: ArrayLike, source: int | Sequence[int], destination: int | Sequence[int]) -> np.ndarray:
    """``numpy.moveaxis``: axes moved from ``source`` to ``destination``.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.moveaxis(znp.zeros((2, 3, 4)), 0, -1).shape
        (3, 4, 2)
    """
    nd = len(shape_of(a))
    src = normalize_axis_tuple(source, nd, "source")
    dst = normalize_axis_tuple(destination, nd, "destination")
    if len(src) != len(dst):
        raise ValueError("`source` and `destination` arguments must have the same number of elements")
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose_p(a, axes=tuple(order))


@implements(np.rollaxis)
def rollaxis(a: ArrayLike, axis: int, start: int = 0) -> np.ndarray:
    """``numpy.rollaxis``: axis ``axis`` moved to before position ``start``.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.rollaxis(znp.zeros((2, 3, 4)), 2).shape
        (4, 2, 3)
    """
    nd = len(shape_of(a))
    axis = normalize_axis_index(axis, nd)
    if not -nd <= start <= nd:
        raise np.exceptions.AxisError(f"'start' arg requires {-nd} <= start < {nd + 1}")
    start = start + nd if start < 0 else start
    if axis < start:
        start -= 1
    if axis == start:
        return a
    order = [n for n in range(nd) if n != axis]
    order.insert(start, axis)
    return transpose_p(a, axes=tuple(order))


# --- broadcast_to -----------------------------------------------------------------
def _broadcast_to_impl(x, shape):
    return np.broadcast_to(x, shape)


broadcast_to_p = Primitive(_broadcast_to_impl, "broadcast_to", aliases=True)
linear(broadcast_to_p, lambda g, ans, x, shape: unbroadcast(g, x))


@implements(np.broadcast_to)
def broadcast_to(array: ArrayLike, shape: int | Sequence[int], subok: bool = False) -> np.ndarray:
    """``numpy.broadcast_to`` (a read-only view, as in NumPy).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.broadcast_to(x, (3, 2)).sum())(znp.array([1.0, 2.0]))
        array([3., 3.])
    """
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    return broadcast_to_p(array, shape=tuple(shape))


# --- flip ---------------------------------------------------------------------
def _flip_impl(x, axis=None):
    return np.flip(x, axis)


flip_p = Primitive(_flip_impl, "flip", aliases=True)
linear(flip_p, lambda g, ans, x, axis=None: np.flip(g, axis))
flip_p.unview = lambda base, new, axis=None: inplace_setitem(base, Ellipsis, np.flip(new, axis))


@implements(np.flip)
def flip(m: ArrayLike, axis: int | tuple[int, ...] | None = None) -> np.ndarray:
    """``numpy.flip``: entries in reverse order along ``axis`` (all axes when None).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> w = znp.array([1.0, 2.0, 3.0])
        >>> zymo.grad(lambda x: znp.sum(znp.flip(x) * w))(znp.zeros(3))
        array([3., 2., 1.])
    """
    return flip_p(m, axis=axis)


@implements(np.fliplr)
def fliplr(m: ArrayLike) -> np.ndarray:
    """``numpy.fliplr``: columns in reverse order.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fliplr(znp.array([[1.0, 2.0]]))
        array([[2., 1.]])
    """
    return flip_p(m, axis=1)


@implements(np.flipud)
def flipud(m: ArrayLike) -> np.ndarray:
    """``numpy.flipud``: rows in reverse order.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.flipud(znp.array([[1.0], [2.0]]))
        array([[2.],
               [1.]])
    """
    return flip_p(m, axis=0)


# --- concatenate / stack ---------------------------------------------------------
def _concatenate_impl(*xs, axis=0, dtype=None):
    return np.concatenate(xs, axis=axis, dtype=dtype)


def _concatenate_vjp(g, ans, *xs, axis=0, dtype=None):
    if axis is None:
        sizes = [int(np.prod(shape_of(x))) for x in xs]
        ax = 0
    else:
        ax = axis % len(shape_of(ans))
        sizes = [shape_of(x)[ax] for x in xs]
    bounds = np.cumsum(sizes)[:-1]
    parts = np.split(g, bounds, axis=ax)
    if axis is None:
        return [np.reshape(p, shape_of(x)) for p, x in zip(parts, xs)]
    return parts


concatenate_p = linear_all(Primitive(_concatenate_impl, "concatenate"), _concatenate_vjp)
keep_real_cotangents(concatenate_p)


def _seq_to_arrays(arrays):
    if type(arrays) is Tracer:
        return list(arrays)
    return [_asarray(a) if (has_tracer(a) or type(a) in (list, tuple)) else a for a in arrays]


def _join(np_fn, prim, arrays, axis, out, dtype, casting):
    """Join a sequence with ``prim`` when it holds traced values, with NumPy's ``np_fn`` otherwise."""
    xs = _seq_to_arrays(arrays)
    if not builtins.any(type(x) is Tracer for x in xs):
        return np_fn(xs, axis=axis, out=out, dtype=dtype, casting=casting)
    r = prim(*xs, axis=axis, dtype=dtype)
    if out is not None:
        return write_out(out, r)
    return r


@implements(np.concatenate)
def concatenate(
    arrays: Sequence[ArrayLike],
    axis: int = 0,
    out: np.ndarray | None = None,
    *,
    dtype: DTypeLike = None,
    casting: str = "same_kind",
) -> np.ndarray:
    """``numpy.concatenate``, also of Python lists that hold traced values (or are empty).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> def loss(x):
        ...     ys = []
        ...     for t in range(3):
        ...         ys = znp.concatenate([ys, [x * t]])
        ...     return ys.sum()
        ...
        >>> zymo.grad(loss)(2.0)
        3.0
    """
    return _join(np.concatenate, concatenate_p, arrays, axis, out, dtype, casting)


def _stack_impl(*xs, axis=0, dtype=None):
    return np.stack(xs, axis=axis, dtype=dtype)


def _stack_vjp(g, ans, *xs, axis=0, dtype=None):
    ax = axis % len(shape_of(ans))
    idx = (slice(None),) * ax
    return [g[idx + (i,)] for i in range(len(xs))]


stack_p = linear_all(Primitive(_stack_impl, "stack"), _stack_vjp)
keep_real_cotangents(stack_p)


@implements(np.stack)
def stack(
    arrays: Sequence[ArrayLike],
    axis: int = 0,
    out: np.ndarray | None = None,
    *,
    dtype: DTypeLike = None,
    casting: str = "same_kind",
) -> np.ndarray:
    """``numpy.stack``: arrays of one shape joined along a new axis.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> def loss(x):
        ...     hs = [x * t for t in range(3)]
        ...     return znp.stack(hs).sum()
        ...
        >>> zymo.grad(loss)(znp.array([1.0, 2.0]))
        array([3., 3.])
    """
    return _join(np.stack, stack_p, arrays, axis, out, dtype, casting)


@implements(np.atleast_1d)
def atleast_1d(*arys: ArrayLike) -> np.ndarray | tuple[np.ndarray, ...]:
    """``numpy.atleast_1d``: scalars become 1-d arrays.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.atleast_1d(2.0)
        array([2.])
    """
    res = [reshape(a, (1,)) if len(shape_of(a)) == 0 else a for a in map(_asarray, arys)]
    return res[0] if len(res) == 1 else tuple(res)


@implements(np.atleast_2d)
def atleast_2d(*arys: ArrayLike) -> np.ndarray | tuple[np.ndarray, ...]:
    """``numpy.atleast_2d``: inputs viewed with at least two dimensions.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.atleast_2d(znp.array([1.0, 2.0]))
        array([[1., 2.]])
    """
    res = []
    for a in map(_asarray, arys):
        s = shape_of(a)
        res.append(reshape(a, (1, 1)) if len(s) == 0 else reshape(a, (1,) + s) if len(s) == 1 else a)
    return res[0] if len(res) == 1 else tuple(res)


@implements(np.atleast_3d)
def atleast_3d(*arys: ArrayLike) -> np.ndarray | tuple[np.ndarray, ...]:
    """``numpy.atleast_3d``: inputs viewed with at least three dimensions.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.atleast_3d(znp.array([1.0, 2.0])).shape
        (1, 2, 1)
    """
    res = []
    for a in map(_asarray, arys):
        s = shape_of(a)
        if len(s) == 0:
            a = reshape(a, (1, 1, 1))
        elif len(s) == 1:
            a = reshape(a, (1,) + s + (1,))
        elif len(s) == 2:
            a = reshape(a, s + (1,))
        res.append(a)
    return res[0] if len(res) == 1 else tuple(res)


def _as_list(arrays):
    return [_asarray(a) for a in (list(arrays) if type(arrays) is Tracer else arrays)]


@implements(np.vstack)
def vstack(tup: Sequence[ArrayLike], *, dtype: DTypeLike = None, casting: str = "same_kind") -> np.ndarray:
    """``numpy.vstack`` (also ``row_stack``): concatenate along the first axis (1-d inputs become rows).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.vstack([x, x * x]).sum())(znp.array([1.0, 2.0]))
        array([3., 5.])
    """
    xs = [atleast_2d(a) for a in _as_list(tup)]
    return concatenate(xs, axis=0, dtype=dtype, casting=casting)


row_stack = vstack


@implements(np.hstack)
def hstack(tup: Sequence[ArrayLike], *, dtype: DTypeLike = None, casting: str = "same_kind") -> np.ndarray:
    """``numpy.hstack``: concatenate along the second axis (the first for 1-d inputs).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.hstack([x, 2.0 * x]).sum())(znp.array([1.0, 2.0]))
        array([3., 3.])
    """
    xs = [atleast_1d(a) for a in _as_list(tup)]
    axis = 0 if xs and len(shape_of(xs[0])) == 1 else 1
    return concatenate(xs, axis=axis, dtype=dtype, casting=casting)


@implements(np.dstack)
def dstack(tup: Sequence[ArrayLike]) -> np.ndarray:
    """``numpy.dstack``: stack along the third axis.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.dstack([znp.array([1.0, 2.0]), znp.array([3.0, 4.0])]).shape
        (1, 2, 2)
    """
    return concatenate([atleast_3d(a) for a in _as_list(tup)], axis=2)


@implements(np.column_stack)
def column_stack(tup: Sequence[ArrayLike]) -> np.ndarray:
    """``numpy.column_stack``: 1-d inputs become the columns of a 2-d array.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.column_stack([znp.array([1.0, 2.0]), znp.array([3.0, 4.0])])
        array([[1., 3.],
               [2., 4.]])
    """
    cols = []
    for a in _as_list(tup):
        if len(shape_of(a)) < 2:
            a = reshape(a, (-1, 1))
        cols.append(a)
    return concatenate(cols, axis=1)


@implements(np.append)
def append(arr: ArrayLike, values: ArrayLike, axis: int | None = None) -> np.ndarray:
    """``numpy.append``: ``values`` appended to ``arr`` (flattened when ``axis`` is None).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.append(x, x * 2.0).sum())(znp.array([1.0, 2.0]))
        array([3., 3.])
    """
    arr, values = _asarray(arr), _asarray(values)
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


# --- split ------------------------------------------------------------------------
@implements(np.array_split)
def array_split(ary: ArrayLike, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[np.ndarray]:
    """``numpy.array_split``: split into parts of near-equal size (views, as in NumPy).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.array_split(znp.arange(5.0), 2)
        [array([0., 1., 2.]), array([3., 4.])]
    """
    axis = normalize_axis_index(axis, len(shape_of(ary)))
    n = shape_of(ary)[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.")
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        bounds = [0] + list(np.cumsum(sizes))
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    pre = (slice(None),) * axis
    return [ary[pre + (slice(bounds[i], bounds[i + 1]),)] for i in range(len(bounds) - 1)]


@implements(np.split)
def split(ary: ArrayLike, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[np.ndarray]:
    """``numpy.split``: split into equal parts or at indices (views, as in NumPy).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.split(znp.arange(4.0), [1])
        [array([0.]), array([1., 2., 3.])]
    """
    if isinstance(indices_or_sections, (int, np.integer)) and shape_of(ary)[axis] % int(indices_or_sections):
        raise ValueError("array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


@implements(np.hsplit)
def hsplit(ary: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[np.ndarray]:
    """``numpy.hsplit``: split along the second axis (the first for 1-d input).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.hsplit(znp.arange(4.0), 2)
        [array([0., 1.]), array([2., 3.])]
    """
    return split(ary, indices_or_sections, axis=0 if len(shape_of(ary)) == 1 else 1)


@implements(np.vsplit)
def vsplit(ary: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[np.ndarray]:
    """``numpy.vsplit``: split along the first axis.

    Example:
        >>> import zymo.numpy as znp
        >>> [p.shape for p in znp.vsplit(znp.ones((4, 2)), 2)]
        [(2, 2), (2, 2)]
    """
    return split(ary, indices_or_sections, axis=0)


@implements(np.dsplit)
def dsplit(ary: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[np.ndarray]:
    """``numpy.dsplit``: split along the third axis.

    Example:
        >>> import zymo.numpy as znp
        >>> [p.shape for p in znp.dsplit(znp.ones((1, 1, 4)), 2)]
        [(1, 1, 2), (1, 1, 2)]
    """
    return split(ary, indices_or_sections, axis=2)


# --- tile / repeat / roll ----------------------------------------------------------
def _tile_impl(x, reps):
    return np.tile(x, reps)


def _tile_vjp(g, ans, x, reps):
    xs = shape_of(x)
    reps = tuple(reps) if isinstance(reps, (tuple, list)) else (reps,)
    nd = builtins.max(len(xs), len(reps))
    xs_full = (1,) * (nd - len(xs)) + tuple(xs)
    reps_full = (1,) * (nd - len(reps)) + tuple(reps)
    inter = []
    for r, n in zip(reps_full, xs_full):
        inter += [r, n]
    gsum = np.sum(np.reshape(g, inter), axis=tuple(range(0, 2 * nd, 2)))
    return np.reshape(gsum, xs)


tile_p = linear(Primitive(_tile_impl, "tile"), _tile_vjp)


@implements(np.tile)
def tile(A: ArrayLike, reps: int | Sequence[int]) -> np.ndarray:
    """``numpy.tile``: the input repeated ``reps`` times.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.tile(x, 3).sum())(znp.array([1.0, 2.0]))
        array([3., 3.])
    """
    return tile_p(A, reps=reps)


@implements(np.repeat)
def repeat(a: ArrayLike, repeats: int | ArrayLike, axis: int | None = None) -> np.ndarray:
    """``numpy.repeat`` (as indexing, so its gradient sums the copies).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.repeat(x, 3).sum())(znp.array([1.0, 2.0]))
        array([3., 3.])
    """
    a = _asarray(a)
    if axis is None:
        a = ravel(a)
        axis = 0
    n = shape_of(a)[axis]
    idx = np.repeat(np.arange(n), repeats)
    return take(a, idx, axis=axis)


def take(a, indices, axis=None):

    return znp.take(a, indices, axis=axis)


@implements(np.roll)
def roll(a: ArrayLike, shift: int | Sequence[int], axis: int | tuple[int, ...] | None = None) -> np.ndarray:
    """``numpy.roll``: entries shifted cyclically along ``axis`` (as indexing).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.roll(znp.array([1.0, 2.0, 3.0]), 1)
        array([3., 1., 2.])
    """
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), shape_of(a))
    rolled = a
    if isinstance(axis, (tuple, list)):
        shifts = shift if isinstance(shift, (tuple, list)) else [shift] * len(axis)
        for s, ax in zip(shifts, axis):
            rolled = roll(rolled, s, ax)
    else:
        n = shape_of(a)[axis]
        idx = (np.arange(n) - shift) % n if n else np.arange(0)
        rolled = take(a, idx, axis=axis)
    return laid_out_as_copy_of(rolled, a)  # NumPy's roll fills ``empty_like(a)``


# --- pad --------------------------------------------------------------------------------
def _pad_impl(x, pad_width, constant_values=0):
    return np.pad(x, pad_width, mode="constant", constant_values=constant_values)


def _pad_vjp(g, ans, x, pad_width, constant_values=0):
    idx = tuple(slice(lo, lo + n) for (lo, hi), n in zip(pad_width, shape_of(x)))
    return g[idx]


pad_p = linear(Primitive(_pad_impl, "pad"), _pad_vjp)
# The padding constant does not move with the input: its tangent is zero.
defjvp_all(pad_p, lambda ts, ans, x, pad_width, constant_values=0: pad_p(ts[0], pad_width=pad_width))


@implements(np.pad)
def pad(array: ArrayLike, pad_width: ArrayLike, mode: str = "constant", **kwargs: Any) -> np.ndarray:
    """``numpy.pad``: ``constant`` mode, and ``edge``, ``wrap``, ``reflect``, ``symmetric`` as indexing.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: (znp.pad(x, 1, mode='edge') ** 2).sum())(znp.array([1.0, 2.0]))
        array([4., 8.])
    """
    array = _asarray(array)
    nd = len(shape_of(array))
    pw = np.broadcast_to(np.asarray(pad_width, dtype=int), (nd, 2))
    pw = tuple((int(lo), int(hi)) for lo, hi in pw)
    if mode == "constant":
        cv = kwargs.get("constant_values", 0)
        if isinstance(cv, (int, float)):
            return pad_p(array, pad_width=pw, constant_values=cv)
        # Per-side or traced values: pad with zeros, then add the values on the border.
        inner = pad_p(array, pad_width=pw, constant_values=0)
        if not has_tracer(cv):
            border = np.pad(np.zeros(shape_of(array), dtype=dtype_of(inner)), pw, constant_values=cv)
            return inner + border
        if len(shape_of(cv)) != 0:
            raise unsupported(
                "numpy.pad with traced constant_values per side", "pad with zeros and add the border yourself"
            )
        mask = np.pad(np.zeros(shape_of(array), dtype=dtype_of(inner)), pw, constant_values=1)
        return inner + cv * mask
    if mode in ("edge", "wrap", "reflect", "symmetric"):
        out = array
        for ax, (lo, hi) in enumerate(pw):
            n = shape_of(out)[ax]
            idx = np.pad(np.arange(n), (lo, hi), mode=mode)
            out = take(out, idx, axis=ax)
        return out
    raise unsupported(f"numpy.pad(mode={mode!r})")


# --- tril / triu / rot90 ------------------------------------------------------------------
def _triangle(m, k, lower):

    m = znp.asarray(m)
    shape = shape_of(m)
    mask = np.tri(*shape[-2:], k=k if lower else k - 1, dtype=bool)
    if not lower:
        mask = ~mask
    return np.where(mask, m, np.zeros(1, dtype_of(m)))  # as NumPy computes it


@implements(np.tril)
def tril(m: ArrayLike, k: int = 0) -> np.ndarray:
    """``numpy.tril``: the lower triangle up to the ``k``-th diagonal, zeros above.

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> zymo.grad(lambda m: znp.sum(znp.tril(m)))(np.ones((2, 2))).tolist()
        [[1.0, 0.0], [1.0, 1.0]]
    """
    return _triangle(m, k, True)


@implements(np.triu)
def triu(m: ArrayLike, k: int = 0) -> np.ndarray:
    """``numpy.triu``: the upper triangle from the ``k``-th diagonal up, zeros below.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.triu(a).sum())(znp.ones((2, 2)))
        array([[1., 1.],
               [0., 1.]])
    """
    return _triangle(m, k, False)


@implements(np.rot90)
def rot90(m: ArrayLike, k: int = 1, axes: tuple[int, ...] = (0, 1)) -> np.ndarray:
    """``numpy.rot90``: rotated by 90 degrees ``k`` times in the plane of ``axes``.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.rot90(znp.array([[1.0, 2.0], [3.0, 4.0]]))
        array([[2., 4.],
               [1., 3.]])
    """
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    m = _asarray(m)
    nd = len(shape_of(m))
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == nd:
        raise ValueError("Axes must be different.")
    if axes[0] >= nd or axes[0] < -nd or axes[1] >= nd or axes[1] < -nd:
        raise ValueError(f"Axes={axes} out of range for array of ndim={nd}.")
    k %= 4
    if k == 0:
        return m[:]
    if k == 2:
        return flip(flip(m, axes[0]), axes[1])
    order = list(range(nd))
    order[axes[0]], order[axes[1]] = order[axes[1]], order[axes[0]]
    if k == 1:
        return transpose(flip(m, axes[1]), order)
    return flip(transpose(m, order), axes[1])


# --- splitting into views, broadcasting together, grids ------------------------------------------------
@implements(np.unstack)
def unstack(x: ArrayLike, /, *, axis: int = 0) -> tuple[np.ndarray, ...]:
    """``numpy.unstack``: the slices along ``axis``, as a tuple.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.unstack(znp.array([[1.0, 2.0], [3.0, 4.0]]))
        (array([1., 2.]), array([3., 4.]))
    """
    return tuple(moveaxis(x, axis, 0))


@implements(np.broadcast_arrays)
def broadcast_arrays(*args: ArrayLike, subok: bool = False) -> tuple[np.ndarray, ...]:
    """``numpy.broadcast_arrays`` (read-only views, as in NumPy).

    Example:
        >>> import zymo.numpy as znp
        >>> a, b = znp.broadcast_arrays(znp.array([1.0, 2.0]), znp.array([[0.0], [1.0]]))
        >>> b
        array([[0., 0.],
               [1., 1.]])
    """
    args = [_asarray(a) for a in args]
    shape = np.broadcast_shapes(*(shape_of(a) for a in args))
    return tuple(a if shape_of(a) == shape else broadcast_to(a, shape) for a in args)


@implements(np.meshgrid)
def meshgrid(*xi: ArrayLike, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> tuple[np.ndarray, ...]:
    """``numpy.meshgrid`` of traced coordinate vectors.

    Example:
        >>> import zymo.numpy as znp
        >>> xx, yy = znp.meshgrid(znp.array([1.0, 2.0]), znp.array([3.0, 4.0, 5.0]))
        >>> xx.shape
        (3, 2)
    """

    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    ndim = len(xi)
    s0 = (1,) * ndim
    out = [reshape(_asarray(x), s0[:i] + (-1,) + s0[i + 1 :]) for i, x in enumerate(xi)]
    if indexing == "xy" and ndim > 1:
        out[0] = reshape(out[0], (1, -1) + s0[2:])
        out[1] = reshape(out[1], (-1, 1) + s0[2:])
    if not sparse:
        out = list(broadcast_arrays(*out))
    if copy:
        out = [znp.copy(x) for x in out]
    return tuple(out)


@implements(np.diagflat)
def diagflat(v: ArrayLike, k: int = 0) -> np.ndarray:
    """``numpy.diagflat``: a matrix with the flattened input on its ``k``-th diagonal.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.diagflat(znp.array([1.0, 2.0]))
        array([[1., 0.],
               [0., 2.]])
    """

    return znp.diag(ravel(_asarray(v)), k)


# --- selecting and resizing (as gathers) --------------------------------------------------------------
@implements(np.delete)
def delete(arr: ArrayLike, obj: int | slice | ArrayLike, axis: int | None = None) -> np.ndarray:
    """``numpy.delete``: the kept entries, gathered.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.delete(znp.array([1.0, 2.0, 3.0]), 1)
        array([1., 3.])
    """
    arr = _asarray(arr)
    if axis is None:
        arr, axis = ravel(arr), 0
    n = shape_of(arr)[axis]
    return take(arr, np.delete(np.arange(n), obj), axis=axis)


@implements(np.compress)
def compress(condition: ArrayLike, a: ArrayLike, axis: int | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """``numpy.compress``: the slices along ``axis`` where ``condition`` is true.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.compress([True, False, True], znp.array([1.0, 2.0, 3.0]))
        array([1., 3.])
    """
    a = _asarray(a)
    if axis is None:
        a, axis = ravel(a), 0
    r = take(a, np.nonzero(np.asarray(condition))[0], axis=axis)
    if out is not None:
        return write_out(out, r)
    return r


@implements(np.extract)
def extract(condition: ArrayLike, arr: ArrayLike) -> np.ndarray:
    """``numpy.extract``: the entries where ``condition`` is true, flattened.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.extract([True, False, True], znp.array([1.0, 2.0, 3.0]))
        array([1., 3.])
    """
    return take(ravel(_asarray(arr)), np.nonzero(np.ravel(np.asarray(condition)))[0])


@implements(np.resize)
def resize(a: ArrayLike, new_shape: int | Sequence[int]) -> np.ndarray:
    """``numpy.resize``: the flattened entries repeated to fill ``new_shape``.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.resize(znp.array([1.0, 2.0, 3.0]), (2, 2))
        array([[1., 2.],
               [3., 1.]])
    """

    if isinstance(new_shape, (int, np.integer)):
        new_shape = (int(new_shape),)
    a = ravel(_asarray(a))
    new_size = int(np.prod(new_shape))
    if not new_size:
        return znp.zeros(new_shape, dtype=dtype_of(a))
    size = shape_of(a)[0]
    if size == 0:
        raise ValueError("cannot resize an empty array")
    repeats = -(-new_size // size)
    return reshape(concatenate((a,) * repeats)[:new_size], tuple(new_shape))


# --- block ------------------------------------------------------------------------------------------------
def _list_depth(x) -> int:
    return 1 + _list_depth(x[0]) if type(x) is list and x else (1 if type(x) is list else 0)


@implements(np.block)
def block(arrays: Sequence[ArrayLike]) -> np.ndarray:
    """``numpy.block``: nested lists of traced values joined innermost-last-axis first.

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.sum(znp.block([[a, a], [a, 2 * a]])))(np.ones((1, 1))).tolist()
        [[5.0]]
    """
    if type(arrays) is tuple:
        raise TypeError(
            "arrays is a tuple. Only lists can be used to arrange blocks, "
            "and np.block does not allow implicit conversion from tuple to ndarray."
        )
    depth = _list_depth(arrays)

    def leaves(x):
        return [e for sub in x for e in leaves(sub)] if type(x) is list else [x]

    ndim = builtins.max([depth] + [len(shape_of(a)) for a in leaves(arrays)])

    def join(x, level):
        if type(x) is not list:
            a = _asarray(x)
            s = shape_of(a)
            return reshape(a, (1,) * (ndim - len(s)) + s) if len(s) < ndim else a
        if not x:
            raise ValueError("List at arrays cannot be empty")
        return concatenate([join(e, level + 1) for e in x], axis=-(depth - level))

    return join(arrays, 0)


@implements(np.insert)
def insert(arr: ArrayLike, obj: int | slice | ArrayLike, values: ArrayLike, axis: int | None = None) -> np.ndarray:
    """``numpy.insert``, as a gather from the entries of ``arr`` and ``values``.

    NumPy's own ``insert`` runs on integer tags, so every placement and broadcasting rule is NumPy's.

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> zymo.grad(lambda v: znp.sum(znp.insert(np.zeros(3), 1, v) ** 2))(2.0)
        4.0
    """

    arr, values = _asarray(arr), _asarray(values)
    dtype = dtype_of(arr)
    if dtype_of(values) != dtype:
        values = astype(values, dtype)
    n_arr = int(np.prod(shape_of(arr)))
    tags_arr = np.arange(n_arr).reshape(shape_of(arr))
    tags_val = n_arr + np.arange(int(np.prod(shape_of(values)))).reshape(shape_of(values))
    tags = np.insert(tags_arr, obj, tags_val, axis=axis)
    return take(concatenate([ravel(arr), ravel(values)]), tags)
