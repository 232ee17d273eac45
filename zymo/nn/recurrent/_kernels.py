"""Fused NumPy kernels: a whole recurrent sequence forward, and its backpropagation through time.

Everything here runs on plain ndarrays. The input projection of every step is
one GEMM hoisted out of the time loop; the loop does one (two for ``gru``)
hidden-state GEMM per step and the gate arithmetic in place with ``out=``.
The forward pass saves only what the backward pass reads, in preallocated
``(T, B, .)`` buffers; the backward pass accumulates the pre-activation
gradients of all steps in one buffer and turns them into weight gradients
with one GEMM each after the loop.

Kinds and their parameters (``G`` gates of ``H`` units; gate order as PyTorch):
- ``rnn``  (G=1): ``h' = act(Wi x + Wh h + b)``.
- ``lstm`` (G=4, gates i, f, g, o): ``c' = f c + i g``, ``h' = o tanh(c')``.
- ``gru``  (G=3, gates r, z, n; reset before the hidden product, Flux's ``GRU``):
  ``n = tanh(Wi_n x + Wh_n (r h) + b_n)``, ``h' = (1 - z) n + z h``.
- ``gru3`` (G=3; reset after the hidden product, PyTorch's ``nn.GRU`` and Flux's ``GRUv3``):
  ``n = tanh(Wi_n x + b_n + r (Wh_n h + bh))``, ``h' = (1 - z) n + z h``.
"""

from __future__ import annotations

import numpy as np

from ._lstm_kernel import lstm_backward, lstm_forward
from ._scratch import give, take

__all__ = ["ACTIVATIONS", "GATES", "sequence_forward", "sequence_backward"]

GATES = {"rnn": 1, "lstm": 4, "gru": 3, "gru3": 3}


