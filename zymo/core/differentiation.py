"""Running a function under a reverse trace, and the gradient trees of its inputs.

The machinery under the public transforms (``zymo.core.api``), ``zymo.jit`` and
``zymo.checkpoint``: box the differentiated leaves as tape inputs (``record``),
propagate cotangents down the tape (``gradients``) and give each gradient its
input's structure, type and dtype (``assemble``).

Example:
    >>> import numpy as np
    >>> from zymo.core.differentiation import finish, gradients, record, scalar_seed
    >>> rec, _ = record(lambda x: (x * x).sum(), (np.array([1.0, 2.0]),), (0,), False)
    >>> grads = gradients(rec, scalar_seed(rec.out, rec.trace), retain=False)
    >>> finish()
    >>> grads
    [array([2., 4.])]
"""

from __future__ import annotations

import numpy as np

from . import memory
from .errors import NonScalarOutputError, ZymoError, take_remembered, user_location
from .namespace import foreign_namespace, is_foreign, numpy_dtype
from .namespace import state as namespace_state
from .primitive import refresh_view
from .pytree import tree_flatten, tree_map, tree_unflatten
from .reverse import ReverseTrace, backward
from .trace import CONST, box_foreign, current_level, new_level
from .tracer import Tracer, bottom, new_tracer, object_array_error, snapshot

__all__ = [
    "is_differentiable",
    "input_value",
    "unbox",
    "zeros_like_leaf",
    "call_user",
    "Recorded",
    "record",
    "gradients",
    "assemble",
    "finish",
    "argnums_tuple",
    "scalar_seed",
]


def is_differentiable(x) -> bool:
    """Whether a pytree leaf can carry a gradient (floating or complex values)."""
    if type(x) is np.ndarray and x.dtype.kind in "fc":
        return True
    b = bottom(x) if type(x) is Tracer else x
    if type(b) is np.ndarray:
        if b.dtype.kind == "O":
            raise object_array_error()
        return b.dtype.kind in "fc"
    if type(b) is bool:
        return False
    if is_foreign(b):
        return numpy_dtype(b.dtype).kind in "fc"
    return isinstance(b, (float, complex, np.inexact))


def input_value(x):
    if type(x) is Tracer:
        if x._trace.level == 0:
            return box_foreign(x._val)
        if not x._trace.active:
            raise x._trace.escaped()
        return snapshot(x)
    return box_foreign(x)


def unbox(tree, trace):
    def unbox(x):
        while type(x) is Tracer and (x._trace is trace or x._trace.level == 0):
            x = x._val
        return x

    if type(tree) is Tracer:  # the usual result: one value
        return unbox(tree)
    return tree_map(unbox, tree)


def cast_like(g, leaf):
    """Give a gradient its input's type, dtype and (for Python numbers) kind."""
    if type(g) is np.ndarray and type(leaf) is np.ndarray and g.dtype == leaf.dtype and g.shape == leaf.shape:
        return g
    lb = bottom(leaf)
    if is_foreign(lb):
        return _cast_foreign(g, lb)
    if type(g) is Tracer:
        return g
    if type(lb) is float or type(lb) is complex:
        return type(lb)(g)
    dt = lb.dtype if hasattr(lb, "dtype") else np.result_type(lb)
    g = np.asarray(g) if not isinstance(g, np.generic) else g
    if g.dtype != dt:
        g = g.astype(dt)
    if isinstance(lb, np.generic):
        return dt.type(g)
    if g.shape != lb.shape:
        raise ZymoError(f"internal error: gradient of shape {g.shape} for an input of shape {lb.shape}")
    return g


def _cast_foreign(g, lb):
    if type(g) is Tracer:
        if g._trace.level > 0:
            return g
        g = g._val
    xp = foreign_namespace(lb)
    if not is_foreign(g):
        g = xp.asarray(g, device=lb.device)
    if g.dtype != lb.dtype:
        g = xp.astype(g, lb.dtype)
    if g.shape != lb.shape:
        g = xp.broadcast_to(g, lb.shape)
    return g


