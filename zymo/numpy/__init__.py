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
from .linalg import matmul, dot, vdot, tensordot, einsum, outer, inner, trace, diagonal, diag, kron, cross  # noqa: F401
from .linalg import vecdot, matvec, vecmat  # noqa: F401
from . import linalg  # noqa: F401
from .fft import fftshift as _fftshift  # noqa: F401  (loads zymo.numpy.fft over the star-imported numpy.fft)

globals().update(_ufunc_entry)
