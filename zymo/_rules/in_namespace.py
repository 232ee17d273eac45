"""The primitives of the rule families written with the array API standard, for arrays of any library.

NumPy arrays never come here: each primitive's NumPy implementation runs for them, unchanged. For a
foreign array (CuPy, ``array_api_strict``, ...) zymo runs the function registered here with
``defnamespace`` (see ``zymo.core.namespace``); primitives of NumPy functions whose name the standard
shares (``exp``, ``matmul``, ``linalg.inv``, ...) need no entry, and those outside the standard use
the library's own function of that name where it has one (``_library``), else raise zymo's error
naming the function and the library.

Example:
    >>> import numpy as np
    >>> from zymo._rules import in_namespace, reductions
    >>> reductions.sum_p.xp_impl is in_namespace._sum
    True
"""

from __future__ import annotations

import numpy as np

from ..core.errors import UnsupportedOperationError, user_location
from ..core.namespace import defnamespace, defnamespace_version, library_name_of, namespace_dtype, numpy_dtype
from . import (
    complex_numbers,
    construction,
    contractions,
    decompositions,
    elementwise,
    indexing,
    linear_algebra,
    reductions,
    shape_ops,
)


def _library(xp, name: str):
    """The library's own function ``name`` (outside the standard), or zymo's error naming it and the library."""
    fn = getattr(xp, name, None)
    if fn is None:
        library = library_name_of(xp)
        raise UnsupportedOperationError(
            f"`numpy.{name}` is not in the array API standard and {library} has no `{name}` (at {user_location()}). "
            "Fix: write it with functions of the standard, or run this part on NumPy arrays."
        )
    return fn


def _axis(axis):
    return tuple(axis) if type(axis) is list else axis


def _flat(xp, x):
    return xp.reshape(x, (-1,))


# --- reductions ---------------------------------------------------------------------------------


def _sum(xp, x, axis=None, dtype=None, keepdims=False):
    return xp.sum(x, axis=_axis(axis), dtype=dtype, keepdims=keepdims)


def _mean(xp, x, axis=None, dtype=None, keepdims=False):
    if dtype is not None:
        x = xp.astype(x, dtype)
    return xp.mean(x, axis=_axis(axis), keepdims=keepdims)


def _prod(xp, x, axis=None, dtype=None, keepdims=False):
    return xp.prod(x, axis=_axis(axis), dtype=dtype, keepdims=keepdims)


def _max(xp, x, axis=None, keepdims=False):
    return xp.max(x, axis=_axis(axis), keepdims=keepdims)


def _min(xp, x, axis=None, keepdims=False):
    return xp.min(x, axis=_axis(axis), keepdims=keepdims)


def _var(xp, x, axis=None, dtype=None, ddof=0, keepdims=False):
    if dtype is not None:
        x = xp.astype(x, dtype)
    return xp.var(x, axis=_axis(axis), correction=ddof, keepdims=keepdims)


def _std(xp, x, axis=None, dtype=None, ddof=0, keepdims=False):
    if dtype is not None:
        x = xp.astype(x, dtype)
    return xp.std(x, axis=_axis(axis), correction=ddof, keepdims=keepdims)


def _cumulative(name):
    def impl(xp, x, axis=None, dtype=None):
        if axis is None:
            x, axis = _flat(xp, x), 0
        fn = getattr(xp, f"cumulative_{name}", None)
        if fn is None:
            return _library(xp, f"cum{name}")(x, axis=axis, dtype=dtype)
        return fn(x, axis=axis, dtype=dtype)

    return impl


