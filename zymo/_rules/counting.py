"""``bincount`` with weights, and the histograms: differentiable in the weights and in the bin edges.

A weighted ``bincount`` is linear in its weights (each bin sums the weights of the entries that fall in
it), so its reverse rule reads the cotangent at each entry's bin. ``histogram``,
``histogram_bin_edges``, ``histogram2d`` and ``histogramdd`` run as NumPy's own Python code over
zymo.numpy: edges computed from the data's minimum and maximum carry their derivative (as in JAX), so
do weighted counts and ``density=True``; counts themselves are piecewise constant (derivative zero).

Example:
    >>> import zymo, zymo.numpy as znp
    >>> zymo.grad(lambda w: znp.bincount(znp.array([0, 2, 2]), weights=w)[2])(znp.array([1.0, 2.0, 3.0]))
    array([0., 1., 1.])
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..core.dispatch import FUNCTIONS, implements
from ..core.primitive import Primitive
from ..core.recording import observe
from ..core.tracer import bottom
from .helpers import dtype_of, has_tracer, linear
from .numpy_python import numpy_python

__all__ = ["bincount", "histogram", "histogram_bin_edges", "histogram2d", "histogramdd"]


def _bincount_impl(weights, x, minlength):
    return np.bincount(x, weights=weights, minlength=minlength)


def _bincount_transpose(g, ans, weights, x, minlength):
    return (g[x] if len(x) else g[:0]).astype(dtype_of(weights), copy=False)


# the sums of ``weights`` by the bins ``x`` names: linear in the weights
weighted_bincount_p = linear(Primitive(_bincount_impl, "bincount"), _bincount_transpose)


@implements(np.bincount)
def bincount(x: ArrayLike, weights: ArrayLike | None = None, minlength: int = 0) -> np.ndarray:
    """``numpy.bincount``: how often each non-negative integer occurs, or the sums of ``weights`` by it.

    Differentiable in ``weights`` (the counts of ``x`` carry no derivative).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda w: znp.bincount(znp.array([1, 1]), weights=w).sum())(znp.array([2.0, 5.0]))
        array([1., 1.])
    """
    if weights is None or not has_tracer(weights):
        return np.bincount(bottom(x), weights=weights, minlength=minlength)
    x = np.asarray(observe(x))  # read by Python: a zymo.jit replay re-checks it
    np.bincount(x, weights=np.zeros(np.shape(bottom(weights))), minlength=minlength)  # NumPy's own errors
    return weighted_bincount_p(weights, x=x, minlength=minlength)


_DOCS = {
    "histogram": """``numpy.histogram``: counts (or weighted sums) in bins, and the bin edges.

    Edges drawn from the data's range carry its derivative, as do weighted counts and densities.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.histogram(x, 2)[1][-1])(znp.array([0.0, 3.0, 1.0]))  # the top edge: max(x)
        array([0., 1., 0.])
    """,
    "histogram_bin_edges": """``numpy.histogram_bin_edges``: the edges ``histogram`` would use.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.histogram_bin_edges(x, 2)[1])(znp.array([0.0, 4.0]))  # the middle edge
        array([0.5, 0.5])
    """,
    "histogram2d": """``numpy.histogram2d``: the two-dimensional histogram of ``x`` and ``y``, and its edges.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> x = znp.array([0.0, 1.0])
        >>> zymo.grad(lambda w: znp.histogram2d(x, x, bins=2, weights=w)[0][1, 1])(znp.array([2.0, 3.0]))
        array([0., 1.])
    """,
    "histogramdd": """``numpy.histogramdd``: the histogram of ``D``-dimensional samples, and each axis's edges.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda s: znp.histogramdd(s, bins=2)[1][0][-1])(znp.array([[0.0], [2.0]]))
        array([[0.],
               [1.]])
    """,
}

histogram = numpy_python(np.histogram, _DOCS["histogram"])
histogram_bin_edges = numpy_python(np.histogram_bin_edges, _DOCS["histogram_bin_edges"])
histogram2d = numpy_python(np.histogram2d, _DOCS["histogram2d"])
histogramdd = numpy_python(np.histogramdd, _DOCS["histogramdd"])
for _numpy_fn, _ours in [
    (np.histogram, histogram),
    (np.histogram_bin_edges, histogram_bin_edges),
    (np.histogram2d, histogram2d),
    (np.histogramdd, histogramdd),
]:
    FUNCTIONS[_numpy_fn] = _ours
