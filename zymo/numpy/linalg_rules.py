"""Linear-algebra rules: products (matmul, dot, tensordot, einsum, ...) and ``numpy.linalg``.

The public namespace is ``zymo.numpy.linalg``; decompositions live in ``decompositions``.
"""

from __future__ import annotations

import inspect
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple
from numpy.typing import ArrayLike, DTypeLike

from ..core.dispatch import NONDIFF_FUNCTIONS, UFUNCS, implements
from ..core.errors import unsupported
from ..core.forward import defjvp, defjvp_all
from ..core.jit_codegen import definline
from ..core.primitive import Primitive
from ..core.recording import observed_call
from ..core.reverse import defvjp, defvjp_plain
from ..core.tracer import Tracer, bottom
from ._rules import dtype_of, linear, shape_of, unbroadcast
from .indexing import keep_real_cotangents

__all__ = [
    "matmul",
    "dot",
    "vdot",
    "tensordot",
    "einsum",
    "outer",
    "inner",
    "kron",
    "cross",
    "trace",
    "diagonal",
    "diag",
    "inv",
    "solve",
    "det",
    "slogdet",
    "norm",
    "LinAlgError",
    "vecdot",
    "matvec",
    "vecmat",
    "matrix_power",
    "multi_dot",
    "cond",
    "tensorsolve",
    "tensorinv",
    "lstsq",
    "matrix_transpose",
    "svdvals",
    "matrix_norm",
    "vector_norm",
    "cholesky",
    "eigh",
    "eigvalsh",
    "eig",
    "eigvals",
    "svd",
    "qr",
    "pinv",
]

LinAlgError = np.linalg.LinAlgError
Array = np.ndarray  # or a traced value, which behaves as one


def _ndim(x):
    return len(shape_of(x))


def _mT(x):
    return np.swapaxes(x, -1, -2)


# --- matmul ----------------------------------------------------------------------
def _matmul_vjp_a(g, ans, a, b):
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 2 and b.ndim == 2:
        return g @ b.T  # the common case: no broadcasting to undo
    na, nb = _ndim(a), _ndim(b)
    if nb == 1:
        if na == 1:
            return g * b
        return unbroadcast(np.expand_dims(g, -1) * b, a)
    if na == 1:
        return unbroadcast(np.matmul(b, np.expand_dims(g, -1))[..., 0], a)
    return unbroadcast(np.matmul(g, _mT(b)), a)


def _matmul_vjp_b(g, ans, a, b):
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 2 and b.ndim == 2:
        return a.T @ g
    na, nb = _ndim(a), _ndim(b)
    if na == 1:
        if nb == 1:
            return g * a
        return unbroadcast(np.expand_dims(a, -1) * np.expand_dims(g, -2), b)
    if nb == 1:
        return unbroadcast(np.matmul(np.expand_dims(g, -2), a)[..., 0, :], b)
    return unbroadcast(np.matmul(_mT(a), g), b)


matmul_p = Primitive(np.matmul, "matmul")
defvjp(matmul_p, _matmul_vjp_a, _matmul_vjp_b, saves=(0, 1))
keep_real_cotangents(matmul_p)


def _matmul_plain(g, ans, need, a, b):
    """Both cotangents of a real matrix or matrix-vector product in one call (nothing to unbroadcast).

    The same operations as the per-argument rules, without their general broadcasting bookkeeping.
    """
    if not (
        type(a) is np.ndarray
        and type(b) is np.ndarray
        and g.dtype.kind != "c"
        and a.dtype.kind != "c"
        and b.dtype.kind != "c"
    ):
        return None
    na, nb = a.ndim, b.ndim
    if na == 2 and nb == 2:
        return (g @ b.T if need[0] >= 0 else None, a.T @ g if need[1] >= 0 else None)
    if na == 1 and nb == 2:  # an unbatched vector times a matrix
        return ((b @ g[:, None])[:, 0] if need[0] >= 0 else None, a[:, None] * g if need[1] >= 0 else None)
    if na == 2 and nb == 1:
        return (g[:, None] * b if need[0] >= 0 else None, (g[None, :] @ a)[0] if need[1] >= 0 else None)
    return None


