"""What a trace made for ``zymo.jit`` writes down so that it can be replayed safely.

While ``zymo.jit`` traces a function, a ``Recorder`` is active on the thread.
The reverse trace reports each primitive it records (with where each argument
came from: a tape node, or a constant); every place where Python reads data
out of a traced value (``bool(x)``, comparisons, non-differentiable
functions, values used as indices, sorting orders) reports a *guard*: the
read, and what it gave. Replaying the record list on new inputs re-runs each
guard and gives up on the first one that reads differently, so a replay only
ever repeats a computation that the function itself would have done.

In-place writes replay as their recorded ``setitem`` records, and each copy
that copy-on-write made of a saved value is recorded where it happened, so
replay copies the same values at the same points. What the recorder cannot
replay (nested differentiation, ``stop_gradient``, values of another trace)
stops the recording on the spot, before it has any effect (``RecordingAborted``);
``zymo.jit`` then runs the call as usual. Outside ``zymo.jit`` every hook here
is a no-op.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, NamedTuple

import numpy as np

from . import namespace
from .jit_externals import fingerprint, snapshot, unchanged
from .tracer import Tracer, bottom

__all__ = [
    "PrimOp",
    "GuardOp",
    "CopyOp",
    "Recorder",
    "RecordingAborted",
    "unsafe",
    "guard_call",
    "observe",
    "observed_call",
    "saved_copied",
    "check_write",
    "note_external",
]


class PrimOp(NamedTuple):
    """A recorded primitive: its tape node, ``(argument position, node)`` of its traced arguments, and the
    arguments as replay passes them (``None`` where a traced one goes)."""

    node: int
    prim: Any
    srcs: tuple
    template: list
    params: dict


class GuardOp(NamedTuple):
    """A read of traced data by Python: ``fn`` on the arguments gave ``expected``; replay checks it again."""

    fn: Callable
    srcs: tuple
    template: list
    kwargs: dict
    expected: Any


class CopyOp(NamedTuple):
    """Copy-on-write gave record ``node``'s saved value ``slot`` (``-1``: its output) a private copy."""

    node: int
    slot: int


class RecordingAborted(BaseException):
    """Stops a ``zymo.jit`` recording at something replay cannot repeat, before it has any effect.

    A ``BaseException``, so that the user's ``except Exception`` does not swallow it; ``zymo.jit`` then
    runs the call as ``value_and_grad`` does.
    """


class _State(threading.local):
    def __init__(self):
        self.recorder = None


state = _State()  # the thread's active recorder (``state.recorder``), read on hot paths


def _bake(v):
    """A constant argument as replay will pass it: the value it had when it was used.

    The copy keeps the array's memory layout: results of NumPy functions follow it, and so may the
    order of a reduction's additions.
    """
    if type(v) is np.ndarray:
        return v.copy(order="K")
    return v


_SCALARS = (int, float, complex, bool, str, bytes, type(None), slice, type(Ellipsis), np.generic, np.dtype, type)


def _bakeable(v) -> bool:
    if type(v) is np.ndarray or isinstance(v, _SCALARS):
        return v.dtype.kind != "O" if type(v) is np.ndarray else True
    if type(v) is tuple or type(v) is list:
        return all(_bakeable(e) for e in v)
    return callable(v) or namespace.is_foreign(v)  # another library's array: replay passes the array itself


