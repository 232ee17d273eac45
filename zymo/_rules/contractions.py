"""Products and contractions: ``matmul``, ``dot``, ``vdot``, ``inner``, ``outer``, ``tensordot``, ``einsum``,
``kron``, ``cross`` and NumPy's gufuncs ``vecdot``, ``matvec``, ``vecmat``.

``matmul`` carries its derivative three times: the general reverse rule, a fast path for plain
arrays (``defvjp_plain``) and ``zymo.jit``'s inline template (``definline``);
``tests/_rules/test_rule_copies_agree.py`` checks that they agree.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import numpy as znp
from ..core.dispatch import UFUNCS, implements
from ..core.errors import unsupported
from ..core.forward import defjvp, defjvp_all
from ..core.jit_codegen import definline
from ..core.mutation import unview_by_positions
from ..core.primitive import Primitive
from ..core.reverse import defvjp, defvjp_all, defvjp_plain
from ..core.tracer import bottom
from .helpers import dtype_of, is_complex, keep_real_cotangents, shape_of, unbroadcast, write_out


def _ndim(x):
    return len(shape_of(x))


def _mT(x):
    return np.swapaxes(x, -1, -2)


# --- matmul ----------------------------------------------------------------------
def _rows(x):
    """``x`` ``(..., n)`` as one matrix ``(rows, n)`` (spelled out: ``-1`` cannot size an empty array)."""
    shape = shape_of(x)
    return np.reshape(x, (int(np.prod(shape[:-1])), shape[-1]))


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
    if nb == 2 and na > 2:  # a stack of matrices times one matrix: one matrix product over all rows
        return np.reshape(np.matmul(_rows(g), _mT(b)), shape_of(a))
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
    if nb == 2 and na > 2:  # the sum over the stack of a.T @ g is one product: (rows, k).T @ (rows, n)
        return np.matmul(_mT(_rows(a)), _rows(g))
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

        return write_out(out, r)

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

    return write_out(out, r)


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

    return write_out(out, r)


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
einsum_p.unview = unview_by_positions(_einsum_impl)

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

    return write_out(out, r)


# --- kron / cross -----------------------------------------------------------------------------
@implements(np.kron)
def kron(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """``numpy.kron``, computed as NumPy does (a broadcast product, reshaped).

    Example:
        >>> import numpy as np, zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.sum(znp.kron(a, np.array([1.0, 2.0]))))(np.ones(2)).tolist()
        [3.0, 3.0]
    """

    a, b = znp.asarray(a), znp.asarray(b)
    sa, sb = shape_of(a), shape_of(b)
    nda, ndb = len(sa), len(sb)
    if nda == 0 or ndb == 0:
        return np.multiply(a, b)
    nd = max(nda, ndb)
    sa = (1,) * max(0, ndb - nda) + sa
    sb = (1,) * max(0, nda - ndb) + sb
    a = znp.expand_dims(a, tuple(range(ndb - nda)))
    b = znp.expand_dims(b, tuple(range(nda - ndb)))
    a = znp.expand_dims(a, tuple(range(1, nd * 2, 2)))
    b = znp.expand_dims(b, tuple(range(0, nd * 2, 2)))
    return znp.reshape(np.multiply(a, b), tuple(x * y for x, y in zip(sa, sb)))


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

    if axis is not None:
        axisa = axisb = axisc = axis
    a = znp.moveaxis(znp.asarray(a), axisa, -1)
    b = znp.moveaxis(znp.asarray(b), axisb, -1)
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
    return znp.moveaxis(znp.stack([cp0, cp1, cp2], axis=-1), -1, axisc)


# --- vecdot / matvec / vecmat (NumPy's gufuncs) ------------------------------------------------------
def _cj(x):
    return np.conj(x) if is_complex(x) else x


# Docstrings of the generated vecdot, matvec and vecmat.
_GUFUNC_DOCS = {
    "vecdot": """``numpy.vecdot``: dot products of vectors over the last axis (or over ``axis=``).

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
        if name == "vecdot" and "axis" in kwargs:  # the vectors along ``axis`` of each: the same products
            axis = kwargs.pop("axis")
            a, b = znp.moveaxis(znp.asarray(a), axis, -1), znp.moveaxis(znp.asarray(b), axis, -1)
        if kwargs:
            raise unsupported(f"numpy.{name} with {sorted(kwargs)}", f"move the axis to the end and call {name}")
        r = prim(a, b)
        if out is None:
            return r

        return write_out(out, r)

    call.__name__ = name
    call.__doc__ = _GUFUNC_DOCS[name]
    call.primitive = prim
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
