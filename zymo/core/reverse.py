"""Reverse mode: the tape, the vector-Jacobian-product rule table, and the backward pass.

The forward pass appends one flat ``Record`` per primitive applied to traced
values: the primitive, its parent nodes, its input values, its output value and its params.
No closure is built per operation, and a record keeps only the values its
rules read (``saves=``); the others become shape/dtype stand-ins, so their
memory is freed during the forward pass. The backward pass walks the tape
once, from the output down, calling each record's rules and accumulating
gradients (in place only into arrays the engine made and nothing else
refers to); a record's saved values are dropped as soon as it has been
processed.
"""

from __future__ import annotations

from sys import getrefcount
from typing import Callable, Sequence

import numpy as np

from .errors import ZymoError, unsupported
from .memory import register_saved, track
from .namespace import is_foreign, numpy_dtype
from .namespace import state as _namespace
from .primitive import Primitive
from .pytree import tree_flatten, tree_unflatten
from .trace import CONST, Trace, lower_args
from .tracer import Tracer, bottom, is_inexact, new_tracer, object_array_error, snapshot

__all__ = [
    "ReverseTrace",
    "Record",
    "Absent",
    "dtype_of",
    "Cotangents",
    "defvjp",
    "defvjp_all",
    "defvjp_plain",
    "Scatter",
    "accumulate",
    "backward",
]


def defvjp(
    prim: Primitive,
    *rules: Callable | None,
    saves: Sequence[int | str] | None = None,
    owned: Sequence[Callable | None] | None = None,
) -> None:
    """Attach one vector-Jacobian rule per positional argument of ``prim``.

    Each rule is called as ``rule(g, ans, *args, **params)`` and returns the
    gradient for its argument (``None`` marks a non-differentiable argument).
    ``saves`` names the argument positions (and ``"ans"``) whose *values* the
    rules read; only those are kept safe from later in-place writes. By
    default every argument and the output are.

    Example:
        >>> import numpy as np, zymo
        >>> @zymo.primitive
        ... def cube(x):
        ...     return x ** 3
        >>> zymo.defvjp(cube, lambda g, ans, x: g * 3 * x ** 2, saves=(0,))
    """
    prim.vjp = tuple(rules)
    prim.vjp_partial = any(r is None for r in rules)
    prim.saves = None if saves is None else tuple(-1 if s == "ans" else s for s in saves)
    prim.vjp_owned = None if owned is None else tuple(owned)
    prim.vjp_plain = None
    prim.vjp_arity = 0 if prim.vjp_partial else len(rules)
    _set_drop(prim, len(rules))


def _set_drop(prim: Primitive, nargs: int | None) -> None:
    """Precompute what a record of ``prim`` keeps (``nargs=None``: variadic, decided per call)."""
    saves = prim.saves
    prim.save_ans = saves is None or -1 in saves
    prim.drop = None if saves is None or nargs is None else tuple(k for k in range(nargs) if k not in saves)


def defvjp_all(prim: Primitive, rule: Callable, saves: Sequence[int | str] | None = None) -> None:
    """Attach one rule returning the gradients of all positional arguments at once.

    ``rule(g, ans, *args, **params)`` returns a sequence with one entry per
    argument (``None`` where there is no gradient). Used for variadic
    primitives such as ``concatenate``.
    """
    prim.vjp = rule
    prim.vjp_partial = False
    prim.saves = None if saves is None else tuple(-1 if s == "ans" else s for s in saves)
    prim.vjp_owned = None
    prim.vjp_plain = None
    prim.vjp_arity = 0
    _set_drop(prim, None)


def defvjp_plain(prim: Primitive, rule: Callable) -> None:
    """Attach a fast path used when the cotangent is a plain ndarray (call after ``defvjp``).

    ``rule(g, ans, need, *args, **params)`` returns a sequence with every
    argument's gradient (``need[i] >= 0`` when argument ``i``'s is wanted; the
    others may be anything), or ``None`` to fall back to the per-argument
    rules. One call per record instead of one per argument, for the hottest
    primitives; it must give exactly what those rules give.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.core.reverse import defvjp_plain
        >>> @zymo.primitive
        ... def double(x):
        ...     return 2 * x
        >>> zymo.defvjp(double, lambda g, ans, x: 2 * g, saves=())
        >>> defvjp_plain(double, lambda g, ans, need, x: (2 * g,))
        >>> zymo.grad(lambda x: double(x).sum())(np.ones(2))
        array([2., 2.])
    """
    prim.vjp_plain = rule


