"""Statistics: ``average``, ``ptp``, ``median``/``percentile``/``quantile`` (and their NaN-ignoring
versions), ``cov``, ``corrcoef``, and the NaN-ignoring reductions ``nansum``, ``nanmean``, ...

Values equal NumPy's bit for bit: the reductions repeat NumPy's own steps with zymo's rules, and the
order statistics compute their value with NumPy and differentiate as the interpolation between the
two sorted neighbours NumPy uses. Conventions (as JAX): an order statistic's derivative goes to the
entries at its sorted positions (among ties, the one a stable sort puts there); ``nanmax``/``nanmin``
follow ``max``/``min`` (ties share the gradient); NaN entries get zero gradient.

Example:
    >>> import zymo, zymo.numpy as znp
    >>> zymo.grad(lambda x: znp.median(x))(znp.array([3.0, 1.0, 2.0, 4.0]))
    array([0.5, 0. , 0.5, 0. ])
"""

from __future__ import annotations

import numpy as np
from numpy.lib.array_utils import normalize_axis_index
from numpy.typing import ArrayLike, DTypeLike

from .. import numpy as znp
from ..core.dispatch import implements
from ..core.errors import unsupported
from ..core.forward import defjvp
from ..core.primitive import Primitive
from ..core.reverse import defvjp
from .helpers import bottom, dtype_of, has_tracer, write_out
from .indexing import laid_out_as_copy_of

__all__ = [
    "average",
    "ptp",
    "median",
    "percentile",
    "quantile",
    "nanmedian",
    "nanpercentile",
    "nanquantile",
    "nansum",
    "nanprod",
    "nanmax",
    "nanmin",
    "nanmean",
    "nanvar",
    "nanstd",
    "nancumsum",
    "nancumprod",
    "cov",
    "corrcoef",
]


_Axis = int | tuple[int, ...] | None
_Out = np.ndarray | None


def _array_like(a):
    """A list or tuple holding traced values, stacked (NumPy would convert it to a plain array)."""
    return znp.asarray(a) if type(a) in (list, tuple) and has_tracer(a) else a


# --- order statistics --------------------------------------------------------------------------
_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _weights(x: np.ndarray, q: np.ndarray, axis, method: str, ignore_nan: bool) -> np.ndarray:
    """``W`` with ``quantile(x) == sum(W * x, axis)``: the interpolation weights of the sorted neighbours.

    Shape ``q.shape + x.shape`` (``x`` flattened when ``axis`` is None).
    """
    xm = np.moveaxis(x, axis, -1)
    n = xm.shape[-1]
    count = (~np.isnan(xm)).sum(axis=-1) if ignore_nan else np.full(xm.shape[:-1], n)
    order = np.argsort(xm, axis=-1, kind="stable")  # NaNs sort last
    qb = q.reshape(q.shape + (1,) * (xm.ndim - 1))
    virtual = qb * (np.maximum(count, 1) - 1)
    lo = np.floor(virtual)
    gamma = virtual - lo
    if method == "lower":
        gamma = np.zeros_like(gamma)
    elif method == "higher":
        gamma = (gamma > 0).astype(float)
    elif method == "midpoint":
        gamma = np.where(gamma > 0, 0.5, 0.0)
    elif method == "nearest":
        gamma = np.where(gamma > 0.5, 1.0, np.where(gamma < 0.5, 0.0, lo % 2))
    lo = lo.astype(np.intp)
    hi = np.minimum(lo + 1, np.maximum(count, 1) - 1)
    shape = q.shape + xm.shape
    w = np.zeros(shape)
    ob = np.broadcast_to(order, shape)
    idx_lo = np.take_along_axis(ob, np.broadcast_to(lo, shape[:-1])[..., None], -1)
    idx_hi = np.take_along_axis(ob, np.broadcast_to(hi, shape[:-1])[..., None], -1)
    g = np.broadcast_to(gamma, shape[:-1])[..., None]
    np.put_along_axis(w, idx_lo, 1 - g, -1)
    w_hi = np.zeros(shape)
    np.put_along_axis(w_hi, idx_hi, g, -1)
    w = (w + w_hi).astype(x.dtype)
    return np.moveaxis(w, -1, axis + q.ndim)


