"""The array namespace of a traced value: array API code differentiates unchanged.

Code written against the Python array API standard asks its inputs for their namespace
(``xp = x.__array_namespace__()`` or ``array_api_compat.array_namespace(x)``) and calls ``xp.exp``,
``xp.sum``, ``xp.matmul``. A traced value answers with a namespace whose functions record:

- a traced NumPy array answers ``zymo.numpy``;
- a traced array of another library (CuPy, ``array_api_strict``) answers ``TracedNamespace``: the
  differentiable functions of ``zymo.numpy`` (which run in that library), and that library's own
  dtypes, constants, dtype queries and creation functions (``zeros``, ``arange``, ... make its arrays
  on its devices).

Example:
    >>> import numpy as np, zymo
    >>> def loss(x):
    ...     xp = x.__array_namespace__()
    ...     return xp.sum(xp.tanh(x) ** 2)
    >>> zymo.grad(loss)(np.zeros(2))
    array([0., 0.])
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from .core.namespace import foreign_namespace, is_foreign
from .core.tracer import Tracer, bottom
from .mixed_namespaces import NamespaceMethod

__all__ = ["TracedNamespace", "namespace_of_traced"]

# The library's functions that make new arrays: inside differentiated code their results are boxed
# (constant traced values), so that writing traced values into them is recorded.
_MAKERS = frozenset(
    {"arange", "empty", "empty_like", "eye", "from_dlpack", "full", "full_like", "linspace", "ones", "ones_like"}
    | {"zeros", "zeros_like"}
)
# Taken from the library as they are: dtypes, constants, dtype queries.
_LIBRARY_NAMES = frozenset(
    {
        "finfo",
        "iinfo",
        "isdtype",
        "result_type",
        "can_cast",
        "e",
        "inf",
        "nan",
        "newaxis",
        "pi",
        "__array_api_version__",
        "__array_namespace_info__",
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float32",
        "float64",
        "complex64",
        "complex128",
    }
)


class TracedNamespace:
    """The namespace of traced arrays of the library ``xp`` (see the module docstring).

    Example:
        >>> import array_api_strict as xp
        >>> from zymo.array_api import TracedNamespace
        >>> TracedNamespace(xp).float64 == xp.float64
        True
    """

    def __init__(self, xp: ModuleType):
        self._xp = xp

    def __repr__(self) -> str:
        return f"<zymo namespace of traced {getattr(self._xp, '__name__', self._xp)} arrays>"

    def asarray(self, obj: Any, /, *, dtype=None, device=None, copy=None) -> Any:
        """The array itself if it is traced (it keeps its gradient; a copy if ``copy=True``), else the library's."""
        if type(obj) is Tracer:
            out = obj if dtype is None else self.astype(obj, dtype)
            if copy and out is obj:
                import zymo.numpy as znp

                out = znp.copy(obj)
            return out
        return self._xp.asarray(obj, dtype=dtype, device=device, copy=copy)

    def __getattr__(self, name: str) -> Any:
        if name in _MAKERS:
            return _boxing(getattr(self._xp, name))
        if name in _LIBRARY_NAMES:
            return getattr(self._xp, name)
        import zymo.numpy as znp

        found = getattr(znp, name, None)
        if found is None:
            found = getattr(self._xp, name)
        return found


def _boxing(maker):
    def make(*args, **kwargs):
        from .core.trace import box_foreign, current_level

        out = maker(*[bottom(a) for a in args], **kwargs)
        return box_foreign(out) if current_level() > 0 else out

    make.__name__ = getattr(maker, "__name__", "make")
    make.__doc__ = getattr(maker, "__doc__", None)
    return make


_traced: dict = {}


def namespace_of_traced(x: Tracer, api_version: str | None = None) -> Any:
    """``x.__array_namespace__()`` of a traced value: ``zymo.numpy``, or the ``TracedNamespace`` of its library."""
    b = bottom(x)
    if not is_foreign(b):
        import zymo.numpy as znp

        return znp
    xp = foreign_namespace(b)
    ns = _traced.get(xp)
    if ns is None:
        ns = _traced[xp] = TracedNamespace(xp)
    return ns


def _array_namespace(self, api_version=None):
    """The namespace array API code calls on this traced value (see the module docstring)."""
    return namespace_of_traced(self, api_version)


Tracer.__array_namespace__ = NamespaceMethod(_array_namespace)
