"""The differentiation transformations: ``grad``, ``value_and_grad``, ``withgradient``, ``vjp``, ``jvp``."""

from __future__ import annotations

import functools
import gc
from typing import Any, Callable, Sequence

import numpy as np

from . import memory, recording
from .errors import NonScalarOutputError, ZymoError, take_remembered, user_location
from .forward import ForwardTrace
from .primitive import refresh_view
from .pytree import tree_flatten, tree_map, tree_unflatten
from .reverse import ReverseTrace, backward
from .trace import CONST, current_level, new_level
from .tracer import Tracer, bottom, new_tracer, object_array_error, snapshot

__all__ = ["grad", "value_and_grad", "withgradient", "vjp", "jvp", "stop_gradient"]


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
    return isinstance(b, (float, complex, np.inexact))


def _input_value(x):
    if type(x) is Tracer:
        if x._trace.level == 0:
            return x._val
        if not x._trace.active:
            raise x._trace.escaped()
        return snapshot(x)
    return x


def _unbox(tree, trace):
    def unbox(x):
        while type(x) is Tracer and (x._trace is trace or x._trace.level == 0):
            x = x._val
        return x

    if type(tree) is Tracer:  # the usual result: one value
        return unbox(tree)
    return tree_map(unbox, tree)


def _cast_like(g, leaf):
    """Give a gradient its input's type, dtype and (for Python numbers) kind."""
    if type(g) is np.ndarray and type(leaf) is np.ndarray and g.dtype == leaf.dtype and g.shape == leaf.shape:
        return g
    if type(g) is Tracer:
        return g
    lb = bottom(leaf)
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


def _zeros_like(leaf):
    lb = bottom(leaf)
    if type(lb) is float or type(lb) is complex:
        return type(lb)(0)
    return np.zeros_like(lb)


def _refresh_views(tree) -> None:
    """Bring returned views up to date with writes made to their base after they were taken."""
    if type(tree) is Tracer:  # the usual result: one value
        if tree._view is not None:
            refresh_view(tree)
        return
    for leaf in tree_flatten(tree)[0]:
        if type(leaf) is Tracer and leaf._view is not None:
            refresh_view(leaf)


def _call_user(fun, args):
    """Run the user's function; surface zymo's error where NumPy replaced it by its own."""
    take_remembered()
    try:
        out = fun(*args)
        _refresh_views(out)
        return out
    except (ValueError, TypeError) as e:
        if isinstance(e, ZymoError):
            raise
        original = take_remembered()
        if original is not None:
            raise original from e
        raise


class _Recorded:
    """The result of running a function under a reverse trace."""

    def __init__(self, trace, out, treedefs, leaf_nodes, leaves):
        self.trace = trace
        self.out = out
        self.treedefs = treedefs
        self.leaf_nodes = leaf_nodes
        self.leaves = leaves


def _record(fun, args, argnums, has_aux):
    with new_level() as level:
        trace = ReverseTrace(level)
        new_args = list(args)
        treedefs, leaf_nodes, leaves_all = [], [], []
        for i in argnums:
            leaves, treedef = tree_flatten(args[i])
            nodes, boxed = [], []
            for leaf in leaves:
                if is_differentiable(leaf):
                    t = trace.new_leaf(_input_value(leaf))
                    boxed.append(t)
                    nodes.append(t._node)
                else:
                    boxed.append(leaf)
                    nodes.append(None)
            new_args[i] = tree_unflatten(treedef, boxed)
            treedefs.append(treedef)
            leaf_nodes.append(nodes)
            leaves_all.append(leaves)
        try:
            out = _call_user(fun, new_args)
        finally:
            trace.active = False
            trace.transposes.clear()  # the cached views refer back to their inputs
    if has_aux:
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise ZymoError("with has_aux=True the function must return a pair (output, aux)")
        out, aux = out
        aux = _unbox(aux, trace)
    else:
        aux = None
    return _Recorded(trace, out, treedefs, leaf_nodes, leaves_all), aux