def zeros_like_leaf(leaf):
    lb = bottom(leaf)
    if is_foreign(lb):
        return foreign_namespace(lb).zeros_like(lb)
    if type(lb) is float or type(lb) is complex:
        return type(lb)(0)
    return np.zeros_like(lb)


def refresh_views(tree) -> None:
    """Bring returned views up to date with writes made to their base after they were taken."""
    if type(tree) is Tracer:  # the usual result: one value
        if tree._view is not None:
            refresh_view(tree)
        return
    for leaf in tree_flatten(tree)[0]:
        if type(leaf) is Tracer and leaf._view is not None:
            refresh_view(leaf)


def call_user(fun, args):
    """Run the user's function; surface zymo's error where NumPy replaced it by its own."""
    take_remembered()
    try:
        out = fun(*args)
        refresh_views(out)
        return out
    except (ValueError, TypeError) as e:
        if isinstance(e, ZymoError):
            raise
        original = take_remembered()
        if original is not None:
            raise original from e
        raise


class Recorded:
    """The result of running a function under a reverse trace."""

    def __init__(self, trace, out, treedefs, leaf_nodes, leaves):
        self.trace = trace
        self.out = out
        self.treedefs = treedefs
        self.leaf_nodes = leaf_nodes
        self.leaves = leaves


def _is_integer(leaf) -> bool:
    b = bottom(leaf) if type(leaf) is Tracer else leaf
    if isinstance(b, np.ndarray):
        return b.dtype.kind in "iub"
    return isinstance(b, (int, np.integer, np.bool_))


def reject_integer_argument(i: int, leaves: list) -> None:
    """Raise when argument ``i`` (given as its leaves) holds integers and nothing floating to differentiate.

    Inside a pytree that has floating leaves, an integer leaf just gets ``None``.
    """
    if any(is_differentiable(leaf) for leaf in leaves) or not any(_is_integer(leaf) for leaf in leaves):
        return
    if len(leaves) == 1 and not isinstance(leaves[0], np.ndarray):
        kind = "boolean" if isinstance(leaves[0], (bool, np.bool_)) else "integer"
        what, fix = f"the {kind} {leaves[0]!r}", f"`{float(leaves[0])!r}`"
    elif len(leaves) == 1:
        what, fix = f"an {leaves[0].dtype} array of shape {leaves[0].shape}", "`x.astype(np.float64)`"
    else:
        what, fix = "a pytree of integers only", "floats in it"
    raise ZymoError(
        f"cannot differentiate with respect to argument {i}: it is {what}, and a gradient needs a floating-point "
        f"input. Fix: pass {fix}, or leave the argument out of argnums (at {user_location()})"
    )


def _box_other_arguments(args: list, argnums) -> None:
    """Box other libraries' arrays among the arguments not differentiated (data, or containers of data),
    so operators and NumPy functions applied to them reach zymo's tables as the differentiated ones do.
    Modules are left as they are (their layers box what they use, and keep what they write)."""
    for i, a in enumerate(args):
        if i in argnums:
            continue
        if type(a) in (tuple, list, dict):
            args[i] = tree_map(box_foreign, a)
        elif is_foreign(a):
            args[i] = box_foreign(a)


