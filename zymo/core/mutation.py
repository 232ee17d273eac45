"""In-place writes on traced values: ``buf[idx] = v``, ``buf += v``, ``copyto``, ``fill``.

A write is recorded as a new value ``set(buf_old, idx, v)`` and the Python
object ``buf`` is rebound to it, so every reference sees the write. The NumPy
memory is written in place (views and the caller's arrays change as under
NumPy); values saved earlier on that memory are first given private copies
(``zymo.core.memory``). A write through a view is recorded on its base, and
views are re-derived from their base after the base changes.
"""

from __future__ import annotations

import numpy as np

from .dispatch import SPECIAL, call_numpy
from .errors import MutationError, TracerConversionError, user_location
from .namespace import is_foreign
from .primitive import refresh_view
from .recording import check_write, observe
from .reverse import dtype_of
from .tracer import Tracer, become, bottom

__all__ = ["inplace_setitem", "inplace_binary", "clean_index", "unview_by_positions"]


def _has_tracer(x) -> bool:
    if type(x) is Tracer:
        return True
    if type(x) in (list, tuple):
        return any(_has_tracer(e) for e in x)
    return False


def clean_index(idx):
    """An index with constant tracers replaced by their values; traced floats are refused."""
    if type(idx) is tuple:
        if not any(type(i) is Tracer or type(i) is list for i in idx):
            return idx
        return tuple(_clean_one(i) for i in idx)
    return _clean_one(idx)


def _clean_one(i):
    if type(i) is Tracer:
        b = observe(i)
        if i._trace.level > 0 and getattr(b, "dtype", np.dtype(float)).kind in "fc":
            raise TracerConversionError(
                f"a traced floating value was used as an index at {user_location()}. "
                "Fix: index with integers or booleans."
            )
        return b
    if type(i) is list and _has_tracer(i):
        return [_clean_one(e) for e in i]
    return i


def _as_value(v):
    if type(v) in (list, tuple) and _has_tracer(v):
        return call_numpy(np.asarray, v)
    return v


def inplace_setitem(h: Tracer, idx, v) -> None:
    """``h[idx] = v`` on a tracer, recorded so gradients reach ``v`` and what ``h`` held."""
    check_write(h, v)
    b = bottom(h)
    if type(b) is np.ndarray and not b.flags.writeable:  # a read-only view: NumPy's refusal
        raise ValueError("assignment destination is read-only")
    idx = clean_index(idx)
    v = _as_value(v)
    if h._view is not None:
        refresh_view(h)
        view = h._view
        if view is not None:
            unview = view.prim.unview
            if unview is None:
                raise MutationError(
                    f"writing through a view made by `{view.prim.name}` is not supported (at {user_location()}). "
                    "Fix: write to the base array, or take a copy first (`.copy()`)."
                )
            # The view's new content is built in a copy: writing it into the shared memory first would
            # change the base before its own write records it (zymo.jit would keep the written values
            # as the base's constant, and find them different in every call).
            new = SPECIAL["setitem"](call_numpy(np.copy, h), v, idx=idx)
            unview(view.base, new, *view.rest, **view.params)
            return
    new = SPECIAL["setitem"](h, v, idx=idx)
    if type(new) is Tracer:
        become(h, new)
    else:  # nothing traced reached the write (e.g. writing a constant into a constant buffer)
        h._val = new
        h._ver += 1


def unview_by_positions(impl):
    """An ``unview`` for a view made by ``impl(base, *rest, **params)`` that picks distinct entries of its base.

    ``impl`` applied to the base's flat positions names the entry behind each entry of the view,
    and the write lands there: ``einsum("ii->i", a)`` writes the diagonal ``a[[0, 1], [0, 1]]``.
    """

    def unview(base, new, *rest, **params):
        shape = np.shape(bottom(base))
        positions = impl(np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape), *rest, **params)
        idx = np.unravel_index(positions, shape) if shape else Ellipsis
        inplace_setitem(base, idx, new)

    return unview


def inplace_binary(h: Tracer, ufunc, other):
    """``h op= other`` with NumPy's semantics: the result is written into ``h``'s memory."""
    b = bottom(h)
    if type(b) is not np.ndarray and not is_foreign(b):  # NumPy scalars are immutable: ``x += y`` rebinds
        return call_numpy(ufunc, h, other)
    if type(b) is np.ndarray and not b.flags.writeable:
        raise ValueError("output array is read-only")
    result = call_numpy(ufunc, h, other)
    rdt = dtype_of(result)
    if not np.can_cast(rdt, dtype_of(b), casting="same_kind"):
        raise MutationError(
            f"cannot write the {rdt} result of `{ufunc.__name__}` into a {b.dtype} array in place "
            f"(at {user_location()}), as NumPy would refuse. Fix: `x = x {ufunc.__name__} y` instead."
        )
    inplace_setitem(h, Ellipsis, result)
    return h
