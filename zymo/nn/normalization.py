"""Normalisation layers, channels last, beyond ``LayerNorm``/``BatchNorm``: group, instance and RMS."""

from __future__ import annotations

import numpy as np

from .._rules.helpers import dtype_of, shape_of
from ..core.errors import ShapeError, ZymoError, user_location
from . import init as _init
from .layers import _normalized_shape, normalize_p
from .module import Module
from .precision import cast_input

__all__ = ["GroupNorm", "InstanceNorm", "RMSNorm"]


def _check_channels(layer, x, channels: int, min_rank: int) -> tuple[int, ...]:
    shape = shape_of(x)
    if len(shape) < min_rank or shape[-1] != channels:
        raise ShapeError(
            f"{layer!r} expects an input (batch, *spatial, {channels}) with channels last"
            f"{' and at least one spatial axis' if min_rank > 2 else ''}, got shape {shape} (at {user_location()})"
        )
    return shape


class GroupNorm(Module):
    """Normalise each sample over its spatial axes and the channels of each of ``groups`` groups.

    Input ``(batch, *spatial, channels)``; then ``* weight + bias`` per
    channel (``affine=True``), as PyTorch's ``GroupNorm(groups, channels)``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import GroupNorm
        >>> gn = GroupNorm(2, 4, dtype=np.float64)
        >>> gn
        GroupNorm(2, 4)
        >>> gn(np.random.default_rng(0).standard_normal((3, 5, 4))).shape
        (3, 5, 4)
    """

    def __init__(
        self, groups: int, channels: int, eps: float = 1e-5, affine: bool = True, *, dtype=_init.DEFAULT_DTYPE
    ):
        if groups < 1 or channels % groups:
            raise ZymoError(f"GroupNorm: groups ({groups}) must divide channels ({channels})")
        self.groups, self.channels, self.eps = int(groups), int(channels), float(eps)
        self.weight = np.ones(channels, dtype) if affine else None
        self.bias = np.zeros(channels, dtype) if affine else None

    def __call__(self, x):
        shape = _check_channels(self, x, self.channels, 2)
        if self.weight is not None:
            x = cast_input(self, x, self.weight.dtype)
        g = self.groups
        xg = np.reshape(x, shape[:-1] + (g, self.channels // g))
        axes = tuple(range(1, len(shape) - 1)) + (len(shape),)
        y = np.reshape(normalize_p(xg, axes=axes, eps=self.eps), shape)
        if self.weight is not None:
            y = y * self.weight + self.bias
        return y

    def __repr__(self) -> str:
        extra = "" if self.weight is not None else ", affine=False"
        return f"GroupNorm({self.groups}, {self.channels}{extra})"


class InstanceNorm(Module):
    """Normalise each sample and channel over the spatial axes: input ``(batch, *spatial, channels)``.

    ``affine=False`` by default, as PyTorch's ``InstanceNorm``; no running statistics.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import InstanceNorm
        >>> InstanceNorm(3)
        InstanceNorm(3)
        >>> y = InstanceNorm(3, dtype=np.float64)(np.random.default_rng(0).standard_normal((2, 4, 4, 3)))
        >>> bool(np.allclose(y.mean(axis=(1, 2)), 0))
        True
    """

    def __init__(self, channels: int, eps: float = 1e-5, affine: bool = False, *, dtype=_init.DEFAULT_DTYPE):
        self.channels, self.eps = int(channels), float(eps)
        self.weight = np.ones(channels, dtype) if affine else None
        self.bias = np.zeros(channels, dtype) if affine else None

    def __call__(self, x):
        shape = _check_channels(self, x, self.channels, 3)
        if self.weight is not None:
            x = cast_input(self, x, self.weight.dtype)
        y = normalize_p(x, axes=tuple(range(1, len(shape) - 1)), eps=self.eps)
        if self.weight is not None:
            y = y * self.weight + self.bias
        return y

    def __repr__(self) -> str:
        extra = ", affine=True" if self.weight is not None else ""
        return f"InstanceNorm({self.channels}{extra})"


class RMSNorm(Module):
    """``x / sqrt(mean(x ** 2) + eps) * weight`` over the trailing ``shape`` axes (PyTorch's ``RMSNorm``).

    ``eps=None`` uses the machine epsilon of the input's dtype, as PyTorch.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import RMSNorm
        >>> RMSNorm(4)
        RMSNorm(4)
        >>> RMSNorm(2, dtype=np.float64)(np.array([[3.0, 4.0]])).round(6)
        array([[0.848528, 1.131371]])
    """

    def __init__(self, shape, eps: float | None = None, affine: bool = True, *, dtype=_init.DEFAULT_DTYPE):
        self.shape = _normalized_shape(shape)
        self.eps = None if eps is None else float(eps)
        self.weight = np.ones(self.shape, dtype) if affine else None

    def __call__(self, x):
        shape, n = shape_of(x), len(self.shape)
        if len(shape) < n or tuple(shape[-n:]) != self.shape:
            raise ShapeError(
                f"{self!r} expects trailing axes of shape {self.shape}, got an input of shape {shape} "
                f"(at {user_location()})"
            )
        if self.weight is not None:
            x = cast_input(self, x, self.weight.dtype)
        dt = dtype_of(x)
        eps = np.finfo(dt).eps if self.eps is None else self.eps
        ms = np.mean(x * x, axis=tuple(range(-n, 0)), keepdims=True)
        y = x / np.sqrt(ms + np.asarray(eps, dt))
        if self.weight is not None:
            y = y * self.weight
        return y

    def __repr__(self) -> str:
        shape = self.shape[0] if len(self.shape) == 1 else self.shape
        extra = "" if self.eps is None else f", eps={self.eps}"
        extra += "" if self.weight is not None else ", affine=False"
        return f"RMSNorm({shape}{extra})"
