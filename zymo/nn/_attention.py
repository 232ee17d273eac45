"""Scaled dot-product attention as one recorded primitive that keeps its softmax for the backward pass.

``attention(q, k, v, bias, *, scale, causal, ws)`` computes
``softmax(q @ k^T * scale + bias (+ causal mask)) @ v`` over the last two
axes (``q`` ``(..., Tq, D)``, ``k`` ``(..., Tk, D)``, ``v`` ``(..., Tk, Dv)``).
``bias`` is an additive mask (``-inf`` where attention is not allowed) or
``None``; it is not differentiated. The forward pass leaves the
attention weights in ``ws`` (a ``Workspace``, made anew for each call); the
reverse rule reads them when the cotangent and the inputs are plain
arrays (first-order reverse mode). Otherwise (higher orders, forward mode)
the derivative is taken through ``reference_attention``, the same
computation written with differentiable operations.
"""

from __future__ import annotations

import numpy as np

from .._rules.helpers import unbroadcast
from ..core.tracer import bottom
from ._fused import fused_primitive
from .activations import softmax

__all__ = ["attention", "reference_attention", "attention_weights"]


def _causal_bias(tq: int, tk: int, dtype) -> np.ndarray:
    """``-inf`` above the diagonal (query ``i`` sees keys ``0..i``, aligned at the end when ``tk > tq``)."""
    allowed = np.tril(np.ones((tq, tk), bool), k=tk - tq)
    return np.where(allowed, 0, -np.inf).astype(dtype)


def _scores(q, k, bias, scale, causal):
    s = (q @ np.swapaxes(k, -1, -2)) * scale
    if bias is not None:
        s = s + bias
    if causal:
        s = s + _causal_bias(s.shape[-2], s.shape[-1], s.dtype)
    return s


def attention_weights(q, k, bias=None, *, scale: float, causal: bool = False):
    """The attention weights ``softmax(q @ k^T * scale + bias)``, written with differentiable operations."""
    s = (q @ np.swapaxes(k, -1, -2)) * np.asarray(scale, bottom(q).dtype)
    if bias is not None:
        s = s + bias
    if causal:
        shape = np.shape(bottom(s))
        s = s + _causal_bias(shape[-2], shape[-1], bottom(s).dtype)
    return softmax(s, axis=-1)


def reference_attention(q, k, v, bias=None, *, scale: float, causal: bool = False, ws=None):
    """The primitive's value, composably."""
    return attention_weights(q, k, bias, scale=scale, causal=causal) @ v


def _forward(q, k, v, bias=None, *, scale: float, causal: bool = False, ws=None):
    s = _scores(q, k, bias, np.asarray(scale, q.dtype), causal)
    s -= np.max(s, axis=-1, keepdims=True)
    np.exp(s, out=s)
    s /= np.sum(s, axis=-1, keepdims=True)
    if ws is not None:
        ws.saved = s
    return s @ v


def _backward(p, g, q, k, v, bias=None, *, scale: float, causal: bool = False):
    """The cotangents of ``q``, ``k``, ``v`` (and none for ``bias``) from the saved attention weights ``p``."""
    dv = np.swapaxes(p, -1, -2) @ g
    dp = g @ np.swapaxes(v, -1, -2)
    ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True))
    ds *= np.asarray(scale, ds.dtype)
    dq = ds @ k
    dk = np.swapaxes(ds, -1, -2) @ q
    return unbroadcast(dq, q), unbroadcast(dk, k), unbroadcast(dv, v), None


attention = fused_primitive("attention", _forward, _backward, reference_attention, saves=(0, 1, 2, 3), differentiable=3)