def _check_rules(prim, parents) -> None:
    """Raise zymo's error if a traced argument of this call of ``prim`` has no reverse rule."""
    rules = prim.vjp
    if rules is None:
        raise unsupported(prim.name)
    if type(rules) is not tuple or not (prim.vjp_partial or len(parents) > len(rules)):
        return
    for j, p in enumerate(parents):
        if p >= 0 and (j >= len(rules) or rules[j] is None):
            raise unsupported(
                f"{prim.name} with respect to its argument {j}",
                "pass that argument through zymo.stop_gradient, or define a rule with @zymo.custom_vjp",
            )


class Absent:
    """Stands in, on the tape, for an input or output the rules do not read (only its shape and dtype).

    Dropping the value lets its memory be freed during the forward pass. A rule
    that reads the value anyway gets an error naming the primitive, not a
    wrong number.
    """

    __slots__ = ("shape", "dtype", "prim", "slot")

    def __init__(self, value, prim, slot):
        b = value if type(value) is np.ndarray else bottom(value)
        if type(b) is np.ndarray:
            self.shape = b.shape
            self.dtype = b.dtype
        elif is_foreign(b):
            self.shape = b.shape
            self.dtype = numpy_dtype(b.dtype)
        else:
            self.shape = np.shape(b)
            self.dtype = b.dtype if hasattr(b, "dtype") else np.result_type(b)
        self.prim = prim
        self.slot = slot

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def __len__(self) -> int:
        return self.shape[0]

    def __array__(self, dtype=None, copy=None):
        what = "its output" if self.slot < 0 else f"its argument {self.slot}"
        raise ZymoError(
            f"internal error: a derivative rule of `{self.prim.name}` read the value of {what}, "
            "which its `saves=` does not list. Fix: add it to `saves` in that rule's `defvjp`."
        )

    def __repr__(self) -> str:
        return f"Absent(shape={self.shape}, dtype={self.dtype})"


def dtype_of(x) -> np.dtype:
    """NumPy's dtype of a value: an array of any library, traced or not, a number, or an ``Absent`` stand-in."""
    if type(x) is np.ndarray or type(x) is Absent:
        return x.dtype
    while type(x) is Tracer:
        x = x._val
    if type(x) is not np.ndarray and is_foreign(x):
        return numpy_dtype(x.dtype)
    return x.dtype if hasattr(x, "dtype") else np.result_type(x)


_new_object = object.__new__


def _absent(value, prim, slot) -> Absent:
    """``Absent(value, prim, slot)``, without the constructor call for the common ndarray case."""
    if type(value) is not np.ndarray:
        return Absent(value, prim, slot)
    a = _new_object(Absent)
    a.shape = value.shape
    a.dtype = value.dtype
    a.prim = prim
    a.slot = slot
    return a


class Record:
    """One tape entry: a primitive applied to traced values.

    ``parents`` holds each argument's tape node (``-1``: a constant), ``vals`` the
    argument values the rules read (``Absent`` stand-ins for the others), ``out``
    the output (or its stand-in). A differentiated input's record has ``prim``
    ``None``. Copy-on-write may replace entries of ``vals`` and ``out`` by copies.
    """

    __slots__ = ("prim", "parents", "vals", "out", "params")

    def __init__(self, prim, parents, vals, out, params):
        self.prim = prim
        self.parents = parents
        self.vals = vals
        self.out = out
        self.params = params

    def clear(self) -> None:
        """Drop everything the record holds (it has been processed)."""
        self.prim = self.parents = self.vals = self.out = self.params = None


class Cotangents:
    """The cotangents of a record with several outputs: one slot per output leaf (``None`` = zero)."""

    __slots__ = ("parts",)

    def __init__(self, parts: list):
        self.parts = parts

    def __add__(self, other: "Cotangents") -> "Cotangents":
        parts = []
        for a, b in zip(self.parts, other.parts):
            parts.append(b if a is None else a if b is None else a + b)
        return Cotangents(parts)


