"""The methods of ufuncs on traced values: ``at``, ``reduce``, ``accumulate``, ``reduceat``, ``outer``.

They are reached as ``np.add.at(a, idx, b)`` (NumPy calls the traced value's ``__array_ufunc__``)
and as ``zymo.numpy.add.at(...)``. Values are NumPy's own, bit for bit: each method is a primitive
computed by the ufunc's method on plain values, and its rules come from the ufunc's partial
derivatives (the same ones its elementwise rules use):

- ``reduce`` is the fold ``r_k = f(r_{k-1}, x_k)``: ``d r / d x_k = d1_k * prod_{i > k} d0_i``,
  with ``d0``, ``d1`` the partials at each step (from ``accumulate``'s prefixes); ``add``,
  ``multiply``, ``maximum`` and ``minimum`` use ``sum``, ``prod``, ``max`` and ``min``;
- ``accumulate`` propagates the same recurrence step by step (``add``/``multiply``: ``cumsum``/``cumprod``);
- ``reduceat`` applies ``reduce``'s rule to each segment;
- ``outer`` is the ufunc on broadcast operands;
- ``at`` writes into its first argument through zymo's mutation machinery, as ``a[idx] += b``
  does; repeated indices accumulate as in NumPy (``add``/``subtract`` in one recorded write,
  other ufuncs one write per repetition).

``power`` and ``arctan2`` have ``reduce``/``accumulate``/``reduceat`` rules only on CPUs where NumPy computes those
as the fold (``numpy_folds``): NumPy 2.4's AVX-512 loops for them do not, so no derivative can match their values.

Ties (``maximum``, ``fmax``, ...) follow the ufunc's elementwise rule at each step: the gradient
is split evenly between equal operands.

Ufuncs without a derivative (comparisons, logical and bitwise ufuncs) run their methods on the
plain values.

Example:
    >>> import numpy as np, zymo
    >>> def f(w):
    ...     grad_w = np.zeros_like(w)
    ...     np.add.at(grad_w, [0, 0, 2], w[:3] * 2.0)
    ...     return (grad_w**2).sum()
    ...
    >>> zymo.grad(f)(np.array([1.0, 2.0, 3.0]))
    array([24., 24., 24.])
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from .. import numpy as znp
from ..core.dispatch import SPECIAL, ufunc_name, ufunc_rule
from ..core.errors import unsupported
from ..core.forward import defjvp
from ..core.mutation import clean_index, inplace_setitem
from ..core.primitive import Primitive
from ..core.recording import guard_call, observe
from ..core.recording import state as _recording
from ..core.reverse import defvjp
from ..core.tracer import Tracer, bottom
from ..core.tracer_methods import conversion_error
from .helpers import cotangent_for, dtype_of, has_tracer, linear, shape_of
from .indexing import getitem, scatter_add_p

__all__ = ["ufunc_method", "partials_of"]

_HANDWRITTEN = {
    np.add: (lambda ans, x, y: 1.0, lambda ans, x, y: 1.0),
    np.subtract: (lambda ans, x, y: 1.0, lambda ans, x, y: -1.0),
    np.multiply: (lambda ans, x, y: y, lambda ans, x, y: x),
}


def partials_of(ufunc) -> tuple[Callable, Callable] | None:
    """The partial derivatives ``(d0, d1)`` of a binary ufunc with rules, each ``d(ans, x, y)``; None without."""
    if ufunc in _HANDWRITTEN:
        return _HANDWRITTEN[ufunc]
    entry = ufunc_rule(ufunc)
    partials = getattr(getattr(entry, "_prim", None), "partials", None)
    if partials is None or len(partials) != 2 or None in partials:
        return None
    return partials


def _differentiable(ufunc) -> bool:
    entry = ufunc_rule(ufunc)
    prim = getattr(entry, "_prim", None)
    return entry is not None and not (prim is not None and prim.nondiff)


def _full(d, like):
    """A partial derivative broadcast to ``like``'s shape (partials may be scalars)."""
    shape = shape_of(like)
    return d if shape_of(d) == shape else znp.broadcast_to(d, shape)


def _step_partials(ufunc, prefix, x):
    """``d0``, ``d1`` of each step ``r_k = f(r_{k-1}, x_k)`` (k >= 1) along axis 0, given the prefixes ``r``."""
    d0, d1 = partials_of(ufunc)
    ans, prev, cur = prefix[1:], prefix[:-1], x[1:]
    return _full(d0(ans, prev, cur), cur), _full(d1(ans, prev, cur), cur)


