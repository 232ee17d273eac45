"""The two recorded operations of the recurrent layers: one cell step, and one whole sequence.

Each is a single ``zymo`` primitive. Its reverse rule is a fused kernel
(``_step_kernels`` for a step, ``_kernels`` for a sequence) when the
cotangent and the inputs are plain arrays (first-order
reverse mode, the fast path); otherwise (higher order, forward mode) the
derivative is taken through ``reference_*``, the same computation written
with differentiable ``zymo.numpy`` operations, so every nesting of modes
works. The forward value is always the kernel's.

Arguments (positional, in this order): ``x`` or ``X``, ``h``, ``c`` (None
unless LSTM), ``Wi``, ``Wh``, ``b`` (or None), ``bh`` (GRUv3 only, or None).
Static keywords: ``kind``, ``act`` (RNN activation name), ``mask``, and for
the sequence ``with_state`` (whether the last state is appended to the
outputs), plus ``ws``, the ``Workspace`` where the forward pass leaves what
its fused backward reads.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ...core.api import jvp, vjp
from ...core.forward import defjvp_all
from ...core.primitive import Primitive
from ...core.reverse import defvjp_all
from ...core.tracer import bottom
from . import _kernels as K
from ._step_kernels import step_backward, step_forward

__all__ = ["cell_step", "sequence", "reference_step", "reference_cell", "reference_sequence", "Workspace"]


class Workspace:
    """Where a primitive's forward pass leaves what its fused backward reads (never seen by users).

    ``zymo.jit`` gives every replayed call a new one (``_zymo_per_call``).
    """

    __slots__ = ("saved",)
    _zymo_per_call = True

    def __init__(self):
        self.saved = None


def _sigmoid(z):
    return 0.5 * np.tanh(0.5 * z) + 0.5


_REF_ACT = {
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "relu": lambda z: np.maximum(z, 0),
    "identity": lambda z: z,
}


def reference_step(kind, act, x, h, c, Wi, Wh, b, bh):
    """One step written with differentiable operations: ``(h', c')`` (``c'`` None unless LSTM)."""
    H = Wh.shape[1]
    xp = x @ Wi.T
    if b is not None:
        xp = xp + b
    if kind == "rnn":
        f = _REF_ACT[act] if isinstance(act, str) else act
        return f(xp + h @ Wh.T), None
    if kind == "lstm":
        z = xp + h @ Wh.T
        i, f = _sigmoid(z[..., :H]), _sigmoid(z[..., H : 2 * H])
        g, o = np.tanh(z[..., 2 * H : 3 * H]), _sigmoid(z[..., 3 * H :])
        c2 = f * c + i * g
        return o * np.tanh(c2), c2
    if kind == "gru3":
        hp = h @ Wh.T
        r = _sigmoid(xp[..., :H] + hp[..., :H])
        z = _sigmoid(xp[..., H : 2 * H] + hp[..., H : 2 * H])
        hn = hp[..., 2 * H :] if bh is None else hp[..., 2 * H :] + bh
        n = np.tanh(xp[..., 2 * H :] + r * hn)
    else:
        hp = h @ Wh[: 2 * H].T
        r = _sigmoid(xp[..., :H] + hp[..., :H])
        z = _sigmoid(xp[..., H : 2 * H] + hp[..., H:])
        n = np.tanh(xp[..., 2 * H :] + (r * h) @ Wh[2 * H :].T)
    return n + z * (h - n), None


def reference_cell(x, h, c, Wi, Wh, b, bh, *, kind, act, mask=None, with_state=True):
    """The cell primitive's value, composably (LSTM packs ``[h | c]`` on the last axis)."""
    h2, c2 = reference_step(kind, act, x, h, c, Wi, Wh, b, bh)
    if kind == "lstm":
        shape = np.broadcast_shapes(np.shape(bottom(h2)), np.shape(bottom(c2)))
        h2, c2 = np.broadcast_to(h2, shape), np.broadcast_to(c2, shape)
        return np.concatenate([h2, c2], axis=-1)
    return h2


def reference_sequence(X, h0, c0, Wi, Wh, b, bh, *, kind, act, mask=None, with_state=True):
    """The sequence primitive's value, composably: ``[Y_0 .. Y_{T-1}, h_T (, c_T)]`` stacked on axis 0
    (only the outputs ``Y`` with ``with_state=False``)."""
    T, B = X.shape[0], X.shape[1]
    H = Wh.shape[1]
    h = np.broadcast_to(h0, (B, H))
    c = None if c0 is None else np.broadcast_to(c0, (B, H))
    ys = []
    for t in range(T):
        h2, c2 = reference_step(kind, act, X[t], h, c, Wi, Wh, b, bh)
        if mask is None:
            ys.append(h2)
            h, c = h2, c2
        else:
            m = mask[t][:, None]
            ys.append(np.where(m, h2, 0))
            h = np.where(m, h2, h)
            if c is not None:
                c = np.where(m, c2, c)
    rows = ys + ([h] + ([c] if c is not None else []) if with_state else [])
    return np.stack(rows, axis=0)


def _plain(v) -> bool:
    return v is None or type(v) is np.ndarray


def _fused(name, forward, backward, reference):
    def impl(*args, ws=None, **static):
        return forward(*args, ws=ws, **static)

    prim = Primitive(impl, name)

    def vjp_rule(g, ans, *args, ws=None, **static):
        if ws is not None and ws.saved is not None and type(g) is np.ndarray and all(_plain(a) for a in args):
            return backward(ws.saved, g, *args, **static)
        _, back = vjp(partial(reference, **static), *args)
        return back(g)

    def jvp_rule(tangents, ans, *args, ws=None, **static):
        tans = [np.zeros_like(bottom(a)) if t is None and a is not None else t for a, t in zip(args, tangents)]
        return jvp(partial(reference, **static), args, tans)[1]

    defvjp_all(prim, vjp_rule, saves=tuple(range(7)))
    defjvp_all(prim, jvp_rule)
    return prim


# --- the whole sequence -------------------------------------------------------------


def _sequence_forward(X, h0, c0, Wi, Wh, b, bh, *, ws, kind, act, mask=None, with_state=True):
    saved = K.Saved(kind, act) if ws is not None else None
    T, B = X.shape[0], X.shape[1]
    H = Wh.shape[1]
    dt = np.result_type(X, h0, Wi, Wh)
    rows = T + (2 if kind == "lstm" else 1) if with_state else T
    out = np.empty((rows, B, H), dt)
    _, hT, cT = K.sequence_forward(kind, act, X, h0, c0, Wi, Wh, b, bh, mask, saved, out=out[:T])
    if ws is not None:
        ws.saved = saved
    if not with_state:
        return out
    out[T] = hT
    if kind == "lstm":
        out[T + 1] = cT
    return out


def _sequence_backward(saved, g, X, h0, c0, Wi, Wh, b, bh, *, kind, act, mask=None, with_state=True):
    T = X.shape[0]
    dhT = g[T] if with_state else None
    dcT = g[T + 1] if with_state and kind == "lstm" else None
    dX, dh0, dc0, dWi, dWh, db, dbh = K.sequence_backward(saved, X, Wi, Wh, b, bh, g[:T], dhT, dcT)
    return dX, dh0, dc0, dWi, dWh, db, dbh


sequence = _fused("recurrent_sequence", _sequence_forward, _sequence_backward, reference_sequence)


# --- one step -----------------------------------------------------------------------


def _cell_forward(x, h, c, Wi, Wh, b, bh, *, ws, kind, act, mask=None, with_state=True):
    out, saved = step_forward(kind, act, x, h, c, Wi, Wh, b, bh)
    if ws is not None:
        ws.saved = saved
    return out


def _cell_backward(saved, g, x, h, c, Wi, Wh, b, bh, *, kind, act, mask=None, with_state=True):
    return step_backward(kind, act, saved, g, x, h, c, Wi, Wh, b, bh)


cell_step = _fused("recurrent_cell", _cell_forward, _cell_backward, reference_cell)