def _select_rule(g, ans, *, k, n):
    parts = [None] * n
    parts[k] = g
    return Cotangents(parts)


_SELECT = Primitive(lambda: None, "custom_vjp output")
_SELECT.vjp = (_select_rule,)


def _stand_in_unsaved(prim, vals: list) -> None:
    """Replace the arguments of a variadic ``prim`` that its rules do not read by ``Absent`` stand-ins."""
    saves = prim.saves
    for k, v in enumerate(vals):
        if (type(v) is np.ndarray or type(v) is Tracer) and k not in saves:
            vals[k] = _absent(v, prim, k)


def _outer_value(a: Tracer, vals: list, k: int) -> bool:
    """Put at ``vals[k]`` the value of ``a``, a tracer of another trace; whether that trace must run the operation."""
    if a._trace.level == 0:
        v = a._val
        if type(v) is np.ndarray or not is_foreign(v):
            vals[k] = v
            return False
        return True  # a boxed foreign array stays boxed: the constant trace runs it in its namespace
    vals[k] = snapshot(a)
    return True


def _run_nested(prim, vals: list, params: dict):
    """``prim`` applied by the enclosing traces (an argument belongs to one of them)."""
    out = prim(*vals, **params)
    if _namespace.seen:
        _box_plain_foreign(vals)  # the rules then run NumPy code on them through zymo's tables
    return out


def _carries_derivative(out) -> bool:
    """Whether ``out``, an output that is not an ndarray, carries a derivative (an inexact scalar or tracer)."""
    if type(out) is Tracer:
        return out._trace is not CONST or is_inexact(out)  # a boxed foreign integer or boolean array does not
    return type(out) is float or type(out) is complex or isinstance(out, np.inexact)


