"""Primitives whose reverse rule is a fused kernel reading what their forward pass left in a ``Workspace``.

The fused backward runs when the cotangent and the inputs are plain arrays
(first-order reverse mode, the fast path). Otherwise (higher orders, forward
mode) the derivative is taken through a reference: the same computation
written with differentiable operations, so every nesting of modes works.
Used by the recurrent layers (a cell step, a whole sequence) and attention.

Example:
    >>> import numpy as np, zymo
    >>> def forward(x, *, ws=None):
    ...     y = np.tanh(x)
    ...     if ws is not None:
    ...         ws.saved = y
    ...     return y
    >>> backward = lambda y, g, x: (g * (1 - y * y),)
    >>> tanh_p = fused_primitive("fused_tanh", forward, backward, np.tanh, saves=(0,))
    >>> zymo.grad(lambda x: tanh_p(x, ws=Workspace()).sum())(np.zeros(2))
    array([1., 1.])
"""

from __future__ import annotations

from functools import partial
from typing import Callable, Sequence

import numpy as np

from ..core.api import jvp, vjp
from ..core.forward import defjvp_all
from ..core.namespace import foreign_namespace, is_foreign
from ..core.primitive import Primitive
from ..core.reverse import defvjp_all
from ..core.trace import box_foreign
from ..core.tracer import bottom

__all__ = ["Workspace", "fused_primitive"]


class Workspace:
    """Where a primitive's forward pass leaves what its fused backward reads (never seen by users).

    ``zymo.jit`` gives every replayed call a new one (``_zymo_per_call``).
    """

    __slots__ = ("saved",)
    _zymo_per_call = True

    def __init__(self):
        self.saved = None


def _plain(v) -> bool:
    return v is None or type(v) is np.ndarray


def _zero_tangent(a):
    """A zero tangent for argument ``a``, an array of its library on its device."""
    b = bottom(a)
    if type(b) is not np.ndarray and is_foreign(b):
        return box_foreign(foreign_namespace(b).zeros_like(b))
    return np.zeros_like(b)


def fused_primitive(
    name: str,
    forward: Callable,
    backward: Callable,
    reference: Callable,
    saves: Sequence[int],
    differentiable: int | None = None,
) -> Primitive:
    """A primitive computing ``forward(*args, ws=..., **static)``, differentiated by ``backward`` or ``reference``.

    ``backward(ws.saved, g, *args, **static)`` returns every argument's cotangent (a saved value of
    another array library's kernel gives them by its ``namespace_backward(g, args, static)`` instead);
    ``reference(*args, **static)`` is the differentiable twin. Only the first
    ``differentiable`` arguments (all by default) are differentiated through the
    reference; the others get no cotangent.
    """

    def impl(*args, ws=None, **static):
        return forward(*args, ws=ws, **static)

    prim = Primitive(impl, name)

    def vjp_rule(g, ans, *args, ws=None, **static):
        if ws is not None and ws.saved is not None:
            if type(g) is np.ndarray and all(_plain(a) for a in args):
                return backward(ws.saved, g, *args, **static)
            other = getattr(ws.saved, "namespace_backward", None)  # another library's kernel saved this
            grads = None if other is None else other(g, args, static)
            if grads is not None:
                return grads
        n = len(args) if differentiable is None else differentiable
        _, back = vjp(_with_fixed(reference, args[n:], static), *args[:n])
        return (*back(g), *[None] * (len(args) - n))

    def jvp_rule(tangents, ans, *args, ws=None, **static):
        n = len(args) if differentiable is None else differentiable
        tans = [_zero_tangent(a) if t is None and a is not None else t for a, t in zip(args[:n], tangents)]
        return box_foreign(jvp(_with_fixed(reference, args[n:], static), args[:n], tans)[1])  # foreign stays boxed

    defvjp_all(prim, vjp_rule, saves=tuple(saves))
    defjvp_all(prim, jvp_rule)
    return prim


def _with_fixed(reference: Callable, fixed: tuple, static: dict) -> Callable:
    """``reference`` of the differentiated arguments alone (the ``fixed`` ones and ``static`` bound)."""
    if not fixed:
        return partial(reference, **static)
    return lambda *args: reference(*args, *fixed, **static)
