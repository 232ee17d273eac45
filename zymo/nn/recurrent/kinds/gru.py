"""The two gated recurrent units (gates ``r, z, n`` as PyTorch), with their fused sequence kernel.

- ``GRU_KIND`` (reset before the hidden product, Flux's ``GRU``):
  ``n = tanh(Wi_n x + Wh_n (r h) + b_n)``, ``h' = (1 - z) n + z h``.
- ``GRU3_KIND`` (reset after the hidden product, PyTorch's ``nn.GRU`` and Flux's ``GRUv3``):
  ``n = tanh(Wi_n x + b_n + r (Wh_n h + bh))``, ``h' = (1 - z) n + z h``.

Both share the sequence kernel's frame (the input projection of all steps in
one GEMM before the loop, the update ``h' = n + z (h - n)`` in place, every
factor that does not depend on the recurrence computed before the backward
loop); each supplies the reset-and-candidate arithmetic of one step, which is
where they differ (``gru`` does two hidden GEMMs per step, ``gru3`` one).
"""

from __future__ import annotations

import numpy as np

from .._scratch import give, take
from ..namespace_cells import GRU3Steps, GRUSteps
from ._activations import sigmoid, sigmoid_
from .base import CellKind, Saved, bias_grad, step_cotangent, store_state, sum_to, weight_grad

__all__ = ["GRU_KIND", "GRU3_KIND"]


class _GatedRecurrentUnit(CellKind):
    """The frame both GRUs share; subclasses write the reset-and-candidate parts."""

    gates = 3

    # --- one step ------------------------------------------------------------------

    def step_forward(self, act, x, h, c, Wi, Wh, b, bh):
        z = x @ Wi.T
        if b is not None:
            z = z + b
        rz, n, aux = self._step_candidate(z, h, Wh, bh)
        zg = rz[..., Wh.shape[1] :]
        return n + zg * (h - n), (rz, n, aux)

    def step_backward(self, act, saved, g, x, h, c, Wi, Wh, b, bh):
        H = Wh.shape[1]
        rz, n, aux = saved
        zg = rz[..., H:]
        dn = g * (1 - zg) * (1 - n * n)
        dz = np.empty(dn.shape[:-1] + (3 * H,), dn.dtype)
        np.multiply(g * (h - n), zg * (1 - zg), out=dz[..., H : 2 * H])
        dz[..., 2 * H :] = dn
        dh, dWh, dbh = self._step_hidden_grads(dz, dn, g, h, rz, aux, Wh, bh)
        dx = sum_to(dz @ Wi, np.shape(x))
        db = bias_grad(dz) if b is not None else None
        return dx, sum_to(dh, np.shape(h)), None, weight_grad(dz, x), dWh, db, dbh

    # --- a whole sequence ----------------------------------------------------------

    def sequence_forward(self, act, X, h0, c0, Wi, Wh, b, bh, masks, saved: Saved | None, out=None):
        T, B, n_in = X.shape
        H = Wh.shape[1]
        dt = np.result_type(X, h0, Wi, Wh)
        A = take((T, B, 3 * H), dt)
        np.matmul(X.reshape(T * B, n_in), Wi.T, out=A.reshape(T * B, 3 * H))
        Hs = take((T + 1, B, H), dt)
        Hs[0] = h0
        Y = np.empty((T, B, H), dt) if out is None else out
        WhT = np.ascontiguousarray(Wh.T, dtype=dt)  # (H, 3H): the per-step GEMM runs fastest on this layout
        hidden = self._hidden_weights(WhT, H)
        aux = take((T, B, H), dt)  # gru3: Wh_n h + bh; gru: r * h
        hp = np.empty((B, 3 * H), dt)
        for t in range(T):
            h = Hs[t]
            a = A[t]
            if b is not None:
                a += b  # here, while the step's rows are in cache, rather than in a pass over all steps
            hn = Y[t]
            n = a[:, 2 * H :]
            self._candidate_(a, h, hp, aux[t], hidden, bh, H)
            np.tanh(n, out=n)
            z = a[:, H : 2 * H]
            # h' = n + z (h - n)
            np.subtract(h, n, out=hn)
            hn *= z
            hn += n
            store_state(Hs, t, h, hn, masks)
        hT = Hs[T].copy()
        if saved is not None:
            saved.A, saved.Hs, saved.aux, saved.mask = A, Hs, aux, masks
            saved.h0_shape, saved.B = np.shape(h0), B
        else:
            give(A, Hs, aux)
        return Y, hT, None

    def sequence_backward(self, s: Saved, X, Wi, Wh, b, bh, dY, dhT, dcT, need_x=True):
        A, Hs, aux, masks = s.A, s.Hs, s.aux, s.mask
        T, B, GH = A.shape
        H = Hs.shape[2]
        dt = A.dtype
        dZ = take((T, B, GH), dt)  # gradient of the pre-activations (input side)
        dhrec = np.zeros((B, H), dt)
        if dhT is not None:
            dhrec += dhT
        dh = np.empty((B, H), dt)
        r, z = A[:, :, :H], A[:, :, H : 2 * H]
        Q, R, temps = self._factors(A, Hs[:T], aux)
        work = self._backward_work(Wh, (T, B, GH), dt)
        for t in range(T - 1, -1, -1):
            step_cotangent(dh, dY, t, dhrec)
            if masks is not None:
                m = masks[t]
                keep = np.where(m, 0, dhrec)  # what skips a padded step
                dh *= m
            dz = dZ[t]
            np.multiply(dh[:, None, :], Q[t], out=dz[:, H:].reshape(B, 2, H))
            self._reset_backward(t, dz, R[t], r[t], Wh, work, dhrec, H)
            dh *= z[t]
            dhrec += dh
            if masks is not None:
                dhrec += keep
        n_in = X.shape[2]
        dZf = dZ.reshape(T * B, GH)
        dX = (dZf @ Wi).reshape(T, B, n_in) if need_x else None
        dWi = dZf.T @ X.reshape(T * B, n_in)
        dWh, dbh = self._hidden_weight_grads(dZf, work, Hs[:T].reshape(T * B, H), aux, bh, H)
        db = dZf.sum(axis=0) if b is not None else None
        give(dZ, *temps)
        return dX, sum_to(dhrec, s.h0_shape), None, dWi, dWh, db, dbh

    def _factors(self, A, Hp, aux):
        """``Q`` (T, B, 2, H) takes dh to ``[dz_pre | dn_pre]`` (``z(1-z)(h-n)`` and ``(1-z)(1-n^2)``);
        ``R`` (T, B, H) is ``r(1-r)`` times what the reset gate multiplies."""
        H = Hp.shape[2]
        dt = A.dtype
        r, z, n = A[:, :, :H], A[:, :, H : 2 * H], A[:, :, 2 * H :]
        Q = take(Hp.shape[:2] + (2, H), dt)
        one_minus_z = np.subtract(1, z, out=take(z.shape, dt))
        np.subtract(Hp, n, out=Q[:, :, 0])
        Q[:, :, 0] *= z
        Q[:, :, 0] *= one_minus_z
        np.multiply(n, n, out=Q[:, :, 1])
        np.subtract(1, Q[:, :, 1], out=Q[:, :, 1])
        Q[:, :, 1] *= one_minus_z
        R = np.subtract(1, r, out=take(r.shape, dt))
        R *= r
        R *= self._reset_partner(aux, Hp)
        return Q, R, [Q, one_minus_z, R]


