"""Single-step kernels for the cell primitive: the fewest NumPy calls for one step and its backward.

A cell call is often tiny (a few units, a few batch rows), where the cost is
the number of NumPy calls, not arithmetic; the sequence kernel's
preparation (gate reordering, work arrays) would dominate there. Inputs and
states may each be batched ``(B, n)`` or not ``(n,)``; gradients are summed
back to each argument's shape. Formulas and gate order as in ``_kernels``.
"""

from __future__ import annotations

import numpy as np

from ._kernels import ACTIVATIONS

__all__ = ["step_forward", "step_backward"]


def _sigmoid_(a):
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def _to(g, shape):
    """``g`` summed over a batch axis its argument does not have."""
    return g.sum(axis=0) if g.ndim == 2 and len(shape) == 1 else g


def _wgrad(dz, v):
    """Gradient of a weight ``W`` used as ``v @ W.T``, given the gradient ``dz`` of the product."""
    if dz.ndim == 2 and v.ndim == 2:
        return dz.T @ v
    if dz.ndim == 2:
        return np.outer(dz.sum(axis=0), v)
    return np.outer(dz, v)


def _bias(dz):
    return dz.sum(axis=0) if dz.ndim == 2 else dz


def step_forward(kind, act, x, h, c, Wi, Wh, b, bh):
    """``(out, saved)``: ``out`` is ``h'`` (``[h' | c']`` for LSTM)."""
    z = x @ Wi.T
    if b is not None:
        z = z + b
    if kind == "rnn":
        z = z + h @ Wh.T
        ACTIVATIONS[act][0](z)
        return z, (z,)
    H = Wh.shape[1]
    if kind == "lstm":
        z = z + h @ Wh.T
        _sigmoid_(z[..., : 2 * H])
        np.tanh(z[..., 2 * H : 3 * H], out=z[..., 2 * H : 3 * H])
        _sigmoid_(z[..., 3 * H :])
        i, f, g, o = z[..., :H], z[..., H : 2 * H], z[..., 2 * H : 3 * H], z[..., 3 * H :]
        c2 = f * c + i * g
        tc = np.tanh(c2)
        h2 = o * tc
        if h2.shape != c2.shape:
            shape = np.broadcast_shapes(h2.shape, c2.shape)
            h2, c2 = np.broadcast_to(h2, shape), np.broadcast_to(c2, shape)
        return np.concatenate([h2, c2], axis=-1), (z, tc)
    if kind == "gru3":
        hp = h @ Wh.T
        rz = z[..., : 2 * H] + hp[..., : 2 * H]
        _sigmoid_(rz)
        r, zg = rz[..., :H], rz[..., H:]
        hn = hp[..., 2 * H :] if bh is None else hp[..., 2 * H :] + bh
        n = np.tanh(z[..., 2 * H :] + r * hn)
        aux = hn
    else:
        rz = z[..., : 2 * H] + h @ Wh[: 2 * H].T
        _sigmoid_(rz)
        r, zg = rz[..., :H], rz[..., H:]
        aux = r * h
        n = np.tanh(z[..., 2 * H :] + aux @ Wh[2 * H :].T)
    return n + zg * (h - n), (rz, n, aux)


def step_backward(kind, act, saved, g, x, h, c, Wi, Wh, b, bh):
    """Gradients ``(dx, dh, dc, dWi, dWh, db, dbh)`` of one step for output cotangent ``g``."""
    H = Wh.shape[1]
    dc = dbh = None
    if kind == "rnn":
        (a,) = saved
        dz = ACTIVATIONS[act][1](np.array(g, dtype=a.dtype), a)
        dhp = dz
    elif kind == "lstm":
        z, tc = saved
        i, f, gg, o = z[..., :H], z[..., H : 2 * H], z[..., 2 * H : 3 * H], z[..., 3 * H :]
        gh, gc = g[..., :H], g[..., H:]
        dcell = gh * o * (1 - tc * tc) + gc
        dz = np.empty(dcell.shape[:-1] + (4 * H,), dcell.dtype)
        np.multiply(dcell * gg, i * (1 - i), out=dz[..., :H])
        np.multiply(dcell * c, f * (1 - f), out=dz[..., H : 2 * H])
        np.multiply(dcell * i, 1 - gg * gg, out=dz[..., 2 * H : 3 * H])
        np.multiply(gh * tc, o * (1 - o), out=dz[..., 3 * H :])
        dc = _to(dcell * f, np.shape(c))
        dhp = dz
    else:
        rz, n, aux = saved
        r, zg = rz[..., :H], rz[..., H:]
        dn = g * (1 - zg) * (1 - n * n)
        dz = np.empty(dn.shape[:-1] + (3 * H,), dn.dtype)
        np.multiply(g * (h - n), zg * (1 - zg), out=dz[..., H : 2 * H])
        dz[..., 2 * H :] = dn
        if kind == "gru3":
            np.multiply(dn * aux, r * (1 - r), out=dz[..., :H])
            dhp = dz.copy()
            np.multiply(dn, r, out=dhp[..., 2 * H :])
            if bh is not None:
                dbh = _bias(dhp[..., 2 * H :])
        else:
            drh = dn @ Wh[2 * H :]
            np.multiply(drh * h, r * (1 - r), out=dz[..., :H])
            dhp = None
    dx = _to(dz @ Wi, np.shape(x))
    dWi = _wgrad(dz, x)
    db = _bias(dz) if b is not None else None
    if kind == "gru":
        dh = dz[..., : 2 * H] @ Wh[: 2 * H] + drh * r + g * zg
        dWh = np.concatenate([_wgrad(dz[..., : 2 * H], h), _wgrad(dz[..., 2 * H :], aux)], axis=0)
    else:
        dh = dhp @ Wh
        if kind == "gru3":
            dh = dh + g * zg
        dWh = _wgrad(dhp, h)
    return dx, _to(dh, np.shape(h)), dc, dWi, dWh, db, dbh
