"""Indexing and mutation rules: getitem, the in-place write, scatter-add, take, copyto, copy."""

from __future__ import annotations

import operator

import numpy as np
from numpy.lib.array_utils import normalize_axis_index
from numpy.typing import ArrayLike, DTypeLike

from .. import numpy as znp
from ..core.dispatch import FUNCTIONS, SPECIAL, implements
from ..core.errors import unsupported
from ..core.flat import write_flat
from ..core.forward import defjvp_all
from ..core.memory import protect
from ..core.mutation import clean_index, inplace_setitem
from ..core.namespace import foreign_namespace, is_foreign, namespace_dtype, numpy_dtype
from ..core.primitive import Primitive
from ..core.recording import note_external, observe
from ..core.reverse import Scatter, defvjp
from ..core.trace import box_foreign
from ..core.tracer import Tracer, bottom, object_array_error
from ..core.tracer_methods import conversion_error
from .helpers import (
    const_buffer,
    cotangent_for,
    dtype_of,
    keep_real_cotangents,
    linear,
    shape_of,
    unbroadcast,
    write_out,
    zeros_for,
)


def _is_basic(idx) -> bool:
    if type(idx) is not tuple:
        idx = (idx,)
    for i in idx:
        if not (i is None or i is Ellipsis or type(i) is slice or isinstance(i, (int, np.integer))):
            return False
    return True


# --- scatter-add: the transpose of indexing ------------------------------------------
def _scatter_add_impl(g, idx, shape):
    z = np.zeros(shape, dtype=g.dtype if hasattr(g, "dtype") else np.result_type(g))
    if _is_basic(idx):
        z[idx] = g
    else:
        np.add.at(z, idx, g)
    return z


scatter_add_p = linear(
    Primitive(_scatter_add_impl, "scatter_add"),
    lambda g, ans, v, idx, shape: getitem_p(g, idx=idx),
)


# --- getitem ------------------------------------------------------------------------
def _getitem_impl(x, idx):
    return x[idx]


def _getitem_vjp(g, ans, x, idx):
    if type(g) is Tracer:
        return scatter_add_p(g, idx=idx, shape=shape_of(x))
    dt = g.dtype if type(g) is np.ndarray else dtype_of(g)
    if dt.kind != "c" and dtype_of(x).kind == "c":
        dt = np.result_type(dt, 1j)  # a complex input's cotangent is complex (JAX's convention)
    return Scatter(shape_of(x), dt, idx, g)


getitem_p = linear(Primitive(_getitem_impl, "getitem", aliases=True), _getitem_vjp)
getitem_p.unview = lambda base, new, idx: inplace_setitem(base, idx, new)


def getitem(x, idx):
    """``x[idx]``: basic, advanced and boolean indexing."""
    return getitem_p(x, idx=clean_index(idx))


FUNCTIONS[operator.getitem] = getitem


# --- the in-place write -----------------------------------------------------------------
def _setitem_impl(buf, v, idx):
    if isinstance(buf, np.generic):  # a 0-d traced value held as a NumPy scalar: no memory to write into
        out = np.array(buf)
        out[idx] = v
        return out[()]
    protect(buf)
    buf[idx] = v
    return buf


def _setitem_vjp_buf(g, ans, buf, v, idx):
    if type(g) is Tracer:
        return setitem_p(np.copy(g), 0.0, idx=idx)
    c = np.array(g, copy=True)  # a 0-d buffer's gradient may arrive as a NumPy scalar
    c[idx] = 0
    return c


def _setitem_vjp_buf_owned(g, ans, buf, v, idx):
    g[idx] = 0
    return g


def _overwritten(shape, idx):
    """Where an advanced index repeats a position, the mask of the selected entries NumPy's write keeps (the last).

    ``None`` when every selected entry is written (no repeats).
    """
    if _is_basic(idx):
        return None
    parts = idx if type(idx) is tuple else (idx,)
    if all(np.asarray(i).dtype == bool for i in parts if not (i is None or i is Ellipsis or type(i) is slice)):
        return None
    pos = np.full(shape, -1, dtype=np.intp)
    n = pos[idx].shape
    order = np.arange(int(np.prod(n)), dtype=np.intp).reshape(n)
    pos[idx] = order
    kept = pos[idx] == order
    return None if kept.all() else kept


