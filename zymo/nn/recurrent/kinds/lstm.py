"""The LSTM cell (gates ``i, f, g, o`` as PyTorch): ``c' = f c + i g``, ``h' = o tanh(c')``.

The sequence kernel is arranged so the time loop does as few NumPy calls as
possible. Internally the gates are ordered ``o, i, f, g`` and the rows of the
three sigmoid gates are pre-scaled by 1/2: one ``tanh`` over a step's whole
pre-activation row then gives ``tanh(z/2)`` for the sigmoid gates
(``sigmoid(z) = tanh(z/2)/2 + 1/2``, exact scaling by a power of two) and
``tanh(z)`` for ``g``. The backward pass computes every factor that does not
depend on the recurrence for all steps at once before its loop; the loop
itself is one GEMM and five elementwise calls per step.
"""

from __future__ import annotations

import functools

import numpy as np

from .._scratch import give, take
from ..namespace_cells import LSTMSteps
from ._activations import sigmoid, sigmoid_
from .base import CellKind, Saved, bias_grad, step_cotangent, sum_to, weight_grad

__all__ = ["LSTM_KIND"]


@functools.lru_cache(maxsize=16)
def _order(H: int) -> np.ndarray:
    """Row indices taking PyTorch's ``i, f, g, o`` blocks to the internal ``o, i, f, g`` (read-only)."""
    perm = np.concatenate([np.arange(3 * H, 4 * H), np.arange(3 * H)])
    perm.flags.writeable = False
    return perm


@functools.lru_cache(maxsize=16)
def _inverse_order(H: int) -> np.ndarray:
    """Row indices taking the internal ``o, i, f, g`` blocks back to PyTorch's ``i, f, g, o`` (read-only)."""
    inv = np.argsort(_order(H))
    inv.flags.writeable = False
    return inv


def _sequence_forward(X, h0, c0, Wi, Wh, b, masks, saved, out=None):
    T, B, n_in = X.shape
    H = Wh.shape[1]
    dt = np.result_type(X, h0, c0, Wi, Wh)
    perm = _order(H)
    scale = np.ones((4 * H, 1), dt)
    scale[: 3 * H] = 0.5
    Wi_s = (Wi[perm] * scale).astype(dt, copy=False)
    WhT_s = np.ascontiguousarray((Wh[perm] * scale).T, dtype=dt)
    A = take((T, B, 4 * H), dt)
    np.matmul(X.reshape(T * B, n_in), Wi_s.T, out=A.reshape(T * B, 4 * H))
    bias = None
    if b is not None:  # one row per batch entry: adding it is then a contiguous pass, not a broadcast one
        bias = np.empty((B, 4 * H), dt)
        bias[...] = b[perm] * scale[:, 0]
    XH = take(((T + 1) * B, n_in + H), dt)  # step t's rows: [x_t | h_t] (x filled by the backward pass)
    Hs = XH.reshape(T + 1, B, n_in + H)[:, :, n_in:]
    Hs[0] = h0
    GC = take((T + 1, B, 2 * H), dt)  # step t: [g_t | c_t], the factors of i_t and f_t in c_{t+1}
    GC[0, :, H:] = c0
    TC = take((T, B, H), dt)
    Y = np.empty((T, B, H), dt) if out is None else out
    hp = np.empty((B, 4 * H), dt)
    prods = np.empty((B, 2 * H), dt)
    for t in range(T):
        a = A[t]
        np.matmul(Hs[t], WhT_s, out=hp)
        if bias is not None:
            a += bias  # here, while the step's rows are in cache, rather than in a pass over all steps
        a += hp
        np.tanh(a, out=a)
        np.copyto(GC[t, :, :H], a[:, 3 * H :])  # g; the whole row is then made sigmoids (A's g block is not read)
        a *= 0.5
        a += 0.5
        np.multiply(a[:, H : 3 * H], GC[t], out=prods)  # [i g | f c]
        c = GC[t + 1, :, H:]
        np.add(prods[:, H:], prods[:, :H], out=c)
        np.tanh(c, out=TC[t])
        h = Hs[t + 1]
        np.multiply(a[:, :H], TC[t], out=h)
        if masks is not None:
            m = masks[t]
            np.copyto(c, GC[t, :, H:], where=~m)
            np.copyto(Y[t], h)
            np.copyto(h, Hs[t], where=~m)
            Y[t] *= m
        else:
            Y[t] = h
    hT, cT = Hs[T].copy(), GC[T, :, H:].copy()
    if saved is not None:
        saved.A, saved.Hs, saved.Cs, saved.TC, saved.mask = A, XH, GC, TC, masks
        saved.h0_shape, saved.c0_shape, saved.B = np.shape(h0), np.shape(c0), B
    else:
        give(A, XH, GC, TC)
    return Y, hT, cT


