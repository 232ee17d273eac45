"""Array namespaces: which library an array belongs to, and how a primitive runs in that library.

NumPy is the default and pays nothing: a ``numpy.ndarray`` is recognised by
type identity before anything else, and NumPy values never reach this module
on the hot paths. Any other array implementing the Python array API standard
(CuPy, ``array_api_strict``, ...) is *foreign*. Inside a differentiation zymo
keeps a foreign array boxed in a constant tracer, so every NumPy function and
operator applied to it, in user code and in derivative rules alike, reaches
zymo's dispatch tables; the one place where a primitive meets plain foreign
values (``zymo.core.trace.ConstTrace``) runs ``foreign_impl(prim, xp)``:

- the implementation registered with ``defnamespace(prim, fn)``, where
  ``fn(xp, *args, **params)`` is written with the namespace ``xp``;
- else the namespace's function of the same name (array API spelling:
  ``numpy.arccos`` is ``xp.acos``), which is how CuPy's NumPy-compatible
  extras (``einsum``, ``median``, ...) are used;
- else ``UnsupportedOperationError`` naming the function and the library.

Example:
    >>> import numpy as np
    >>> from zymo.core.namespace import array_namespace, is_foreign
    >>> array_namespace(np.ones(2)) is np, is_foreign(np.ones(2))
    (True, False)
"""

from __future__ import annotations

import functools
import operator
import threading
from types import ModuleType
from typing import Any, Callable

import numpy as np

from .errors import UnsupportedOperationError, ZymoError, user_location

__all__ = [
    "array_namespace",
    "is_foreign",
    "foreign_namespace",
    "library_name",
    "device_name",
    "numpy_dtype",
    "namespace_dtype",
    "defnamespace",
    "foreign_impl",
    "DeviceMismatchError",
    "STANDARD_NAMES",
]


class DeviceMismatchError(ZymoError, ValueError):
    """Arrays of two devices (or two array libraries) were combined in one operation."""


# NumPy's name -> the array API standard's name, where they differ.
STANDARD_NAMES = {
    "arccos": "acos",
    "arccosh": "acosh",
    "arcsin": "asin",
    "arcsinh": "asinh",
    "arctan": "atan",
    "arctan2": "atan2",
    "arctanh": "atanh",
    "power": "pow",
    "absolute": "abs",
    "invert": "bitwise_invert",
    "left_shift": "bitwise_left_shift",
    "right_shift": "bitwise_right_shift",
    "concatenate": "concat",
    "conjugate": "conj",
    "amax": "max",
    "amin": "min",
}

_foreign: dict[type, bool] = {}
_namespaces: dict[type, Any] = {}


def is_foreign(x) -> bool:
    """Whether ``x`` is an array of a library other than NumPy (one implementing the array API)."""
    t = type(x)
    if t is np.ndarray:
        return False
    r = _foreign.get(t)
    if r is None:
        r = _foreign[t] = (
            not issubclass(t, (np.ndarray, np.generic, int, float, complex, str, list, tuple, dict))
            and t.__module__.split(".")[0] != "zymo"
            and (hasattr(t, "__array_namespace__") or _known_array_type(x))
        )
        if r:
            state.seen = True
    return r


# Libraries whose arrays ``array_api_compat`` recognises by type even without ``__array_namespace__``.
_KNOWN_LIBRARIES = frozenset({"cupy", "torch", "jax", "jaxlib", "dask", "sparse", "dpnp", "ndonnx"})


def _known_array_type(x) -> bool:
    """An array of a library ``array_api_compat`` knows by type (CuPy's, in versions without the protocol)."""
    if type(x).__module__.split(".")[0] not in _KNOWN_LIBRARIES:
        return False
    try:
        import array_api_compat
    except ImportError:  # pragma: no cover - a dependency of zymo
        return False
    return bool(array_api_compat.is_array_api_obj(x))


def foreign_namespace(x) -> ModuleType:
    """The array API namespace of a foreign array (``array_api_compat``'s, cached by type)."""
    t = type(x)
    xp = _namespaces.get(t)
    if xp is None:
        import array_api_compat

        xp = _namespaces[t] = array_api_compat.array_namespace(x)
    return xp


def array_namespace(*xs) -> ModuleType:
    """The namespace of the arrays ``xs``: ``numpy`` unless one is a foreign array, traced or not.

    Example:
        >>> import numpy as np
        >>> from zymo.core.namespace import array_namespace
        >>> array_namespace(np.ones(2), 3.0).__name__
        'numpy'
    """
    from .tracer import bottom

    for x in xs:
        b = bottom(x)
        if is_foreign(b):
            return foreign_namespace(b)
    return np