def _fold_coefficients(ufunc, x):
    """``d r_{n-1} / d x_k`` for the fold of ``x`` along axis 0: ``d1_k * prod_{i > k} d0_i`` (``d1_0 = 1``)."""
    n = shape_of(x)[0]
    ones = znp.ones_like(x[:1])
    if n == 1:
        return ones
    D0, D1 = _step_partials(ufunc, accumulate_p(x, ufunc=ufunc, axis=0), x)
    after = znp.flip(znp.cumprod(znp.flip(D0, 0), axis=0), 0)  # after[j] = prod of D0[j:]
    return znp.concatenate([after, ones], axis=0) * znp.concatenate([ones, D1], axis=0)


# --- reduce ----------------------------------------------------------------------------------------
def _to_front(x, axes):
    """``x`` with ``axes`` moved to the front and merged into one, and the map back."""
    shape = shape_of(x)
    k = len(axes)
    moved = znp.moveaxis(x, axes, list(range(k)))
    mshape = shape_of(moved)
    n = int(np.prod(mshape[:k], dtype=np.int64))
    merged = znp.reshape(moved, (n,) + mshape[k:])

    def back(y):
        return znp.moveaxis(znp.reshape(y, mshape), list(range(k)), axes)

    assert shape_of(back(merged)) == shape
    return merged, back


def _reduce_impl(x, ufunc, axes):
    return ufunc.reduce(x, axis=axes)


def _reduce_vjp(g, ans, x, ufunc, axes):
    xm, back = _to_front(x, axes)
    return cotangent_for(back(znp.expand_dims(g, 0) * _fold_coefficients(ufunc, xm)), x)


def _reduce_jvp(t, ans, x, ufunc, axes):
    xm, _ = _to_front(x, axes)
    tm, _ = _to_front(t, axes)
    return znp.sum(tm * _fold_coefficients(ufunc, xm), axis=0)


reduce_p = Primitive(_reduce_impl, "ufunc.reduce")
defvjp(reduce_p, _reduce_vjp, saves=(0,))
defjvp(reduce_p, _reduce_jvp)

_REDUCTIONS = {np.add: "sum", np.multiply: "prod", np.maximum: "max", np.minimum: "min"}


def _reduce(ufunc, array, axis=0, dtype=None, keepdims=False, initial=np._NoValue, where=True):
    x = _as_array(array)
    if where is not True:
        raise unsupported(f"{ufunc_name(ufunc)}.reduce(where=...) on traced values", "use zymo.numpy.where first")
    if ufunc in _REDUCTIONS:
        kw = {} if initial is np._NoValue else {"initial": initial}
        if ufunc in (np.add, np.multiply):
            kw["dtype"] = dtype
        elif dtype is not None:
            x = znp.astype(x, dtype)
        return getattr(znp, _REDUCTIONS[ufunc])(x, axis=axis, keepdims=keepdims, **kw)
    if dtype is not None:
        x = znp.astype(x, dtype)
    shape = shape_of(x)
    axes = tuple(range(len(shape))) if axis is None else normalize_axis_tuple(axis, len(shape))
    if initial is not np._NoValue:  # the fold starts from ``initial``: one more leading entry
        x, axes = _to_front(x, axes)[0], (0,)
        start = znp.full_like(x[:1], initial)
        x = znp.concatenate([start, x], axis=0)
    if any(shape_of(x)[a] == 0 for a in axes):  # NumPy's identity, or its error
        r = znp.asarray(ufunc.reduce(np.zeros(shape_of(x), dtype_of(x)), axis=axes))
    else:
        r = reduce_p(x, ufunc=ufunc, axes=axes)
    return znp.expand_dims(r, axes) if keepdims else r


# --- accumulate ------------------------------------------------------------------------------------
def _accumulate_impl(x, ufunc, axis):
    return ufunc.accumulate(x, axis=axis)


def _accumulate_vjp(g, ans, x, ufunc, axis):
    gm, am, xm = (znp.moveaxis(v, axis, 0) for v in (g, ans, x))
    n = shape_of(xm)[0]
    if n < 2:
        return g
    D0, D1 = _step_partials(ufunc, am, xm)
    a = gm[n - 1]
    out = [None] * n
    for k in range(n - 1, 0, -1):
        out[k] = D1[k - 1] * a
        a = gm[k - 1] + D0[k - 1] * a
    out[0] = a
    return cotangent_for(znp.moveaxis(znp.stack(out), 0, axis), x)


