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
from .activations import relu
from .attention import MultiHeadAttention, TorchMultiheadAttention
from .conv import Conv, ConvTranspose
from .layout import ChannelsFirst
from .normalization import GroupNorm, InstanceNorm, RMSNorm
from .pooling import AdaptiveMaxPool, AdaptiveMeanPool, MaxPool, MeanPool
from .recurrent import torch_convert as _recurrent
from .transformer import TorchTransformerEncoderLayer, TransformerEncoderLayer, gelu_erf
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


# --- attention and transformers -------------------------------------------------------------


def _mha_from_parts(m) -> MultiHeadAttention:
    _refuse(m, add_bias_kv=m.bias_k is not None, add_zero_attn=m.add_zero_attn)
    if m._qkv_same_embed_dim:
        wq, wk, wv = (_np(w) for w in m.in_proj_weight.chunk(3))
    else:
        wq, wk, wv = _np(m.q_proj_weight), _np(m.k_proj_weight), _np(m.v_proj_weight)
    bias = m.in_proj_bias is not None
    mha = MultiHeadAttention(
        m.embed_dim,
        m.num_heads,
        kdim=m.kdim,
        vdim=m.vdim,
        bias=bias,
        dropout=m.dropout,
        rng=np.random.default_rng(0),
        dtype=wq.dtype,
    )
    mha.q_weight, mha.k_weight, mha.v_weight = wq, wk, wv
    mha.out_weight = _np(m.out_proj.weight)
    if bias:
        mha.q_bias, mha.k_bias, mha.v_bias = (_np(b) for b in m.in_proj_bias.chunk(3))
        mha.out_bias = _np(m.out_proj.bias)
    return mha


def _mha_from(m):
    return TorchMultiheadAttention(_mha_from_parts(m), batch_first=m.batch_first)


def _mha_to_module(mha: MultiHeadAttention, batch_first: bool):
    import torch.nn as tnn

    kdim, vdim = mha.k_weight.shape[1], mha.v_weight.shape[1]
    bias = mha.q_bias is not None
    p = mha.dropout.p if mha.dropout is not None else 0.0
    m = tnn.MultiheadAttention(
        mha.dim,
        mha.num_heads,
        dropout=p,
        bias=bias,
        kdim=kdim,
        vdim=vdim,
        batch_first=batch_first,
        dtype=_torch_dtype(mha.q_weight),
    )
    if m._qkv_same_embed_dim:
        _put(m.in_proj_weight, np.concatenate([mha.q_weight, mha.k_weight, mha.v_weight]))
    else:
        _put(m.q_proj_weight, mha.q_weight)
        _put(m.k_proj_weight, mha.k_weight)
        _put(m.v_proj_weight, mha.v_weight)
    _put(m.out_proj.weight, mha.out_weight)
    if bias:
        _put(m.in_proj_bias, np.concatenate([mha.q_bias, mha.k_bias, mha.v_bias]))
        _put(m.out_proj.bias, mha.out_bias)
    return m


def _torch_activation(f) -> str:
    if f is relu:
        return "relu"
    if f is gelu_erf:
        return "gelu"
    raise ZymoError(f"to_torch: PyTorch's TransformerEncoderLayer takes relu or gelu (exact), not {f!r}")


def _encoder_from(m):
    import torch.nn.functional as F

    activation = {F.relu: relu, F.gelu: gelu_erf}.get(m.activation)
    if activation is None:
        raise ZymoError(f"from_torch: TransformerEncoderLayer with activation {m.activation!r} has no zymo equivalent")
    w1 = _np(m.linear1.weight)
    layer = TransformerEncoderLayer(
        w1.shape[1],
        m.self_attn.num_heads,
        w1.shape[0],
        m.dropout.p,
        activation,
        norm_first=m.norm_first,
        eps=m.norm1.eps,
        bias=m.linear1.bias is not None,
        rng=np.random.default_rng(0),
        dtype=w1.dtype,
    )
    layer.self_attn = _mha_from_parts(m.self_attn)
    for name in ("linear1", "linear2", "norm1", "norm2"):
        _affine_from(getattr(layer, name), getattr(m, name))
    return TorchTransformerEncoderLayer(layer, batch_first=m.self_attn.batch_first)


def _encoder_to_module(layer: TransformerEncoderLayer, batch_first: bool):
    import torch.nn as tnn

    bias = layer.linear1.bias is not None
    m = tnn.TransformerEncoderLayer(
        layer.self_attn.dim,
        layer.self_attn.num_heads,
        layer.linear1.out_features,
        layer.dropout.p,
        _torch_activation(layer.activation),
        layer.norm1.eps,
        batch_first=batch_first,
        norm_first=layer.norm_first,
        bias=bias,
        dtype=_torch_dtype(layer.linear1.weight),
    )
    m.self_attn = _mha_to_module(layer.self_attn, batch_first)
    for name in ("linear1", "linear2", "norm1", "norm2"):
        for p in ("weight", "bias"):
            value = getattr(getattr(layer, name), p)
            if value is not None:
                _put(getattr(getattr(m, name), p), value)
    return m


register_torch_conversion(
    ("MultiheadAttention",),
    TorchMultiheadAttention,
    _mha_from,
    lambda w: _mha_to_module(w.attention, w.batch_first),
)
_TO[MultiHeadAttention] = lambda mha: _mha_to_module(mha, True)
register_torch_conversion(
    ("TransformerEncoderLayer",),
    TorchTransformerEncoderLayer,
    _encoder_from,
    lambda w: _encoder_to_module(w.layer, w.batch_first),
)
_TO[TransformerEncoderLayer] = lambda layer: _encoder_to_module(layer, True)
