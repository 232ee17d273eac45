"""``zymo.numpy.linalg``: NumPy's ``numpy.linalg`` for differentiable code.

Exactly NumPy's public names: zymo's versions where it has rules, NumPy's
own otherwise (on traced values those reach zymo's error through dispatch).

Example:
    >>> import zymo, zymo.numpy as znp
    >>> zymo.grad(lambda a: znp.linalg.det(a))(znp.array([[2.0, 1.0], [1.0, 3.0]]))
    array([[ 3., -1.],
           [-1.,  2.]])
"""

from numpy.linalg import *  # noqa: F403  (NumPy's names without a rule)
from numpy.linalg import __all__

from .._rules.decompositions import (
    cholesky,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    lstsq,
    pinv,
    qr,
    svd,
)
from .._rules.linear_algebra import (
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
from .._rules.linear_algebra import linalg_cross as cross
from .._rules.linear_algebra import linalg_diagonal as diagonal
from .._rules.linear_algebra import linalg_matmul as matmul
from .._rules.linear_algebra import linalg_outer as outer
from .._rules.linear_algebra import linalg_tensordot as tensordot
from .._rules.linear_algebra import linalg_trace as trace
from .._rules.linear_algebra import linalg_vecdot as vecdot