class ReverseTrace(Trace):
    """One ``grad``/``vjp`` call: records a tape of the primitives applied to its tracers."""

    __slots__ = ("tape", "indexed", "recorder")

    def __init__(self, level: int):
        super().__init__(level)
        self.tape: list = []
        self.recorder = None  # a ``zymo.core.recording.Recorder`` while ``zymo.jit`` traces
        self.indexed = 0  # records before this one are registered for copy-on-write
        track(self.index_saved)

    def new_leaf(self, value) -> Tracer:
        """A tracer for a differentiated input."""
        rec = _new_object(Record)  # Record(None, (), [], value, None), without the call
        rec.prim = None
        rec.parents = ()
        rec.vals = []
        rec.out = value
        rec.params = None
        tape = self.tape
        tape.append(rec)
        return new_tracer(value, self, len(tape) - 1)

    # Longer than the ~60 lines a function is held to, deliberately: this runs once per recorded operation. Its
    # rare branches live in helpers; moving the hot rest too (the stand-ins, the record's output) together with
    # backward's two accumulation loops cost value_and_grad 4.4% at T=6 and 0.9% at T=200 in
    # `benchmarks/compare.py --bench overhead` (5 rounds, CPU time), 2-3% in an in-process timing.
    def process(self, prim, args, params):
        if not self.active:
            raise self.escaped()
        vals = list(args)
        parents = [-1] * len(vals)
        nested = False
        k = 0
        for a in args:
            if type(a) is Tracer:
                if a._trace is self:
                    v = vals[k] = a._val
                    parents[k] = a._node
                    if type(v) is Tracer:  # an enclosing trace's value: let that trace run the operation
                        nested = True
                elif _outer_value(a, vals, k):
                    nested = True
            k += 1
        if self.recorder is not None and prim.inplace:
            self.recorder.before_inplace(args, parents)
        out = _run_nested(prim, vals, params) if nested else prim.impl(*vals, **params) if params else prim.impl(*vals)
        to = type(out)
        if to is np.ndarray:
            if out.dtype.kind not in "fc":
                return self._untraced_output(prim, args, params, out)
        elif not _carries_derivative(out):
            return self._untraced_output(prim, args, params, out)
        if prim.vjp is None or len(parents) > prim.vjp_arity:
            _check_rules(prim, parents)
        drop = prim.drop
        if drop is not None:
            # Keep only what the rules read; the rest becomes a shape/dtype stand-in, so it can be freed.
            nv = len(vals)
            for k in drop:
                if k < nv:
                    v = vals[k]
                    tv = type(v)
                    if tv is np.ndarray:  # _absent(v, prim, k), inlined on this hot path
                        a = _new_object(Absent)
                        a.shape = v.shape
                        a.dtype = v.dtype
                        a.prim = prim
                        a.slot = k
                        vals[k] = a
                    elif tv is Tracer:
                        vals[k] = Absent(v, prim, k)
        elif prim.saves is not None:
            _stand_in_unsaved(prim, vals)
        rec = _new_object(Record)  # Record(prim, parents, vals, out, params), without the call, on this hot path
        rec.prim = prim
        rec.parents = parents
        rec.vals = vals
        rec.params = params
        if prim.save_ans:
            rec.out = out
        elif to is np.ndarray:
            a = _new_object(Absent)
            a.shape = out.shape
            a.dtype = out.dtype
            a.prim = prim
            a.slot = -1
            rec.out = a
        elif to is Tracer:
            rec.out = Absent(out, prim, -1)
        else:
            rec.out = out
        tape = self.tape
        tape.append(rec)
        if self.recorder is not None:
            self.recorder.record_prim(len(tape) - 1, prim, args, parents, params, rec)
        res = _new_object(Tracer)  # new_tracer(out, self, node), inlined on this hot path
        res._val = out
        res._trace = self
        res._node = len(tape) - 1
        res._ver = 0
        res._view = None
        res._own = False
        return res

    def _untraced_output(self, prim, args, params, out):
        """An output that carries no derivative (integers, booleans, objects): returned as it is, and noted as read
        by Python for an active ``zymo.jit`` recording."""
        if type(out) is np.ndarray and out.dtype.kind == "O":
            raise object_array_error()
        if self.recorder is not None:
            self.recorder.record_guard(prim.impl, args, params, out)
        return out

    def process_custom(self, fn, args):
        """One record whose saved values are ``fn``'s residuals (and one selector record per output leaf).

        Its rule is ``fn.rule``; the rules never read the outputs, so the records do not keep them alive.
        """
        in_leaves, in_defs = [], []
        for a in args:
            leaves, treedef = tree_flatten(a)
            in_leaves.extend(leaves)
            in_defs.append(treedef)
        out, residuals = fn.lower(lower_args(args, self), self)
        out_leaves, out_def = tree_flatten(out)
        diff = [is_inexact(o) for o in out_leaves]
        if not any(diff):
            return out
        parents = [x._node if type(x) is Tracer and x._trace is self else -1 for x in in_leaves]
        res_leaves, res_def = tree_flatten(residuals)
        res_leaves = [snapshot(r) if type(r) is Tracer and r._trace.level > 0 else r for r in res_leaves]
        for k in range(len(res_leaves)):
            register_saved(res_leaves, k)
        params = fn.rule_params(
            res_def, out_def, [o if d else None for o, d in zip(out_leaves, diff)], in_defs, in_leaves
        )
        tape = self.tape
        tape.append(Record(fn.rule, parents, res_leaves, None, params))
        node = len(tape) - 1
        if len(out_leaves) == 1:
            return tree_unflatten(out_def, [new_tracer(out_leaves[0], self, node)])
        boxed = []
        n = len(out_leaves)
        for k, (o, d) in enumerate(zip(out_leaves, diff)):
            if not d:
                boxed.append(o)
                continue
            tape.append(Record(_SELECT, [node], [], None, {"k": k, "n": n}))
            boxed.append(new_tracer(o, self, len(tape) - 1))
        return tree_unflatten(out_def, boxed)

    def index_saved(self) -> None:
        """Register the values saved by records made since the last call (see ``zymo.core.memory``)."""
        tape = self.tape
        for i in range(self.indexed, len(tape)):
            rec = tape[i]
            if rec is None or rec.prim is None:
                continue
            vals = rec.vals
            for k, v in enumerate(vals):
                if type(v) is np.ndarray or type(v) is Tracer:
                    register_saved(vals, k)
            out = rec.out
            if type(out) is np.ndarray or type(out) is Tracer:
                register_saved(rec, -1)
        self.indexed = len(tape)


