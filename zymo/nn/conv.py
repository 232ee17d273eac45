"""Convolution layers, channels last: ``Conv`` (1-D, 2-D, 3-D) and ``ConvTranspose``.

Inputs are ``(batch, *spatial, channels)``. Weights are ``(out, *kernel,
in // groups)`` for ``Conv`` and ``(in, *kernel, out // groups)`` for
``ConvTranspose`` (the weight of the convolution it transposes). A layer
made by ``nn.from_torch`` from ``torch.nn.Conv2d`` and friends is wrapped in
``ChannelsFirst`` and takes PyTorch's ``(batch, channels, *spatial)``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .._rules.helpers import shape_of
from ..core.errors import ShapeError, ZymoError, user_location
from ..seeding import generator_or_default
from . import init as _init
from ._conv import ConvGeometry, conv, conv_input_grad, output_size
from .activations import identity
from .module import Module, describe
from .precision import cast_input

__all__ = ["Conv", "ConvTranspose"]

Padding = int | str | tuple


def _per_axis(value, nd: int, name: str, layer: str) -> tuple[int, ...]:
    if isinstance(value, (int, np.integer)):
        value = (int(value),) * nd
    value = tuple(int(v) for v in value)
    if len(value) != nd or any(v < 1 for v in value):
        raise ZymoError(f"{layer}: {name} needs {nd} positive integers (one per spatial axis), got {value}")
    return value


def _kernel(kernel_size, layer: str) -> tuple[int, ...]:
    k = (int(kernel_size),) if isinstance(kernel_size, (int, np.integer)) else tuple(int(s) for s in kernel_size)
    if not 1 <= len(k) <= 3 or any(s < 1 for s in k):
        raise ZymoError(f"{layer}: kernel_size needs 1 to 3 positive sizes, got {kernel_size!r}")
    return k


def _padding_spec(padding, nd: int, layer: str):
    """``"same"``, ``"valid"``, or ``((before, after), ...)`` per spatial axis."""
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ZymoError(f'{layer}: padding must be "same", "valid", an integer or a tuple, got {padding!r}')
        return padding
    if isinstance(padding, (int, np.integer)):
        pairs = ((int(padding), int(padding)),) * nd
    else:
        padding = tuple(padding)
        if len(padding) != nd:
            raise ZymoError(f"{layer}: padding needs one entry per spatial axis ({nd}), got {padding!r}")
        pairs = tuple((int(p), int(p)) if isinstance(p, (int, np.integer)) else (int(p[0]), int(p[1])) for p in padding)
    if any(p < 0 for pair in pairs for p in pair):
        raise ZymoError(f"{layer}: padding must be non-negative, got {padding!r}")
    return pairs


def _same_padding(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """Padding that gives ``ceil(size / stride)`` outputs; the odd one goes after (as PyTorch and TensorFlow)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def _describe_padding(spec) -> str:
    if isinstance(spec, str):
        return repr(spec)
    if len({lo for lo, hi in spec} | {hi for lo, hi in spec}) == 1:
        return str(spec[0][0])
    if all(lo == hi for lo, hi in spec):
        return str(tuple(lo for lo, _ in spec))
    return str(spec)


