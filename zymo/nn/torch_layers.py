"""``from_torch``/``to_torch`` for every layer: convolution, pooling, normalisation, attention and recurrent.

PyTorch is imported only when these functions run. Layers that PyTorch
applies to ``(batch, channels, *spatial)`` come back wrapped in
``ChannelsFirst``, so a converted layer takes PyTorch's layout and call
signature; ``to_torch`` accepts the layer with or without that wrapper.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..core.errors import ZymoError
from .conv import Conv, ConvTranspose
from .layout import ChannelsFirst
from .normalization import GroupNorm, InstanceNorm, RMSNorm
from .pooling import AdaptiveMaxPool, AdaptiveMeanPool, MaxPool, MeanPool
from .recurrent import torch_convert as _recurrent
from .upsample import Upsample

__all__ = ["from_torch", "to_torch", "register_torch_conversion"]

_FROM: dict[str, Callable] = {}
_TO: dict[type, Callable] = {}


def register_torch_conversion(
    torch_names: tuple[str, ...], zymo_type: type, from_fn: Callable, to_fn: Callable
) -> None:
    """Register how ``torch.nn.<name>`` modules become zymo layers of ``zymo_type`` and back."""
    for name in torch_names:
        _FROM[name] = from_fn
    _TO[zymo_type] = to_fn


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


def _torch_dtype(a):
    import torch

    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[np.dtype(a.dtype)]


def _put(param, value) -> None:
    import torch

    param.data.copy_(torch.from_numpy(np.ascontiguousarray(value)))


def from_torch(module):
    """The zymo equivalent of a PyTorch module, with its weights copied.

    Convolutions, pooling, ``Upsample`` and ``GroupNorm``/``InstanceNorm`` come
    wrapped in ``ChannelsFirst`` (PyTorch's layout); ``MultiheadAttention`` and
    ``TransformerEncoderLayer`` keep PyTorch's call signature and masks;
    recurrent modules convert as described in ``zymo.nn.recurrent``.

    Example:
        >>> import torch, zymo
        >>> torch.manual_seed(0) and None
        >>> zymo.nn.from_torch(torch.nn.Conv2d(3, 8, 3, padding=1))
        ChannelsFirst(Conv(3 => 8, (3, 3), padding=1))
    """
    fn = _FROM.get(type(module).__name__)
    if fn is not None and type(module).__module__.startswith("torch."):
        return fn(module)
    return _recurrent.from_torch(module)


def to_torch(layer):
    """A PyTorch module computing the same function as a zymo layer, in PyTorch's layout.

    Example:
        >>> import numpy as np, zymo
        >>> zymo.nn.to_torch(zymo.nn.Conv(3, 8, (3, 3), rng=np.random.default_rng(0)))
        Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))
    """
    inner = layer.layer if isinstance(layer, ChannelsFirst) else layer
    fn = _TO.get(type(inner))
    if fn is not None:
        return fn(inner)
    return _recurrent.to_torch(layer)


# --- convolution ----------------------------------------------------------------------------


def _conv_from(m):
    if m.padding_mode != "zeros":
        raise ZymoError(f"from_torch: {type(m).__name__} with padding_mode={m.padding_mode!r} has no zymo equivalent")
    transposed = type(m).__name__.startswith("ConvTranspose")
    w = _np(m.weight)
    cls = ConvTranspose if transposed else Conv
    kw = {"output_padding": tuple(m.output_padding)} if transposed else {}
    layer = cls(
        m.in_channels,
        m.out_channels,
        tuple(m.kernel_size),
        stride=tuple(m.stride),
        padding=m.padding if isinstance(m.padding, str) else tuple(m.padding),
        dilation=tuple(m.dilation),
        groups=m.groups,
        bias=m.bias is not None,
        rng=np.random.default_rng(0),
        dtype=w.dtype,
        **kw,
    )
    layer.weight = np.ascontiguousarray(np.moveaxis(w, 1, -1))
    if m.bias is not None:
        layer.bias = _np(m.bias)
    return ChannelsFirst(layer)


def _conv_to(layer):
    import torch.nn as tnn

    nd = len(layer.kernel_size)
    transposed = isinstance(layer, ConvTranspose)
    pad = layer.padding
    if not isinstance(pad, str):
        if any(lo != hi for lo, hi in pad):
            raise ZymoError(f"to_torch: {layer!r} pads unequally before and after; PyTorch's layers cannot")
        pad = tuple(lo for lo, _ in pad)
    elif pad == "same" and layer.stride != (1,) * nd:
        raise ZymoError(f"to_torch: PyTorch supports padding='same' only with stride 1, not {layer!r}")
    kind = getattr(tnn, f"{'ConvTranspose' if transposed else 'Conv'}{nd}d")
    kw = {"output_padding": layer.output_padding} if transposed else {}
    m = kind(
        layer.in_channels,
        layer.out_channels,
        layer.kernel_size,
        stride=layer.stride,
        padding=pad,
        dilation=layer.dilation,
        groups=layer.groups,
        bias=layer.bias is not None,
        dtype=_torch_dtype(layer.weight),
        **kw,
    )
    _put(m.weight, np.moveaxis(layer.weight, -1, 1))
    if layer.bias is not None:
        _put(m.bias, layer.bias)
    return m


register_torch_conversion(
    ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"), Conv, _conv_from, _conv_to
)
_TO[ConvTranspose] = _conv_to


# --- pooling --------------------------------------------------------------------------------


def _nd(m) -> int:
    return int(type(m).__name__[-2])


def _tuple(v, nd: int) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd


def _refuse(m, **flags) -> None:
    for name, bad in flags.items():
        if bad:
            raise ZymoError(f"from_torch: {type(m).__name__} with {name} has no zymo equivalent")


def _maxpool_from(m):
    _refuse(m, return_indices=m.return_indices, ceil_mode=m.ceil_mode)
    nd = _nd(m)
    stride = _tuple(m.stride if m.stride is not None else m.kernel_size, nd)
    k, pad, dil = (_tuple(v, nd) for v in (m.kernel_size, m.padding, m.dilation))
    return ChannelsFirst(MaxPool(k, stride, pad, dil))


def _maxpool_to(layer):
    import torch.nn as tnn

    nd = len(layer.kernel_size)
    kind = getattr(tnn, f"MaxPool{nd}d")
    return kind(layer.kernel_size, layer.stride, _symmetric(layer), layer.dilation)


def _symmetric(layer) -> tuple[int, ...]:
    if any(lo != hi for lo, hi in layer.padding):
        raise ZymoError(f"to_torch: {layer!r} pads unequally before and after; PyTorch's layers cannot")
    return tuple(lo for lo, _ in layer.padding)


def _avgpool_from(m):
    _refuse(m, ceil_mode=m.ceil_mode, divisor_override=getattr(m, "divisor_override", None))
    nd = _nd(m)
    stride = _tuple(m.stride if m.stride is not None else m.kernel_size, nd)
    k, pad = _tuple(m.kernel_size, nd), _tuple(m.padding, nd)
    return ChannelsFirst(MeanPool(k, stride, pad, count_include_pad=m.count_include_pad))


def _avgpool_to(layer):
    import torch.nn as tnn

    kind = getattr(tnn, f"AvgPool{len(layer.kernel_size)}d")
    return kind(layer.kernel_size, layer.stride, _symmetric(layer), count_include_pad=layer.count_include_pad)


def _adaptive_from(cls):
    def convert(m):
        _refuse(m, return_indices=getattr(m, "return_indices", False))
        return ChannelsFirst(cls(_tuple(m.output_size, _nd(m))))

    return convert


def _adaptive_to(prefix):
    def convert(layer):
        import torch.nn as tnn

        return getattr(tnn, f"{prefix}{len(layer.output_size)}d")(layer.output_size)

    return convert


register_torch_conversion(("MaxPool1d", "MaxPool2d", "MaxPool3d"), MaxPool, _maxpool_from, _maxpool_to)
register_torch_conversion(("AvgPool1d", "AvgPool2d", "AvgPool3d"), MeanPool, _avgpool_from, _avgpool_to)
register_torch_conversion(
    ("AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d"),
    AdaptiveMaxPool,
    _adaptive_from(AdaptiveMaxPool),
    _adaptive_to("AdaptiveMaxPool"),
)
register_torch_conversion(
    ("AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d"),
    AdaptiveMeanPool,
    _adaptive_from(AdaptiveMeanPool),
    _adaptive_to("AdaptiveAvgPool"),
)


# --- normalisation and resizing -------------------------------------------------------------


def _affine_from(layer, m, names=("weight", "bias")) -> None:
    for name in names:
        p = getattr(m, name, None)
        if p is not None:
            setattr(layer, name, _np(p))


def _groupnorm_from(m):
    dtype = m.weight.detach().numpy().dtype if m.affine else np.float32
    layer = GroupNorm(m.num_groups, m.num_channels, m.eps, m.affine, dtype=dtype)
    _affine_from(layer, m)
    return ChannelsFirst(layer)


def _groupnorm_to(layer):
    import torch.nn as tnn

    affine = layer.weight is not None
    m = tnn.GroupNorm(
        layer.groups, layer.channels, layer.eps, affine, dtype=_torch_dtype(layer.weight) if affine else None
    )
    if affine:
        _put(m.weight, layer.weight)
        _put(m.bias, layer.bias)
    return m


def _instancenorm_from(m):
    _refuse(m, track_running_stats=m.track_running_stats)
    dtype = m.weight.detach().numpy().dtype if m.affine else np.float32
    layer = InstanceNorm(m.num_features, m.eps, m.affine, dtype=dtype)
    _affine_from(layer, m)
    return ChannelsFirst(layer)


def _instancenorm_to(layer, nd: int = 2):
    import torch.nn as tnn

    affine = layer.weight is not None
    kind = getattr(tnn, f"InstanceNorm{nd}d")
    m = kind(layer.channels, layer.eps, affine=affine, dtype=_torch_dtype(layer.weight) if affine else None)
    if affine:
        _put(m.weight, layer.weight)
        _put(m.bias, layer.bias)
    return m


def _rmsnorm_from(m):
    affine = m.weight is not None
    dtype = m.weight.detach().numpy().dtype if affine else np.float32
    layer = RMSNorm(tuple(m.normalized_shape), m.eps, affine, dtype=dtype)
    _affine_from(layer, m, ("weight",))
    return layer


def _rmsnorm_to(layer):
    import torch.nn as tnn

    affine = layer.weight is not None
    dtype = _torch_dtype(layer.weight) if affine else None
    m = tnn.RMSNorm(layer.shape, layer.eps, elementwise_affine=affine, dtype=dtype)
    if affine:
        _put(m.weight, layer.weight)
    return m


def _upsample_from(m):
    size = m.size
    scale = m.scale_factor
    return ChannelsFirst(Upsample(size, scale, m.mode, m.align_corners))


def _upsample_to(layer):
    import torch.nn as tnn

    return tnn.Upsample(
        layer.size, layer.scale_factor, layer.mode, layer.align_corners if layer.mode != "nearest" else None
    )


register_torch_conversion(("GroupNorm",), GroupNorm, _groupnorm_from, _groupnorm_to)
register_torch_conversion(
    ("InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"), InstanceNorm, _instancenorm_from, _instancenorm_to
)
register_torch_conversion(("RMSNorm",), RMSNorm, _rmsnorm_from, _rmsnorm_to)
register_torch_conversion(("Upsample",), Upsample, _upsample_from, _upsample_to)