def _accumulate_jvp(t, ans, x, ufunc, axis):
    tm, am, xm = (znp.moveaxis(v, axis, 0) for v in (t, ans, x))
    n = shape_of(xm)[0]
    if n < 2:
        return t
    D0, D1 = _step_partials(ufunc, am, xm)
    r = tm[0]
    out = [r]
    for k in range(1, n):
        r = D0[k - 1] * r + D1[k - 1] * tm[k]
        out.append(r)
    return znp.moveaxis(znp.stack(out), 0, axis)


accumulate_p = Primitive(_accumulate_impl, "ufunc.accumulate")
defvjp(accumulate_p, _accumulate_vjp, saves=(0, "ans"))
defjvp(accumulate_p, _accumulate_jvp)

_SCANS = {np.add: "cumsum", np.multiply: "cumprod"}


def _accumulate(ufunc, array, axis=0, dtype=None):
    x = _as_array(array)
    if ufunc in _SCANS:
        return getattr(znp, _SCANS[ufunc])(x, axis=axis, dtype=dtype)
    if dtype is not None:
        x = znp.astype(x, dtype)
    axis = normalize_axis_index(axis, len(shape_of(x)))
    return accumulate_p(x, ufunc=ufunc, axis=axis)


# --- reduceat --------------------------------------------------------------------------------------
def _segments(indices: tuple, n: int) -> list[range]:
    """The entries each output of ``reduceat`` combines: ``indices[i]:indices[i+1]``, or ``indices[i]`` alone."""
    out = []
    for i, s in enumerate(indices):
        e = indices[i + 1] if i + 1 < len(indices) else n
        out.append(range(s, e) if s < e else range(s, s + 1))
    return out


def _reduceat_impl(x, ufunc, indices, axis):
    return ufunc.reduceat(x, np.asarray(indices, dtype=np.intp), axis=axis)


def _segment(x, rng, axis):
    return getitem(x, (slice(None),) * axis + (slice(rng.start, rng.stop),))


def _segment_coefficients(ufunc, x, rng, axis):
    """``reduce``'s coefficients for one segment, with the reduced axis first."""
    seg = znp.moveaxis(_segment(x, rng, axis), axis, 0)
    if ufunc is np.add:
        return znp.ones_like(seg)
    return _fold_coefficients(ufunc, seg)


def _reduceat_vjp(g, ans, x, ufunc, indices, axis):
    segs = _segments(indices, shape_of(x)[axis])
    parts = []
    for i, rng in enumerate(segs):
        gi = znp.expand_dims(getitem(g, (slice(None),) * axis + (i,)), 0)
        parts.append(znp.moveaxis(gi * _segment_coefficients(ufunc, x, rng, axis), 0, axis))
    positions = np.concatenate([np.arange(r.start, r.stop) for r in segs])
    idx = (slice(None),) * axis + (positions,)
    return cotangent_for(scatter_add_p(znp.concatenate(parts, axis=axis), idx=idx, shape=shape_of(x)), x)


def _reduceat_jvp(t, ans, x, ufunc, indices, axis):
    if ufunc is np.add:
        return reduceat_p(t, ufunc=ufunc, indices=indices, axis=axis)
    outs = []
    for rng in _segments(indices, shape_of(x)[axis]):
        ts = znp.moveaxis(_segment(t, rng, axis), axis, 0)
        outs.append(znp.sum(ts * _segment_coefficients(ufunc, x, rng, axis), axis=0))
    return znp.stack(outs, axis=axis)


reduceat_p = Primitive(_reduceat_impl, "ufunc.reduceat")
defvjp(reduceat_p, _reduceat_vjp, saves=(0,))
defjvp(reduceat_p, _reduceat_jvp)


