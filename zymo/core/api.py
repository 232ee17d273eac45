"""The differentiation transformations: ``grad``, ``value_and_grad``, ``withgradient``, ``vjp``, ``jvp``."""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

from . import collector, recording
from .differentiation import (
    argnums_tuple,
    call_user,
    finish,
    gradients,
    input_value,
    is_differentiable,
    record,
    scalar_seed,
    unbox,
    zeros_like_leaf,
)
from .errors import ZymoError
from .forward import ForwardTrace
from .pytree import tree_flatten, tree_map, tree_unflatten
from .trace import CONST, new_level
from .tracer import Tracer, bottom, new_tracer

__all__ = ["grad", "value_and_grad", "withgradient", "vjp", "jvp", "stop_gradient"]


def value_and_grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """A function returning ``(value, gradient)`` of scalar ``fun`` with respect to ``argnums``.

    With ``has_aux=True``, ``fun`` returns ``(value, aux)`` and the result is
    ``((value, aux), gradient)``. Gradients have their argument's structure,
    with ``None`` at leaves that cannot carry one (ints, bools, strings).
    Differentiating with respect to an integer argument (a Python int, an
    integer array, a pytree of integers only) raises ``ZymoError``: pass a float.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.value_and_grad(lambda x: znp.sum(x ** 2))(znp.array([1.0, 2.0]))
        (np.float64(5.0), array([2., 4.]))
    """
    return _value_and_grad(fun, argnums, has_aux, reject_integers=True)


def _value_and_grad(fun: Callable, argnums, has_aux: bool, reject_integers: bool) -> Callable:
    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        nums, single = argnums_tuple(argnums, len(args))
        f = functools.partial(fun, **kwargs) if kwargs else fun
        # The tape holds no reference cycles, so the cyclic collector is paused while it is built and
        # consumed: recording allocates many small objects, and collections would only slow it down.
        collector.pause()
        try:
            rec, aux = record(f, args, nums, has_aux, reject_integers)
            seeds = scalar_seed(rec.out, rec.trace)
            grads = gradients(rec, seeds, retain=False)
            value = unbox(rec.out, rec.trace)
        finally:
            finish()
            collector.resume()
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
    value, grads = _value_and_grad(fun, tuple(range(len(args))), False, reject_integers=False)(*args)
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
        rec, aux = record(fun, primals, tuple(range(len(primals))), has_aux)
        out_leaves, out_def = tree_flatten(rec.out)
        out_value = unbox(rec.out, rec.trace)
    finally:
        finish()

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
            return tuple(gradients(rec, seeds, retain=True))
        finally:
            finish()

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
                        boxed.append(new_tracer(input_value(pv), trace, input_value(tv) if tv is not None else None))
                    else:
                        boxed.append(pv)
                args.append(tree_unflatten(pdef, boxed))
            try:
                out = call_user(fun, args)
            finally:
                trace.active = False
        if has_aux:
            out, aux = out
            aux = unbox(aux, trace)

        def split(x):
            if type(x) is Tracer and x._trace is trace:
                t = x._node
                return unbox(x._val, None), (zeros_like_leaf(x._val) if t is None else unbox(t, None))
            v = unbox(x, trace)
            return v, zeros_like_leaf(v) if is_differentiable(v) else None

        leaves, odef = tree_flatten(out)
        pairs = [split(x) for x in leaves]
        primal_out = tree_unflatten(odef, [p for p, _ in pairs])
        tangent_out = tree_unflatten(odef, [t for _, t in pairs])
    finally:
        finish()
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