def _order_statistic_impl(a, func, q, axis, method, keepdims):
    kwargs = {"axis": axis, "keepdims": keepdims}
    if method != "linear":
        kwargs["method"] = method
    return func(a, **kwargs) if q is None else func(a, q, **kwargs)


def _plan(a, q, axis, func):
    """(flattened ``x`` as plain, the fractions as an array, the axis) for the weights."""
    x = np.asarray(bottom(a))
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    elif not isinstance(axis, (int, np.integer)):
        raise unsupported(f"numpy.{func.__name__} over several axes", "move the axes together and reshape first")
    axis = normalize_axis_index(int(axis), x.ndim)
    fractions = 0.5 if q is None else np.asarray(q, dtype=float)
    if func in (np.percentile, np.nanpercentile):
        fractions = fractions / 100.0
    return x, np.asarray(fractions), axis


def _apply(weights, v, axis, q_ndim, shape, keep):
    """``sum(W * v)`` over the statistic's axis, shaped as NumPy's result."""
    out = np.sum(weights * v, axis=axis + q_ndim)
    return np.reshape(out, shape) if keep else out


def _order_vjp(g, ans, a, func, q, axis, method, keepdims):
    x, qs, ax = _plan(a, q, axis, func)
    w = _weights(x, qs, ax, method, func in (np.nanmedian, np.nanpercentile, np.nanquantile))
    gq = np.reshape(g, qs.shape + tuple(n for i, n in enumerate(x.shape) if i != ax))
    gq = np.expand_dims(gq, ax + qs.ndim)
    grad = np.sum(w * gq, axis=tuple(range(qs.ndim))) if qs.ndim else w * gq
    return np.reshape(grad, np.shape(bottom(a)))


def _order_jvp(t, ans, a, func, q, axis, method, keepdims):
    x, qs, ax = _plan(a, q, axis, func)
    w = _weights(x, qs, ax, method, func in (np.nanmedian, np.nanpercentile, np.nanquantile))
    return _apply(w, np.reshape(t, x.shape), ax, qs.ndim, np.shape(ans), True)


order_statistic_p = Primitive(_order_statistic_impl, "order_statistic")
defvjp(order_statistic_p, _order_vjp, saves=(0, "ans"))
defjvp(order_statistic_p, _order_jvp)


def _order_statistic(func, a, q, axis, method, keepdims, weights=None, out=None, overwrite_input=False):
    a = _array_like(a)
    if not has_tracer([a, q]):
        kwargs = {"axis": axis, "keepdims": keepdims, "out": out, "overwrite_input": overwrite_input}
        if q is None:
            return func(a, **kwargs)
        return func(a, q, method=method, weights=weights, **kwargs)
    if has_tracer([q]):
        raise unsupported(f"numpy.{func.__name__} with respect to q", "pass q as a plain number or array")
    if weights is not None or method not in _METHODS or out is not None:
        what = "weights=" if weights is not None else ("out=" if out is not None else f"method={method!r}")
        raise unsupported(f"numpy.{func.__name__} with {what}", f"use one of the methods {', '.join(_METHODS)}")
    return order_statistic_p(a, func=func, q=None if q is None else q, axis=axis, method=method, keepdims=keepdims)


@implements(np.median)
def median(
    a: ArrayLike, axis: _Axis = None, out: _Out = None, overwrite_input: bool = False, keepdims: bool = False
) -> np.ndarray:
    """``numpy.median``; the derivative goes to the middle entry, or half to each of the two middle ones.

    The entries are taken at their sorted positions (among ties, the one a stable sort puts there), as JAX.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.median(x))(znp.array([3.0, 1.0, 2.0]))
        array([0., 0., 1.])
    """
    return _order_statistic(np.median, a, None, axis, "linear", keepdims, out=out, overwrite_input=overwrite_input)