def _reduceat(ufunc, array, indices, axis=0, dtype=None):
    x = _as_array(array)
    if dtype is not None:
        x = znp.astype(x, dtype)
    shape = shape_of(x)
    axis = normalize_axis_index(axis, len(shape))
    idx = np.asarray(observe(indices))
    if idx.ndim != 1 or idx.dtype.kind not in "iu":
        ufunc.reduceat(np.zeros(shape, dtype_of(x)), idx, axis=axis)  # NumPy's error
        raise TypeError("reduceat indices must be a 1-D array of integers")
    n = shape[axis]
    if len(idx) and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"index {int(idx.max() if idx.max() >= n else idx.min())} out-of-bounds in reduceat [0, {n})")
    return reduceat_p(x, ufunc=ufunc, indices=tuple(int(i) for i in idx), axis=axis)


# --- outer -------------------------------------------------------------------------------------------
def _outer(ufunc, a, b, **kwargs):
    a, b = _as_array(a), _as_array(b)
    a = znp.reshape(a, shape_of(a) + (1,) * len(shape_of(b)))
    return ufunc_rule(ufunc)(a, b, **kwargs)


# --- at --------------------------------------------------------------------------------------------
def _add_at_impl(a, b, idx):
    out = np.array(a, copy=True)
    np.add.at(out, idx, b)
    return out


def _subtract_at_impl(a, b, idx):
    out = np.array(a, copy=True)
    np.subtract.at(out, idx, b)
    return out


add_at_p = linear(
    Primitive(_add_at_impl, "add.at"),
    lambda g, ans, a, b, idx: g,
    lambda g, ans, a, b, idx: cotangent_for(getitem(g, idx), b),
)
subtract_at_p = linear(
    Primitive(_subtract_at_impl, "subtract.at"),
    lambda g, ans, a, b, idx: g,
    lambda g, ans, a, b, idx: cotangent_for(-getitem(g, idx), b),
)
_SCATTERS = {np.add: add_at_p, np.subtract: subtract_at_p}


