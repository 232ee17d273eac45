"""``zymo.jit``: record a gradient function once per input signature, then replay the record.

Recording (``zymo.core.recording``) keeps, for each primitive the reverse trace
records, where its arguments came from, plus a guard for every place where
Python read traced data. A replay runs the primitives' NumPy implementations
on the new inputs from straight-line Python generated for the program
(``zymo.core.jit_codegen``; very large programs are interpreted from the
record list instead): no tracers, no dispatch, no Python of the user's
function. It checks every guard as it goes, then calls the same reverse rules
the tape's backward pass calls, in the same order. Any mismatch abandons the
replay and the call is traced anew, so a replay only ever repeats what the
function itself would have computed.

In-place writes replay as their recorded ``setitem`` records (see
``zymo.core.recording``). What cannot be replayed (nested differentiation,
``stop_gradient``, ``custom_vjp``, ``checkpoint``, random numbers drawn
inside the function, values that differ between two traces of the same
signature) makes ``zymo.jit`` run the function as ``value_and_grad`` does:
always correct, never slower by more than the recording.
"""

from __future__ import annotations

import functools
import random
import threading
import warnings
from collections import OrderedDict
from sys import getrefcount
from typing import Callable, NamedTuple

import numpy as np

from . import collector
from .differentiation import (
    Recorded,
    argnums_tuple,
    call_user,
    cast_like,
    finish,
    gradients,
    is_differentiable,
    reject_integer_argument,
    scalar_seed,
    unbox,
    zeros_like_leaf,
)
from .errors import ZymoError, ZymoWarning
from .jit_codegen import MAX_OPS, Mismatch, ReplayOp, generate, per_call, renewed
from .jit_externals import distinct, unchanged
from .jit_foreign import plain, same_foreign, shape_dtype, signature_part
from .jit_foreign import replay as replay_foreign
from .memory import memory_root
from .namespace import is_foreign, library_name
from .pytree import tree_flatten, tree_leaves, tree_unflatten
from .recording import CopyOp, GuardOp, PrimOp, Recorder, RecordingAborted
from .reverse import Absent, Record, ReverseTrace, Scatter
from .trace import CONST, box_foreign, new_level
from .tracer import Tracer

__all__ = ["jit"]

_MAX_FAILURES = 4  # consecutive failed replays or confirmations before a signature runs without replay
_STATIC_LEAVES = (int, float, complex, bool, str, bytes, type(None), np.generic, np.dtype, type)


class _Tape:
    __slots__ = ("tape",)

    def __init__(self, tape):
        self.tape = tape


class _Program:
    """What one recording left for replay."""

    __slots__ = (
        "n",
        "inputs",
        "ops",
        "externals",
        "out_node",
        "seed",
        "keep",
        "aux",
        "treedefs",
        "leaf_nodes",
        "run",
        "foreign",
    )

    def __init__(self, n, inputs, ops, externals, out_node, seed, keep, aux, treedefs, leaf_nodes, foreign=False):
        self.n = n
        self.inputs = inputs  # (argument index, leaf index, node) of every traced input leaf
        self.ops = ops
        self.externals = externals  # (array, what it is checked against): see ``jit_externals``
        self.out_node = out_node
        self.seed = seed
        self.keep = keep
        self.aux = aux  # None, or (treedef, [(True, node) | (False, constant)])
        self.treedefs = treedefs
        self.leaf_nodes = leaf_nodes  # per differentiated argument: each leaf's node (None: no gradient)
        self.run = None  # the generated function (``jit_codegen``), made at the first replay
        self.foreign = foreign  # recorded on arrays of another library: replayed by ``jit_foreign``


class _Entry:
    __slots__ = ("ready", "pending", "failures", "eager")

    def __init__(self):
        self.ready: _Program | None = None
        self.pending: _Program | None = None
        self.failures = 0
        self.eager = False