class _ResetAfter(_GatedRecurrentUnit):
    name = "gru3"
    namespace_cell = GRU3Steps
    torch_name = "GRU"
    hidden_bias = True

    def reference_step(self, act, x, h, c, Wi, Wh, b, bh):
        H = Wh.shape[1]
        xp = x @ Wi.T
        if b is not None:
            xp = xp + b
        hp = h @ Wh.T
        r = sigmoid(xp[..., :H] + hp[..., :H])
        z = sigmoid(xp[..., H : 2 * H] + hp[..., H : 2 * H])
        hn = hp[..., 2 * H :] if bh is None else hp[..., 2 * H :] + bh
        n = np.tanh(xp[..., 2 * H :] + r * hn)
        return n + z * (h - n), None

    def _step_candidate(self, z, h, Wh, bh):
        H = Wh.shape[1]
        hp = h @ Wh.T
        rz = z[..., : 2 * H] + hp[..., : 2 * H]
        sigmoid_(rz)
        hn = hp[..., 2 * H :] if bh is None else hp[..., 2 * H :] + bh
        n = np.tanh(z[..., 2 * H :] + rz[..., :H] * hn)
        return rz, n, hn

    def _step_hidden_grads(self, dz, dn, g, h, rz, aux, Wh, bh):
        H = Wh.shape[1]
        r, zg = rz[..., :H], rz[..., H:]
        np.multiply(dn * aux, r * (1 - r), out=dz[..., :H])
        dhp = dz.copy()
        np.multiply(dn, r, out=dhp[..., 2 * H :])
        dbh = bias_grad(dhp[..., 2 * H :]) if bh is not None else None
        dh = dhp @ Wh
        dh = dh + g * zg
        return dh, weight_grad(dhp, h), dbh

    def _hidden_weights(self, WhT, H):
        return WhT

    def _candidate_(self, a, h, hp, aux_t, WhT, bh, H):
        rz = a[:, : 2 * H]
        np.matmul(h, WhT, out=hp)
        rz += hp[:, : 2 * H]
        sigmoid_(rz)
        np.add(hp[:, 2 * H :], bh, out=aux_t) if bh is not None else np.copyto(aux_t, hp[:, 2 * H :])
        a[:, 2 * H :] += a[:, :H] * aux_t

    def _reset_partner(self, aux, Hp):
        return aux

    def _backward_work(self, Wh, shape, dt):
        return take(shape, dt)  # gradient of Wh h, which differs from dZ in the candidate block

    def _reset_backward(self, t, dz, R_t, r_t, Wh, dHP, dhrec, H):
        dn = dz[:, 2 * H :]
        np.multiply(dn, R_t, out=dz[:, :H])
        hp = dHP[t]
        hp[:, : 2 * H] = dz[:, : 2 * H]
        np.multiply(dn, r_t, out=hp[:, 2 * H :])
        np.matmul(hp, Wh, out=dhrec)

    def _hidden_weight_grads(self, dZf, dHP, Hpf, aux, bh, H):
        T, B, GH = dHP.shape
        dWh = dHP.reshape(T * B, GH).T @ Hpf
        dbh = dHP[:, :, 2 * H :].sum(axis=(0, 1)) if bh is not None else None
        give(dHP)
        return dWh, dbh

    # PyTorch's b_hn multiplies the reset gate: it becomes bh; its other hidden biases fold into b

    def biases_from_torch(self, b_ih, b_hh):
        H = b_hh.shape[0] // 3
        b = b_ih.copy()
        b[: 2 * H] += b_hh[: 2 * H]
        return b, b_hh[2 * H :].copy()

    def biases_to_torch(self, b, bh):
        H = b.shape[0] // 3
        hh = np.zeros_like(b)
        hh[2 * H :] = bh
        return b, hh


