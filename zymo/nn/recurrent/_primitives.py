"""The two recorded operations of the recurrent layers: one cell step, and one whole sequence.

Each is a single ``zymo`` primitive. Its reverse rule is a fused kernel
(the cell kind's step kernels for a step, its sequence kernel for a sequence) when the
cotangent and the inputs are plain arrays (first-order
reverse mode, the fast path); otherwise (higher order, forward mode) the
derivative is taken through ``reference_*``, the same computation written
with differentiable ``zymo.numpy`` operations, so every nesting of modes
works. The forward value is always the kernel's. Arrays of other libraries run the sequence's
namespace kernel (``namespace_sequence``), whose saved record brings its own fused backward pass.

Arguments (positional, in this order): ``x`` or ``X``, ``h``, ``c`` (None
unless the kind has a cell state), ``Wi``, ``Wh``, ``b`` (or None), ``bh``
(GRUv3 only, or None). Static keywords: ``kind`` (a ``CellKind``), ``act`` (RNN activation name), ``mask``, and for
the sequence ``with_state`` (whether the last state is appended to the
outputs) and ``input_grad`` (False when ``X`` is data, not traced: the fused
backward then leaves out its gradient), plus ``ws``, the ``Workspace`` where the forward pass leaves what
its fused backward reads.
"""

from __future__ import annotations

import numpy as np

from ...core.tracer import bottom
from .._fused import fused_primitive
from .kinds import Saved

__all__ = ["cell_step", "sequence", "reference_step", "reference_cell", "reference_sequence"]


def reference_step(kind, act, x, h, c, Wi, Wh, b, bh):
    """One step written with differentiable operations: ``(h', c')`` (``c'`` None without a cell state)."""
    return kind.reference_step(act, x, h, c, Wi, Wh, b, bh)


def reference_cell(x, h, c, Wi, Wh, b, bh, *, kind, act, mask=None, with_state=True):
    """The cell primitive's value, composably (a cell state is packed as ``[h | c]`` on the last axis)."""
    h2, c2 = kind.reference_step(act, x, h, c, Wi, Wh, b, bh)
    if kind.has_cell_state:
        shape = np.broadcast_shapes(np.shape(bottom(h2)), np.shape(bottom(c2)))
        h2, c2 = np.broadcast_to(h2, shape), np.broadcast_to(c2, shape)
        return np.concatenate([h2, c2], axis=-1)
    return h2


def reference_sequence(X, h0, c0, Wi, Wh, b, bh, *, kind, act, mask=None, with_state=True, input_grad=True):
    """The sequence primitive's value, composably: ``[Y_0 .. Y_{T-1}, h_T (, c_T)]`` stacked on axis 0
    (only the outputs ``Y`` with ``with_state=False``)."""
    T, B = X.shape[0], X.shape[1]
    H = Wh.shape[1]
    h = np.broadcast_to(h0, (B, H))
    c = None if c0 is None else np.broadcast_to(c0, (B, H))
    ys = []
    for t in range(T):
        h2, c2 = kind.reference_step(act, X[t], h, c, Wi, Wh, b, bh)
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


# --- the whole sequence -------------------------------------------------------------


def _sequence_forward(X, h0, c0, Wi, Wh, b, bh, *, ws, kind, act, mask=None, with_state=True, input_grad=True):
    saved = Saved(kind, act) if ws is not None else None
    T, B = X.shape[0], X.shape[1]
    H = Wh.shape[1]
    dt = np.result_type(X, h0, Wi, Wh)
    rows = T + (2 if kind.has_cell_state else 1) if with_state else T
    out = np.empty((rows, B, H), dt)
    masks = None if mask is None else mask[:, :, None]
    _, hT, cT = kind.sequence_forward(act, X, h0, c0, Wi, Wh, b, bh, masks, saved, out=out[:T])
    if ws is not None:
        ws.saved = saved
    if not with_state:
        return out
    out[T] = hT
    if kind.has_cell_state:
        out[T + 1] = cT
    return out


def _sequence_backward(saved, g, X, h0, c0, Wi, Wh, b, bh, *, kind, act, mask=None, with_state=True, input_grad=True):
    T = X.shape[0]
    dhT = g[T] if with_state else None
    dcT = g[T + 1] if with_state and kind.has_cell_state else None
    return kind.sequence_backward(saved, X, Wi, Wh, b, bh, g[:T], dhT, dcT, need_x=input_grad)


sequence = fused_primitive(
    "recurrent_sequence", _sequence_forward, _sequence_backward, reference_sequence, saves=range(7)
)


# --- one step -----------------------------------------------------------------------


def _cell_forward(x, h, c, Wi, Wh, b, bh, *, ws, kind, act, mask=None, with_state=True):
    out, saved = kind.step_forward(act, x, h, c, Wi, Wh, b, bh)
    if ws is not None:
        ws.saved = saved
    return out


def _cell_backward(saved, g, x, h, c, Wi, Wh, b, bh, *, kind, act, mask=None, with_state=True):
    return kind.step_backward(act, saved, g, x, h, c, Wi, Wh, b, bh)


cell_step = fused_primitive("recurrent_cell", _cell_forward, _cell_backward, reference_cell, saves=range(7))
