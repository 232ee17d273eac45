"""Rules behind ``zymo.scipy.signal``: ``convolve``, ``correlate``, ``fftconvolve``.

One primitive computes SciPy's value. Every mode is a window of the full
convolution, so the cotangent is placed into the full output's shape and taken
back through the adjoint of a convolution: a convolution with the flipped other
input over the valid range (with the same method, so the rules differentiate
again). Correlation is convolution with the flipped, conjugated second input.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.signal as _ss
from numpy.lib.array_utils import normalize_axis_tuple
from numpy.typing import ArrayLike

from ..core.forward import defjvp
from ..core.primitive import Primitive
from ..core.reverse import defvjp
from .helpers import has_tracer, is_complex, keep_real_cotangents, shape_of, unbroadcast

__all__ = ["convolve", "correlate", "fftconvolve"]

Array = np.ndarray  # or a traced value, which behaves as one
_MODES = ("full", "same", "valid")


def _impl(in1, in2, kind="convolve", mode="full", method="auto", axes=None):
    if kind == "fftconvolve":
        return _ss.fftconvolve(in1, in2, mode=mode, axes=axes)
    return getattr(_ss, kind)(in1, in2, mode=mode, method=method)


def _full_window(g, s1, s2, mode, axes):
    """The cotangent of the full convolution: ``g`` placed where ``mode`` cut its window, zeros around it."""
    if mode == "full":
        return g
    widths = []
    for ax, n in enumerate(shape_of(g)):
        if ax not in axes:
            widths.append((0, 0))
            continue
        a, b = s1[ax], s2[ax]
        full = a + b - 1
        start = (full - a) // 2 if mode == "same" else min(a, b) - 1
        widths.append((start, full - start - n))
    return np.pad(g, widths)


def _adjoint(g, x, kind, method, axes):
    """``g`` correlated with ``x`` over the valid range (the transpose of convolving by ``x``)."""
    flipped = np.flip(x, axes)
    if kind == "fftconvolve":
        return conv_p(g, flipped, kind="fftconvolve", mode="valid", method=method, axes=axes)
    return conv_p(g, flipped, kind="convolve", mode="valid", method=method, axes=None)


def _kernel(in2, kind, axes):
    """The second input as convolution sees it (flipped and conjugated for correlation)."""
    if kind != "correlate":
        return in2
    return np.flip(np.conj(in2) if is_complex(in2) else in2, axes)


def _axes(in1, in2, axes):
    return tuple(range(len(shape_of(in1)))) if axes is None else axes


def _vjp_in1(g, ans, in1, in2, kind="convolve", mode="full", method="auto", axes=None):
    ax = _axes(in1, in2, axes)
    full = _full_window(g, shape_of(in1), shape_of(in2), mode, ax)
    return unbroadcast(_adjoint(full, _kernel(in2, kind, ax), kind, method, axes), in1)


def _vjp_in2(g, ans, in1, in2, kind="convolve", mode="full", method="auto", axes=None):
    ax = _axes(in1, in2, axes)
    full = _full_window(g, shape_of(in1), shape_of(in2), mode, ax)
    gk = unbroadcast(_adjoint(full, in1, kind, method, axes), in2)
    if kind != "correlate":
        return gk
    gk = np.flip(gk, ax)
    return np.conj(gk) if is_complex(gk) else gk


conv_p = Primitive(_impl, "scipy.signal.convolve")
defvjp(conv_p, _vjp_in1, _vjp_in2, saves=(0, 1))
keep_real_cotangents(conv_p)
defjvp(
    conv_p,
    lambda t, ans, in1, in2, **kw: conv_p(t, in2, **kw),
    lambda t, ans, in1, in2, **kw: conv_p(in1, t, **kw),
)


def _check_mode(mode: str) -> None:
    if mode not in _MODES:
        raise ValueError("acceptable mode flags are 'valid', 'same', or 'full'")


def convolve(in1: ArrayLike, in2: ArrayLike, mode: str = "full", method: str = "auto") -> Array:
    """``scipy.signal.convolve``: the N-D convolution of ``in1`` and ``in2`` (modes full, same, valid).

    Differentiable in both inputs, to any order; the values are SciPy's (with
    its choice of direct or FFT method).

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy import signal
        >>> zymo.grad(lambda x: signal.convolve(x, np.array([1.0, 2.0]), mode="valid").sum())(np.ones(3))
        array([2., 3., 1.])
    """
    if not has_tracer([in1, in2]):
        return _ss.convolve(in1, in2, mode=mode, method=method)
    _check_mode(mode)
    return conv_p(in1, in2, kind="convolve", mode=mode, method=method)


def correlate(in1: ArrayLike, in2: ArrayLike, mode: str = "full", method: str = "auto") -> Array:
    """``scipy.signal.correlate``: the N-D cross-correlation of ``in1`` and ``in2`` (modes full, same, valid).

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy import signal
        >>> zymo.grad(lambda x: signal.correlate(x, np.array([1.0, 2.0]), mode="valid").sum())(np.ones(3))
        array([1., 3., 2.])
    """
    if not has_tracer([in1, in2]):
        return _ss.correlate(in1, in2, mode=mode, method=method)
    _check_mode(mode)
    return conv_p(in1, in2, kind="correlate", mode=mode, method=method)


def fftconvolve(in1: ArrayLike, in2: ArrayLike, mode: str = "full", axes: int | Sequence[int] | None = None) -> Array:
    """``scipy.signal.fftconvolve``: convolution by FFT over ``axes`` (the others broadcast).

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy import signal
        >>> g = zymo.grad(lambda x: signal.fftconvolve(x, np.array([1.0, 2.0]), mode="same").sum())(np.ones(3))
        >>> np.round(g, 12)
        array([3., 3., 1.])
    """
    if not has_tracer([in1, in2]):
        return _ss.fftconvolve(in1, in2, mode=mode, axes=axes)
    _check_mode(mode)
    nd = len(shape_of(in1))
    if nd != len(shape_of(in2)):
        raise ValueError("in1 and in2 should have the same dimensionality")
    ax = tuple(range(nd)) if axes is None else tuple(sorted(normalize_axis_tuple(axes, nd)))
    return conv_p(in1, in2, kind="fftconvolve", mode=mode, method="fft", axes=ax)