@implements(np.nanmedian)
def nanmedian(
    a: ArrayLike, axis: _Axis = None, out: _Out = None, overwrite_input: bool = False, keepdims: bool = False
) -> np.ndarray:
    """``numpy.nanmedian``: the median of the entries that are not NaN; its derivative as ``median``'s (as JAX).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.nanmedian(x))(znp.array([3.0, znp.nan, 2.0]))
        array([0.5, 0. , 0.5])
    """
    return _order_statistic(np.nanmedian, a, None, axis, "linear", keepdims, out=out, overwrite_input=overwrite_input)


def _make_quantile(func, doc_q):
    def statistic(
        a: ArrayLike,
        q: ArrayLike,
        axis: _Axis = None,
        out: _Out = None,
        overwrite_input: bool = False,
        method: str = "linear",
        keepdims: bool = False,
        *,
        weights: ArrayLike | None = None,
        interpolation: str | None = None,
    ) -> np.ndarray:
        if interpolation is not None:
            method = interpolation
        return _order_statistic(func, a, q, axis, method, keepdims, weights, out, overwrite_input)

    statistic.__name__ = statistic.__qualname__ = func.__name__
    statistic.__doc__ = f"""``numpy.{func.__name__}`` with the methods {", ".join(_METHODS)}.

    The derivative interpolates between the two sorted neighbours as the value does (none for ``q``); among
    ties, the entries a stable sort puts there get it, as JAX.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.{func.__name__}(x, {doc_q}))(znp.array([1.0, 2.0, 3.0]))
        array([0.5, 0.5, 0. ])
    """
    return implements(func)(statistic)


percentile = _make_quantile(np.percentile, 25)
quantile = _make_quantile(np.quantile, 0.25)
nanpercentile = _make_quantile(np.nanpercentile, 25)
nanquantile = _make_quantile(np.nanquantile, 0.25)


# --- ptp, average ---------------------------------------------------------------------------------
@implements(np.ptp)
def ptp(a: ArrayLike, axis: _Axis = None, out: _Out = None, keepdims: bool = False) -> np.ndarray:
    """``numpy.ptp``: ``max - min``; the derivative is ``max``'s minus ``min``'s (ties share, as JAX).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.ptp(x))(znp.array([3.0, 1.0, 2.0]))
        array([ 1., -1.,  0.])
    """
    a = _array_like(a)
    if not has_tracer([a]):
        return np.ptp(a, axis=axis, out=out, keepdims=keepdims)
    return np.subtract(znp.max(a, axis=axis, keepdims=keepdims), znp.min(a, axis=axis, keepdims=keepdims))