def library_name(x) -> str:
    """The library an array belongs to, as its user imports it (``numpy``, ``cupy``, ``array_api_strict``)."""
    if type(x) is np.ndarray or isinstance(x, (np.generic, int, float, complex)):
        return "numpy"
    return type(x).__module__.split(".")[0]


def device_name(x) -> str:
    """The device an array lives on, in words (``cpu`` for NumPy)."""
    if not is_foreign(x):
        return "cpu"
    device = getattr(x, "device", None)
    if device is None:
        return "cpu"
    return str(device)


@functools.lru_cache(maxsize=None)
def _numpy_dtype(dt) -> np.dtype:
    return np.dtype(str(dt).rsplit(".", 1)[-1])


def numpy_dtype(dt) -> np.dtype:
    """NumPy's dtype of the same kind and size as any library's dtype object (``cupy`` uses NumPy's)."""
    if isinstance(dt, np.dtype):
        return dt
    return _numpy_dtype(dt)


def namespace_dtype(xp: ModuleType, dt):
    """The dtype object of namespace ``xp`` for a NumPy dtype (or dtype name)."""
    if dt is None:
        return None
    if not isinstance(dt, (np.dtype, type, str)):
        return dt  # already the namespace's own
    return getattr(xp, np.dtype(dt).name)


def defnamespace(prim, fn: Callable) -> Callable:
    """Give ``prim`` its implementation in any array API namespace: ``fn(xp, *args, **params)``.

    Write ``fn`` with the functions of the standard only (``xp.sum``, ``xp.permute_dims``, ...);
    NumPy arrays never reach it (the primitive's NumPy implementation runs for them).
    """
    prim.xp_impl = fn
    prim.__dict__.pop("_foreign_impls", None)
    return fn


def _unsupported_in(name: str, xp: ModuleType) -> UnsupportedOperationError:
    library = getattr(xp, "__name__", repr(xp)).replace("array_api_compat.", "")
    return UnsupportedOperationError(
        f"`numpy.{name}` is not available for {library} arrays (at {user_location()}): neither the array API "
        f"standard nor {library} has an equivalent zymo can differentiate. Fix: write it with functions of the "
        "array API standard, or convert the array to NumPy first."
    )


def _operator_impl(impl) -> bool:
    return getattr(impl, "__module__", None) in ("_operator", "operator") or impl in vars(operator).values()


def _by_name(prim, xp: ModuleType) -> Callable:
    impl = prim.impl
    if _operator_impl(impl):
        return impl
    name = getattr(impl, "__name__", None)
    module = getattr(impl, "__module__", None) or ""
    if isinstance(impl, np.ufunc) or module.startswith("numpy"):
        found = getattr(xp, STANDARD_NAMES.get(name, name), None) or getattr(xp, name, None)
        if found is None and module == "numpy.linalg" and hasattr(xp, "linalg"):
            found = getattr(xp.linalg, name, None)
        if found is not None:
            return found
        raise _unsupported_in(prim.name, xp)
    return _through_tables(prim, xp)


class _Running(threading.local):
    def __init__(self):
        self.prims: set = set()


_running = _Running()


def _through_tables(prim, xp: ModuleType) -> Callable:
    """``prim``'s own implementation run on boxed foreign values (see ``zymo.core.trace.box_foreign``).

    Every NumPy function the implementation calls then reaches zymo's tables and runs in the
    namespace. An implementation that reaches its own primitive again has no namespace version:
    that raises zymo's error instead of recursing.
    """
    from .tracer import Tracer

    box_foreign = state.box

    def unbox(v):
        if type(v) is Tracer and v._trace.level == 0:
            return v._val
        if type(v) is tuple:
            return tuple(unbox(e) for e in v)
        return v

    def run(*args, **params):
        if prim in _running.prims:
            raise _unsupported_in(prim.name, xp)
        _running.prims.add(prim)
        try:
            out = prim.impl(*[box_foreign(a) for a in args], **params)
        finally:
            _running.prims.discard(prim)
        return unbox(out)

    return run


