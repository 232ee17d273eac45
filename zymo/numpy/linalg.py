"""``zymo.numpy.linalg``: NumPy's ``numpy.linalg`` for differentiable code.

Exactly NumPy's public names: zymo's versions where it has rules, NumPy's
own otherwise (on traced values those reach zymo's error through dispatch).

Example:
    >>> import zymo, zymo.numpy as znp
    >>> zymo.grad(lambda a: znp.linalg.det(a))(znp.array([[2.0, 1.0], [1.0, 3.0]]))
    array([[ 3., -1.],
           [-1.,  2.]])
"""

import numpy as _np

from .decompositions import cholesky, eig, eigh, eigvals, eigvalsh, lstsq, pinv, qr, svd
from .linalg_rules import (
    LinAlgError,
    cond,
    det,
    inv,
    matrix_norm,
    matrix_power,
    matrix_transpose,
    multi_dot,
    norm,
    slogdet,
    solve,
    svdvals,
    tensorinv,
    tensorsolve,
    vector_norm,
)
from .linalg_rules import linalg_cross as cross
from .linalg_rules import linalg_diagonal as diagonal
from .linalg_rules import linalg_matmul as matmul
from .linalg_rules import linalg_outer as outer
from .linalg_rules import linalg_tensordot as tensordot
from .linalg_rules import linalg_trace as trace
from .linalg_rules import linalg_vecdot as vecdot

__all__ = list(_np.linalg.__all__)

matrix_rank = _np.linalg.matrix_rank  # an integer: no derivative

globals().update({_name: getattr(_np.linalg, _name) for _name in __all__ if _name not in globals()})

_ = (cholesky, eig, eigh, eigvals, eigvalsh, lstsq, pinv, qr, svd, LinAlgError, cond, det, inv, matrix_norm)
_ = (matrix_power, matrix_transpose, multi_dot, norm, slogdet, solve, svdvals, tensorinv, tensorsolve, vector_norm)
_ = (cross, diagonal, matmul, outer, tensordot, trace, vecdot)
del _
