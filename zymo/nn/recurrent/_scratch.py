"""A free list of work arrays for the recurrent kernels.

Large arrays allocated afresh on every call cost page faults (the allocator
hands big blocks back to the system when they are freed). The kernels take
their internal buffers from here and give them back when they are done: the
backward pass's temporaries at its end, the forward pass's saved activations
when the record holding them is dropped. Arrays handed to users never come
from here.
"""

from __future__ import annotations

import threading

import numpy as np

__all__ = ["take", "give"]

_MAX_BYTES = 256 * 2**20


class _Pool(threading.local):
    def __init__(self):
        self.free: dict = {}
        self.nbytes = 0


_pool = _Pool()


def take(shape: tuple, dtype) -> np.ndarray:
    """An uninitialised array of ``shape`` and ``dtype``, reused when one was given back."""
    key = (tuple(shape), np.dtype(dtype))
    stack = _pool.free.get(key)
    if stack:
        a = stack.pop()
        _pool.nbytes -= a.nbytes
        return a
    return np.empty(shape, dtype)


def give(*arrays) -> None:
    """Return arrays obtained from ``take`` (None entries are skipped) once nothing reads them."""
    for a in arrays:
        if a is None or _pool.nbytes + a.nbytes > _MAX_BYTES:
            continue
        _pool.free.setdefault((a.shape, a.dtype), []).append(a)
        _pool.nbytes += a.nbytes
