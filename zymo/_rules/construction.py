"""Array construction: ``array``/``asarray`` from nested lists holding traced values, and buffers.

Inside a differentiated function, buffers made here (``zeros``, ``ones``,
``empty``, ``full``, the ``_like`` forms, ``array``, ``copy``) are constant
tracers: they behave as arrays, and writing a traced value into one is
recorded. Outside, these are exactly NumPy's functions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .. import numpy as znp
from ..core.dispatch import implements
from ..core.errors import UnsupportedOperationError, user_location
from ..core.forward import defjvp_all
from ..core.namespace import foreign_namespace, is_foreign, namespace_dtype, numpy_dtype
from ..core.primitive import Primitive
from ..core.recording import note_external, observe
from ..core.reverse import defvjp_all
from ..core.trace import box_foreign
from ..core.tracer import Tracer, bottom
from .helpers import const_buffer, dtype_of, has_tracer, shape_of
from .indexing import astype, copy_p, keep_real_cotangents

_HOLE = object()
HOLE = _HOLE  # where a traced value sits in ``pack_p``'s template


def _template(obj, tracers, paths, path=()):
    if type(obj) is Tracer:
        tracers.append(obj)
        paths.append(path)
        return _HOLE
    if type(obj) in (list, tuple):
        return [_template(e, tracers, paths, path + (i,)) for i, e in enumerate(obj)]
    return obj


def _fill(template, vals):
    it = iter(vals)

    def fill(t):
        if t is _HOLE:
            return next(it)
        if type(t) is list:
            return [fill(e) for e in t]
        return t

    return fill(template)


def _pack_impl(*vals, template, paths, dtype):
    return np.array(_fill(template, vals), dtype=dtype)


def _pack_vjp(g, ans, *vals, template, paths, dtype):
    return [g[p] if p else g for p in paths]


def _zero_template(t):
    if t is _HOLE:
        return t
    if type(t) is list:
        return [_zero_template(e) for e in t]
    return np.zeros_like(t)


def _pack_jvp(tangents, ans, *vals, template, paths, dtype):
    # The plain numbers in the template are constants: their tangent is zero.
    ts = [np.zeros_like(bottom(v)) if t is None else t for t, v in zip(tangents, vals)]
    return pack_p(*ts, template=_zero_template(template), paths=paths, dtype=dtype)


pack_p = Primitive(_pack_impl, "array")
defvjp_all(pack_p, _pack_vjp, saves=())
keep_real_cotangents(pack_p)
defjvp_all(pack_p, _pack_jvp)


def _numpy_dtype_only(dtype, name: str, device=None) -> None:
    """Refuse another library's dtype or device: ``zymo.numpy``'s makers make NumPy arrays, on the CPU."""
    if device is not None and device != "cpu":
        dtype = device  # named in the error as what came from another library
    elif dtype is None or isinstance(dtype, (np.dtype, type, str)):
        return
    library = type(dtype).__module__.split(".")[0]
    raise UnsupportedOperationError(
        f"`zymo.numpy.{name}` makes NumPy arrays, but was given {library}'s {dtype} (at {user_location()}). "
        f"Fix: make the array with its own library, on its device: `xp = x.__array_namespace__(); "
        f"xp.{name}(shape, dtype=x.dtype, device=x.device)`."
    )


def _from_nested(obj, dtype):
    tracers, paths = [], []
    template = _template(obj, tracers, paths)
    if dtype is None:
        foreign = [bottom(t) for t in tracers if is_foreign(bottom(t))]
        if foreign:  # another library's arrays cannot meet ``np.array``: the dtype from their dtypes and the numbers
            numbers = [n for n in _numbers(template) if n is not _HOLE]
            dtype = np.result_type(*[numpy_dtype(b.dtype) for b in foreign], *numbers)
        else:
            dtype = np.array(_fill(template, [bottom(t) for t in tracers])).dtype
    return pack_p(*tracers, template=template, paths=tuple(paths), dtype=np.dtype(dtype))


def _numbers(template):
    if type(template) is list:
        return [n for e in template for n in _numbers(e)]
    return [template]


@implements(np.array)
def array(
    object: ArrayLike,
    dtype: DTypeLike = None,
    *,
    copy: bool = True,
    order: str = "K",
    subok: bool = False,
    ndmin: int = 0,
    like: ArrayLike | None = None,
) -> np.ndarray:
    """``numpy.array``; accepts (nested) lists mixing traced values and numbers, empty lists too.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.array([[x, 1.0], [2.0, x * x]]).sum())(3.0)
        7.0
    """
    if type(object) is Tracer:
        if dtype is not None and np.dtype(dtype) != dtype_of(object):  # the cast is the copy
            return astype(object, dtype, copy=copy is not False)
        return copy_p(object) if copy is not False else object
    if type(object) in (list, tuple) and has_tracer(object):
        return _from_nested(object, dtype)
    note_external(object)
    return const_buffer(np.array(object, dtype=dtype, copy=copy, order=order, ndmin=ndmin))


@implements(np.asarray)
def asarray(
    a: ArrayLike,
    dtype: DTypeLike = None,
    order: str | None = None,
    *,
    device: str | None = None,
    copy: bool | None = None,
    like: ArrayLike | None = None,
) -> np.ndarray:
    """``numpy.asarray``; a traced array is returned as it is (a traced scalar becomes a 0-d array).

    As in NumPy, ``copy=True`` always makes a copy (writing into it leaves ``a`` as it was) and
    ``copy=False`` refuses to make one.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.asarray([1, 2], dtype=float)
        array([1., 2.])
    """
    if type(a) is Tracer:
        return _traced_asarray(a, dtype, order, copy)
    if type(a) in (list, tuple) and has_tracer(a):
        return _from_nested(a, dtype)
    return np.asarray(a, dtype=dtype, order=order, device=device, copy=copy)


def _traced_asarray(a: Tracer, dtype, order, copy):
    casts = dtype is not None and np.dtype(dtype) != dtype_of(a)
    v = bottom(a)
    reorders = type(v) is np.ndarray and order in ("C", "F") and not v.flags[f"{order}_CONTIGUOUS"]
    if copy is False and (casts or reorders or type(v) is not np.ndarray):
        raise ValueError("Unable to avoid copy while creating an array as requested.")  # NumPy's own error
    if casts:
        r = astype(a, dtype, copy=True)
        return copy_p(r, order=order) if reorders else r
    if type(v) is not np.ndarray:
        return copy_p(a)  # NumPy makes a 0-d array of a scalar
    if reorders:
        return copy_p(a, order=order)
    return copy_p(a) if copy else a


asanyarray = implements(np.asanyarray)(asarray)


@implements(np.ascontiguousarray)
def ascontiguousarray(a: ArrayLike, dtype: DTypeLike = None, *, like: ArrayLike | None = None) -> np.ndarray:
    """``numpy.ascontiguousarray``: a C-ordered array of at least one dimension (a copy when ``a`` is not one).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.ascontiguousarray(znp.ones((2, 3)).T).flags.c_contiguous
        True
    """
    if type(a) is not Tracer and not (type(a) in (list, tuple) and has_tracer(a)):
        return np.ascontiguousarray(a, dtype=dtype)
    r = asarray(a, dtype=dtype, order="C")
    return znp.reshape(r, (1,)) if len(shape_of(r)) == 0 else r


def zeros(
    shape: int | Sequence[int],
    dtype: DTypeLike = float,
    order: str = "C",
    *,
    device: str | None = None,
    like: ArrayLike | None = None,
) -> np.ndarray:
    """``numpy.zeros`` (a recorded buffer inside differentiated code).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> def f(w):
        ...     hs = znp.zeros((3, 2))
        ...     h = znp.ones(2)
        ...     for t in range(3):
        ...         h = znp.tanh(w * h)
        ...         hs[t] = h
        ...     return hs.sum()
        ...
        >>> round(zymo.grad(f)(0.5), 6)
        4.444555
    """
    _numpy_dtype_only(dtype, "zeros", device)
    return const_buffer(np.zeros(shape, dtype=dtype, order=order))


def ones(
    shape: int | Sequence[int],
    dtype: DTypeLike = None,
    order: str = "C",
    *,
    device: str | None = None,
    like: ArrayLike | None = None,
) -> np.ndarray:
    """``numpy.ones`` (a recorded buffer inside differentiated code).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> def f(x):
        ...     buf = znp.ones(3)
        ...     buf[1:] *= x
        ...     return buf.sum()
        ...
        >>> zymo.grad(f)(2.0)
        2.0
    """
    _numpy_dtype_only(dtype, "ones", device)
    return const_buffer(np.ones(shape, dtype=dtype, order=order))


def empty(
    shape: int | Sequence[int],
    dtype: DTypeLike = float,
    order: str = "C",
    *,
    device: str | None = None,
    like: ArrayLike | None = None,
) -> np.ndarray:
    """``numpy.empty`` (a recorded buffer inside differentiated code).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> def f(x):
        ...     buf = znp.empty(2)
        ...     buf[0] = x
        ...     buf[1] = x * x
        ...     return buf.sum()
        ...
        >>> zymo.grad(f)(3.0)
        7.0
    """
    _numpy_dtype_only(dtype, "empty", device)
    return const_buffer(np.empty(shape, dtype=dtype, order=order))


def full(
    shape: int | Sequence[int],
    fill_value: ArrayLike,
    dtype: DTypeLike = None,
    order: str = "C",
    *,
    device: str | None = None,
    like: ArrayLike | None = None,
) -> np.ndarray:
    """``numpy.full``; a traced ``fill_value`` is differentiated.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.full(3, x).sum())(2.0)
        3.0
    """
    _numpy_dtype_only(dtype, "full", device)
    if has_tracer(fill_value):
        v = asarray(fill_value, dtype=dtype)
        return copy_p(znp.broadcast_to(v, (shape,) if isinstance(shape, int) else tuple(shape)))
    return const_buffer(np.full(shape, fill_value, dtype=dtype, order=order))


# Docstrings of the generated zeros_like, ones_like and empty_like.
_LIKE_DOCS = {
    "zeros_like": """``numpy.zeros_like`` (a recorded buffer inside differentiated code).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> def f(x):
        ...     y = znp.zeros_like(x)
        ...     y += x * x
        ...     return y.sum()
        ...
        >>> zymo.grad(f)(znp.array([1.0, 2.0]))
        array([2., 4.])
    """,
    "ones_like": """``numpy.ones_like`` (a recorded buffer inside differentiated code).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.ones_like(znp.array([1, 2]))
        array([1, 1])
    """,
    "empty_like": """``numpy.empty_like`` (a recorded buffer inside differentiated code).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.empty_like(znp.zeros((2, 3))).shape
        (2, 3)
    """,
}


def _like_in_namespace(name: str, b, dtype, shape, kw):
    """``numpy.zeros_like`` and friends of another library's array: made by that library, on its device."""
    xp = foreign_namespace(b)
    dtype = b.dtype if dtype is None else namespace_dtype(xp, dtype)
    maker = name[: -len("_like")]
    args = (kw["fill_value"],) if "fill_value" in kw else ()
    shape = b.shape if shape is None else ((shape,) if isinstance(shape, int) else tuple(shape))
    return box_foreign(getattr(xp, maker)(shape, *args, dtype=dtype, device=b.device))