class Recorder:
    """The replayable account of one trace (see the module docstring)."""

    def __init__(self, trace, frozen: bool = False):
        self.trace = trace
        self.frozen = frozen  # arrays read from outside the arguments are declared unchanging: not checked
        self.ops: list = []  # PrimOp, GuardOp and CopyOp, in the order they happened
        # [array, what replay checks it against, ...]: arrays read from outside the arguments (closures, globals)
        self.externals: list = []
        self.unsafe: str | None = None
        self.data_roots: set = set()  # ids of the memory of non-differentiated arguments traced as inputs
        self._containers: dict = {}  # id of a record's saved-values list (or the record) -> (node, is_record)
        self._before: tuple | None = None  # sources of an in-place primitive, taken before it writes

    def __enter__(self):
        if state.recorder is not None:
            raise RuntimeError("a zymo.jit trace is already being recorded on this thread")
        state.recorder = self
        return self

    def __exit__(self, *exc):
        state.recorder = None
        for entry in self.externals:
            a, copy = entry[0], entry[1]
            if copy is not None and not unchanged(a, copy):  # changed during the call: its end state is checked
                copy = None
            kept = fingerprint(a)
            if kept is None:
                entry[1] = copy if copy is not None else snapshot(a)
            else:
                entry[1] = kept
                if copy is not None and len(entry) == 4:
                    entry[2][entry[3]] = a  # unchanged since its use: replay computes with the array itself
        return False

    def mark_unsafe(self, reason: str):
        """Stop the recording: replay could not repeat what the function is doing."""
        self.unsafe = reason
        raise RecordingAborted(reason)

    def _sources(self, args, parents=None):
        """``(srcs, template)``: tape nodes of traced arguments, and the constants replay passes."""
        trace = self.trace
        srcs = []
        template = []
        for k, a in enumerate(args):
            if type(a) is Tracer:
                node = parents[k] if parents is not None else (a._node if a._trace is trace else -1)
                if a._trace is not trace or node is None or node < 0:
                    if a._trace.level == 0:  # a buffer made inside the function: constant unless written
                        template.append(_bake(a._val))
                        continue
                    self.mark_unsafe("a value of another differentiation was used")
                srcs.append((k, node))
                template.append(None)
            else:
                if not _bakeable(a):
                    self.mark_unsafe(f"an argument of type {type(a).__name__} cannot be kept for replay")
                baked = _bake(a)
                if type(a) is np.ndarray and not self.frozen:
                    # Settled when the recording ends (``__exit__``): checked against a fingerprint, replay passes
                    # the array itself; else the copy taken here is both what replay passes and the snapshot.
                    self.externals.append([a, baked, template, k])
                template.append(baked)
        return tuple(srcs), template

    def before_inplace(self, args, parents) -> None:
        """Take an in-place primitive's constants before it writes into one of them."""
        self._before = self._sources(args, parents)

    def record_prim(self, node: int, prim, args, parents, params, rec) -> None:
        if prim.inplace and self._before is not None:
            (srcs, template), self._before = self._before, None
        else:
            srcs, template = self._sources(args, parents)
        self.ops.append(PrimOp(node, prim, srcs, template, _bake_params(params)))
        self._containers[id(rec.vals)] = (node, False)
        self._containers[id(rec)] = (node, True)

    def saved_copied(self, container, slot) -> None:
        """Copy-on-write gave a saved value a private copy: replay must copy it at the same point."""
        where = self._containers.get(id(container))
        if where is None:
            self.mark_unsafe("a value saved outside the primitive path was written over")
        node, is_record = where
        self.ops.append(CopyOp(node, -1 if is_record else slot))

    def check_write(self, target, value) -> None:
        """Refuse a traced value written into a non-differentiated argument (tracing raises there)."""
        if not self.data_roots:
            return
        from .memory import memory_root

        b = bottom(target)
        if type(b) is np.ndarray and id(memory_root(b)) in self.data_roots and _holds_tracer(value):
            self.mark_unsafe("a traced value is written into a non-differentiated argument")

    def record_guard(self, fn, args, kwargs, result) -> None:
        srcs, template = self._sources(args)
        if not srcs:
            return  # nothing traced was read: the result is a constant
        self.ops.append(GuardOp(fn, srcs, template, _bake_params(kwargs), _bake(result)))


def _holds_tracer(v) -> bool:
    if type(v) is Tracer:
        return v._trace.level > 0
    if type(v) is list or type(v) is tuple:
        return any(_holds_tracer(e) for e in v)
    return False


def _bake_params(params):
    if not params:
        return params
    for v in params.values():
        if type(v) is np.ndarray or type(v) is tuple or type(v) is list:
            return {k: _bake_deep(v) for k, v in params.items()}
    return params


def _bake_deep(v):
    if type(v) is np.ndarray:
        return v.copy(order="K")
    if type(v) is tuple or type(v) is list:
        return type(v)(_bake_deep(e) for e in v)
    return v


def unsafe(reason: str) -> None:
    """Tell an active ``zymo.jit`` recording that this trace cannot be replayed (no-op otherwise)."""
    r = state.recorder
    if r is not None:
        r.mark_unsafe(reason)


def guard_call(fn, args, kwargs, result) -> None:
    """Note that ``result = fn(*args, **kwargs)`` read traced data (no-op outside ``zymo.jit``)."""
    r = state.recorder
    if r is not None:
        if any(type(v) is Tracer for v in kwargs.values()):
            r.mark_unsafe(f"`{getattr(fn, '__name__', fn)}` read a traced keyword argument")
            return
        r.record_guard(fn, args, kwargs, result)


def _value(x):
    return x


def observed_call(fn, x, **kwargs):
    """``fn(plain value of x, **kwargs)``, noted as read by Python: replay re-checks only that result.

    Use it where code decides on a function of traced data (a sort order, a sign), so that a replay
    stays valid while that result does; ``fn`` must be a module-level function.
    """
    v = bottom(x)
    if type(v) is np.ndarray or not namespace.is_foreign(v):
        result = fn(v, **kwargs)
    else:
        result = namespace.call_version(fn, namespace.foreign_namespace(v), (v,), kwargs)
    r = state.recorder
    if r is not None and type(x) is Tracer and x._trace is r.trace:
        r.record_guard(fn, (x,), kwargs, result)
    return result


def observe(x):
    """The plain value under ``x``, noted as read by Python (use where code decides on traced data)."""
    while type(x) is Tracer:
        r = state.recorder
        if r is not None and x._trace is r.trace:
            v = x._val
            r.record_guard(_value, (x,), {}, v)
            return bottom(v)
        x = x._val
    return x


def saved_copied(container, slot) -> None:
    """Tell an active recording that copy-on-write copied ``container[slot]`` (no-op otherwise)."""
    r = state.recorder
    if r is not None:
        r.saved_copied(container, slot)


def check_write(target, value) -> None:
    """Let an active recording refuse an in-place write tracing would refuse (no-op otherwise)."""
    r = state.recorder
    if r is not None:
        r.check_write(target, value)


def note_external(obj) -> None:
    """``obj`` (an array, or lists of them) is copied into a buffer: replay checks it has not changed."""
    r = state.recorder
    if r is None or r.frozen:
        return
    if type(obj) is np.ndarray:
        r.externals.append([obj, None])
    elif type(obj) is list or type(obj) is tuple:
        for e in obj:
            note_external(e)
