"""``MultiHeadAttention`` (batch first, features last) and ``TorchMultiheadAttention`` (PyTorch's call and masks).

zymo's own masks are named for what ``True`` means: ``attend_mask`` is True
where a query may attend a key, ``key_mask`` is True for real (non-padding)
keys. The layer made by ``nn.from_torch(torch.nn.MultiheadAttention(...))``
takes PyTorch's arguments instead, with PyTorch's meanings (``True`` in
``attn_mask``/``key_padding_mask`` forbids attention; float masks are added).
"""

from __future__ import annotations

import math

import numpy as np

from .._rules.helpers import shape_of
from ..core.errors import ShapeError, ZymoError, user_location
from ..seeding import generator_or_default
from . import init as _init
from ._attention import attention, attention_weights
from ._fused import Workspace
from .layers import Dropout
from .module import Module
from .precision import cast_input

__all__ = ["MultiHeadAttention", "TorchMultiheadAttention"]


def _mask_bias(mask, dtype, allow: bool):
    """An additive mask: ``0`` where attention is allowed, ``-inf`` elsewhere (``allow``: True means allowed)."""
    m = np.asarray(mask)
    if m.dtype == bool:
        ok = m if allow else ~m
        return np.where(ok, 0, -np.inf).astype(dtype)
    return mask


def _add_key_mask(bias, mask, where: str, name: str, hint: str, shape: tuple, dtype, allow: bool):
    """``bias`` plus the additive form of a per-key mask of ``shape`` ``(batch, keys)``, over every head and query."""
    if shape_of(mask) != shape:
        raise ShapeError(f"{where}: {name} must have shape {shape}{hint}, got {shape_of(mask)} (at {user_location()})")
    kb = np.reshape(_mask_bias(mask, dtype, allow=allow), (shape[0], 1, 1, shape[1]))
    return kb if bias is None else bias + kb


def _linear(x, weight, bias):
    """``x @ weight.T + bias`` on a 2-D ``x``: one matrix product each way (a 3-D ``x`` would loop over its batch)."""
    y = x @ weight.T
    return y if bias is None else y + bias


