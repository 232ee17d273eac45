"""zymo's error types, and where in the user's code an error happened."""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass

_ZYMO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_NUMPY_DIR = None


def _numpy_dir() -> str:
    global _NUMPY_DIR
    if _NUMPY_DIR is None:
        import numpy

        _NUMPY_DIR = os.path.dirname(os.path.abspath(numpy.__file__))
    return _NUMPY_DIR


def _user_frame(frame):
    skip = (_ZYMO_DIR + os.sep, _numpy_dir() + os.sep)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(skip) and not filename.startswith("<frozen"):
            return frame
        frame = frame.f_back
    return None


def user_location() -> str:
    """``file:line`` of the innermost stack frame outside zymo and NumPy."""
    frame = _user_frame(sys._getframe(1))
    return "<unknown>" if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


@dataclass(frozen=True)
class UserOperation:
    """What the user's innermost frame is executing: its ``location`` (``file:line``), the bytecode
    operation (``"CALL"``, ``"STORE_SUBSCR"``, ...) and, for a call, the called expression's source
    (``"math.exp"``, ``"np.asarray"``, ``"x.dot"``; ``None`` where the source is not available)."""

    location: str
    operation: str | None
    callee: str | None


def _source_segment(frame) -> str | None:
    import linecache

    try:
        positions = list(frame.f_code.co_positions())[frame.f_lasti // 2]
    except (IndexError, ValueError):
        return None
    line, end_line, col, end_col = positions
    if None in positions:
        return None
    lines = [linecache.getline(frame.f_code.co_filename, n) for n in range(line, end_line + 1)]
    if not any(lines):
        return None
    lines[-1] = lines[-1].encode()[:end_col].decode(errors="replace")
    lines[0] = lines[0].encode()[col:].decode(errors="replace")
    return "".join(lines)


def _callee(segment: str) -> str | None:
    """``f`` of a call expression ``f(args)``: the text before the parenthesis that matches the last one."""
    segment = segment.rstrip()
    if not segment.endswith(")"):
        return None
    depth = 0
    for i in range(len(segment) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(segment[i], 0)
        if depth == 0:
            return segment[:i].strip() or None
    return None


def user_operation() -> UserOperation:
    """The user's operation that reached zymo (computed only when an error is being built)."""
    import dis

    frame = _user_frame(sys._getframe(1))
    if frame is None:
        return UserOperation("<unknown>", None, None)
    location = f"{frame.f_code.co_filename}:{frame.f_lineno}"
    try:
        operation = dis.opname[frame.f_code.co_code[frame.f_lasti]]
    except IndexError:
        operation = None
    callee = None
    if operation is not None and operation.startswith("CALL"):
        segment = _source_segment(frame)
        callee = _callee(segment) if segment else None
    return UserOperation(location, operation, callee)


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


def _repoint_warnings(show):
    """``warnings.showwarning`` that attributes a warning raised inside zymo (a NumPy ``RuntimeWarning`` in a
    rule, such as ``sqrt`` of a negative number) to the user's line that reached zymo.

    Runs only when a warning is shown, so operations cost nothing more.
    """

    def showwarning(message, category, filename, lineno, file=None, line=None):
        if os.path.abspath(filename).startswith(_ZYMO_DIR + os.sep):
            frame = sys._getframe(1)
            while frame is not None and not os.path.abspath(frame.f_code.co_filename).startswith(_ZYMO_DIR + os.sep):
                frame = frame.f_back
            user = _user_frame(frame) if frame is not None else None
            if user is not None:
                filename, lineno, line = user.f_code.co_filename, user.f_lineno, None
        return show(message, category, filename, lineno, file, line)

    showwarning._zymo_repoints = True
    return showwarning


def repoint_warnings() -> None:
    """Install ``_repoint_warnings`` over the current ``warnings.showwarning`` (once)."""
    import warnings

    if not getattr(warnings.showwarning, "_zymo_repoints", False):
        warnings.showwarning = _repoint_warnings(warnings.showwarning)