def _setitem_vjp_value(g, ans, buf, v, idx):
    r = getitem_p(g, idx=idx)
    kept = _overwritten(shape_of(buf), idx)
    if kept is not None:  # values overwritten by a later duplicate index never reach the result
        r = r * kept.astype(dtype_of(r))
    r = unbroadcast(r, v)
    if type(r) is np.ndarray and r.base is not None:
        r = r.copy()  # the buffer's rule may zero ``g`` in place afterwards
    return r


setitem_p = Primitive(_setitem_impl, "setitem", inplace=True)
defvjp(setitem_p, _setitem_vjp_buf, _setitem_vjp_value, saves=(), owned=(_setitem_vjp_buf_owned, None))
keep_real_cotangents(setitem_p)
defjvp_all(
    setitem_p,
    lambda ts, ans, buf, v, idx: setitem_p(ts[0], zeros_for(v) if ts[1] is None else ts[1], idx=idx),
)
SPECIAL["setitem"] = setitem_p


# --- take / put / copyto / copy ----------------------------------------------------------
@implements(np.take)
def take(
    a: ArrayLike, indices: ArrayLike, axis: int | None = None, out: np.ndarray | None = None, mode: str = "raise"
) -> np.ndarray:
    """``numpy.take``: entries at ``indices`` along ``axis`` (of the flattened array when None).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.take(x, [0, 0, 2]).sum())(znp.array([1.0, 2.0, 3.0]))
        array([2., 0., 1.])
    """
    if mode != "raise":
        indices = np.asarray(indices)
        n = shape_of(a)[axis] if axis is not None else int(np.prod(shape_of(a)))
        indices = np.clip(indices, 0, n - 1) if mode == "clip" else indices % n
    if axis is None:
        a = znp.ravel(a)
        axis = 0
    idx = (slice(None),) * normalize_axis_index(axis, len(shape_of(a))) + (_index_array(indices),)
    r = getitem(a, idx)
    if len(idx) > 1 and type(bottom(r)) is np.ndarray and not bottom(r).flags.c_contiguous:
        r = copy_p(r, order="C")  # NumPy's take returns a C-ordered array; indexing a later axis does not
    return r if out is None else write_out(out, r)


def _index_array(indices):
    """Indices as an array: another library's stay in it (plain); anything else becomes a NumPy array."""
    b = bottom(indices)
    return b if is_foreign(b) else np.asarray(indices)


@implements(np.take_along_axis)
def take_along_axis(arr: ArrayLike, indices: ArrayLike, axis: int = -1) -> np.ndarray:
    """``numpy.take_along_axis``: a gather, whose gradient scatters back.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> idx = znp.array([[1], [0]])
        >>> zymo.grad(lambda x: znp.take_along_axis(x, idx, axis=1).sum())(znp.ones((2, 2)))
        array([[0., 1.],
               [1., 0.]])
    """
    if axis is None:
        arr, axis = znp.ravel(arr), 0
    shape = shape_of(arr)
    nd = len(shape)
    axis = normalize_axis_index(axis, nd)
    indices = _index_array(indices)
    if indices.ndim != nd:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    idx = tuple(
        indices if d == axis else np.arange(n).reshape((1,) * d + (n,) + (1,) * (nd - d - 1))
        for d, n in enumerate(shape)
    )
    return getitem(arr, idx)


@implements(np.put)
def put(a: ArrayLike, ind: ArrayLike, v: ArrayLike, mode: str = "raise") -> None:
    """``numpy.put``: writes into the flattened array.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> def f(x):
        ...     buf = znp.zeros(3)
        ...     znp.put(buf, [0, 2], x)
        ...     return (buf * buf).sum()
        ...
        >>> zymo.grad(f)(znp.array([1.0, 2.0]))
        array([2., 4.])
    """
    if type(a) is not Tracer:
        return np.put(a, ind, v, mode=mode)
    ind = np.asarray(observe(ind) if type(ind) is Tracer else ind).ravel().astype(np.intp)
    size = int(np.prod(shape_of(a)))
    v = znp.ravel(v)
    n = int(np.prod(shape_of(v)))
    if ind.size == 0 or n == 0:  # NumPy writes nothing
        return None
    if mode == "wrap":
        ind = ind % size
    elif mode == "clip":
        ind = np.clip(ind, 0, size - 1)
    else:
        bad = ind[(ind < -size) | (ind >= size)]
        if bad.size:
            raise IndexError(f"index {bad[0]} is out of bounds for axis 0 with size {size}")
        ind = ind % size
    if n != ind.size:  # NumPy repeats (or cuts) the values to the number of indices
        v = v[np.arange(ind.size) % n]
    if shape_of(a) == ():  # one entry: the last value written to it stays
        inplace_setitem(a, Ellipsis, v[-1])
        return None
    inplace_setitem(a, np.unravel_index(ind, shape_of(a)), v)
    return None


