"""Rules for the functions ``scipy.special`` writes in Python (they convert their inputs to plain arrays).

``logsumexp`` (with ``b=`` and ``return_sign=``), ``softmax``, ``log_softmax``,
``polygamma``, ``multigammaln`` and ``zeta`` are written with zymo's rules; on
plain arrays each calls SciPy's. ``zymo.scipy.special`` exports them with the
ufunc entries of ``scipy_special_ufuncs``.

Example:
    >>> import zymo, zymo.numpy as znp
    >>> from zymo._rules.scipy_special import logsumexp
    >>> zymo.grad(lambda x: logsumexp(x, b=znp.array([1.0, 3.0])))(znp.zeros(2))
    array([0.25, 0.75])
"""

from __future__ import annotations

import numpy as np
import scipy.special as _sc
from numpy.typing import ArrayLike
from scipy.special import _ufuncs

from .. import numpy as znp
from ..core.errors import unsupported
from ..core.forward import defjvp
from ..core.primitive import Primitive
from ..core.reverse import defvjp
from ..core.tracer import bottom, is_tracer
from . import scipy_special_ufuncs  # noqa: F401  (rules for the special functions used below)
from .helpers import has_tracer, shape_of
from .reductions import expand_to

__all__ = ["logsumexp", "softmax", "log_softmax", "polygamma", "multigammaln", "zeta"]


def _stop(x):
    """The plain value of ``x`` (a constant: the functions below are exact for any shift)."""
    return np.asarray(bottom(x))


def _logsumexp_impl(a, axis=None, keepdims=False):
    return _sc.logsumexp(a, axis=axis, keepdims=keepdims)


def _logsumexp_vjp(g, ans, a, axis=None, keepdims=False):
    shape = shape_of(a)
    return expand_to(g, shape, axis, keepdims) * np.exp(a - expand_to(ans, shape, axis, keepdims))


def _logsumexp_jvp(t, ans, a, axis=None, keepdims=False):
    return np.sum(t * np.exp(a - expand_to(ans, shape_of(a), axis, keepdims)), axis=axis, keepdims=keepdims)


# SciPy's own function computes the value (its rounding differs from log(sum(exp(a - max))) + max).
_logsumexp_p = Primitive(_logsumexp_impl, "scipy.special.logsumexp")
defvjp(_logsumexp_p, _logsumexp_vjp)
defjvp(_logsumexp_p, _logsumexp_jvp)


