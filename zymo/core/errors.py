"""zymo's error types, and where in the user's code an error happened."""

from __future__ import annotations

import os
import sys
import threading

_ZYMO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_NUMPY_DIR = None


def _numpy_dir() -> str:
    global _NUMPY_DIR
    if _NUMPY_DIR is None:
        import numpy

        _NUMPY_DIR = os.path.dirname(os.path.abspath(numpy.__file__))
    return _NUMPY_DIR


def user_location() -> str:
    """``file:line`` of the innermost stack frame outside zymo and NumPy."""
    frame = sys._getframe(1)
    skip = (_ZYMO_DIR + os.sep, _numpy_dir() + os.sep)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(skip) and not filename.startswith("<frozen"):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


class ZymoError(Exception):
    """Base class of every error zymo raises."""


class ZymoWarning(UserWarning):
    """A warning from zymo: the result is correct, but something did not work as asked."""


class UnsupportedOperationError(ZymoError, TypeError):
    """An operation on a traced value that zymo has no derivative rule for."""


class TracerConversionError(ZymoError, TypeError):
    """A traced value would be converted silently to a plain array or number."""


class EscapedTracerError(ZymoError):
    """A traced value was used after the differentiation that made it ended."""


class NonScalarOutputError(ZymoError, TypeError):
    """``grad`` of a function whose output is not a scalar."""


class MutationError(ZymoError):
    """An in-place write that zymo cannot record correctly."""


class ShapeError(ZymoError, ValueError):
    """Arguments of the wrong shape."""


def unsupported(name: str, hint: str | None = None) -> UnsupportedOperationError:
    """The error for an operation with no derivative rule, naming the user's line."""
    fix = hint or (
        "write it with supported zymo.numpy operations, or give it a rule with "
        "@zymo.custom_vjp (see `python -m zymo coverage` for what is supported)"
    )
    return UnsupportedOperationError(
        f"zymo cannot differentiate `{name}` (called at {user_location()}): no derivative rule. Fix: {fix}."
    )


class _Pending(threading.local):
    def __init__(self):
        self.error = None


_pending = _Pending()


def remember(error: ZymoError) -> ZymoError:
    """Keep ``error`` in case NumPy replaces it by its own (it does so in scalar assignment)."""
    _pending.error = error
    return error


def take_remembered() -> ZymoError | None:
    """The error NumPy replaced, if any (and forget it)."""
    e, _pending.error = _pending.error, None
    return e
