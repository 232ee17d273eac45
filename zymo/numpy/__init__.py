"""NumPy's API for differentiable code: ``import zymo.numpy as znp``.

On plain arrays every function returns what NumPy returns. On traced values
(inside ``zymo.grad`` and friends) the operation is recorded. Plain ``numpy``
functions and ufuncs called on traced values reach the same rules through
NumPy's ``__array_ufunc__``/``__array_function__`` protocols, so code written
against ``numpy`` works too. Functions without a rule raise
``zymo.UnsupportedOperationError`` naming the call.

Example:
    >>> import zymo, zymo.numpy as znp
    >>> zymo.grad(lambda x: znp.sum(znp.tanh(x) ** 2))(znp.zeros(3))
    array([0., 0., 0.])
"""

from importlib import import_module as _import_module
from types import ModuleType as _ModuleType

import numpy as _np

from numpy import *  # noqa: F401,F403  (constants, dtypes, and functions reached through dispatch)

from . import nondiff as _nondiff  # noqa: F401
from .elementwise import ufunc_entry as _ufunc_entry, where, clip  # noqa: F401
from .elementwise import select, sinc, nan_to_num  # noqa: F401
from .complex_rules import real, imag, angle  # noqa: F401
from .reductions import sum, mean, prod, max, min, amax, amin, var, std, cumsum, cumprod, logsumexp  # noqa: F401
from .reductions import diff, gradient  # noqa: F401
from .shape import *  # noqa: F401,F403
from .indexing import take, take_along_axis, copyto, copy, put, r_, c_  # noqa: F401
from .sorting import sort, partition  # noqa: F401
from .construction import *  # noqa: F401,F403
from .linalg_rules import matmul, dot, vdot, tensordot, einsum, outer, inner, trace, diagonal, diag, kron, cross  # noqa: F401
from .linalg_rules import vecdot, matvec, vecmat  # noqa: F401

# Replace the star-imported numpy.linalg and numpy.fft (a plain ``from . import`` would keep NumPy's).
linalg = _import_module(".linalg", __name__)
fft = _import_module(".fft", __name__)

globals().update(_ufunc_entry)
# Bind the rule modules as attributes even when this package is executed again over modules
# already imported (as pytest's importlib mode does), so ``zymo.numpy.elementwise`` always resolves.
from . import complex_rules, construction, decompositions, elementwise, fft_rules, indexing  # noqa: E402,F401
from . import linalg_rules, nondiff, reductions, sorting  # noqa: E402,F401

shape = _np.shape  # the submodule ``shape`` (shape functions) must not hide NumPy's ``shape``

_RULE_MODULES = frozenset(
    name
    for name, value in globals().items()
    if isinstance(value, _ModuleType) and value.__name__.startswith(__name__ + ".") and name not in ("linalg", "fft")
)


def __dir__() -> list[str]:
    """NumPy's names, zymo's versions and ``logsumexp``; rule modules stay importable but unlisted."""
    return sorted(name for name in globals() if name not in _RULE_MODULES)
