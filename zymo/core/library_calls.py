"""Which library function the user called when a traced value is converted inside NumPy or SciPy.

NumPy converts a list of traced values itself (``np.std([a, b])``), and SciPy's
Python-level functions (``scipy.special.logsumexp``, ``scipy.stats.norm.logpdf``)
convert their inputs with ``np.asarray``: the conversion happens deep inside the
library. The error should name the call in the user's code and, where zymo has
one, the differentiable function to call instead.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import sys
from importlib import import_module

__all__ = ["LibraryCall", "library_call", "ALTERNATIVES"]

# Library namespace -> zymo's namespace with differentiable versions of its functions.
ALTERNATIVES = {
    "numpy": "zymo.numpy",
    "numpy.linalg": "zymo.numpy.linalg",
    "numpy.fft": "zymo.numpy.fft",
    "scipy.special": "zymo.scipy.special",
    "scipy.stats": "zymo.scipy.stats",
    "scipy.linalg": "zymo.scipy.linalg",
    "scipy.signal": "zymo.scipy.signal",
    "scipy.integrate": "zymo.scipy.integrate",
    "scipy.optimize": "zymo.optimize",
}
_LIBRARIES = ("numpy", "scipy")
_ZYMO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclasses.dataclass(frozen=True)
class LibraryCall:
    """A call from the user's code into a library function."""

    name: str  # the public name, e.g. "scipy.special.logsumexp" or "scipy.stats.norm.logpdf"
    location: str  # the user's file:line
    alternative: str | None  # zymo's differentiable version, e.g. "zymo.scipy.special.logsumexp"


def _library_dirs() -> list[str]:
    dirs = []
    for name in _LIBRARIES:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            dirs.append(os.path.dirname(os.path.abspath(module.__file__)) + os.sep)
    return dirs


def _wrapped_function(frame):
    """The function a decorator's wrapper running in ``frame`` stands for (``functools.wraps``), if any.

    SciPy wraps functions (``scipy.special``'s in array API mode, ``scipy.stats``' ``axis_nan_policy``):
    the frame's code is the wrapper's, shared by every function it wraps, so the function object is
    found by its code and its closure, and its ``__wrapped__`` or name tells which function it is.
    """
    code = frame.f_code
    if not code.co_freevars:
        return None
    for fn in gc.get_referrers(code):
        if getattr(fn, "__code__", None) is not code or fn.__closure__ is None:
            continue
        try:
            same = all(
                frame.f_locals.get(v, cell) is cell.cell_contents for v, cell in zip(code.co_freevars, fn.__closure__)
            )
        except ValueError:  # an empty cell
            continue
        if same and getattr(fn, "__name__", code.co_name) != code.co_name:
            return fn
    return None


def _public_name_of_function(fn) -> str:
    public = [p for p in fn.__module__.split(".")]
    for i in range(len(public), 0, -1):
        prefix = ".".join(public[:i])
        mod = sys.modules.get(prefix)
        if not any(p.startswith("_") for p in public[:i]) and getattr(mod, fn.__name__, None) is not None:
            return f"{prefix}.{fn.__name__}"
    return f"{fn.__module__}.{fn.__qualname__}"


def _public_name(frame) -> str:
    """``numpy._core.fromnumeric.std`` -> ``numpy.std``; a distribution's method -> ``scipy.stats.norm.logpdf``."""
    code = frame.f_code
    wrapped = _wrapped_function(frame)
    if wrapped is not None:
        return _public_name_of_function(wrapped)
    module = frame.f_globals.get("__name__", "")
    parts = module.split(".")
    self = frame.f_locals.get("self")
    if self is not None and module.startswith("scipy.stats"):
        dist = getattr(self, "dist", self)
        if isinstance(getattr(dist, "name", None), str):
            return f"scipy.stats.{dist.name}.{code.co_name}"
    public = []
    for part in parts:
        if part.startswith("_"):
            break
        public.append(part)
    best = ".".join(public)
    for i in range(1, len(public) + 1):
        prefix = ".".join(public[:i])
        mod = sys.modules.get(prefix)
        if mod is not None and getattr(mod, code.co_name, None) is not None:
            return f"{prefix}.{code.co_name}"
    qual = getattr(code, "co_qualname", code.co_name)
    return f"{best}.{qual}" if best else qual


def _alternative(name: str) -> str | None:
    namespace, _, attr = name.rpartition(".")
    rest = ""
    while namespace and namespace not in ALTERNATIVES:  # scipy.stats.norm.logpdf: namespace scipy.stats
        namespace, _, head = namespace.rpartition(".")
        rest = f"{head}.{rest}" if rest else head
    if not namespace:
        return None
    target = ALTERNATIVES[namespace]
    try:
        obj = import_module(target)
        own = import_module(namespace)
        for a in [*rest.split("."), attr] if rest else [attr]:
            obj, own = getattr(obj, a), getattr(own, a, None)
    except (ImportError, AttributeError):
        return None
    if obj is own:  # the library's own function re-exported (``zymo.numpy.testing`` is ``numpy.testing``)
        return None
    return f"{target}.{rest + '.' if rest else ''}{attr}"


def library_call() -> LibraryCall | None:
    """The NumPy or SciPy function the user's code called, if the current stack is inside one."""
    dirs = tuple(_library_dirs())
    if not dirs:
        return None
    frame = sys._getframe(1)
    callee = None
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if filename.startswith(_ZYMO_DIR + os.sep):
            if callee is not None:  # the library was called by zymo itself, not by the user
                return None
        elif filename.startswith(dirs):
            callee = frame
        elif filename.startswith("<frozen"):
            pass
        else:
            if callee is None:
                return None
            name = _public_name(callee)
            return LibraryCall(name, f"{frame.f_code.co_filename}:{frame.f_lineno}", _alternative(name))
        frame = frame.f_back
    return None