def _box_plain_foreign(vals: list) -> None:
    for k, v in enumerate(vals):
        if type(v) is not Tracer and type(v) is not np.ndarray and is_foreign(v):
            vals[k] = new_tracer(v, CONST, None)


def _is_basic_index(idx) -> bool:
    if type(idx) is not tuple:
        idx = (idx,)
    for i in idx:
        if not (i is None or i is Ellipsis or type(i) is slice or type(i) is int or isinstance(i, np.integer)):
            return False
    return True


class Scatter:
    """A sparse gradient: ``val`` added at ``idx`` of a zero array (from reading ``x[idx]``).

    Kept sparse until another gradient meets it, so reading one row of a large
    buffer costs the size of the row, not of the buffer.
    """

    __slots__ = ("shape", "dtype", "idx", "val")

    def __init__(self, shape, dtype, idx, val):
        self.shape = shape
        self.dtype = dtype
        self.idx = idx
        self.val = val

    def add_into(self, dense: np.ndarray) -> None:
        if _is_basic_index(self.idx):
            dense[self.idx] += self.val
        else:
            np.add.at(dense, self.idx, self.val)

    def dense(self) -> np.ndarray:
        z = np.zeros(self.shape, self.dtype)
        self.add_into(z)
        return z


def _sum_dtype(a, b):
    return np.result_type(a.dtype, b.dtype)


def accumulate(grads, owned, p, gj, gown):
    cur = grads[p]
    if cur is None:
        grads[p] = gj
        owned[p] = gown
        return
    tc, tg = type(cur), type(gj)
    if tc is np.ndarray and tg is np.ndarray and cur.shape == gj.shape:
        dt = cur.dtype
        if gj.dtype != dt:
            dt = _sum_dtype(cur, gj)
        if owned[p] and cur.dtype == dt:
            cur += gj
            return
        if gown and gj.dtype == dt:
            gj += cur
            grads[p] = gj
            owned[p] = True
            return
        grads[p] = cur + gj
        owned[p] = True
        return
    if tc is Scatter or tg is Scatter:
        if tc is Tracer or tg is Tracer:  # a traced cotangent (higher order) meets a plain sparse one
            grads[p] = (cur.dense() if tc is Scatter else cur) + (gj.dense() if tg is Scatter else gj)
            owned[p] = False
            return
        if tc is Scatter and tg is Scatter:
            d = cur.dense()
            gj.add_into(d)
        elif tc is Scatter:
            if gown and type(gj) is np.ndarray:
                d = gj
            else:
                d = np.array(gj, dtype=np.result_type(cur.dtype, gj), copy=True)
            cur.add_into(d)
        else:
            if owned[p] and type(cur) is np.ndarray:
                d = cur
            else:
                d = np.array(cur, dtype=np.result_type(cur, gj.dtype), copy=True)
            gj.add_into(d)
        grads[p] = d
        owned[p] = True
        return
    grads[p] = cur + gj
    owned[p] = False


