"""Rules behind ``zymo.scipy.linalg`` (its docstring lists the functions and what they differentiate in).

Each function is one primitive whose value is SciPy's own; the rules are
written with these primitives and ``zymo.numpy`` operations, so they
differentiate again. A routine that reads one triangle (or band) of its input
gives the entries it does not read no gradient.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.linalg as _sl
from numpy.typing import ArrayLike

from ..core.errors import unsupported
from ..core.forward import defjvp
from ..core.primitive import Primitive
from ..core.recording import observed_call
from ..core.reverse import defvjp
from ..core.tracer import bottom
from .decompositions import _check_basis_free, _cholesky_jvp, _cholesky_vjp, _gap_inverse, _lower_sym, _lower_sym_T
from .helpers import has_tracer, is_complex, keep_real_cotangents, shape_of, unbroadcast

__all__ = [
    "solve_triangular",
    "cholesky",
    "cho_factor",
    "cho_solve",
    "lu_factor",
    "lu_solve",
    "solve",
    "eigh",
    "expm",
    "expm_frechet",
    "sqrtm",
    "solve_sylvester",
    "solve_banded",
    "block_diag",
]

Array = np.ndarray  # or a traced value, which behaves as one


# --- helpers ------------------------------------------------------------------------------------
def _mT(x):
    return np.swapaxes(x, -1, -2)


def _mH(x):
    return np.conj(_mT(x)) if is_complex(x) else _mT(x)


def _triangle(x, lower: bool, strict: bool = False):
    """The lower (or upper) triangle of ``x``, the diagonal left out when ``strict``; zeros elsewhere."""
    n, m = shape_of(x)[-2:]
    mask = np.tri(n, m, -1 if strict else 0, dtype=bool)
    return np.where(mask if lower else mask.T, x, 0.0)


def _outer(u, v, a):
    """``u v^T`` for the cotangent of a matrix ``a`` (``u``, ``v`` vectors or matrices of right-hand sides)."""
    if len(shape_of(u)) == len(shape_of(a)) - 1:
        return unbroadcast(np.expand_dims(u, -1) * np.expand_dims(v, -2), a)
    return unbroadcast(np.matmul(u, _mT(v)), a)


def _refuse_complex(name: str, *args) -> None:
    if any(is_complex(x) for x in args if x is not None):
        raise unsupported(f"scipy.linalg.{name} of complex traced values", "differentiate with real matrices")


# --- solve_triangular ----------------------------------------------------------------------------
_TRANS = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2}


def _solve_triangular_impl(a, b, trans=0, lower=False, unit_diagonal=False, check_finite=False):
    return _sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal, check_finite=check_finite)


def _op(m, trans):
    return m if trans == 0 else _mT(m)


def _solve_triangular_jvp_a(t, x, a, b, trans=0, lower=False, unit_diagonal=False, check_finite=True):
    dm = _op(_triangle(t, lower, unit_diagonal), trans)
    rhs = -np.matmul(dm, x)
    return solve_triangular_p(a, rhs, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


def _solve_triangular_jvp_b(t, x, a, b, trans=0, lower=False, unit_diagonal=False, check_finite=True):
    return solve_triangular_p(a, t, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


def _solve_triangular_vjp_b(g, x, a, b, trans=0, lower=False, unit_diagonal=False, check_finite=True):
    return solve_triangular_p(a, g, trans=1 - min(trans, 1), lower=lower, unit_diagonal=unit_diagonal)


def _solve_triangular_vjp_a(g, x, a, b, trans=0, lower=False, unit_diagonal=False, check_finite=True):
    gb = _solve_triangular_vjp_b(g, x, a, b, trans, lower, unit_diagonal)
    gm = -_outer(gb, x, a)
    return _triangle(_op(gm, trans), lower, unit_diagonal)


solve_triangular_p = Primitive(_solve_triangular_impl, "scipy.linalg.solve_triangular")
defvjp(solve_triangular_p, _solve_triangular_vjp_a, _solve_triangular_vjp_b, saves=(0, "ans"))
defjvp(solve_triangular_p, _solve_triangular_jvp_a, _solve_triangular_jvp_b)


def solve_triangular(
    a: ArrayLike,
    b: ArrayLike,
    trans: int | str = 0,
    lower: bool = False,
    unit_diagonal: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Array:
    """``scipy.linalg.solve_triangular``: ``x`` with ``op(a) x = b`` for triangular ``a``.

    Differentiable in ``a`` (the triangle SciPy reads; the diagonal too unless
    ``unit_diagonal``) and ``b``. Complex values differentiate for ``trans`` 0 and 1.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy import linalg
        >>> zymo.grad(lambda b: linalg.solve_triangular(2 * np.eye(2), b).sum())(np.ones(2))
        array([0.5, 0.5])
    """
    if not has_tracer([a, b]):
        return _sl.solve_triangular(
            a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal, overwrite_b=overwrite_b,
            check_finite=check_finite,
        )  # fmt: skip
    trans = _TRANS[trans]
    if trans == 2:
        if is_complex(a) or is_complex(b):
            raise unsupported("scipy.linalg.solve_triangular with trans=2 of complex traced values", "use trans=1")
        trans = 1
    return solve_triangular_p(
        a, b, trans=trans, lower=bool(lower), unit_diagonal=bool(unit_diagonal), check_finite=check_finite
    )


# --- cholesky, cho_factor, cho_solve ------------------------------------------------------------
def _cholesky_impl(a, lower=False, check_finite=True):
    return _sl.cholesky(a, lower=lower, check_finite=check_finite)


def _scipy_cholesky_jvp(t, c, a, lower=False, check_finite=True):
    if lower:
        return _cholesky_jvp(t, c, a)
    return _mH(_cholesky_jvp(_mH(t), _mH(c), None))  # the upper factor of a is the lower one of a^H, transposed


def _scipy_cholesky_vjp(g, c, a, lower=False, check_finite=True):
    if lower:
        return _cholesky_vjp(g, c, a)
    return _mH(_cholesky_vjp(_mH(g), _mH(c), None))


cholesky_p = Primitive(_cholesky_impl, "scipy.linalg.cholesky")
defvjp(cholesky_p, _scipy_cholesky_vjp, saves=("ans",))
defjvp(cholesky_p, _scipy_cholesky_jvp)


def cholesky(a: ArrayLike, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True) -> Array:
    """``scipy.linalg.cholesky``: the upper (or lower) factor; reads that triangle of ``a``, as SciPy does.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy import linalg
        >>> zymo.grad(lambda a: linalg.cholesky(a)[1, 1])(4 * np.eye(2))
        array([[0.  , 0.  ],
               [0.  , 0.25]])
    """
    if not has_tracer(a):
        return _sl.cholesky(a, lower=lower, overwrite_a=overwrite_a, check_finite=check_finite)
    return cholesky_p(a, lower=bool(lower), check_finite=check_finite)


def cho_factor(
    a: ArrayLike, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True
) -> tuple[Array, bool]:
    """``scipy.linalg.cho_factor``: ``(c, lower)``, the factor in one triangle of ``c``.

    As in SciPy, the other triangle of ``c`` holds ``a``'s entries (their
    derivative is the identity); ``cho_solve`` reads only the factor.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy import linalg
        >>> zymo.grad(lambda a: linalg.cho_solve(linalg.cho_factor(a), np.ones(2)).sum())(2 * np.eye(2))
        array([[-0.25, -0.5 ],
               [ 0.  , -0.25]])
    """
    if not has_tracer(a):
        return _sl.cho_factor(a, lower=lower, overwrite_a=overwrite_a, check_finite=check_finite)
    factor = cholesky_p(a, lower=bool(lower), check_finite=check_finite)
    n = shape_of(a)[-1]
    mask = np.tri(n, n, dtype=bool)
    return np.where(mask if lower else mask.T, factor, a), bool(lower)


def _cho_solve_impl(c, b, lower=False, check_finite=False):
    return _sl.cho_solve((c, lower), b, check_finite=check_finite)


def _gram(c, dc, lower):
    """The change of ``T T^T`` (lower) or ``T^T T`` (upper) when the factor ``T`` read from ``c`` moves by ``dc``."""
    t, dt = _triangle(c, lower), _triangle(dc, lower)
    return np.matmul(dt, _mT(t)) + np.matmul(t, _mT(dt)) if lower else np.matmul(_mT(dt), t) + np.matmul(_mT(t), dt)


def _cho_solve_jvp_c(t, x, c, b, lower=False, check_finite=True):
    return cho_solve_p(c, -np.matmul(_gram(c, t, lower), x), lower=lower)


def _cho_solve_jvp_b(t, x, c, b, lower=False, check_finite=True):
    return cho_solve_p(c, t, lower=lower)


def _cho_solve_vjp_b(g, x, c, b, lower=False, check_finite=True):
    return cho_solve_p(c, g, lower=lower)


def _cho_solve_vjp_c(g, x, c, b, lower=False, check_finite=True):
    ga = -_outer(cho_solve_p(c, g, lower=lower), x, c)
    sym = ga + _mT(ga)
    t = _triangle(c, lower)
    return _triangle(np.matmul(sym, t) if lower else np.matmul(t, sym), lower)


cho_solve_p = Primitive(_cho_solve_impl, "scipy.linalg.cho_solve")
defvjp(cho_solve_p, _cho_solve_vjp_c, _cho_solve_vjp_b, saves=(0, "ans"))
defjvp(cho_solve_p, _cho_solve_jvp_c, _cho_solve_jvp_b)


def cho_solve(
    c_and_lower: tuple[ArrayLike, bool], b: ArrayLike, overwrite_b: bool = False, check_finite: bool = True
) -> Array:
    """``scipy.linalg.cho_solve``: solve ``a x = b`` given ``cho_factor(a)``; differentiable in ``c`` and ``b``.

    Real values only under differentiation.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy import linalg
        >>> c = linalg.cho_factor(4 * np.eye(2))
        >>> zymo.grad(lambda b: linalg.cho_solve(c, b).sum())(np.ones(2))
        array([0.25, 0.25])
    """
    c, lower = c_and_lower
    if not has_tracer([c, b]):
        return _sl.cho_solve((c, lower), b, overwrite_b=overwrite_b, check_finite=check_finite)
    _refuse_complex("cho_solve", c, b)
    return cho_solve_p(c, b, lower=bool(lower), check_finite=check_finite)


# --- lu_factor, lu_solve -------------------------------------------------------------------------
def _lu_pivots(a, check_finite=True):
    return _sl.lu_factor(a, check_finite=check_finite)[1]


def _lu_impl(a, piv, check_finite=True):
    return _sl.lu_factor(a, check_finite=check_finite)[0]


def _permutation(piv):
    """``perm`` with ``(P^T a) = a[perm]`` for SciPy's pivots (row ``i`` swapped with row ``piv[i]`` in turn)."""
    perm = np.arange(len(piv))
    for i, p in enumerate(piv):
        perm[i], perm[p] = perm[p], perm[i]
    return perm


