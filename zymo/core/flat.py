"""``x.flat`` of a traced array: positions in C order, read and written as ``numpy.flatiter`` does."""

from __future__ import annotations

import operator

import numpy as np

from .dispatch import call_numpy
from .mutation import inplace_setitem
from .tracer import Tracer, bottom

__all__ = ["FlatIterator", "write_flat"]


def write_flat(a: Tracer, positions, value) -> None:
    """``a.flat[positions] = value``: ``value``'s entries in C order, repeated to cover the positions.

    NumPy reads each value only when it writes it, so where ``value`` is a
    view of ``a`` a value read after an earlier write sees the written one;
    the writes are then made one by one in the same order.
    """
    shape = bottom(a).shape
    positions = np.asarray(positions, dtype=np.intp).reshape(-1)
    if positions.size == 0:
        return
    if type(value) is Tracer and np.shares_memory(bottom(a), bottom(value)):
        _write_one_by_one(a, shape, positions, value)
        return
    values = call_numpy(np.ravel, value)
    size = np.size(bottom(values)) if type(values) is Tracer else np.size(values)
    if size == 0:
        raise ValueError("cannot write an empty sequence of values into array positions")
    if size not in (1, positions.size):
        values = call_numpy(np.resize, values, positions.size)
    inplace_setitem(a, np.unravel_index(positions, shape), values)


def _write_one_by_one(a, shape, positions, value):
    vshape = bottom(value).shape
    size = int(np.prod(vshape))
    if size == 0:
        raise ValueError("cannot write an empty sequence of values into array positions")
    for k, position in enumerate(positions):
        source = value[np.unravel_index(k % size, vshape)] if vshape else value
        inplace_setitem(a, np.unravel_index(position, shape), source)


class FlatIterator:
    """``x.flat`` for a traced ``x``: index it by position in C order to read or write.

    Reads are copies (as ``numpy.flatiter``'s are); writes reach ``x`` and are
    differentiated like ``x[...] = value``.

    Example:
        >>> import numpy as np
        >>> import zymo
        >>> def f(x):
        ...     y = x * 1.0
        ...     y.flat[::3] = 0.0  # the diagonal of a 2x2 matrix
        ...     return (y * y).sum()
        >>> zymo.grad(f)(np.array([[1.0, 2.0], [3.0, 4.0]]))
        array([[0., 4.],
               [6., 0.]])
    """

    __slots__ = ("base",)

    def __init__(self, base: Tracer):
        self.base = base

    def __len__(self) -> int:
        return bottom(self.base).size

    def __iter__(self):
        values = call_numpy(np.ravel, self.base)
        for i in range(len(self)):
            yield values[i]

    def __getitem__(self, idx):
        got = call_numpy(operator.getitem, call_numpy(np.ravel, self.base), idx)
        return got if np.ndim(bottom(got)) == 0 else call_numpy(np.copy, got)

    def __setitem__(self, idx, value) -> None:
        write_flat(self.base, np.arange(len(self))[idx], value)

    def copy(self):
        """A 1-D copy of the values, as ``x.flatten()``."""
        return call_numpy(np.copy, call_numpy(np.ravel, self.base))

    def __array__(self, dtype=None, copy=None):
        return self.base.__array__(dtype, copy)
