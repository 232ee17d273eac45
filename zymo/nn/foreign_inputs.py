"""Calling a module on arrays of another library outside differentiation (plain inference).

NumPy's functions cannot reach an array of a library that does not speak NumPy's protocols
(``array_api_strict``; CuPy does). So a module called with such arrays, outside any
differentiation, runs on them boxed, as inside ``zymo.grad``: every NumPy function and operator the
layers apply reaches zymo's tables and runs in the array's own library. The results, and any state
the call wrote into the module (running statistics), are that library's arrays again.

NumPy inputs never come here: a ``Module`` call tests its arguments' types first.

Example:
    >>> import numpy as np, zymo
    >>> from zymo import nn
    >>> layer = nn.Dense(3, 2, rng=np.random.default_rng(0))
    >>> type(layer(np.ones((1, 3), np.float32))).__name__  # NumPy in, NumPy out, as always
    'ndarray'
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from ..core.namespace import is_foreign
from ..core.pytree import tree_map
from ..core.trace import box_foreign
from ..core.tracer import Tracer

__all__ = ["accepting_foreign_inputs", "unbox"]


def unbox(v: Any) -> Any:
    """``v`` with a boxed foreign array (a constant traced value) replaced by the array itself."""
    if type(v) is Tracer and v._trace.level == 0 and is_foreign(v._val):
        return v._val
    return v


def _has_foreign(args, kwargs) -> bool:
    for a in args:
        if type(a) is not np.ndarray and is_foreign(a):
            return True
    if kwargs:
        for a in kwargs.values():
            if type(a) is not np.ndarray and is_foreign(a):
                return True
    return False


def _copy_back(target, source) -> None:
    """Give ``target`` (a module) the attribute values of ``source`` (its boxed copy after the call, unboxed).

    Sub-modules are updated in place rather than replaced, so references a user holds stay current.
    """
    d = target.__dict__
    for k, v in source.__dict__.items():
        old = d.get(k)
        if type(old) is type(v) and hasattr(v, "__dict__") and type(v).__module__.startswith("zymo"):
            _copy_back(old, v)
        elif type(old) in (list, tuple) and type(v) is type(old) and len(v) == len(old):
            for o, n in zip(old, v):
                if type(o) is type(n) and hasattr(n, "__dict__") and type(n).__module__.startswith("zymo"):
                    _copy_back(o, n)
            if not all(o is n or hasattr(n, "__dict__") for o, n in zip(old, v)):
                d[k] = type(v)(o if hasattr(n, "__dict__") else n for o, n in zip(old, v))
        elif old is not v:
            d[k] = v


def accepting_foreign_inputs(call: Callable) -> Callable:
    """``call`` (a module's ``__call__``) made to run boxed when given foreign arrays outside differentiation."""

    @functools.wraps(call)
    def wrapped(self, *args, **kwargs):
        if not _has_foreign(args, kwargs):
            return call(self, *args, **kwargs)
        boxed = tree_map(box_foreign, self)  # a copy of the module whose foreign arrays are boxed
        out = call(boxed, *[box_foreign(a) for a in args], **{k: box_foreign(v) for k, v in kwargs.items()})
        _copy_back(self, tree_map(unbox, boxed))
        return tree_map(unbox, out)

    wrapped._zymo_accepts_foreign = True
    return wrapped