def _logsumexp(xp, x, axis=None, keepdims=False):
    axis = _axis(axis)
    m = xp.max(x, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    s = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
    if keepdims:
        return s
    return xp.reshape(s, ()) if axis is None else xp.squeeze(s, axis=axis)


defnamespace(reductions.sum_p, _sum)
defnamespace(reductions.mean_p, _mean)
defnamespace(reductions.prod_p, _prod)
defnamespace(reductions.max_p, _max)
defnamespace(reductions.min_p, _min)
defnamespace(reductions.var_p, _var)
defnamespace(reductions.std_p, _std)
defnamespace(reductions.cumsum_p, _cumulative("sum"))
defnamespace(reductions.cumprod_p, _cumulative("prod"))
defnamespace(reductions.logsumexp_p, _logsumexp)


# --- shape operations ---------------------------------------------------------------------------


def _reshape(xp, x, shape, order="C"):
    if order != "C":
        return _library(xp, "reshape")(x, shape, order=order)
    return xp.reshape(x, (shape,) if type(shape) is int else tuple(shape))


def _transpose(xp, x, axes=None):
    if axes is None:
        axes = tuple(range(x.ndim))[::-1]
    return xp.permute_dims(x, tuple(axes))


def _flip(xp, x, axis=None):
    return xp.flip(x, axis=_axis(axis))


def _concatenate(xp, *xs, axis=0, dtype=None):
    if axis is None:
        xs, axis = [_flat(xp, x) for x in xs], 0
    out = xp.concat(list(xs), axis=axis)
    return out if dtype is None else xp.astype(out, namespace_dtype(xp, dtype))


def _stack(xp, *xs, axis=0, dtype=None):
    out = xp.stack(list(xs), axis=axis)
    return out if dtype is None else xp.astype(out, namespace_dtype(xp, dtype))


def _tile(xp, x, reps):
    return xp.tile(x, (reps,) if type(reps) is int else tuple(reps))


def _pad(xp, x, pad_width, constant_values=0):
    return _library(xp, "pad")(x, pad_width, mode="constant", constant_values=constant_values)


defnamespace(shape_ops.reshape_p, _reshape)
defnamespace(shape_ops.transpose_p, _transpose)
defnamespace(shape_ops.broadcast_to_p, lambda xp, x, shape: xp.broadcast_to(x, tuple(shape)))
defnamespace(shape_ops.flip_p, _flip)
defnamespace(shape_ops.concatenate_p, _concatenate)
defnamespace(shape_ops.stack_p, _stack)
defnamespace(shape_ops.tile_p, _tile)
defnamespace(shape_ops.pad_p, _pad)


# --- indexing -----------------------------------------------------------------------------------


def _is_basic(idx) -> bool:
    for i in idx if type(idx) is tuple else (idx,):
        if not (i is None or i is Ellipsis or type(i) is slice or type(i) is int):
            return False
    return True


def _standard_index(idx):
    """NumPy's index in the standard's form: a tuple, with a trailing ``...`` where NumPy implies one."""
    if type(idx) is not tuple:
        idx = (idx,)
    if not any(i is Ellipsis for i in idx):
        idx = (*idx, Ellipsis)
    return idx


def _on_device(xp, idx, device):
    """NumPy index arrays (made on the host by rules or by the user) as arrays of ``xp`` on ``device``."""
    return tuple(xp.asarray(i, device=device) if type(i) is np.ndarray else i for i in idx)


def _is_mask(i) -> bool:
    return hasattr(i, "dtype") and numpy_dtype(i.dtype).kind == "b"


def _scatter_add(xp, g, idx, shape):
    idx = _standard_index(idx)
    if not hasattr(g, "shape"):
        g = xp.asarray(g)
    idx = _on_device(xp, idx, g.device)
    shape = tuple(shape)
    z = xp.zeros(shape, dtype=g.dtype, device=g.device)
    if len(idx) == 2 and _is_mask(idx[0]):  # x[mask]: each place is read once
        z[idx[0] if idx[0].ndim == z.ndim else idx] = g
        return z
    if any(i is None for i in idx):  # new axes of the read have no place in the buffer: drop them from g
        idx = tuple(i for i in idx if i is not None)
        g = xp.reshape(g, z[idx].shape)
    if _is_basic(idx):
        z[idx] = g
        return z
    add_at = getattr(getattr(xp, "add", None), "at", None)
    if add_at is not None:
        add_at(z, idx, g)
        return z
    return _scatter_add_by_matmul(xp, z, g, idx, shape)


def _scatter_add_by_matmul(xp, z, g, idx, shape):
    """``numpy.add.at(z, idx, g)`` for integer-array indices first or last: repeated positions are summed."""
    idx = tuple(xp.asarray(i, device=z.device) if type(i) is np.ndarray else i for i in idx)
    if idx[0] is Ellipsis and len(idx) > 1 and all(i is not Ellipsis and type(i) is not slice for i in idx[1:]):
        k = len(idx) - 1  # (..., rows, cols): scatter with the indexed axes first, then move them back
        nb = len(shape) - k
        nd_g = g.ndim
        g = xp.permute_dims(g, (*range(nb, nd_g), *range(nb)))
        out = _scatter_add_by_matmul(xp, None, g, (*idx[1:], Ellipsis), shape[nb:] + shape[:nb])
        return xp.permute_dims(out, (*range(k, len(shape)), *range(k)))
    lead_slices = 0
    while lead_slices < len(idx) and type(idx[lead_slices]) is slice and idx[lead_slices] == slice(None):
        lead_slices += 1
    if lead_slices and lead_slices < len(idx) and hasattr(idx[lead_slices], "dtype"):
        return _scatter_after_slices(xp, g, idx, shape, lead_slices)
    k = 0
    while k < len(idx) and idx[k] is not Ellipsis and type(idx[k]) is not slice:
        k += 1
    if any(i is not Ellipsis for i in idx[k:]):
        raise UnsupportedOperationError(
            f"the gradient of this mix of integer arrays and slices needs `numpy.add.at`, which "
            f"{library_name_of(xp)} does not provide (at {user_location()}). Fix: put the integer-array indices "
            "first (`x[rows, cols]`, `x[idx]`), or use `take`."
        )
    device = g.device
    arrays = [xp.asarray(i, device=device) if type(i) is int else i for i in idx[:k]]
    arrays = xp.broadcast_arrays(*arrays)
    lead = shape[:k]
    flat = arrays[-1]
    stride = lead[-1]
    for a, n in zip(arrays[-2::-1], lead[-2::-1]):
        flat = flat + a * stride
        stride *= n
    flat = xp.reshape(xp.where(flat < 0, flat + stride, flat), (-1, 1))
    onehot = xp.astype(flat == xp.arange(stride, device=device), g.dtype)
    gflat = xp.reshape(g, (onehot.shape[0], -1))
    return xp.reshape(xp.matmul(xp.matrix_transpose(onehot), gflat), shape)


def _scatter_after_slices(xp, g, idx, shape, k):
    """``(:, ..., :, arrays..., ...)`` with ``k`` full slices first: scatter with the indexed axes moved first."""
    m = 0
    while k + m < len(idx) and hasattr(idx[k + m], "dtype"):
        m += 1
    if any(i is not Ellipsis for i in idx[k + m :]):
        return _scatter_add_by_matmul(xp, None, g, idx[k:], shape)  # raises zymo's error for this form
    nb = len(xp.broadcast_arrays(*idx[k : k + m])[0].shape)
    nd = len(shape)
    order = (*range(k, k + m), *range(k), *range(k + m, nd))
    g = xp.permute_dims(g, (*range(k, k + nb), *range(k), *range(k + nb, g.ndim)))
    out = _scatter_add_by_matmul(xp, None, g, (*idx[k : k + m], Ellipsis), tuple(shape[i] for i in order))
    inverse = [0] * nd
    for position, axis in enumerate(order):
        inverse[axis] = position
    return xp.permute_dims(out, tuple(inverse))


def _setitem(xp, buf, v, idx):
    out = xp.asarray(buf, copy=True)  # no view of another buffer can see a foreign write, so write a copy
    out[_standard_index(idx)] = v
    return out


def _astype(xp, x, dtype, copy=True):
    if not hasattr(x, "shape"):
        x = xp.asarray(x)
    return xp.astype(x, namespace_dtype(xp, dtype), copy=copy)


defnamespace(indexing.scatter_add_p, _scatter_add)


def _getitem(xp, x, idx):
    entries = idx if type(idx) is tuple else (idx,)
    if not any(hasattr(i, "dtype") for i in entries):
        return x[_standard_index(idx)]
    entries = _on_device(xp, entries, x.device)
    k = 0
    while k < len(entries) and type(entries[k]) is slice and entries[k] == slice(None):
        k += 1
    rest = entries[k + 1 :]
    if 0 < k < len(entries) and not _is_mask(entries[k]) and all(i is Ellipsis for i in rest):
        picked = xp.take(x, xp.reshape(entries[k], (-1,)), axis=k)  # x[:, idx]: the standard's take
        return xp.reshape(picked, (*x.shape[:k], *entries[k].shape, *x.shape[k + 1 :]))
    first = entries[0]
    if len(entries) == 1 and not _is_mask(first) and x.ndim > 1:  # x[rows]: the standard's take
        picked = xp.take(x, xp.reshape(first, (-1,)), axis=0)
        return xp.reshape(picked, (*first.shape, *x.shape[1:]))
    return x[entries]


defnamespace(indexing.getitem_p, _getitem)
defnamespace(indexing.setitem_p, _setitem)
defnamespace(indexing.copy_p, lambda xp, x, order="K": xp.asarray(x, copy=True))
defnamespace(indexing.astype_p, _astype)


# --- elementwise --------------------------------------------------------------------------------


def _like(xp, v, ref):
    """A Python number as an array of ``ref``'s dtype and device (functions of the standard take arrays)."""
    if hasattr(v, "shape"):
        return v
    return xp.asarray(v, dtype=ref.dtype, device=ref.device)


def _ref(*vals):
    for v in vals:
        if hasattr(v, "shape"):
            return v
    return None


def _where(xp, cond, x, y):
    ref = _ref(x, y, cond)
    if not hasattr(x, "shape") and not hasattr(y, "shape"):
        dtype = xp.float64 if isinstance(x, float) or isinstance(y, float) else None
        x = xp.asarray(x, dtype=dtype, device=ref.device)
        return xp.where(cond, x, _like(xp, y, x))
    return xp.where(cond, _like(xp, x, ref), _like(xp, y, ref))


def _clip(xp, x, lo, hi):
    return xp.clip(x, lo, hi)


def _nan_to_num(xp, x, nan=0.0, posinf=None, neginf=None):
    info = xp.finfo(x.dtype)
    x = xp.where(xp.isnan(x), _like(xp, nan, x), x)
    x = xp.where(x == xp.inf, _like(xp, info.max if posinf is None else posinf, x), x)
    return xp.where(x == -xp.inf, _like(xp, info.min if neginf is None else neginf, x), x)


def _sinc_maclaurin(xp, u, k=0):
    value = 0.0 if k % 2 else (-1.0) ** (k // 2) / (k + 1)
    return xp.zeros_like(u) + value


def _cbrt(xp, x):
    own = getattr(xp, "cbrt", None)
    if own is not None:
        return own(x)
    return xp.sign(x) * xp.abs(x) ** (1.0 / 3.0)  # the standard has no cube root


def _exp2(xp, x):
    own = getattr(xp, "exp2", None)
    return own(x) if own is not None else xp.pow(_like(xp, 2.0, x), x)


def _scaled(factor: float):
    """``deg2rad``/``rad2deg``: multiplication by a constant."""
    return lambda xp, x: x * factor


def _nan_ignoring(pick):
    """``fmax``/``fmin``: ``maximum``/``minimum`` that return the other argument where one is NaN."""

    def impl(xp, x, y):
        ref = _ref(x, y)
        x, y = _like(xp, x, ref), _like(xp, y, ref)
        return xp.where(xp.isnan(y), x, xp.where(xp.isnan(x), y, getattr(xp, pick)(x, y)))

    return impl


def _is_complex(xp, x) -> bool:
    return xp.isdtype(x.dtype, "complex floating")


def _matvec(xp, a, v):
    return xp.matmul(a, v[..., None])[..., 0]


def _vecmat(xp, v, a):
    if _is_complex(xp, v):
        v = xp.conj(v)
    return xp.matmul(v[..., None, :], a)[..., 0, :]


def _pack(xp, *vals, template, paths, dtype):
    """``numpy.array`` of a (nested) list holding arrays of ``xp`` and numbers: stacked level by level."""
    ref = vals[0]
    dt = namespace_dtype(xp, dtype)
    filled = iter(vals)

    def build(node):
        if type(node) is list:
            return xp.stack([build(e) for e in node])
        if node is construction.HOLE:
            return xp.astype(next(filled), dt)
        return xp.asarray(node, dtype=dt, device=ref.device)

    return build(template)


defnamespace(elementwise.where_p, _where)
defnamespace(elementwise.clip_p, _clip)
defnamespace(elementwise.nan_to_num_p, _nan_to_num)
defnamespace(elementwise.ufunc_entry["cbrt"]._prim, _cbrt)
defnamespace(elementwise.ufunc_entry["exp2"]._prim, _exp2)
defnamespace(elementwise.ufunc_entry["deg2rad"]._prim, _scaled(np.pi / 180))
defnamespace(elementwise.ufunc_entry["rad2deg"]._prim, _scaled(180 / np.pi))
defnamespace(elementwise.ufunc_entry["fmax"]._prim, _nan_ignoring("maximum"))
defnamespace(elementwise.ufunc_entry["fmin"]._prim, _nan_ignoring("minimum"))
defnamespace(contractions.matvec.primitive, _matvec)
defnamespace(contractions.vecmat.primitive, _vecmat)
defnamespace(construction.pack_p, _pack)
defnamespace(elementwise.sinc_maclaurin_p, _sinc_maclaurin)
defnamespace(complex_numbers.real_p, lambda xp, x: xp.real(x))
defnamespace(complex_numbers.imag_p, lambda xp, x: xp.imag(x))


# --- contractions and linear algebra ------------------------------------------------------------


def _dot(xp, a, b):
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if b.ndim <= 2:
        return xp.matmul(a, b)
    return xp.tensordot(a, b, axes=((a.ndim - 1,), (b.ndim - 2,)))


def _inner(xp, a, b):
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return xp.tensordot(a, b, axes=((a.ndim - 1,), (b.ndim - 1,)))


def _tensordot(xp, a, b, axes=2):
    if type(axes) is not int:
        axes = tuple(tuple(ax) if isinstance(ax, (list, tuple)) else (ax,) for ax in axes)
    return xp.tensordot(a, b, axes=axes)


def _einsum(xp, *operands, subscripts, optimize=False):
    return _library(xp, "einsum")(subscripts, *operands)


def _diagonal(xp, x, offset=0, axis1=0, axis2=1):
    axis1, axis2 = axis1 % x.ndim, axis2 % x.ndim
    rest = [i for i in range(x.ndim) if i not in (axis1, axis2)]
    return xp.linalg.diagonal(xp.permute_dims(x, (*rest, axis1, axis2)), offset=offset)


def _norm(xp, x, ord=None, axis=None, keepdims=False):
    if type(axis) is tuple and len(axis) == 2 or (axis is None and ord is not None and x.ndim == 2):
        return xp.linalg.matrix_norm(
            x if axis is None else xp.moveaxis(x, axis, (-2, -1)),
            ord="fro" if ord is None else ord,
            keepdims=keepdims,
        )
    return xp.linalg.vector_norm(x, ord=2 if ord is None else ord, axis=_axis(axis), keepdims=keepdims)


defnamespace(contractions.dot_p, _dot)
defnamespace(contractions.inner_p, _inner)
defnamespace(contractions.tensordot_p, _tensordot)
defnamespace(contractions.einsum_p, _einsum)
defnamespace(linear_algebra.diagonal_p, _diagonal)
defnamespace(linear_algebra.diag_p, lambda xp, v, k=0: _library(xp, "diag")(v, k))
defnamespace(linear_algebra.logabsdet_p, lambda xp, a: xp.linalg.slogdet(a)[1])
defnamespace(linear_algebra.sign_p, lambda xp, a: xp.linalg.slogdet(a)[0])
defnamespace(linear_algebra.norm_p, _norm)

__all__: list[str] = []


# --- decisions on traced data (``observed_call``) and functions without a derivative ---------------


def _argsort(xp, x, axis=-1, kind=None, order=None, stable=None):
    return xp.argsort(x, axis=-1 if axis is None else axis, stable=True)


def _packed(xp, parts):
    """``decompositions._pack``: the parts side by side along one last axis."""
    batch = tuple(parts[0].shape[:-2]) if parts[0].ndim >= 2 else ()
    return xp.concat([xp.reshape(p, (*batch, -1)) for p in parts], axis=-1)


def _eigh(xp, a, UPLO="L"):
    w, v = xp.linalg.eigh(a if UPLO == "L" else xp.matrix_transpose(a))
    return _packed(xp, [w[..., None, :], v])


def _svd(xp, a):
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    return _packed(xp, [u, s[..., None, :], vh])


def _qr(xp, a):
    q, r = xp.linalg.qr(a)
    return _packed(xp, [q, r])


def _pinv(xp, a, rcond=None, hermitian=False):
    return xp.linalg.pinv(a) if rcond is None else xp.linalg.pinv(a, rtol=rcond)


def _eigvalsh(xp, a, UPLO="L"):
    return xp.linalg.eigvalsh(a if UPLO == "L" else xp.matrix_transpose(a))


defnamespace(decompositions.eigvalsh_p, _eigvalsh)
defnamespace(decompositions.eigh_p, _eigh)
defnamespace(decompositions.svd_p, _svd)
defnamespace(decompositions.svdvals_p, lambda xp, a: xp.linalg.svdvals(a))
defnamespace(decompositions.qr_p, _qr)
defnamespace(decompositions.pinv_p, _pinv)
defnamespace_version(np.argsort, _argsort)
defnamespace_version(linear_algebra._slogdet_sign, lambda xp, a: xp.linalg.slogdet(a)[0])
defnamespace_version(reductions._any_zero, lambda xp, x: bool(xp.any(x == 0)))
defnamespace_version(decompositions._any_imaginary, lambda xp, w: bool(xp.any(xp.imag(w) != 0)))
defnamespace_version(np.shape, lambda xp, a: tuple(a.shape))
defnamespace_version(np.ndim, lambda xp, a: a.ndim)
defnamespace_version(np.size, lambda xp, a: a.size)