def _same(x, y) -> bool:
    """Whether two recorded values are the same (arrays by value; NaN equal to NaN)."""
    if x is y:
        return True
    tx = type(x)
    if tx is not type(y):
        return False
    if tx is np.ndarray:
        if x.shape != y.shape or x.dtype != y.dtype:
            return False
        return bool(np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"))
    if getattr(x, "_zymo_per_call", False):  # made anew for every call (see ``jit_codegen``)
        return True
    if isinstance(x, (tuple, list)):
        return len(x) == len(y) and all(_same(a, b) for a, b in zip(x, y))
    if tx is dict:
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    if tx is Tracer:  # boxed values (another library's arrays) compare by what they hold
        return x._trace is CONST and y._trace is CONST and _same(x._val, y._val)
    if is_foreign(x):
        return same_foreign(x, y)
    if tx is float or tx is complex or isinstance(x, np.inexact):
        return bool(x == y) or (x != x and y != y)
    try:
        r = x == y
    except Exception:
        return False
    return r if type(r) is bool else bool(r) if isinstance(r, np.bool_) else False


def _same_program(a: _Program, b: _Program) -> bool:
    """The same records with the same constants (guard outcomes may differ)."""
    if not _same_structure(a, b) or a.inputs != b.inputs or a.out_node != b.out_node:
        return False
    if len(a.externals) != len(b.externals) or not all(_same(x[1], y[1]) for x, y in zip(a.externals, b.externals)):
        return False
    for x, y in zip(a.ops, b.ops):
        if type(x) is ReplayOp:
            if not (_same(x.template, y.template) and _same(x.params, y.params)):
                return False
        elif type(x) is GuardOp and not (_same(x.template, y.template) and _same(x.kwargs, y.kwargs)):
            return False
    if (a.aux is None) != (b.aux is None):
        return False
    return a.aux is None or (a.aux[0] == b.aux[0] and _same(a.aux[1], b.aux[1]))


def _same_structure(a: _Program, b: _Program) -> bool:
    """The same operations on the same nodes in the same order, whatever their constants."""
    if a.n != b.n or len(a.ops) != len(b.ops):
        return False
    for x, y in zip(a.ops, b.ops):
        if type(x) is not type(y):
            return False
        if type(x) is ReplayOp:
            if x.node != y.node or x.impl is not y.impl or x.srcs != y.srcs:
                return False
        elif type(x) is CopyOp:
            if x != y:
                return False
        elif x.fn is not y.fn or x.srcs != y.srcs:
            return False
    return True


def _same_guards(a: _Program, b: _Program) -> bool:
    """Every guard read the same value in both (call only when the structures are the same)."""
    return all(type(x) is not GuardOp or _same(x.expected, y.expected) for x, y in zip(a.ops, b.ops))


def _signature(args, kwargs, nums):
    """The cache key of a call, and each argument's leaves; ``None`` when the call cannot be cached."""
    flat = []
    parts = []
    for i, a in enumerate(args):
        leaves, treedef = tree_flatten(a)
        parts.append(treedef)
        diff = i in nums
        for leaf in leaves:
            t = type(leaf)
            if t is np.ndarray:
                if leaf.dtype.kind in "fc":
                    parts.append((leaf.shape, leaf.dtype))
                elif leaf.dtype.kind == "O":
                    return None, None
                else:  # integer and boolean arrays (indices, masks) are part of the signature by value
                    parts.append((leaf.shape, leaf.dtype, leaf.tobytes()))
            elif diff and (t is float or t is complex or isinstance(leaf, np.inexact)):
                parts.append(t)
            elif isinstance(leaf, _STATIC_LEAVES):
                parts.append((t, leaf))
            else:
                part = signature_part(leaf)  # another library's floating-point array (else: no signature)
                if part is None:
                    return None, None
                parts.append(part)
        flat.append(leaves)
    for k, v in kwargs.items():
        if not isinstance(v, _STATIC_LEAVES):
            return None, None
        parts.append((k, type(v), v))
    return tuple(parts), flat  # hashed once, by the cache lookup (which refuses an unhashable static value)


def _compile(recorder: Recorder, trace, inputs, out, aux_tree, treedefs, leaf_nodes, keep, seeds, frozen=False):
    """The ``_Program`` of a finished recording, or the reason it cannot be replayed.

    ``seeds`` ``None`` compiles a forward pass: ``aux_tree`` is then the function's whole output.
    ``frozen``: arrays read from outside the arguments are declared unchanging, and not checked.
    """
    if recorder.unsafe is not None:
        return recorder.unsafe
    forward = seeds is None
    if not forward and (type(out) is not Tracer or out._trace is not trace or not seeds):
        return "the output does not depend on the differentiated inputs"
    tape = trace.tape
    covered = {node for _, _, node in inputs}
    # Nodes that depend on a differentiated input: only they need gradients (not, for example, the
    # non-differentiated arguments traced so that replay sees what is computed from them).
    needs = set(keep)
    ops = []
    for op in recorder.ops:
        if type(op) is not PrimOp:
            ops.append(op)
            continue
        rec = tape[op.node]
        if any(p in needs for p in rec.parents):
            needs.add(op.node)
        covered.add(op.node)
        replay_op = _replay_op(op, rec, needs)
        if isinstance(replay_op, str):
            return replay_op
        ops.append(replay_op)
    if covered != set(range(len(tape))):
        return "an operation was recorded outside the primitive path (custom_vjp or checkpoint)"
    aux = _aux_spec(aux_tree, trace)
    if isinstance(aux, str):
        return aux
    externals = [] if frozen else distinct(recorder.externals)
    foreign = any(type(tape[node].out) is Tracer for _, _, node in inputs)  # boxed: another library's arrays
    if forward:
        return _Program(len(tape), tuple(inputs), ops, externals, None, None, [], aux, [], [], foreign)
    seed = seeds[0][1]
    return _Program(len(tape), tuple(inputs), ops, externals, out._node, seed, keep, aux, treedefs, leaf_nodes, foreign)


def _replay_op(op: PrimOp, rec, needs):
    """The ``ReplayOp`` of a recorded primitive and its tape record, or the reason it cannot be replayed."""
    node, prim, srcs, template, params = op
    if per_call(params):  # the recording's per-call state (a fused kernel's saved activations) is not kept
        params = renewed(params)
    vals, ans = rec.vals, rec.out
    absents = tuple((k, v) for k, v in enumerate(vals) if type(v) is Absent)
    for k, v in enumerate(vals):
        if type(v) is Tracer and v._trace is not CONST:  # (CONST: another library's array, boxed)
            return "a value of an enclosing differentiation was used"
    if type(ans) is Absent:
        result = (ans.shape, ans.dtype, np.ndarray)
    else:
        result = _shape_dtype(ans) or shape_dtype(ans)
    if result is None:
        return f"`{prim.name}` gave a result replay cannot check"
    ans_absent = ans if type(ans) is Absent else None
    need = _wanted(rec.parents, needs)
    metas = tuple(_meta(v) for v in vals)
    return ReplayOp(
        node, prim.impl, srcs, template, params, prim, need, absents, ans_absent, *result, metas, _meta(ans)
    )


def _aux_spec(aux_tree, trace):
    """``None``, ``(treedef, [(True, node) | (False, constant)])``, or the reason replay cannot recompute it."""
    if aux_tree is None:
        return None
    leaves, treedef = tree_flatten(aux_tree)
    spec = []
    for leaf in leaves:
        if type(leaf) is Tracer:
            if leaf._trace is not trace or leaf._node is None:
                return "the output holds a value replay cannot recompute"
            spec.append((True, leaf._node))
        else:
            spec.append((False, leaf.copy(order="K") if type(leaf) is np.ndarray else leaf))
    return (treedef, spec)


def _global_random_states():
    """The positions of NumPy's legacy global generator and of Python's ``random`` (to see draws)."""
    state = np.random.get_state(legacy=False)["state"]
    return int(state["pos"]), state["key"].tobytes(), random.getstate()


def _wanted(parents, needs):
    """``parents`` with ``-1`` for those that need no gradient (the ``need`` list the rules receive)."""
    if all(p < 0 or p in needs for p in parents):
        return parents
    return [p if p in needs else -1 for p in parents]


def _meta(v):
    """``(shape, dtype)`` of an array value or its stand-in; ``None`` for Python numbers and the rest."""
    if type(v) is np.ndarray or type(v) is Absent or isinstance(v, np.generic):
        return (v.shape, v.dtype)
    return None


def _aux(prog: _Program, value_of):
    """The auxiliary output of a replay: recomputed values (``value_of(node)``) and copies of constants."""
    if prog.aux is None:
        return None
    treedef, spec = prog.aux
    leaves = [value_of(v) if is_node else (v.copy(order="K") if type(v) is np.ndarray else v) for is_node, v in spec]
    return tree_unflatten(treedef, leaves)


def _replayed_aux(prog: _Program, values: list):
    """The auxiliary output of a generated program's replay, from its values in the order of ``prog.aux``'s nodes."""
    if prog.aux is None:
        return None
    treedef, spec = prog.aux
    if len(values) == len(spec):  # every leaf is a recomputed value
        return tree_unflatten(treedef, values)
    it = iter(values)
    leaves = [next(it) if is_node else (v.copy(order="K") if type(v) is np.ndarray else v) for is_node, v in spec]
    return tree_unflatten(treedef, leaves)


def _gradient_trees(prog: _Program, grads: list, owned: list, leaves_all: list) -> list:
    """Each differentiated argument's gradient tree from a generated program's leaf gradients.

    What ``finish_gradients`` and ``assemble`` do, in one pass: arrays the caller owns (dense, contiguous,
    writeable, shared with nothing), in their input's type and dtype.
    """
    out = []
    k = 0
    for treedef, nodes, leaves in zip(prog.treedefs, prog.leaf_nodes, leaves_all):
        gl = []
        for n, leaf in zip(nodes, leaves):
            if n is None:
                gl.append(None)
                continue
            g = grads[k]
            grads[k] = None
            own = owned[k]
            k += 1
            if type(g) is np.ndarray:
                # two references (``g`` and getrefcount's argument): no other gradient or value is this array
                fresh = g.base is None and getrefcount(g) == 2
                if not ((own or fresh) and g.flags.writeable and g.flags.c_contiguous):
                    g = np.array(g, order="C")
                if type(leaf) is np.ndarray and g.dtype == leaf.dtype and g.shape == leaf.shape:
                    gl.append(g)
                    continue
            elif type(g) is Scatter:
                g = g.dense()
            gl.append(zeros_like_leaf(leaf) if g is None else cast_like(g, leaf))
        out.append(tree_unflatten(treedef, gl))
    return out


def _has_float_array(leaves) -> bool:
    return any(type(v) is np.ndarray and v.dtype.kind in "fc" for v in leaves)


def _shape_dtype(v):
    t = type(v)
    if t is np.ndarray or isinstance(v, np.generic):
        return (v.shape, v.dtype, t)
    if t is float or t is complex:
        return ((), None, t)
    return None


def _replay(prog: _Program, flat):
    """Run ``prog`` on the leaves ``flat``: ``(output value, tape, slots)``; raises ``Mismatch``."""
    for obj, snap in prog.externals:
        if not unchanged(obj, snap):
            raise Mismatch
    tape = [None] * prog.n
    slots = [None] * prog.n
    for i, j, node in prog.inputs:
        v = flat[i][j]
        slots[node] = v
        tape[node] = Record(None, (), [], v, None)
    for op in prog.ops:
        if type(op) is ReplayOp:
            node, impl, srcs, template, params, prim = op.node, op.impl, op.srcs, op.template, op.params, op.prim
            shape, dtype, otype, ans_absent = op.shape, op.dtype, op.otype, op.ans_absent
            args = template.copy()
            for k, s in srcs:
                args[k] = slots[s]
            if per_call(params):
                params = renewed(params)
            if prim.inplace and type(args[0]) is np.ndarray and not any(k == 0 for k, _ in srcs):
                args[0] = args[0].copy(order="K")  # a buffer made inside the function: a fresh one per call
            out = impl(*args, **params) if params else impl(*args)
            if type(out) is not otype or (dtype is not None and (out.shape != shape or out.dtype != dtype)):
                raise Mismatch
            slots[node] = out
            for k, a in op.absents:
                args[k] = a
            tape[node] = Record(prim, op.need, args, out if ans_absent is None else ans_absent, params)
        elif type(op) is CopyOp:
            node, slot = op
            rec = tape[node]
            if slot < 0:
                if type(rec.out) is np.ndarray:
                    rec.out = rec.out.copy()
            elif type(rec.vals[slot]) is np.ndarray:
                rec.vals[slot] = rec.vals[slot].copy()
        else:
            fn, srcs, template, kw, expected = op
            args = template.copy()
            for k, s in srcs:
                args[k] = slots[s]
            if not _same(fn(*args, **kw), expected):
                raise Mismatch
    return (None if prog.out_node is None else slots[prog.out_node]), tape, slots


class _Boxed(NamedTuple):
    """The arguments of a recorded call, with their traced leaves replaced by the trace's inputs."""

    args: list  # the arguments as the function receives them
    inputs: list  # (argument index, leaf index, node) of every traced leaf
    treedefs: list  # per differentiated argument: its tree structure
    leaf_nodes: list  # per differentiated argument: each leaf's node (``None``: no gradient)
    leaves: list  # per differentiated argument: its leaves


def _box_arguments(trace: ReverseTrace, recorder: Recorder, args, flat, nums) -> _Boxed:
    """Trace the differentiable leaves of the arguments ``nums`` and every float array of the others."""
    boxed_args = list(args)
    inputs, treedefs, leaf_nodes, leaves_all = [], [], [], []
    for i, a in enumerate(args):
        leaves = flat[i]
        treedef = tree_flatten(a)[1]
        boxed, nodes = [], []
        for j, leaf in enumerate(leaves):
            if is_differentiable(leaf) and (i in nums or type(leaf) is np.ndarray or is_foreign(leaf)):
                if (
                    i not in nums and type(leaf) is np.ndarray
                ):  # traced only so that replay sees what is computed from it
                    recorder.data_roots.add(id(memory_root(leaf)))
                t = trace.new_leaf(box_foreign(leaf))
                boxed.append(t)
                inputs.append((i, j, t._node))
                nodes.append(t._node)
            else:
                boxed.append(leaf)
                nodes.append(None)
        boxed_args[i] = tree_unflatten(treedef, boxed)
        if i in nums:
            treedefs.append(treedef)
            leaf_nodes.append(nodes)
            leaves_all.append(leaves)
    return _Boxed(boxed_args, inputs, treedefs, leaf_nodes, leaves_all)


def _call_recorded(f, trace: ReverseTrace, recorder: Recorder, args):
    """``f(*args)`` with ``recorder`` active; notes draws from the global random generators."""
    before = _global_random_states()
    try:
        with recorder:
            out = call_user(f, args)
        if _global_random_states() != before:
            recorder.unsafe = "the function draws from NumPy's or Python's global random generator"
    finally:
        trace.active = False
        trace.recorder = None
        trace.transposes.clear()
    return out


class Jitted:
    """A gradient function, or a plain function, that replays its recording (see :func:`jit`)."""

    def __init__(
        self,
        fun: Callable,
        f: Callable,
        argnums,
        has_aux: bool,
        kind: str,
        max_signatures: int,
        frozen: bool = False,
        reorder: bool = False,
    ):
        functools.update_wrapper(self, f)
        self._max = max_signatures
        self._frozen = frozen
        self._reorder = reorder
        self._eager = fun
        self._f = f
        self._argnums = argnums
        self._has_aux = has_aux
        self._kind = kind  # "value_and_grad", "grad", or "forward" (a plain function)
        self._cache: OrderedDict = OrderedDict()  # signature -> _Entry, least recently used first
        self._lock = threading.Lock()
        self._stats = {"traces": 0, "replays": 0, "mismatches": 0, "eager": 0}
        self._new_signatures = 0
        self._nums: dict = {}  # number of arguments -> ``_argnums_of``'s answer
        self.reasons: set[str] = set()
        """Why some calls ran without replay (a set of messages)."""

    @property
    def stats(self) -> dict:
        """Counts of calls that were traced, replayed, abandoned at a guard, or run without replay."""
        return dict(self._stats)

    def _count(self, what: str) -> None:
        self._stats[what] += 1

    def _argnums_of(self, nargs: int):
        """The traced argument positions and whether the gradient is of one argument only."""
        known = self._nums.get(nargs)
        if known is None:
            known = (tuple(range(nargs)), False) if self._kind == "forward" else argnums_tuple(self._argnums, nargs)
            self._nums[nargs] = known  # an argnums out of range raised above: it is never kept
        return known

    def __call__(self, *args, **kwargs):
        nums, single = self._argnums_of(len(args))
        key, flat = _signature(args, kwargs, nums)
        if key is None:
            foreign = [leaf for leaf in tree_leaves(args) if is_foreign(leaf)]
            if foreign:  # their values would be part of the signature: read from the device on every call
                self.reasons.add(
                    f"integer or boolean arrays of {library_name(foreign[0])} run without replay (the signature "
                    "holds such arrays' values, which would be read from the device on every call)"
                )
            else:
                self.reasons.add("an argument is neither an array nor a static Python value")
            self._count("eager")
            return self._eager(*args, **kwargs)
        with self._lock:
            try:
                entry = self._cache.get(key)
            except TypeError:  # an unhashable static value
                self.reasons.add("an argument is neither an array nor a static Python value")
                self._count("eager")
                return self._eager(*args, **kwargs)
            if entry is None:
                self._new_signatures += 1
                if self._new_signatures > 4 * self._max and self._stats["replays"] == 0:
                    # Every call brings a new signature (integer arrays are part of it by value): recording
                    # could never pay for itself.
                    self.reasons.add("the input signature changed on almost every call")
                    self._count("eager")
                    return self._eager(*args, **kwargs)
                entry = self._cache[key] = _Entry()
                if len(self._cache) > self._max:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(key)
        if entry.eager:
            self._count("eager")
            return self._eager(*args, **kwargs)
        prog = entry.ready
        if prog is not None:
            try:
                result = self._run(prog, args, flat, nums, single)
            except Mismatch:
                self._count("mismatches")
            except Exception:  # an error in a replayed operation: let tracing raise it with the user's line
                self._count("mismatches")
            else:
                entry.failures = 0
                self._count("replays")
                return result
        return self._trace(entry, args, kwargs, flat, nums, single)

    def _trace(self, entry: _Entry, args, kwargs, flat, nums, single):
        if self._kind != "forward":
            for i in nums:
                reject_integer_argument(i, flat[i])
        self._count("traces")
        try:
            result, prog = self._record(args, kwargs, flat, nums, single)
        except RecordingAborted as stop:  # stopped before it had any effect: run the call as usual
            prog = str(stop)
            result = self._eager(*args, **kwargs)
        except Exception:
            if self._kind == "forward":
                # An operation zymo cannot trace (or the function's own error, which the plain call raises again).
                result = self._eager(*args, **kwargs)
                prog = "an operation of the function cannot be traced"
            elif not any(i not in nums and _has_float_array(leaves) for i, leaves in enumerate(flat)):
                raise  # the recording ran exactly as value_and_grad would have: its error is the user's
            else:
                # The recording traced non-differentiated arrays too; whether the error is the function's own
                # is decided by running the call as value_and_grad does (which raises it again if so).
                result = self._eager(*args, **kwargs)
                prog = "a non-differentiated argument is used in a way replay cannot follow"
        self._settle(entry, prog)
        return result

    def _settle(self, entry: _Entry, prog) -> None:
        """Keep a new recording (or its failure) for the signature of ``entry``."""
        if isinstance(prog, str):
            self.reasons.add(prog)
            self._count("eager")
            entry.eager = True
            entry.ready = entry.pending = None
            return
        if entry.ready is not None and _same_program(entry.ready, prog):
            entry.ready = prog  # the same computation, with the guard outcomes of this input
            entry.failures += 1
        elif entry.pending is None:
            entry.pending = prog
        elif _same_program(entry.pending, prog):
            entry.ready, entry.pending = prog, None
        elif _same_structure(entry.pending, prog) and _same_guards(entry.pending, prog):
            # Python read the same values in both traces, yet they recorded different constants: the function
            # draws random numbers or reads state that changes between calls, so a replay would repeat stale values.
            self.reasons.add("two calls with the same input signature recorded different constants")
            warnings.warn(
                f"zymo.jit: {getattr(self._f, '__name__', 'the function')} computed different constants in two "
                "calls with the same input shapes (random numbers, such as the weights of a layer built inside "
                "it without a fixed `rng`, or state read from outside its arguments); it runs without replay. "
                "Fix: build layers and draw random numbers outside the function and pass them in as arguments "
                "(or give each layer `rng=np.random.default_rng(seed)`).",
                ZymoWarning,
                stacklevel=4,
            )
            entry.eager = True
            entry.ready = entry.pending = None
        else:
            entry.pending = prog
            entry.ready = None
            entry.failures += 1
        if entry.failures >= _MAX_FAILURES:
            self.reasons.add("its guards kept failing (values Python reads change between calls)")
            entry.eager = True
            entry.ready = entry.pending = None

    def _record(self, args, kwargs, flat, nums, single):
        """Run the function under a recording reverse trace: ``(result, program or reason)``."""
        f = functools.partial(self._f, **kwargs) if kwargs else self._f
        collector.pause()
        try:
            with new_level() as level:
                trace = ReverseTrace(level)
                recorder = Recorder(trace, frozen=self._frozen)
                trace.recorder = recorder
                boxed = _box_arguments(trace, recorder, args, flat, nums)
                out = _call_recorded(f, trace, recorder, boxed.args)
            if self._kind == "forward":
                prog = _compile(recorder, trace, boxed.inputs, out, out, [], [], [], None, self._frozen)
                return unbox(out, trace), prog
            return self._finish_gradient(trace, recorder, boxed, out, single)
        finally:
            finish()
            collector.resume()

    def _finish_gradient(self, trace, recorder, boxed: _Boxed, out, single):
        """The gradient result of a recorded call, and its program (or the reason it cannot be replayed)."""
        aux = aux_tree = None
        if self._has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise ZymoError("with has_aux=True the function must return a pair (output, aux)")
            out, aux_tree = out
            aux = unbox(aux_tree, trace)
        seeds = scalar_seed(out, trace)
        keep = [n for nodes in boxed.leaf_nodes for n in nodes if n is not None]
        prog = _compile(
            recorder, trace, boxed.inputs, out, aux_tree, boxed.treedefs, boxed.leaf_nodes, keep, seeds, self._frozen
        )
        rec = Recorded(trace, out, boxed.treedefs, boxed.leaf_nodes, boxed.leaves)
        grads = gradients(rec, seeds, retain=False)
        value = unbox(out, trace)
        return self._package(value, aux, grads, single), prog

    def _run(self, prog: _Program, args, flat, nums, single):
        if prog.foreign:
            return self._interpret(prog, flat, nums, single)
        if prog.run is None:
            prog.run = generate(prog, self._reorder) if len(prog.ops) <= MAX_OPS else False
        collector.pause()
        try:
            if prog.run is False:
                return self._interpret(prog, flat, nums, single)
            for obj, snap in prog.externals:
                if not unchanged(obj, snap):
                    raise Mismatch
            value, aux_values, grads, owned = prog.run([flat[i][j] for i, j, _ in prog.inputs], _same)
        finally:
            collector.resume()
        aux = _replayed_aux(prog, aux_values)
        if self._kind == "forward":
            return aux
        return self._package(value, aux, _gradient_trees(prog, grads, owned, [flat[i] for i in nums]), single)

    def _interpret(self, prog: _Program, flat, nums, single):
        """Replay by walking the record list (for programs too large to compile, and on other libraries' arrays)."""
        if prog.foreign:
            for obj, snap in prog.externals:
                if not unchanged(obj, snap):
                    raise Mismatch
            value, tape, slots = replay_foreign(prog, flat, _same)
            value = plain(value)
            aux = _aux(prog, lambda node: plain(slots[node]))
        else:
            value, tape, slots = _replay(prog, flat)
            aux = _aux(prog, slots.__getitem__)
        if self._kind == "forward":
            return aux
        leaves_all = [flat[i] for i in nums]
        rec = Recorded(_Tape(tape), None, prog.treedefs, prog.leaf_nodes, leaves_all)
        grads = gradients(rec, [(prog.out_node, prog.seed)], retain=False)
        return self._package(value, aux, grads, single)

    def _package(self, value, aux, grads, single):
        g = grads[0] if single else tuple(grads)
        if self._kind == "grad":
            return (g, aux) if self._has_aux else g
        return ((value, aux), g) if self._has_aux else (value, g)


def jit(fun: Callable, *, max_signatures: int = 32, frozen: bool = False, reorder: bool = False) -> Jitted:
    """Compile ``fun`` by trace-and-replay: a gradient function (``zymo.grad``, ``zymo.value_and_grad``) or a plain one.

    The first calls with a given input signature (the tree structure of the
    arguments, each array's shape and dtype, the values of integer arrays and
    static Python values) run as usual while the operations are recorded;
    once two recordings agree, later calls replay the record without running
    the Python of the function. Every place where Python read traced data is
    re-checked on replay and a difference re-traces the call, so results are
    always those of ``fun``, in-place writes included. Functions that nest
    differentiation, draw random numbers or use ``stop_gradient``,
    ``custom_vjp`` or ``checkpoint`` run without replay (``.reasons`` says
    why). Like ``jax.jit``, arrays read from outside the arguments are
    constants: an in-place change to one is noticed, a global rebound to a new
    array is not; pass values that change as arguments. Recordings of the
    ``max_signatures`` most recently used signatures are kept.

    Every replay first checks that the arrays read from outside the arguments
    still hold the bytes they held when the call was recorded (one pass over
    each). ``frozen=True`` declares that they never change in place and skips
    the check: a replay then uses the values they had when it was recorded.

    ``reorder=True`` lets the replay sum in another order than ``fun`` does,
    to batch the steps of a recurrence: matrix products that share a weight
    give the weight's gradient as one product over all steps, and when every
    step's left operand is known up front (the inputs) the steps' products
    and those operands' gradients run as one product each, as cuDNN does
    (products ``W @ a_t`` with the weight on the left: the steps side by side
    as columns).
    Results then differ from ``fun``'s by rounding only (tested within 1e-5
    relative in float32 and 1e-12 in float64); without it, replayed results
    equal ``fun``'s bit for bit.

    Calls on arrays of other array libraries (CuPy, ``array_api_strict``) replay too, operation by
    operation in that library, equal to ``value_and_grad`` bit for bit (``zymo.core.jit_foreign``).

    A plain function (not made by ``zymo.grad`` or ``zymo.value_and_grad``)
    replays its forward computation only, for inference: its floating-point
    array and number arguments are the recording's inputs, it may return any
    pytree, and replayed results equal the function's bit for bit.

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> vg = zymo.jit(zymo.value_and_grad(lambda w, x: znp.sum(znp.tanh(x @ w))))
        >>> x = np.ones((2, 3))
        >>> for step in range(3):
        ...     value, g = vg(np.full((3,), 0.1 * step), x)
        >>> g.round(4).tolist(), vg.stats["replays"]
        ([1.4232, 1.4232, 1.4232], 1)
        >>> predict = zymo.jit(lambda w, x: np.tanh(x @ w))
        >>> [predict(np.full((3,), 0.1), x).round(4).tolist() for _ in range(3)][-1], predict.stats["replays"]
        ([0.2913, 0.2913], 1)
    """
    if max_signatures < 1:
        raise ZymoError(f"zymo.jit: max_signatures must be at least 1, got {max_signatures}")
    if isinstance(fun, Jitted):
        raise ZymoError("zymo.jit: the function is compiled already (pass the function itself)")
    if not callable(fun):
        raise ZymoError(f"zymo.jit compiles functions: pass a function, got {fun!r}")
    spec = getattr(fun, "_zymo_gradient", None)
    if spec is None:
        return Jitted(fun, fun, None, False, "forward", max_signatures, frozen, reorder)
    f, argnums, has_aux, kind = spec
    return Jitted(fun, f, argnums, has_aux, kind, max_signatures, frozen, reorder)
