"""Functions of sequences: ``convolve``, ``correlate``, ``interp``, ``polyval``, ``trapezoid``.

Values equal NumPy's bit for bit: ``convolve``, ``correlate`` and ``interp`` compute them with NumPy
and differentiate by their adjoints (written with zymo's rules, so derivatives of every order
compose); ``polyval`` and ``trapezoid`` repeat NumPy's own steps.

Example:
    >>> import zymo, zymo.numpy as znp
    >>> zymo.grad(lambda a: znp.convolve(a, znp.array([1.0, 2.0])).sum())(znp.ones(3))
    array([3., 3., 3.])
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .. import numpy as znp
from ..core.dispatch import implements
from ..core.errors import unsupported
from ..core.forward import defjvp
from ..core.primitive import Primitive
from ..core.reverse import defvjp
from ..core.tracer import Tracer
from .helpers import bottom, has_tracer, is_complex, shape_of

__all__ = ["convolve", "correlate", "interp", "polyval", "trapezoid"]


# --- convolve, correlate ---------------------------------------------------------------------------
def _offset(n: int, m: int, mode: str) -> int:
    """Where the ``mode`` output starts inside the full convolution of lengths ``n`` and ``m``."""
    if mode == "full":
        return 0
    if mode == "same":
        return (min(n, m) - 1) // 2
    if mode == "valid":
        return min(n, m) - 1
    raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")


def _full_cotangent(g, n, m, mode):
    """``g`` zero-padded to the length of the full convolution."""
    off = _offset(n, m, mode)
    length = n + m - 1
    k = shape_of(g)[0]
    return znp.pad(g, (off, length - off - k)) if (off, length - off - k) != (0, 0) else g


def _convolve_impl(a, v, mode="full"):
    return np.convolve(a, v, mode=mode)


convolve_p = Primitive(_convolve_impl, "convolve")
defvjp(
    convolve_p,
    lambda g, ans, a, v, mode="full": convolve_p(
        _full_cotangent(g, shape_of(a)[0], shape_of(v)[0], mode), znp.flip(v), mode="valid"
    ),
    lambda g, ans, a, v, mode="full": convolve_p(
        _full_cotangent(g, shape_of(a)[0], shape_of(v)[0], mode), znp.flip(a), mode="valid"
    ),
    saves=(0, 1),
)
defjvp(
    convolve_p,
    lambda t, ans, a, v, mode="full": convolve_p(t, v, mode=mode),
    lambda t, ans, a, v, mode="full": convolve_p(a, t, mode=mode),
)


def _correlate_impl(a, v, mode="valid"):
    return np.correlate(a, v, mode=mode)


correlate_p = Primitive(_correlate_impl, "correlate")
defvjp(
    correlate_p,
    lambda g, ans, a, v, mode="valid": convolve_p(
        _full_cotangent(g, shape_of(a)[0], shape_of(v)[0], mode), v, mode="valid"
    ),
    lambda g, ans, a, v, mode="valid": znp.flip(
        convolve_p(_full_cotangent(g, shape_of(a)[0], shape_of(v)[0], mode), znp.flip(a), mode="valid")
    ),
    saves=(0, 1),
)
defjvp(
    correlate_p,
    lambda t, ans, a, v, mode="valid": correlate_p(t, v, mode=mode),
    lambda t, ans, a, v, mode="valid": correlate_p(a, t, mode=mode),
)


def _check_1d(name, a, v):
    if len(shape_of(a)) != 1 or len(shape_of(v)) != 1:
        raise ValueError("object too deep for desired array")
    if shape_of(a)[0] == 0 or shape_of(v)[0] == 0:
        raise ValueError(f"{'a' if shape_of(a)[0] == 0 else 'v'} cannot be empty")
    if is_complex(a) or is_complex(v):
        raise unsupported(f"numpy.{name} of complex traced values", "convolve the real and imaginary parts")


@implements(np.convolve)
def convolve(a: ArrayLike, v: ArrayLike, mode: str = "full") -> np.ndarray:
    """``numpy.convolve`` of real 1-d sequences, differentiable in both.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda v: znp.convolve(znp.array([1.0, 2.0, 3.0]), v, "valid").sum())(znp.ones(2))
        array([5., 3.])
    """
    if not has_tracer([a, v]):
        return np.convolve(a, v, mode=mode)
    _check_1d("convolve", a, v)
    _offset(1, 1, mode)
    return convolve_p(a, v, mode=mode)


@implements(np.correlate)
def correlate(a: ArrayLike, v: ArrayLike, mode: str = "valid") -> np.ndarray:
    """``numpy.correlate`` of real 1-d sequences, differentiable in both.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda v: znp.correlate(znp.array([1.0, 2.0, 3.0]), v).sum())(znp.ones(2))
        array([3., 5.])
    """
    if not has_tracer([a, v]):
        return np.correlate(a, v, mode=mode)
    _check_1d("correlate", a, v)
    _offset(1, 1, mode)
    return correlate_p(a, v, mode=mode)


# --- interp ------------------------------------------------------------------------------------------
def _interp_impl(x, fp, xp, left=None, right=None):
    return np.interp(x, xp, fp, left=left, right=right)


def _differentiated(v) -> bool:
    """Whether ``v`` is traced by a differentiation (constant buffers made inside one are not)."""
    return type(v) is Tracer and v._trace.level > 0


def _terms(x, xp, left, right):
    """``interp(x, xp, fp) == c0 * fp[j0] + c1 * fp[j1]`` (plus ``left``/``right`` outside): the indices
    (plain) and the weights (traced in ``x``, so mixed derivatives in ``x`` and ``fp`` compose)."""
    xb, xpb = np.asarray(bottom(x), dtype=float), np.asarray(xp, dtype=float)
    n = xpb.shape[0]
    below, above = xb < xpb[0], xb > xpb[-1]
    inside = ~(below | above)
    if n == 1:
        j = np.zeros(xb.shape, np.intp)
        return j, j, np.where(inside, 1.0, 0.0), 0.0, n
    j = np.clip(np.searchsorted(xpb, xb, side="right") - 1, 0, n - 2)
    w = np.where(inside, (x - xpb[j]) / (xpb[j + 1] - xpb[j]), 0.0)
    j0 = np.where(below, 0, np.where(above, n - 1, j))
    j1 = np.where(inside, j + 1, j0)
    edge = np.where(below, float(left is None), 0.0) + np.where(above, float(right is None), 0.0)
    return j0, j1, np.where(inside, 1 - w, edge), w, n


def _interp_dx(ans, x, fp, xp, left=None, right=None):
    xb, xpb = np.asarray(bottom(x), dtype=float), np.asarray(xp, dtype=float)
    n = xpb.shape[0]
    if n == 1:
        return np.zeros(xb.shape)
    outside = (xb < xpb[0]) | (xb > xpb[-1])
    j = np.clip(np.searchsorted(xpb, xb, side="right") - 1, 0, n - 2)
    slope = (znp.take(fp, j + 1) - znp.take(fp, j)) / (xpb[j + 1] - xpb[j])
    return np.where(outside, 0.0, slope)


def _one_hot(j, n):
    return (np.reshape(j, (-1, 1)) == np.arange(n)).astype(float)


def _interp_vjp_fp(g, ans, x, fp, xp, left=None, right=None):
    j0, j1, c0, c1, n = _terms(x, xp, left, right)
    g = znp.reshape(g, (-1,))
    return znp.reshape(g * c0, (-1,)) @ _one_hot(j0, n) + znp.reshape(g * c1, (-1,)) @ _one_hot(j1, n)


def _interp_jvp_fp(t, ans, x, fp, xp, left=None, right=None):
    j0, j1, c0, c1, n = _terms(x, xp, left, right)
    return c0 * znp.take(t, j0) + c1 * znp.take(t, j1)


interp_p = Primitive(_interp_impl, "interp")
defvjp(
    interp_p,
    lambda g, ans, x, fp, xp, **p: g * _interp_dx(ans, x, fp, xp, **p),
    _interp_vjp_fp,
    None,
    saves=(0, 1, 2),
)
defjvp(interp_p, lambda t, ans, x, fp, xp, **p: t * _interp_dx(ans, x, fp, xp, **p), _interp_jvp_fp, None)


@implements(np.interp)
def interp(
    x: ArrayLike,
    xp: ArrayLike,
    fp: ArrayLike,
    left: float | None = None,
    right: float | None = None,
    period: float | None = None,
) -> np.ndarray:
    """``numpy.interp`` of real values, differentiable in ``x`` (the segment's slope; 0 outside ``xp``'s range
    and, as JAX, the right segment's slope at a breakpoint) and in ``fp``; not in ``xp``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.interp(x, znp.array([0.0, 1.0, 2.0]), znp.array([0.0, 2.0, 3.0])))(0.5)
        2.0
    """
    if not has_tracer([x, xp, fp, left, right]):
        return np.interp(x, xp, fp, left=left, right=right, period=period)
    if _differentiated(xp) or _differentiated(left) or _differentiated(right) or period is not None:
        what = "period=" if period is not None else ("xp" if _differentiated(xp) else "left/right")
        raise unsupported(f"numpy.interp with respect to {what}", "pass it as a plain value")
    if is_complex(fp) or is_complex(x):
        raise unsupported("numpy.interp of complex traced values", "interpolate the real and imaginary parts")
    return interp_p(x, fp, np.asarray(bottom(xp)), left=bottom(left), right=bottom(right))


# --- polyval, trapezoid ------------------------------------------------------------------------------
@implements(np.polyval)
def polyval(p: ArrayLike, x: ArrayLike) -> np.ndarray:
    """``numpy.polyval`` by Horner's rule, as NumPy computes it; differentiable in ``p`` and ``x``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> float(zymo.grad(lambda x: znp.polyval(znp.array([1.0, 0.0, -2.0]), x))(3.0))
        6.0
    """
    if not has_tracer([p, x]):
        return np.polyval(p, x)
    if type(p) in (list, tuple):
        p = znp.asarray(p)
    x = znp.asanyarray(x)
    y = znp.zeros_like(x)
    for k in range(shape_of(p)[0]):
        y = y * x + p[k]
    return y


@implements(np.trapezoid)
def trapezoid(y: ArrayLike, x: ArrayLike | None = None, dx: float = 1.0, axis: int = -1) -> np.ndarray:
    """``numpy.trapezoid``, as NumPy computes it; differentiable in ``y``, ``x`` and ``dx``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda y: znp.trapezoid(y))(znp.ones(3))
        array([0.5, 1. , 0.5])
    """
    if not has_tracer([y, x, dx]):
        return np.trapezoid(y, x, dx, axis)
    y = znp.asanyarray(y)
    if x is None:
        d = dx
    else:
        x = znp.asanyarray(x)
        if x.ndim == 1:
            d = znp.diff(x)
            shape = [1] * y.ndim
            shape[axis] = shape_of(d)[0]
            d = znp.reshape(d, shape)
        else:
            d = znp.diff(x, axis=axis)
    nd = y.ndim
    slice1 = [slice(None)] * nd
    slice2 = [slice(None)] * nd
    slice1[axis] = slice(1, None)
    slice2[axis] = slice(None, -1)
    return znp.sum(d * (y[tuple(slice1)] + y[tuple(slice2)]) / 2.0, axis=axis)