def logsumexp(
    a: ArrayLike,
    axis: int | tuple[int, ...] | None = None,
    b: ArrayLike | None = None,
    keepdims: bool = False,
    return_sign: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """``scipy.special.logsumexp``: ``log(sum(b * exp(a)))`` along ``axis``, computed stably.

    Differentiable in ``a`` and ``b``. With ``return_sign=True`` it returns
    ``(log|s|, sign(s))`` for the sum ``s`` (the sign has no derivative);
    without, a negative sum gives NaN, as in SciPy.

    Example:
        >>> import zymo.numpy as znp
        >>> from zymo.scipy.special import logsumexp
        >>> logsumexp(znp.array([0.0, 0.0]), b=znp.array([1.0, -3.0]), return_sign=True)
        (np.float64(0.6931471805599453), np.float64(-1.0))
    """
    if not has_tracer([a, b]):
        return _sc.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    if b is None and not return_sign:
        return _logsumexp_p(a, axis=axis, keepdims=keepdims)
    av = _stop(a)
    unused = None
    if b is not None:  # entries weighted by zero take no part, even where exp(a) overflows
        unused = np.broadcast_to(_stop(b), np.broadcast_shapes(av.shape, np.shape(bottom(b)))) == 0
        av = np.where(unused, -np.inf, av)
    m = np.amax(av, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    if unused is not None and unused.any():
        a = np.where(unused, m, a)
    terms = np.exp(a - m)
    if b is not None:
        terms = b * terms
    s = np.sum(terms, axis=axis, keepdims=keepdims)
    shift = m if keepdims else np.squeeze(m, axis=axis if axis is not None else None)
    sign = np.sign(_stop(s))
    if return_sign:
        return _as_scipy_returns(np.log(np.abs(s)) + shift, keepdims), sign
    return _as_scipy_returns(np.log(s) + shift, keepdims)


# SciPy's functions compute the values (with a shift read from the data, which a rule need not repeat)
_softmax_p = Primitive(lambda x, axis=None: _sc.softmax(x, axis=axis), "scipy.special.softmax")
defvjp(_softmax_p, lambda g, ans, x, axis=None: ans * (g - np.sum(g * ans, axis=axis, keepdims=True)), saves=("ans",))
defjvp(_softmax_p, lambda t, ans, x, axis=None: ans * (t - np.sum(t * ans, axis=axis, keepdims=True)))

_log_softmax_p = Primitive(lambda x, axis=None: _sc.log_softmax(x, axis=axis), "scipy.special.log_softmax")
defvjp(
    _log_softmax_p, lambda g, ans, x, axis=None: g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True), saves=("ans",)
)
defjvp(_log_softmax_p, lambda t, ans, x, axis=None: t - np.sum(np.exp(ans) * t, axis=axis, keepdims=True))


def _as_scipy_returns(r, keepdims: bool):
    """A scalar where SciPy's ``logsumexp`` returns one (no axis left), else an array."""
    if np.ndim(bottom(r)) != 0:
        return r
    return znp.asarray(r) if keepdims else r[()]


def log_softmax(x: ArrayLike, axis: int | tuple[int, ...] | None = None) -> np.ndarray:
    """``scipy.special.log_softmax``: ``x - logsumexp(x, axis, keepdims=True)``.

    Example:
        >>> import zymo.numpy as znp
        >>> from zymo.scipy.special import log_softmax
        >>> log_softmax(znp.array([0.0, 0.0]))
        array([-0.69314718, -0.69314718])
    """
    return _log_softmax_p(x, axis=axis)


def softmax(x: ArrayLike, axis: int | tuple[int, ...] | None = None) -> np.ndarray:
    """``scipy.special.softmax``: ``exp(x - logsumexp(x, axis, keepdims=True))``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> from zymo.scipy.special import softmax
        >>> zymo.grad(lambda x: softmax(x)[0])(znp.zeros(2))
        array([ 0.25, -0.25])
    """
    return _softmax_p(x, axis=axis)


def zeta(x: ArrayLike, q: ArrayLike | None = None) -> np.ndarray:
    """``scipy.special.zeta``: the Hurwitz zeta function, differentiable in ``q`` (not in ``x``).

    Example:
        >>> import zymo
        >>> from zymo.scipy.special import zeta
        >>> float(zymo.grad(lambda q: zeta(3.0, q))(1.0))  # -3 zeta(4)
        -3.2469697011334144
    """
    if q is None:
        if is_tracer(x):
            raise unsupported("scipy.special.zeta with respect to x", "pass x through zymo.stop_gradient")
        return _sc.zeta(x)
    return _ufuncs._zeta(x, q)


def polygamma(n: ArrayLike, x: ArrayLike) -> np.ndarray:
    """``scipy.special.polygamma``: the ``n``-th derivative of ``digamma``, differentiable in ``x``.

    ``n`` is a non-negative integer (or array of them) and has no derivative.

    Example:
        >>> import zymo
        >>> from zymo.scipy.special import polygamma
        >>> float(zymo.grad(lambda x: polygamma(0, x))(1.0))  # pi**2 / 6
        1.6449340668482266
    """
    if is_tracer(n):
        raise unsupported("scipy.special.polygamma with respect to n", "pass n through zymo.stop_gradient")
    if not is_tracer(x):
        return _sc.polygamma(n, x)
    n = np.asarray(n)
    higher = (-1.0) ** (n + 1) * _sc.gamma(n + 1.0) * _ufuncs._zeta(n + 1.0, x)
    if n.ndim == 0:  # one branch only: the other one's derivative may be infinite where it is not taken
        return znp.asarray(_sc.digamma(x) if n == 0 else higher)  # an array, as SciPy's ``where`` gives
    return np.where(n == 0, _sc.digamma(x), higher)


def multigammaln(a: ArrayLike, d: int) -> np.ndarray:
    """``scipy.special.multigammaln``: the log of the multivariate gamma function, differentiable in ``a``.

    Example:
        >>> import zymo
        >>> from zymo.scipy.special import multigammaln
        >>> round(float(zymo.grad(lambda a: multigammaln(a, 2))(3.0)), 12)  # digamma(3) + digamma(2.5)
        1.625940975744
    """
    if not is_tracer(a):
        return _sc.multigammaln(a, d)
    d = np.asarray(d)[()]
    if not np.isscalar(d) or np.floor(d) != d:
        raise ValueError("d should be a positive integer (dimension)")
    if np.any(_stop(a) <= 0.5 * (d - 1)):
        raise ValueError(f"condition a ({_stop(a)}) > 0.5 * (d-1) ({0.5 * (d - 1)}) not met")
    res = (d * (d - 1) * 0.25) * np.log(np.pi)  # SciPy's operations in SciPy's order: the same rounding
    # a list made an array, as SciPy makes it: C order whatever a's layout (stack would keep a's)
    shifted = znp.array([a - (j - 1.0) / 2 for j in range(1, int(d) + 1)])
    return res + np.sum(_sc.gammaln(shifted), axis=0)
