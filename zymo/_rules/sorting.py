"""Sorting rules: ``sort`` and ``partition`` as gathers along an axis.

The permutation is computed on plain values and applied with
``take_along_axis``, so the gradient of each output entry goes to the input
entry it came from (ties: to one of them).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .. import numpy as znp
from ..core.dispatch import implements
from ..core.recording import observed_call
from ..core.tracer import Tracer
from .indexing import laid_out_as_copy_of, take_along_axis


def _flat_if_none(a, axis):
    if axis is None:
        return znp.ravel(a), -1
    return a, axis


@implements(np.sort)
def sort(
    a: ArrayLike,
    axis: int | None = -1,
    kind: str | None = None,
    order: str | None = None,
    *,
    stable: bool | None = None,
) -> np.ndarray:
    """``numpy.sort``: a sorted copy along ``axis``; the gradient follows each entry to its place.

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.sort(x)[0])(np.array([3.0, 1.0, 2.0])).tolist()
        [0.0, 1.0, 0.0]
    """
    if type(a) is not Tracer:
        return np.sort(a, axis=axis, kind=kind, order=order, stable=stable)
    if order is not None:
        raise TypeError("zymo.numpy.sort: `order` applies to structured arrays, which carry no gradient")
    a, axis = _flat_if_none(a, axis)
    idx = observed_call(np.argsort, a, axis=axis, kind="stable")
    return laid_out_as_copy_of(take_along_axis(a, idx, axis), a)


def _matching_permutation(x, target, axis):
    """``idx`` with ``take_along_axis(x, idx, axis) == target`` for ``target`` a rearrangement of ``x``."""
    s = np.argsort(x, axis=axis, kind="stable")
    t = np.argsort(target, axis=axis, kind="stable")
    idx = np.empty_like(s)
    np.put_along_axis(idx, t, s, axis)
    return idx


def _partition_permutation(x, kth, axis, kind):
    """The permutation taking ``x`` to ``np.partition(x, kth, axis, kind)``."""
    return _matching_permutation(x, np.partition(x, kth, axis=axis, kind=kind), axis)


@implements(np.partition)
def partition(
    a: ArrayLike, kth: int | Sequence[int], axis: int | None = -1, kind: str = "introselect", order: str | None = None
) -> np.ndarray:
    """``numpy.partition`` (the same arrangement NumPy returns).

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.partition(x, 1)[1])(np.array([3.0, 1.0, 2.0])).tolist()
        [0.0, 0.0, 1.0]
    """
    if type(a) is not Tracer:
        return np.partition(a, kth, axis=axis, kind=kind, order=order)
    if order is not None:
        raise TypeError("zymo.numpy.partition: `order` applies to structured arrays, which carry no gradient")
    a, axis = _flat_if_none(a, axis)
    idx = observed_call(_partition_permutation, a, kth=kth, axis=axis, kind=kind)
    return laid_out_as_copy_of(take_along_axis(a, idx, axis), a)