defvjp_plain(matmul_p, _matmul_plain)


def _matmul_inline(need, ans, a, b, **params):
    """``zymo.jit``'s inline rule: the matrix-matrix case of ``_matmul_plain``."""
    if a is None or b is None or len(a[0]) != 2 or len(b[0]) != 2:
        return None
    return ["{g} @ {a1}.T" if need[0] >= 0 else None, "{a0}.T @ {g}" if need[1] >= 0 else None], {}


definline(matmul_p, _matmul_inline)
defjvp(matmul_p, lambda t, ans, a, b: np.matmul(t, b), lambda t, ans, a, b: np.matmul(a, t))


class _MatmulUfunc:
    """``numpy.matmul`` as zymo records it (NumPy's ``matmul`` is a ufunc); the ``@`` operator.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.matmul(a, znp.array([1.0, 2.0])).sum())(znp.ones((2, 2)))
        array([[1., 2.],
               [1., 2.]])
    """

    __name__ = "matmul"
    _prim = matmul_p  # what the ``@`` operator calls directly

    @property
    def __signature__(self) -> inspect.Signature:
        return inspect.signature(self.__call__)

    def __call__(self, a: ArrayLike, b: ArrayLike, out: np.ndarray | None = None, **kwargs: Any) -> np.ndarray:
        r = matmul_p(a, b)
        if out is None:
            return r
        from ..core.array_api import _write_out

        return _write_out(out, r)

    def __getattr__(self, name):
        return getattr(np.matmul, name)


matmul = _MatmulUfunc()
UFUNCS[np.matmul] = matmul


# --- tensordot -----------------------------------------------------------------------
def _tensordot_axes(axes, na, nb):
    if isinstance(axes, (int, np.integer)):
        return list(range(na - axes, na)), list(range(axes))
    ax_a, ax_b = axes
    ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
    ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
    return [x % na for x in ax_a], [x % nb for x in ax_b]


def _tensordot_vjp_a(g, ans, a, b, axes=2):
    na, nb = _ndim(a), _ndim(b)
    ax_a, ax_b = _tensordot_axes(axes, na, nb)
    free_a = [i for i in range(na) if i not in ax_a]
    free_b = [i for i in range(nb) if i not in ax_b]
    ng = _ndim(g)
    r = np.tensordot(g, b, axes=(list(range(len(free_a), ng)), free_b))
    # r's trailing axes are b's contracted axes in b's order; each pairs with one of a's.
    order = free_a + [ax_a[ax_b.index(j)] for j in sorted(ax_b)]
    return np.transpose(r, tuple(np.argsort(order)))


def _tensordot_vjp_b(g, ans, a, b, axes=2):
    na, nb = _ndim(a), _ndim(b)
    ax_a, ax_b = _tensordot_axes(axes, na, nb)
    free_a = [i for i in range(na) if i not in ax_a]
    free_b = [i for i in range(nb) if i not in ax_b]
    r = np.tensordot(a, g, axes=(free_a, list(range(len(free_a)))))
    order = [ax_b[ax_a.index(i)] for i in sorted(ax_a)] + free_b
    return np.transpose(r, tuple(np.argsort(order)))


def _tensordot_impl(a, b, axes=2):
    return np.tensordot(a, b, axes)


tensordot_p = Primitive(_tensordot_impl, "tensordot")
defvjp(tensordot_p, _tensordot_vjp_a, _tensordot_vjp_b, saves=(0, 1))
keep_real_cotangents(tensordot_p)
defjvp(
    tensordot_p,
    lambda t, ans, a, b, axes=2: tensordot_p(t, b, axes=axes),
    lambda t, ans, a, b, axes=2: tensordot_p(a, t, axes=axes),
)