def _l_and_u(lu):
    n = shape_of(lu)[-1]
    return _triangle(lu, True, True) + np.eye(n, dtype=bottom(lu).dtype), _triangle(lu, False)


def _left_l_inverse(lu, x, trans=0):
    return solve_triangular_p(lu, x, trans=trans, lower=True, unit_diagonal=True)


def _right_u_inverse(lu, x, trans=0):
    """``x U^-1`` (``trans=0``) or ``x U^-T`` (``trans=1``)."""
    return _mT(solve_triangular_p(lu, _mT(x), trans=1 - trans, lower=False, unit_diagonal=False))


def _lu_jvp(t, lu, a, piv, check_finite=True):
    perm = _permutation(piv)
    f = _right_u_inverse(lu, _left_l_inverse(lu, t[perm]))
    l_, u = _l_and_u(lu)
    return np.matmul(l_, _triangle(f, True, True)) + np.matmul(_triangle(f, False), u)


def _lu_vjp(g, lu, a, piv, check_finite=True):
    perm = _permutation(piv)
    l_, u = _l_and_u(lu)
    gf = _triangle(np.matmul(_mT(l_), _triangle(g, True, True)), True, True)
    gf = gf + _triangle(np.matmul(_triangle(g, False), _mT(u)), False)
    gx = _right_u_inverse(lu, _left_l_inverse(lu, gf, trans=1), trans=1)
    return gx[np.argsort(perm)]