class _ConvBase(Module):
    def _init_common(self, in_channels, out_channels, kernel_size, activation, stride, padding, dilation, groups):
        name = type(self).__name__
        self.kernel_size = _kernel(kernel_size, name)
        nd = len(self.kernel_size)
        self.stride = _per_axis(stride, nd, "stride", name)
        self.dilation = _per_axis(dilation, nd, "dilation", name)
        self.padding = _padding_spec(padding, nd, name)
        self.groups = int(groups)
        if self.groups < 1 or in_channels % self.groups or out_channels % self.groups:
            raise ZymoError(
                f"{name}: groups ({groups}) must divide both in_channels ({in_channels}) "
                f"and out_channels ({out_channels})"
            )
        self.activation = identity if activation is None else activation

    def _check_input(self, x, channels: int) -> tuple[int, ...]:
        shape = shape_of(x)
        nd = len(self.kernel_size)
        if len(shape) != nd + 2 or shape[-1] != channels:
            raise ShapeError(
                f"{self!r} expects an input (batch, {', '.join(['...'] * nd)}, {channels}) with {nd} spatial "
                f"axes and {channels} channels last, got shape {shape} (at {user_location()})"
            )
        return shape

    def _extras(self) -> str:
        nd = len(self.kernel_size)
        parts = [] if self.activation is identity else [describe(self.activation)]
        if self.stride != (1,) * nd:
            parts.append(f"stride={self.stride[0] if len(set(self.stride)) == 1 else self.stride}")
        if self.padding != ((0, 0),) * nd and self.padding != "valid":
            parts.append(f"padding={_describe_padding(self.padding)}")
        if self.dilation != (1,) * nd:
            parts.append(f"dilation={self.dilation[0] if len(set(self.dilation)) == 1 else self.dilation}")
        if self.groups != 1:
            parts.append(f"groups={self.groups}")
        if self.bias is None:
            parts.append("bias=False")
        return "".join(", " + p for p in parts)