def _sigmoid_(a: np.ndarray) -> np.ndarray:
    """In place: ``a <- 1 / (1 + exp(-a))`` written as ``0.5 tanh(a / 2) + 0.5`` (stable, one transcendental)."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def _tanh_(a):
    return np.tanh(a, out=a)


def _relu_(a):
    return np.maximum(a, 0, out=a)


def _identity_(a):
    return a


def _dtanh_(dz, a):  # dz *= 1 - a^2
    dz *= 1 - a * a
    return dz


def _dsigmoid_(dz, a):
    dz *= a * (1 - a)
    return dz


def _drelu_(dz, a):
    dz *= a > 0
    return dz


def _didentity_(dz, a):
    return dz


# name -> (in-place activation, in-place "multiply by the derivative, given the activation's output")
ACTIVATIONS = {
    "tanh": (_tanh_, _dtanh_),
    "sigmoid": (_sigmoid_, _dsigmoid_),
    "relu": (_relu_, _drelu_),
    "identity": (_identity_, _didentity_),
}


class Saved:
    """What the backward pass reads, filled by ``sequence_forward``."""

    __slots__ = ("kind", "act", "A", "Hs", "Cs", "TC", "X", "aux", "mask", "h0_shape", "c0_shape", "B")

    def __init__(self, kind, act):
        self.kind, self.act = kind, act
        self.A = self.Hs = self.Cs = self.TC = self.aux = None

    def __del__(self):
        try:
            give(self.A, self.Hs, self.Cs, self.TC, self.aux)
        except (TypeError, AttributeError):  # interpreter shutdown: the pool is already gone
            pass


def sequence_forward(kind, act, X, h0, c0, Wi, Wh, b, bh, mask, saved: Saved | None, out=None):
    """Run ``T`` steps. ``X``: (T, B, I); ``h0``/``c0``: (H,) or (B, H); ``mask``: (T, B) bool or None.

    Returns ``(Y, hT, cT)`` with ``Y`` (T, B, H) (zero at masked steps; written
    into ``out`` when given), the final states (B, H) (``cT`` None unless
    ``lstm``). Fills ``saved`` when given.
    """
    masks = None if mask is None else mask[:, :, None]
    if kind == "lstm":
        return lstm_forward(X, h0, c0, Wi, Wh, b, masks, saved, out)
    T, B, n_in = X.shape
    H = Wh.shape[1]
    G = GATES[kind]
    dt = np.result_type(X, h0, Wi, Wh)
    A = take((T, B, G * H), dt)
    np.matmul(X.reshape(T * B, n_in), Wi.T, out=A.reshape(T * B, G * H))
    Hs = take((T + 1, B, H), dt)
    Hs[0] = h0
    Y = np.empty((T, B, H), dt) if out is None else out
    WhT = np.ascontiguousarray(Wh.T, dtype=dt)  # (H, G*H): the per-step GEMM runs fastest on this layout
    WhT_rz = np.ascontiguousarray(WhT[:, : 2 * H]) if kind == "gru" else None
    WhT_n = np.ascontiguousarray(WhT[:, 2 * H :]) if kind == "gru" else None
    aux = None
    if kind != "rnn":
        aux = take((T, B, H), dt)  # gru3: Wh_n h + bh; gru: r * h
    hp = np.empty((B, G * H), dt)
    act_ = ACTIVATIONS[act][0] if kind == "rnn" else None
    for t in range(T):
        h = Hs[t]
        a = A[t]
        if b is not None:
            a += b  # here, while the step's rows are in cache, rather than in a pass over all steps
        hn = Y[t]
        if kind == "rnn":
            np.matmul(h, WhT, out=hp)
            a += hp
            act_(a)
            hn[...] = a
        else:
            rz = a[:, : 2 * H]
            n = a[:, 2 * H :]
            if kind == "gru3":
                np.matmul(h, WhT, out=hp)
                rz += hp[:, : 2 * H]
                _sigmoid_(rz)
                hnp = aux[t]
                np.add(hp[:, 2 * H :], bh, out=hnp) if bh is not None else np.copyto(hnp, hp[:, 2 * H :])
                n += a[:, :H] * hnp
            else:
                np.matmul(h, WhT_rz, out=hp[:, : 2 * H])
                rz += hp[:, : 2 * H]
                _sigmoid_(rz)
                rh = np.multiply(a[:, :H], h, out=aux[t])
                n += rh @ WhT_n
            np.tanh(n, out=n)
            z = a[:, H : 2 * H]
            # h' = n + z (h - n)
            np.subtract(h, n, out=hn)
            hn *= z
            hn += n
        if masks is not None:
            m = masks[t]
            np.copyto(Hs[t + 1], h)
            np.copyto(Hs[t + 1], hn, where=m)
            hn *= m
        else:
            Hs[t + 1] = hn
    if saved is not None:
        saved.A, saved.Hs, saved.aux, saved.mask = A, Hs, aux, masks
        saved.h0_shape, saved.B = np.shape(h0), B
        return Y, Hs[T].copy(), None
    hT = Hs[T].copy()
    give(A, Hs, aux)
    return Y, hT, None


def _reduce_state(g, shape):
    return g.sum(axis=0) if len(shape) == 1 else g


def sequence_backward(s: Saved, X, Wi, Wh, b, bh, dY, dhT, dcT):
    """Backpropagation through time. Returns ``(dX, dh0, dc0, dWi, dWh, db, dbh)``; any gradient
    argument may be None (zero).

    Every factor that does not depend on the recurrence is computed for all
    steps at once before the loop, which then does one GEMM (two for ``gru``)
    and a few elementwise calls per step.
    """
    kind = s.kind
    if kind == "lstm":
        return lstm_backward(s, X, Wi, Wh, b, dY, dhT, dcT)
    A, Hs, aux, masks = s.A, s.Hs, s.aux, s.mask
    T, B, GH = A.shape
    H = Hs.shape[2]
    dt = A.dtype
    dZ = take((T, B, GH), dt)  # gradient of the pre-activations (input side)
    dHP = None  # gru3: gradient of Wh h, which differs from dZ in the candidate block
    dhrec = np.zeros((B, H), dt)
    if dhT is not None:
        dhrec += dhT
    dh = np.empty((B, H), dt)
    temps = []
    if kind == "rnn":
        D = take(A.shape, dt)
        temps.append(D)
        D.fill(1)
        ACTIVATIONS[s.act][1](D, A)  # act' from the activation's output
    else:
        r, z, n = A[:, :, :H], A[:, :, H : 2 * H], A[:, :, 2 * H :]
        Hp = Hs[:T]
        # dh -> [dz_pre | dn_pre]: z(1-z)(h-n) and (1-z)(1-n^2)
        Q = take((T, B, 2, H), dt)
        one_minus_z = np.subtract(1, z, out=take(z.shape, dt))
        np.subtract(Hp, n, out=Q[:, :, 0])
        Q[:, :, 0] *= z
        Q[:, :, 0] *= one_minus_z
        np.multiply(n, n, out=Q[:, :, 1])
        np.subtract(1, Q[:, :, 1], out=Q[:, :, 1])
        Q[:, :, 1] *= one_minus_z
        # dn_pre -> dr_pre: r(1-r) times (Wh_n h + bh) for gru3; for gru it multiplies d(rh) by h r(1-r)
        R = np.subtract(1, r, out=take(r.shape, dt))
        R *= r
        R *= aux if kind == "gru3" else Hp
        temps += [Q, one_minus_z, R]
        if kind == "gru3":
            dHP = take((T, B, GH), dt)
        else:
            Wh_rz, Wh_n = Wh[: 2 * H], Wh[2 * H :]
    for t in range(T - 1, -1, -1):
        if dY is not None:
            np.add(dY[t], dhrec, out=dh)
        else:
            np.copyto(dh, dhrec)
        if masks is not None:
            m = masks[t]
            keep = np.where(m, 0, dhrec)  # what skips a padded step
            dh *= m
        dz = dZ[t]
        if kind == "rnn":
            np.multiply(dh, D[t], out=dz)
            np.matmul(dz, Wh, out=dhrec)
        else:
            np.multiply(dh[:, None, :], Q[t], out=dz[:, H:].reshape(B, 2, H))
            dn = dz[:, 2 * H :]
            if kind == "gru3":
                np.multiply(dn, R[t], out=dz[:, :H])
                hp = dHP[t]
                hp[:, : 2 * H] = dz[:, : 2 * H]
                np.multiply(dn, r[t], out=hp[:, 2 * H :])
                np.matmul(hp, Wh, out=dhrec)
            else:
                drh = dn @ Wh_n
                np.multiply(drh, R[t], out=dz[:, :H])
                np.matmul(dz[:, : 2 * H], Wh_rz, out=dhrec)
                drh *= r[t]
                dhrec += drh
            dh *= z[t]
            dhrec += dh
        if masks is not None:
            dhrec += keep
    n_in = X.shape[2]
    dZf = dZ.reshape(T * B, GH)
    dX = (dZf @ Wi).reshape(T, B, n_in)
    dWi = dZf.T @ X.reshape(T * B, n_in)
    Hpf = Hs[:T].reshape(T * B, H)
    dbh = None
    if kind == "gru3":
        dWh = dHP.reshape(T * B, GH).T @ Hpf
        dbh = dHP[:, :, 2 * H :].sum(axis=(0, 1)) if bh is not None else None
    elif kind == "gru":
        dWh = np.empty((GH, H), dt)
        dWh[: 2 * H] = dZf[:, : 2 * H].T @ Hpf
        dWh[2 * H :] = dZf[:, 2 * H :].T @ aux.reshape(T * B, H)
    else:
        dWh = dZf.T @ Hpf
    db = dZf.sum(axis=0) if b is not None else None
    give(dZ, dHP, *temps)
    return dX, _reduce_state(dhrec, s.h0_shape), None, dWi, dWh, db, dbh