lu_factor_p = Primitive(_lu_impl, "scipy.linalg.lu_factor")
defvjp(lu_factor_p, _lu_vjp, None, saves=(1, "ans"))
defjvp(lu_factor_p, _lu_jvp, None)


def lu_factor(a: ArrayLike, overwrite_a: bool = False, check_finite: bool = True) -> tuple[Array, np.ndarray]:
    """``scipy.linalg.lu_factor``: ``(lu, piv)``; ``lu`` differentiates for a square real matrix, ``piv`` has none.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy import linalg
        >>> zymo.grad(lambda a: linalg.lu_solve(linalg.lu_factor(a), np.ones(2)).sum())(2 * np.eye(2))
        array([[-0.25, -0.25],
               [-0.25, -0.25]])
    """
    if not has_tracer(a):
        return _sl.lu_factor(a, overwrite_a=overwrite_a, check_finite=check_finite)
    shape = shape_of(a)
    if len(shape) != 2 or shape[0] != shape[1]:
        raise unsupported(f"scipy.linalg.lu_factor of a traced array of shape {shape}", "pass one square matrix")
    _refuse_complex("lu_factor", a)
    piv = observed_call(_lu_pivots, a, check_finite=check_finite)
    return lu_factor_p(a, piv, check_finite=check_finite), piv


def _lu_solve_impl(lu, piv, b, trans=0, check_finite=False):
    return _sl.lu_solve((lu, piv), b, trans=trans, check_finite=check_finite)


def _lu_product_change(lu, piv, dlu, x, trans):
    """``dA x`` (``trans=0``) or ``dA^T x`` for ``A = P L U`` when ``lu`` moves by ``dlu``."""
    perm = _permutation(piv)
    l_, u = _l_and_u(lu)
    dl, du = _triangle(dlu, True, True), _triangle(dlu, False)
    if trans == 0:
        return (np.matmul(dl, np.matmul(u, x)) + np.matmul(l_, np.matmul(du, x)))[np.argsort(perm)]
    y = x[perm]
    return np.matmul(_mT(u), np.matmul(_mT(dl), y)) + np.matmul(_mT(du), np.matmul(_mT(l_), y))


def _lu_solve_jvp_lu(t, x, lu, piv, b, trans=0, check_finite=True):
    return lu_solve_p(lu, piv, -_lu_product_change(lu, piv, t, x, trans), trans=trans)


def _lu_solve_jvp_b(t, x, lu, piv, b, trans=0, check_finite=True):
    return lu_solve_p(lu, piv, t, trans=trans)


def _lu_solve_vjp_b(g, x, lu, piv, b, trans=0, check_finite=True):
    return lu_solve_p(lu, piv, g, trans=1 - trans)


def _lu_solve_vjp_lu(g, x, lu, piv, b, trans=0, check_finite=True):
    gm = -_outer(_lu_solve_vjp_b(g, x, lu, piv, b, trans), x, lu)
    ga = gm if trans == 0 else _mT(gm)
    gx = ga[_permutation(piv)]  # P^T gA
    l_, u = _l_and_u(lu)
    return _triangle(np.matmul(gx, _mT(u)), True, True) + _triangle(np.matmul(_mT(l_), gx), False)


lu_solve_p = Primitive(_lu_solve_impl, "scipy.linalg.lu_solve")
defvjp(lu_solve_p, _lu_solve_vjp_lu, None, _lu_solve_vjp_b, saves=(0, 1, "ans"))
defjvp(lu_solve_p, _lu_solve_jvp_lu, None, _lu_solve_jvp_b)


