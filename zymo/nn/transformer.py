"""``TransformerEncoderLayer`` (pre- or post-norm) and positional embeddings, batch first, features last."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .._rules.helpers import dtype_of, shape_of
from ..core.errors import ShapeError, ZymoError, user_location
from ..seeding import generator_or_default
from . import init as _init
from .activations import relu
from .attention import MultiHeadAttention, torch_attention_bias
from .layers import Dense, Dropout, LayerNorm
from .module import Module, _layout, describe
from .precision import cast_input

__all__ = [
    "TransformerEncoderLayer",
    "TorchTransformerEncoderLayer",
    "SinusoidalPositionalEmbedding",
    "PositionalEmbedding",
    "gelu_erf",
]


def gelu_erf(x):
    """The exact Gaussian error linear unit ``x * Phi(x)`` (PyTorch's default ``gelu``).

    Example:
        >>> import numpy as np
        >>> from zymo.nn.transformer import gelu_erf
        >>> gelu_erf(np.array([0.0, 1.0])).round(6)
        array([0.      , 0.841345])
    """
    import scipy.special  # imported on first use: ``import zymo`` does not load SciPy

    return 0.5 * x * (1 + scipy.special.erf(x * np.asarray(1 / math.sqrt(2), dtype_of(x))))


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward block, each with a residual connection and ``LayerNorm``.

    Post-norm (``norm_first=False``, PyTorch's default): ``x = norm1(x +
    attention(x)); x = norm2(x + ff(x))``. Pre-norm: ``x = x +
    attention(norm1(x)); x = x + ff(norm2(x))``. ``ff(x) = linear2(dropout(
    activation(linear1(x))))``. Input ``(batch, time, dim)``; the call takes
    ``MultiHeadAttention``'s masks (``attend_mask``, ``key_mask``, ``causal``).

    Example:
        >>> import numpy as np
        >>> from zymo.nn import TransformerEncoderLayer, testmode
        >>> layer = testmode(TransformerEncoderLayer(16, 4, ff_dim=32, rng=np.random.default_rng(0)))
        >>> layer
        TransformerEncoderLayer(16, heads=4, ff_dim=32, dropout=0.1)
        >>> layer(np.ones((2, 5, 16), np.float32), causal=True).shape
        (2, 5, 16)
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        ff_dim: int = 2048,
        dropout: float = 0.1,
        activation: Callable = relu,
        *,
        norm_first: bool = False,
        eps: float = 1e-5,
        bias: bool = True,
        rng: np.random.Generator | None = None,
        dtype=_init.DEFAULT_DTYPE,
    ):
        rng = generator_or_default(rng)
        self.self_attn = MultiHeadAttention(dim, num_heads, bias=bias, dropout=dropout, rng=rng, dtype=dtype)
        self.linear1 = Dense(dim, ff_dim, bias=bias, rng=rng, dtype=dtype)
        self.linear2 = Dense(ff_dim, dim, bias=bias, rng=rng, dtype=dtype)
        self.norm1 = LayerNorm(dim, eps, dtype=dtype)
        self.norm2 = LayerNorm(dim, eps, dtype=dtype)
        self.dropout = Dropout(dropout, rng=rng)
        self.dropout1 = Dropout(dropout, rng=rng)
        self.dropout2 = Dropout(dropout, rng=rng)
        self.activation = activation
        self.norm_first = bool(norm_first)

    def _ff(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def encode(self, x, bias, causal: bool):
        """The layer with an additive attention mask ``bias`` (``-inf`` forbids)."""
        shape = shape_of(x)
        if len(shape) != 3 or shape[-1] != self.self_attn.dim:
            raise ShapeError(
                f"{self!r} expects an input (batch, time, {self.self_attn.dim}), got shape {shape} "
                f"(at {user_location()})"
            )

        def sa(h):
            return self.dropout1(self.self_attn.attend(h, h, h, bias, causal, False)[0])

        if self.norm_first:
            x = x + sa(self.norm1(x))
            return x + self._ff(self.norm2(x))
        x = self.norm1(x + sa(x))
        return self.norm2(x + self._ff(x))

    def __call__(self, x, *, attend_mask=None, key_mask=None, causal: bool = False):
        x = cast_input(self, x, self.self_attn.q_weight.dtype)
        shape = shape_of(x)
        if len(shape) != 3:
            return self.encode(x, None, causal)  # raises the shape error
        bias = self.self_attn._bias(shape, shape, attend_mask, key_mask, dtype_of(x))
        return self.encode(x, bias, causal)

    def __repr__(self) -> str:
        extra = f", ff_dim={self.linear1.out_features}, dropout={self.dropout.p}"
        if self.activation is not relu:
            extra += f", {describe(self.activation)}"
        if self.norm_first:
            extra += ", norm_first=True"
        return f"TransformerEncoderLayer({self.self_attn.dim}, heads={self.self_attn.num_heads}{extra})"


class TorchTransformerEncoderLayer(Module):
    """A ``TransformerEncoderLayer`` called as PyTorch's (what ``nn.from_torch`` returns).

    ``m(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``;
    ``src`` is ``(time, batch, dim)`` unless ``batch_first``; masks have
    PyTorch's meanings (True forbids; floats are added).

    Example:
        >>> import numpy as np
        >>> from zymo.nn import TorchTransformerEncoderLayer, TransformerEncoderLayer
        >>> m = TorchTransformerEncoderLayer(TransformerEncoderLayer(8, 2, 16, rng=np.random.default_rng(0)))
        >>> m(np.ones((5, 3, 8), np.float32)).shape
        (5, 3, 8)
    """

    def __init__(self, layer: TransformerEncoderLayer, batch_first: bool = False):
        self.layer = layer
        self.batch_first = bool(batch_first)

    def __call__(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        dtype = self.layer.self_attn.q_weight.dtype
        src = cast_input(self, src, dtype)
        x = src if self.batch_first else np.swapaxes(src, 0, 1)
        b, t, _ = shape_of(x) if len(shape_of(x)) == 3 else (0, 0, 0)
        heads = self.layer.self_attn.num_heads
        bias = torch_attention_bias(src_mask, src_key_padding_mask, b, heads, t, t, dtype, f"{self!r}")
        y = self.layer.encode(x, bias, bool(is_causal) and src_mask is None)
        return y if self.batch_first else np.swapaxes(y, 0, 1)

    def __repr__(self) -> str:
        return _layout("TorchTransformerEncoderLayer", [repr(self.layer), f"batch_first={self.batch_first}"])


def sinusoidal_table(length: int, dim: int, dtype=np.float64) -> np.ndarray:
    """``table[t, 2i] = sin(t / 10000^(2i/dim))``, ``table[t, 2i+1] = cos(...)`` ("Attention is all you need")."""
    pos = np.arange(length)[:, None]
    freq = np.exp(-math.log(10000.0) * np.arange(0, dim, 2) / dim)
    table = np.zeros((length, dim))
    table[:, 0::2] = np.sin(pos * freq)
    table[:, 1::2] = np.cos(pos * freq[: dim // 2])
    return table.astype(dtype)


def _check_positions(layer, x, dim: int, max_len: int | None):
    shape = shape_of(x)
    if len(shape) != 3 or shape[-1] != dim or (max_len is not None and shape[1] > max_len):
        longest = "" if max_len is None else f" with time at most {max_len}"
        raise ShapeError(
            f"{layer!r} expects an input (batch, time, {dim}){longest}, got shape {shape} (at {user_location()})"
        )
    return shape


class SinusoidalPositionalEmbedding(Module):
    """Add the fixed sinusoidal position code to ``(batch, time, dim)`` inputs (no parameters).

    Example:
        >>> import numpy as np
        >>> from zymo.nn import SinusoidalPositionalEmbedding
        >>> pe = SinusoidalPositionalEmbedding(4)
        >>> pe(np.zeros((1, 2, 4)))[0].round(4)
        array([[0.    , 1.    , 0.    , 1.    ],
               [0.8415, 0.5403, 0.01  , 1.    ]])
    """

    def __init__(self, dim: int):
        if dim < 2 or dim % 2:
            raise ZymoError(f"SinusoidalPositionalEmbedding: dim must be even and at least 2, got {dim}")
        self.dim = int(dim)

    def __call__(self, x):
        shape = _check_positions(self, x, self.dim, None)
        return x + sinusoidal_table(shape[1], self.dim, dtype_of(x))

    def __repr__(self) -> str:
        return f"SinusoidalPositionalEmbedding({self.dim})"


class PositionalEmbedding(Module):
    """Add a learned embedding of each position ``0..max_len-1`` to ``(batch, time, dim)`` inputs.

    ``weight`` ``(max_len, dim)`` starts normal with standard deviation ``0.02``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import PositionalEmbedding
        >>> pe = PositionalEmbedding(128, 16, rng=np.random.default_rng(0))
        >>> pe
        PositionalEmbedding(128 => 16)
        >>> pe(np.zeros((2, 10, 16), np.float32)).shape
        (2, 10, 16)
    """

    def __init__(self, max_len: int, dim: int, *, rng: np.random.Generator | None = None, dtype=_init.DEFAULT_DTYPE):
        self.weight = (0.02 * generator_or_default(rng).standard_normal((max_len, dim))).astype(dtype)

    def __call__(self, x):
        max_len, dim = shape_of(self.weight)
        shape = _check_positions(self, x, dim, max_len)
        return x + self.weight[: shape[1]]

    def __repr__(self) -> str:
        max_len, dim = shape_of(self.weight)
        return f"PositionalEmbedding({max_len} => {dim})"