class MultiHeadAttention(Module):
    """Multi-head scaled dot-product attention with separate query, key and value inputs.

    ``mha(query, key=None, value=None, *, attend_mask=None, key_mask=None,
    causal=False, return_weights=False)``: ``query`` ``(batch, Tq, dim)``,
    ``key`` ``(batch, Tk, kdim)`` and ``value`` ``(batch, Tk, vdim)`` (both
    default to ``query``: self-attention). ``attend_mask`` is boolean, True
    where query ``i`` may attend key ``j``, of shape ``(Tq, Tk)``, ``(batch,
    Tq, Tk)`` or ``(batch, heads, Tq, Tk)``; ``key_mask`` ``(batch, Tk)`` is
    True for real keys and False for padding; ``causal=True`` lets query ``i``
    see keys ``0..i`` only. Returns ``(batch, Tq, dim)``, or ``(output,
    weights)`` with ``return_weights=True`` (weights ``(batch, heads, Tq,
    Tk)``). The attention itself is one recorded operation that keeps its
    softmax for the backward pass. ``dropout`` applies to the attention
    weights in training mode.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import MultiHeadAttention
        >>> mha = MultiHeadAttention(16, 4, rng=np.random.default_rng(0))
        >>> mha
        MultiHeadAttention(16, heads=4)
        >>> x = np.ones((2, 5, 16), np.float32)
        >>> mha(x, causal=True).shape
        (2, 5, 16)
        >>> mha(x, key_mask=np.array([[True] * 5, [True, True, False, False, False]]), return_weights=True)[1].shape
        (2, 4, 5, 5)
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        *,
        kdim: int | None = None,
        vdim: int | None = None,
        bias: bool = True,
        dropout: float = 0.0,
        rng: np.random.Generator | None = None,
        dtype=_init.DEFAULT_DTYPE,
    ):
        if num_heads < 1 or dim % num_heads:
            raise ZymoError(f"MultiHeadAttention: num_heads ({num_heads}) must divide dim ({dim})")
        rng = generator_or_default(rng)
        kdim, vdim = kdim or dim, vdim or dim
        self.num_heads = int(num_heads)
        self.q_weight = _init.glorot_uniform(rng, dim, dim, dtype=dtype)
        self.k_weight = _init.glorot_uniform(rng, dim, kdim, dtype=dtype)
        self.v_weight = _init.glorot_uniform(rng, dim, vdim, dtype=dtype)
        self.out_weight = _init.glorot_uniform(rng, dim, dim, dtype=dtype)
        zeros = (lambda: np.zeros(dim, dtype)) if bias else (lambda: None)
        self.q_bias, self.k_bias, self.v_bias, self.out_bias = zeros(), zeros(), zeros(), zeros()
        self.dropout = Dropout(dropout, rng=rng) if dropout else None

    @property
    def dim(self) -> int:
        return shape_of(self.q_weight)[0]

    def _check(self, name: str, x, features: int):
        shape = shape_of(x)
        if len(shape) != 3 or shape[-1] != features:
            raise ShapeError(
                f"{self!r} expects {name} of shape (batch, time, {features}), got shape {shape} (at {user_location()})"
            )
        return shape

    def _heads(self, x, weight, bias):
        b, t, f = shape_of(x)
        y = _linear(np.reshape(x, (b * t, f)), weight, bias)
        return np.swapaxes(np.reshape(y, (b, t, self.num_heads, -1)), 1, 2)

    def _bias(self, q_shape, k_shape, attend_mask, key_mask, dtype):
        if len(q_shape) != 3 or len(k_shape) != 3:
            return None  # ``attend`` names the shape error
        (b, tq, _), tk, h = q_shape, k_shape[1], self.num_heads
        bias = None
        if attend_mask is not None:
            shape = shape_of(attend_mask)
            if shape not in ((tq, tk), (b, tq, tk), (b, h, tq, tk)):
                raise ShapeError(
                    f"{self!r}: attend_mask must have shape {(tq, tk)}, {(b, tq, tk)} or {(b, h, tq, tk)}, "
                    f"got {shape} (at {user_location()})"
                )
            bias = _mask_bias(attend_mask, dtype, allow=True)
            if len(shape) == 3:
                bias = np.reshape(bias, (b, 1, tq, tk))
        if key_mask is not None:
            bias = _add_key_mask(bias, key_mask, repr(self), "key_mask", " (batch, keys)", (b, tk), dtype, allow=True)
        return bias

    def attend(self, query, key, value, bias, causal: bool, return_weights: bool):
        """Attention under an additive mask ``bias`` (``-inf`` forbids) broadcasting to ``(batch, heads, Tq, Tk)``."""
        dim = self.dim
        q_shape = self._check("a query", query, dim)
        k_shape = self._check("a key", key, shape_of(self.k_weight)[1])
        v_shape = self._check("a value", value, shape_of(self.v_weight)[1])
        if k_shape[:2] != v_shape[:2] or k_shape[0] != q_shape[0]:
            raise ShapeError(
                f"{self!r}: query {q_shape}, key {k_shape} and value {v_shape} need one batch size, and key and "
                f"value one length (at {user_location()})"
            )
        q = self._heads(query, self.q_weight, self.q_bias)
        k = self._heads(key, self.k_weight, self.k_bias)
        v = self._heads(value, self.v_weight, self.v_bias)
        scale = 1 / math.sqrt(dim // self.num_heads)
        weights = None
        if return_weights or (self.dropout is not None and self.training):
            weights = attention_weights(q, k, bias, scale=scale, causal=causal)
            p = self.dropout(weights) if self.dropout is not None else weights
            o = p @ v
        else:
            o = attention(q, k, v, bias, scale=scale, causal=causal, ws=Workspace())
        o = np.reshape(np.swapaxes(o, 1, 2), (q_shape[0] * q_shape[1], dim))
        out = np.reshape(_linear(o, self.out_weight, self.out_bias), q_shape[:2] + (dim,))
        return out, weights

    def __call__(
        self, query, key=None, value=None, *, attend_mask=None, key_mask=None, causal=False, return_weights=False
    ):
        dtype = self.q_weight.dtype
        query = cast_input(self, query, dtype)
        key = query if key is None else cast_input(self, key, dtype)
        value = key if value is None else cast_input(self, value, dtype)
        bias = self._bias(shape_of(query), shape_of(key), attend_mask, key_mask, dtype)
        out, weights = self.attend(query, key, value, bias, causal, return_weights)
        return (out, weights) if return_weights else out

    def __repr__(self) -> str:
        extra = ""
        kdim, vdim = shape_of(self.k_weight)[1], shape_of(self.v_weight)[1]
        if kdim != self.dim or vdim != self.dim:
            extra += f", kdim={kdim}, vdim={vdim}"
        if self.q_bias is None:
            extra += ", bias=False"
        if self.dropout is not None:
            extra += f", dropout={self.dropout.p}"
        return f"MultiHeadAttention({self.dim}, heads={self.num_heads}{extra})"


def torch_attention_bias(attn_mask, key_padding_mask, batch: int, heads: int, tq: int, tk: int, dtype, where: str):
    """PyTorch's ``attn_mask`` and ``key_padding_mask`` (True forbids; floats are added) as one additive mask."""
    bias = None
    if attn_mask is not None:
        shape = shape_of(attn_mask)
        if shape not in ((tq, tk), (batch * heads, tq, tk)):
            raise ShapeError(
                f"{where}: attn_mask must have shape {(tq, tk)} or {(batch * heads, tq, tk)}, got {shape} "
                f"(at {user_location()})"
            )
        bias = _mask_bias(attn_mask, dtype, allow=False)
        if len(shape) == 3:
            bias = np.reshape(bias, (batch, heads, tq, tk))
    if key_padding_mask is not None:
        bias = _add_key_mask(bias, key_padding_mask, where, "key_padding_mask", "", (batch, tk), dtype, allow=False)
    return bias


