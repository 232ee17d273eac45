"""Reduction rules: sum, mean, prod, max/min, var/std, cumsum/cumprod, logsumexp."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .. import numpy as znp
from ..core.dispatch import FUNCTIONS, accept_lists, implements
from ..core.forward import defjvp
from ..core.primitive import Primitive
from ..core.recording import observe, observed_call
from ..core.reverse import defvjp
from ..core.tracer import Tracer, bottom
from .helpers import (
    arange_in,
    dtype_of,
    has_tracer,
    is_complex,
    linear,
    mask_of,
    ones_in,
    shape_of,
    write_out,
    zeros_in,
)

_builtin_sum = sum
_builtin_max = max


def axes_of(axis, ndim: int) -> tuple:
    """``axis`` as a sorted tuple of non-negative axes (``None``: all)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(a % ndim for a in axis)) if ndim else ()
    return (axis % ndim,) if ndim else ()


def expand_to(g, shape, axis, keepdims):
    """Broadcast a reduced cotangent ``g`` back to ``shape``."""
    if axis is None and not keepdims:  # a 0-d cotangent broadcasts as it is
        return np.broadcast_to(g, shape)
    if not keepdims:
        axes = axes_of(axis, len(shape))
        if axes:
            g = np.reshape(g, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return np.broadcast_to(g, shape)


def _count(shape, axis) -> int:
    n = 1
    for a in axes_of(axis, len(shape)):
        n *= shape[a]
    return n


def _where_mask(where, a):
    """A ``where=`` argument as a plain boolean mask of ``a``'s shape (read by Python: observed)."""
    return np.broadcast_to(np.asarray(observe(where), dtype=bool), shape_of(a))


def _masked(g, where):
    return g * where.astype(dtype_of(g)) if dtype_of(g).kind in "fc" else g


# ``sum``/``mean`` with ``where=``: NumPy's masked loops (their rounding differs from a sum of zeros put in place).
def _sum_where_impl(x, where, axis=None, dtype=None, keepdims=False):
    return np.sum(x, axis=axis, dtype=dtype, keepdims=keepdims, where=where)


def _mean_where_impl(x, where, axis=None, dtype=None, keepdims=False):
    return np.mean(x, axis=axis, dtype=dtype, keepdims=keepdims, where=where)


sum_where_p = linear(
    Primitive(_sum_where_impl, "sum"),
    lambda g, ans, x, where, axis=None, dtype=None, keepdims=False: _masked(
        expand_to(g, shape_of(x), axis, keepdims), where
    ),
)
mean_where_p = linear(
    Primitive(_mean_where_impl, "mean"),
    lambda g, ans, x, where, axis=None, dtype=None, keepdims=False: _masked(
        expand_to(g, shape_of(x), axis, keepdims) / np.sum(where, axis=axis, keepdims=True), where
    ),
)


# --- sum / mean ---------------------------------------------------------------
def _sum_impl(x, axis=None, dtype=None, keepdims=False):
    return np.sum(x, axis=axis, dtype=dtype, keepdims=keepdims)


sum_p = Primitive(_sum_impl, "sum")
linear(sum_p, lambda g, ans, x, axis=None, dtype=None, keepdims=False: expand_to(g, shape_of(x), axis, keepdims))


# ``sum`` with a plain ``initial=``: NumPy starts each sum from it (``(initial + x0) + x1``), so it is
# computed by NumPy, not added afterwards; ``initial`` has no derivative (an affine, not a linear, map).
def _sum_initial_impl(x, initial, where=None, axis=None, dtype=None, keepdims=False):
    where = True if where is None else where
    return np.sum(x, axis=axis, dtype=dtype, keepdims=keepdims, initial=initial, where=where)


def _sum_initial_vjp(g, ans, x, initial, where=None, axis=None, dtype=None, keepdims=False):
    g = expand_to(g, shape_of(x), axis, keepdims)
    return g if where is None else _masked(g, where)


def _sum_initial_jvp(t, ans, x, initial, where=None, axis=None, dtype=None, keepdims=False):
    if where is None:
        return sum_p(t, axis=axis, dtype=dtype, keepdims=keepdims)
    return sum_where_p(t, where=where, axis=axis, dtype=dtype, keepdims=keepdims)


sum_initial_p = Primitive(_sum_initial_impl, "sum")
defvjp(sum_initial_p, _sum_initial_vjp)
defjvp(sum_initial_p, _sum_initial_jvp)


@implements(np.sum)
def sum(
    a: ArrayLike,
    axis: int | tuple[int, ...] | None = None,
    dtype: DTypeLike = None,
    out: np.ndarray | None = None,
    keepdims: bool = False,
    initial: float | None = None,
    where: ArrayLike = True,
) -> np.ndarray:
    """``numpy.sum``: the sum along ``axis`` (all entries when None).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.sum(x ** 2))(znp.array([1.0, 2.0]))
        array([2., 4.])
    """
    if type(a) in (list, tuple):
        a = znp.asarray(a)
    mask = None if where is True else _where_mask(where, a)
    if initial is not None and type(initial) is not Tracer:
        r = sum_initial_p(a, initial=initial, where=mask, axis=axis, dtype=dtype, keepdims=keepdims)
        return r if out is None else write_out(out, r)
    if mask is not None:
        r = sum_where_p(a, where=mask, axis=axis, dtype=dtype, keepdims=keepdims)
    else:
        r = sum_p(a, axis=axis, dtype=dtype, keepdims=keepdims)
    if initial is not None:
        r = r + initial
    return r if out is None else write_out(out, r)


def _mean_impl(x, axis=None, dtype=None, keepdims=False):
    return np.mean(x, axis=axis, dtype=dtype, keepdims=keepdims)


mean_p = Primitive(_mean_impl, "mean")
linear(
    mean_p,
    # Divide the reduced cotangent, then broadcast: a read-only view instead of a full-size array.
    lambda g, ans, x, axis=None, dtype=None, keepdims=False: expand_to(
        g / _count(shape_of(x), axis), shape_of(x), axis, keepdims
    ),
)


@implements(np.mean)
def mean(
    a: ArrayLike,
    axis: int | tuple[int, ...] | None = None,
    dtype: DTypeLike = None,
    out: np.ndarray | None = None,
    keepdims: bool = False,
    *,
    where: ArrayLike = True,
) -> np.ndarray:
    """``numpy.mean``: the arithmetic mean along ``axis``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.mean(x))(znp.array([1.0, 2.0, 3.0, 4.0]))
        array([0.25, 0.25, 0.25, 0.25])
    """
    if type(a) in (list, tuple):
        a = znp.asarray(a)
    if where is not True:
        r = mean_where_p(a, where=_where_mask(where, a), axis=axis, dtype=dtype, keepdims=keepdims)
    else:
        r = mean_p(a, axis=axis, dtype=dtype, keepdims=keepdims)
    return r if out is None else write_out(out, r)


# --- prod -----------------------------------------------------------------------
def _prod_impl(x, axis=None, dtype=None, keepdims=False):
    return np.prod(x, axis=axis, dtype=dtype, keepdims=keepdims)


def _exclusive_cumprod(x):
    """Along the last axis: ``out[..., i] = prod(x[..., :i])`` (one for ``i = 0``)."""
    ones = ones_in(x, shape_of(x)[:-1] + (1,), dtype_of(x))
    return np.concatenate([ones, np.cumprod(x[..., :-1], axis=-1)], axis=-1)


def _prod_grad_factor(ans, x, axis, keepdims):
    """d prod / d x: the product of the other elements, from prefix and suffix products (no division)."""
    shape = shape_of(x)
    axes = axes_of(axis, len(shape))
    if not axes:
        return ones_in(x, shape, dtype_of(x))
    if 0 in shape:
        return zeros_in(x, shape, dtype_of(x))
    rest = [i for i in range(len(shape)) if i not in axes]
    perm = rest + list(axes)
    moved = np.reshape(np.transpose(x, perm), tuple(shape[i] for i in rest) + (-1,))
    others = _exclusive_cumprod(moved) * np.flip(_exclusive_cumprod(np.flip(moved, -1)), -1)
    others = np.reshape(others, tuple(shape[i] for i in perm))
    return np.transpose(others, tuple(np.argsort(perm)))


prod_p = Primitive(_prod_impl, "prod")
defvjp(
    prod_p,
    lambda g, ans, x, axis=None, dtype=None, keepdims=False: (
        expand_to(g, shape_of(x), axis, keepdims) * _prod_grad_factor(ans, x, axis, keepdims)
    ),
)
defjvp(
    prod_p,
    lambda t, ans, x, axis=None, dtype=None, keepdims=False: np.sum(
        t * _prod_grad_factor(ans, x, axis, keepdims), axis=axis, keepdims=keepdims
    ),
)


# ``prod`` with a plain ``initial=``: NumPy starts each product from it (``(initial * x0) * x1``).
def _prod_initial_impl(x, initial, axis=None, dtype=None, keepdims=False):
    return np.prod(x, axis=axis, dtype=dtype, keepdims=keepdims, initial=initial)


prod_initial_p = Primitive(_prod_initial_impl, "prod")
defvjp(
    prod_initial_p,
    lambda g, ans, x, initial, axis=None, dtype=None, keepdims=False: (
        expand_to(g, shape_of(x), axis, keepdims) * _prod_grad_factor(ans, x, axis, keepdims) * initial
    ),
)
defjvp(
    prod_initial_p,
    lambda t, ans, x, initial, axis=None, dtype=None, keepdims=False: (
        np.sum(t * _prod_grad_factor(ans, x, axis, keepdims), axis=axis, keepdims=keepdims) * initial
    ),
)


@implements(np.prod)
def prod(
    a: ArrayLike,
    axis: int | tuple[int, ...] | None = None,
    dtype: DTypeLike = None,
    out: np.ndarray | None = None,
    keepdims: bool = False,
    initial: float | None = None,
    where: ArrayLike = True,
) -> np.ndarray:
    """``numpy.prod``; its gradient is exact where inputs are zero (products of the other elements).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(znp.prod)(znp.array([0.0, 2.0, 3.0]))
        array([6., 0., 0.])
    """
    if where is not True:  # masked entries count as 1 (NumPy's identity for the product)
        a = znp.where(_where_mask(where, a), a, np.ones((), dtype_of(a)))
    if initial is not None and type(initial) is not Tracer:
        r = prod_initial_p(a, initial=initial, axis=axis, dtype=dtype, keepdims=keepdims)
        return r if out is None else write_out(out, r)
    r = prod_p(a, axis=axis, dtype=dtype, keepdims=keepdims)
    if initial is not None:
        r = r * initial
    return r if out is None else write_out(out, r)


# --- max / min ------------------------------------------------------------------
# Docstrings of the generated max and min.
_EXTREME_DOCS = {
    "max": """``numpy.max``: the largest entry along ``axis``; tied maxima share the gradient evenly (as JAX).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.max(x))(znp.array([1.0, 3.0, 3.0]))
        array([0. , 0.5, 0.5])
    """,
    "min": """``numpy.min``: the smallest entry along ``axis``; tied minima share the gradient evenly (as JAX).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.min(x, axis=0).sum())(znp.array([[1.0, 2.0], [0.5, 4.0]]))
        array([[0., 1.],
               [1., 0.]])
    """,
}


def _extreme(np_fn, name):
    def impl(x, axis=None, keepdims=False):
        return np_fn(x, axis=axis, keepdims=keepdims)

    prim = Primitive(impl, name)

    def weights(ans, x, axis, keepdims):
        shape = shape_of(x)
        hit = mask_of(x == expand_to(ans, shape, axis, keepdims), x)
        return hit / np.sum(hit, axis=axis, keepdims=True)

    defvjp(
        prim,
        lambda g, ans, x, axis=None, keepdims=False: (
            expand_to(g, shape_of(x), axis, keepdims) * weights(ans, x, axis, keepdims)
        ),
    )
    defjvp(
        prim,
        lambda t, ans, x, axis=None, keepdims=False: np.sum(
            t * weights(ans, x, axis, keepdims), axis=axis, keepdims=keepdims
        ),
    )

    def entry(
        a: ArrayLike,
        axis: int | tuple[int, ...] | None = None,
        out: np.ndarray | None = None,
        keepdims: bool = False,
        initial: float | None = None,
        where: ArrayLike = True,
    ) -> np.ndarray:
        if where is not True:
            if initial is None:  # NumPy's error: the mask needs a starting value
                np_fn(np.zeros(shape_of(a), dtype_of(a)), axis=axis, where=bottom(where))
            a = znp.where(_where_mask(where, a), a, np.asarray(initial, dtype_of(a)))
        r = prim(a, axis=axis, keepdims=keepdims)
        if initial is not None:
            r = (np.maximum if np_fn is np.max else np.minimum)(r, initial)
        return r if out is None else write_out(out, r)

    entry.__name__ = name
    entry.__doc__ = _EXTREME_DOCS[name]
    return prim, entry


max_p, max = _extreme(np.max, "max")
min_p, min = _extreme(np.min, "min")
max, min = accept_lists(max), accept_lists(min)
amax, amin = max, min
FUNCTIONS[np.max] = FUNCTIONS[np.amax] = max
FUNCTIONS[np.min] = FUNCTIONS[np.amin] = min


# --- var / std --------------------------------------------------------------------
def _var_impl(x, axis=None, dtype=None, ddof=0, keepdims=False):
    return np.var(x, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)


def _centered(x, axis):
    """``x - mean(x)``, conjugated for complex ``x`` (the variance is ``mean(conj(c) * c)``)."""
    c = x - np.mean(x, axis=axis, keepdims=True)
    return np.conjugate(c) if dtype_of(x).kind == "c" else c


def _real_part(t):
    return np.real(t) if dtype_of(t).kind == "c" else t


var_p = Primitive(_var_impl, "var")
defvjp(
    var_p,
    lambda g, ans, x, axis=None, dtype=None, ddof=0, keepdims=False: (
        expand_to(g, shape_of(x), axis, keepdims) * _centered(x, axis) * (2.0 / (_count(shape_of(x), axis) - ddof))
    ),
    saves=(0,),
)
defjvp(
    var_p,
    lambda t, ans, x, axis=None, dtype=None, ddof=0, keepdims=False: (
        _real_part(np.sum(t * _centered(x, axis), axis=axis, keepdims=keepdims))
        * (2.0 / (_count(shape_of(x), axis) - ddof))
    ),
)


def _nonzero(ans):
    """``ans`` with zeros replaced by ones: where the spread is zero every deviation is zero too,
    so the gradient there is zero (the subgradient of least norm; a constant, such as the ``std``
    of one element, gets its true derivative zero)."""
    return np.where(ans == 0, 1, ans)


def _std_impl(x, axis=None, dtype=None, ddof=0, keepdims=False):
    return np.std(x, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)


std_p = Primitive(_std_impl, "std")
defvjp(
    std_p,
    lambda g, ans, x, axis=None, dtype=None, ddof=0, keepdims=False: (
        expand_to(g / _nonzero(ans), shape_of(x), axis, keepdims)
        * _centered(x, axis)
        / (_count(shape_of(x), axis) - ddof)
    ),
)
defjvp(
    std_p,
    lambda t, ans, x, axis=None, dtype=None, ddof=0, keepdims=False: (
        _real_part(np.sum(t * _centered(x, axis), axis=axis, keepdims=keepdims))
        / ((_count(shape_of(x), axis) - ddof) * _nonzero(ans))
    ),
)


def _var_about(a, mean, axis, dtype, ddof, keepdims, where=True):
    """The variance about ``mean`` (NumPy's ``mean=``; the masked mean for ``where=``), computed as NumPy does."""
    if where is True:
        n = _count(shape_of(a), axis)
        total = lambda x, keep: np.sum(x, axis=axis, dtype=dtype, keepdims=keep)  # noqa: E731
    else:
        where = _where_mask(where, a)
        n = np.sum(where, axis=axis, dtype=np.intp, keepdims=keepdims)
        total = lambda x, keep: sum_where_p(x, where=where, axis=axis, dtype=dtype, keepdims=keep)  # noqa: E731
    if mean is None:
        mean = total(a, True)
        mean = mean / (n if np.ndim(n) == 0 else np.reshape(n, shape_of(mean)))
    d = np.subtract(a, mean)
    sq = np.real(np.multiply(d, np.conjugate(d))) if is_complex(d) else np.multiply(d, d)
    return total(sq, keepdims) / np.maximum(n - ddof, 0)


@implements(np.var)
def var(
    a: ArrayLike,
    axis: int | tuple[int, ...] | None = None,
    dtype: DTypeLike = None,
    out: np.ndarray | None = None,
    ddof: float = 0,
    keepdims: bool = False,
    *,
    where: ArrayLike = True,
    mean: ArrayLike | None = None,
    correction: float | None = None,
) -> np.ndarray:
    """``numpy.var``: the variance along ``axis``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.var(x))(znp.array([1.0, 2.0, 3.0]))
        array([-0.66666667,  0.        ,  0.66666667])
    """
    if correction is not None:
        ddof = correction
    if mean is not None or where is not True:
        r = _var_about(a, mean, axis, dtype, ddof, keepdims, where)
    else:
        r = var_p(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    return r if out is None else write_out(out, r)


@implements(np.std)
def std(
    a: ArrayLike,
    axis: int | tuple[int, ...] | None = None,
    dtype: DTypeLike = None,
    out: np.ndarray | None = None,
    ddof: float = 0,
    keepdims: bool = False,
    *,
    where: ArrayLike = True,
    mean: ArrayLike | None = None,
    correction: float | None = None,
) -> np.ndarray:
    """``numpy.std``; where all values along the axis are equal its gradient is zero.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(znp.std)(znp.array([1.0, 3.0]))
        array([-0.5,  0.5])
    """
    if correction is not None:
        ddof = correction
    if mean is not None or where is not True:
        r = np.sqrt(_var_about(a, mean, axis, dtype, ddof, keepdims, where))
    else:
        r = std_p(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    return r if out is None else write_out(out, r)


# --- cumulative ---------------------------------------------------------------------
def _cumsum_impl(x, axis=None, dtype=None):
    return np.cumsum(x, axis=axis, dtype=dtype)


def _reverse_cumsum(g, axis):
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


cumsum_p = Primitive(_cumsum_impl, "cumsum")
linear(
    cumsum_p,
    lambda g, ans, x, axis=None, dtype=None: (
        np.reshape(_reverse_cumsum(g, 0), shape_of(x)) if axis is None else _reverse_cumsum(g, axis)
    ),
)


@implements(np.cumsum)
def cumsum(a: ArrayLike, axis: int | None = None, dtype: DTypeLike = None, out: np.ndarray | None = None) -> np.ndarray:
    """``numpy.cumsum``: the running sum along ``axis`` (flattened when None).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.cumsum(x).sum())(znp.array([1.0, 2.0, 3.0]))
        array([3., 2., 1.])
    """
    r = cumsum_p(a, axis=axis, dtype=dtype)
    return r if out is None else write_out(out, r)


def _cumprod_impl(x, axis=None, dtype=None):
    return np.cumprod(x, axis=axis, dtype=dtype)


def _last_axis(x, axis):
    """``x`` with the scanned axis last (flattened first for ``axis=None``), and the inverse map."""
    if axis is None:
        shape = shape_of(x)
        return np.ravel(x), lambda y: np.reshape(y, shape)
    return np.moveaxis(x, axis, -1), lambda y: np.moveaxis(y, -1, axis)


def _tail_products(x):
    """``C[..., i, j] = prod(x[..., i+1 : j+1])`` for ``j >= i``, zero below the diagonal."""
    n = shape_of(x)[-1]
    i = arange_in(x, n)[:, None]
    k = arange_in(x, n)[None, :]
    spread = np.where(k > i, np.expand_dims(x, -2), 1)
    return np.cumprod(spread, axis=-1) * mask_of(k >= i, x)


def _any_zero(x) -> bool:
    return bool(np.any(x == 0))


def _has_zero(x) -> bool:
    return observed_call(_any_zero, x)


def _cumprod_vjp(g, ans, x, axis=None, dtype=None):
    if not _has_zero(x):
        if axis is None:
            return np.reshape(_reverse_cumsum(np.ravel(g * ans), 0) / np.ravel(x), shape_of(x))
        return _reverse_cumsum(g * ans, axis) / x
    # Zeros in the input: sum over later outputs of the products that skip x_i (O(n^2), no division).
    xl, back = _last_axis(x, axis)
    gl, _ = _last_axis(g, axis)
    return back(_exclusive_cumprod(xl) * np.sum(_tail_products(xl) * np.expand_dims(gl, -2), axis=-1))


def _cumprod_jvp(t, ans, x, axis=None, dtype=None):
    if not _has_zero(x):
        if axis is None:
            return ans * np.cumsum(np.ravel(t) / np.ravel(x), axis=0)
        return ans * np.cumsum(t / x, axis=axis)
    xl, back = _last_axis(x, axis)
    tl, _ = _last_axis(t, axis)
    out = np.sum(np.expand_dims(tl * _exclusive_cumprod(xl), -1) * _tail_products(xl), axis=-2)
    return out if axis is None else back(out)


cumprod_p = Primitive(_cumprod_impl, "cumprod")
defvjp(cumprod_p, _cumprod_vjp)
defjvp(cumprod_p, _cumprod_jvp)


@implements(np.cumprod)
def cumprod(
    a: ArrayLike, axis: int | None = None, dtype: DTypeLike = None, out: np.ndarray | None = None
) -> np.ndarray:
    """``numpy.cumprod``; exact gradients where inputs are zero too (then in O(n^2) along the axis).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.cumprod(x).sum())(znp.array([2.0, 0.0, 3.0]))
        array([1., 8., 0.])
    """
    r = cumprod_p(a, axis=axis, dtype=dtype)
    return r if out is None else write_out(out, r)


# --- logsumexp --------------------------------------------------------------------------
def _logsumexp_impl(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    s = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return s if keepdims else np.squeeze(s, axis=axis) if axis is not None else s.reshape(())[()]


logsumexp_p = Primitive(_logsumexp_impl, "logsumexp")
defvjp(
    logsumexp_p,
    lambda g, ans, x, axis=None, keepdims=False: (
        expand_to(g, shape_of(x), axis, keepdims) * np.exp(x - expand_to(ans, shape_of(x), axis, keepdims))
    ),
)
defjvp(
    logsumexp_p,
    lambda t, ans, x, axis=None, keepdims=False: np.sum(
        t * np.exp(x - expand_to(ans, shape_of(x), axis, keepdims)), axis=axis, keepdims=keepdims
    ),
)


def logsumexp(a: ArrayLike, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> np.ndarray:
    """``log(sum(exp(a)))`` along ``axis``, computed stably (as ``scipy.special.logsumexp``).

    Example:
        >>> import zymo.numpy as znp
        >>> float(znp.logsumexp(znp.array([0.0, 0.0])))  # log 2
        0.6931471805599453
    """
    return logsumexp_p(a, axis=axis, keepdims=keepdims)


# --- finite differences -----------------------------------------------------------------
@implements(np.diff)
def diff(
    a: ArrayLike, n: int = 1, axis: int = -1, prepend: ArrayLike = np._NoValue, append: ArrayLike = np._NoValue
) -> np.ndarray:
    """``numpy.diff``, as slicing and subtraction (so every derivative mode composes).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.diff(x).sum())(znp.array([1.0, 4.0, 9.0]))
        array([-1.,  0.,  1.])
    """

    if not has_tracer([a, prepend, append]):
        return np.diff(a, n=n, axis=axis, prepend=prepend, append=append)
    if n == 0:
        return a
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n!r}")
    shape = shape_of(a)
    if len(shape) == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = axis % len(shape) if -len(shape) <= axis < len(shape) else axis
    if not 0 <= axis < len(shape):
        raise np.exceptions.AxisError(axis, len(shape))
    parts = [] if prepend is np._NoValue else [_edge_block(prepend, shape, axis)]
    parts.append(a)
    if append is not np._NoValue:
        parts.append(_edge_block(append, shape, axis))
    if len(parts) > 1:
        a = znp.concatenate(parts, axis=axis)
    upper = [slice(None)] * len(shape)
    lower = [slice(None)] * len(shape)
    upper[axis] = slice(1, None)
    lower[axis] = slice(None, -1)
    upper, lower = tuple(upper), tuple(lower)
    for _ in range(n):
        a = a[upper] - a[lower]
    return a


def _edge_block(value, shape, axis):
    """``prepend``/``append`` of ``diff``: a scalar becomes a block of length one along ``axis``."""
    if len(shape_of(value)) == 0:
        block = tuple(1 if i == axis else s for i, s in enumerate(shape))
        return np.broadcast_to(value, block)
    return value


@implements(np.gradient)
def gradient(
    f: ArrayLike, *varargs: ArrayLike, axis: int | tuple[int, ...] | None = None, edge_order: int = 1
) -> np.ndarray | tuple[np.ndarray, ...]:
    """``numpy.gradient``: the same central/one-sided differences, written into a zymo buffer.

    Spacings (``varargs``) are constants. Returns one array per axis (a tuple for several axes).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda y: (znp.gradient(y) ** 2).sum())(znp.array([0.0, 1.0, 4.0]))
        array([-4., -4.,  8.])
    """

    if not has_tracer([f, *varargs]):
        return np.gradient(f, *varargs, axis=axis, edge_order=edge_order)
    shape = shape_of(f)
    ndim = len(shape)
    axes = tuple(range(ndim)) if axis is None else np.lib.array_utils.normalize_axis_tuple(axis, ndim)
    spacings = _gradient_spacings(varargs, shape, axes)
    if edge_order > 2:
        raise ValueError("'edge_order' greater than 2 not supported")
    otype = dtype_of(f)
    if otype.kind not in "fc":
        f = f.astype(np.float64)
        otype = np.dtype(np.float64)
    outvals = []
    for ax, ax_dx in zip(axes, spacings):
        if shape[ax] < edge_order + 1:
            raise ValueError(
                "Shape of array too small to calculate a numerical gradient, "
                "at least (edge_order + 1) elements are required."
            )
        out = znp.empty_like(f, dtype=otype)
        _gradient_interior(out, f, ax, ax_dx)
        _gradient_edges(out, f, ax, ax_dx, edge_order)
        outvals.append(out)
    return outvals[0] if len(axes) == 1 else tuple(outvals)


def _along(ndim: int, ax: int, i) -> tuple:
    """The index taking ``i`` on axis ``ax`` and everything on the others."""
    idx = [slice(None)] * ndim
    idx[ax] = i
    return tuple(idx)


def _gradient_interior(out, f, ax: int, ax_dx) -> None:
    """``gradient``'s second-order central differences at the interior points of axis ``ax``."""
    ndim = len(shape_of(f))

    def at(i):
        return _along(ndim, ax, i)

    if np.ndim(ax_dx) == 0:
        out[at(slice(1, -1))] = (f[at(slice(2, None))] - f[at(slice(None, -2))]) / (2.0 * ax_dx)
        return
    dx1, dx2 = ax_dx[0:-1], ax_dx[1:]
    bshape = [1] * ndim
    bshape[ax] = -1
    a = (-(dx2) / (dx1 * (dx1 + dx2))).reshape(bshape)
    b = ((dx2 - dx1) / (dx1 * dx2)).reshape(bshape)
    c = (dx1 / (dx2 * (dx1 + dx2))).reshape(bshape)
    out[at(slice(1, -1))] = a * f[at(slice(None, -2))] + b * f[at(slice(1, -1))] + c * f[at(slice(2, None))]


def _gradient_edges(out, f, ax: int, ax_dx, edge_order: int) -> None:
    """``gradient``'s one-sided differences (first or second order) at both ends of axis ``ax``."""
    ndim = len(shape_of(f))
    uniform = np.ndim(ax_dx) == 0

    def at(i):
        return _along(ndim, ax, i)

    if edge_order == 1:
        dx_0 = ax_dx if uniform else ax_dx[0]
        out[at(0)] = (f[at(1)] - f[at(0)]) / dx_0
        dx_n = ax_dx if uniform else ax_dx[-1]
        out[at(-1)] = (f[at(-1)] - f[at(-2)]) / dx_n
        return
    if uniform:
        a, b, c = -1.5 / ax_dx, 2.0 / ax_dx, -0.5 / ax_dx
    else:
        dx1, dx2 = ax_dx[0], ax_dx[1]
        a = -(2.0 * dx1 + dx2) / (dx1 * (dx1 + dx2))
        b = (dx1 + dx2) / (dx1 * dx2)
        c = -dx1 / (dx2 * (dx1 + dx2))
    out[at(0)] = a * f[at(0)] + b * f[at(1)] + c * f[at(2)]
    if uniform:
        a, b, c = 0.5 / ax_dx, -2.0 / ax_dx, 1.5 / ax_dx
    else:
        dx1, dx2 = ax_dx[-2], ax_dx[-1]
        a = (dx2) / (dx1 * (dx1 + dx2))
        b = -(dx2 + dx1) / (dx1 * dx2)
        c = (2.0 * dx2 + dx1) / (dx2 * (dx1 + dx2))
    out[at(-1)] = a * f[at(-3)] + b * f[at(-2)] + c * f[at(-1)]


def _gradient_spacings(varargs, shape, axes):
    """NumPy's handling of ``gradient``'s spacing arguments (constants: scalars or coordinates)."""
    if len(varargs) == 0:
        return [1.0] * len(axes)
    if len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        return list(varargs) * len(axes)
    if len(varargs) != len(axes):
        raise TypeError("invalid number of arguments")
    spacings = []
    for ax, distances in zip(axes, varargs):
        distances = np.asanyarray(distances)
        if distances.ndim == 0:
            spacings.append(distances)
            continue
        if distances.ndim != 1:
            raise ValueError("distances must be either scalars or 1d")
        if len(distances) != shape[ax]:
            raise ValueError("when 1d, distances must match the length of the corresponding dimension")
        if np.issubdtype(distances.dtype, np.integer):
            distances = distances.astype(np.float64)
        diffx = np.diff(distances)
        if (diffx == diffx[0]).all():
            diffx = diffx[0]
        spacings.append(diffx)
    return spacings
