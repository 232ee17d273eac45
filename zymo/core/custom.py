"""User-defined derivative rules for whole Python functions: ``zymo.custom_vjp``.

A call with traced arguments is handled by the innermost trace among them:

* reverse mode (``ReverseTrace.process_custom``) runs ``fwd`` one level down
  and records one call whose parents are the traced input leaves and whose
  saved values are the residuals; the backward pass calls ``bwd`` through
  ``CustomVJP.rule``.
* forward mode (``ForwardTrace.process_custom``) derives the tangent from ``bwd`` by linearity: ``bwd`` is the
  transposed Jacobian ``u -> J^T u``, so ``J t`` is the reverse-mode
  derivative of ``bwd`` with respect to its cotangent, along ``t``.

Values of enclosing traces flow through ``fwd`` and ``bwd`` as ordinary
traced values, so higher-order derivatives differentiate those functions
(as in JAX): write them with ``zymo.numpy`` for that to work.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from .api import vjp
from .errors import ZymoError, user_location
from .primitive import Primitive, refresh_view
from .pytree import tree_flatten, tree_unflatten
from .reverse import Cotangents
from .tracer import Tracer, bottom, is_inexact

__all__ = ["custom_vjp", "CustomVJP"]


def _custom_rule(g, ans, *residual_leaves, call):
    """The backward rule of a custom record: run the user's ``bwd``, return one gradient per input leaf."""
    if type(g) is Cotangents:
        parts = g.parts
    else:
        parts = [g]
    cts = [_zero_like(z) if c is None and z is not None else c for c, z in zip(parts, call.out_zeros)]
    residuals = tree_unflatten(call.res_def, list(residual_leaves))
    return call.fn._run_bwd(residuals, tree_unflatten(call.out_def, cts), call.in_defs, call.in_leaves)


_CUSTOM = Primitive(lambda: None, "custom_vjp")
_CUSTOM.vjp = _custom_rule


def _zero_like(spec):
    shape, dtype, is_python = spec
    if is_python:
        return dtype.type(0).item()
    return np.zeros(shape, dtype)


def _spec(v):
    b = bottom(v)
    return (np.shape(b), np.result_type(b), type(b) in (float, complex))


class _Call:
    """Static facts of one recorded call, kept in its tape record."""

    __slots__ = ("fn", "res_def", "out_def", "out_zeros", "in_defs", "in_leaves")

    def __init__(self, fn, res_def, out_def, out_zeros, in_defs, in_leaves):
        self.fn = fn
        self.res_def = res_def
        self.out_def = out_def
        self.out_zeros = out_zeros
        self.in_defs = in_defs
        self.in_leaves = in_leaves


def _top_trace(leaves):
    top = None
    for a in leaves:
        if type(a) is Tracer:
            if a._view is not None:
                refresh_view(a)
            t = a._trace
            if top is None or t.level > top.level:
                top = t
    return top