@implements(np.tensordot)
def tensordot(a: ArrayLike, b: ArrayLike, axes: int | Sequence[Sequence[int]] = 2) -> np.ndarray:
    """``numpy.tensordot``: sums of products over ``axes``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.tensordot(a, znp.array([1.0, 2.0]), axes=1).sum())(znp.ones((2, 2)))
        array([[1., 2.],
               [1., 2.]])
    """
    if not isinstance(axes, (int, np.integer)):
        axes = tuple(tuple(x) if isinstance(x, (list, tuple)) else x for x in axes)
    return tensordot_p(a, b, axes=axes)


# --- dot / inner / vdot ---------------------------------------------------------------
def _dot_vjp_a(g, ans, a, b):
    na, nb = _ndim(a), _ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(g * b, a) if na else np.sum(g * b)
    if nb <= 2:
        return _matmul_vjp_a(g, ans, a, b)
    return _tensordot_vjp_a(g, ans, a, b, axes=([na - 1], [nb - 2]))


def _dot_vjp_b(g, ans, a, b):
    na, nb = _ndim(a), _ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(g * a, b) if nb else np.sum(g * a)
    if nb <= 2 and na <= 2:
        return _matmul_vjp_b(g, ans, a, b)
    return _tensordot_vjp_b(g, ans, a, b, axes=([na - 1], [nb - 2]))


def _dot_impl(a, b):
    return np.dot(a, b)


dot_p = Primitive(_dot_impl, "dot")
defvjp(dot_p, _dot_vjp_a, _dot_vjp_b, saves=(0, 1))
keep_real_cotangents(dot_p)
defjvp(dot_p, lambda t, ans, a, b: dot_p(t, b), lambda t, ans, a, b: dot_p(a, t))


@implements(np.dot)
def dot(a: ArrayLike, b: ArrayLike, out: np.ndarray | None = None) -> np.ndarray:
    """``numpy.dot``: the dot product (matrix product for 2-d inputs).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda w: znp.dot(w, znp.array([1.0, 2.0])))(znp.array([3.0, 4.0]))
        array([1., 2.])
    """
    r = dot_p(a, b)
    if out is None:
        return r
    from ..core.array_api import _write_out

    return _write_out(out, r)


def _inner_impl(a, b):
    return np.inner(a, b)


def _inner_axes(a, b):
    return ([_ndim(a) - 1], [_ndim(b) - 1])


inner_p = Primitive(_inner_impl, "inner")


def _inner_vjp_a(g, ans, a, b):
    if _ndim(a) == 0 or _ndim(b) == 0:
        return unbroadcast(g * b, a)
    return _tensordot_vjp_a(g, ans, a, b, axes=_inner_axes(a, b))


def _inner_vjp_b(g, ans, a, b):
    if _ndim(a) == 0 or _ndim(b) == 0:
        return unbroadcast(g * a, b)
    return _tensordot_vjp_b(g, ans, a, b, axes=_inner_axes(a, b))


defvjp(inner_p, _inner_vjp_a, _inner_vjp_b, saves=(0, 1))
keep_real_cotangents(inner_p)
defjvp(inner_p, lambda t, ans, a, b: inner_p(t, b), lambda t, ans, a, b: inner_p(a, t))


