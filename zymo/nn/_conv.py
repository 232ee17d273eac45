"""Convolution as three recorded primitives, channels last: ``conv``, and its two adjoints.

``conv(x, w, b)`` maps ``x`` ``(batch, *spatial, in)`` and ``w``
``(out, *kernel, in // groups)`` to ``(batch, *out_spatial, out)``: a strided
view of the padded input gathered into columns (im2col) and one matrix
product per group. Its reverse rules are the other two primitives, which
are linear in each argument as well:

- ``conv_input_grad(g, w)``: the adjoint of ``conv`` in ``x`` (the transposed
  convolution), columns ``g @ w`` scattered back onto the input;
- ``conv_weight_grad(x, g)``: the adjoint of ``conv`` in ``w``, ``g.T @ columns``.

Each primitive's derivatives are written with the three primitives, so every
order and every nesting of forward and reverse mode is exact. The reverse
rules read only ``x`` and ``w`` (never the columns, which are rebuilt).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._rules.helpers import shape_of
from ..core.forward import defjvp
from ..core.primitive import Primitive
from ..core.reverse import defvjp

__all__ = ["ConvGeometry", "conv", "conv_input_grad", "conv_weight_grad", "output_size"]


@dataclass(frozen=True)
class ConvGeometry:
    """Stride, padding ``(before, after)``, dilation (one per spatial axis) and the number of groups."""

    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    groups: int = 1


def output_size(size: int, kernel: int, stride: int, pad: tuple[int, int], dilation: int) -> int:
    """The number of window positions along one axis (may be ``<= 0`` when the kernel does not fit)."""
    return (size + pad[0] + pad[1] - dilation * (kernel - 1) - 1) // stride + 1


def _pad(x: np.ndarray, padding) -> np.ndarray:
    if not any(lo or hi for lo, hi in padding):
        return x
    shape = (x.shape[0],) + tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[1:-1], padding)) + (x.shape[-1],)
    xp = np.zeros(shape, x.dtype)
    xp[_interior(x.shape, padding)] = x
    return xp


def _interior(shape, padding) -> tuple:
    return (slice(None),) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(shape[1:-1], padding)) + (slice(None),)


def _windows(xp: np.ndarray, kernel, out, geo: ConvGeometry) -> np.ndarray:
    """A read-only view ``(batch, *out, *kernel, channels)`` of every window of the padded input."""
    sb, *ss, sc = xp.strides
    strides = (sb, *(s * k for s, k in zip(ss, geo.stride)), *(s * d for s, d in zip(ss, geo.dilation)), sc)
    shape = (xp.shape[0], *out, *kernel, xp.shape[-1])
    return as_strided(xp, shape, strides, writeable=False)


def _columns(x: np.ndarray, kernel, out, geo: ConvGeometry) -> np.ndarray:
    """im2col: ``(groups, batch * prod(out), prod(kernel) * in // groups)`` (one contiguous copy)."""
    win = _windows(_pad(x, geo.padding), kernel, out, geo)
    n, kk, c, g = x.shape[0] * math.prod(out), math.prod(kernel), x.shape[-1], geo.groups
    if g == 1:
        return np.ascontiguousarray(win).reshape(1, n, kk * c)
    cols = np.ascontiguousarray(np.moveaxis(win.reshape(n, kk, g, c // g), 2, 0))
    return cols.reshape(g, n, kk * (c // g))


def _out_spatial(x_shape, kernel, geo: ConvGeometry) -> tuple[int, ...]:
    return tuple(
        output_size(s, k, st, p, d)
        for s, k, st, p, d in zip(x_shape[1:-1], kernel, geo.stride, geo.padding, geo.dilation)
    )


def _grouped_weight(w: np.ndarray, groups: int) -> np.ndarray:
    """``(out, *kernel, in_g)`` as ``(groups, out // groups, prod(kernel) * in_g)``."""
    return w.reshape(groups, w.shape[0] // groups, -1)


def _conv_impl(x, w, b=None, *, geometry: ConvGeometry):
    kernel = w.shape[1:-1]
    out = _out_spatial(x.shape, kernel, geometry)
    cols = _columns(x, kernel, out, geometry)
    wg = _grouped_weight(w, geometry.groups)
    if geometry.groups == 1:
        y = cols[0] @ np.ascontiguousarray(wg[0].T)
    else:
        y = np.matmul(cols, wg.transpose(0, 2, 1)).transpose(1, 0, 2).reshape(cols.shape[1], -1)
    if b is not None:
        y += b
    return y.reshape(x.shape[0], *out, w.shape[0])


def _flipped_weight(w: np.ndarray, groups: int) -> np.ndarray:
    """The weight of the convolution from ``out`` channels to ``in`` channels with the kernel reversed."""
    cout, *kernel, cg = w.shape
    wg = w.reshape(groups, cout // groups, *kernel, cg)[
        (slice(None), slice(None)) + (slice(None, None, -1),) * len(kernel)
    ]
    wg = wg.transpose(0, wg.ndim - 1, *range(2, wg.ndim - 1), 1)
    return np.ascontiguousarray(wg).reshape(groups * cg, *kernel, cout // groups)


def _input_grad_impl(g, w, *, geometry: ConvGeometry, x_shape: tuple[int, ...]):
    kernel, groups = w.shape[1:-1], geometry.groups
    reach = [d * (k - 1) for d, k in zip(geometry.dilation, kernel)]
    full = tuple((r - lo, r - hi) for r, (lo, hi) in zip(reach, geometry.padding))
    out = g.shape[1:-1]
    fits = all(o + lo + hi - r == s for o, (lo, hi), r, s in zip(out, full, reach, x_shape[1:-1]))
    # Worth it when the input has at least as many channels as the output: the columns are then no wider.
    narrow = g.shape[-1] <= x_shape[-1]
    if narrow and all(s == 1 for s in geometry.stride) and all(p >= 0 for pair in full for p in pair) and fits:
        # With stride 1 the adjoint is itself a convolution: the gradient, padded, with the kernel reversed.
        geo = ConvGeometry(geometry.stride, full, geometry.dilation, groups)
        return _conv_impl(g, _flipped_weight(w, groups), geometry=geo)
    return _scatter_columns(g, w, geometry, x_shape)


def _scatter_columns(g, w, geometry: ConvGeometry, x_shape):
    """col2im: the columns ``g @ w`` added back onto the (padded) input they were read from."""
    kernel, groups = w.shape[1:-1], geometry.groups
    out = g.shape[1:-1]
    n = g.shape[0] * math.prod(out)
    wg = _grouped_weight(w, groups)
    dt = np.result_type(g, w)
    if groups == 1:
        dcols = g.reshape(n, -1) @ wg[0]
    else:
        gg = np.ascontiguousarray(g.reshape(n, groups, -1).transpose(1, 0, 2))
        dcols = np.moveaxis(np.matmul(gg, wg).reshape(groups, n, math.prod(kernel), -1), 0, 2)
    dcols = dcols.reshape(g.shape[0], *out, *kernel, x_shape[-1])
    padded = (x_shape[0],) + tuple(s + lo + hi for s, (lo, hi) in zip(x_shape[1:-1], geometry.padding))
    dxp = np.zeros(padded + (x_shape[-1],), dt)
    nd = len(kernel)
    for k in itertools.product(*(range(s) for s in kernel)):
        where = tuple(
            slice(ki * d, ki * d + st * (o - 1) + 1, st)
            for ki, d, st, o in zip(k, geometry.dilation, geometry.stride, out)
        )
        dxp[(slice(None),) + where] += dcols[(slice(None),) * (1 + nd) + k]
    if dxp.shape == tuple(x_shape):
        return dxp
    return np.ascontiguousarray(dxp[_interior(x_shape, geometry.padding)])


def _weight_grad_impl(x, g, *, geometry: ConvGeometry, w_shape: tuple[int, ...]):
    kernel, groups = w_shape[1:-1], geometry.groups
    cols = _columns(x, kernel, g.shape[1:-1], geometry)
    gg = g.reshape(cols.shape[1], groups, -1)
    # (columns.T @ g).T: OpenBLAS is several times faster with the long axis inside than with g.T @ columns.
    if groups == 1:
        dw = (cols[0].T @ gg[:, 0]).T
    else:
        dw = np.matmul(cols.transpose(0, 2, 1), np.ascontiguousarray(gg.transpose(1, 0, 2))).transpose(0, 2, 1)
    return np.ascontiguousarray(dw).reshape(w_shape)


conv = Primitive(_conv_impl, "conv")
conv_input_grad = Primitive(_input_grad_impl, "conv_input_grad")
conv_weight_grad = Primitive(_weight_grad_impl, "conv_weight_grad")


def _bias_grad(g, ans, x, w, b=None, *, geometry):
    return np.sum(g, axis=tuple(range(len(shape_of(g)) - 1)))


defvjp(
    conv,
    lambda g, ans, x, w, b=None, *, geometry: conv_input_grad(g, w, geometry=geometry, x_shape=shape_of(x)),
    lambda g, ans, x, w, b=None, *, geometry: conv_weight_grad(x, g, geometry=geometry, w_shape=shape_of(w)),
    _bias_grad,
    saves=(0, 1),
)
defjvp(
    conv,
    lambda t, ans, x, w, b=None, *, geometry: conv(t, w, geometry=geometry),
    lambda t, ans, x, w, b=None, *, geometry: conv(x, t, geometry=geometry),
    lambda t, ans, x, w, b=None, *, geometry: np.broadcast_to(t, shape_of(ans)),
)

defvjp(
    conv_input_grad,
    lambda h, ans, g, w, *, geometry, x_shape: conv(h, w, geometry=geometry),
    lambda h, ans, g, w, *, geometry, x_shape: conv_weight_grad(h, g, geometry=geometry, w_shape=shape_of(w)),
    saves=(0, 1),
)
defjvp(
    conv_input_grad,
    lambda t, ans, g, w, *, geometry, x_shape: conv_input_grad(t, w, geometry=geometry, x_shape=x_shape),
    lambda t, ans, g, w, *, geometry, x_shape: conv_input_grad(g, t, geometry=geometry, x_shape=x_shape),
)

defvjp(
    conv_weight_grad,
    lambda h, ans, x, g, *, geometry, w_shape: conv_input_grad(g, h, geometry=geometry, x_shape=shape_of(x)),
    lambda h, ans, x, g, *, geometry, w_shape: conv(x, h, geometry=geometry),
    saves=(0, 1),
)
defjvp(
    conv_weight_grad,
    lambda t, ans, x, g, *, geometry, w_shape: conv_weight_grad(t, g, geometry=geometry, w_shape=w_shape),
    lambda t, ans, x, g, *, geometry, w_shape: conv_weight_grad(x, t, geometry=geometry, w_shape=w_shape),
)