def _rounds(shape: tuple, idx) -> tuple[np.ndarray, list[np.ndarray]]:
    """The flat positions ``idx`` selects, and for each repetition round the selections that write there.

    Round ``r`` holds every position's ``r``-th occurrence, in NumPy's order, so applying the rounds in
    turn performs the writes of ``ufunc.at`` in NumPy's order with no position written twice in a round.
    """
    pos = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.intp).reshape(shape)[idx]
    flat = pos.ravel()
    order = np.argsort(flat, kind="stable")
    ranked = flat[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    run = np.arange(len(flat)) - np.repeat(starts, np.diff(np.r_[starts, len(flat)]))
    occurrence = np.empty_like(run)
    occurrence[order] = run
    rounds = [np.flatnonzero(occurrence == r) for r in range(int(run.max()) + 1 if len(run) else 0)]
    return pos, rounds


def _at(ufunc, a, indices, b=None):
    idx = clean_index(indices)
    if type(a) is not Tracer:
        if type(b) is Tracer and b._trace.level > 0:
            raise conversion_error(
                f"`{ufunc_name(ufunc)}.at` writing a traced value into a plain NumPy array",
                "Fix: make the buffer with zymo.numpy (`import zymo.numpy as znp; buf = znp.zeros(...)`) or from "
                "a traced value (`np.zeros_like(x)`), so the write is recorded.",
            )
        args = () if b is None else (bottom(b),)
        return ufunc.at(a, idx, *args)
    b = None if b is None else _as_array(b)
    if not _differentiable(ufunc):
        plain = np.array(bottom(a), copy=True)
        ufunc.at(plain, idx, *(() if b is None else (observe(b),)))
        inplace_setitem(a, Ellipsis, plain)
        return None
    if b is not None and ufunc in _SCATTERS:
        inplace_setitem(a, Ellipsis, _SCATTERS[ufunc](a, b, idx=idx))
        return None
    shape = shape_of(a)
    pos, rounds = _rounds(shape, idx)
    f = ufunc_rule(ufunc)
    flat_b = None if b is None else znp.reshape(znp.broadcast_to(b, pos.shape), (-1,))
    for sel in rounds:
        where = np.unravel_index(pos.ravel()[sel], shape)
        current = a[where]
        a[where] = f(current) if b is None else f(current, flat_b[sel])
    return None


# --- dispatch --------------------------------------------------------------------------------------
def _as_array(x):
    """A list or tuple holding traced values as one traced array; anything else unchanged."""
    if type(x) in (list, tuple) and has_tracer(x):
        return znp.asarray(x)
    return x


# Ufuncs whose ``reduce``/``accumulate``/``reduceat`` NumPy may not compute as the left fold: NumPy 2.4's AVX-512
# loops for ``power`` and ``arctan2`` read the first operand once per block of the reduction, so on a CPU that
# runs them ``np.power.reduce([1.5, 2.0, 1.2, 0.7])`` is ``1.5 ** 0.7`` (on other CPUs NumPy runs scalar loops
# and computes the fold). zymo's rules are the fold's derivative, so they are used only where NumPy folds.
_MAY_NOT_FOLD = (np.power, np.arctan2)
_folds: dict = {}


def numpy_folds(ufunc, dtype) -> bool:
    """Whether NumPy computes ``ufunc``'s ``reduce``, ``accumulate`` and ``reduceat`` of ``dtype`` on this CPU as
    the left fold ``f(f(x0, x1), x2) ...``, step for step as ``ufunc`` itself (probed once per ufunc and dtype)."""
    key = (ufunc, np.dtype(dtype).char)
    found = _folds.get(key)
    if found is None:
        found = _folds[key] = ufunc not in _MAY_NOT_FOLD or _probe_fold(ufunc, np.dtype(dtype))
    return found


def _probe_fold(ufunc, dtype) -> bool:
    rng = np.random.default_rng(0)
    with np.errstate(all="ignore"):
        for shape in ((2,), (3,), (5,), (9,), (17,), (33,), (6, 5), (5, 6)):
            x = rng.uniform(0.8, 1.25, shape).astype(dtype)
            for axis in range(len(shape)):
                xm = np.moveaxis(x, axis, 0)
                steps = [xm[:1]]
                for k in range(1, xm.shape[0]):
                    steps.append(ufunc(steps[-1], xm[k : k + 1]))
                folded = np.moveaxis(np.concatenate(steps), 0, axis)
                last = np.take(folded, [-1], axis=axis)
                half, n = shape[axis] // 2, shape[axis]
                at = np.concatenate(  # each segment's reduction, already checked to be its fold
                    [
                        ufunc.reduce(np.take(x, range(a, b), axis=axis), axis=axis, keepdims=True)
                        for a, b in ((0, half), (half, n))
                    ],
                    axis=axis,
                )
                if not (
                    np.array_equal(ufunc.accumulate(x, axis=axis), folded)
                    and np.array_equal(ufunc.reduce(x, axis=axis, keepdims=True), last)
                    and np.array_equal(ufunc.reduceat(x, [0, half], axis=axis), at)
                ):
                    return False
    return True


_METHODS = {"reduce": _reduce, "accumulate": _accumulate, "reduceat": _reduceat, "outer": _outer, "at": _at}


def ufunc_method(ufunc, method: str, *inputs, **kwargs):
    """``ufunc.<method>(*inputs, **kwargs)`` with traced inputs (``out=`` is handled by the caller)."""
    impl = _METHODS.get(method)
    if impl is None or ufunc_rule(ufunc) is None:
        raise unsupported(f"{ufunc_name(ufunc)}.{method}")
    if method != "at" and not _differentiable(ufunc):
        plain_in = [bottom(_as_array(x)) if has_tracer(x) else x for x in inputs]
        out = getattr(ufunc, method)(*plain_in, **kwargs)
        if _recording.recorder is not None:
            guard_call(getattr(ufunc, method), tuple(inputs), kwargs, out)
        return out
    if method in ("reduce", "accumulate", "reduceat") and ufunc.nin == 2 and partials_of(ufunc) is None:
        raise unsupported(f"{ufunc_name(ufunc)}.{method}")
    dtype = kwargs.get("dtype")
    if method in ("reduce", "accumulate", "reduceat") and not numpy_folds(
        ufunc, dtype_of(_as_array(inputs[0])) if dtype is None else dtype
    ):
        raise unsupported(
            f"{ufunc_name(ufunc)}.{method} on this CPU",
            "NumPy's AVX-512 loop for it, which this CPU runs, does not compute the left fold "
            "`f(f(x0, x1), x2)...` (here `np.power.reduce([1.5, 2.0, 1.2, 0.7])` is `1.5 ** 0.7`), so no derivative "
            "can match its values; write the fold as a Python loop of the ufunc",
        )
    if method in ("outer", "reduce", "accumulate", "reduceat") and ufunc.nin != 2:
        raise ValueError(f"{method} only supported for binary functions")
    return impl(ufunc, *inputs, **kwargs)


SPECIAL["ufunc_method"] = ufunc_method