@implements(np.inner)
def inner(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """``numpy.inner``: sums of products over the last axes.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.inner(x, x))(znp.array([1.0, 2.0]))
        array([2., 4.])
    """
    return inner_p(a, b)


@implements(np.vdot)
def vdot(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """``numpy.vdot`` (conjugates the first argument; flattens both).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.vdot(x, x))(znp.array([1.0, 2.0]))
        array([2., 4.])
    """
    return dot_p(np.conjugate(np.ravel(a)) if np.iscomplexobj(bottom(a)) else np.ravel(a), np.ravel(b))


@implements(np.outer)
def outer(a: ArrayLike, b: ArrayLike, out: np.ndarray | None = None) -> np.ndarray:
    """``numpy.outer``: the outer product of the flattened inputs.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.outer(x, x).sum())(znp.array([1.0, 2.0]))
        array([6., 6.])
    """
    r = np.multiply(np.ravel(a)[:, None], np.ravel(b)[None, :])
    if out is None:
        return r
    from ..core.array_api import _write_out

    return _write_out(out, r)


# --- einsum ---------------------------------------------------------------------------
def _parse_einsum(subscripts: str, n: int):
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        ins, out = subscripts.split("->")
    else:
        ins = subscripts
        letters = ins.replace(",", "").replace("...", "")
        out = ("..." if "..." in ins else "") + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    ins = ins.split(",")
    if len(ins) != n:
        raise ValueError("einsum: number of operands does not match the subscripts")
    return ins, out


def _split_term(term: str, nd: int):
    """Letters before and after the ellipsis of ``term`` and the ellipsis's number of axes."""
    if "..." in term:
        pre, post = term.split("...")
        return pre, post, nd - len(pre) - len(post)
    return term, "", 0


def _unique(term: str) -> str:
    out = ""
    for c in term.replace("...", "E"):
        if c == "E":
            out += "..."
        elif c not in out:
            out += c
    return out


def _einsum_operand_grad(g, operands, i, ins, out, optimize):
    """Cotangent of operand ``i``: contract ``g`` with the others, then restore what the contraction lost."""
    x = operands[i]
    xshape = shape_of(x)
    target = ins[i]
    pre, post, ell_x = _split_term(target, len(xshape))
    sizes = dict(zip(pre, xshape[: len(pre)]))
    sizes.update(zip(post, xshape[len(xshape) - len(post) :]))
    others = [ins[j] for j in range(len(operands)) if j != i]
    available = set("".join(others).replace("...", "") + out.replace("...", ""))
    ell_available = "..." in out or any("..." in t for t in others)
    utarget = _unique(target)
    kept = "".join(c for c in utarget.replace("...", "E") if c in available or (c == "E" and ell_available))
    kept = kept.replace("E", "...")
    spec = ",".join([out] + others) + "->" + kept
    extra_ell = ell_available and "..." not in target  # NumPy cannot sum out an ellipsis: do it after
    if extra_ell:
        spec = spec + "..."
    r = np.einsum(spec, g, *[operands[j] for j in range(len(operands)) if j != i], optimize=optimize)
    if extra_ell:
        r = np.sum(r, axis=tuple(range(len(kept), len(shape_of(r)))))
    rshape = shape_of(r)
    # The ellipsis axes of r (broadcast against the other operands) are reduced to x's below.
    ell_r = len(rshape) - len(kept.replace("...", "")) if "..." in kept else 0
    upre, upost, _ = _split_term(utarget, 0)
    kpre, kpost, _ = _split_term(kept, len(rshape)) if "..." in kept else (kept, "", 0)
    ell_shape = rshape[len(kpre) : len(kpre) + ell_r] if "..." in kept else ()
    if ell_r > ell_x:  # broadcast leading ellipsis axes: sum them away
        r = np.sum(r, axis=tuple(range(len(kpre), len(kpre) + ell_r - ell_x)))
        ell_shape = ell_shape[ell_r - ell_x :]
    ell_full = xshape[len(pre) : len(pre) + ell_x]
    if "..." in kept:
        ones = tuple(k + len(kpre) for k, (a, b) in enumerate(zip(ell_shape, ell_full)) if a != b)
        if ones:
            r = np.sum(r, axis=ones, keepdims=True)
    # Letters of size 1 in x that the other operands broadcast.
    kl = list(kpre) + [None] * (len(shape_of(r)) - len(kpre) - len(kpost)) + list(kpost)
    bcast = tuple(k for k, c in enumerate(kl) if c is not None and sizes[c] == 1 and shape_of(r)[k] != 1)
    if bcast:
        r = np.sum(r, axis=bcast, keepdims=True)
    # Letters this operand alone had were summed out: the cotangent is constant along them.
    kept_letters = set(kept.replace("...", ""))
    shape = [sizes[c] if c in kept_letters else 1 for c in upre]
    shape += list(ell_full) if "..." in kept else [1] * ell_x
    shape += [sizes[c] if c in kept_letters else 1 for c in upost]
    full = [sizes[c] for c in upre] + list(ell_full) + [sizes[c] for c in upost]
    if shape_of(r) != tuple(full):
        r = np.broadcast_to(np.reshape(r, tuple(shape)), tuple(full))
    if len(utarget) != len(target):
        r = _onto_diagonals(r, utarget, target, sizes, dtype_of(x))
    return r


def _onto_diagonals(r, utarget, target, sizes, dtype):
    """Place ``r`` (indexed by ``utarget``) on the diagonals that repeated letters of ``target`` denote."""
    free = iter(c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in target)
    seen, renamed, deltas, eyes = set(), "", [], []
    for c in target.replace("...", "E"):
        if c == "E":
            renamed += "..."
        elif c in seen:
            d = next(free)
            renamed += d
            deltas.append(c + d)
            eyes.append(np.eye(sizes[c], dtype=dtype))
        else:
            seen.add(c)
            renamed += c
    return np.einsum(",".join([utarget] + deltas) + "->" + renamed, r, *eyes)


def _einsum_impl(*operands, subscripts, optimize=False):
    return np.einsum(subscripts, *operands, optimize=optimize)


def _einsum_vjp(g, ans, *operands, subscripts, optimize=False):
    ins, out = _parse_einsum(subscripts, len(operands))
    return [_einsum_operand_grad(g, operands, i, ins, out, optimize) for i in range(len(operands))]


einsum_p = Primitive(_einsum_impl, "einsum", aliases=True)  # "ii->i" is a view, as in NumPy
from ..core.reverse import defvjp_all  # noqa: E402

defvjp_all(einsum_p, _einsum_vjp)
keep_real_cotangents(einsum_p)


def _einsum_jvp(ts, ans, *operands, subscripts, optimize=False):
    out = None
    for i, t in enumerate(ts):
        if t is None:
            continue
        ops = list(operands)
        ops[i] = t
        c = einsum_p(*ops, subscripts=subscripts, optimize=optimize)
        out = c if out is None else out + c
    return out


defjvp_all(einsum_p, _einsum_jvp)


def _interleaved_to_string(first, rest):
    """``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as ``("ab,bc->ac", (a, b))``."""
    args = (first,) + tuple(rest)
    out = None
    if len(args) % 2 == 1:  # a trailing output list
        args, out = args[:-1], args[-1]
    operands, terms = args[0::2], args[1::2]
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def term(t):
        return "".join("..." if i is Ellipsis else letters[int(i)] for i in t)

    spec = ",".join(term(t) for t in terms)
    if out is not None:
        spec += "->" + term(out)
    return spec, tuple(operands)


@implements(np.einsum)
def einsum(
    subscripts: str, *operands: ArrayLike, out: np.ndarray | None = None, optimize: bool | str = False, **kwargs: Any
) -> np.ndarray:
    """``numpy.einsum`` with string subscripts.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.einsum('ij,j->', a, znp.array([1.0, 2.0])))(znp.ones((2, 2)))
        array([[1., 2.],
               [1., 2.]])
    """
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved_to_string(subscripts, operands)
    r = einsum_p(*operands, subscripts=subscripts, optimize=optimize)
    if out is None:
        return r
    from ..core.array_api import _write_out

    return _write_out(out, r)


# --- kron / cross -----------------------------------------------------------------------------
@implements(np.kron)
def kron(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """``numpy.kron``, computed as NumPy does (a broadcast product, reshaped).

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.sum(znp.kron(a, np.array([1.0, 2.0]))))(np.ones(2)).tolist()
        [3.0, 3.0]
    """
    from .construction import asarray
    from .shape import expand_dims, reshape

    a, b = asarray(a), asarray(b)
    sa, sb = shape_of(a), shape_of(b)
    nda, ndb = len(sa), len(sb)
    if nda == 0 or ndb == 0:
        return np.multiply(a, b)
    nd = max(nda, ndb)
    sa = (1,) * max(0, ndb - nda) + sa
    sb = (1,) * max(0, nda - ndb) + sb
    a = expand_dims(a, tuple(range(ndb - nda)))
    b = expand_dims(b, tuple(range(nda - ndb)))
    a = expand_dims(a, tuple(range(1, nd * 2, 2)))
    b = expand_dims(b, tuple(range(0, nd * 2, 2)))
    return reshape(np.multiply(a, b), tuple(x * y for x, y in zip(sa, sb)))


@implements(np.cross)
def cross(
    a: ArrayLike, b: ArrayLike, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None
) -> np.ndarray:
    """``numpy.cross`` of 2- and 3-vectors, computed with NumPy's formulas.

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.cross(a, np.array([0.0, 0.0, 1.0]))[0])(np.ones(3)).tolist()
        [0.0, 1.0, 0.0]
    """
    from .construction import asarray
    from .shape import moveaxis, stack

    if axis is not None:
        axisa = axisb = axisc = axis
    a = moveaxis(asarray(a), axisa, -1)
    b = moveaxis(asarray(b), axisb, -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 or 3)")
    a0, a1, b0, b1 = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    cp2 = a0 * b1 - a1 * b0
    if na == 2 and nb == 2:
        return cp2
    if na == 2:
        b2 = b[..., 2]
        cp0, cp1 = a1 * b2, -(a0 * b2)
    elif nb == 2:
        a2 = a[..., 2]
        cp0, cp1 = -(a2 * b1), a2 * b0
    else:
        a2, b2 = a[..., 2], b[..., 2]
        cp0, cp1 = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2
    return moveaxis(stack([cp0, cp1, cp2], axis=-1), -1, axisc)


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
    from .indexing import scatter_add_p

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
    from .reductions import sum as _sum

    return _sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype, out=out)


def _diag_impl(v, k=0):
    return np.diag(v, k)


diag_p = linear(Primitive(_diag_impl, "diag", aliases=True), lambda g, ans, v, k=0: _diag_2d_vjp(g, v, k))


def _diag_2d_vjp(g, v, k):
    if _ndim(v) == 1:
        return np.diagonal(g, k)
    from .indexing import scatter_add_p

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


def _solve_is_vector(a, b):
    return _ndim(b) == 1  # NumPy 2: a 1-D right-hand side is one vector, anything else a stack of matrices


def _solve_vectors(a, v):
    """``solve`` of a stack of right-hand-side vectors ``v`` (shape ``(..., M)``)."""
    return np.linalg.solve(a, np.expand_dims(v, -1))[..., 0]


def _solve_vjp_b(g, ans, a, b):
    if _solve_is_vector(a, b):
        return unbroadcast(_solve_vectors(_mT(a), g), b)
    return unbroadcast(np.linalg.solve(_mT(a), g), b)


def _solve_vjp_a(g, ans, a, b):
    if _solve_is_vector(a, b):
        gb = _solve_vectors(_mT(a), g)
        return unbroadcast(-np.expand_dims(gb, -1) * np.expand_dims(ans, -2), a)
    gb = np.linalg.solve(_mT(a), g)
    return unbroadcast(-np.matmul(gb, _mT(ans)), a)


def _solve_jvp_a(t, ans, a, b):
    if _solve_is_vector(a, b):
        return -_solve_vectors(a, np.matmul(t, np.expand_dims(ans, -1))[..., 0])
    return -np.linalg.solve(a, np.matmul(t, ans))


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


det_p = Primitive(np.linalg.det, "det")
defvjp(
    det_p, lambda g, ans, a: np.expand_dims(np.expand_dims(g * ans, -1), -1) * _mT(np.linalg.inv(a)), saves=(0, "ans")
)
defjvp(det_p, lambda t, ans, a: ans * np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1))


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
defvjp(logabsdet_p, lambda g, ans, a: np.expand_dims(np.expand_dims(g, -1), -1) * _mT(np.linalg.inv(a)), saves=(0,))
defjvp(logabsdet_p, lambda t, ans, a: np.real(np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1)))

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
    sign = sign_p(a) if _is_complex(a) else observed_call(_slogdet_sign, a)
    return SlogdetResult(sign, logabsdet_p(a))


