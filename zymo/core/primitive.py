"""Primitives: the operations zymo differentiates, and how a call is dispatched.

A ``Primitive`` wraps a plain NumPy implementation. Called with no tracer it
is exactly that implementation (no overhead beyond a type check). Called with
tracers, the highest trace among them processes it. Its derivative rules live
in per-transformation tables filled by ``defvjp`` (``zymo.core.reverse``) and
``defjvp`` (``zymo.core.forward``).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import recording
from .memory import memory_root
from .namespace import NOT_FOREIGN, foreign_call
from .namespace import state as _namespace
from .trace import box_foreign as _box_foreign
from .tracer import Tracer, bottom

_recording = recording.state

__all__ = ["Primitive", "primitive", "refresh_view", "View"]


class View:
    """How a tracer was derived from a base whose memory it shares."""

    __slots__ = ("base", "prim", "rest", "params", "base_ver")

    def __init__(self, base, prim, rest, params, base_ver):
        self.base = base
        self.prim = prim
        self.rest = rest
        self.params = params
        self.base_ver = base_ver


def refresh_view(h: Tracer) -> None:
    """Re-derive a view whose base was written since the view was taken."""
    v = h._view
    base = v.base
    if base._view is not None:
        refresh_view(base)
    if base._ver != v.base_ver:
        new = v.prim(base, *v.rest, **v.params)
        h._val = new._val
        h._trace = new._trace
        h._node = new._node
        h._own = False
        h._view = new._view if type(new) is Tracer else None
        h._ver += 1


def _mark_view(out: Tracer, prim, args, params) -> None:
    base = args[0]
    if type(base) is not Tracer:
        return
    ob, bb = bottom(out), bottom(base)
    if type(ob) is np.ndarray and type(bb) is np.ndarray and memory_root(ob) is memory_root(bb):
        out._view = View(base, prim, args[1:], params, base._ver)


class Primitive:
    """An operation with derivative rules.

    Example:
        >>> import numpy as np
        >>> from zymo import primitive, defvjp
        >>> @primitive
        ... def cube(x):
        ...     return x ** 3
        >>> defvjp(cube, lambda g, ans, x: g * 3 * x ** 2)
    """

    __slots__ = (
        "name",
        "impl",
        "vjp",
        "vjp_owned",
        "vjp_plain",
        "vjp_partial",
        "vjp_arity",
        "saves",
        "drop",
        "save_ans",
        "jvp",
        "aliases",
        "unview",
        "inplace",
        "nondiff",
        "__wrapped__",
        "__weakref__",
        "__dict__",
    )

    def __init__(
        self,
        impl: Callable,
        name: str | None = None,
        *,
        aliases: bool = False,
        inplace: bool = False,
        nondiff: bool = False,
    ):
        self.impl = impl
        self.name = name or getattr(impl, "__name__", repr(impl))
        self.vjp = None
        self.vjp_owned = None
        self.vjp_plain = None
        self.vjp_partial = False
        self.vjp_arity = 0  # calls with more arguments than this check that every traced one has a rule
        self.saves = None
        self.drop = None  # argument positions the reverse rules do not read (set by defvjp)
        self.save_ans = True
        self.jvp = None
        self.aliases = aliases
        self.unview = None
        self.inplace = inplace
        self.nondiff = nondiff
        self.__wrapped__ = impl
        self.__doc__ = getattr(impl, "__doc__", None)

    def __repr__(self) -> str:
        return f"<zymo primitive {self.name}>"

    def __call__(self, *args, **params) -> Any:
        top = None
        for a in args:
            if type(a) is Tracer:
                v = a._view
                if v is not None and (v.base._ver != v.base_ver or v.base._view is not None):
                    refresh_view(a)
                t = a._trace
                if top is None or t.level > top.level:
                    top = t
        if top is None:
            if _namespace.seen:
                out = foreign_call(self, args, params)
                if out is not NOT_FOREIGN:
                    return out
            return self.impl(*args, **params)
        if self.nondiff:
            vals = [bottom(a) for a in args]
            out = foreign_call(self, vals, params) if _namespace.seen else NOT_FOREIGN
            if out is NOT_FOREIGN:
                out = self.impl(*vals, **params)
            else:
                out = _box_foreign(out)
            if _recording.recorder is not None:
                recording.guard_call(self.impl, args, params, out)
            return out
        out = top.process(self, args, params)
        if self.aliases and type(out) is Tracer:
            _mark_view(out, self, args, params)
        return out


def primitive(fun: Callable | None = None, *, name: str | None = None, **flags) -> Primitive:
    """Make ``fun`` (a function of plain NumPy values) a primitive that rules can be attached to.

    Positional arguments are the differentiable inputs; keyword arguments are
    static parameters passed through unchanged.

    Example:
        >>> import numpy as np, zymo
        >>> @zymo.primitive
        ... def softsign(x):
        ...     return x / (1 + np.abs(x))
        >>> zymo.defvjp(softsign, lambda g, ans, x: g / (1 + np.abs(x)) ** 2)
    """
    if fun is None:
        return lambda f: Primitive(f, name=name, **flags)
    return Primitive(fun, name=name, **flags)
