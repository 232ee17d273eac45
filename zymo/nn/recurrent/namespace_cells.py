"""One step of each built-in cell, forward and backward, written over an array namespace ``xp``.

These are what ``namespace_sequence`` loops over for arrays of libraries other than NumPy (CuPy,
``array_api_strict``): the matrix products go through the library (cuBLAS on CuPy), and each step's
gate arithmetic is a few elementwise functions (``Pointwise``), which on CuPy are compiled into one
kernel each with ``cupy.fuse``. The NumPy kernels (``kinds/``) are untouched by this module.

Gates are in PyTorch's order (``i, f, g, o``; ``r, z, n``); ``a`` is a step's input projection
``x Wi^T + b`` (B, G*H). Each ``forward`` returns ``(h', c', keep)`` (``c'`` None without a cell
state; ``keep`` what ``backward`` reads); each ``backward`` returns a ``StepGrads``; ``hidden_weights``
gives what ``forward`` multiplies ``h`` by and ``hidden_grads`` the gradients of ``Wh`` and ``bh``.

Each built-in ``CellKind`` names its class here as its ``namespace_cell``.

Example:
    >>> from zymo.nn import GRUCell, LSTMCell
    >>> LSTMCell.kind.namespace_cell.__name__, GRUCell.kind.namespace_cell.__name__
    ('LSTMSteps', 'GRUSteps')
"""

from __future__ import annotations

import functools
from typing import Any, Callable, NamedTuple

__all__ = ["ElmanSteps", "LSTMSteps", "GRU3Steps", "GRUSteps", "StepGrads", "pointwise", "is_cupy"]


class StepGrads(NamedTuple):
    """A step's gradients: ``da`` of its input projection, ``dhid`` of its hidden product (what
    ``hidden_grads`` turns into ``dWh``), and of its incoming states ``h`` and ``c`` (None without one)."""

    da: Any
    dhid: Any
    dh: Any
    dc: Any


def _sigmoid(tanh):
    return lambda z: 0.5 * tanh(0.5 * z) + 0.5  # as the NumPy kernels compute it


def _lstm_functions(tanh) -> dict:
    sigmoid = _sigmoid(tanh)

    def lstm_forward(zi, zf, zg, zo, c):
        i, f, g, o = sigmoid(zi), sigmoid(zf), tanh(zg), sigmoid(zo)
        c2 = f * c + i * g
        tc = tanh(c2)
        return i, f, g, o, c2, tc, o * tc

    def lstm_backward(dh, dc, i, f, g, o, c, tc):
        dcell = dh * o * (1 - tc * tc) + dc
        return (
            dcell * g * i * (1 - i),
            dcell * c * f * (1 - f),
            dcell * i * (1 - g * g),
            dh * tc * o * (1 - o),
            dcell * f,
        )

    return {"lstm_forward": lstm_forward, "lstm_backward": lstm_backward}


def _gru_functions(tanh) -> dict:
    sigmoid = _sigmoid(tanh)

    def gru3_forward(ar, az, an, hr, hz, hn, h):
        r, z = sigmoid(ar + hr), sigmoid(az + hz)
        n = tanh(an + r * hn)
        return r, z, n, n + z * (h - n)

    def gru3_backward(dh, r, z, n, hn, h):
        dn = dh * (1 - z) * (1 - n * n)
        return dn * hn * r * (1 - r), dh * (h - n) * z * (1 - z), dn, dn * r, dh * z

    def gru_gates(ar, az, hr, hz, h):
        r = sigmoid(ar + hr)
        return r, sigmoid(az + hz), r * h

    def gru_candidate(an, z, h):
        n = tanh(an)
        return n, n + z * (h - n)

    def gru_update_backward(dh, z, n, h):
        return dh * (h - n) * z * (1 - z), dh * (1 - z) * (1 - n * n), dh * z

    def gru_reset_backward(drh, r, h):
        return drh * h * r * (1 - r), drh * r

    return {k: v for k, v in locals().items() if k.startswith("gru")}


def _rnn_functions(tanh) -> dict:
    sigmoid = _sigmoid(tanh)
    return {
        "rnn_tanh": lambda z: tanh(z),  # a function of its own, for cupy.fuse to compile
        "rnn_tanh_back": lambda dh, y: dh * (1 - y * y),
        "rnn_sigmoid": sigmoid,
        "rnn_sigmoid_back": lambda dh, y: dh * y * (1 - y),
    }


def is_cupy(xp) -> bool:
    """Whether ``xp`` is CuPy's namespace (``cupy`` or ``array_api_compat``'s wrapper of it)."""
    return getattr(xp, "__name__", "").split(".")[-1] == "cupy"


@functools.lru_cache(maxsize=None)
def pointwise(xp) -> dict[str, Callable]:
    """The elementwise step functions for namespace ``xp``; on CuPy each is one fused kernel (``cupy.fuse``)."""
    if is_cupy(xp):
        import cupy  # only ever imported for CuPy's own arrays

        tanh, fuse = cupy.tanh, cupy.fuse
    else:
        tanh, fuse = xp.tanh, None
    table = {**_lstm_functions(tanh), **_gru_functions(tanh), **_rnn_functions(tanh)}
    if fuse is not None:
        table = {name: fuse(fn) for name, fn in table.items()}
    return table