def _gradients(rec: _Recorded, seeds, retain: bool):
    keep = [n for nodes in rec.leaf_nodes for n in nodes if n is not None]
    flat = backward(rec.trace, seeds, keep, retain=retain) if seeds else [None] * len(keep)
    return _assemble(dict(zip(keep, flat)), rec.treedefs, rec.leaf_nodes, rec.leaves)


def _assemble(by_node: dict, treedefs, leaf_nodes, leaves_all) -> list:
    """Each differentiated argument's gradient tree from the gradients of its leaves' nodes."""
    results = []
    for treedef, nodes, leaves in zip(treedefs, leaf_nodes, leaves_all):
        gl = []
        for n, leaf in zip(nodes, leaves):
            if n is None:
                gl.append(None)
                continue
            g = by_node[n]
            gl.append(_zeros_like(leaf) if g is None else _cast_like(g, leaf))
        results.append(tree_unflatten(treedef, gl))
    return results


def _finish():
    if current_level() == 0:
        memory.clear()


def _argnums_tuple(argnums, nargs):
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for a in nums:
        if not -nargs <= a < nargs:
            raise ZymoError(f"argnums {argnums} out of range for a function called with {nargs} arguments")
    return tuple(a % nargs for a in nums), single


def _scalar_seed(out, trace):
    if type(out) is Tracer and out._trace is trace:
        b = bottom(out)
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


def value_and_grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """A function returning ``(value, gradient)`` of scalar ``fun`` with respect to ``argnums``.

    With ``has_aux=True``, ``fun`` returns ``(value, aux)`` and the result is
    ``((value, aux), gradient)``. Gradients have their argument's structure,
    with ``None`` at leaves that cannot carry one (ints, bools, strings).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.value_and_grad(lambda x: znp.sum(x ** 2))(znp.array([1.0, 2.0]))
        (np.float64(5.0), array([2., 4.]))
    """

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        nums, single = _argnums_tuple(argnums, len(args))
        f = functools.partial(fun, **kwargs) if kwargs else fun
        # The tape holds no reference cycles, so the cyclic collector is paused while it is built and
        # consumed: recording allocates many small objects, and collections would only slow it down.
        collecting = gc.isenabled()
        if collecting:
            gc.disable()
        try:
            rec, aux = _record(f, args, nums, has_aux)
            seeds = _scalar_seed(rec.out, rec.trace)
            grads = _gradients(rec, seeds, retain=False)
            value = _unbox(rec.out, rec.trace)
        finally:
            _finish()
            if collecting:
                gc.enable()
        g = grads[0] if single else tuple(grads)
        return ((value, aux), g) if has_aux else (value, g)

    wrapped._zymo_gradient = (fun, argnums, has_aux, "value_and_grad")
    return wrapped


def grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """The gradient of scalar ``fun`` with respect to argument(s) ``argnums``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.tanh(x).sum())(znp.zeros(2))
        array([1., 1.])
    """
    vg = value_and_grad(fun, argnums, has_aux)

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        (value, aux), g = vg(*args, **kwargs) if has_aux else ((None, None), vg(*args, **kwargs)[1])
        return (g, aux) if has_aux else g

    wrapped._zymo_gradient = (fun, argnums, has_aux, "grad")
    return wrapped


def withgradient(fun: Callable, *args) -> tuple[Any, tuple]:
    """``(value, grads)`` with ``grads`` holding one gradient per argument (Flux's convention).

    Example:
        >>> import zymo
        >>> zymo.withgradient(lambda a, b: a * b, 3.0, 4.0)
        (12.0, (4.0, 3.0))
    """
    value, grads = value_and_grad(fun, argnums=tuple(range(len(args))))(*args)
    return value, grads


