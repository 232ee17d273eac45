"""``numpy.linalg`` rules: ``inv``, ``solve``, ``det``, ``slogdet``, norms, ``matrix_power``, ``multi_dot``,
the array-API spellings of the products, and ``diagonal``/``trace``/``diag``.

The public namespace is ``zymo.numpy.linalg``; decompositions live in ``decompositions``, products in
``contractions``.
"""

from __future__ import annotations

import operator
from collections import namedtuple
from collections.abc import Sequence

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple
from numpy.linalg import _linalg as numpy_linalg
from numpy.typing import ArrayLike, DTypeLike

from .. import numpy as znp
from ..core.dispatch import NONDIFF_FUNCTIONS, implements
from ..core.forward import defjvp
from ..core.primitive import Primitive
from ..core.recording import observed_call
from ..core.reverse import defvjp
from ..core.tracer import Tracer, bottom
from .contractions import cross, dot, matmul, outer, tensordot, vecdot
from .helpers import dtype_of, is_complex, keep_real_cotangents, linear, shape_of, unbroadcast, write_out
from .indexing import scatter_add_p
from .reductions import expand_to

LinAlgError = np.linalg.LinAlgError
Array = np.ndarray  # or a traced value, which behaves as one


def _ndim(x):
    return len(shape_of(x))


def _mT(x):
    return np.swapaxes(x, -1, -2)


# --- diagonal / trace / diag ----------------------------------------------------------------
def _diagonal_impl(x, offset=0, axis1=0, axis2=1):
    return np.diagonal(x, offset, axis1, axis2)


def _diagonal_vjp(g, ans, x, offset=0, axis1=0, axis2=1):
    shape = shape_of(x)
    nd = len(shape)
    a1, a2 = axis1 % nd, axis2 % nd
    n = shape_of(g)[-1]
    rows = np.arange(n) + (0 if offset >= 0 else -offset)
    cols = np.arange(n) + (offset if offset >= 0 else 0)

    other = [i for i in range(nd) if i not in (a1, a2)]
    # g has axes other + [diag]; scatter into (other..., a1, a2) then move back
    perm_shape = tuple(shape[i] for i in other) + (shape[a1], shape[a2])
    idx = (Ellipsis, rows, cols)
    z = scatter_add_p(g, idx=idx, shape=perm_shape)
    inv = np.argsort(other + [a1, a2])
    return np.transpose(z, tuple(inv))


diagonal_p = linear(Primitive(_diagonal_impl, "diagonal", aliases=True), _diagonal_vjp)


