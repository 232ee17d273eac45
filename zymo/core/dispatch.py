"""Tables that route NumPy functions and ufuncs called on tracers to zymo's implementations.

``zymo.numpy`` fills them (``implements``); the tracer's ``__array_ufunc__``,
``__array_function__``, operators and methods read them. Keeping the tables
here lets the core stay independent of the NumPy rule families.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Callable

from .errors import unsupported

__all__ = [
    "UFUNCS",
    "FUNCTIONS",
    "NONDIFF_FUNCTIONS",
    "SPECIAL",
    "LAZY_UFUNC_RULES",
    "implements",
    "call_numpy",
    "ufunc_rule",
    "ufunc_name",
]

UFUNCS: dict = {}
FUNCTIONS: dict = {}
# NumPy functions whose results carry no derivative (indices, predicates, shapes):
# on tracers they run on the plain values.
NONDIFF_FUNCTIONS: set = set()
# Engine hooks provided by the rule families (for example the in-place write primitive).
SPECIAL: dict = {}
# Ufuncs of other libraries: (the module defining them, zymo's rule module for them). The rule
# module is imported the first time one of its ufuncs meets a traced value (the library is then
# loaded already), so ``import zymo`` never imports the library.
LAZY_UFUNC_RULES: list[tuple[str, str]] = [("scipy.special", "zymo._rules.scipy_special_ufuncs")]


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


def ufunc_rule(ufunc) -> Callable | None:
    """zymo's implementation of ``ufunc``, loading a library's rule module on first need."""
    impl = UFUNCS.get(ufunc)
    if impl is None:
        for owner, rules in LAZY_UFUNC_RULES:
            if owner in sys.modules and rules not in sys.modules:
                import_module(rules)
                impl = UFUNCS.get(ufunc)
    return impl


def ufunc_name(ufunc) -> str:
    """The qualified name a user calls ``ufunc`` by: ``numpy.exp``, ``scipy.special.xlogy``."""
    import numpy as np

    name = getattr(ufunc, "__name__", repr(ufunc))
    if getattr(np, name, None) is ufunc:
        return f"numpy.{name}"
    for owner, _ in LAZY_UFUNC_RULES:
        module = sys.modules.get(owner)
        if module is not None and getattr(module, name.lstrip("_"), None) is not None:
            return f"{owner}.{name.lstrip('_')}"
    return f"numpy.{name}"


def lookup(func: Callable) -> Callable:
    impl = UFUNCS.get(func) or FUNCTIONS.get(func)
    if impl is None:
        raise unsupported(f"numpy.{getattr(func, '__name__', func)}")
    return impl


def call_numpy(func: Callable, *args, **kwargs):
    """Call zymo's implementation of the NumPy function ``func``."""
    return lookup(func)(*args, **kwargs)
