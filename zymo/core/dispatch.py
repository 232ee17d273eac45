"""Tables that route NumPy functions and ufuncs called on tracers to zymo's implementations.

``zymo.numpy`` fills them (``implements``); the tracer's ``__array_ufunc__``,
``__array_function__``, operators and methods read them. Keeping the tables
here lets the core stay independent of the NumPy rule families.
"""

from __future__ import annotations

import functools
import inspect
import sys
from importlib import import_module
from typing import Callable

from .errors import unsupported
from .tracer import Tracer

__all__ = [
    "UFUNCS",
    "FUNCTIONS",
    "NONDIFF_FUNCTIONS",
    "SPECIAL",
    "LAZY_UFUNC_RULES",
    "implements",
    "accept_lists",
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


# The functions that turn a list into an array: they take lists of traced values themselves.
_ARRAY_MAKERS = frozenset({"array", "asarray", "asanyarray", "ascontiguousarray", "asfortranarray"})


def _holds_tracer(x) -> bool:
    for e in x:
        if type(e) is Tracer or ((type(e) is list or type(e) is tuple) and _holds_tracer(e)):
            return True
    return False


def accept_lists(fn: Callable) -> Callable:
    """``fn`` taking, in each argument annotated ``ArrayLike``, a list or tuple of traced values as one array.

    NumPy converts such a list itself (``np.std([a, b])``); zymo's functions stack it with
    ``zymo.numpy.asarray`` first, so the gradient reaches every entry.
    """
    params = list(inspect.signature(fn).parameters.values())
    slots = []
    for i, p in enumerate(params):
        note = p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", "")
        if (
            "ArrayLike" in str(note)
            and "Sequence" not in str(note)
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ):
            slots.append((i, p.name))
    if not slots:
        return fn

    def converted(x):
        if (type(x) is list or type(x) is tuple) and _holds_tracer(x):
            import numpy as np

            return FUNCTIONS[np.asarray](x)
        return x

    @functools.wraps(fn)
    def entry(*args, **kwargs):
        n = len(args)
        for i, name in slots:
            if i < n:
                a = args[i]
                if type(a) is list or type(a) is tuple:
                    args = args[:i] + (converted(a),) + args[i + 1 :]
            elif name in kwargs:
                kwargs[name] = converted(kwargs[name])
        return fn(*args, **kwargs)

    return entry


def implements(*numpy_funcs: Callable) -> Callable:
    """Register the decorated function as zymo's version of the given NumPy functions/ufuncs.

    Arguments annotated ``ArrayLike`` also take lists of traced values (``accept_lists``).
    """

    def register(fn):
        import numpy as np

        if not any(getattr(f, "__name__", "") in _ARRAY_MAKERS for f in numpy_funcs):
            fn = accept_lists(fn)
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
    if impl is None and func in NONDIFF_FUNCTIONS:
        return func  # NumPy's own: on traced values its __array_function__ runs it on the plain values
    if impl is None:
        raise unsupported(f"numpy.{getattr(func, '__name__', func)}")
    return impl


def call_numpy(func: Callable, *args, **kwargs):
    """Call zymo's implementation of the NumPy function ``func``."""
    return lookup(func)(*args, **kwargs)
