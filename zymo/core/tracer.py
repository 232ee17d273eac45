"""The traced value: an ndarray stand-in that records what is done to it.

A ``Tracer`` belongs to one trace (a ``grad``/``jvp`` call, or the constant
trace for buffers made inside differentiated code). ``_val`` is the value one
level down: an ndarray, a scalar, or a tracer of an enclosing trace. A tracer
is a *mutable handle*: an in-place write rebinds its fields to the recorded
result, so every Python reference to it sees the write, as with NumPy.

The array behaviour (operators, methods, NumPy dispatch) lives in
``zymo.core.tracer_methods``, which fills this class in; this module is only the
data layout and the helpers the engine needs.
"""

from __future__ import annotations

import numpy as np

from .errors import UnsupportedOperationError, user_location

__all__ = ["Tracer", "new_tracer", "bottom", "snapshot", "is_tracer"]


class Tracer:
    """A value being differentiated (see the module docstring)."""

    __slots__ = ("_val", "_trace", "_node", "_ver", "_view", "_own", "__weakref__")

    # ndarray arithmetic must defer to Tracer (so ``ndarray + tracer`` reaches us).
    __array_priority__ = 1000.0

    def __init__(self, *args, **kwargs):  # pragma: no cover - created by the engine only
        raise TypeError("Tracer objects are created by zymo's transformations, not directly")


_new = object.__new__


def new_tracer(val, trace, node) -> Tracer:
    """A fresh tracer of ``trace`` holding ``val`` with reverse node / tangent ``node``."""
    t = _new(Tracer)
    t._val = val
    t._trace = trace
    t._node = node
    t._ver = 0
    t._view = None
    t._own = False
    return t


def is_tracer(x) -> bool:
    """Whether ``x`` is a zymo traced value."""
    return type(x) is Tracer


def bottom(x):
    """The plain NumPy value under any number of tracer levels."""
    while type(x) is Tracer:
        x = x._val
    return x


def snapshot(t: Tracer) -> Tracer:
    """An immutable copy of a handle's current state (saved values must not change)."""
    s = _new(Tracer)
    s._val = t._val
    s._trace = t._trace
    s._node = t._node
    s._ver = 0
    s._view = None
    s._own = False
    return s


def become(handle: Tracer, new: Tracer) -> None:
    """Rebind ``handle`` to the state of ``new``: an in-place write, seen by every reference."""
    handle._val = new._val
    handle._trace = new._trace
    handle._node = new._node
    handle._own = new._own
    handle._view = new._view
    handle._ver += 1


def object_array_error():
    """The error for a traced value mixed with an object array (its derivative would be lost silently)."""
    return UnsupportedOperationError(
        f"zymo cannot differentiate through an array of dtype object (at {user_location()}): its elements are "
        "Python objects, so no derivative can flow through them. Fix: convert it with `.astype(float)`."
    )


def is_inexact(x) -> bool:
    """Whether a value can carry a derivative (floating or complex); object arrays are refused."""
    t = type(x)
    if t is np.ndarray:
        kind = x.dtype.kind
        if kind == "O":
            raise object_array_error()
        return kind in "fc"
    if t is Tracer:
        if x._trace.level == 0 and type(x._val) is not np.ndarray:  # a boxed foreign array
            from .namespace import numpy_dtype

            return numpy_dtype(x._val.dtype).kind in "fc"
        return True
    if t is float or t is complex:
        return True
    return isinstance(x, np.inexact)