# Longer than the ~60 lines a function is held to, deliberately: the loop runs once per tape record, and moving
# its plain-rule and per-argument-rule accumulation loops into helpers (with ReverseTrace.process's stand-ins)
# cost value_and_grad 4.4% at T=6 and 0.9% at T=200 in `benchmarks/compare.py --bench overhead` (5 rounds, CPU time).
def backward(trace: ReverseTrace, seeds, keep: Sequence[int], retain: bool = False) -> list:
    """Propagate cotangents ``seeds`` (pairs ``(node, g)``) down the tape (consumed as it goes unless ``retain``).

    Returns the gradients of the nodes in ``keep`` (``None`` where no path reaches them), the caller's own arrays.
    """
    tape = trace.tape
    grads: list = [None] * len(tape)
    owned = [False] * len(tape)
    start = _seed(grads, owned, seeds)
    keep_set = set(keep)
    ndarray = np.ndarray
    for i in range(start, -1, -1):
        g = grads[i]
        if g is None:
            continue
        rec = tape[i]
        prim = rec.prim
        if prim is None:
            continue
        if i not in keep_set:
            grads[i] = None
        own = owned[i]
        if type(g) is Scatter:
            g, own = g.dense(), True
        parents, vals, ans, params = rec.parents, rec.vals, rec.out, rec.params
        rules = prim.vjp
        plain = prim.vjp_plain
        if (
            plain is not None
            and type(g) is ndarray
            and (gs := plain(g, ans, parents, *vals, **params) if params else plain(g, ans, parents, *vals)) is not None
        ):
            j = len(parents)
            while j:
                j -= 1
                p = parents[j]
                if p < 0:
                    continue
                gj = gs[j]
                # As below; three references: ``gs``, ``gj`` and getrefcount's argument.
                gown = type(gj) is ndarray and gj.base is None and getrefcount(gj) == 3 and gj.flags.writeable
                cur = grads[p]
                if cur is None:
                    grads[p] = gj
                    owned[p] = gown
                elif (
                    owned[p]
                    and type(cur) is ndarray
                    and type(gj) is ndarray
                    and cur.shape == gj.shape
                    and cur.dtype == gj.dtype
                ):
                    cur += gj  # accumulate's commonest case, inlined
                else:
                    accumulate(grads, owned, p, gj, gown)
        elif type(rules) is tuple:
            owned_rules = prim.vjp_owned if (own and not retain and type(g) is ndarray) else None
            j = len(parents)
            while j:
                j -= 1
                p = parents[j]
                if p < 0:
                    continue
                if owned_rules is not None and owned_rules[j] is not None:
                    gj = owned_rules[j](g, ans, *vals, **params)
                    gown = True
                else:
                    gj = rules[j](g, ans, *vals, **params) if params else rules[j](g, ans, *vals)
                    # Accumulate into the result only if it is a new array that nothing else refers to: not an
                    # input, a saved value, a constant of the rule, nor the base of a view (two references:
                    # ``gj`` and getrefcount's argument).
                    gown = type(gj) is ndarray and gj.base is None and getrefcount(gj) == 2 and gj.flags.writeable
                if grads[p] is None:
                    grads[p] = gj
                    owned[p] = gown
                else:
                    accumulate(grads, owned, p, gj, gown)
        else:
            _apply_joint_rule(grads, owned, rules, g, ans, parents, vals, params)
        if not retain:
            # The copy-on-write registry may still hold the list and the record: empty both (``rec.clear()``,
            # inlined; the registry skips records whose ``prim`` is ``None``).
            vals.clear()
            rec.prim = rec.out = rec.params = None
            tape[i] = None
    return _handed_over(grads, owned, keep)


def _seed(grads: list, owned: list, seeds) -> int:
    """Put the cotangents ``seeds`` (pairs ``(node, g)``) in place; the highest node seeded (``-1``: none)."""
    start = -1
    for node, g in seeds:
        if type(g) is not np.ndarray and is_foreign(g):
            g = new_tracer(g, CONST, None)
        accumulate(grads, owned, node, g, False)
        if node > start:
            start = node
    return start


def _apply_joint_rule(grads, owned, rule, g, ans, parents, vals, params) -> None:
    """Accumulate the cotangents of a rule that gives every argument's at once (``defvjp_all``)."""
    gs = rule(g, ans, *vals, **params)
    for j, p in enumerate(parents):
        if p >= 0 and gs[j] is not None:
            accumulate(grads, owned, p, gs[j], False)


def _handed_over(grads: list, owned: list, keep) -> list:
    """The gradients of the nodes ``keep``, dense, and the caller's own: contiguous, writeable, shared with nothing."""
    out = []
    for k in keep:
        g = grads[k]
        if type(g) is Scatter:
            g = g.dense()
        elif type(g) is np.ndarray and not (owned[k] and g.flags.writeable and g.flags.c_contiguous):
            g = np.array(g, order="C")  # the caller's own contiguous copy, never a view of engine state
        grads[k] = None
        owned[k] = False
        out.append(g)
    return out
