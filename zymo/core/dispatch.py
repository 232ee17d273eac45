"""Tables that route NumPy functions and ufuncs called on tracers to zymo's implementations.

``zymo.numpy`` fills them (``implements``); the tracer's ``__array_ufunc__``,
``__array_function__``, operators and methods read them. Keeping the tables
here lets the core stay independent of the NumPy rule families.
"""

from __future__ import annotations

from typing import Callable

from .errors import unsupported

__all__ = ["UFUNCS", "FUNCTIONS", "NONDIFF_FUNCTIONS", "SPECIAL", "implements", "call_numpy"]

UFUNCS: dict = {}
FUNCTIONS: dict = {}
# NumPy functions whose results carry no derivative (indices, predicates, shapes):
# on tracers they run on the plain values.
NONDIFF_FUNCTIONS: set = set()
# Engine hooks provided by the rule families (for example the in-place write primitive).
SPECIAL: dict = {}


def implements(*numpy_funcs: Callable) -> Callable:
    """Register the decorated function as zymo's version of the given NumPy functions/ufuncs."""

    def register(fn):
        import numpy as np

        for f in numpy_funcs:
            if isinstance(f, np.ufunc):
                UFUNCS[f] = fn
            else:
                FUNCTIONS[f] = fn
        return fn

    return register


def lookup(func: Callable) -> Callable:
    impl = UFUNCS.get(func) or FUNCTIONS.get(func)
    if impl is None:
        raise unsupported(f"numpy.{getattr(func, '__name__', func)}")
    return impl


def call_numpy(func: Callable, *args, **kwargs):
    """Call zymo's implementation of the NumPy function ``func``."""
    return lookup(func)(*args, **kwargs)
