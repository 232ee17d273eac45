"""Activation functions, numerically stable: finite results and no overflow warnings at any finite input.

The ones whose derivative is cheaper from a saved value, or that need care to
stay finite (sigmoid, softplus, silu, gelu, relu, softmax, log_softmax), are
fused primitives with hand-derived derivatives: the elementwise ones give
their derivative to ``from_partials``, which makes the reverse, forward and
``zymo.jit`` rules from it, as for NumPy's own functions. The derivatives are
written with NumPy calls, so they differentiate again (second order and
beyond). The rest compose ``zymo.numpy`` operations. Every function takes
and returns plain arrays or traced values and keeps the input's dtype.
"""

from __future__ import annotations

import numpy as np

from .._rules.helpers import from_partials, mask_of
from ..core.forward import defjvp
from ..core.primitive import Primitive
from ..core.reverse import defvjp

__all__ = [
    "relu",
    "leaky_relu",
    "elu",
    "gelu",
    "sigmoid",
    "hard_sigmoid",
    "softplus",
    "silu",
    "tanh",
    "softmax",
    "log_softmax",
    "identity",
]


def _mask(cond, like):
    """A 0/1 array of ``like``'s dtype (comparisons give plain values, so masks carry no derivative)."""
    return mask_of(cond, like)


# --- relu ---------------------------------------------------------------------------------------
def _relu_impl(x):
    return np.maximum(x, 0)


relu_p = from_partials(_relu_impl, lambda ans, x: _mask(np.greater(ans, 0), ans), saves=("ans",), name="relu")


def relu(x):
    """``max(x, 0)``; its derivative at 0 is 0.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import relu
        >>> relu(np.array([-1.0, 0.0, 2.0]))
        array([0., 0., 2.])
    """
    return relu_p(x)


def leaky_relu(x, a: float = 0.01):
    """``x`` where positive, ``a * x`` elsewhere.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import leaky_relu
        >>> leaky_relu(np.array([-2.0, 3.0]), 0.1)
        array([-0.2,  3. ])
    """
    return np.where(np.greater(x, 0), x, a * x)


def elu(x, alpha: float = 1.0):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere (the exponential never overflows).

    Example:
        >>> import numpy as np
        >>> from zymo.nn import elu
        >>> elu(np.array([0.0, 1e300, -1e300]))
        array([ 0.e+000,  1.e+300, -1.e+000])
    """
    return np.where(np.greater(x, 0), x, alpha * np.expm1(np.minimum(x, 0)))


# --- sigmoid ------------------------------------------------------------------------------------
def _sigmoid_impl(x):
    # exp(-x) overflows to inf for very negative x, and 1 / (1 + inf) is the correct 0: only the
    # warning is wrong. This form is accurate in relative terms everywhere and 10x faster than
    # branching on the sign.
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


sigmoid_p = from_partials(_sigmoid_impl, lambda ans, x: ans * (1 - ans), saves=("ans",), name="sigmoid")


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``, computed without overflow.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import sigmoid
        >>> sigmoid(np.array([-1e4, 0.0, 1e4]))
        array([0. , 0.5, 1. ])
    """
    return sigmoid_p(x)


def hard_sigmoid(x):
    """The piecewise-linear sigmoid ``clip((x + 3) / 6, 0, 1)`` (as PyTorch's ``Hardsigmoid``).

    Example:
        >>> import numpy as np
        >>> from zymo.nn import hard_sigmoid
        >>> hard_sigmoid(np.array([-4.0, 0.0, 4.0]))
        array([0. , 0.5, 1. ])
    """
    return np.clip((x + 3) / 6, 0, 1)