@implements(np.diagonal)
def diagonal(a: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> np.ndarray:
    """``numpy.diagonal`` (read-only view, as in NumPy).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.diagonal(znp.arange(4.0).reshape(2, 2))
        array([0., 3.])
    """
    return diagonal_p(a, offset=offset, axis1=axis1, axis2=axis2)


@implements(np.trace)
def trace(
    a: ArrayLike,
    offset: int = 0,
    axis1: int = 0,
    axis2: int = 1,
    dtype: DTypeLike = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``numpy.trace``: the sum along a diagonal.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.trace(a @ a))(znp.array([[1.0, 2.0], [3.0, 4.0]]))
        array([[2., 6.],
               [4., 8.]])
    """

    return znp.sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype, out=out)


def _diag_impl(v, k=0):
    return np.diag(v, k)


diag_p = linear(Primitive(_diag_impl, "diag", aliases=True), lambda g, ans, v, k=0: _diag_2d_vjp(g, v, k))


def _diag_2d_vjp(g, v, k):
    if _ndim(v) == 1:
        return np.diagonal(g, k)

    n = shape_of(g)[0]
    rows = np.arange(n) + (0 if k >= 0 else -k)
    cols = np.arange(n) + (k if k >= 0 else 0)
    return scatter_add_p(g, idx=(rows, cols), shape=shape_of(v))


@implements(np.diag)
def diag(v: ArrayLike, k: int = 0) -> np.ndarray:
    """``numpy.diag``: the ``k``-th diagonal of a matrix, or a matrix with ``v`` on it.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.diag(a).sum())(znp.ones((2, 2)))
        array([[1., 0.],
               [0., 1.]])
    """
    return diag_p(v, k=k)


# --- inverse, solve, determinants ------------------------------------------------------------
inv_p = Primitive(np.linalg.inv, "inv")
defvjp(inv_p, lambda g, ans, a: -np.matmul(_mT(ans), np.matmul(g, _mT(ans))), saves=("ans",))
defjvp(inv_p, lambda t, ans, a: -np.matmul(ans, np.matmul(t, ans)))


@implements(np.linalg.inv)
def inv(a: ArrayLike) -> np.ndarray:
    """``numpy.linalg.inv``: the matrix inverse.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.linalg.inv(a).sum())(znp.array([[2.0, 0.0], [0.0, 4.0]]))
        array([[-0.25  , -0.125 ],
               [-0.125 , -0.0625]])
    """
    return inv_p(a)


def _refused_nonfinite(a) -> bool:
    plain = bottom(a)
    return type(plain) is np.ndarray and not np.all(np.isfinite(plain))


def _solve(a, b):
    """``solve(a, b)`` in a rule: NaN where ``a`` holds NaN or infinity and LAPACK refuses it (NaN in, NaN out)."""
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        if not _refused_nonfinite(a):
            raise
        sa, sb = shape_of(a), shape_of(b)
        shape = np.broadcast_shapes(sa[:-2], sb[:-2]) + sb[-2:]
        return np.full(shape, np.nan, dtype=np.result_type(dtype_of(a), dtype_of(b), 1.0))


def _inv(a):
    """``inv(a)`` in a rule, NaN where ``a`` holds NaN or infinity and LAPACK refuses it."""
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        if not _refused_nonfinite(a):
            raise
        return np.full(shape_of(a), np.nan, dtype=np.result_type(dtype_of(a), 1.0))


def _solve_is_vector(a, b):
    return _ndim(b) == 1  # NumPy 2: a 1-D right-hand side is one vector, anything else a stack of matrices


def _solve_vectors(a, v):
    """``solve`` of a stack of right-hand-side vectors ``v`` (shape ``(..., M)``)."""
    return _solve(a, np.expand_dims(v, -1))[..., 0]


def _solve_vjp_b(g, ans, a, b):
    if _solve_is_vector(a, b):
        return unbroadcast(_solve_vectors(_mT(a), g), b)
    return unbroadcast(_solve(_mT(a), g), b)


def _solve_vjp_a(g, ans, a, b):
    if _solve_is_vector(a, b):
        gb = _solve_vectors(_mT(a), g)
        return unbroadcast(-np.expand_dims(gb, -1) * np.expand_dims(ans, -2), a)
    gb = _solve(_mT(a), g)
    return unbroadcast(-np.matmul(gb, _mT(ans)), a)


def _solve_jvp_a(t, ans, a, b):
    if _solve_is_vector(a, b):
        return -_solve_vectors(a, np.matmul(t, np.expand_dims(ans, -1))[..., 0])
    return -_solve(a, np.matmul(t, ans))


solve_p = Primitive(np.linalg.solve, "solve")
defvjp(solve_p, _solve_vjp_a, _solve_vjp_b, saves=(0, "ans"))
keep_real_cotangents(solve_p)
defjvp(solve_p, _solve_jvp_a, lambda t, ans, a, b: solve_p(a, t))


@implements(np.linalg.solve)
def solve(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """``numpy.linalg.solve``: ``x`` with ``a @ x == b``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> a = znp.array([[2.0, 0.0], [0.0, 4.0]])
        >>> zymo.grad(lambda b: znp.linalg.solve(a, b).sum())(znp.array([1.0, 1.0]))
        array([0.5 , 0.25])
    """
    return solve_p(a, b)


def _adjugate(a):
    """``det(a) inv(a)``, also for singular matrices.

    Up to 4 x 4 from cofactors (determinants of minors: a polynomial, so its derivatives are exact at a
    singular matrix too); larger, ``det(U) det(V) V diag(prod of the other s) U^T`` from the SVD.
    """
    n = shape_of(a)[-1]
    if n == 1:
        return np.ones_like(a)
    if n <= 4:
        rows = []
        for i in range(n):
            without_row = np.delete(a, i, axis=-2)
            rows.append(
                np.stack([(-1.0) ** (i + j) * det_p(np.delete(without_row, j, axis=-1)) for j in range(n)], axis=-1)
            )
        return _mT(np.stack(rows, axis=-2))  # the transposed cofactor matrix
    u, s, vh = np.linalg.svd(a)
    n = shape_of(s)[-1]
    others = np.stack([np.prod(np.delete(s, i, axis=-1), axis=-1) for i in range(n)], axis=-1)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return np.expand_dims(np.expand_dims(sign, -1), -1) * np.matmul(_mT(vh) * np.expand_dims(others, -2), _mT(u))


# Beyond this condition number ``det(a) inv(a)`` loses about ``cond * eps`` of its relative accuracy (a tiny
# determinant times a huge inverse), and more in its derivative: the adjugate is computed from the SVD instead.
_DET_COND_LIMIT = 1e8


def _nearly_singular(a) -> bool:
    plain = bottom(a)
    if type(plain) is not np.ndarray:  # another library's array: its own inverse decides
        return False
    if plain.size == 0 or not np.all(np.isfinite(plain)):  # NaN in, NaN out: the usual path gives it
        return False
    with np.errstate(all="ignore"):
        cond = np.linalg.cond(plain)
    return bool(np.any(~(cond <= _DET_COND_LIMIT)))  # an infinite condition number (NaN from 0/0) too


def _det_vjp(g, ans, a):
    if not _nearly_singular(a):
        try:
            return np.expand_dims(np.expand_dims(g * ans, -1), -1) * _mT(np.linalg.inv(a))
        except np.linalg.LinAlgError:
            pass
    # a (nearly) singular matrix: the gradient is still the (transposed) adjugate
    return np.expand_dims(np.expand_dims(g, -1), -1) * _mT(_adjugate(a))


det_p = Primitive(np.linalg.det, "det")
defvjp(det_p, _det_vjp, saves=(0, "ans"))


def _det_jvp(t, ans, a):
    if not _nearly_singular(a):
        try:
            return ans * np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1)
        except np.linalg.LinAlgError:
            pass
    return np.trace(np.matmul(_adjugate(a), t), axis1=-2, axis2=-1)  # d det = trace(adj(a) t)


defjvp(det_p, _det_jvp)


@implements(np.linalg.det)
def det(a: ArrayLike) -> np.ndarray:
    """``numpy.linalg.det``: the determinant.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(znp.linalg.det)(znp.array([[2.0, 1.0], [1.0, 3.0]]))
        array([[ 3., -1.],
               [-1.,  2.]])
    """
    return det_p(a)


def _logabsdet_impl(a):
    return np.linalg.slogdet(a)[1]


logabsdet_p = Primitive(_logabsdet_impl, "slogdet")
defvjp(logabsdet_p, lambda g, ans, a: np.expand_dims(np.expand_dims(g, -1), -1) * _mT(_inv(a)), saves=(0,))
defjvp(logabsdet_p, lambda t, ans, a: np.real(np.trace(_solve(a, t), axis1=-2, axis2=-1)))

SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])


def _slogdet_sign(a):
    return np.linalg.slogdet(a)[0]


@implements(np.linalg.slogdet)
def slogdet(a: ArrayLike) -> SlogdetResult:
    """``numpy.linalg.slogdet``: ``(sign, logabsdet)``.

    A real matrix's sign is locally constant (no gradient); a complex matrix's sign is a
    differentiable phase.

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.linalg.slogdet(a)[1])(np.diag([2.0, 4.0])).tolist()
        [[0.5, 0.0], [0.0, 0.25]]
    """
    if type(a) is not Tracer:
        return np.linalg.slogdet(a)
    sign = sign_p(a) if is_complex(a) else observed_call(_slogdet_sign, a)
    return SlogdetResult(sign, logabsdet_p(a))


def _sign_impl(a):
    return np.linalg.slogdet(a)[0]


# d sign = sign * i Im(tr(A^-1 dA)); its transpose under Re(sum(c * t)) is i Im(g sign) A^-T.
sign_p = Primitive(_sign_impl, "slogdet sign")
defvjp(
    sign_p,
    lambda g, s, a: np.expand_dims(np.expand_dims(1j * np.imag(g * s), -1), -1) * _mT(_inv(a)),
    saves=(0, "ans"),
)
defjvp(sign_p, lambda t, s, a: s * (1j * np.imag(np.trace(_solve(a, t), axis1=-2, axis2=-1))))


# --- norm ---------------------------------------------------------------------------------------
def _norm_impl(x, ord=None, axis=None, keepdims=False):
    return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


def _norm_expand(v, x, axis, keepdims):

    return expand_to(v, shape_of(x), axis, keepdims)


def _sgn(x):
    """d|x|/dx as a cotangent factor: sign(x), or conj(x)/|x| for complex x (JAX's convention)."""
    if not is_complex(x):
        return np.sign(x)
    ax = np.abs(x)
    zero = ax == 0
    return np.where(zero, 0.0, np.conj(x) / np.where(zero, 1.0, ax))


def _norm_partial(ans, x, ord, axis, keepdims):
    full = _norm_expand(ans, x, axis, keepdims)
    if ord is None or ord == "fro" or ord == "f" or ord == 2:
        zero = full == 0
        xc = np.conj(x) if is_complex(x) else x
        return np.where(zero, 0.0, xc / np.where(zero, 1.0, full))
    if ord == 0:
        return np.zeros(shape_of(x), dtype=bottom(ans).dtype)
    if ord == 1:
        return _sgn(x)
    if ord == np.inf or ord == -np.inf:
        hit = np.asarray(np.abs(bottom(x)) == bottom(full)).astype(bottom(ans).dtype)
        return _sgn(x) * hit / np.sum(hit, axis=axis, keepdims=True)
    p = float(ord)
    return _sgn(x) * np.abs(x) ** (p - 1) / full ** (p - 1)


def _norm_vjp(g, ans, x, ord=None, axis=None, keepdims=False):
    return _norm_expand(g, x, axis, keepdims) * _norm_partial(ans, x, ord, axis, keepdims)


def _norm_jvp(t, ans, x, ord=None, axis=None, keepdims=False):
    r = np.sum(t * _norm_partial(ans, x, ord, axis, keepdims), axis=axis, keepdims=keepdims)
    return np.real(r) if is_complex(r) else r


norm_p = Primitive(_norm_impl, "norm")
defvjp(norm_p, _norm_vjp)
defjvp(norm_p, _norm_jvp)


def _matrix_norm(x, ord, row_axis, col_axis):
    """NumPy's own matrix-norm formulas, written with differentiable operations."""

    if ord in (2, -2, "nuc"):
        s = znp.linalg.svd(np.moveaxis(x, (row_axis, col_axis), (-2, -1)), compute_uv=False)
        return np.max(s, axis=-1) if ord == 2 else np.min(s, axis=-1) if ord == -2 else np.sum(s, axis=-1)
    a = np.abs(x)
    if ord in (1, -1):
        if col_axis > row_axis:
            col_axis -= 1
        r = np.sum(a, axis=row_axis)
        return np.max(r, axis=col_axis) if ord == 1 else np.min(r, axis=col_axis)
    if ord in (np.inf, -np.inf):
        if row_axis > col_axis:
            row_axis -= 1
        r = np.sum(a, axis=col_axis)
        return np.max(r, axis=row_axis) if ord == np.inf else np.min(r, axis=row_axis)
    raise ValueError("Invalid norm order for matrices.")


@implements(np.linalg.norm)
def norm(
    x: ArrayLike, ord: float | str | None = None, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> np.ndarray:
    """``numpy.linalg.norm``: vector norms of every order, matrix norms 1, -1, 2, -2, inf, -inf, 'fro', 'nuc'.

    Where the norm is not differentiable (a zero vector, ties in a max) the gradient is a subgradient.

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.linalg.norm(x))(np.array([3.0, 4.0])).tolist()
        [0.6, 0.8]
    """
    if isinstance(axis, list):
        axis = tuple(axis)
    nd = len(shape_of(x))
    matrix_axes = axis if isinstance(axis, tuple) and len(axis) == 2 else (0, 1) if axis is None and nd == 2 else None
    if matrix_axes is not None and ord not in (None, "fro", "f"):
        if type(x) is not Tracer:
            return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
        row_axis, col_axis = normalize_axis_tuple(matrix_axes, nd, allow_duplicate=True)
        if row_axis == col_axis:
            raise ValueError("Duplicate axes given.")
        r = _matrix_norm(x, ord, row_axis, col_axis)
        if keepdims:
            shape = list(shape_of(x))
            shape[row_axis] = shape[col_axis] = 1
            r = np.reshape(r, tuple(shape))
        return r
    return norm_p(x, ord=ord, axis=axis, keepdims=keepdims)


# --- compositions: matrix_power, multi_dot and the array-API names ------------------------------------
@implements(np.linalg.matrix_power)
def matrix_power(a: ArrayLike, n: int) -> np.ndarray:
    """``numpy.linalg.matrix_power`` (the same products in the same order as NumPy).

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.linalg.matrix_power(a, 3)[0, 0])(np.array([[2.0]])).tolist()
        [[12.0]]
    """

    n = operator.index(n)
    shape = shape_of(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise np.linalg.LinAlgError("Last 2 dimensions of the array must be square")
    if n == 0:
        out = znp.empty_like(a)
        out[...] = np.eye(shape[-2], dtype=dtype_of(a))
        return out
    if n < 0:
        a, n = inv(a), -n
    if n == 1:
        return a
    if n == 2:
        return matmul(a, a)
    if n == 3:
        return matmul(matmul(a, a), a)
    z = result = None
    while n > 0:
        z = a if z is None else matmul(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


@implements(np.linalg.multi_dot)
def multi_dot(arrays: Sequence[ArrayLike], *, out: np.ndarray | None = None) -> np.ndarray:
    """``numpy.linalg.multi_dot`` (NumPy's multiplication order).

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> f = lambda v: znp.linalg.multi_dot([v, np.ones((2, 3)), np.ones((3, 2)), v])
        >>> zymo.grad(f)(np.array([1.0, 2.0])).tolist()
        [18.0, 18.0]
    """
    arrays = [znp.asarray(a) for a in arrays]
    n = len(arrays)
    if n < 2:
        raise ValueError("Expecting at least two arrays.")
    if n == 2:
        return dot(arrays[0], arrays[1], out=out)
    first, last = len(shape_of(arrays[0])), len(shape_of(arrays[-1]))
    if first == 1:
        arrays[0] = znp.atleast_2d(arrays[0])
    if last == 1:
        arrays[-1] = znp.transpose(znp.atleast_2d(arrays[-1]))
    for a in arrays:
        if len(shape_of(a)) != 2:
            raise np.linalg.LinAlgError(f"{len(shape_of(a))}-dimensional array given. Array must be two-dimensional")

    def chain(order, i, j):
        if i == j:
            return arrays[i]
        return dot(chain(order, i, order[i, j]), chain(order, order[i, j] + 1, j))

    if n == 3:
        a, b, c = arrays
        (a0, a1), (b1,), (c1,) = shape_of(a), shape_of(b)[1:], shape_of(c)[1:]
        result = dot(dot(a, b), c) if a0 * a1 * b1 + a0 * b1 * c1 < a1 * b1 * c1 + a0 * a1 * c1 else dot(a, dot(b, c))
    else:
        order = numpy_linalg._multi_dot_matrix_chain_order([bottom(a) for a in arrays])
        result = chain(order, 0, n - 1)
    if first == 1 and last == 1:
        result = result[0, 0]
    elif first == 1 or last == 1:
        result = znp.ravel(result)
    if out is not None:
        return write_out(out, result)
    return result


@implements(np.linalg.matrix_transpose)
def matrix_transpose(x: ArrayLike, /) -> np.ndarray:
    """``numpy.linalg.matrix_transpose``: the last two axes swapped.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.linalg.matrix_transpose(znp.zeros((2, 3, 4))).shape
        (2, 4, 3)
    """
    return _mT(x)


@implements(np.linalg.svdvals)
def svdvals(x: ArrayLike, /) -> np.ndarray:
    """``numpy.linalg.svdvals``: the singular values, largest first.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.linalg.svdvals(a)[0])(znp.array([[3.0, 0.0], [0.0, 1.0]]))
        array([[1., 0.],
               [0., 0.]])
    """

    return znp.linalg.svd(x, compute_uv=False)


@implements(np.linalg.matrix_norm)
def matrix_norm(x: ArrayLike, /, *, keepdims: bool = False, ord: float | str = "fro") -> np.ndarray:
    """``numpy.linalg.matrix_norm``: norms over the last two axes (Frobenius by default).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.linalg.matrix_norm(a))(znp.array([[3.0, 0.0], [0.0, 4.0]]))
        array([[0.6, 0. ],
               [0. , 0.8]])
    """
    return norm(x, axis=(-2, -1), keepdims=keepdims, ord=ord)


@implements(np.linalg.vector_norm)
def vector_norm(
    x: ArrayLike, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, ord: float | str = 2
) -> np.ndarray:
    """``numpy.linalg.vector_norm`` (any number of axes, as NumPy computes it).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(znp.linalg.vector_norm)(znp.array([3.0, 4.0]))
        array([0.6, 0.8])
    """

    x = znp.asarray(x)
    shape = list(shape_of(x))
    nd = len(shape)
    if axis is None:
        x, ax = znp.ravel(x), 0
    elif isinstance(axis, tuple):
        axes = normalize_axis_tuple(axis, nd)
        rest = tuple(i for i in range(nd) if i not in axes)
        x = znp.reshape(
            znp.transpose(x, axis + rest), (int(np.prod([shape[i] for i in axes])), *[shape[i] for i in rest])
        )
        ax = 0
    else:
        ax = axis
    res = norm(x, axis=ax, ord=ord)
    if keepdims:
        for i in range(nd) if axis is None else ((axis,) if isinstance(axis, int) else axis):
            shape[i % nd] = 1
        res = znp.reshape(res, tuple(shape))
    return res


# --- numpy.linalg's array-API spellings of the products (exported by zymo.numpy.linalg under NumPy's names) ---
def _linalg_alias(np_fn):
    def register(body):
        body.__name__ = body.__qualname__ = np_fn.__name__
        return implements(np_fn)(body)

    return register


@_linalg_alias(np.linalg.matmul)
def linalg_matmul(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """``numpy.linalg.matmul``: the matrix product of ``x1`` and ``x2``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.linalg.matmul(a, znp.ones(2)).sum())(znp.eye(2))
        array([[1., 1.],
               [1., 1.]])
    """
    return matmul(x1, x2)


@_linalg_alias(np.linalg.tensordot)
def linalg_tensordot(x1: ArrayLike, x2: ArrayLike, /, *, axes: int | Sequence[Sequence[int]] = 2) -> Array:
    """``numpy.linalg.tensordot``: sum of products over ``axes``.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.linalg.tensordot(znp.ones((2, 3)), znp.ones((3, 2)), axes=1)
        array([[3., 3.],
               [3., 3.]])
    """
    return tensordot(x1, x2, axes)


@_linalg_alias(np.linalg.outer)
def linalg_outer(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """``numpy.linalg.outer``: the outer product of two vectors.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.linalg.outer(x, x).sum())(znp.array([1.0, 2.0]))
        array([6., 6.])
    """
    if len(shape_of(x1)) != 1 or len(shape_of(x2)) != 1:
        return np.linalg.outer(bottom(x1), bottom(x2))  # NumPy's error for non-vectors
    return outer(x1, x2)


@_linalg_alias(np.linalg.cross)
def linalg_cross(x1: ArrayLike, x2: ArrayLike, /, *, axis: int = -1) -> Array:
    """``numpy.linalg.cross``: the cross product of 3-vectors along ``axis``.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.linalg.cross(znp.array([1.0, 0.0, 0.0]), znp.array([0.0, 1.0, 0.0]))
        array([0., 0., 1.])
    """
    return cross(x1, x2, axis=axis)


@_linalg_alias(np.linalg.diagonal)
def linalg_diagonal(x: ArrayLike, /, *, offset: int = 0) -> Array:
    """``numpy.linalg.diagonal``: the diagonals of the last two axes.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.linalg.diagonal(znp.arange(8.0).reshape(2, 2, 2))
        array([[0., 3.],
               [4., 7.]])
    """
    return diagonal(x, offset, -2, -1)


@_linalg_alias(np.linalg.trace)
def linalg_trace(x: ArrayLike, /, *, offset: int = 0, dtype: DTypeLike = None) -> Array:
    """``numpy.linalg.trace``: the traces of the last two axes.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.linalg.trace(a))(znp.ones((2, 2)))
        array([[1., 0.],
               [0., 1.]])
    """
    return trace(x, offset, -2, -1, dtype)


@_linalg_alias(np.linalg.vecdot)
def linalg_vecdot(x1: ArrayLike, x2: ArrayLike, /, *, axis: int = -1) -> Array:
    """``numpy.linalg.vecdot``: the dot product of vectors along ``axis``.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.linalg.vecdot(znp.array([[1.0, 2.0], [3.0, 4.0]]), znp.ones(2))
        array([3., 7.])
    """
    return vecdot(np.moveaxis(x1, axis, -1), np.moveaxis(x2, axis, -1))


@implements(np.linalg.cond)
def cond(x: ArrayLike, p: float | str | None = None) -> np.ndarray:
    """``numpy.linalg.cond`` (as NumPy computes it; infinite where ``x`` is singular).

    Example:
        >>> import zymo.numpy as znp
        >>> float(znp.linalg.cond(znp.array([[2.0, 0.0], [0.0, 1.0]])))
        2.0
    """
    if p is None or p in (2, -2):
        s = svdvals(x)
        return s[..., -1] / s[..., 0] if p == -2 else s[..., 0] / s[..., -1]
    return norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))


@implements(np.linalg.tensorsolve)
def tensorsolve(a: ArrayLike, b: ArrayLike, axes: int | Sequence[int] | None = None) -> np.ndarray:
    """``numpy.linalg.tensorsolve``: ``x`` with ``tensordot(a, x, x.ndim) == b``.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.linalg.tensorsolve(2.0 * znp.eye(4).reshape(2, 2, 4), znp.ones((2, 2)))
        array([0.5, 0.5, 0.5, 0.5])
    """

    an, bn = len(shape_of(a)), len(shape_of(b))
    if axes is not None:
        allaxes = list(range(an))
        for k in axes:
            allaxes.remove(k)
            allaxes.insert(an, k)
        a = znp.transpose(a, allaxes)
    oldshape = shape_of(a)[-(an - bn) :]
    n = int(np.prod(oldshape))
    if int(np.prod(shape_of(a))) != n * n:
        raise np.linalg.LinAlgError(
            "Input arrays must satisfy the requirement prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])"
        )
    return znp.reshape(solve(znp.reshape(a, (n, n)), znp.ravel(b)), oldshape)


@implements(np.linalg.tensorinv)
def tensorinv(a: ArrayLike, ind: int = 2) -> np.ndarray:
    """``numpy.linalg.tensorinv``: the inverse under ``tensordot`` over ``ind`` axes.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.linalg.tensorinv(znp.eye(4).reshape(4, 2, 2), ind=1).shape
        (2, 2, 4)
    """

    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    shape = shape_of(a)
    n = int(np.prod(shape[ind:]))
    return znp.reshape(inv(znp.reshape(a, (n, -1))), shape[ind:] + shape[:ind])


NONDIFF_FUNCTIONS.add(np.linalg.matrix_rank)  # an integer: no derivative
