"""Max pooling as two recorded primitives: ``pool_gather`` and its adjoint ``pool_scatter``.

Where each window's maximum lies is a property of the input ``x`` alone
(``Windows.argmax``): flat positions in the padded input, the first maximum
in the window's row-major order (PyTorch's choice among ties). Max pooling
is ``pool_gather(x, x)``: read ``x`` at those positions. ``pool_gather(h,
x)`` is linear in ``h`` and ``pool_scatter(g, x)`` (add ``g`` back at those
positions) is its adjoint, so each one's derivatives are the other; both
are constant in ``x`` (the positions move only where the function jumps).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._rules.helpers import dtype_of, shape_of
from ..core.forward import defjvp
from ..core.primitive import Primitive
from ..core.reverse import defvjp

__all__ = ["FixedWindows", "AdaptiveWindows", "pool_gather", "pool_scatter", "adaptive_bounds"]


def _fill(dtype) -> float:
    """The padding value that never wins a maximum."""
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


def _flat_positions(coords: list[np.ndarray], padded: tuple[int, ...]) -> np.ndarray:
    """Flat indices into an array of shape ``padded`` (batch, *spatial, channels) from spatial coordinates."""
    b = np.arange(padded[0]).reshape((-1,) + (1,) * (coords[0].ndim - 1))
    c = np.arange(padded[-1])
    flat = b
    for axis, coord in enumerate(coords):
        flat = flat * padded[1 + axis] + coord
    return flat * padded[-1] + c


@dataclass(frozen=True)
class FixedWindows:
    """Windows of one size: kernel, stride, padding ``(before, after)`` and dilation per spatial axis."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]

    def padded_shape(self, shape) -> tuple[int, ...]:
        return (shape[0],) + tuple(s + lo + hi for s, (lo, hi) in zip(shape[1:-1], self.padding)) + (shape[-1],)

    def out_spatial(self, shape) -> tuple[int, ...]:
        return tuple(
            (s + lo + hi - d * (k - 1) - 1) // st + 1
            for s, (lo, hi), k, st, d in zip(shape[1:-1], self.padding, self.kernel, self.stride, self.dilation)
        )

    def argmax(self, x: np.ndarray) -> np.ndarray:
        padded = self.padded_shape(x.shape)
        xp = x
        if padded != x.shape:
            xp = np.full(padded, _fill(x.dtype), x.dtype)
            xp[_interior(x.shape, self.padding)] = x
        out = self.out_spatial(x.shape)
        sb, *ss, sc = xp.strides
        strides = (sb, *(s * k for s, k in zip(ss, self.stride)), *(s * d for s, d in zip(ss, self.dilation)), sc)
        win = as_strided(xp, (x.shape[0], *out, *self.kernel, x.shape[-1]), strides, writeable=False)
        k = np.argmax(win.reshape(x.shape[0], *out, -1, x.shape[-1]), axis=-2)
        offsets = np.unravel_index(k, self.kernel)
        coords = []
        for axis, off in enumerate(offsets):
            o = np.arange(out[axis]).reshape((1,) + tuple(-1 if i == axis else 1 for i in range(len(out))) + (1,))
            coords.append(o * self.stride[axis] + off * self.dilation[axis])
        return _flat_positions(coords, padded)


def adaptive_bounds(size: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive windows along one axis: ``[floor(i * size / out), ceil((i + 1) * size / out))``."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


@dataclass(frozen=True)
class AdaptiveWindows:
    """One window per output cell, sized so that ``out`` cells cover the input (PyTorch's adaptive pooling)."""

    out: tuple[int, ...]
    padding: tuple[tuple[int, int], ...] = ()

    def padded_shape(self, shape) -> tuple[int, ...]:
        return tuple(shape)

    def out_spatial(self, shape) -> tuple[int, ...]:
        return self.out

    def argmax(self, x: np.ndarray) -> np.ndarray:
        nd = x.ndim - 2
        bounds = [adaptive_bounds(s, o) for s, o in zip(x.shape[1:-1], self.out)]
        coords = [np.empty((x.shape[0], *self.out, x.shape[-1]), np.intp) for _ in range(nd)]
        for cell in itertools.product(*(range(o) for o in self.out)):
            box = [bounds[a][i] for a, i in enumerate(cell)]
            region = x[(slice(None),) + tuple(slice(lo, hi) for lo, hi in box)]
            k = np.argmax(region.reshape(x.shape[0], -1, x.shape[-1]), axis=1)
            local = np.unravel_index(k, tuple(hi - lo for lo, hi in box))
            for a in range(nd):
                coords[a][(slice(None),) + cell] = local[a] + box[a][0]
        return _flat_positions(coords, x.shape)


def _interior(shape, padding) -> tuple:
    return (slice(None),) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(shape[1:-1], padding)) + (slice(None),)


def _gather_impl(h, x, *, windows):
    flat = windows.argmax(x)
    padded = windows.padded_shape(x.shape)
    hp = h
    if padded != h.shape:
        hp = np.zeros(padded, dtype_of(h))
        hp[_interior(h.shape, windows.padding)] = h
    return hp.reshape(-1)[flat]


def _scatter_impl(g, x, *, windows):
    flat = windows.argmax(x)
    padded = windows.padded_shape(x.shape)
    total = np.bincount(flat.reshape(-1), weights=g.reshape(-1), minlength=math.prod(padded))
    dx = total.astype(np.result_type(g, x), copy=False).reshape(padded)
    if padded == x.shape:
        return dx
    return np.ascontiguousarray(dx[_interior(x.shape, windows.padding)])


pool_gather = Primitive(_gather_impl, "pool_gather")
pool_scatter = Primitive(_scatter_impl, "pool_scatter")


defvjp(
    pool_gather,
    lambda g, ans, h, x, *, windows: pool_scatter(g, x, windows=windows),
    lambda g, ans, h, x, *, windows: np.zeros(shape_of(x), dtype_of(g)),
    saves=(1,),
)
defjvp(
    pool_gather,
    lambda t, ans, h, x, *, windows: pool_gather(t, x, windows=windows),
    lambda t, ans, h, x, *, windows: np.zeros(shape_of(ans), dtype_of(t)),
)
defvjp(
    pool_scatter,
    lambda h, ans, g, x, *, windows: pool_gather(h, x, windows=windows),
    lambda h, ans, g, x, *, windows: np.zeros(shape_of(x), dtype_of(h)),
    saves=(1,),
)
defjvp(
    pool_scatter,
    lambda t, ans, g, x, *, windows: pool_scatter(t, x, windows=windows),
    lambda t, ans, g, x, *, windows: np.zeros(shape_of(ans), dtype_of(t)),
)
