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

from functools import partial

import numpy as np

from ..core.api import jvp, vjp
from ..core.forward import defjvp_all
from ..core.primitive import Primitive
from ..core.reverse import defvjp_all
from ..core.tracer import bottom
from .activations import softmax

__all__ = ["attention", "reference_attention", "attention_weights", "Workspace"]


class Workspace:
    """Where the forward pass leaves the attention weights for the backward pass (never seen by users)."""

    __slots__ = ("weights",)
    _zymo_per_call = True

    def __init__(self):
        self.weights = None


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
        ws.weights = s
    return s @ v


def _backward(p, g, q, k, v, scale):
    dv = np.swapaxes(p, -1, -2) @ g
    dp = g @ np.swapaxes(v, -1, -2)
    ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True))
    ds *= np.asarray(scale, ds.dtype)
    dq = ds @ k
    dk = np.swapaxes(ds, -1, -2) @ q
    return _unbroadcast(dq, q), _unbroadcast(dk, k), _unbroadcast(dv, v)


def _unbroadcast(g, like):
    shape = np.shape(like)
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and g.shape[i + lead] != 1)
    return np.sum(g, axis=axes, keepdims=True).reshape(shape)


def _plain(v) -> bool:
    return v is None or type(v) is np.ndarray


attention = Primitive(_forward, "attention")


def _vjp_rule(g, ans, q, k, v, bias=None, *, scale, causal=False, ws=None):
    if ws is not None and ws.weights is not None and type(g) is np.ndarray and all(map(_plain, (q, k, v, bias))):
        return (*_backward(ws.weights, g, q, k, v, scale), None)
    _, back = vjp(partial(reference_attention, bias=bias, scale=scale, causal=causal), q, k, v)
    return (*back(g), None)


def _jvp_rule(tangents, ans, q, k, v, bias=None, *, scale, causal=False, ws=None):
    tans = [np.zeros_like(bottom(a)) if t is None else t for a, t in zip((q, k, v), tangents[:3])]
    return jvp(partial(reference_attention, bias=bias, scale=scale, causal=causal), (q, k, v), tans)[1]


defvjp_all(attention, _vjp_rule, saves=(0, 1, 2, 3))
defjvp_all(attention, _jvp_rule)