def _like(np_fn):
    def fn(
        a: ArrayLike,
        dtype: DTypeLike = None,
        order: str = "K",
        subok: bool = True,
        shape: int | Sequence[int] | None = None,
        *,
        device: str | None = None,
    ) -> np.ndarray:
        b = bottom(a)
        if is_foreign(b):
            return _like_in_namespace(np_fn.__name__, b, dtype, shape, {})
        _numpy_dtype_only(dtype, np_fn.__name__, device)
        return const_buffer(np_fn(b, dtype=dtype, order=order, shape=shape))

    fn.__name__ = np_fn.__name__
    fn.__doc__ = _LIKE_DOCS[np_fn.__name__]
    return implements(np_fn)(fn)


zeros_like = _like(np.zeros_like)
ones_like = _like(np.ones_like)
empty_like = _like(np.empty_like)


@implements(np.full_like)
def full_like(
    a: ArrayLike,
    fill_value: ArrayLike,
    dtype: DTypeLike = None,
    order: str = "K",
    subok: bool = True,
    shape: int | Sequence[int] | None = None,
    *,
    device: str | None = None,
) -> np.ndarray:
    """``numpy.full_like``; a traced ``fill_value`` is differentiated.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.full_like(znp.zeros(3), x).sum())(2.0)
        3.0
    """
    if is_foreign(bottom(a)) and not has_tracer(fill_value):
        return _like_in_namespace("full_like", bottom(a), dtype, shape, {"fill_value": fill_value})
    _numpy_dtype_only(dtype, "full_like", device)
    if has_tracer(fill_value):
        return full(shape_of(a) if shape is None else shape, fill_value, dtype=dtype or bottom(a).dtype)
    return const_buffer(np.full_like(bottom(a), fill_value, dtype=dtype, order=order, shape=shape))


