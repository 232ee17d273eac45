"""The recorded whole-sequence operation on arrays of other libraries (CuPy, ``array_api_strict``).

``recurrent_sequence`` (``_primitives.sequence``) gets its namespace implementation here: the input
projection of every step is one matrix product before the time loop, each step one product with
``Wh`` and the cell's elementwise functions (fused kernels on CuPy), all on the arrays' device; what
the backward pass reads stays on the device too, in a ``NamespaceSaved``. Its backward pass is
backpropagation through time written the same way, with the weight gradients as one product over all
steps after the loop. So a sequence layer on a GPU is one recorded operation, as on NumPy, with no
copy to the host at any step.

Example:
    >>> from zymo.nn import LSTMCell
    >>> from zymo.nn.recurrent import namespace_sequence
    >>> from zymo.nn.recurrent.kinds import CellKind
    >>> namespace_sequence.supports(LSTMCell.kind), namespace_sequence.supports(CellKind())
    (True, False)
"""

from __future__ import annotations

import numpy as np

from ...core.namespace import defnamespace, is_foreign
from ...core.trace import box_foreign
from ...core.tracer import Tracer
from ._primitives import sequence
from .namespace_cells import pointwise

__all__ = ["supports", "NamespaceSaved", "sequence_forward", "sequence_backward"]


def supports(kind) -> bool:
    """Whether cells of this ``CellKind`` have a namespace kernel (its ``namespace_cell``; the built-in ones do)."""
    return kind.namespace_cell is not None


class NamespaceSaved:
    """What the namespace backward pass reads: per step the incoming states and the cell's ``keep``."""

    __slots__ = ("xp", "kind", "act", "Hs", "Cs", "keeps", "mask", "h0_ndim", "c0_ndim")

    def __init__(self, xp, kind, act, Hs, Cs, keeps, mask, h0_ndim, c0_ndim):
        self.xp, self.kind, self.act = xp, kind, act
        self.Hs, self.Cs, self.keeps, self.mask = Hs, Cs, keeps, mask
        self.h0_ndim, self.c0_ndim = h0_ndim, c0_ndim

    def namespace_backward(self, g, args, static):
        """The fused backward pass when ``g`` and ``args`` are plain (or only boxed) arrays of the library;
        None when one is traced (higher order), so the caller differentiates the reference code instead."""
        plain = [_unboxed(v) for v in (g, *args)]
        if any(v is _TRACED for v in plain):
            return None
        return tuple(box_foreign(d) for d in sequence_backward(self, *plain, **static))


_TRACED = object()


def _unboxed(v):
    if v is None:
        return None
    if type(v) is Tracer:
        return v._val if v._trace.level == 0 and is_foreign(v._val) else _TRACED
    return v if is_foreign(v) else _TRACED


def _device_mask(xp, mask, like):
    """``mask`` (T, B) as (T, B, 1) booleans of ``xp`` on ``like``'s device (a NumPy mask copied once)."""
    if mask is None:
        return None
    if type(mask) is np.ndarray:
        mask = xp.asarray(mask, device=like.device)
    return xp.reshape(mask, (mask.shape[0], mask.shape[1], 1))


def sequence_forward(xp, X, h0, c0, Wi, Wh, b, bh, *, ws, kind, act, mask=None, with_state=True, input_grad=True):
    """``[Y_0 .. Y_{T-1}, h_T (, c_T)]`` stacked on axis 0, as the NumPy kernel; fills ``ws.saved``."""
    cell, fns = kind.namespace_cell, pointwise(xp)
    T, B, n_in = X.shape
    H = Wh.shape[1]
    A = xp.reshape(X, (T * B, n_in)) @ Wi.T
    A = xp.reshape(A if b is None else A + b, (T, B, A.shape[-1]))
    WhT = cell.hidden_weights(Wh)
    h = xp.broadcast_to(h0, (B, H))
    c = None if c0 is None else xp.broadcast_to(c0, (B, H))
    masks = _device_mask(xp, mask, X)
    ys, Hs, Cs, keeps = [], [], [], []
    for t in range(T):
        h2, c2, keep = cell.forward(xp, fns, act, A[t, ...], h, c, WhT, bh)
        Hs.append(h)
        Cs.append(c)
        keeps.append(keep)
        if masks is None:
            ys.append(h2)
            h, c = h2, c2
        else:
            m = masks[t, ...]
            ys.append(xp.where(m, h2, xp.zeros_like(h2)))
            h, c = xp.where(m, h2, h), None if c is None else xp.where(m, c2, c)
    if ws is not None:
        ws.saved = NamespaceSaved(
            xp, kind, act, Hs, Cs, keeps, masks, len(h0.shape), None if c0 is None else len(c0.shape)
        )
    rows = ys + ([h] + ([c] if c is not None else []) if with_state else [])
    return xp.stack(rows, axis=0)


def _backward_loop(s: NamespaceSaved, g, Wh, T, with_state):
    """Backpropagation through time: each step's ``StepGrads`` (in time order) and the states' cotangents."""
    xp, cell, fns = s.xp, s.kind.namespace_cell, pointwise(s.xp)
    zeros = xp.zeros_like(s.Hs[-1])
    dhrec = g[T, ...] if with_state else zeros
    dcrec = None
    if s.kind.has_cell_state:
        dcrec = g[T + 1, ...] if with_state else zeros
    steps = []
    for t in range(T - 1, -1, -1):
        dh, dc = dhrec + g[t, ...], dcrec
        if s.mask is not None:  # a padded step passes the state's cotangent by and takes none itself
            m = s.mask[t, ...]
            keep_h, dh = xp.where(m, zeros, dhrec), xp.where(m, dh, zeros)
            if dc is not None:
                keep_c, dc = xp.where(m, zeros, dc), xp.where(m, dc, zeros)
        grads = cell.backward(xp, fns, s.act, s.keeps[t], dh, dc, s.Hs[t], s.Cs[t], Wh)
        steps.append(grads)
        dhrec, dcrec = grads.dh, grads.dc
        if s.mask is not None:
            dhrec = dhrec + keep_h
            dcrec = None if dcrec is None else dcrec + keep_c
    return steps[::-1], dhrec, dcrec


def sequence_backward(s, g, X, h0, c0, Wi, Wh, b, bh, *, kind, act, mask=None, with_state=True, input_grad=True):
    """``(dX, dh0, dc0, dWi, dWh, db, dbh)`` for the cotangent ``g`` of ``sequence_forward``'s output."""
    xp = s.xp
    T, B, n_in = X.shape
    H = Wh.shape[1]
    steps, dh0, dc0 = _backward_loop(s, g, Wh, T, with_state)
    dA = xp.reshape(xp.stack([d.da for d in steps]), (T * B, -1))
    dHid = xp.reshape(xp.stack([d.dhid for d in steps]), (T * B, -1))
    Hprev = xp.reshape(xp.stack(s.Hs), (T * B, H))
    dX = xp.reshape(dA @ Wi, X.shape) if input_grad else None
    dWi = dA.T @ xp.reshape(X, (T * B, n_in))
    dWh, dbh = kind.namespace_cell.hidden_grads(xp, dA, dHid, Hprev, s.keeps, bh)
    db = None if b is None else xp.sum(dA, axis=0)
    if s.h0_ndim == 1:
        dh0 = xp.sum(dh0, axis=0)
    if dc0 is not None and s.c0_ndim == 1:
        dc0 = xp.sum(dc0, axis=0)
    return dX, dh0, dc0, dWi, dWh, db, dbh


defnamespace(sequence, sequence_forward)
