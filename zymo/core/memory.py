"""Copy-on-write protection of values saved for the backward pass.

In-place writes go straight into the NumPy buffer (so views, aliases and the
caller's arrays change exactly as under NumPy). Before such a write, every
value that a recorded operation saved from the same memory is replaced, in
its record, by a private copy: the backward pass then sees the values the
operation actually used. The copy is made only when it is needed.

Registration is lazy: a trace's records are indexed by memory only when the
first in-place write after them happens, so code that never writes in place
pays nothing for this protection.
"""

from __future__ import annotations

import threading

import numpy as np

from . import recording
from .tracer import Tracer, new_tracer

__all__ = ["register_saved", "protect", "memory_root", "track"]


class _Registry(threading.local):
    def __init__(self):
        # id(memory root) -> list of (container, slot) holding a saved value on that memory (slot -1: a record's output)
        self.saved: dict[int, list] = {}
        # callbacks registering the values saved since their last call (one per live reverse trace)
        self.pending: list = []


_reg = _Registry()


def memory_root(a: np.ndarray):
    """The object that owns ``a``'s memory (the end of its ``.base`` chain)."""
    while True:
        b = a.base
        if type(b) is not np.ndarray:
            return a if b is None else b
        a = b


def _arrays_in(v):
    """The ndarrays a saved value keeps (its bottom value and any tangents)."""
    while type(v) is Tracer:
        node = v._node
        if type(node) is Tracer or type(node) is np.ndarray:
            yield from _arrays_in(node)
        v = v._val
    if type(v) is np.ndarray:
        yield v


def register_saved(container, slot: int) -> None:
    """Note that ``container[slot]`` is needed later, so a write into its memory copies it first.

    ``container`` is a list, or a tape record with ``slot`` ``-1`` for its output.
    """
    v = container.out if slot < 0 else container[slot]
    saved = _reg.saved
    if type(v) is np.ndarray:
        key = id(memory_root(v))
        entry = saved.get(key)
        if entry is None:
            saved[key] = [(container, slot)]
        else:
            entry.append((container, slot))
        return
    if type(v) is Tracer:
        for a in _arrays_in(v):
            saved.setdefault(id(memory_root(a)), []).append((container, slot))


def track(index_pending) -> None:
    """Have ``index_pending()`` register its newly saved values before the next in-place write."""
    _reg.pending.append(index_pending)


def _deep_copy(v):
    if type(v) is np.ndarray:
        return v.copy()
    if type(v) is Tracer:
        node = v._node
        if type(node) is Tracer or type(node) is np.ndarray:
            node = _deep_copy(node)
        return new_tracer(_deep_copy(v._val), v._trace, node)
    return v


def protect(a: np.ndarray) -> None:
    """Called before writing into ``a`` in place: give saved values on its memory private copies."""
    for index_pending in _reg.pending:
        index_pending()
    if not _reg.saved:
        return
    entries = _reg.saved.pop(id(memory_root(a)), None)
    if not entries:
        return
    done = set()
    for container, slot in entries:
        key = (id(container), slot)
        if key in done:
            continue
        if slot < 0:
            if container.prim is None:  # processed by the backward pass already
                continue
            done.add(key)
            container.out = _deep_copy(container.out)
        else:
            if slot >= len(container):
                continue
            done.add(key)
            container[slot] = _deep_copy(container[slot])
        recording.saved_copied(container, slot)


def clear() -> None:
    """Forget every registration (when the outermost differentiation ends)."""
    _reg.saved.clear()
    _reg.pending.clear()