def _split(a, parts: int, H: int) -> list:
    return [a[:, k * H : (k + 1) * H] for k in range(parts)]


class ElmanSteps:
    """``h' = act(a + h Wh^T)``; ``act`` one of tanh, sigmoid, relu, identity."""

    @staticmethod
    def hidden_weights(Wh):
        return Wh.T

    @staticmethod
    def forward(xp, fns, act, a, h, c, WhT, bh):
        z = a + h @ WhT
        if act in ("tanh", "sigmoid"):
            y = fns["rnn_" + act](z)
        elif act == "relu":
            y = xp.where(z > 0, z, xp.zeros_like(z))
        else:
            y = z
        return y, None, y

    @staticmethod
    def backward(xp, fns, act, keep, dh, dc, h, c, Wh):
        y = keep
        if act in ("tanh", "sigmoid"):
            dz = fns[f"rnn_{act}_back"](dh, y)
        elif act == "relu":
            dz = xp.where(y > 0, dh, xp.zeros_like(dh))
        else:
            dz = dh
        return StepGrads(dz, dz, dz @ Wh, None)

    @staticmethod
    def hidden_grads(xp, dA, dHid, Hprev, keeps, bh):
        return dHid.T @ Hprev, None


class LSTMSteps:
    hidden_weights = ElmanSteps.hidden_weights

    @staticmethod
    def forward(xp, fns, act, a, h, c, WhT, bh):
        H = h.shape[-1]
        i, f, g, o, c2, tc, h2 = fns["lstm_forward"](*_split(a + h @ WhT, 4, H), c)
        return h2, c2, (i, f, g, o, tc)

    @staticmethod
    def backward(xp, fns, act, keep, dh, dc, h, c, Wh):
        i, f, g, o, tc = keep
        di, df, dg, do, dc_prev = fns["lstm_backward"](dh, dc, i, f, g, o, c, tc)
        dz = xp.concat([di, df, dg, do], axis=-1)
        return StepGrads(dz, dz, dz @ Wh, dc_prev)

    hidden_grads = ElmanSteps.hidden_grads


class GRU3Steps:
    """PyTorch's GRU: ``n = tanh(a_n + r (Wh_n h + bh))``."""

    hidden_weights = ElmanSteps.hidden_weights

    @staticmethod
    def forward(xp, fns, act, a, h, c, WhT, bh):
        H = h.shape[-1]
        hr, hz, hn = _split(h @ WhT, 3, H)
        if bh is not None:
            hn = hn + bh
        r, z, n, h2 = fns["gru3_forward"](*_split(a, 3, H), hr, hz, hn, h)
        return h2, None, (r, z, n, hn)

    @staticmethod
    def backward(xp, fns, act, keep, dh, dc, h, c, Wh):
        r, z, n, hn = keep
        dr, dz, dn, dhn, dh_direct = fns["gru3_backward"](dh, r, z, n, hn, h)
        dhid = xp.concat([dr, dz, dhn], axis=-1)
        return StepGrads(xp.concat([dr, dz, dn], axis=-1), dhid, dhid @ Wh + dh_direct, None)

    @staticmethod
    def hidden_grads(xp, dA, dHid, Hprev, keeps, bh):
        H = Hprev.shape[-1]
        dbh = None if bh is None else xp.sum(dHid[:, 2 * H :], axis=0)
        return dHid.T @ Hprev, dbh


class GRUSteps:
    """Flux's GRU: ``n = tanh(a_n + (r h) Wh_n^T)``; ``WhT`` comes split as ``(Wh_rz^T, Wh_n^T)``."""

    @staticmethod
    def hidden_weights(Wh):
        H = Wh.shape[1]
        return Wh[: 2 * H, :].T, Wh[2 * H :, :].T

    @staticmethod
    def forward(xp, fns, act, a, h, c, WhT, bh):
        H = h.shape[-1]
        WhT_rz, WhT_n = WhT
        ar, az, an = _split(a, 3, H)
        hr, hz = _split(h @ WhT_rz, 2, H)
        r, z, rh = fns["gru_gates"](ar, az, hr, hz, h)
        n, h2 = fns["gru_candidate"](an + rh @ WhT_n, z, h)
        return h2, None, (r, z, n, rh)

    @staticmethod
    def backward(xp, fns, act, keep, dh, dc, h, c, Wh):
        r, z, n, rh = keep
        H = h.shape[-1]
        dz, dn, dh_z = fns["gru_update_backward"](dh, z, n, h)
        dr, dh_r = fns["gru_reset_backward"](dn @ Wh[2 * H :, :], r, h)
        drz = xp.concat([dr, dz], axis=-1)
        return StepGrads(xp.concat([drz, dn], axis=-1), drz, drz @ Wh[: 2 * H, :] + dh_r + dh_z, None)

    @staticmethod
    def hidden_grads(xp, dA, dHid, Hprev, keeps, bh):
        H = Hprev.shape[-1]
        RH = xp.reshape(xp.stack([k[3] for k in keeps]), (-1, H))  # (T*B, H), in time order as dA's rows
        return xp.concat([dHid.T @ Hprev, dA[:, 2 * H :].T @ RH], axis=0), None