def vjp(fun: Callable, *primals, has_aux: bool = False):
    """``(out, vjp_fn)``: ``vjp_fn(cotangent)`` returns one gradient per primal.

    ``out`` may be any pytree of arrays; the cotangent has its structure. The
    function may be called many times.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> out, back = zymo.vjp(lambda x: x * 2, znp.ones(3))
        >>> back(znp.array([1.0, 2.0, 3.0]))
        (array([2., 4., 6.]),)
    """
    try:
        rec, aux = _record(fun, primals, tuple(range(len(primals))), has_aux)
        out_leaves, out_def = tree_flatten(rec.out)
        out_value = _unbox(rec.out, rec.trace)
    finally:
        _finish()

    def vjp_fn(cotangent):
        ct_leaves, ct_def = tree_flatten(cotangent)
        if len(ct_leaves) != len(out_leaves):
            raise ZymoError(f"cotangent structure {ct_def} does not match the output structure {out_def}")
        seeds = []
        for o, c in zip(out_leaves, ct_leaves):
            if type(o) is Tracer and o._trace is rec.trace and c is not None:
                if np.shape(bottom(c)) != np.shape(bottom(o)):
                    raise ZymoError(
                        f"cotangent of shape {np.shape(bottom(c))} for an output of shape {np.shape(bottom(o))}"
                    )
                seeds.append((o._node, c))
        try:
            return tuple(_gradients(rec, seeds, retain=True))
        finally:
            _finish()

    return (out_value, vjp_fn, aux) if has_aux else (out_value, vjp_fn)


def jvp(fun: Callable, primals: Sequence, tangents: Sequence, has_aux: bool = False):
    """Forward mode: ``(fun(*primals), J @ tangents)``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.jvp(znp.sin, (0.0,), (1.0,))
        (np.float64(0.0), np.float64(1.0))
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ZymoError("jvp needs one tangent per primal")
    try:
        with new_level() as level:
            trace = ForwardTrace(level)
            args = []
            for p, t in zip(primals, tangents):
                pl, pdef = tree_flatten(p)
                tl, tdef = tree_flatten(t)
                if pdef != tdef:
                    raise ZymoError(f"tangent structure {tdef} does not match primal structure {pdef}")
                boxed = []
                for pv, tv in zip(pl, tl):
                    if is_differentiable(pv):
                        if tv is not None and np.shape(bottom(tv)) != np.shape(bottom(pv)):
                            raise ZymoError(
                                f"tangent of shape {np.shape(bottom(tv))} for a primal of shape {np.shape(bottom(pv))}"
                            )
                        boxed.append(new_tracer(_input_value(pv), trace, _input_value(tv) if tv is not None else None))
                    else:
                        boxed.append(pv)
                args.append(tree_unflatten(pdef, boxed))
            try:
                out = _call_user(fun, args)
            finally:
                trace.active = False
        if has_aux:
            out, aux = out
            aux = _unbox(aux, trace)

        def split(x):
            if type(x) is Tracer and x._trace is trace:
                t = x._node
                return x._val, (_zeros_like(x._val) if t is None else t)
            v = _unbox(x, trace)
            return v, _zeros_like(v) if is_differentiable(v) else None

        leaves, odef = tree_flatten(out)
        pairs = [split(x) for x in leaves]
        primal_out = tree_unflatten(odef, [p for p, _ in pairs])
        tangent_out = tree_unflatten(odef, [t for _, t in pairs])
    finally:
        _finish()
    return (primal_out, tangent_out, aux) if has_aux else (primal_out, tangent_out)


def stop_gradient(x):
    """``x`` as a constant: no derivative flows through the result.

    Example:
        >>> import zymo
        >>> zymo.grad(lambda x: x * zymo.stop_gradient(x))(3.0)
        3.0
    """

    def stop(v):
        if type(v) is Tracer:
            recording.unsafe("stop_gradient")
            b = bottom(v)
            return new_tracer(b.copy() if type(b) is np.ndarray else b, CONST, None)
        return v

    return tree_map(stop, x)