@implements(np.average)
def average(
    a: ArrayLike,
    axis: _Axis = None,
    weights: ArrayLike | None = None,
    returned: bool = False,
    *,
    keepdims: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """``numpy.average``, differentiable in ``a`` and ``weights``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda w: znp.average(znp.array([1.0, 3.0]), weights=w))(znp.array([1.0, 1.0]))
        array([-0.5,  0.5])
    """
    a, weights = _array_like(a), _array_like(weights)
    if not has_tracer([a, weights]):
        return np.average(a, axis=axis, weights=weights, returned=returned, keepdims=keepdims)
    kw = {"keepdims": keepdims} if keepdims else {}
    if weights is None:
        avg = znp.mean(a, axis=axis, **kw)
        scl = np.asarray(np.size(bottom(a)) / np.size(bottom(avg)), dtype=np.result_type(bottom(avg)))
    else:
        a_shape, w_shape = np.shape(bottom(a)), np.shape(bottom(weights))
        wgt = weights
        if a_shape != w_shape:
            if axis is None:
                raise TypeError("Axis must be specified when shapes of a and weights differ.")
            if len(w_shape) != 1 or (isinstance(axis, (int, np.integer)) and w_shape[0] != a_shape[axis]):
                raise ValueError("Shape of weights must be consistent with shape of a along specified axis.")
            axis = normalize_axis_index(int(axis), len(a_shape))
            wgt = znp.broadcast_to(wgt, (len(a_shape) - 1) * (1,) + w_shape)
            wgt = znp.swapaxes(wgt, -1, axis)
        dtype = np.result_type(bottom(a), bottom(wgt), 1.0)
        scl = znp.sum(wgt, axis=axis, dtype=dtype, **kw)
        avg = znp.sum(np.multiply(a, wgt, dtype=dtype), axis=axis, **kw) / scl
    if returned:
        return avg, (
            np.broadcast_to(scl, np.shape(bottom(avg))) if np.shape(bottom(scl)) != np.shape(bottom(avg)) else scl
        )
    return avg


# --- NaN-ignoring reductions -------------------------------------------------------------------
def _nan_mask(a):
    x = bottom(a)
    return np.isnan(x) if np.asarray(x).dtype.kind in "fc" else np.zeros(np.shape(x), bool)


def _written(out, result):
    """``result``, written into ``out`` (NumPy's ``out=``) when one is given."""
    return result if out is None else write_out(out, result)


def _where(where):
    """``where=`` as a plain boolean mask (it selects entries; it has no derivative)."""
    return where if where is True else np.asarray(bottom(where), dtype=bool)


def _divide_by_count(total, count):
    """``total / count`` in ``total``'s dtype and layout, as NumPy's NaN-ignoring reductions divide (in place)."""
    q = np.true_divide(total, count)
    dt = dtype_of(total)
    q = q if dtype_of(q) == dt else q.astype(dt)
    if type(bottom(total)) is np.ndarray:
        return laid_out_as_copy_of(q, total)
    return q[()] if type(bottom(q)) is np.ndarray else q  # a scalar stays one: ``total.dtype.type(total / count)``


def _nan_filled(a, mask, fill):
    """NumPy's ``_replace_nan``: a copy of ``a`` (its layout orders later reductions) with NaN set to ``fill``."""
    a = znp.array(a, copy=True)
    if mask.any():
        znp.copyto(a, fill, where=mask)
    return a


def _nan_where(bad, value):
    """``value`` with NaN where ``bad``, kept a scalar or in its layout as NumPy's ``_copyto`` keeps it."""
    if type(bottom(value)) is not np.ndarray:
        return np.where(bad, np.nan, value)[()]
    return laid_out_as_copy_of(np.where(bad, np.nan, value), value)


def _inexact(a) -> bool:
    return np.asarray(bottom(a)).dtype.kind in "fc"


def _nan_reduction(name, reduce, fill, doc_example):
    func = getattr(np, name)

    def reduction(
        a: ArrayLike,
        axis: _Axis = None,
        dtype: DTypeLike = None,
        out: _Out = None,
        keepdims: bool = False,
        initial: ArrayLike | None = None,
        where: ArrayLike = True,
    ) -> np.ndarray:
        a = _array_like(a)
        kw = ({} if initial is None else {"initial": initial}) | ({} if where is True else {"where": where})
        if not has_tracer([a, initial]):
            return func(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, **kw)
        a = _nan_filled(a, _nan_mask(a), fill)  # NumPy reduces a copy: its layout orders the additions
        extra = {"keepdims": keepdims} if keepdims else {}
        return _written(out, reduce(a, axis=axis, dtype=dtype, **extra, **kw))

    reduction.__name__ = reduction.__qualname__ = name
    reduction.__doc__ = f"""``numpy.{name}``: NaN entries count as {fill} (and get zero gradient).

    ``initial=``, ``where=`` and ``out=`` work as in NumPy.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.{name}(x{doc_example}))(znp.array([2.0, znp.nan, 3.0]))
        {{result}}
    """
    return implements(func)(reduction)


nansum = _nan_reduction("nansum", znp.sum, 0.0, "")
nanprod = _nan_reduction("nanprod", znp.prod, 1.0, "")
nansum.__doc__ = nansum.__doc__.replace("{result}", "array([1., 0., 1.])")
nanprod.__doc__ = nanprod.__doc__.replace("{result}", "array([3., 0., 2.])")


def _cumulative(name, accumulate, fill):
    func = getattr(np, name)

    def cumulative(a: ArrayLike, axis: int | None = None, dtype: DTypeLike = None, out: _Out = None) -> np.ndarray:
        a = _array_like(a)
        if not has_tracer([a]):
            return func(a, axis=axis, dtype=dtype, out=out)
        filled = _nan_filled(a, _nan_mask(a), fill) if _inexact(a) else a  # NumPy's copy: its layout carries on
        return _written(out, accumulate(filled, axis=axis, dtype=dtype))

    cumulative.__name__ = cumulative.__qualname__ = name
    cumulative.__doc__ = f"""``numpy.{name}``: NaN entries count as {fill} (zero gradient); ``out=`` as in NumPy.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.{name}(znp.array([2.0, znp.nan, 3.0])).shape
        (3,)
    """
    return implements(func)(cumulative)


nancumsum = _cumulative("nancumsum", znp.cumsum, 0.0)
nancumprod = _cumulative("nancumprod", znp.cumprod, 1.0)


def _nan_extreme(name, reduce, fill):
    func = getattr(np, name)

    def extreme(
        a: ArrayLike,
        axis: _Axis = None,
        out: _Out = None,
        keepdims: bool = False,
        initial: ArrayLike | None = None,
        where: ArrayLike = True,
    ) -> np.ndarray:
        a = _array_like(a)
        kw = ({} if initial is None else {"initial": initial}) | ({} if where is True else {"where": where})
        if not has_tracer([a, initial]):
            return func(a, axis=axis, out=out, keepdims=keepdims, **kw)
        mask = _nan_mask(a)
        extra = {"keepdims": keepdims} if keepdims else {}
        if not mask.any():
            return _written(out, reduce(a, axis=axis, **extra, **kw))
        result = reduce(np.where(mask, fill, a), axis=axis, **extra, **kw)
        # NumPy's fmax.reduce: a slice of NaN only is NaN, unless ``initial`` gives it a value
        empty = np.all(mask | np.logical_not(_where(where)), axis=axis, **extra)
        if initial is not None or not np.any(empty):
            return _written(out, result)
        r = np.where(empty, np.nan, result)
        return _written(out, r[()] if np.ndim(r) == 0 else r)  # a scalar, as NumPy gives, where no axis is left

    extreme.__name__ = extreme.__qualname__ = name
    extreme.__doc__ = f"""``numpy.{name}``: the extreme of the entries that are not NaN (NaN where all are).

    Tied extremes share the gradient evenly (as JAX); NaN entries get none.

    ``initial=``, ``where=`` and ``out=`` work as in NumPy.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.{name}(x))(znp.array([2.0, znp.nan, 2.0]))
        array([0.5, 0. , 0.5])
    """
    return implements(func)(extreme)


nanmax = _nan_extreme("nanmax", znp.max, -np.inf)
nanmin = _nan_extreme("nanmin", znp.min, np.inf)


@implements(np.nanmean)
def nanmean(
    a: ArrayLike,
    axis: _Axis = None,
    dtype: DTypeLike = None,
    out: _Out = None,
    keepdims: bool = False,
    *,
    where: ArrayLike = True,
) -> np.ndarray:
    """``numpy.nanmean``: the mean of the entries that are not NaN (their gradient is zero).

    ``where=`` and ``out=`` work as in NumPy.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.nanmean(x))(znp.array([2.0, znp.nan, 3.0]))
        array([0.5, 0. , 0.5])
    """
    a = _array_like(a)
    kw = {} if where is True else {"where": where}
    if not has_tracer([a]):
        return np.nanmean(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, **kw)
    extra = {"keepdims": keepdims} if keepdims else {}
    if not _inexact(a):
        return _written(out, znp.mean(a, axis=axis, dtype=dtype, **extra, **kw))
    mask = _nan_mask(a)  # NumPy sums a copy, NaN set to 0, even where there is none: its layout orders the sum
    cnt = np.sum(~mask, axis=axis, dtype=np.intp, keepdims=keepdims, where=_where(where))
    tot = znp.sum(_nan_filled(a, mask, 0.0), axis=axis, dtype=dtype, **extra, **kw)
    return _written(out, _divide_by_count(tot, cnt))


def _nanvar(a, axis, dtype, ddof, keepdims, where=True, mean=None):
    """NumPy's steps: the deviations live in a copy of ``a`` (NaN set to 0) whose layout orders the sums."""
    extra = {"keepdims": keepdims} if keepdims else {}
    kw = {} if where is True else {"where": where}
    if not _inexact(a):  # NumPy's nanvar of integers is var
        more = kw if mean is None else kw | {"mean": mean}
        return znp.var(a, axis=axis, dtype=dtype, ddof=ddof, **extra, **more)
    mask = _nan_mask(a)
    arr = _nan_filled(a, mask, 0.0)
    cnt = np.sum(~mask, axis=axis, dtype=np.intp, keepdims=True, where=_where(where))
    if mean is None:
        avg = _divide_by_count(znp.sum(arr, axis=axis, dtype=dtype, keepdims=True, **kw), cnt)
    else:
        avg = mean
    # NumPy subtracts the mean and squares only where ``where`` holds, then sums those entries
    dev = laid_out_as_copy_of(np.where(mask | np.logical_not(_where(where)), 0.0, arr - avg), arr)
    var = znp.sum(dev * dev, axis=axis, dtype=dtype, **extra, **kw)
    if np.ndim(bottom(var)) < cnt.ndim:
        cnt = cnt.squeeze(axis)
    dof = cnt - ddof
    var = _divide_by_count(var, dof)
    bad = dof <= 0
    return _nan_where(bad, var) if np.any(bad) else var


def _ddof(ddof, correction):
    if correction is None:
        return ddof
    if ddof != 0:
        raise ValueError("ddof and correction can't be provided simultaneously.")  # NumPy's error
    return correction


@implements(np.nanvar)
def nanvar(
    a: ArrayLike,
    axis: _Axis = None,
    dtype: DTypeLike = None,
    out: _Out = None,
    ddof: float = 0,
    keepdims: bool = False,
    *,
    where: ArrayLike = True,
    mean: ArrayLike | None = None,
    correction: float | None = None,
) -> np.ndarray:
    """``numpy.nanvar``: the variance of the entries that are not NaN.

    ``where=``, ``mean=`` (differentiated too), ``correction=`` and ``out=`` work as in NumPy.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.nanvar(x))(znp.array([1.0, znp.nan, 3.0]))
        array([-1.,  0.,  1.])
    """
    a = _array_like(a)
    kw = {k: v for k, v in (("where", where), ("mean", mean), ("correction", correction)) if v is not None}
    if where is True:
        del kw["where"]
    if not has_tracer([a, mean]):
        return np.nanvar(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, **kw)
    return _written(out, _nanvar(a, axis, dtype, _ddof(ddof, correction), keepdims, where, mean))


@implements(np.nanstd)
def nanstd(
    a: ArrayLike,
    axis: _Axis = None,
    dtype: DTypeLike = None,
    out: _Out = None,
    ddof: float = 0,
    keepdims: bool = False,
    *,
    where: ArrayLike = True,
    mean: ArrayLike | None = None,
    correction: float | None = None,
) -> np.ndarray:
    """``numpy.nanstd``: the standard deviation of the entries that are not NaN.

    ``where=``, ``mean=`` (differentiated too), ``correction=`` and ``out=`` work as in NumPy.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.nanstd(x))(znp.array([1.0, znp.nan, 3.0]))
        array([-0.5,  0. ,  0.5])
    """
    a = _array_like(a)
    kw = {k: v for k, v in (("where", where), ("mean", mean), ("correction", correction)) if v is not None}
    if where is True:
        del kw["where"]
    if not has_tracer([a, mean]):
        return np.nanstd(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, **kw)
    return _written(out, _sqrt_of_variance(_nanvar(a, axis, dtype, _ddof(ddof, correction), keepdims, where, mean)))


def _sqrt_of_variance(var):
    """``sqrt(var)`` (NumPy's bits) whose derivative is 0 where ``var`` is 0 (equal entries), as ``std``'s is."""
    positive = np.greater(bottom(var), 0)
    if np.all(positive):
        return np.sqrt(var)
    s = np.where(positive, np.sqrt(np.where(positive, var, 1.0)), var)  # sqrt(0) is 0, sqrt(NaN) NaN: var itself
    return laid_out_as_copy_of(s, var) if type(bottom(var)) is np.ndarray else s[()]


# --- cov, corrcoef -------------------------------------------------------------------------------
@implements(np.cov)
def cov(
    m: ArrayLike,
    y: ArrayLike | None = None,
    rowvar: bool = True,
    bias: bool = False,
    ddof: int | None = None,
    fweights: ArrayLike | None = None,
    aweights: ArrayLike | None = None,
    *,
    dtype: DTypeLike = None,
) -> np.ndarray:
    """``numpy.cov`` (without ``fweights``/``aweights`` on traced values), as NumPy computes it.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.cov(x))(znp.array([1.0, 2.0, 4.0]))
        array([-1.33333333, -0.33333333,  1.66666667])
    """
    m, y = _array_like(m), _array_like(y)
    if not has_tracer([m, y]):
        return np.cov(m, y, rowvar, bias, ddof, fweights, aweights, dtype=dtype)
    if fweights is not None or aweights is not None:
        raise unsupported("numpy.cov with fweights/aweights on traced values", "weight the deviations yourself")
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    if np.ndim(bottom(m)) > 2:
        raise ValueError("m has more than 2 dimensions")
    if dtype is None:
        dtype = np.result_type(bottom(m), np.float64) if y is None else np.result_type(bottom(m), bottom(y), np.float64)
    X = znp.atleast_2d(znp.asarray(m, dtype=dtype))
    if not rowvar and X.shape[0] != 1:
        X = X.T
    if X.shape[0] == 0:
        return np.array([]).reshape(0, 0)
    if y is not None:
        Y = znp.atleast_2d(znp.asarray(y, dtype=dtype))
        if not rowvar and Y.shape[0] != 1:
            Y = Y.T
        X = znp.concatenate((X, Y), axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    avg = znp.mean(X, axis=1)
    fact = X.shape[1] - ddof
    if fact <= 0:
        fact = 0.0
    X = X - avg[:, None]
    c = znp.dot(X, X.T.conj())
    c = c * np.true_divide(1, fact)
    return znp.squeeze(c)


@implements(np.corrcoef)
def corrcoef(x: ArrayLike, y: ArrayLike | None = None, rowvar: bool = True, *, dtype: DTypeLike = None) -> np.ndarray:
    """``numpy.corrcoef``, as NumPy computes it (including its clip to ``[-1, 1]``).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> x = znp.array([[1.0, 2.0, 4.0], [1.0, 3.0, 2.0]])
        >>> zymo.grad(lambda x: znp.corrcoef(x)[0, 1])(x).shape
        (2, 3)
    """
    x, y = _array_like(x), _array_like(y)
    if not has_tracer([x, y]):
        return np.corrcoef(x, y, rowvar, dtype=dtype)
    c = cov(x, y, rowvar, dtype=dtype)
    if np.ndim(bottom(c)) == 0:
        return c / c
    d = znp.diag(c)
    stddev = np.sqrt(znp.real(d))
    c = c / stddev[:, None]
    c = c / stddev[None, :]
    return znp.clip(c, -1, 1)
