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
    bias = None if b is None else (b[perm] * scale[:, 0]).astype(dt, copy=False)
    Hs = take((T + 1, B, H), dt)
    Hs[0] = h0
    Cs = take((T + 1, B, H), dt)
    Cs[0] = c0
    TC = take((T, B, H), dt)
    Y = np.empty((T, B, H), dt) if out is None else out
    hp = np.empty((B, 4 * H), dt)
    ig = np.empty((B, H), dt)
    for t in range(T):
        a = A[t]
        np.matmul(Hs[t], WhT_s, out=hp)
        if bias is not None:
            a += bias  # here, while the step's rows are in cache, rather than in a pass over all steps
        a += hp
        np.tanh(a, out=a)
        s = a[:, : 3 * H]
        s *= 0.5
        s += 0.5
        o, i, f, g = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        c = Cs[t + 1]
        np.multiply(f, Cs[t], out=c)
        np.multiply(i, g, out=ig)
        c += ig
        np.tanh(c, out=TC[t])
        y = Y[t]
        np.multiply(o, TC[t], out=y)
        if masks is None:
            Hs[t + 1] = y
        else:
            m = masks[t]
            np.copyto(Hs[t + 1], np.where(m, y, Hs[t]))
            np.copyto(c, np.where(m, c, Cs[t]))
            y *= m
    if saved is not None:
        saved.A, saved.Hs, saved.Cs, saved.TC, saved.mask = A, Hs, Cs, TC, masks
        saved.h0_shape, saved.c0_shape, saved.B = np.shape(h0), np.shape(c0), B
        return Y, Hs[T].copy(), Cs[T].copy()
    hT, cT = Hs[T].copy(), Cs[T].copy()
    give(A, Hs, Cs, TC)
    return Y, hT, cT


_CACHE_FLOATS = 1 << 17  # floats of gate activations per block of steps in the backward pass's factor passes


def _gate_factors(A, TC, C, P, K):
    """For a block of steps: ``P`` takes dh (for o) and dc (for i, f, g) to the pre-activation gradients;
    ``K`` takes dh to dc through ``h = o tanh(c)``."""
    T, B, GH = A.shape
    H = GH // 4
    A4 = A.reshape(T, B, 4, H)
    o, i, g = A4[:, :, 0], A4[:, :, 1], A4[:, :, 3]
    np.subtract(1, A, out=P)
    P *= A  # sigmoid' = s (1 - s); the g block is overwritten next
    P4 = P.reshape(T, B, 4, H)
    np.multiply(g, g, out=P4[:, :, 3])
    np.subtract(1, P4[:, :, 3], out=P4[:, :, 3])
    P4[:, :, 0] *= TC
    P4[:, :, 1] *= g
    P4[:, :, 2] *= C
    P4[:, :, 3] *= i
    np.multiply(TC, TC, out=K)
    np.subtract(1, K, out=K)
    K *= o


def _sequence_backward(s, X, Wi, Wh, b, dY, dhT, dcT, need_x=True):
    A, Hs, Cs, TC, masks = s.A, s.Hs, s.Cs, s.TC, s.mask
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
        _gate_factors(A[t0:t1], TC[t0:t1], Cs[t0:t1], P[t0:t1], K[t0:t1])
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
    dh = np.empty((B, H), dt)
    dc = np.empty((B, H), dt)
    for t in range(T - 1, -1, -1):
        step_cotangent(dh, dY, t, dhrec)
        if masks is not None:
            m = masks[t]
            keep_h, keep_c = np.where(m, 0, dhrec), np.where(m, 0, dcarry)
            dh *= m
            dcarry *= m
        np.multiply(dh, K[t], out=dc)
        dc += dcarry
        np.multiply(dc[:, None, :], P4[t, :, 1:], out=dZ4[t, :, 1:])
        np.multiply(dh, P4[t, :, 0], out=dZ4[t, :, 0])
        np.multiply(dc, f[t], out=dcarry)
        np.matmul(dZ[t], Whp, out=dhrec)
        if masks is not None:
            dhrec += keep_h
            dcarry += keep_c
    dZf = dZ.reshape(T * B, GH)
    dX = (dZf @ Wi[perm]).reshape(X.shape) if need_x else None
    dWi, dWh = _weight_grads(dZf, X, Hs[:T])
    db = dZf.sum(axis=0)[_inverse_order(H)] if b is not None else None
    dh0 = dhrec.sum(axis=0) if len(s.h0_shape) == 1 else dhrec
    dc0 = dcarry.sum(axis=0) if len(s.c0_shape) == 1 else dcarry
    give(P, K, dZ)
    return dX, dh0, dc0, dWi, dWh, db, None


def _weight_grads(dZf, X, Hp):
    """``(dWi, dWh)`` in PyTorch's gate order, as one GEMM over all steps: ``dZ^T [X | H]``."""
    T, B, n_in = X.shape
    H = Hp.shape[2]
    XH = take((T * B, n_in + H), dZf.dtype)
    XH[:, :n_in] = X.reshape(T * B, n_in)
    XH[:, n_in:] = Hp.reshape(T * B, H)
    dW = dZf.T @ XH
    give(XH)
    inv = _inverse_order(H)
    return dW[inv, :n_in], dW[inv, n_in:]


class _LSTM(CellKind):
    name = "lstm"
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
