"""Plain NumPy arrays beside traced values: one namespace, ``zymo.numpy``, in SciPy's array API mode.

With ``SCIPY_ARRAY_API=1``, SciPy asks ``array_namespace(a, b, ...)`` for the namespace to compute
with. Inside a differentiated function a SciPy routine often holds traced values and plain NumPy
arrays it made itself (a boolean mask from a comparison, a count from ``xp.asarray(n)``:
``scipy.stats.variation``, ``tmean``, ``iqr``). SciPy's vendored ``array_api_compat`` sees two
namespaces there and raises "Multiple namespaces". ``zymo.numpy`` takes NumPy arrays and traced
values alike, so for such a mix zymo answers ``zymo.numpy``; every other call (no traced value, a
traced array of another library, an object of a third library) goes to SciPy's function unchanged.

zymo puts its answer in front of SciPy's the first time a traced value is asked for its namespace
(``hasattr(x, "__array_namespace__")``, which SciPy's ``array_namespace`` does for each argument
before it looks at any of them), once SciPy's ``array_api_compat`` is loaded.

Example:
    >>> import numpy as np, zymo
    >>> from zymo.mixed_namespaces import namespace_of_mix
    >>> seen = []
    >>> _ = zymo.grad(lambda x: seen.append(namespace_of_mix((x, np.ones(2)))) or x.sum())(np.zeros(2))
    >>> seen[0] is zymo.numpy
    True
"""

from __future__ import annotations

import sys
from typing import Any, Callable

import numpy as np

from .core.namespace import is_foreign
from .core.tracer import Tracer, bottom

__all__ = ["namespace_of_mix", "install"]

# SciPy's vendored copy of array_api_compat: SciPy's own ``array_namespace`` calls this module's
# ``array_namespace`` by attribute, so the function put there is the one it runs.
_COMPAT_MODULE = "scipy._lib.array_api_compat"
_PLAIN = (np.ndarray, np.generic, int, float, complex, bool, type(None))
_installed = False


def namespace_of_mix(xs: tuple) -> Any:
    """``zymo.numpy`` when ``xs`` holds a traced NumPy value and otherwise only NumPy arrays and numbers, else None."""
    traced = False
    for x in xs:
        if type(x) is Tracer:
            if is_foreign(bottom(x)):
                return None
            traced = True
        elif not isinstance(x, _PLAIN):
            return None
    if not traced:
        return None
    import zymo.numpy as znp

    return znp


def _answering_mixes(original: Callable) -> Callable:
    def array_namespace(*xs, **kwargs):
        return namespace_of_mix(xs) or original(*xs, **kwargs)

    array_namespace.__wrapped__ = original
    array_namespace.__doc__ = original.__doc__
    return array_namespace


def install() -> None:
    """Put ``namespace_of_mix`` in front of SciPy's ``array_namespace``, once SciPy has loaded it."""
    global _installed
    compat = sys.modules.get(_COMPAT_MODULE)
    if compat is None:
        return
    _installed = True
    if getattr(compat.array_namespace, "__wrapped__", None) is None:
        compat.array_namespace = _answering_mixes(compat.array_namespace)


class NamespaceMethod:
    """``Tracer.__array_namespace__``: reading it installs ``install`` first (see the module docstring)."""

    def __init__(self, method: Callable):
        self._method = method

    def __get__(self, obj, cls=None):
        if not _installed:
            install()
        return self._method.__get__(obj, cls)
