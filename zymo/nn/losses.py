"""Loss functions ``loss(prediction, target, ..., agg="mean")``.

``agg`` reduces the per-element (or, for the cross-entropies, per-sample)
losses: ``"mean"`` (the default), ``"sum"``, ``None`` (no reduction) or any
function of one array. Predictions and targets must have the same shape:
losses never broadcast silently (a ``(batch, 1)`` prediction against a
``(batch,)`` target raises ``zymo.ShapeError``). The cross-entropies take the
class axis ``axis`` (last by default) and accept integer class labels in
place of one-hot targets.

Example:
    >>> import numpy as np
    >>> from zymo.nn import losses
    >>> losses.mse(np.array([1.0, 2.0]), np.array([1.0, 4.0]))
    np.float64(2.0)
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .._rules.helpers import dtype_of, shape_of
from ..core.errors import ShapeError, ZymoError, user_location
from ..core.forward import defjvp
from ..core.namespace import foreign_namespace, is_foreign, namespace_dtype, numpy_dtype
from ..core.primitive import Primitive
from ..core.reverse import defvjp
from ..core.trace import box_foreign
from ..core.tracer import Tracer, bottom
from .activations import _log_softmax_impl, log_softmax_p, softmax_p, softplus

__all__ = [
    "mse",
    "mae",
    "huber",
    "crossentropy",
    "logitcrossentropy",
    "binarycrossentropy",
    "logitbinarycrossentropy",
    "kldivergence",
]

Agg = str | Callable | None


def _as_value(x):
    return x if type(x) is Tracer or isinstance(x, np.ndarray) or is_foreign(x) else np.asarray(x)


def _aggregate(loss, agg: Agg, name: str):
    if agg == "mean":
        return np.mean(loss)
    if agg == "sum":
        return np.sum(loss)
    if agg is None:
        return loss
    if callable(agg):
        return agg(loss)
    raise ZymoError(f"{name}: agg must be 'mean', 'sum', None or a function, got {agg!r}")


def _same_shape(name: str, yhat, y) -> None:
    if shape_of(yhat) != shape_of(y):
        raise ShapeError(
            f"{name}: prediction shape {shape_of(yhat)} and target shape {shape_of(y)} differ "
            f"(at {user_location()}); losses do not broadcast, reshape one of them"
        )


def _xlogy(x, y):
    """``x * log(y)``, with 0 where ``x == 0`` (so a zero target ignores a zero probability)."""
    nz = np.not_equal(x, 0)
    return np.where(nz, x * np.log(np.where(nz, y, 1)), 0)


def _eps(x, eps):
    return float(np.finfo(dtype_of(x)).eps) if eps is None else eps


def mse(yhat, y, *, agg: Agg = "mean"):
    """Mean squared error ``agg((yhat - y) ** 2)``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn.losses import mse
        >>> mse(np.array([0.0, 3.0]), np.array([1.0, 1.0]), agg="sum")
        np.float64(5.0)
    """
    yhat, y = _as_value(yhat), _as_value(y)
    _same_shape("mse", yhat, y)
    d = yhat - y
    return _aggregate(d * d, agg, "mse")


def mae(yhat, y, *, agg: Agg = "mean"):
    """Mean absolute error ``agg(|yhat - y|)``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn.losses import mae
        >>> mae(np.array([0.0, 3.0]), np.array([1.0, 1.0]))
        np.float64(1.5)
    """
    yhat, y = _as_value(yhat), _as_value(y)
    _same_shape("mae", yhat, y)
    return _aggregate(np.abs(yhat - y), agg, "mae")


def huber(yhat, y, *, delta: float = 1.0, agg: Agg = "mean"):
    """Huber loss: ``0.5 e**2`` where ``|e| <= delta``, ``delta * (|e| - 0.5 delta)`` beyond, ``e = yhat - y``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn.losses import huber
        >>> huber(np.array([0.5, 3.0]), np.array([0.0, 0.0]), agg=None)
        array([0.125, 2.5  ])
    """
    yhat, y = _as_value(yhat), _as_value(y)
    _same_shape("huber", yhat, y)
    e = np.abs(yhat - y)
    return _aggregate(np.where(np.less_equal(e, delta), 0.5 * e * e, delta * (e - 0.5 * delta)), agg, "huber")


def _foreign_class_targets(name: str, yhat, y, yb, axis: int):
    """``_class_targets`` for labels of another library: one-hot made by that library, on its device."""
    kind = numpy_dtype(yb.dtype).kind
    if kind not in "iub" or (kind == "b" and shape_of(yhat) == tuple(yb.shape)):
        if kind == "b":
            return box_foreign(foreign_namespace(yb).astype(yb, namespace_dtype(foreign_namespace(yb), dtype_of(yhat))))
        _same_shape(name, yhat, y)
        return y
    xp = foreign_namespace(yb)
    shape = shape_of(yhat)
    ax = axis % len(shape)
    n = shape[ax]
    hit = xp.reshape(yb, (*yb.shape, 1)) == xp.arange(n, device=yb.device)
    onehot = xp.astype(hit, namespace_dtype(xp, dtype_of(yhat)))
    return box_foreign(xp.moveaxis(onehot, -1, ax))


def _class_targets(name: str, yhat, y, axis: int):
    """One-hot targets from integer labels; probability targets unchanged (shape-checked)."""
    yb = bottom(y)
    if is_foreign(yb):
        return _foreign_class_targets(name, yhat, y, yb, axis)
    yb = np.asarray(yb)
    if yb.dtype.kind in "iub":
        if yb.dtype.kind == "b" and shape_of(yhat) == yb.shape:
            return yb.astype(dtype_of(yhat))
        shape = shape_of(yhat)
        ax = axis % len(shape)
        expected = shape[:ax] + shape[ax + 1 :]
        if yb.shape != expected:
            raise ShapeError(
                f"{name}: integer labels of shape {yb.shape} do not match predictions of shape {shape} "
                f"(labels need shape {expected}; at {user_location()})"
            )
        n = shape[ax]
        if yb.size and (yb.min() < 0 or yb.max() >= n):
            raise ShapeError(f"{name}: a label is outside 0..{n - 1} (at {user_location()})")
        onehot = np.moveaxis(np.eye(n, dtype=dtype_of(yhat))[yb], -1, ax)
        return onehot
    _same_shape(name, yhat, y)
    return y


def crossentropy(yhat, y, *, axis: int = -1, eps: float | None = None, agg: Agg = "mean"):
    """Cross-entropy of probabilities ``yhat`` against targets: ``agg(-sum(y * log(yhat + eps), axis))``.

    ``y`` holds probabilities (one-hot or smoothed) of ``yhat``'s shape, or
    integer class labels. ``eps`` defaults to the machine epsilon of ``yhat``'s
    dtype. Prefer ``logitcrossentropy`` on logits: it is exact and stable.

    Example:
        >>> import numpy as np
        >>> from zymo.nn.losses import crossentropy
        >>> float(crossentropy(np.array([[0.5, 0.5], [1.0, 0.0]]), np.array([0, 0]), eps=0.0))
        0.34657359027997264
    """
    yhat = _as_value(yhat)
    y = _class_targets("crossentropy", yhat, _as_value(y), axis)
    return _aggregate(-np.sum(_xlogy(y, yhat + _eps(yhat, eps)), axis=axis), agg, "crossentropy")


# --- logit cross-entropy: one fused primitive -------------------------------------------------
def _logitce_impl(z, y, axis=-1):
    return -np.sum(y * _log_softmax_impl(z, axis), axis=axis)


def _logitce_dz(z, y, axis):
    return softmax_p(z, axis=axis) * np.sum(y, axis=axis, keepdims=True) - y


logitce_p = Primitive(_logitce_impl, "logitcrossentropy")
defvjp(
    logitce_p,
    lambda g, ans, z, y, axis=-1: np.expand_dims(g, axis) * _logitce_dz(z, y, axis),
    lambda g, ans, z, y, axis=-1: -np.expand_dims(g, axis) * log_softmax_p(z, axis=axis),
    saves=(0, 1),
)
defjvp(
    logitce_p,
    lambda t, ans, z, y, axis=-1: np.sum(t * _logitce_dz(z, y, axis), axis=axis),
    lambda t, ans, z, y, axis=-1: -np.sum(t * log_softmax_p(z, axis=axis), axis=axis),
)


def logitcrossentropy(z, y, *, axis: int = -1, agg: Agg = "mean"):
    """Cross-entropy of ``softmax(z)`` against targets, from logits: ``agg(-sum(y * log_softmax(z), axis))``.

    One fused operation (its gradient is ``softmax(z) * sum(y) - y``); finite
    for any finite logits. ``y`` is probabilities of ``z``'s shape or integer labels.

    Example:
        >>> import numpy as np
        >>> from zymo.nn.losses import logitcrossentropy
        >>> round(float(logitcrossentropy(np.array([[0.0, 0.0], [1e4, 0.0]]), np.array([0, 1]))), 6)
        5000.346574
    """
    z = _as_value(z)
    y = _class_targets("logitcrossentropy", z, _as_value(y), axis)
    return _aggregate(logitce_p(z, y, axis=axis), agg, "logitcrossentropy")


def binarycrossentropy(yhat, y, *, eps: float | None = None, agg: Agg = "mean"):
    """Binary cross-entropy of probabilities: ``agg(-(y log(yhat + eps) + (1 - y) log(1 - yhat + eps)))``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn.losses import binarycrossentropy
        >>> float(binarycrossentropy(np.array([0.5]), np.array([1.0]), eps=0.0))
        0.6931471805599453
    """
    yhat, y = _as_value(yhat), _as_value(y)
    _same_shape("binarycrossentropy", yhat, y)
    e = _eps(yhat, eps)
    loss = -(_xlogy(y, yhat + e) + _xlogy(1 - y, 1 - yhat + e))
    return _aggregate(loss, agg, "binarycrossentropy")


def logitbinarycrossentropy(z, y, *, agg: Agg = "mean"):
    """Binary cross-entropy of ``sigmoid(z)``, from logits: ``agg((1 - y) z + softplus(-z))``, stable.

    Example:
        >>> import numpy as np
        >>> from zymo.nn.losses import logitbinarycrossentropy
        >>> logitbinarycrossentropy(np.array([0.0, -1e4]), np.array([1.0, 1.0]), agg=None)
        array([6.93147181e-01, 1.00000000e+04])
    """
    z, y = _as_value(z), _as_value(y)
    _same_shape("logitbinarycrossentropy", z, y)
    return _aggregate((1 - y) * z + softplus(-z), agg, "logitbinarycrossentropy")


def kldivergence(yhat, y, *, axis: int = -1, eps: float | None = None, agg: Agg = "mean"):
    """Kullback-Leibler divergence of the distribution ``yhat`` from ``y``: ``sum(y log(y / (yhat + eps)), axis)``.

    Zero where ``yhat == y`` (up to ``eps``); ``0 log 0`` counts as 0.

    Example:
        >>> import numpy as np
        >>> from zymo.nn.losses import kldivergence
        >>> p = np.array([[0.25, 0.75]])
        >>> float(kldivergence(p, p, eps=0.0))
        0.0
    """
    yhat, y = _as_value(yhat), _as_value(y)
    _same_shape("kldivergence", yhat, y)
    loss = np.sum(_xlogy(y, y), axis=axis) - np.sum(_xlogy(y, yhat + _eps(yhat, eps)), axis=axis)
    return _aggregate(loss, agg, "kldivergence")
