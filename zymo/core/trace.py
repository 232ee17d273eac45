"""Trace levels, the per-thread trace stack, and the constant trace.

Every ``grad``/``jvp`` call opens a trace with a level one higher than the
innermost active one. A primitive applied to tracers is processed by the
highest-level trace among its arguments, which unboxes its own tracers and
calls the primitive again one level down; this is what makes nested
derivatives free of perturbation confusion.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import numpy as np

from . import namespace, recording
from .errors import EscapedTracerError, user_location
from .pytree import tree_flatten, tree_unflatten
from .tracer import Tracer, new_tracer, snapshot

__all__ = ["Trace", "ConstTrace", "CONST", "current_level", "new_level", "lower_args"]


class _ThreadState(threading.local):
    def __init__(self):
        self.level = 0


_state = _ThreadState()


def current_level() -> int:
    """Level of the innermost active trace on this thread (0 when none)."""
    return _state.level


@contextmanager
def new_level():
    """Reserve the next trace level for the duration of the block."""
    recording.unsafe("a differentiation nested inside the function")
    _state.level += 1
    try:
        yield _state.level
    finally:
        _state.level -= 1


class Trace:
    """Base class of traces; subclasses implement ``process``."""

    __slots__ = ("level", "active", "transposes")

    def __init__(self, level: int):
        self.level = level
        self.active = True
        # node of an input -> its ``.T`` tracer, reused while the input is unchanged (see ``tracer_methods``)
        self.transposes: dict = {}

    def process(self, prim, args, params):  # pragma: no cover - abstract
        raise NotImplementedError

    def process_custom(self, fn, args):  # pragma: no cover - abstract
        """A call of ``fn`` (a function with its own reverse rule: ``custom_vjp``, ``checkpoint``) on ``args``.

        ``fn`` provides ``fun`` (the function), ``lower(args)`` (``(out, residuals)``
        from the arguments one level down), ``rule`` (the primitive whose reverse
        rule runs its backward function), ``rule_params(...)`` and
        ``output_tangents(...)`` (see ``zymo.core.custom``).
        """
        raise NotImplementedError

    def escaped(self):
        return EscapedTracerError(
            f"a traced value from a differentiation that has already returned was used at "
            f"{user_location()}. Fix: return it from the differentiated function (or as `has_aux`) "
            "instead of keeping it in an outer variable."
        )


class ConstTrace(Trace):
    """Level 0: buffers made inside differentiated code that do not depend on inputs yet.

    They behave as arrays and are mutable handles, so writing a traced value
    into one promotes it to the writer's trace.
    """

    __slots__ = ()

    def process_custom(self, fn, args):
        return fn.fun(*lower_args(args, self))

    def process(self, prim, args, params):
        vals = [a._val if type(a) is Tracer else a for a in args]
        if namespace.state.seen:
            out = namespace.foreign_call(prim, vals, params)
            if out is not namespace.NOT_FOREIGN:
                return box_foreign(out)  # so that whatever is applied to it next reaches zymo's tables
        out = prim.impl(*vals, **params)
        if type(out) is np.ndarray:
            return new_tracer(out, self, None)
        return out


CONST = ConstTrace(0)


def box_foreign(x):
    """A foreign (non-NumPy) array in a constant tracer (tuples of them element by element); else ``x``.

    Inside zymo, foreign values travel boxed, so NumPy's functions applied to them by rules and user
    code reach zymo's tables instead of converting them to NumPy.
    """
    if type(x) is np.ndarray:
        return x
    if type(x) is tuple:
        return tuple(box_foreign(e) for e in x)
    if namespace.is_foreign(x):
        return new_tracer(x, CONST, None)
    return x


def lower_args(args, trace: Trace) -> list:
    """The arguments (pytrees) one level below ``trace``: its tracers and constant ones become their values."""

    def lower(x):
        if type(x) is Tracer:
            if x._trace is trace or x._trace.level == 0:
                return x._val
            return snapshot(x)
        return x

    out = []
    for a in args:
        leaves, treedef = tree_flatten(a)
        out.append(tree_unflatten(treedef, [lower(x) for x in leaves]))
    return out


namespace.state.box = box_foreign
