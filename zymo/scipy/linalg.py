"""``scipy.linalg`` for differentiable code: ``from zymo.scipy import linalg``.

SciPy's linear-algebra functions convert their inputs to plain arrays; these
versions take traced values, return SciPy's values and differentiate in both
modes, to any order:

- ``solve_triangular`` (in ``a``'s triangle and ``b``), ``solve`` (with
  ``assume_a``: only the part of ``a`` SciPy reads gets a gradient),
  ``solve_banded`` (in the band of ``ab`` and ``b``), ``solve_sylvester``;
- ``cholesky``, ``cho_factor``/``cho_solve``, ``lu_factor``/``lu_solve``
  (square matrices; the pivots have no derivative);
- ``eigh``, also generalized (``eigh(a, b)``, differentiable in ``b``);
- ``expm`` (its derivative is the Fréchet derivative), ``expm_frechet`` itself,
  ``sqrtm``;
- ``block_diag``.

Real values throughout; ``solve_triangular``, ``expm``, ``expm_frechet``,
``sqrtm``, ``solve_sylvester``, ``solve_banded``, ``cholesky`` and
``block_diag`` also differentiate complex ones (JAX's convention). (Rules:
``zymo._rules.scipy_linalg``.)

Example:
    >>> import numpy as np, zymo
    >>> from zymo.scipy import linalg
    >>> zymo.grad(lambda a: linalg.expm(a).trace())(np.zeros((2, 2)))
    array([[1., 0.],
           [0., 1.]])
"""

from .._rules.scipy_linalg import (
    block_diag,
    cho_factor,
    cho_solve,
    cholesky,
    eigh,
    expm,
    expm_frechet,
    lu_factor,
    lu_solve,
    solve,
    solve_banded,
    solve_sylvester,
    solve_triangular,
    sqrtm,
)

__all__ = [
    "block_diag",
    "cho_factor",
    "cho_solve",
    "cholesky",
    "eigh",
    "expm",
    "expm_frechet",
    "lu_factor",
    "lu_solve",
    "solve",
    "solve_banded",
    "solve_sylvester",
    "solve_triangular",
    "sqrtm",
]