# --- softplus -----------------------------------------------------------------------------------
def _softplus_impl(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


softplus_p = from_partials(_softplus_impl, lambda ans, x: sigmoid_p(x), saves=(0,), name="softplus")


def softplus(x):
    """``log(1 + exp(x))``, computed without overflow; its derivative is ``sigmoid(x)``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import softplus
        >>> softplus(np.array([-1e4, 0.0, 1e4]))
        array([0.00000000e+00, 6.93147181e-01, 1.00000000e+04])
    """
    return softplus_p(x)


# --- silu ---------------------------------------------------------------------------------------
# Fused although x * sigmoid(x) composed is a little faster: the composed backward forms g * x,
# which overflows at huge x, where the fused rule's x * (1 - s) is an exact 0.
def _silu_impl(x):
    return x * _sigmoid_impl(x)


def _silu_derivative(ans, x):
    s = sigmoid_p(x)
    return s * (1 + x * (1 - s))


silu_p = from_partials(_silu_impl, _silu_derivative, saves=(0,), name="silu")


def silu(x):
    """``x * sigmoid(x)`` (also called swish).

    Example:
        >>> import numpy as np
        >>> from zymo.nn import silu
        >>> silu(np.array([0.0, 1e4]))
        array([    0., 10000.])
    """
    return silu_p(x)


# --- gelu (tanh approximation) ------------------------------------------------------------------
_GELU_C = float(np.sqrt(2 / np.pi))
_GELU_CK = _GELU_C * 0.044715
_GELU_3CK = 3 * _GELU_CK
# Beyond this |x| the tanh is exactly +-1 in float64 and float32; clipping keeps the derivative finite.
_GELU_CLIP = 20.0


def _gelu_impl(x):
    # At huge |x| the cubic overflows to +-inf and tanh gives the exact +-1: only the warning is wrong.
    with np.errstate(over="ignore"):
        return 0.5 * x * (1 + np.tanh(x * (_GELU_C + _GELU_CK * (x * x))))


def _gelu_derivative(ans, x):
    xc = np.clip(x, -_GELU_CLIP, _GELU_CLIP)
    x2 = xc * xc
    t = np.tanh(xc * (_GELU_C + _GELU_CK * x2))
    return 0.5 * ((1 + t) + xc * (1 - t * t) * (_GELU_C + _GELU_3CK * x2))


gelu_p = from_partials(_gelu_impl, _gelu_derivative, saves=(0,), name="gelu")


def gelu(x):
    """Gaussian error linear unit, tanh approximation (Flux's ``gelu``, PyTorch's ``approximate="tanh"``).

    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``, finite at any finite ``x``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import gelu
        >>> gelu(np.array([-1e300, 0.0, 1e300]))
        array([-0.e+000,  0.e+000,  1.e+300])
    """
    return gelu_p(x)


def tanh(x):
    """The hyperbolic tangent (NumPy's, recorded with the derivative ``1 - tanh(x)**2`` from its output).

    Example:
        >>> import numpy as np
        >>> from zymo.nn import tanh
        >>> tanh(np.array([0.0, 1e4]))
        array([0., 1.])
    """
    return np.tanh(x)


def identity(x):
    """``x`` unchanged (the default activation of layers).

    Example:
        >>> from zymo.nn import identity
        >>> identity(3.0)
        3.0
    """
    return x


# --- softmax and log_softmax --------------------------------------------------------------------
def _shifted(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    # Entries more than the float range below the maximum become -inf: exp gives the right 0.
    with np.errstate(over="ignore"):
        return x - np.where(np.isfinite(m), m, 0)


def _softmax_impl(x, axis=-1):
    e = np.exp(_shifted(x, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax_impl(x, axis=-1):
    z = _shifted(x, axis)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


softmax_p = Primitive(_softmax_impl, "softmax")
defvjp(
    softmax_p,
    lambda g, ans, x, axis=-1: ans * (g - np.sum(g * ans, axis=axis, keepdims=True)),
    saves=("ans",),
)
defjvp(softmax_p, lambda t, ans, x, axis=-1: ans * (t - np.sum(t * ans, axis=axis, keepdims=True)))

log_softmax_p = Primitive(_log_softmax_impl, "log_softmax")
defvjp(
    log_softmax_p,
    lambda g, ans, x, axis=-1: g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True),
    saves=("ans",),
)
defjvp(log_softmax_p, lambda t, ans, x, axis=-1: t - np.sum(np.exp(ans) * t, axis=axis, keepdims=True))


def softmax(x, axis: int = -1):
    """``exp(x) / sum(exp(x))`` along ``axis``, shifted by the maximum so it never overflows.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import softmax
        >>> softmax(np.array([1e4, 1e4, -1e4]))
        array([0.5, 0.5, 0. ])
    """
    return softmax_p(x, axis=axis)


def log_softmax(x, axis: int = -1):
    """``x - logsumexp(x)`` along ``axis``: the logarithm of ``softmax``, finite where softmax underflows.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import log_softmax
        >>> log_softmax(np.array([0.0, 1e4]))
        array([-10000.,      0.])
    """
    return log_softmax_p(x, axis=axis)