class _ResetBefore(_GatedRecurrentUnit):
    name = "gru"
    namespace_cell = GRUSteps
    torch_note = " (zymo's GRU resets before the hidden product; nn.GRU is GRUv3)"

    def reference_step(self, act, x, h, c, Wi, Wh, b, bh):
        H = Wh.shape[1]
        xp = x @ Wi.T
        if b is not None:
            xp = xp + b
        hp = h @ Wh[: 2 * H].T
        r = sigmoid(xp[..., :H] + hp[..., :H])
        z = sigmoid(xp[..., H : 2 * H] + hp[..., H:])
        n = np.tanh(xp[..., 2 * H :] + (r * h) @ Wh[2 * H :].T)
        return n + z * (h - n), None

    def _step_candidate(self, z, h, Wh, bh):
        H = Wh.shape[1]
        rz = z[..., : 2 * H] + h @ Wh[: 2 * H].T
        sigmoid_(rz)
        aux = rz[..., :H] * h
        n = np.tanh(z[..., 2 * H :] + aux @ Wh[2 * H :].T)
        return rz, n, aux

    def _step_hidden_grads(self, dz, dn, g, h, rz, aux, Wh, bh):
        H = Wh.shape[1]
        r, zg = rz[..., :H], rz[..., H:]
        drh = dn @ Wh[2 * H :]
        np.multiply(drh * h, r * (1 - r), out=dz[..., :H])
        dh = dz[..., : 2 * H] @ Wh[: 2 * H] + drh * r + g * zg
        dWh = np.concatenate([weight_grad(dz[..., : 2 * H], h), weight_grad(dz[..., 2 * H :], aux)], axis=0)
        return dh, dWh, None

    def _hidden_weights(self, WhT, H):
        return np.ascontiguousarray(WhT[:, : 2 * H]), np.ascontiguousarray(WhT[:, 2 * H :])

    def _candidate_(self, a, h, hp, aux_t, hidden, bh, H):
        WhT_rz, WhT_n = hidden
        rz = a[:, : 2 * H]
        np.matmul(h, WhT_rz, out=hp[:, : 2 * H])
        rz += hp[:, : 2 * H]
        sigmoid_(rz)
        rh = np.multiply(a[:, :H], h, out=aux_t)
        a[:, 2 * H :] += rh @ WhT_n

    def _reset_partner(self, aux, Hp):
        return Hp

    def _backward_work(self, Wh, shape, dt):
        H = Wh.shape[1]
        return Wh[: 2 * H], Wh[2 * H :]

    def _reset_backward(self, t, dz, R_t, r_t, Wh, work, dhrec, H):
        Wh_rz, Wh_n = work
        drh = dz[:, 2 * H :] @ Wh_n
        np.multiply(drh, R_t, out=dz[:, :H])
        np.matmul(dz[:, : 2 * H], Wh_rz, out=dhrec)
        drh *= r_t
        dhrec += drh

    def _hidden_weight_grads(self, dZf, work, Hpf, aux, bh, H):
        GH = dZf.shape[1]
        dWh = np.empty((GH, H), dZf.dtype)
        dWh[: 2 * H] = dZf[:, : 2 * H].T @ Hpf
        dWh[2 * H :] = dZf[:, 2 * H :].T @ aux.reshape(-1, H)
        return dWh, None


GRU_KIND = _ResetBefore()
GRU3_KIND = _ResetAfter()
