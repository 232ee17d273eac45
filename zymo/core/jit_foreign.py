"""``zymo.jit``'s replay of calls on arrays of other libraries (CuPy, ``array_api_strict``, ...).

A recording made on such arrays holds the same primitives as one made on NumPy arrays; the arrays
in it are boxed (constant tracers, see ``zymo.core.trace.box_foreign``). Replay walks the record
list with the new inputs boxed the same way and calls each primitive itself, which runs its
implementation in the arrays' namespace exactly as ``value_and_grad`` does; the reverse pass then
calls the same rules in the same order. So a replayed result equals ``value_and_grad``'s bit for bit.

What replay checks per operation is the result's type, shape and dtype, which an array carries on
the host: no operation waits for the device. Only where the function's Python read a value (a
guard: ``if x.sum() > 0``, an index computed from data) is the value compared with the recording's,
which on a GPU waits for the device once per such read, as the function itself did.

The input signature of an array of another library is its type, shape, dtype and device (read on the
host). Integer and boolean arrays of other libraries are part of NumPy signatures by value; reading
their values would wait for the device on every call, so calls holding one run without replay.

Example:
    >>> import numpy as np
    >>> from zymo.core.jit_foreign import signature_part
    >>> signature_part(np.ones(2)) is None  # NumPy arrays are not this module's
    True
"""

from __future__ import annotations

import numpy as np

from .jit_codegen import Mismatch, per_call, renewed
from .namespace import foreign_namespace, is_foreign, numpy_dtype
from .recording import CopyOp
from .reverse import Record
from .trace import CONST, box_foreign
from .tracer import Tracer

__all__ = ["shape_dtype", "signature_part", "same_foreign", "replay", "plain"]


def shape_dtype(ans):
    """``(shape, dtype, type)`` of a recorded result that is, or boxes, an array of another library; else None."""
    b = ans._val if type(ans) is Tracer and ans._trace is CONST else ans
    if type(b) is np.ndarray or isinstance(b, np.generic):
        return (b.shape, b.dtype, type(b))
    if is_foreign(b):
        return (tuple(b.shape), b.dtype, type(b))
    return None


def signature_part(leaf):
    """A foreign floating-point array's part of a call's signature; None for anything else."""
    if not is_foreign(leaf) or numpy_dtype(leaf.dtype).kind not in "fc":
        return None
    return (type(leaf), tuple(leaf.shape), str(leaf.dtype), str(getattr(leaf, "device", None)))


def plain(v):
    """A boxed foreign array unboxed (what users receive); anything else as it is."""
    if type(v) is Tracer and v._trace is CONST and is_foreign(v._val):
        return v._val
    return v


def same_foreign(x, y) -> bool:
    """Whether two arrays of another library hold the same values (waits for the device: recordings only)."""
    if type(x) is Tracer:
        x = x._val
    if type(y) is Tracer:
        y = y._val
    if type(x) is not type(y) or tuple(x.shape) != tuple(y.shape) or x.dtype != y.dtype:
        return False
    if getattr(x, "device", None) != getattr(y, "device", None):
        return False
    xp = foreign_namespace(x)
    if numpy_dtype(x.dtype).kind in "fc":
        return bool(xp.all((x == y) | (xp.isnan(x) & xp.isnan(y))))
    return bool(xp.all(x == y))


def _fresh_buffer(v):
    """A copy of a buffer made inside the function that the operation writes into (one per call)."""
    if type(v) is np.ndarray:
        return v.copy(order="K")
    if is_foreign(v):
        return foreign_namespace(v).asarray(v, copy=True)
    return v


def _copied(v):
    """A private copy of a saved value (copy-on-write at the recorded point)."""
    if type(v) is np.ndarray:
        return v.copy()
    if type(v) is Tracer and v._trace is CONST and is_foreign(v._val):
        return box_foreign(foreign_namespace(v._val).asarray(v._val, copy=True))
    return v


def _checked(out, op):
    """``out`` if it has the recorded type, shape and dtype (host metadata only); else ``Mismatch``.

    A result the rules do not read was recorded by its stand-in (``Absent``: NumPy's type and dtype).
    """
    b = out._val if type(out) is Tracer and out._trace is CONST else out
    otype = type(b) if op.otype is np.ndarray and is_foreign(b) else op.otype
    if type(b) is not otype:
        raise Mismatch
    if op.dtype is not None and (tuple(b.shape) != op.shape or numpy_dtype(b.dtype) != numpy_dtype(op.dtype)):
        raise Mismatch
    return out


def _run_op(op, slots, tape) -> None:
    args = [box_foreign(a) for a in op.template]
    for k, s in op.srcs:
        args[k] = slots[s]
    params = renewed(op.params) if per_call(op.params) else op.params
    if op.prim.inplace and not any(k == 0 for k, _ in op.srcs):
        args[0] = box_foreign(_fresh_buffer(plain(args[0])))
    out = op.prim(*args, **params) if params else op.prim(*args)
    if type(out) is not Tracer and is_foreign(out):
        out = box_foreign(out)
    slots[op.node] = _checked(out, op)
    for k, a in op.absents:
        args[k] = a
    tape[op.node] = Record(op.prim, op.need, args, out if op.ans_absent is None else op.ans_absent, params)


def replay(prog, flat, same):
    """Run ``prog`` (a recording on foreign arrays) on the leaves ``flat``: ``(output, tape, slots)``.

    Values in ``slots`` and in the tape are boxed; ``same(value, expected)`` checks a guard.
    """
    from .jit_codegen import ReplayOp

    tape = [None] * prog.n
    slots = [None] * prog.n
    for i, j, node in prog.inputs:
        v = box_foreign(flat[i][j])
        slots[node] = v
        tape[node] = Record(None, (), [], v, None)
    for op in prog.ops:
        if type(op) is ReplayOp:
            _run_op(op, slots, tape)
        elif type(op) is CopyOp:
            node, slot = op
            rec = tape[node]
            if slot < 0:
                rec.out = _copied(rec.out)
            else:
                rec.vals[slot] = _copied(rec.vals[slot])
        else:
            fn, srcs, template, kw, expected = op
            args = [box_foreign(a) for a in template]
            for k, s in srcs:
                args[k] = slots[s]
            if not same(fn(*args, **kw), expected):
                raise Mismatch
    return (None if prog.out_node is None else slots[prog.out_node]), tape, slots