@implements(np.copyto)
def copyto(dst: ArrayLike, src: ArrayLike, casting: str = "same_kind", where: ArrayLike = True) -> None:
    """``numpy.copyto``: recorded like ``dst[...] = src``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> def f(x):
        ...     buf = znp.zeros(3)
        ...     znp.copyto(buf, x)
        ...     return (buf * buf).sum()
        ...
        >>> zymo.grad(f)(znp.array([1.0, 2.0, 3.0]))
        array([2., 4., 6.])
    """
    if type(dst) is not Tracer:
        if type(src) is Tracer and src._trace.level > 0:
            raise conversion_error("copying a traced value into a plain NumPy array with copyto")

        # constant buffers are plain values here (NumPy would dispatch them back to this function)
        return np.copyto(dst, bottom(src), casting=casting, where=bottom(where))
    if where is not True:
        src = znp.where(where, src, dst)
    inplace_setitem(dst, Ellipsis, src)


def _copy_impl(x, order="K"):
    return np.array(x, copy=True, order=order)


copy_p = linear(Primitive(_copy_impl, "copy"), lambda g, ans, x, order="K": g)


def laid_out_as_copy_of(x, a):
    """``x`` in the memory layout of ``a.copy(order="K")`` (``empty_like(a)``), which NumPy's sort and roll return.

    The layout decides which loops later operations run (a vector-matrix product of a
    transposed matrix calls another BLAS routine), and with it their rounding.
    """
    if is_foreign(bottom(a)):  # memory layout is NumPy's notion; other libraries' arrays have none to keep
        return x
    template = np.empty_like(bottom(a))
    if template.ndim < 2 or template.strides == bottom(x).strides:
        return x
    if template.flags.c_contiguous:
        return copy_p(x, order="C")
    if template.flags.f_contiguous:
        return copy_p(x, order="F")
    perm = sorted(range(template.ndim), key=lambda d: -template.strides[d])
    return znp.transpose(copy_p(znp.transpose(x, perm), order="C"), np.argsort(perm).tolist())


@implements(np.copy)
def copy(a: ArrayLike, order: str = "K", subok: bool = False) -> np.ndarray:
    """``numpy.copy``; inside differentiated code the copy is a buffer that records writes.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> def f(x):
        ...     y = znp.copy(x)
        ...     y[0] = 0.0
        ...     return (y * x).sum()
        ...
        >>> zymo.grad(f)(znp.array([1.0, 2.0]))
        array([0., 4.])
    """
    if type(a) is Tracer:
        return copy_p(a) if order == "K" else copy_p(a, order=order)
    note_external(a)
    return const_buffer(np.copy(a, order=order))


def _astype_impl(x, dtype, copy=True):
    if isinstance(x, (int, float, complex)):  # a traced Python number has no astype
        x = np.asarray(x)
    return x.astype(dtype, copy=copy)


astype_p = Primitive(_astype_impl, "astype", aliases=True)
linear(astype_p, lambda g, ans, x, dtype, copy=True: cotangent_for(g, x))
astype_p.unview = lambda base, new, dtype, copy=True: inplace_setitem(base, Ellipsis, new)  # ``copy=False``: itself


def astype(x, dtype, copy=True):
    """``x.astype(dtype)``; casting to an integer or boolean type drops the gradient."""
    dt = numpy_dtype(dtype) if not isinstance(dtype, (type, str)) else np.dtype(dtype)
    if dt.kind not in "fc":
        if dt.kind == "O" and type(x) is Tracer and x._trace.level > 0:
            raise object_array_error()
        plain = observe(x)
        if is_foreign(plain):
            xp = foreign_namespace(plain)
            return box_foreign(xp.astype(plain, namespace_dtype(xp, dt)))
        return (np.asarray(plain) if isinstance(plain, (int, float, complex)) else plain).astype(dtype)
    return astype_p(x, dtype=dt, copy=copy)


