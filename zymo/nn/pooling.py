"""Pooling layers, channels last: max and mean over fixed windows, adaptive windows, or everything.

Inputs are ``(batch, *spatial, channels)`` with as many spatial axes as the
window has entries. Among tied maxima the first in the window's row-major
order takes the gradient, as in PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

from .._rules.helpers import dtype_of, shape_of
from ..core.errors import ShapeError, ZymoError, user_location
from ._conv import ConvGeometry, conv
from ._pool import AdaptiveWindows, FixedWindows, adaptive_bounds, pool_gather
from .conv import _describe_padding, _kernel, _padding_spec, _per_axis
from .module import Module

__all__ = ["MaxPool", "MeanPool", "AdaptiveMaxPool", "AdaptiveMeanPool", "GlobalMaxPool", "GlobalMeanPool"]


def _check_rank(layer, x, nd: int) -> tuple[int, ...]:
    shape = shape_of(x)
    if len(shape) != nd + 2:
        raise ShapeError(
            f"{layer!r} expects an input (batch, {', '.join(['...'] * nd)}, channels) with {nd} spatial axes, "
            f"got shape {shape} (at {user_location()})"
        )
    return shape


class _WindowPool(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        name = type(self).__name__
        self.kernel_size = _kernel(kernel_size, name)
        nd = len(self.kernel_size)
        self.stride = self.kernel_size if stride is None else _per_axis(stride, nd, "stride", name)
        pad = _padding_spec(padding, nd, name)
        if isinstance(pad, str):
            raise ZymoError(f"{name}: padding must be integers, got {padding!r}")
        self.padding = pad
        self.dilation = _per_axis(dilation, nd, "dilation", name)

    def _windows(self, x) -> FixedWindows:
        shape = _check_rank(self, x, len(self.kernel_size))
        windows = FixedWindows(self.kernel_size, self.stride, self.padding, self.dilation)
        if min(windows.out_spatial(shape)) < 1:
            raise ShapeError(
                f"{self!r}: the window {self.kernel_size} does not fit the input of spatial shape {shape[1:-1]} "
                f"(at {user_location()})"
            )
        return windows

    def _extras(self) -> str:
        nd = len(self.kernel_size)
        parts = []
        if self.stride != self.kernel_size:
            parts.append(f"stride={self.stride[0] if len(set(self.stride)) == 1 else self.stride}")
        if self.padding != ((0, 0),) * nd:
            parts.append(f"padding={_describe_padding(self.padding)}")
        if self.dilation != (1,) * nd:
            parts.append(f"dilation={self.dilation[0] if len(set(self.dilation)) == 1 else self.dilation}")
        return "".join(", " + p for p in parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.kernel_size}{self._extras()})"


class MaxPool(_WindowPool):
    """The maximum over each window: ``kernel_size`` (one entry per spatial axis), ``stride`` (default the kernel).

    Padding (an integer, one per axis, or ``(before, after)`` per axis) never
    wins a maximum. One recorded operation; the gradient goes to the first
    maximum of each window (row-major order), as PyTorch's.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import MaxPool
        >>> pool = MaxPool((2, 2))
        >>> pool
        MaxPool((2, 2))
        >>> pool(np.arange(16.0).reshape(1, 4, 4, 1))[0, :, :, 0]
        array([[ 5.,  7.],
               [13., 15.]])
    """

    def __call__(self, x):
        return pool_gather(x, x, windows=self._windows(x))


class MeanPool(_WindowPool):
    """The mean over each window; ``count_include_pad`` (PyTorch's default) counts padding in the divisor.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import MeanPool
        >>> MeanPool((2,))(np.array([[[1.0], [3.0], [5.0], [7.0]]]))[0, :, 0]
        array([2., 6.])
    """

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad: bool = True):
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = bool(count_include_pad)

    def __call__(self, x):
        self._windows(x)
        shape, dt = shape_of(x), dtype_of(x)
        c, nd = shape[-1], len(self.kernel_size)
        geo = ConvGeometry(self.stride, self.padding, (1,) * nd, c)
        ones = np.ones((c, *self.kernel_size, 1), dt)
        if self.count_include_pad or self.padding == ((0, 0),) * nd:
            return conv(x, ones / np.asarray(math.prod(self.kernel_size), dt), geometry=geo)
        plain = ConvGeometry(self.stride, self.padding, (1,) * nd, 1)
        count = conv(np.ones((1, *shape[1:-1], 1), dt), np.ones((1, *self.kernel_size, 1), dt), geometry=plain)
        return conv(x, ones, geometry=geo) / count

    def __repr__(self) -> str:
        extra = "" if self.count_include_pad else ", count_include_pad=False"
        return f"MeanPool({self.kernel_size}{self._extras()}{extra})"


def _output_size(output_size, name: str) -> tuple:
    out = (output_size,) if isinstance(output_size, (int, np.integer)) or output_size is None else tuple(output_size)
    if not 1 <= len(out) <= 3 or any(o is not None and int(o) < 1 for o in out):
        raise ZymoError(
            f"{name}: output_size needs 1 to 3 positive sizes (None keeps the input's), got {output_size!r}"
        )
    return tuple(None if o is None else int(o) for o in out)


class _AdaptivePool(Module):
    def __init__(self, output_size):
        self.output_size = _output_size(output_size, type(self).__name__)

    def _out(self, x) -> tuple[int, ...]:
        shape = _check_rank(self, x, len(self.output_size))
        return tuple(s if o is None else o for s, o in zip(shape[1:-1], self.output_size))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.output_size})"


class AdaptiveMaxPool(_AdaptivePool):
    """The maximum over windows sized so that the output has ``output_size`` (PyTorch's adaptive windows).

    ``None`` in ``output_size`` keeps that axis's size. Ties as ``MaxPool``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import AdaptiveMaxPool
        >>> AdaptiveMaxPool((2, 1))(np.arange(12.0).reshape(1, 4, 3, 1)).shape
        (1, 2, 1, 1)
    """

    def __call__(self, x):
        return pool_gather(x, x, windows=AdaptiveWindows(self._out(x)))


def _averaging_matrix(size: int, out: int, dtype) -> np.ndarray:
    a = np.zeros((out, size), dtype)
    for i, (lo, hi) in enumerate(adaptive_bounds(size, out)):
        a[i, lo:hi] = 1 / (hi - lo)
    return a


class AdaptiveMeanPool(_AdaptivePool):
    """The mean over PyTorch's adaptive windows (one matrix product per spatial axis).

    Example:
        >>> import numpy as np
        >>> from zymo.nn import AdaptiveMeanPool
        >>> AdaptiveMeanPool((1,))(np.array([[[1.0], [2.0], [6.0]]]))[0, 0, 0]
        np.float64(3.0)
    """

    def __call__(self, x):
        shape, out = shape_of(x), self._out(x)
        for axis, (size, o) in enumerate(zip(shape[1:-1], out)):
            if size != o:
                a = _averaging_matrix(size, o, dtype_of(x))
                x = np.moveaxis(np.moveaxis(x, axis + 1, -1) @ a.T, -1, axis + 1)
        return x


class _GlobalPool(Module):
    def _spatial_axes(self, x) -> tuple[int, ...]:
        shape = shape_of(x)
        if len(shape) < 3:
            raise ShapeError(
                f"{self!r} expects an input (batch, *spatial, channels) with at least one spatial axis, "
                f"got shape {shape} (at {user_location()})"
            )
        return tuple(range(1, len(shape) - 1))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class GlobalMaxPool(_GlobalPool):
    """The maximum over every spatial axis: ``(batch, *spatial, channels) -> (batch, channels)``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import GlobalMaxPool
        >>> GlobalMaxPool()(np.arange(8.0).reshape(1, 2, 2, 2))
        array([[6., 7.]])
    """

    def __call__(self, x):
        axes = self._spatial_axes(x)
        y = pool_gather(x, x, windows=AdaptiveWindows((1,) * len(axes)))
        return np.reshape(y, (shape_of(x)[0], shape_of(x)[-1]))


class GlobalMeanPool(_GlobalPool):
    """The mean over every spatial axis: ``(batch, *spatial, channels) -> (batch, channels)``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import GlobalMeanPool
        >>> GlobalMeanPool()(np.arange(8.0).reshape(1, 2, 2, 2))
        array([[3., 4.]])
    """

    def __call__(self, x):
        return np.mean(x, axis=self._spatial_axes(x))