class CustomVJP:
    """A function with a user-defined reverse-mode rule (see :func:`custom_vjp`)."""

    def __init__(self, fun: Callable):
        functools.update_wrapper(self, fun)
        self.__name__ = getattr(fun, "__name__", None) or getattr(getattr(fun, "func", None), "__name__", "function")
        self.fun = fun
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None

    def defvjp(self, fwd: Callable, bwd: Callable) -> "CustomVJP":
        """Set the rule: ``fwd(*args) -> (out, residuals)``, ``bwd(residuals, g) -> one gradient per argument``."""
        self.fwd = fwd
        self.bwd = bwd
        return self

    def _with_static(self, kwargs: dict) -> "CustomVJP":
        """This function with keyword arguments bound (they are static: never differentiated)."""
        bound = CustomVJP(functools.partial(self.fun, **kwargs))
        bound.__name__ = self.__name__
        if self.fwd is not None:
            bound.defvjp(functools.partial(self.fwd, **kwargs), self.bwd)
        return bound

    def __call__(self, *args, **kwargs):
        if kwargs:
            for leaf in tree_flatten(kwargs)[0]:
                if type(leaf) is Tracer and leaf._trace.level > 0:
                    raise ZymoError(
                        f"a value being differentiated was passed to {self.__name__} as a keyword argument (at "
                        f"{user_location()}); keyword arguments are static. Fix: pass it positionally."
                    )
            return self._with_static(kwargs)(*args)
        top = _top_trace(leaf for a in args for leaf in tree_flatten(a)[0])
        if top is None:
            return self.fun(*args)
        if self.fwd is None:
            raise ZymoError(
                f"custom_vjp function {self.__name__} ({_defined_at(self.fun)}) has no rule yet, and it was "
                f"differentiated at {user_location()}. Fix: call {self.__name__}.defvjp(fwd, bwd) first."
            )
        if not top.active:
            raise top.escaped()
        return top.process_custom(self, args)

    # --- what a trace needs (see ``Trace.process_custom``) ---------------------------------------------
    rule = _CUSTOM

    def lower(self, args, trace):
        """``(out, residuals)`` from the arguments one level below ``trace``."""
        res = self.fwd(*args)
        if not (isinstance(res, tuple) and len(res) == 2):
            raise ZymoError(
                f"the fwd rule of custom_vjp function {self.__name__} ({_defined_at(self.fwd)}) must return a pair "
                f"(out, residuals), got {type(res).__name__}"
            )
        return res

    def rule_params(self, res_def, out_def, diff_outs, in_defs, in_leaves) -> dict:
        """The params of this call's record: the static facts ``rule`` needs (``diff_outs``: ``None`` where no
        derivative flows)."""
        call = _Call(
            self,
            res_def,
            out_def,
            [None if o is None else _spec(o) for o in diff_outs],
            in_defs,
            [_spec(x) if type(x) is Tracer or _is_float(x) else None for x in in_leaves],
        )
        return {"call": call}

    def _run_bwd(self, residuals, cotangent, in_defs, in_specs):
        """Call ``bwd`` and return its gradients flattened to one entry per input leaf."""
        grads = self.bwd(residuals, cotangent)
        if not isinstance(grads, (tuple, list)) or len(grads) != len(in_defs):
            raise ZymoError(
                f"the bwd rule of custom_vjp function {self.__name__} ({_defined_at(self.bwd)}) must return a "
                f"tuple with one gradient per argument ({len(in_defs)}), got {type(grads).__name__}"
                + (f" of length {len(grads)}" if isinstance(grads, (tuple, list)) else "")
            )
        flat = []
        for i, (g, treedef) in enumerate(zip(grads, in_defs)):
            n = treedef.num_leaves
            if g is None:
                flat.extend([None] * n)
                continue
            leaves, gdef = tree_flatten(g)
            if len(leaves) != n:
                raise ZymoError(
                    f"the bwd rule of custom_vjp function {self.__name__} ({_defined_at(self.bwd)}) returned a "
                    f"gradient for argument {i} with structure {gdef}, but the argument has structure {treedef}"
                )
            flat.extend(leaves)
        for i, (g, spec) in enumerate(zip(flat, in_specs)):
            if g is None or spec is None:
                continue
            if np.shape(bottom(g)) != spec[0]:
                raise ZymoError(
                    f"the bwd rule of custom_vjp function {self.__name__} ({_defined_at(self.bwd)}) returned a "
                    f"gradient of shape {np.shape(bottom(g))} for an input of shape {spec[0]}"
                )
        return flat

    def output_tangents(self, residuals, tangents, in_defs, in_leaves, out_leaves, out_def) -> list:
        """Forward mode: the output tangent leaves, by differentiating ``bwd`` with respect to its cotangent."""
        specs = [_spec(x) if type(x) is Tracer or _is_float(x) else None for x in in_leaves]
        zero_ct = tree_unflatten(out_def, [_zero_like(_spec(o)) if is_inexact(o) else None for o in out_leaves])

        def transposed(ct):
            return self._run_bwd(residuals, ct, in_defs, specs)

        try:
            _, back = vjp(transposed, zero_ct)
            (tangent_out,) = back(tangents)
        except ZymoError as e:
            raise ZymoError(
                f"forward mode of custom_vjp function {self.__name__} differentiates its bwd rule with respect "
                f"to the cotangent, which failed: {e}. Fix: write bwd with zymo.numpy operations."
            ) from e
        return tree_flatten(tangent_out)[0]


def _defined_at(fn) -> str:
    """``defined at file:line`` for a Python function (for error messages)."""
    fn = getattr(fn, "func", fn)
    code = getattr(fn, "__code__", None)
    return f"defined at {code.co_filename}:{code.co_firstlineno}" if code is not None else "a callable object"


def _is_float(x) -> bool:
    return isinstance(x, (float, complex, np.inexact)) or (type(x) is np.ndarray and x.dtype.kind in "fc")


def custom_vjp(fun: Callable) -> Any:
    """Give ``fun`` a hand-written reverse-mode rule with ``fun.defvjp(fwd, bwd)`` (JAX's convention).

    ``fwd(*args)`` returns ``(out, residuals)``; ``bwd(residuals, g)`` returns a
    tuple with one gradient per argument (``None`` for none), each with its
    argument's structure. Arguments and outputs may be pytrees. Forward mode
    is derived from ``bwd`` (it must be written with ``zymo.numpy``, as must
    ``fwd`` and ``bwd`` for higher-order derivatives).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> @zymo.custom_vjp
        ... def softplus(x):
        ...     return znp.logaddexp(0.0, x)
        >>> def fwd(x):
        ...     return softplus(x), x
        >>> def bwd(x, g):
        ...     return (g / (1 + znp.exp(-x)),)
        >>> _ = softplus.defvjp(fwd, bwd)
        >>> float(zymo.grad(softplus)(0.0))
        0.5
    """
    return CustomVJP(fun)
