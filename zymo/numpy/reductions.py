"""Reduction rules: sum, mean, prod, max/min, var/std, cumsum/cumprod, logsumexp."""

from __future__ import annotations

import numpy as np

from ..core.array_api import _write_out
from ..core.dispatch import FUNCTIONS, implements
from ..core.forward import defjvp
from ..core.primitive import Primitive
from ..core.reverse import defvjp
from ._rules import dtype_of, linear, shape_of

__all__ = ["sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "cumsum", "cumprod", "logsumexp"]

_builtin_sum = sum


def axes_of(axis, ndim: int) -> tuple:
    """``axis`` as a sorted tuple of non-negative axes (``None``: all)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(a % ndim for a in axis)) if ndim else ()
    return (axis % ndim,) if ndim else ()


def expand_to(g, shape, axis, keepdims):
    """Broadcast a reduced cotangent ``g`` back to ``shape``."""
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


def _reject(out=None, where=True, initial=None):
    if where is not True:
        raise TypeError("zymo does not differentiate reductions with `where=`; use zymo.numpy.where first")


# --- sum / mean ---------------------------------------------------------------
def _sum_impl(x, axis=None, dtype=None, keepdims=False):
    return np.sum(x, axis=axis, dtype=dtype, keepdims=keepdims)


sum_p = Primitive(_sum_impl, "sum")
linear(sum_p, lambda g, ans, x, axis=None, dtype=None, keepdims=False: expand_to(g, shape_of(x), axis, keepdims))


@implements(np.sum)
def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True):
    """``numpy.sum``."""
    _reject(where=where)
    if type(a) in (list, tuple):
        from .construction import asarray

        a = asarray(a)
    r = sum_p(a, axis=axis, dtype=dtype, keepdims=keepdims)
    if initial is not None:
        r = r + initial
    return r if out is None else _write_out(out, r)


def _mean_impl(x, axis=None, dtype=None, keepdims=False):
    return np.mean(x, axis=axis, dtype=dtype, keepdims=keepdims)


mean_p = Primitive(_mean_impl, "mean")
linear(
    mean_p,
    lambda g, ans, x, axis=None, dtype=None, keepdims=False: (
        expand_to(g, shape_of(x), axis, keepdims) / _count(shape_of(x), axis)
    ),
)


@implements(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    """``numpy.mean``."""
    _reject(where=where)
    if type(a) in (list, tuple):
        from .construction import asarray

        a = asarray(a)
    r = mean_p(a, axis=axis, dtype=dtype, keepdims=keepdims)
    return r if out is None else _write_out(out, r)


# --- prod -----------------------------------------------------------------------
def _prod_impl(x, axis=None, dtype=None, keepdims=False):
    return np.prod(x, axis=axis, dtype=dtype, keepdims=keepdims)


def _prod_grad_factor(ans, x, axis, keepdims):
    """d prod / d x: the product of the other elements (exact where x has zeros)."""
    shape = shape_of(x)
    full = expand_to(ans, shape, axis, keepdims)
    return full / x


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


@implements(np.prod)
def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True):
    """``numpy.prod`` (its gradient divides by the input: inputs with zeros are not supported)."""
    _reject(where=where)
    r = prod_p(a, axis=axis, dtype=dtype, keepdims=keepdims)
    if initial is not None:
        r = r * initial
    return r if out is None else _write_out(out, r)


# --- max / min ------------------------------------------------------------------
def _extreme(np_fn, name):
    def impl(x, axis=None, keepdims=False):
        return np_fn(x, axis=axis, keepdims=keepdims)

    prim = Primitive(impl, name)

    def weights(ans, x, axis, keepdims):
        shape = shape_of(x)
        hit = np.asarray(x == expand_to(ans, shape, axis, keepdims)).astype(dtype_of(x))
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

    def entry(a, axis=None, out=None, keepdims=False, initial=None, where=True):
        _reject(where=where)
        r = prim(a, axis=axis, keepdims=keepdims)
        if initial is not None:
            r = (np.maximum if np_fn is np.max else np.minimum)(r, initial)
        return r if out is None else _write_out(out, r)

    entry.__name__ = name
    entry.__doc__ = f"``numpy.{name}``: the gradient is shared evenly among tied extremes."
    return prim, entry


max_p, max = _extreme(np.max, "max")
min_p, min = _extreme(np.min, "min")
amax, amin = max, min
FUNCTIONS[np.max] = FUNCTIONS[np.amax] = max
FUNCTIONS[np.min] = FUNCTIONS[np.amin] = min


# --- var / std --------------------------------------------------------------------
def _var_impl(x, axis=None, dtype=None, ddof=0, keepdims=False):
    return np.var(x, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)


def _centered(x, axis):
    return x - np.mean(x, axis=axis, keepdims=True)


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
        np.sum(t * _centered(x, axis), axis=axis, keepdims=keepdims) * (2.0 / (_count(shape_of(x), axis) - ddof))
    ),
)


def _std_impl(x, axis=None, dtype=None, ddof=0, keepdims=False):
    return np.std(x, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)


std_p = Primitive(_std_impl, "std")
defvjp(
    std_p,
    lambda g, ans, x, axis=None, dtype=None, ddof=0, keepdims=False: (
        expand_to(g / ans, shape_of(x), axis, keepdims) * _centered(x, axis) / (_count(shape_of(x), axis) - ddof)
    ),
)
defjvp(
    std_p,
    lambda t, ans, x, axis=None, dtype=None, ddof=0, keepdims=False: (
        np.sum(t * _centered(x, axis), axis=axis, keepdims=keepdims) / ((_count(shape_of(x), axis) - ddof) * ans)
    ),
)


@implements(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=None, correction=None):
    """``numpy.var``."""
    _reject(where=where)
    if correction is not None:
        ddof = correction
    r = var_p(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    return r if out is None else _write_out(out, r)


@implements(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=None, correction=None):
    """``numpy.std`` (its gradient is infinite where the deviation is zero)."""
    _reject(where=where)
    if correction is not None:
        ddof = correction
    r = std_p(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    return r if out is None else _write_out(out, r)


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
def cumsum(a, axis=None, dtype=None, out=None):
    """``numpy.cumsum``."""
    r = cumsum_p(a, axis=axis, dtype=dtype)
    return r if out is None else _write_out(out, r)


def _cumprod_impl(x, axis=None, dtype=None):
    return np.cumprod(x, axis=axis, dtype=dtype)


def _cumprod_vjp(g, ans, x, axis=None, dtype=None):
    if axis is None:
        flat = np.ravel(x)
        return np.reshape(_reverse_cumsum(g * ans, 0) / flat, shape_of(x))
    return _reverse_cumsum(g * ans, axis) / x


cumprod_p = Primitive(_cumprod_impl, "cumprod")
defvjp(cumprod_p, _cumprod_vjp)
defjvp(
    cumprod_p,
    lambda t, ans, x, axis=None, dtype=None: (
        ans * np.cumsum(np.ravel(t) / np.ravel(x) if axis is None else t / x, axis=0 if axis is None else axis)
    ),
)


@implements(np.cumprod)
def cumprod(a, axis=None, dtype=None, out=None):
    """``numpy.cumprod`` (its gradient divides by the input: inputs with zeros are not supported)."""
    r = cumprod_p(a, axis=axis, dtype=dtype)
    return r if out is None else _write_out(out, r)


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


def logsumexp(a, axis=None, keepdims=False):
    """``log(sum(exp(a)))`` along ``axis``, computed stably (as ``scipy.special.logsumexp``).

    Example:
        >>> import zymo.numpy as znp
        >>> float(znp.logsumexp(znp.array([0.0, 0.0])))  # log 2
        0.6931471805599453
    """
    return logsumexp_p(a, axis=axis, keepdims=keepdims)
