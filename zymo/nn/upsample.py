"""``Upsample``: resize the spatial axes (nearest or (bi/tri)linear), channels last, as PyTorch's ``Upsample``."""

from __future__ import annotations

import math

import numpy as np

from .._rules.helpers import dtype_of, shape_of
from ..core.errors import ShapeError, ZymoError, user_location
from .module import Module

__all__ = ["Upsample"]

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}


def _nearest_index(size: int, out: int, scale: float | None) -> np.ndarray:
    step = size / out if scale is None else 1 / scale
    return np.minimum(np.floor(np.arange(out) * step).astype(np.intp), size - 1)


def _linear_matrix(size: int, out: int, scale: float | None, align_corners: bool, dtype) -> np.ndarray:
    o = np.arange(out, dtype=np.float64)
    if align_corners:
        src = o * ((size - 1) / (out - 1)) if out > 1 else np.zeros(out)
    else:
        step = size / out if scale is None else 1 / scale
        src = np.maximum((o + 0.5) * step - 0.5, 0)
    lo = np.minimum(np.floor(src).astype(np.intp), size - 1)
    hi = np.minimum(lo + 1, size - 1)
    frac = src - lo
    a = np.zeros((out, size))
    np.add.at(a, (np.arange(out), lo), 1 - frac)
    np.add.at(a, (np.arange(out), hi), frac)
    return a.astype(dtype)


class Upsample(Module):
    """Resize the spatial axes of ``(batch, *spatial, channels)`` to ``size`` or by ``scale_factor``.

    ``mode`` is ``"nearest"`` (PyTorch's: source index ``floor(i / scale)``) or
    ``"linear"``/``"bilinear"``/``"trilinear"`` for 1, 2 or 3 spatial axes,
    with ``align_corners`` as PyTorch's. Linear modes are one matrix product
    per spatial axis.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import Upsample
        >>> up = Upsample(scale_factor=2)
        >>> up
        Upsample(scale_factor=2.0, mode='nearest')
        >>> up(np.arange(4.0).reshape(1, 2, 2, 1))[0, :, :, 0]
        array([[0., 0., 1., 1.],
               [0., 0., 1., 1.],
               [2., 2., 3., 3.],
               [2., 2., 3., 3.]])
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None):
        if (size is None) == (scale_factor is None):
            raise ZymoError("Upsample: give exactly one of size and scale_factor")
        if mode != "nearest" and mode not in _LINEAR:
            raise ZymoError(f"Upsample: mode must be 'nearest', 'linear', 'bilinear' or 'trilinear', got {mode!r}")
        if mode == "nearest" and align_corners:
            raise ZymoError("Upsample: align_corners applies to the linear modes only")
        self.size = None if size is None else ((int(size),) if isinstance(size, int) else tuple(map(int, size)))
        if scale_factor is None:
            self.scale_factor = None
        elif isinstance(scale_factor, (int, float)):
            self.scale_factor = float(scale_factor)
        else:
            self.scale_factor = tuple(map(float, scale_factor))
        self.mode = mode
        self.align_corners = bool(align_corners)

    def _plan(self, x):
        shape = shape_of(x)
        nd = len(shape) - 2
        if nd < 1 or (self.mode in _LINEAR and _LINEAR[self.mode] != nd):
            want = f"{_LINEAR[self.mode]} spatial axes" if self.mode in _LINEAR else "at least one spatial axis"
            raise ShapeError(
                f"{self!r} expects an input (batch, *spatial, channels) with {want}, got shape {shape} "
                f"(at {user_location()})"
            )
        if self.size is not None:
            if len(self.size) not in (1, nd):
                raise ShapeError(f"{self!r}: size has {len(self.size)} entries for {nd} spatial axes")
            out = self.size * nd if len(self.size) == 1 else self.size
            return shape, out, (None,) * nd
        scales = (self.scale_factor,) * nd if isinstance(self.scale_factor, float) else self.scale_factor
        if len(scales) != nd:
            raise ShapeError(f"{self!r}: scale_factor has {len(scales)} entries for {nd} spatial axes")
        return shape, tuple(math.floor(s * f) for s, f in zip(shape[1:-1], scales)), scales

    def __call__(self, x):
        shape, out, scales = self._plan(x)
        for axis, (size, o, scale) in enumerate(zip(shape[1:-1], out, scales)):
            if self.mode == "nearest":
                if o != size or scale not in (None, 1.0):
                    x = np.take(x, _nearest_index(size, o, scale), axis=axis + 1)
            else:
                a = _linear_matrix(size, o, None if self.align_corners else scale, self.align_corners, dtype_of(x))
                x = np.moveaxis(np.moveaxis(x, axis + 1, -1) @ a.T, -1, axis + 1)
        return x

    def __repr__(self) -> str:
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        corners = ", align_corners=True" if self.align_corners else ""
        return f"Upsample({what}, mode={self.mode!r}{corners})"