def _sign_impl(a):
    return np.linalg.slogdet(a)[0]


# d sign = sign * i Im(tr(A^-1 dA)); its transpose under Re(sum(c * t)) is i Im(g sign) A^-T.
sign_p = Primitive(_sign_impl, "slogdet sign")
defvjp(
    sign_p,
    lambda g, s, a: np.expand_dims(np.expand_dims(1j * np.imag(g * s), -1), -1) * _mT(np.linalg.inv(a)),
    saves=(0, "ans"),
)
defjvp(sign_p, lambda t, s, a: s * (1j * np.imag(np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1))))


# --- norm ---------------------------------------------------------------------------------------
def _norm_impl(x, ord=None, axis=None, keepdims=False):
    return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


def _norm_expand(v, x, axis, keepdims):
    from .reductions import expand_to

    return expand_to(v, shape_of(x), axis, keepdims)


def _is_complex(x) -> bool:
    return dtype_of(x).kind == "c"


def _sgn(x):
    """d|x|/dx as a cotangent factor: sign(x), or conj(x)/|x| for complex x (JAX's convention)."""
    if not _is_complex(x):
        return np.sign(x)
    ax = np.abs(x)
    zero = ax == 0
    return np.where(zero, 0.0, np.conj(x) / np.where(zero, 1.0, ax))


