"""The Elman cell: ``h' = act(Wi x + Wh h + b)`` (one gate), with its fused sequence kernel.

The sequence forward pass does the input projection of every step as one
GEMM before the time loop, one hidden-state GEMM per step, and the activation
in place; the backward pass takes every activation derivative at once before
its loop and turns the pre-activation gradients of all steps into weight
gradients with one GEMM each after it.
"""

from __future__ import annotations

import numpy as np

from .._scratch import give, take
from ..namespace_cells import ElmanSteps
from ._activations import IN_PLACE, REFERENCE
from .base import CellKind, Saved, bias_grad, step_cotangent, store_state, sum_to, weight_grad

__all__ = ["RNN_KIND"]


class _Elman(CellKind):
    name = "rnn"
    namespace_cell = ElmanSteps
    gates = 1
    torch_name = "RNN"

    def reference_step(self, act, x, h, c, Wi, Wh, b, bh):
        xp = x @ Wi.T
        if b is not None:
            xp = xp + b
        f = REFERENCE[act] if isinstance(act, str) else act
        return f(xp + h @ Wh.T), None

    def step_forward(self, act, x, h, c, Wi, Wh, b, bh):
        z = x @ Wi.T
        if b is not None:
            z = z + b
        z = z + h @ Wh.T
        IN_PLACE[act][0](z)
        return z, (z.copy(),)  # its own copy: the caller may write into the output in place

    def step_backward(self, act, saved, g, x, h, c, Wi, Wh, b, bh):
        (a,) = saved
        dz = IN_PLACE[act][1](np.array(g, dtype=a.dtype), a)
        dx = sum_to(dz @ Wi, np.shape(x))
        db = bias_grad(dz) if b is not None else None
        dh = dz @ Wh
        return dx, sum_to(dh, np.shape(h)), None, weight_grad(dz, x), weight_grad(dz, h), db, None

    def sequence_forward(self, act, X, h0, c0, Wi, Wh, b, bh, masks, saved: Saved | None, out=None):
        T, B, n_in = X.shape
        H = Wh.shape[1]
        dt = np.result_type(X, h0, Wi, Wh)
        A = take((T, B, H), dt)
        np.matmul(X.reshape(T * B, n_in), Wi.T, out=A.reshape(T * B, H))
        Hs = take((T + 1, B, H), dt)
        Hs[0] = h0
        Y = np.empty((T, B, H), dt) if out is None else out
        WhT = np.ascontiguousarray(Wh.T, dtype=dt)  # (H, H): the per-step GEMM runs fastest on this layout
        hp = np.empty((B, H), dt)
        act_ = IN_PLACE[act][0]
        for t in range(T):
            h = Hs[t]
            a = A[t]
            if b is not None:
                a += b  # here, while the step's rows are in cache, rather than in a pass over all steps
            hn = Y[t]
            np.matmul(h, WhT, out=hp)
            a += hp
            act_(a)
            hn[...] = a
            store_state(Hs, t, h, hn, masks)
        hT = Hs[T].copy()
        if saved is not None:
            saved.A, saved.Hs, saved.mask = A, Hs, masks
            saved.h0_shape, saved.B = np.shape(h0), B
        else:
            give(A, Hs)
        return Y, hT, None

    def sequence_backward(self, s: Saved, X, Wi, Wh, b, bh, dY, dhT, dcT, need_x=True):
        A, Hs, masks = s.A, s.Hs, s.mask
        T, B, H = A.shape
        dt = A.dtype
        dZ = take((T, B, H), dt)  # gradient of the pre-activations
        dhrec = np.zeros((B, H), dt)
        if dhT is not None:
            dhrec += dhT
        dh = np.empty((B, H), dt)
        D = take(A.shape, dt)
        D.fill(1)
        IN_PLACE[s.act][1](D, A)  # act' from the activation's output
        for t in range(T - 1, -1, -1):
            step_cotangent(dh, dY, t, dhrec)
            if masks is not None:
                m = masks[t]
                keep = np.where(m, 0, dhrec)  # what skips a padded step
                dh *= m
            np.multiply(dh, D[t], out=dZ[t])
            np.matmul(dZ[t], Wh, out=dhrec)
            if masks is not None:
                dhrec += keep
        n_in = X.shape[2]
        dZf = dZ.reshape(T * B, H)
        dX = (dZf @ Wi).reshape(T, B, n_in) if need_x else None
        dWi = dZf.T @ X.reshape(T * B, n_in)
        dWh = dZf.T @ Hs[:T].reshape(T * B, H)
        db = dZf.sum(axis=0) if b is not None else None
        give(dZ, D)
        return dX, sum_to(dhrec, s.h0_shape), None, dWi, dWh, db, None


RNN_KIND = _Elman()