class Conv(_ConvBase):
    """A convolution over 1, 2 or 3 spatial axes (as many as ``kernel_size`` has entries), channels last.

    Input ``(batch, *spatial, in_channels)``, output ``(batch, *out_spatial,
    out_channels)``, ``activation(conv(x) + bias)``. ``padding`` is
    ``"valid"`` (none), ``"same"`` (``ceil(size / stride)`` outputs), an
    integer for every side, one integer per axis, or ``(before, after)`` per
    axis. ``groups`` splits the channels into independent groups
    (``groups == in_channels`` is a depthwise convolution). The weight is
    ``(out_channels, *kernel_size, in_channels // groups)``, Glorot uniform by
    default; the bias starts at zero. One recorded operation whatever the
    options; its gradients and their derivatives are exact.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import Conv, relu
        >>> layer = Conv(3, 16, (3, 3), relu, padding="same", rng=np.random.default_rng(0))
        >>> layer
        Conv(3 => 16, (3, 3), relu, padding='same')
        >>> layer(np.ones((2, 32, 32, 3), np.float32)).shape
        (2, 32, 32, 16)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        activation: Callable = identity,
        *,
        stride: int | tuple[int, ...] = 1,
        padding: Padding = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        bias: bool = True,
        init: Callable = _init.glorot_uniform,
        rng: np.random.Generator | None = None,
        dtype=_init.DEFAULT_DTYPE,
    ):
        self._init_common(in_channels, out_channels, kernel_size, activation, stride, padding, dilation, groups)
        rng = generator_or_default(rng)
        w = init(rng, out_channels, in_channels // self.groups, *self.kernel_size, dtype=dtype)
        self.weight = np.ascontiguousarray(np.moveaxis(w, 1, -1))
        self.bias = np.zeros(out_channels, dtype) if bias else None

    @property
    def in_channels(self) -> int:
        return shape_of(self.weight)[-1] * self.groups

    @property
    def out_channels(self) -> int:
        return shape_of(self.weight)[0]

    def geometry(self, spatial: tuple[int, ...]) -> ConvGeometry:
        """The stride, padding, dilation and groups for an input of this spatial size."""
        pad = self.padding
        if pad == "valid":
            pad = ((0, 0),) * len(spatial)
        elif pad == "same":
            pad = tuple(map(_same_padding, spatial, self.kernel_size, self.stride, self.dilation))
        return ConvGeometry(self.stride, pad, self.dilation, self.groups)

    def __call__(self, x):
        x = cast_input(self, x, self.weight.dtype)
        shape = self._check_input(x, self.in_channels)
        geo = self.geometry(shape[1:-1])
        out = tuple(map(output_size, shape[1:-1], self.kernel_size, self.stride, geo.padding, self.dilation))
        if min(out) < 1:
            raise ShapeError(
                f"{self!r}: the kernel {self.kernel_size} (dilation {self.dilation}) does not fit the padded input "
                f"of spatial shape {shape[1:-1]} (at {user_location()})"
            )
        return self.activation(conv(x, self.weight, self.bias, geometry=geo))

    def __repr__(self) -> str:
        return f"Conv({self.in_channels} => {self.out_channels}, {self.kernel_size}{self._extras()})"


class ConvTranspose(_ConvBase):
    """The transposed convolution (the gradient of ``Conv`` with respect to its input), channels last.

    Input ``(batch, *spatial, in_channels)``; each spatial size becomes
    ``(size - 1) * stride - before - after + dilation * (kernel - 1) +
    output_padding + 1``, as PyTorch's ``ConvTranspose``. ``padding`` is an
    integer, one per axis, or ``(before, after)`` per axis. The weight is
    ``(in_channels, *kernel_size, out_channels // groups)``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import ConvTranspose
        >>> up = ConvTranspose(16, 3, (2, 2), stride=2, rng=np.random.default_rng(0))
        >>> up
        ConvTranspose(16 => 3, (2, 2), stride=2)
        >>> up(np.ones((1, 8, 8, 16), np.float32)).shape
        (1, 16, 16, 3)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        activation: Callable = identity,
        *,
        stride: int | tuple[int, ...] = 1,
        padding: int | tuple = 0,
        output_padding: int | tuple[int, ...] = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        bias: bool = True,
        init: Callable = _init.glorot_uniform,
        rng: np.random.Generator | None = None,
        dtype=_init.DEFAULT_DTYPE,
    ):
        if isinstance(padding, str):
            raise ZymoError(f"ConvTranspose: padding must be integers, got {padding!r}")
        self._init_common(in_channels, out_channels, kernel_size, activation, stride, padding, dilation, groups)
        nd = len(self.kernel_size)
        op = (int(output_padding),) * nd if isinstance(output_padding, (int, np.integer)) else tuple(output_padding)
        if len(op) != nd or any(not 0 <= p < max(s, d) for p, s, d in zip(op, self.stride, self.dilation)):
            raise ZymoError(
                f"ConvTranspose: output_padding must be below the stride or dilation, got {output_padding!r}"
            )
        self.output_padding = op
        rng = generator_or_default(rng)
        w = init(rng, in_channels, out_channels // self.groups, *self.kernel_size, dtype=dtype)
        self.weight = np.ascontiguousarray(np.moveaxis(w, 1, -1))
        self.bias = np.zeros(out_channels, dtype) if bias else None

    @property
    def in_channels(self) -> int:
        return shape_of(self.weight)[0]

    @property
    def out_channels(self) -> int:
        return shape_of(self.weight)[-1] * self.groups

    def __call__(self, x):
        x = cast_input(self, x, self.weight.dtype)
        shape = self._check_input(x, self.in_channels)
        out = tuple(
            (n - 1) * s - lo - hi + d * (k - 1) + op + 1
            for n, s, (lo, hi), d, k, op in zip(
                shape[1:-1], self.stride, self.padding, self.dilation, self.kernel_size, self.output_padding
            )
        )
        if min(out) < 1:
            raise ShapeError(
                f"{self!r}: the padding leaves no output for spatial shape {shape[1:-1]} (at {user_location()})"
            )
        geo = ConvGeometry(self.stride, self.padding, self.dilation, self.groups)
        y = conv_input_grad(x, self.weight, geometry=geo, x_shape=(shape[0], *out, self.out_channels))
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)

    def __repr__(self) -> str:
        extra = self._extras()
        if any(self.output_padding):
            extra += f", output_padding={self.output_padding}"
        return f"ConvTranspose({self.in_channels} => {self.out_channels}, {self.kernel_size}{extra})"