def _norm_partial(ans, x, ord, axis, keepdims):
    full = _norm_expand(ans, x, axis, keepdims)
    if ord is None or ord == "fro" or ord == "f" or ord == 2:
        zero = full == 0
        xc = np.conj(x) if _is_complex(x) else x
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
    return np.real(r) if _is_complex(r) else r


norm_p = Primitive(_norm_impl, "norm")
defvjp(norm_p, _norm_vjp)
defjvp(norm_p, _norm_jvp)


def _matrix_norm(x, ord, row_axis, col_axis):
    """NumPy's own matrix-norm formulas, written with differentiable operations."""
    from .decompositions import svd

    if ord in (2, -2, "nuc"):
        s = svd(np.moveaxis(x, (row_axis, col_axis), (-2, -1)), compute_uv=False)
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
    import operator

    from .construction import empty_like

    n = operator.index(n)
    shape = shape_of(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise np.linalg.LinAlgError("Last 2 dimensions of the array must be square")
    if n == 0:
        out = empty_like(a)
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
    from numpy.linalg import _linalg as numpy_linalg

    from .construction import asarray
    from .shape import atleast_2d, ravel, transpose

    arrays = [asarray(a) for a in arrays]
    n = len(arrays)
    if n < 2:
        raise ValueError("Expecting at least two arrays.")
    if n == 2:
        return dot(arrays[0], arrays[1], out=out)
    first, last = len(shape_of(arrays[0])), len(shape_of(arrays[-1]))
    if first == 1:
        arrays[0] = atleast_2d(arrays[0])
    if last == 1:
        arrays[-1] = transpose(atleast_2d(arrays[-1]))
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
        result = ravel(result)
    if out is not None:
        from ..core.array_api import _write_out

        return _write_out(out, result)
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
    from .decompositions import svd

    return svd(x, compute_uv=False)


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
    from .construction import asarray
    from .shape import ravel, reshape, transpose

    x = asarray(x)
    shape = list(shape_of(x))
    nd = len(shape)
    if axis is None:
        x, ax = ravel(x), 0
    elif isinstance(axis, tuple):
        axes = normalize_axis_tuple(axis, nd)
        rest = tuple(i for i in range(nd) if i not in axes)
        x = reshape(transpose(x, axis + rest), (int(np.prod([shape[i] for i in axes])), *[shape[i] for i in rest]))
        ax = 0
    else:
        ax = axis
    res = norm(x, axis=ax, ord=ord)
    if keepdims:
        for i in range(nd) if axis is None else ((axis,) if isinstance(axis, int) else axis):
            shape[i % nd] = 1
        res = reshape(res, tuple(shape))
    return res


# --- vecdot / matvec / vecmat (NumPy's gufuncs) ------------------------------------------------------
def _cj(x):
    return np.conj(x) if _is_complex(x) else x


# Docstrings of the generated vecdot, matvec and vecmat.
_GUFUNC_DOCS = {
    "vecdot": """``numpy.vecdot``: dot products of vectors over the last axis.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.vecdot(x, x).sum())(znp.array([[1.0, 2.0]]))
        array([[2., 4.]])
    """,
    "matvec": """``numpy.matvec``: matrix-vector products over the last axes.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.matvec(a, znp.array([1.0, 2.0])).sum())(znp.ones((2, 2)))
        array([[1., 2.],
               [1., 2.]])
    """,
    "vecmat": """``numpy.vecmat``: vector-matrix products over the last axes.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.vecmat(znp.array([1.0, 2.0]), znp.ones((2, 3)))
        array([3., 3., 3.])
    """,
}


def _gufunc(ufunc, name, vjp_a, vjp_b):
    prim = Primitive(ufunc, name)
    defvjp(prim, vjp_a, vjp_b, saves=(0, 1))
    keep_real_cotangents(prim)
    defjvp(prim, lambda t, ans, a, b: prim(t, b), lambda t, ans, a, b: prim(a, t))

    @implements(ufunc)
    def call(a: ArrayLike, b: ArrayLike, /, out: np.ndarray | None = None, **kwargs: Any) -> np.ndarray:
        if kwargs:
            raise unsupported(f"numpy.{name} with {sorted(kwargs)}", f"move the axis to the end and call {name}")
        r = prim(a, b)
        if out is None:
            return r
        from ..core.array_api import _write_out

        return _write_out(out, r)

    call.__name__ = name
    call.__doc__ = _GUFUNC_DOCS[name]
    return call


# vecdot(a, b) = sum(conj(a) * b, -1): conjugate-linear in a.
vecdot = _gufunc(
    np.vecdot,
    "vecdot",
    lambda g, ans, a, b: unbroadcast(_cj(np.expand_dims(g, -1) * b), a),
    lambda g, ans, a, b: unbroadcast(np.expand_dims(g, -1) * _cj(a), b),
)
# matvec(A, v)_i = sum_j A_ij v_j
matvec = _gufunc(
    np.matvec,
    "matvec",
    lambda g, ans, a, b: unbroadcast(np.expand_dims(g, -1) * np.expand_dims(b, -2), a),
    lambda g, ans, a, b: unbroadcast(np.sum(np.expand_dims(g, -1) * a, axis=-2), b),
)
# vecmat(v, A)_j = sum_i conj(v_i) A_ij
vecmat = _gufunc(
    np.vecmat,
    "vecmat",
    lambda g, ans, a, b: unbroadcast(_cj(np.sum(b * np.expand_dims(g, -2), axis=-1)), a),
    lambda g, ans, a, b: unbroadcast(np.expand_dims(_cj(a), -1) * np.expand_dims(g, -2), b),
)


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
    from .shape import ravel, reshape, transpose

    an, bn = len(shape_of(a)), len(shape_of(b))
    if axes is not None:
        allaxes = list(range(an))
        for k in axes:
            allaxes.remove(k)
            allaxes.insert(an, k)
        a = transpose(a, allaxes)
    oldshape = shape_of(a)[-(an - bn) :]
    n = int(np.prod(oldshape))
    if int(np.prod(shape_of(a))) != n * n:
        raise np.linalg.LinAlgError(
            "Input arrays must satisfy the requirement prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])"
        )
    return reshape(solve(reshape(a, (n, n)), ravel(b)), oldshape)


@implements(np.linalg.tensorinv)
def tensorinv(a: ArrayLike, ind: int = 2) -> np.ndarray:
    """``numpy.linalg.tensorinv``: the inverse under ``tensordot`` over ``ind`` axes.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.linalg.tensorinv(znp.eye(4).reshape(4, 2, 2), ind=1).shape
        (2, 2, 4)
    """
    from .shape import reshape

    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    shape = shape_of(a)
    n = int(np.prod(shape[ind:]))
    return reshape(inv(reshape(a, (n, -1))), shape[ind:] + shape[:ind])


NONDIFF_FUNCTIONS.add(np.linalg.matrix_rank)  # an integer: no derivative


from .decompositions import cholesky, eig, eigh, eigvals, eigvalsh, lstsq, pinv, qr, svd  # noqa: E402
