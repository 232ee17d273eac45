"""The check that arrays a ``zymo.jit`` program read from outside its arguments have not changed in place.

Before each replay every such array is checked against what it held when the
call was recorded. With ``xxhash`` installed (a dependency of zymo) the record
keeps a *fingerprint* of a contiguous array (its shape, strides, dtype and the
128-bit XXH3 hash of its bytes): one pass over the array at memory speed, and
the replay then computes with the array itself, so the check adds no second
array to the memory the replay reads. Otherwise, and for strided views, the
record keeps a copy and the check compares bytes block by block through one
small buffer, without an array-sized temporary. Either way a NaN equals
itself and ``-0.0`` differs from ``0.0``.

Example:
    >>> import numpy as np
    >>> from zymo.core.jit_externals import record_of, unchanged
    >>> w = np.array([1.0, np.nan, 3.0])
    >>> kept = record_of(w)
    >>> unchanged(w, kept)
    True
    >>> w[2] = 4.0
    >>> unchanged(w, kept)
    False
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

try:
    from xxhash import xxh3_128_intdigest
except ImportError:  # pragma: no cover - xxhash is a dependency; without it, copies are kept and compared
    xxh3_128_intdigest = None

__all__ = ["Fingerprint", "snapshot", "fingerprint", "record_of", "unchanged", "distinct"]

_BLOCK = 1 << 15  # elements compared per block: with their flags, a few hundred KiB that stay in cache
_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


class Fingerprint(NamedTuple):
    """What identifies a contiguous array's value: its layout and a 128-bit hash of its bytes."""

    shape: tuple
    strides: tuple
    dtype: np.dtype
    digest: int


def snapshot(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` with its memory layout, to compare it with later."""
    return a.copy(order="K")


def fingerprint(a: np.ndarray) -> Fingerprint | None:
    """``a``'s ``Fingerprint``, or ``None`` when ``a`` is not contiguous (or xxhash is missing)."""
    if xxh3_128_intdigest is None or not (a.flags.c_contiguous or a.flags.f_contiguous):
        return None
    return Fingerprint(a.shape, a.strides, a.dtype, _digest(a))


def _digest(a: np.ndarray) -> int:
    """The XXH3 hash of a contiguous array's bytes (any dtype: viewed as bytes first)."""
    return xxh3_128_intdigest(a.ravel(order="K").view(np.uint8))


def record_of(a: np.ndarray):
    """What ``unchanged`` later checks ``a`` against: its fingerprint, or else a snapshot."""
    f = fingerprint(a)
    return snapshot(a) if f is None else f


def _flat_bits(a: np.ndarray):
    """``a``'s memory as a 1-D unsigned-integer view (no copy), or ``None`` when it is not contiguous."""
    if not (a.flags.c_contiguous or a.flags.f_contiguous):
        return None
    flat = a.ravel(order="K")
    itemsize = a.dtype.itemsize
    if itemsize in _UINT:
        return flat.view(_UINT[itemsize])
    if a.nbytes % 8 == 0:
        return flat.view(np.uint64)
    return flat.view(np.uint8)


def unchanged(a: np.ndarray, snap) -> bool:
    """Whether ``a`` holds what ``snap`` (its ``record_of``, ``snapshot`` or ``fingerprint``) recorded."""
    if type(snap) is Fingerprint:
        return (
            a.shape == snap.shape
            and a.strides == snap.strides
            and a.dtype == snap.dtype
            and (a.flags.c_contiguous or a.flags.f_contiguous)
            and _digest(a) == snap.digest
        )
    if a.shape != snap.shape or a.dtype != snap.dtype:
        return False
    x = _flat_bits(a) if a.strides == snap.strides else None
    y = _flat_bits(snap) if x is not None else None
    if x is None or y is None:  # a strided view: compared whole (a temporary, but such constants are rare)
        itemsize = a.dtype.itemsize
        if itemsize in _UINT:
            return bool(np.array_equal(a.view(_UINT[itemsize]), snap.view(_UINT[itemsize])))
        return a.tobytes() == snap.tobytes()
    n = x.size
    if n <= _BLOCK:
        return bool(np.array_equal(x, y))
    flags = np.empty(_BLOCK, dtype=bool)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        m = flags[: stop - start]
        np.equal(x[start:stop], y[start:stop], out=m)
        if not m.all():
            return False
    return True


def distinct(externals: list) -> list:
    """``(array, what it is checked against)`` for each array of ``externals`` (entries ``[array, record, ...]``)."""
    seen, out = set(), []
    for entry in externals:
        if id(entry[0]) not in seen:
            seen.add(id(entry[0]))
            out.append((entry[0], entry[1]))
    return out