FUNCTIONS[np.ndarray.astype] = astype


@implements(np.astype)
def astype_function(x: ArrayLike, dtype: DTypeLike, /, *, copy: bool = True, device: str | None = None) -> np.ndarray:
    """The function ``numpy.astype(x, dtype)``: ``x.astype(dtype)`` (integer or boolean types drop the gradient).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.astype(x, znp.float32).sum())(znp.ones(2))
        array([1., 1.])
    """
    return astype(x, dtype, copy=copy)


def _astype_jvp_fix(ts, ans, x, dtype, copy=True):
    return astype_p(ts[0], dtype=dtype, copy=True)


defjvp_all(astype_p, _astype_jvp_fix)


# --- r_ / c_ ---------------------------------------------------------------------------------
class _Concatenator:
    """``numpy.r_`` / ``numpy.c_`` that also join traced values (plain entries go to NumPy's own)."""

    def __init__(self, numpy_version, axis: int, ndmin: int, columns: bool):
        self._np = numpy_version
        self._axis = axis
        self._ndmin = ndmin
        self._columns = columns

    def __getitem__(self, key):
        items = key if type(key) is tuple else (key,)
        if not any(type(i) is Tracer for i in items):
            return self._np[key]

        axis, ndmin = self._axis, self._ndmin
        if items and isinstance(items[0], str):
            spec = [int(x) for x in items[0].split(",")] if items[0] not in ("r", "c") else None
            if spec is None:
                raise unsupported(
                    f"numpy.r_[{items[0]!r}, ...] (matrix output) of traced values", "use zymo.numpy.stack"
                )
            axis, ndmin = spec[0], (spec[1] if len(spec) > 1 else ndmin)
            items = items[1:]
        parts = []
        for item in items:
            if type(item) is slice:
                item = self._np[item]
            a = znp.asarray(item)
            s = shape_of(a)
            if len(s) < ndmin:
                # As NumPy: a 1-D entry of c_ becomes a column; other entries gain leading axes.
                new = s + (1,) * (ndmin - len(s)) if self._columns else (1,) * (ndmin - len(s)) + s
                a = znp.reshape(a, new)
            parts.append(a)
        return znp.concatenate(parts, axis=axis)

    def __len__(self):
        return 0


r_ = _Concatenator(np.r_, 0, 1, False)
c_ = _Concatenator(np.c_, -1, 2, True)


# --- put_along_axis / fill_diagonal: writes -------------------------------------------------------------
@implements(np.put_along_axis)
def put_along_axis(arr, indices, values, axis):
    """``numpy.put_along_axis``: recorded like ``arr[idx] = values``."""
    if type(arr) is not Tracer:
        if type(values) is Tracer and values._trace.level > 0:
            raise conversion_error("writing a traced value into a plain NumPy array with put_along_axis")
        return np.put_along_axis(arr, indices, values, axis)
    if axis is None:
        raise unsupported("numpy.put_along_axis(axis=None) on a traced array", "reshape the array to 1-D first")
    shape = shape_of(arr)
    nd = len(shape)
    axis = normalize_axis_index(axis, nd)
    indices = np.asarray(indices)
    idx = tuple(
        indices if d == axis else np.arange(n).reshape((1,) * d + (n,) + (1,) * (nd - d - 1))
        for d, n in enumerate(shape)
    )
    inplace_setitem(arr, idx, values)


@implements(np.fill_diagonal)
def fill_diagonal(a, val, wrap=False):
    """``numpy.fill_diagonal``: recorded like a write to the diagonal positions."""
    if type(a) is not Tracer:
        if type(val) is Tracer and val._trace.level > 0:
            raise conversion_error("writing a traced value into a plain NumPy array with fill_diagonal")
        return np.fill_diagonal(a, val, wrap)
    shape = shape_of(a)
    if len(shape) < 2:
        raise ValueError("array must be at least 2-d")
    end = None
    if len(shape) == 2:
        step = shape[1] + 1
        if not wrap:
            end = shape[1] * shape[1]
    else:
        if not all(n == shape[0] for n in shape[1:]):
            raise ValueError("All dimensions of input must be of equal length")
        step = 1 + int(np.cumprod(shape[:-1]).sum())
    write_flat(a, np.arange(int(np.prod(shape)))[:end:step], val)  # NumPy: a.flat[:end:step] = val