def record(fun, args, argnums, has_aux, reject_integers: bool = False):
    with new_level() as level:
        trace = ReverseTrace(level)
        new_args = list(args)
        treedefs, leaf_nodes, leaves_all = [], [], []
        for i in argnums:
            leaves, treedef = tree_flatten(args[i])
            nodes, boxed = [], []
            any_differentiable = False
            for leaf in leaves:
                if is_differentiable(leaf):
                    t = trace.new_leaf(input_value(leaf))
                    boxed.append(t)
                    nodes.append(t._node)
                    any_differentiable = True
                else:
                    boxed.append(leaf)
                    nodes.append(None)
            if reject_integers and not any_differentiable:
                reject_integer_argument(i, leaves)
            new_args[i] = tree_unflatten(treedef, boxed)
            treedefs.append(treedef)
            leaf_nodes.append(nodes)
            leaves_all.append(leaves)
        if namespace_state.seen:
            _box_other_arguments(new_args, argnums)
        try:
            out = call_user(fun, new_args)
        finally:
            trace.active = False
            trace.transposes.clear()  # the cached views refer back to their inputs
    if has_aux:
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise ZymoError("with has_aux=True the function must return a pair (output, aux)")
        out, aux = out
        aux = unbox(aux, trace)
    else:
        aux = None
    return Recorded(trace, out, treedefs, leaf_nodes, leaves_all), aux


def gradients(rec: Recorded, seeds, retain: bool):
    keep = [n for nodes in rec.leaf_nodes for n in nodes if n is not None]
    flat = backward(rec.trace, seeds, keep, retain=retain) if seeds else [None] * len(keep)
    return assemble(dict(zip(keep, flat)), rec.treedefs, rec.leaf_nodes, rec.leaves)


def assemble(by_node: dict, treedefs, leaf_nodes, leaves_all) -> list:
    """Each differentiated argument's gradient tree from the gradients of its leaves' nodes."""
    results = []
    for treedef, nodes, leaves in zip(treedefs, leaf_nodes, leaves_all):
        gl = []
        for n, leaf in zip(nodes, leaves):
            if n is None:
                gl.append(None)
                continue
            g = by_node[n]
            gl.append(zeros_like_leaf(leaf) if g is None else cast_like(g, leaf))
        results.append(tree_unflatten(treedef, gl))
    return results


def finish():
    if current_level() == 0:
        memory.clear()


def _foreign_seed(b):
    if b.shape != ():
        raise NonScalarOutputError(
            f"grad needs a function with a scalar output, but it returned shape {b.shape} "
            f"(differentiated at {user_location()}). Fix: reduce it (for example `.sum()` or `.mean()`), "
            "or use zymo.vjp / zymo.jacobian for non-scalar outputs."
        )
    if numpy_dtype(b.dtype).kind == "c":
        raise NonScalarOutputError("grad needs a real scalar output; use zymo.vjp for complex outputs")
    return new_tracer(foreign_namespace(b).ones_like(b), CONST, None)


def argnums_tuple(argnums, nargs):
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for a in nums:
        if not -nargs <= a < nargs:
            raise ZymoError(
                f"argnums {argnums} out of range for a function called with {nargs} argument"
                f"{'' if nargs == 1 else 's'} (valid: 0 to {nargs - 1}, or negative from the end; at {user_location()})"
            )
    return tuple(a % nargs for a in nums), single


def scalar_seed(out, trace):
    if type(out) is Tracer and out._trace is trace:
        b = bottom(out)
        if is_foreign(b):
            return [(out._node, _foreign_seed(b))]
        shape = b.shape if isinstance(b, (np.ndarray, np.generic)) else np.shape(b)
        if shape != ():
            raise NonScalarOutputError(
                f"grad needs a function with a scalar output, but it returned shape {shape} "
                f"(differentiated at {user_location()}). Fix: reduce it (for example `.sum()` or `.mean()`), "
                "or use zymo.vjp / zymo.jacobian for non-scalar outputs."
            )
        dt = b.dtype if isinstance(b, (np.ndarray, np.generic)) else np.result_type(b)
        if dt.kind == "c":
            raise NonScalarOutputError("grad needs a real scalar output; use zymo.vjp for complex outputs")
        return [(out._node, dt.type(1))]
    b = bottom(out)
    if np.shape(b) != ():
        raise NonScalarOutputError(f"grad needs a function with a scalar output, but it returned shape {np.shape(b)}")
    return []