def foreign_impl(prim, xp: ModuleType) -> Callable:
    """``prim``'s implementation for plain arrays of namespace ``xp`` (cached per primitive and namespace)."""
    cache = prim.__dict__.get("_foreign_impls")
    if cache is None:
        cache = prim.__dict__["_foreign_impls"] = {}
    fn = cache.get(xp)
    if fn is None:
        own = prim.__dict__.get("xp_impl")
        fn = functools.partial(own, xp) if own is not None else _by_name(prim, xp)
        cache[xp] = fn
    return fn


class _State:
    """``seen``: set once a foreign array has been seen (until then the NumPy paths test nothing at all);
    ``box``: how a foreign array is boxed (``zymo.core.trace.box_foreign``, set by that module)."""

    seen = False
    box: Callable = staticmethod(lambda x: x)


state = _State()


def _plain_for(v, xp, device):
    """A value passed to namespace ``xp``'s function: NumPy scalars as Python numbers, no NumPy arrays."""
    if isinstance(v, np.generic):
        return v.item()
    if type(v) is np.ndarray:
        if v.ndim == 0 and v.dtype.kind in "biufc":
            return v.item()
        raise DeviceMismatchError(
            f"a numpy array (device cpu, shape {v.shape}) and an array of {library_name_of(xp)} (device {device}) "
            f"were combined at {user_location()}. Fix: move one of them, for example with "
            "`zymo.to_device(x, ...)` or the array library's own `asarray`."
        )
    if type(v) is list or type(v) is tuple:
        return type(v)(_plain_for(e, xp, device) for e in v)
    return v


def library_name_of(xp: ModuleType) -> str:
    return getattr(xp, "__name__", repr(xp)).replace("array_api_compat.", "")


def _foreign_leaves(vals, out: list) -> list:
    for v in vals:
        if type(v) is list or type(v) is tuple:
            _foreign_leaves(v, out)
        elif is_foreign(v):
            out.append(v)
    return out


def check_devices(vals) -> tuple:
    """``(namespace, device)`` of the foreign arrays in ``vals`` (``(None, None)``: none); mixed devices raise."""
    found = _foreign_leaves(vals, [])
    if not found:
        return None, None
    xp, device = foreign_namespace(found[0]), getattr(found[0], "device", None)
    for v in found[1:]:
        other = getattr(v, "device", None)
        if foreign_namespace(v) is not xp or other != device:
            raise DeviceMismatchError(
                f"arrays of two devices were combined at {user_location()}: an array of {library_name(found[0])} on "
                f"{device} and an array of {library_name(v)} on {other}. Fix: move them to one device first, for "
                "example with `zymo.to_device(x, ...)`."
            )
    return xp, device


def foreign_call(prim, vals, params):
    """Run ``prim`` on plain values of which at least one may be foreign; ``None`` marks 'no foreign value'."""
    xp, device = check_devices(vals)
    if xp is None:
        return _NOT_FOREIGN
    fn = foreign_impl(prim, xp)
    vals = [_plain_for(v, xp, device) for v in vals]
    if params:
        if "dtype" in params and params["dtype"] is not None:
            params = dict(params, dtype=namespace_dtype(xp, params["dtype"]))
        return fn(*vals, **params)
    return fn(*vals)


_NOT_FOREIGN = object()
NOT_FOREIGN = _NOT_FOREIGN


# Module-level functions of NumPy code (``observed_call``'s, NumPy's functions without a derivative) ->
# their version for any namespace: ``fn(xp, *args, **kwargs)``.
NAMESPACE_VERSIONS: dict = {}


def defnamespace_version(fn: Callable, xp_fn: Callable) -> Callable:
    """Register ``xp_fn(xp, *args, **kwargs)`` as what ``fn`` (NumPy code without a derivative) is on foreign arrays.

    For the functions that ``observed_call`` runs (a sort order, a sign) and NumPy's functions whose
    results carry no derivative (``argmax``, ``nonzero``, ...).
    """
    NAMESPACE_VERSIONS[fn] = xp_fn
    return xp_fn


def call_version(fn: Callable, xp: ModuleType, args, kwargs):
    """``fn`` run in namespace ``xp`` on plain foreign values: its registered version, else the same name."""
    version = NAMESPACE_VERSIONS.get(fn)
    if version is not None:
        return version(xp, *args, **kwargs)
    name = getattr(fn, "__name__", repr(fn))
    module = getattr(fn, "__module__", None) or ""
    if module.startswith("numpy"):
        found = getattr(xp, STANDARD_NAMES.get(name, name), None) or getattr(xp, name, None)
        if found is not None:
            return found(*args, **kwargs)
    raise _unsupported_in(name, xp)