class TorchMultiheadAttention(Module):
    """A ``MultiHeadAttention`` called as PyTorch's ``nn.MultiheadAttention`` (what ``nn.from_torch`` returns).

    ``m(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)`` returns
    ``(output, weights or None)``; inputs are ``(time, batch, dim)`` unless
    ``batch_first``; masks have PyTorch's meanings (True forbids; floats are
    added); ``is_causal`` without ``attn_mask`` applies the causal mask.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import MultiHeadAttention, TorchMultiheadAttention
        >>> m = TorchMultiheadAttention(MultiHeadAttention(8, 2, rng=np.random.default_rng(0)), batch_first=False)
        >>> out, w = m(*[np.ones((5, 3, 8), np.float32)] * 3)
        >>> out.shape, w.shape
        ((5, 3, 8), (3, 5, 5))
    """

    def __init__(self, attention: MultiHeadAttention, batch_first: bool = False):
        self.attention = attention
        self.batch_first = bool(batch_first)

    def __call__(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights: bool = True,
        attn_mask=None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ):
        for name, a in (("query", query), ("key", key), ("value", value)):
            if len(shape_of(a)) != 3:
                raise ShapeError(
                    f"{self!r} expects a batched {name} of rank 3, got shape {shape_of(a)} (at {user_location()})"
                )
        mha = self.attention
        dtype = mha.q_weight.dtype
        query, key, value = (cast_input(self, a, dtype) for a in (query, key, value))
        if not self.batch_first:
            query, key, value = (np.swapaxes(a, 0, 1) for a in (query, key, value))
        (b, tq, _), tk = shape_of(query), shape_of(key)[1]
        bias = torch_attention_bias(attn_mask, key_padding_mask, b, mha.num_heads, tq, tk, dtype, f"{self!r}")
        causal = bool(is_causal) and attn_mask is None
        out, weights = mha.attend(query, key, value, bias, causal, need_weights)
        if not self.batch_first:
            out = np.swapaxes(out, 0, 1)
        if need_weights and average_attn_weights:
            weights = np.mean(weights, axis=1)
        return out, weights

    def __repr__(self) -> str:
        return f"TorchMultiheadAttention({self.attention!r}, batch_first={self.batch_first})"