_CACHE_FLOATS = 1 << 17  # floats of gate activations per block of steps in the backward pass's factor passes


def _gate_factors(A, TC, GC, P, K):
    """For a block of steps: ``P`` takes dh (for o) and dc (for i, f, g) to the pre-activation gradients;
    ``K`` takes dh to dc through ``h = o tanh(c)``."""
    T, B, GH = A.shape
    H = GH // 4
    A4 = A.reshape(T, B, 4, H)
    o, i = A4[:, :, 0], A4[:, :, 1]
    g = GC[:, :, :H]
    np.subtract(1, A, out=P)
    P *= A  # sigmoid' = s (1 - s); the g block is overwritten next
    P4 = P.reshape(T, B, 4, H)
    np.multiply(g, g, out=P4[:, :, 3])
    np.subtract(1, P4[:, :, 3], out=P4[:, :, 3])
    P4[:, :, 0] *= TC
    P4[:, :, 1:3] *= GC.reshape(T, B, 2, H)  # i by g, f by c
    P4[:, :, 3] *= i
    np.multiply(TC, TC, out=K)
    np.subtract(1, K, out=K)
    K *= o


def _sequence_backward(s, X, Wi, Wh, b, dY, dhT, dcT, need_x=True):
    A, XH, GC, TC, masks = s.A, s.Hs, s.Cs, s.TC, s.mask
    T, B, GH = A.shape
    H = GH // 4
    dt = A.dtype
    perm = _order(H)
    A4 = A.reshape(T, B, 4, H)
    f = A4[:, :, 2]
    P = take(A.shape, dt)
    K = take(TC.shape, dt)
    # Blocks of steps small enough to stay in cache while their passes run over them.
    step = max(1, _CACHE_FLOATS // (B * GH))
    for t0 in range(0, T, step):
        t1 = min(t0 + step, T)
        _gate_factors(A[t0:t1], TC[t0:t1], GC[t0:t1], P[t0:t1], K[t0:t1])
    P4 = P.reshape(T, B, 4, H)
    dZ = take((T, B, GH), dt)
    dZ4 = dZ.reshape(T, B, 4, H)
    Whp = np.ascontiguousarray(Wh[perm], dtype=dt)
    dhrec = np.zeros((B, H), dt)
    if dhT is not None:
        dhrec += dhT
    dcarry = np.zeros((B, H), dt)
    if dcT is not None:
        dcarry += dcT
    D = np.empty((B, 4, H), dt)  # [dh | dc | dc | dc]: the step's gate gradients are then D * P, one pass
    dh, dc = D[:, 0], D[:, 1]
    for t in range(T - 1, -1, -1):
        step_cotangent(dh, dY, t, dhrec)
        if masks is not None:
            m = masks[t]
            keep_h, keep_c = np.where(m, 0, dhrec), np.where(m, 0, dcarry)
            dh *= m
            dcarry *= m
        np.multiply(dh, K[t], out=dc)
        dc += dcarry
        np.copyto(D[:, 2:], dc[:, None, :])
        np.multiply(D, P4[t], out=dZ4[t])
        np.multiply(dc, f[t], out=dcarry)
        np.matmul(dZ[t], Whp, out=dhrec)
        if masks is not None:
            dhrec += keep_h
            dcarry += keep_c
    dZf = dZ.reshape(T * B, GH)
    dX = (dZf @ Wi[perm]).reshape(X.shape) if need_x else None
    dWi, dWh = _weight_grads(dZf, X, XH)
    db = dZf.sum(axis=0)[_inverse_order(H)] if b is not None else None
    dh0 = dhrec.sum(axis=0) if len(s.h0_shape) == 1 else dhrec
    dc0 = dcarry.sum(axis=0) if len(s.c0_shape) == 1 else dcarry
    give(P, K, dZ)
    return dX, dh0, dc0, dWi, dWh, db, None


def _weight_grads(dZf, X, XH):
    """``(dWi, dWh)`` in PyTorch's gate order, as one GEMM over all steps: ``dZ^T [X | H]`` (the forward
    pass left each step's state in ``XH``'s right columns; the inputs are copied into its left ones)."""
    T, B, n_in = X.shape
    XH = XH[: T * B]
    np.copyto(XH.reshape(T, B, -1)[:, :, :n_in], X)
    dW = dZf.T @ XH
    inv = _inverse_order(XH.shape[1] - n_in)
    return dW[inv, :n_in], dW[inv, n_in:]


class _LSTM(CellKind):
    name = "lstm"
    namespace_cell = LSTMSteps
    gates = 4
    has_cell_state = True
    torch_name = "LSTM"

    def reference_step(self, act, x, h, c, Wi, Wh, b, bh):
        H = Wh.shape[1]
        z = x @ Wi.T
        if b is not None:
            z = z + b
        z = z + h @ Wh.T
        i, f = sigmoid(z[..., :H]), sigmoid(z[..., H : 2 * H])
        g, o = np.tanh(z[..., 2 * H : 3 * H]), sigmoid(z[..., 3 * H :])
        c2 = f * c + i * g
        return o * np.tanh(c2), c2

    def step_forward(self, act, x, h, c, Wi, Wh, b, bh):
        H = Wh.shape[1]
        z = x @ Wi.T
        if b is not None:
            z = z + b
        z = z + h @ Wh.T
        sigmoid_(z[..., : 2 * H])
        np.tanh(z[..., 2 * H : 3 * H], out=z[..., 2 * H : 3 * H])
        sigmoid_(z[..., 3 * H :])
        i, f, g, o = z[..., :H], z[..., H : 2 * H], z[..., 2 * H : 3 * H], z[..., 3 * H :]
        c2 = f * c + i * g
        tc = np.tanh(c2)
        h2 = o * tc
        if h2.shape != c2.shape:
            shape = np.broadcast_shapes(h2.shape, c2.shape)
            h2, c2 = np.broadcast_to(h2, shape), np.broadcast_to(c2, shape)
        return np.concatenate([h2, c2], axis=-1), (z, tc)

    def step_backward(self, act, saved, g, x, h, c, Wi, Wh, b, bh):
        H = Wh.shape[1]
        z, tc = saved
        i, f, gg, o = z[..., :H], z[..., H : 2 * H], z[..., 2 * H : 3 * H], z[..., 3 * H :]
        gh, gc = g[..., :H], g[..., H:]
        dcell = gh * o * (1 - tc * tc) + gc
        dz = np.empty(dcell.shape[:-1] + (4 * H,), dcell.dtype)
        np.multiply(dcell * gg, i * (1 - i), out=dz[..., :H])
        np.multiply(dcell * c, f * (1 - f), out=dz[..., H : 2 * H])
        np.multiply(dcell * i, 1 - gg * gg, out=dz[..., 2 * H : 3 * H])
        np.multiply(gh * tc, o * (1 - o), out=dz[..., 3 * H :])
        dc = sum_to(dcell * f, np.shape(c))
        dx = sum_to(dz @ Wi, np.shape(x))
        db = bias_grad(dz) if b is not None else None
        dh = dz @ Wh
        return dx, sum_to(dh, np.shape(h)), dc, weight_grad(dz, x), weight_grad(dz, h), db, None

    def sequence_forward(self, act, X, h0, c0, Wi, Wh, b, bh, masks, saved: Saved | None, out=None):
        return _sequence_forward(X, h0, c0, Wi, Wh, b, masks, saved, out)

    def sequence_backward(self, s: Saved, X, Wi, Wh, b, bh, dY, dhT, dcT, need_x=True):
        return _sequence_backward(s, X, Wi, Wh, b, dY, dhT, dcT, need_x)


LSTM_KIND = _LSTM()
