"""zymo's derivative rules for NumPy, one module per family; ``zymo.numpy`` exports them under NumPy's names.

- ``helpers``: what every rule needs (shapes, dtypes, broadcasting, complex cotangents, ``from_partials``);
- ``elementwise``, ``ufuncs``, ``complex_numbers``: ufuncs and ``where``/``clip``/``select``;
- ``reductions``: ``sum``, ``mean``, ``max``, ``var``, ``cumsum``, ...;
- ``indexing``: getitem, the in-place write, ``take``, ``put``, ``copy``, ``astype``;
- ``shape_ops``: ``reshape``, ``transpose``, ``concatenate``, ``stack``, ``split``, ``pad``, ...;
- ``sorting``, ``construction`` (``array``, ``zeros``, ``linspace``, ...);
- ``contractions`` (``matmul``, ``dot``, ``einsum``, ``kron``, ...), ``linear_algebra`` (``inv``, ``solve``,
  ``det``, norms, ...), ``decompositions`` (``cholesky``, ``eigh``, ``svd``, ``qr``, ...), ``fft``;
- ``statistics``: ``average``, ``ptp``, ``median``/``percentile``/``quantile``, ``cov``, the NaN-ignoring reductions;
- ``series``: ``convolve``, ``correlate``, ``interp``, ``polyval``, ``trapezoid``;
- ``numpy_python``: functions NumPy writes in Python (``unwrap``, ``vander``, ``poly*``, ...), run as NumPy's
  code over zymo.numpy, and ``arange``, ``place``, ``putmask``, ``choose``, ``require``;
- ``ufunc_methods``: ``at``, ``reduce``, ``accumulate``, ``reduceat``, ``outer`` of the ufuncs;
- ``set_operations`` (``unique``, ``union1d``, ...) and ``counting`` (``bincount``, the histograms);
- ``nondifferentiable``: NumPy functions whose results carry no derivative;
- ``in_namespace``: the primitives written with the array API standard, for CuPy and other libraries' arrays;
- ``scipy_special_ufuncs``, ``scipy_special``, ``scipy_stats``: SciPy's special functions and distributions.
  They import SciPy, so they are not imported here: ``scipy_special_ufuncs`` is loaded the first time a SciPy
  ufunc meets a traced value (``zymo.core.dispatch.LAZY_UFUNC_RULES``), the others by ``zymo.scipy``.

A rule module calls another family's functions through ``zymo.numpy`` (imported as ``znp``, as autograd's
rules use ``anp``), looked up when called, so no module imports another that imports it back.
Importing this package registers every rule, in this order.

Example:
    >>> import numpy as np
    >>> from zymo._rules import elementwise
    >>> elementwise.where(np.array([True, False]), 1.0, 2.0)
    array([1., 2.])
"""

from . import (
    nondifferentiable,
    helpers,
    elementwise,
    complex_numbers,
    ufuncs,
    reductions,
    indexing,
    shape_ops,
    sorting,
    construction,
    decompositions,
    contractions,
    linear_algebra,
    fft,
    statistics,
    series,
    in_namespace,
    ufunc_methods,
    numpy_python,
    set_operations,
    counting,
)

__all__ = [
    "nondifferentiable",
    "helpers",
    "elementwise",
    "complex_numbers",
    "ufuncs",
    "reductions",
    "indexing",
    "shape_ops",
    "sorting",
    "construction",
    "decompositions",
    "contractions",
    "linear_algebra",
    "fft",
    "statistics",
    "series",
    "in_namespace",
    "ufunc_methods",
    "numpy_python",
    "set_operations",
    "counting",
]