def eye(
    N: int,
    M: int | None = None,
    k: int = 0,
    dtype: DTypeLike = float,
    order: str = "C",
    *,
    device: str | None = None,
    like: ArrayLike | None = None,
) -> np.ndarray:
    """``numpy.eye``: ones on the ``k``-th diagonal, zeros elsewhere.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.eye(2)
        array([[1., 0.],
               [0., 1.]])
    """
    _numpy_dtype_only(dtype, "eye", device)
    return const_buffer(np.eye(N, M, k, dtype=dtype, order=order))


def identity(n: int, dtype: DTypeLike = None, *, like: ArrayLike | None = None) -> np.ndarray:
    """``numpy.identity``: the ``n`` by ``n`` identity matrix.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.identity(2)
        array([[1., 0.],
               [0., 1.]])
    """
    return const_buffer(np.identity(n, dtype=dtype))


@implements(np.linspace)
def linspace(
    start: ArrayLike,
    stop: ArrayLike,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: DTypeLike = None,
    axis: int = 0,
    *,
    device: str | None = None,
) -> np.ndarray | tuple[np.ndarray, float]:
    """``numpy.linspace``; traced ``start`` and ``stop`` are differentiated (same arithmetic as NumPy).

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> zymo.grad(lambda s: znp.sum(znp.linspace(0.0, s, 5)))(2.0)
        2.5
    """
    if not (has_tracer(start) or has_tracer(stop)) or (dtype is not None and np.dtype(dtype).kind not in "fc"):
        return np.linspace(bottom(start), bottom(stop), num, endpoint, retstep, dtype, axis)

    num = int(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    dt = np.result_type(bottom(start), bottom(stop))  # as NumPy: Python numbers take the arrays' precision
    if dt.kind not in "fc":
        dt = np.result_type(dt, 1.0)
    start, stop = asarray(start), asarray(stop)
    div = (num - 1) if endpoint else num
    delta = np.subtract(stop, start)
    if bottom(delta).dtype != dt:
        delta = astype(delta, dt)
    y = np.arange(0, num, dtype=dt).reshape((-1,) + (1,) * len(shape_of(delta)))
    if div > 0:
        step = delta / div
        if np.any(observe(step) == 0):
            y = (y / div) * delta
        else:
            y = y * step
    else:
        step = np.nan
        y = y * delta
    y = y + start
    if endpoint and num > 1:
        last = znp.broadcast_to(stop, shape_of(delta))
        y = znp.concatenate([y[:-1], znp.reshape(last, (1,) + shape_of(delta))], axis=0)
    if axis != 0:
        y = znp.moveaxis(y, 0, axis)
    if dtype is not None:
        y = astype(y, dtype)
    return (y, step) if retstep else y
