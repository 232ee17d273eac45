"""Helpers shared by the rule families: broadcasting, and rules derived from one definition.

One definition per operation yields both its reverse and its forward rule:
- ``elementwise(ufunc, partials)``: from the partial derivatives,
  ``vjp_i = unbroadcast(g * d_i)`` and ``jvp = sum_i t_i * d_i``;
- ``linear(prim, transposes)``: for operations linear in their inputs, the
  forward rule is the operation itself applied to the tangents.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..core.dispatch import implements
from ..core.forward import defjvp, defjvp_all
from ..core.jit_codegen import definline
from ..core.primitive import Primitive
from ..core.reverse import Absent, defvjp, defvjp_all
from ..core.trace import CONST, current_level
from ..core.tracer import Tracer, bottom, new_tracer

__all__ = [
    "shape_of",
    "unbroadcast",
    "elementwise",
    "linear",
    "has_tracer",
    "const_buffer",
    "zeros_for",
    "is_plain",
]


def shape_of(x) -> tuple:
    """Shape of a value (array, scalar, tracer, or a tape's stand-in for an unsaved value)."""
    if type(x) is np.ndarray or type(x) is Absent:
        return x.shape
    while type(x) is Tracer:
        x = x._val
    if type(x) is np.ndarray:
        return x.shape
    return np.shape(x)


def dtype_of(x):
    if type(x) is np.ndarray or type(x) is Absent:
        return x.dtype
    while type(x) is Tracer:
        x = x._val
    return x.dtype if hasattr(x, "dtype") else np.result_type(x)


def is_plain(x) -> bool:
    return type(x) is not Tracer


def _unbroadcast_axes(gshape: tuple, shape: tuple) -> tuple:
    """The axes along which a value of ``shape`` was broadcast to ``gshape``."""
    lead = len(gshape) - len(shape)
    return tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1)


def unbroadcast(g, target):
    """Sum ``g`` over the axes along which ``target`` (a value) was broadcast."""
    shape = target.shape if type(target) is np.ndarray or type(target) is Absent else shape_of(target)
    gshape = g.shape if type(g) is np.ndarray else shape_of(g)
    if gshape == shape:
        return g
    axes = _unbroadcast_axes(gshape, shape)
    if axes:
        g = g.sum(axis=axes)
    if shape_of(g) != shape:
        g = g.reshape(shape)
    return g


def unbroadcast_expr(expr: str, gshape: tuple, shape: tuple) -> str:
    """``unbroadcast`` as an expression for ``zymo.jit``'s generated code, for known shapes."""
    if gshape == shape:
        return expr
    axes = _unbroadcast_axes(gshape, shape)
    out = f"({expr}).sum(axis={axes!r})" if axes else f"({expr})"
    kept = tuple(n for i, n in enumerate(gshape) if i not in axes)
    return out if kept == shape else f"{out}.reshape({shape!r})"


def has_tracer(x) -> bool:
    """Whether ``x`` (possibly a nested list/tuple) holds a tracer."""
    t = type(x)
    if t is Tracer:
        return True
    if t is list or t is tuple:
        for e in x:
            if has_tracer(e):
                return True
    return False


def const_buffer(value):
    """Inside a differentiation, a new buffer is a constant tracer (so writes into it are recorded)."""
    if current_level() > 0 and type(value) is np.ndarray:
        return new_tracer(value, CONST, None)
    return value


def zeros_for(x):
    """Plain zeros with ``x``'s shape and dtype (a zero tangent or cotangent)."""
    b = bottom(x)
    if type(b) in (int, float, complex):
        return type(b)(0)  # a Python scalar stays weakly typed: float32 tangents stay float32
    return np.zeros(np.shape(b), dtype_of(b))


def elementwise(
    ufunc: Callable,
    *partials: Callable | None,
    saves=None,
    name: str | None = None,
) -> Primitive:
    """A primitive for ``ufunc`` whose rules come from its partial derivatives.

    ``partials[i](ans, *args)`` is the derivative of the output with respect
    to argument ``i`` (``None``: not differentiable there).
    """
    prim = Primitive(ufunc, name or getattr(ufunc, "__name__", None))

    vjps = []
    for i, d in enumerate(partials):
        if d is None:
            vjps.append(None)
        else:
            vjps.append(_vjp_from_partial(d, i))
    defvjp(prim, *vjps, saves=saves)
    defjvp(prim, *[None if d is None else _jvp_from_partial(d) for d in partials])
    definline(prim, partials_inline(*partials))
    return prim


def _vjp_from_partial(d, i):
    def rule(g, ans, *args, **params):
        return unbroadcast(g * d(ans, *args), args[i])

    return rule


def _jvp_from_partial(d):
    def rule(t, ans, *args, **params):
        return t * d(ans, *args)

    return rule


def linear(prim: Primitive, *transposes: Callable | None, saves=()) -> Primitive:
    """Rules for a primitive linear in its positional inputs.

    ``transposes[i](g, ans, *args, **params)`` maps an output cotangent to
    argument ``i``'s; the forward rule is ``prim`` itself on the tangents.
    """
    defvjp(prim, *transposes, saves=saves)
    defjvp_all(prim, _apply_to_tangents(prim))
    return prim


def _apply_to_tangents(prim: Primitive) -> Callable:
    """The forward rule of a linear primitive: the primitive itself, with zeros for missing tangents."""

    def jvp(tangents, ans, *args, **params):
        ts = [zeros_for(a) if t is None else t for t, a in zip(tangents, args)]
        return prim(*ts, **params)

    return jvp


def partials_inline(*partials: Callable) -> Callable:
    """The ``zymo.jit`` inline rule of an elementwise primitive whose rules come from its partials."""

    def inline(need, ans, *args, **params):
        names = ", ".join(f"{{a{k}}}" for k in range(len(args)))
        exprs = []
        for i, (p, d) in enumerate(zip(need, partials)):
            if p < 0:
                exprs.append(None)
            elif args[i] is None or d is None:
                return None
            else:
                exprs.append(unbroadcast_expr(f"{{g}} * {{H}}d{i}({{ans}}, {names})", ans[0], args[i][0]))
        return exprs, {f"d{i}": d for i, d in enumerate(partials)}

    return inline


def linear_all(prim: Primitive, transpose: Callable, saves=()) -> Primitive:
    """Like ``linear`` for variadic primitives: ``transpose`` returns all argument cotangents."""
    defvjp_all(prim, transpose, saves=saves)
    defjvp_all(prim, _apply_to_tangents(prim))
    return prim


__all__ += ["linear_all", "dtype_of", "implements"]
