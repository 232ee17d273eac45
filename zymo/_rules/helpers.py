"""What every rule needs: shapes and dtypes of traced values, broadcasting, complex cotangents, and
rules derived from one definition.

One definition per operation yields both its reverse and its forward rule:
- ``from_partials(ufunc, *partials)``: from the partial derivatives,
  ``vjp_i = cotangent_for(g * d_i, arg_i)`` and ``jvp = sum_i t_i * d_i``;
- ``linear(prim, *transposes)``: for operations linear in their inputs, the
  forward rule is the operation itself applied to the tangents.

Example:
    >>> import numpy as np
    >>> from zymo._rules.helpers import unbroadcast
    >>> unbroadcast(np.ones((2, 3)), np.zeros(3))
    array([2., 2., 2.])
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..core.dispatch import implements
from ..core.forward import defjvp, defjvp_all
from ..core.jit_codegen import definline
from ..core.namespace import foreign_namespace, is_foreign, namespace_dtype
from ..core.primitive import Primitive
from ..core.reverse import Absent, defvjp, defvjp_all, defvjp_plain, dtype_of
from ..core.trace import CONST, box_foreign, current_level
from ..core.tracer import Tracer, bottom, new_tracer
from ..core.tracer_methods import write_out

__all__ = [
    "bottom",
    "shape_of",
    "dtype_of",
    "is_complex",
    "unbroadcast",
    "unbroadcast_expr",
    "cotangent_for",
    "keep_real_cotangents",
    "write_out",
    "has_tracer",
    "mask_of",
    "lowest",
    "ones_in",
    "zeros_in",
    "eye_in",
    "arange_in",
    "const_buffer",
    "zeros_for",
    "from_partials",
    "partials_inline",
    "linear",
    "linear_all",
    "implements",
]

_SHAPED = (np.ndarray, Absent)


def shape_of(x) -> tuple:
    """Shape of a value (array, scalar, tracer, or a tape's stand-in for an unsaved value)."""
    if type(x) is np.ndarray or type(x) is Absent:
        return x.shape
    while type(x) is Tracer:
        x = x._val
    if type(x) is np.ndarray:
        return x.shape
    return np.shape(x)


def is_complex(x) -> bool:
    """Whether a value (array, scalar, tracer) has a complex dtype."""
    return dtype_of(x).kind == "c"


def _unbroadcast_axes(gshape: tuple, shape: tuple) -> tuple:
    """The axes along which a value of ``shape`` was broadcast to ``gshape``."""
    lead = len(gshape) - len(shape)
    if lead < 0:  # a value with leading axes of length 1 that an assignment drops (``a[i] = v[None]``)
        shape, lead = shape[-lead:], 0
    return tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1)


_UNBROADCAST_PLANS: dict = {}  # (gradient shape, target shape) -> (axes to sum, whether a reshape follows)


def _unbroadcast_plan(gshape: tuple, shape: tuple) -> tuple:
    axes = _unbroadcast_axes(gshape, shape)
    kept = tuple(n for i, n in enumerate(gshape) if i not in axes)
    if len(_UNBROADCAST_PLANS) > 4096:  # a program with ever new shapes: keep the table small
        _UNBROADCAST_PLANS.clear()
    plan = _UNBROADCAST_PLANS[gshape, shape] = (axes, kept != shape)
    return plan


def unbroadcast(g, target):
    """Sum ``g`` over the axes along which ``target`` (a value) was broadcast."""
    shape = target.shape if type(target) is np.ndarray or type(target) is Absent else shape_of(target)
    gshape = g.shape if type(g) is np.ndarray else shape_of(g)
    if gshape == shape:
        return g
    plan = _UNBROADCAST_PLANS.get((gshape, shape))
    axes, reshape = plan if plan is not None else _unbroadcast_plan(gshape, shape)
    if axes:
        g = g.sum(axis=axes)
    if reshape:
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


def cotangent_for(g, x):
    """``g`` summed to ``x``'s shape; its real part when ``x`` is real (JAX's convention)."""
    g = unbroadcast(g, x)
    if type(g) is np.ndarray and g.dtype.kind != "c":  # the common case, kept cheap
        return g
    if is_complex(g) and not is_complex(x):
        g = np.real(g)
    return g


def _real_for(r, x):
    if type(r) is np.ndarray and r.dtype.kind != "c":
        return r
    if r is not None and dtype_of(r).kind == "c" and dtype_of(x).kind != "c":
        return np.real(r)
    return r


def keep_real_cotangents(prim: Primitive) -> Primitive:
    """Make ``prim``'s reverse rules give a real input the real part of a complex cotangent (JAX's convention).

    For primitives whose inputs may mix real and complex values (products, joins, writes).
    """
    rules = prim.vjp
    if type(rules) is tuple:

        def wrap(rule, i):
            if rule is None:
                return None
            return lambda g, ans, *args, **params: _real_for(rule(g, ans, *args, **params), args[i])

        prim.vjp = tuple(wrap(rule, i) for i, rule in enumerate(rules))
    else:

        def rule_all(g, ans, *args, **params):
            return [_real_for(r, x) for r, x in zip(rules(g, ans, *args, **params), args)]

        prim.vjp = rule_all
    return prim


