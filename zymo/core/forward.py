"""Forward mode: the Jacobian-vector-product rule table and the forward trace.

A forward tracer carries its tangent in ``_node`` (``None`` is a symbolic
zero). Rules are written with zymo primitives, so tangents may themselves be
tracers of enclosing traces: forward-over-reverse, reverse-over-forward and
forward-over-forward all compose.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .dispatch import call_numpy
from .errors import unsupported
from .namespace import is_foreign
from .namespace import state as _namespace
from .primitive import Primitive
from .pytree import tree_flatten, tree_unflatten
from .trace import Trace, box_foreign, lower_args
from .tracer import Tracer, bottom, is_inexact, new_tracer, snapshot

__all__ = ["ForwardTrace", "defjvp", "defjvp_all", "zeros_like_value"]


def defjvp(prim: Primitive, *rules: Callable | None) -> None:
    """Attach one Jacobian-vector rule per positional argument of ``prim``.

    Each rule is called as ``rule(t, ans, *args, **params)`` with the tangent
    ``t`` of its argument and returns that argument's contribution to the
    output tangent; contributions are summed.

    Example:
        >>> import zymo
        >>> @zymo.primitive
        ... def cube(x):
        ...     return x ** 3
        >>> zymo.defjvp(cube, lambda t, ans, x: t * 3 * x ** 2)
    """
    rules = tuple(rules)

    def jvp(tangents, ans, *args, **params):
        out = None
        for j, t in enumerate(tangents):
            if t is None:
                continue
            if j >= len(rules) or rules[j] is None:
                raise unsupported(f"{prim.name} (forward mode) with respect to its argument {j}")
            c = rules[j](t, ans, *args, **params)
            out = c if out is None else out + c
        return out

    prim.jvp = jvp


def defjvp_all(prim: Primitive, rule: Callable) -> None:
    """Attach one rule ``rule(tangents, ans, *args, **params)`` returning the output tangent.

    ``tangents`` has one entry per positional argument, ``None`` for zero.
    """
    prim.jvp = rule


def zeros_like_value(v):
    """A zero tangent for a value (plain, not traced)."""
    return call_numpy(np.zeros_like, v) if is_foreign(bottom(v)) else np.zeros_like(bottom(v))


class ForwardTrace(Trace):
    """One ``jvp`` call: carries tangents alongside values."""

    __slots__ = ()

    def process_custom(self, fn, args):
        """The output tangent from ``fn.output_tangents`` (``None``: run ``fn`` as it is on the traced values)."""
        if fn.output_tangents is None:
            return fn.fun(*args)
        in_leaves, in_defs = [], []
        for a in args:
            leaves, treedef = tree_flatten(a)
            in_leaves.extend(leaves)
            in_defs.append(treedef)
        out, residuals = fn.lower(lower_args(args, self), self)
        tangents = [x._node if type(x) is Tracer and x._trace is self else None for x in in_leaves]
        out_leaves, out_def = tree_flatten(out)
        if all(t is None for t in tangents):
            return tree_unflatten(out_def, [new_tracer(o, self, None) if is_inexact(o) else o for o in out_leaves])
        t_leaves = fn.output_tangents(residuals, tangents, in_defs, in_leaves, out_leaves, out_def)
        boxed = [new_tracer(o, self, t) if is_inexact(o) else o for o, t in zip(out_leaves, t_leaves)]
        return tree_unflatten(out_def, boxed)

    def process(self, prim, args, params):
        if not self.active:
            raise self.escaped()
        vals = []
        tans = []
        nested = False
        for a in args:
            if type(a) is Tracer:
                t = a._trace
                if t is self:
                    v = a._val
                    vals.append(v)
                    tans.append(a._node)
                    if type(v) is Tracer:  # an enclosing trace's value: let that trace run the operation
                        nested = True
                    continue
                if t.level == 0:
                    v = a._val
                    if type(v) is np.ndarray or not is_foreign(v):
                        vals.append(v)
                    else:  # a boxed foreign array stays boxed: the constant trace runs it in its namespace
                        vals.append(a)
                        nested = True
                else:
                    vals.append(snapshot(a))
                    nested = True
            else:
                vals.append(a)
            tans.append(None)
        out = prim(*vals, **params) if nested else prim.impl(*vals, **params)
        if nested and _namespace.seen:
            vals = [box_foreign(v) if type(v) is not Tracer else v for v in vals]
        if not is_inexact(out):
            return out
        own = False
        if prim.inplace and any(t is not None for t in tans):
            # The written buffer's tangent is updated in place too: make sure it is ours.
            buf = args[0]
            t0 = tans[0]
            if t0 is None:
                tans[0] = zeros_like_value(vals[0])
            elif not (type(buf) is Tracer and buf._own):
                tans[0] = _copy(t0)
            own = True
        if all(t is None for t in tans):
            res = new_tracer(out, self, None)
        else:
            if prim.jvp is None:
                raise unsupported(prim.name + " (forward mode)")
            res = new_tracer(out, self, prim.jvp(tans, out, *vals, **params))
        res._own = own
        return res


def _copy(t):
    if type(t) is np.ndarray:
        return t.copy()
    return call_numpy(np.copy, t)