def lu_solve(
    lu_and_piv: tuple[ArrayLike, ArrayLike],
    b: ArrayLike,
    trans: int = 0,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Array:
    """``scipy.linalg.lu_solve``: solve ``a x = b`` (``trans=1``: ``a^T x = b``) from ``lu_factor(a)``.

    Differentiable in ``lu`` and ``b`` (real values; ``trans`` 0 or 1).

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy import linalg
        >>> f = linalg.lu_factor(np.array([[2.0, 0.0], [1.0, 1.0]]))
        >>> zymo.grad(lambda b: linalg.lu_solve(f, b)[0])(np.ones(2))
        array([0.5, 0. ])
    """
    lu, piv = lu_and_piv
    if not has_tracer([lu, b]):
        return _sl.lu_solve((lu, piv), b, trans=trans, overwrite_b=overwrite_b, check_finite=check_finite)
    _refuse_complex("lu_solve", lu, b)
    if trans not in (0, 1):
        raise unsupported(f"scipy.linalg.lu_solve with trans={trans!r}", "use trans=0 or 1 with real values")
    return lu_solve_p(lu, np.asarray(piv), b, trans=trans, check_finite=check_finite)


# --- solve --------------------------------------------------------------------------------------
_SYMMETRIC = {"sym", "symmetric", "her", "hermitian", "pos", "positive definite"}
_FULL = {None, "gen", "general", "banded"}  # banded: SciPy finds the band from the values, so all of a counts


def _structure(x, assume_a, lower):
    """The matrix SciPy's solver for ``assume_a`` sees when given ``x`` (a linear map of ``x``)."""
    if assume_a in _FULL:
        return x
    if assume_a in _SYMMETRIC:
        return _lower_sym(x) if lower else _mT(_lower_sym(_mT(x)))
    if assume_a == "diagonal":
        return _triangle(_triangle(x, True), False)
    if assume_a == "tridiagonal":
        n = shape_of(x)[-1]
        i = np.arange(n)
        return np.where(np.abs(i[:, None] - i[None, :]) <= 1, x, 0.0)
    return _triangle(x, assume_a == "lower triangular")


def _structure_T(s, assume_a, lower):
    if assume_a in _SYMMETRIC:
        return _lower_sym_T(s) if lower else _mT(_lower_sym_T(_mT(s)))
    return _structure(s, assume_a, lower)  # the other structures are masks: their own transposes


def _solve_impl(a, b, lower=False, check_finite=False, assume_a=None, transposed=False):
    return _sl.solve(a, b, lower=lower, check_finite=check_finite, assume_a=assume_a, transposed=transposed)


def _solve_params(kw):
    return {k: kw[k] for k in ("lower", "assume_a", "transposed")}


def _solve_jvp_a(t, x, a, b, **kw):
    dm = _structure(t, kw["assume_a"], kw["lower"])
    dm = _mT(dm) if kw["transposed"] else dm
    return solve_p(a, -np.matmul(dm, x), **_solve_params(kw))


def _solve_jvp_b(t, x, a, b, **kw):
    return solve_p(a, t, **_solve_params(kw))


def _solve_vjp_b(g, x, a, b, **kw):
    params = _solve_params(kw)
    params["transposed"] = not kw["transposed"]
    return solve_p(a, g, **params)


def _solve_vjp_a(g, x, a, b, **kw):
    gm = -_outer(_solve_vjp_b(g, x, a, b, **kw), x, a)
    return _structure_T(_mT(gm) if kw["transposed"] else gm, kw["assume_a"], kw["lower"])


solve_p = Primitive(_solve_impl, "scipy.linalg.solve")
defvjp(solve_p, _solve_vjp_a, _solve_vjp_b, saves=(0, "ans"))
defjvp(solve_p, _solve_jvp_a, _solve_jvp_b)


def solve(
    a: ArrayLike,
    b: ArrayLike,
    lower: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
    assume_a: str | None = None,
    transposed: bool = False,
) -> Array:
    """``scipy.linalg.solve``: ``x`` with ``a x = b`` (``a^T x = b`` when ``transposed``), real values.

    Differentiable in ``a`` and ``b``. With ``assume_a`` SciPy reads only part of
    ``a`` (one triangle for ``"sym"``/``"pos"``/``"her"``, the diagonal, the
    tridiagonal band, a triangle), and only that part gets a gradient. With the
    default ``assume_a=None`` SciPy picks a solver from the values; the result is
    ``inv(a) @ b`` either way, so all of ``a`` counts.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy import linalg
        >>> a = np.array([[2.0, 1.0], [1.0, 2.0]])
        >>> zymo.grad(lambda a: linalg.solve(a, np.ones(2), assume_a="pos").sum())(a)
        array([[-0.11111111, -0.22222222],
               [ 0.        , -0.11111111]])
    """
    if not has_tracer([a, b]):
        return _sl.solve(
            a, b, lower=lower, overwrite_a=overwrite_a, overwrite_b=overwrite_b, check_finite=check_finite,
            assume_a=assume_a, transposed=transposed,
        )  # fmt: skip
    _refuse_complex("solve", a, b)
    return solve_p(a, b, lower=bool(lower), check_finite=check_finite, assume_a=assume_a, transposed=bool(transposed))


# --- eigh ---------------------------------------------------------------------------------------
def _pack_eigh(w, v):
    return np.concatenate([v, np.expand_dims(w, -2)], axis=-2)


def _unpack_eigh(p):
    n = shape_of(p)[-1]
    return p[..., n, :], p[..., :n, :]


def _eigh_std_impl(a, lower=True, driver=None, check_finite=True):
    w, v = _sl.eigh(a, lower=lower, driver=driver, check_finite=check_finite)
    return _pack_eigh(w, v)


def _eigh_gen_impl(a, b, lower=True, driver=None, check_finite=True):
    w, v = _sl.eigh(a, b, lower=lower, driver=driver, check_finite=check_finite)
    return _pack_eigh(w, v)


def _sym(t, lower):
    return _lower_sym(t) if lower else _mT(_lower_sym(_mT(t)))


def _sym_T(s, lower):
    return _lower_sym_T(s) if lower else _mT(_lower_sym_T(_mT(s)))


def _diag_embed(v):
    return np.expand_dims(v, -1) * np.eye(shape_of(v)[-1], dtype=bottom(v).dtype)


def _diag(x):
    return np.diagonal(x, 0, -2, -1)


# With A V = B V diag(w) and V^T B V = I, write dV = V C: then
#   dw = diag(V^T dA V) - w * diag(V^T dB V),
#   C = F o (V^T dA V - V^T dB V diag(w)) - diag(V^T dB V) / 2,   F_ij = 1 / (w_j - w_i), 0 on the diagonal.
def _eigh_jvp_a(t, p, a, *b, lower=True, driver=None, check_finite=True):
    w, v = _unpack_eigh(p)
    m = np.matmul(_mT(v), np.matmul(_sym(t, lower), v))
    return _pack_eigh(_diag(m), np.matmul(v, _gap_inverse(w) * m))


def _eigh_jvp_b(t, p, a, b, lower=True, driver=None, check_finite=True):
    w, v = _unpack_eigh(p)
    m = np.matmul(_mT(v), np.matmul(_sym(t, lower), v))
    d = _diag(m)
    c = -_gap_inverse(w) * (m * np.expand_dims(w, -2)) - 0.5 * _diag_embed(d)
    return _pack_eigh(-w * d, np.matmul(v, c))


def _eigh_cotangents(g, p):
    w, v = _unpack_eigh(p)
    gw, gv = _unpack_eigh(g)
    gc = np.matmul(_mT(v), gv)
    _check_basis_free(w, gc - _mT(gc), "eigh")
    return w, v, gw, gc


def _eigh_vjp_a(g, p, a, *b, lower=True, driver=None, check_finite=True):
    w, v, gw, gc = _eigh_cotangents(g, p)
    gm = _diag_embed(gw) + _gap_inverse(w) * gc
    return _sym_T(np.matmul(v, np.matmul(gm, _mT(v))), lower)


def _eigh_vjp_b(g, p, a, b, lower=True, driver=None, check_finite=True):
    w, v, gw, gc = _eigh_cotangents(g, p)
    gm = -_diag_embed(gw * w) - (_gap_inverse(w) * gc) * np.expand_dims(w, -2) - 0.5 * _diag_embed(_diag(gc))
    return _sym_T(np.matmul(v, np.matmul(gm, _mT(v))), lower)


eigh_p = Primitive(_eigh_std_impl, "scipy.linalg.eigh")
defvjp(eigh_p, _eigh_vjp_a, saves=("ans",))
defjvp(eigh_p, _eigh_jvp_a)
eigh_generalized_p = Primitive(_eigh_gen_impl, "scipy.linalg.eigh (generalized)")
defvjp(eigh_generalized_p, _eigh_vjp_a, _eigh_vjp_b, saves=("ans",))
defjvp(eigh_generalized_p, _eigh_jvp_a, _eigh_jvp_b)


# Eigenvalues alone: SciPy computes them without the vectors (other rounding); the rules compute the vectors.
def _eigvals_impl(a, *b, lower=True, driver=None, check_finite=True):
    return _sl.eigh(a, *b, lower=lower, eigvals_only=True, driver=driver, check_finite=check_finite)


def _full_eigh(a, b, params):
    return eigh_p(a, **params) if not b else eigh_generalized_p(a, *b, **params)


def _eigvals_rules(rule, position):
    def eigenvalue_rule(t, w, a, *b, **params):
        p = _full_eigh(a, b, params)
        if position == "in":  # reverse: the cotangent of w alone
            t = _pack_eigh(t, np.zeros_like(bottom(p)[..., :-1, :]))
        out = rule(t, p, a, *b, **params)
        return out if position == "in" else _unpack_eigh(out)[0]

    return eigenvalue_rule


eigvals_p = Primitive(_eigvals_impl, "scipy.linalg.eigh (eigenvalues only)")
defvjp(eigvals_p, _eigvals_rules(_eigh_vjp_a, "in"), saves=(0,))
defjvp(eigvals_p, _eigvals_rules(_eigh_jvp_a, "out"))
eigvals_generalized_p = Primitive(_eigvals_impl, "scipy.linalg.eigh (generalized, eigenvalues only)")
defvjp(eigvals_generalized_p, _eigvals_rules(_eigh_vjp_a, "in"), _eigvals_rules(_eigh_vjp_b, "in"), saves=(0, 1))
defjvp(eigvals_generalized_p, _eigvals_rules(_eigh_jvp_a, "out"), _eigvals_rules(_eigh_jvp_b, "out"))


def eigh(
    a: ArrayLike,
    b: ArrayLike | None = None,
    *,
    lower: bool = True,
    eigvals_only: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    type: int = 1,
    check_finite: bool = True,
    subset_by_index: Sequence[int] | None = None,
    subset_by_value: Sequence[float] | None = None,
    driver: str | None = None,
):
    """``scipy.linalg.eigh``: ``(w, v)`` of ``a v = w v``, or of ``a v = w b v`` (``v^T b v = I``) with ``b=``.

    Differentiable in ``a`` and ``b`` (real symmetric, the triangle named by
    ``lower``; ``type=1``, all eigenvalues). The eigenvectors need distinct
    eigenvalues; each is defined up to its sign, so differentiate functions that
    do not depend on it.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy import linalg
        >>> b = np.diag([1.0, 2.0])
        >>> zymo.grad(lambda a: linalg.eigh(a, b, eigvals_only=True)[0])(np.diag([3.0, 1.0]))
        array([[0. , 0. ],
               [0. , 0.5]])
    """
    if not has_tracer([a, b]):
        return _sl.eigh(
            a, b, lower=lower, eigvals_only=eigvals_only, overwrite_a=overwrite_a, overwrite_b=overwrite_b,
            type=type, check_finite=check_finite, subset_by_index=subset_by_index,
            subset_by_value=subset_by_value, driver=driver,
        )  # fmt: skip
    if type != 1 or subset_by_index is not None or subset_by_value is not None:
        raise unsupported(
            "scipy.linalg.eigh with type=2 or 3 or a subset of eigenvalues",
            "compute all eigenvalues with type=1 and select them afterwards",
        )
    _refuse_complex("eigh", a, b)
    params = {"lower": bool(lower), "driver": driver, "check_finite": check_finite}
    if eigvals_only:
        return eigvals_p(a, **params) if b is None else eigvals_generalized_p(a, b, **params)
    return _unpack_eigh(_full_eigh(a, () if b is None else (b,), params))


# --- expm, expm_frechet --------------------------------------------------------------------------
def _all_finite(*xs) -> bool:
    return all(np.isfinite(x).all() for x in xs)


def _frechet_impl(a, e, check_finite=False):
    if check_finite and not _all_finite(a, e):
        raise ValueError("array must not contain infs or NaNs")
    if not _all_finite(a, e):  # in rules: SciPy would refuse them (its norm checks); NaN instead
        return np.full(np.broadcast_shapes(np.shape(a), np.shape(e)), np.nan, dtype=np.result_type(a, e, 1.0))
    try:
        return _frechet_finite(a, e)
    except OverflowError:  # finite entries whose norm overflows: SciPy cannot scale them; NaN as for infinities
        return np.full(np.broadcast_shapes(np.shape(a), np.shape(e)), np.nan, dtype=np.result_type(a, e, 1.0))


def _frechet_finite(a, e):
    if np.ndim(a) == 2:
        return _sl.expm_frechet(a, e, compute_expm=False, check_finite=False)
    a, e = np.broadcast_arrays(a, e)
    out = [
        _sl.expm_frechet(x, y, compute_expm=False, check_finite=False)
        for x, y in zip(a.reshape(-1, *a.shape[-2:]), e.reshape(-1, *e.shape[-2:]))
    ]
    return np.reshape(out, a.shape)


def _blocks(top_left, top_right, bottom_right):
    zero = np.zeros_like(bottom(top_left))
    return np.concatenate(
        [np.concatenate([top_left, top_right], axis=-1), np.concatenate([zero, bottom_right], axis=-1)], axis=-2
    )


# L(A, E) is the top-right block of expm([[A, E], [0, A]]); its derivative in A comes from that identity.
def _frechet_jvp_a(t, ans, a, e, **kw):
    n = shape_of(a)[-1]
    return frechet_p(_blocks(a, e, a), _blocks(t, np.zeros_like(bottom(t)), t))[..., :n, n:]


def _frechet_vjp_a(g, ans, a, e, **kw):
    n = shape_of(a)[-1]
    full = frechet_p(_mT(_blocks(a, e, a)), _blocks(np.zeros_like(bottom(g)), g, np.zeros_like(bottom(g))))
    return unbroadcast(full[..., :n, :n] + full[..., n:, n:], a)


frechet_p = Primitive(_frechet_impl, "scipy.linalg.expm_frechet")
defvjp(
    frechet_p,
    _frechet_vjp_a,
    lambda g, ans, a, e, **kw: unbroadcast(frechet_p(_mT(a), g), e),
    saves=(0, 1),
)
defjvp(frechet_p, _frechet_jvp_a, lambda t, ans, a, e, **kw: frechet_p(a, t))

expm_p = Primitive(_sl.expm, "scipy.linalg.expm")
defvjp(expm_p, lambda g, ans, a: frechet_p(_mT(a), g), saves=(0,))
defjvp(expm_p, lambda t, ans, a: frechet_p(a, t))


def expm(A: ArrayLike) -> Array:
    """``scipy.linalg.expm``: the matrix exponential; its derivative is the Fréchet derivative ``expm_frechet``.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy import linalg
        >>> float(zymo.grad(lambda a: linalg.expm(a)[0, 0])(np.zeros((2, 2)))[0, 0])
        1.0
    """
    return expm_p(A) if has_tracer(A) else _sl.expm(A)


def _expm_frechet_pair_impl(a, e, method=None, check_finite=True):
    return np.stack(_sl.expm_frechet(a, e, method=method, check_finite=check_finite))


def _pair_jvp_a(t, ans, a, e, **kw):
    return np.stack([frechet_p(a, t), _frechet_jvp_a(t, None, a, e)])


def _pair_vjp_a(g, ans, a, e, **kw):
    return frechet_p(_mT(a), g[0]) + _frechet_vjp_a(g[1], None, a, e)


expm_frechet_pair_p = Primitive(_expm_frechet_pair_impl, "scipy.linalg.expm_frechet")
defvjp(expm_frechet_pair_p, _pair_vjp_a, lambda g, ans, a, e, **kw: frechet_p(_mT(a), g[1]), saves=(0, 1))
defjvp(expm_frechet_pair_p, _pair_jvp_a, lambda t, ans, a, e, **kw: np.stack([np.zeros_like(t), frechet_p(a, t)]))


def expm_frechet(
    A: ArrayLike, E: ArrayLike, method: str | None = None, compute_expm: bool = True, check_finite: bool = True
):
    """``scipy.linalg.expm_frechet``: ``(expm(A), L(A, E))`` or, with ``compute_expm=False``, ``L(A, E)``.

    ``L(A, E)`` is the derivative of ``expm`` at ``A`` in the direction ``E``;
    both outputs differentiate in ``A`` and ``E``, to any order.

    Example:
        >>> import numpy as np
        >>> from zymo.scipy import linalg
        >>> linalg.expm_frechet(np.zeros((2, 2)), np.eye(2), compute_expm=False)
        array([[1., 0.],
               [0., 1.]])
    """
    if not has_tracer([A, E]):
        return _sl.expm_frechet(A, E, method=method, compute_expm=compute_expm, check_finite=check_finite)
    if not compute_expm:
        return frechet_p(A, E, check_finite=check_finite)
    if shape_of(A) != shape_of(E) or len(shape_of(A)) != 2:
        raise ValueError("expected A and E to be square matrices of the same shape")
    pair = expm_frechet_pair_p(A, E, method=method, check_finite=check_finite)
    return pair[0], pair[1]


# --- sqrtm, solve_sylvester -----------------------------------------------------------------------
def _sqrtm_impl(a):
    return _sl.sqrtm(a)


sqrtm_p = Primitive(_sqrtm_impl, "scipy.linalg.sqrtm")


def _sqrtm_vjp(g, x, a):
    return solve_sylvester_p(_mT(x), _mT(x), g)


defvjp(sqrtm_p, _sqrtm_vjp, saves=("ans",))
keep_real_cotangents(sqrtm_p)
defjvp(sqrtm_p, lambda t, x, a: solve_sylvester_p(x, x, t))


def sqrtm(A: ArrayLike, disp: bool = True, blocksize: int = 64) -> Array:
    """``scipy.linalg.sqrtm``: the principal square root ``X`` (``X @ X = A``).

    Its derivative solves the Sylvester equation ``X dX + dX X = dA``.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy import linalg
        >>> zymo.grad(lambda a: linalg.sqrtm(a)[0, 0])(np.diag([4.0, 9.0]))
        array([[0.25, 0.  ],
               [0.  , 0.  ]])
    """
    return sqrtm_p(A) if has_tracer(A) else _sl.sqrtm(A)


def _sylvester_vjp_q(g, x, a, b, q, **kw):
    return solve_sylvester_p(_mT(a), _mT(b), g)


def _sylvester_impl(a, b, q, check_finite=False):
    if not check_finite and not _all_finite(a, b, q):  # in rules: SciPy would refuse them; NaN instead
        return np.full(np.shape(q), np.nan, dtype=np.result_type(a, b, q, 1.0))
    return _sl.solve_sylvester(a, b, q)


solve_sylvester_p = Primitive(_sylvester_impl, "scipy.linalg.solve_sylvester")
defvjp(
    solve_sylvester_p,
    lambda g, x, a, b, q, **kw: -np.matmul(_sylvester_vjp_q(g, x, a, b, q), _mT(x)),
    lambda g, x, a, b, q, **kw: -np.matmul(_mT(x), _sylvester_vjp_q(g, x, a, b, q)),
    _sylvester_vjp_q,
    saves=(0, 1, "ans"),
)
defjvp(
    solve_sylvester_p,
    lambda t, x, a, b, q, **kw: solve_sylvester_p(a, b, -np.matmul(t, x)),
    lambda t, x, a, b, q, **kw: solve_sylvester_p(a, b, -np.matmul(x, t)),
    lambda t, x, a, b, q, **kw: solve_sylvester_p(a, b, t),
)
keep_real_cotangents(solve_sylvester_p)


def solve_sylvester(a: ArrayLike, b: ArrayLike, q: ArrayLike) -> Array:
    """``scipy.linalg.solve_sylvester``: ``x`` with ``a x + x b = q``; differentiable in ``a``, ``b`` and ``q``.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy import linalg
        >>> zymo.grad(lambda q: linalg.solve_sylvester(np.eye(2), np.eye(2), q).sum())(np.ones((2, 2)))
        array([[0.5, 0.5],
               [0.5, 0.5]])
    """
    if not has_tracer([a, b, q]):
        return _sl.solve_sylvester(a, b, q)
    return solve_sylvester_p(a, b, q, check_finite=True)


# --- solve_banded -------------------------------------------------------------------------------
def _shift(v, d: int):
    """``w[i] = v[i + d]`` along the first axis, zero where ``i + d`` falls outside."""
    n = shape_of(v)[0]
    if d == 0:
        return v
    if abs(d) >= n:
        return np.zeros_like(bottom(v)) * v
    pad = np.zeros((abs(d),) + shape_of(v)[1:], dtype=bottom(v).dtype)
    return np.concatenate([v[d:], pad]) if d > 0 else np.concatenate([pad, v[:d]])


def _row(ab, k, x):
    r = ab[k]
    return r if len(shape_of(x)) == 1 else np.expand_dims(r, -1)


def _band_matvec(ab, x, lower: int, upper: int):
    """``A x`` for the matrix ``A`` stored in band form (``A[i, i + d] = ab[upper - d, i + d]``)."""
    return sum(_shift(_row(ab, k, x) * x, upper - k) for k in range(lower + upper + 1))


def _band_transpose(ab, lower: int, upper: int):
    """The band form (``upper`` below, ``lower`` above) of ``A^T``."""
    return np.stack([_shift(ab[lower + upper - k], k - lower) for k in range(lower + upper + 1)])


def _solve_banded_impl(ab, b, lower=0, upper=0, check_finite=False):
    return _sl.solve_banded((lower, upper), ab, b, check_finite=check_finite)


def _banded_vjp_b(g, x, ab, b, lower=0, upper=0, check_finite=True):
    return solve_banded_p(_band_transpose(ab, lower, upper), g, lower=upper, upper=lower)


def _banded_vjp_ab(g, x, ab, b, lower=0, upper=0, check_finite=True):
    gb = _banded_vjp_b(g, x, ab, b, lower, upper)
    rows = []
    for k in range(lower + upper + 1):
        prod = _shift(gb, k - upper) * x  # gb[j - d] x[j] with d = upper - k
        rows.append(-(prod if len(shape_of(x)) == 1 else np.sum(prod, axis=-1)))
    return np.stack(rows)


solve_banded_p = Primitive(_solve_banded_impl, "scipy.linalg.solve_banded")
defvjp(solve_banded_p, _banded_vjp_ab, _banded_vjp_b, saves=(0, "ans"))
keep_real_cotangents(solve_banded_p)
defjvp(
    solve_banded_p,
    lambda t, x, ab, b, lower=0, upper=0, check_finite=True: solve_banded_p(
        ab, -_band_matvec(t, x, lower, upper), lower=lower, upper=upper
    ),
    lambda t, x, ab, b, lower=0, upper=0, check_finite=True: solve_banded_p(ab, t, lower=lower, upper=upper),
)


def solve_banded(
    l_and_u: tuple[int, int],
    ab: ArrayLike,
    b: ArrayLike,
    overwrite_ab: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Array:
    """``scipy.linalg.solve_banded``: solve ``a x = b`` for ``a`` given in band form ``ab``.

    Differentiable in ``ab`` (the entries that hold the band; the unused corners
    get no gradient) and ``b`` (a vector or a matrix of right-hand sides).

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy import linalg
        >>> ab = np.array([[0.0, 1.0], [2.0, 2.0], [1.0, 0.0]])  # [[2, 1], [1, 2]]
        >>> zymo.grad(lambda b: linalg.solve_banded((1, 1), ab, b).sum())(np.ones(2))
        array([0.33333333, 0.33333333])
    """
    lower, upper = (int(k) for k in l_and_u)
    if not has_tracer([ab, b]):
        return _sl.solve_banded(
            (lower, upper), ab, b, overwrite_ab=overwrite_ab, overwrite_b=overwrite_b, check_finite=check_finite
        )
    if len(shape_of(ab)) != 2 or len(shape_of(b)) not in (1, 2):
        raise unsupported("scipy.linalg.solve_banded of batched traced values", "loop over the batch")
    return solve_banded_p(ab, b, lower=lower, upper=upper, check_finite=check_finite)


# --- block_diag ---------------------------------------------------------------------------------
def block_diag(*arrs: ArrayLike) -> Array:
    """``scipy.linalg.block_diag``: the arrays on the diagonal of one matrix (0-d and 1-d as single rows).

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy import linalg
        >>> zymo.grad(lambda a: linalg.block_diag(a, 2 * a).sum())(np.ones((1, 2)))
        array([[3., 3.]])
    """
    if not has_tracer(list(arrs)):
        return _sl.block_diag(*arrs)
    if any(len(shape_of(x)) > 2 for x in arrs):
        return _sl.block_diag(*[bottom(x) for x in arrs])  # SciPy's error for arrays of more than 2 dimensions
    blocks = [x if len(shape_of(x)) == 2 else np.reshape(x, (1, -1)) for x in arrs]
    dtype = np.result_type(*[np.asarray(bottom(x)).dtype for x in arrs])  # as SciPy: Python numbers are float64
    widths = [shape_of(x)[1] for x in blocks]
    total = sum(widths)
    rows, start = [], 0
    for x, w in zip(blocks, widths):
        h = shape_of(x)[0]
        parts = [np.zeros((h, start), dtype), x, np.zeros((h, total - start - w), dtype)]
        rows.append(np.concatenate(parts, axis=1).astype(dtype))
        start += w
    return np.concatenate(rows, axis=0)