def mask_of(cond, like, negate: bool = False):
    """A 0/1 array of ``like``'s dtype from a boolean one (keeps float32 gradients float32), in its namespace.

    ``negate``: the mask of ``not cond``.
    """
    c = bottom(cond)
    if type(c) is np.ndarray or not is_foreign(c):
        return np.asarray(np.logical_not(cond) if negate else cond).astype(dtype_of(like))
    xp = foreign_namespace(c)
    return box_foreign(xp.astype(xp.logical_not(c) if negate else c, namespace_dtype(xp, dtype_of(like))))


def lowest(x):
    """The plain value under ``x``; a foreign array stays boxed, so NumPy's functions on it reach zymo."""
    b = bottom(x)
    if type(b) is np.ndarray:
        return b
    return box_foreign(b)


def _made_like(like, np_maker, name: str, args, dtype):
    b = bottom(like)
    if type(b) is np.ndarray or not is_foreign(b):
        return np_maker(*args, dtype=dtype)
    xp = foreign_namespace(b)
    return box_foreign(getattr(xp, name)(*args, dtype=namespace_dtype(xp, dtype), device=b.device))


def ones_in(like, shape, dtype=None):
    """``numpy.ones(shape, dtype)`` in ``like``'s namespace and on its device."""
    return _made_like(like, np.ones, "ones", (tuple(shape),), dtype)


def zeros_in(like, shape, dtype=None):
    """``numpy.zeros(shape, dtype)`` in ``like``'s namespace and on its device."""
    return _made_like(like, np.zeros, "zeros", (tuple(shape),), dtype)


def eye_in(like, n: int, dtype=None):
    """``numpy.eye(n, dtype=dtype)`` in ``like``'s namespace and on its device."""
    return _made_like(like, np.eye, "eye", (n,), dtype)


def arange_in(like, n: int):
    """``numpy.arange(n)`` in ``like``'s namespace and on its device."""
    return _made_like(like, np.arange, "arange", (n,), None)


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


def from_partials(ufunc: Callable, *partials: Callable | None, saves=None, name: str | None = None) -> Primitive:
    """A primitive for ``ufunc`` whose rules come from its partial derivatives.

    ``partials[i](ans, *args)`` is the derivative with respect to argument
    ``i``: ``vjp_i = cotangent_for(g * d_i, arg_i)``, ``jvp = sum_i t_i * d_i``
    (``None``: not differentiable there; a traced value there raises zymo's error).
    ``saves`` names what the reverse rule reads (argument positions and ``"ans"``).
    """
    prim = Primitive(ufunc, name or ufunc.__name__)
    prim.partials = partials  # read by the ufunc methods' rules (``reduce``, ``accumulate``, ...)

    def vjp_rule(i, d):
        return lambda g, ans, *args, **params: cotangent_for(g * d(ans, *args), args[i])

    def jvp_rule(d):
        return lambda t, ans, *args, **params: t * d(ans, *args)

    defvjp(prim, *[None if d is None else vjp_rule(i, d) for i, d in enumerate(partials)], saves=saves)
    defjvp(prim, *[None if d is None else jvp_rule(d) for d in partials])
    definline(prim, partials_inline(*partials))
    if len(partials) == 1 and partials[0] is not None:
        d0 = partials[0]

        def plain(g, ans, need, x, **params):
            r = g * d0(ans, x)
            if type(r) is np.ndarray and r.dtype.kind != "c" and type(x) in _SHAPED and r.shape == x.shape:
                return (r,)
            return (cotangent_for(r, x),)

        defvjp_plain(prim, plain)
    return prim


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


def linear(prim: Primitive, *transposes: Callable | None, saves=()) -> Primitive:
    """Rules for a primitive linear in its positional inputs.

    ``transposes[i](g, ans, *args, **params)`` maps an output cotangent to
    argument ``i``'s; the forward rule is ``prim`` itself on the tangents.
    """
    defvjp(prim, *transposes, saves=saves)
    defjvp_all(prim, _apply_to_tangents(prim))
    return prim


def linear_all(prim: Primitive, transpose: Callable, saves=()) -> Primitive:
    """Like ``linear`` for variadic primitives: ``transpose`` returns all argument cotangents."""
    defvjp_all(prim, transpose, saves=saves)
    defjvp_all(prim, _apply_to_tangents(prim))
    return prim


def _apply_to_tangents(prim: Primitive) -> Callable:
    """The forward rule of a linear primitive: the primitive itself, with zeros for missing tangents."""

    def jvp(tangents, ans, *args, **params):
        ts = [zeros_for(a) if t is None else t for t, a in zip(tangents, args)]
        return prim(*ts, **params)

    return jvp
