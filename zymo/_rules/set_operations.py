"""``unique`` and the set operations: values gathered from the input, so gradients flow back to it.

NumPy finds the distinct values on the plain array; zymo then takes each one from the entry of the
input it came from (the first occurrence, or the entry with the very same bits where NumPy kept a
later duplicate such as ``-0.0`` beside ``0.0``). Values equal NumPy's bit for bit and the gradient
of a value reaches the entry it was read from; indices, inverses and counts carry no derivative.
``unique_all``/``unique_counts``/``unique_inverse``/``unique_values``, ``union1d``, ``intersect1d``,
``setdiff1d`` and ``setxor1d`` run as NumPy's own Python code over this ``unique`` (where values tie,
the entry NumPy's sort puts first gets the gradient).

Example:
    >>> import zymo, zymo.numpy as znp
    >>> zymo.grad(lambda x: (znp.unique(x) ** 2).sum())(znp.array([3.0, 1.0, 3.0]))
    array([6., 2., 0.])
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.lib.array_utils import normalize_axis_index
from numpy.typing import ArrayLike

from .. import numpy as znp
from ..core.dispatch import FUNCTIONS, implements
from ..core.recording import observed_call
from .helpers import has_tracer, shape_of
from .numpy_python import numpy_python

__all__ = [
    "unique",
    "unique_all",
    "unique_counts",
    "unique_inverse",
    "unique_values",
    "union1d",
    "intersect1d",
    "setdiff1d",
    "setxor1d",
]


def _rows(x: np.ndarray, axis: int | None) -> np.ndarray:
    """``x`` as one row of bytes per entry (``axis`` None) or per slice along ``axis``."""
    x = np.ascontiguousarray(x.reshape(-1) if axis is None else np.moveaxis(x, axis, 0))
    return x.view(np.uint8).reshape(len(x), -1)


def _sources(plain: np.ndarray, values: np.ndarray, axis: int | None) -> np.ndarray:
    """For each of NumPy's ``values``, an index into ``plain`` (flattened, or along ``axis``) with the same bits."""
    _, first = np.unique(plain, return_index=True, axis=axis, equal_nan=False)
    sorted_values = np.take(plain, first, axis=axis)
    if axis is None:  # NumPy's order may not be sorted (``sorted=False``): find each value's sorted place
        place = np.searchsorted(sorted_values, values)
    else:
        place = np.arange(values.shape[axis])
    place = np.minimum(place, len(first) - 1)
    index = first[place]
    have, want = _rows(np.take(plain, index, axis=axis), axis), _rows(values, axis)
    for k in np.flatnonzero((have != want).any(axis=1)):  # a duplicate whose bits differ (-0.0, NaN)
        same = np.flatnonzero((_rows(plain, axis) == want[k]).all(axis=1))
        if same.size:
            index[k] = same[0]
    return index


@implements(np.unique)
def unique(
    ar: ArrayLike,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: int | None = None,
    *,
    equal_nan: bool = True,
    sorted: bool = True,
) -> Any:
    """``numpy.unique``: the distinct values, differentiable (each is read from an entry of ``ar``).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.unique(x).sum())(znp.array([2.0, 1.0, 2.0]))
        array([1., 1., 0.])
    """
    if not has_tracer(ar):
        return np.unique(ar, return_index, return_inverse, return_counts, axis, equal_nan=equal_nan, sorted=sorted)
    options = {"return_index": return_index, "return_inverse": return_inverse, "return_counts": return_counts}
    # read by Python: a zymo.jit replay re-checks the plan, so it never gathers stale entries
    plan = observed_call(_unique_plan, ar, axis=axis, equal_nan=equal_nan, sorted=sorted, **options)
    parts = list(plan.found) if isinstance(plan.found, tuple) else [plan.found]
    ax = None if axis is None else normalize_axis_index(axis, len(shape_of(ar)))
    parts[0] = znp.take(ar, plan.index, axis=ax)
    return tuple(parts) if isinstance(plan.found, tuple) else parts[0]


class UniquePlan(NamedTuple):
    """What NumPy's ``unique`` gives on the plain values, and where in the input each value is read."""

    found: Any  # NumPy's result: the values, or the tuple with indices, inverse and counts
    index: np.ndarray  # for each value, its entry of the input (flattened, or along ``axis``)


def _unique_plan(plain, axis, equal_nan, sorted, return_index, return_inverse, return_counts) -> UniquePlan:
    plain = np.asarray(plain)
    found = np.unique(plain, return_index, return_inverse, return_counts, axis, equal_nan=equal_nan, sorted=sorted)
    ax = None if axis is None else normalize_axis_index(axis, plain.ndim)
    index = found[1] if return_index else _sources(plain, found[0] if isinstance(found, tuple) else found, ax)
    return UniquePlan(found, index)


def _doc(name: str, what: str, call: str, result: str) -> str:
    return f"""``numpy.{name}``: {what}, values differentiable (each is read from an entry of the input).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> x, y = znp.array([2.0, 1.0, 2.0]), znp.array([1.0, 5.0])
        >>> zymo.grad(lambda x: {call})(x)
        {result}
    """


unique_all = numpy_python(
    np.unique_all,
    _doc(
        "unique_all",
        "values, first indices, inverse and counts",
        "znp.unique_all(x).values.sum()",
        "array([1., 1., 0.])",
    ),
)
unique_counts = numpy_python(
    np.unique_counts,
    _doc("unique_counts", "values and counts", "znp.unique_counts(x).values.sum()", "array([1., 1., 0.])"),
)
unique_inverse = numpy_python(
    np.unique_inverse,
    _doc("unique_inverse", "values and the inverse", "znp.unique_inverse(x).values.sum()", "array([1., 1., 0.])"),
)
unique_values = numpy_python(
    np.unique_values, _doc("unique_values", "the distinct values", "znp.unique_values(x).sum()", "array([1., 1., 0.])")
)
union1d = numpy_python(
    np.union1d, _doc("union1d", "the sorted union", "znp.union1d(x, y).sum()", "array([1., 1., 0.])")
)
intersect1d = numpy_python(
    np.intersect1d, _doc("intersect1d", "the sorted intersection", "znp.intersect1d(x, y).sum()", "array([0., 1., 0.])")
)
setdiff1d = numpy_python(
    np.setdiff1d,
    _doc("setdiff1d", "the values of the first not in the second", "znp.setdiff1d(x, y).sum()", "array([1., 0., 0.])"),
)
setxor1d = numpy_python(
    np.setxor1d,
    _doc("setxor1d", "the values in exactly one of the two", "znp.setxor1d(x, y).sum()", "array([1., 0., 0.])"),
)

for _numpy_fn, _ours in [
    (np.unique_all, unique_all),
    (np.unique_counts, unique_counts),
    (np.unique_inverse, unique_inverse),
    (np.unique_values, unique_values),
    (np.union1d, union1d),
    (np.intersect1d, intersect1d),
    (np.setdiff1d, setdiff1d),
    (np.setxor1d, setxor1d),
]:
    FUNCTIONS[_numpy_fn] = _ours
