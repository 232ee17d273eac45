"""``CellKind``: everything the recurrent machinery needs to know about one kind of cell.

A kind says how many gates its weights stack, whether its state carries a
cell state ``c`` beside ``h``, how one step is computed (a differentiable
reference, and plain-array kernels for the step and its backward pass), how a
whole sequence runs (by default: the step kernels in a loop; built-in kinds
override it with a fused kernel), and how its biases map to PyTorch's. Cells,
sequence layers, the recorded operations and the PyTorch conversion all ask
the kind, so a new kind of cell is one subclass of ``CellKind`` and one
``_Cell`` subclass naming it.

Shapes: ``x`` is ``(B, I)`` or ``(I,)``, ``h``/``c`` ``(B, H)`` or ``(H,)``;
``Wi`` is ``(G*H, I)``, ``Wh`` ``(G*H, H)``, ``b`` ``(G*H,)`` or None, ``bh``
a kind's extra hidden bias or None. A step's packed output is ``h'``, or
``[h' | c']`` on the last axis for kinds with a cell state.
"""

from __future__ import annotations

import numpy as np

from .._scratch import give

__all__ = ["CellKind", "Saved", "sum_to", "weight_grad", "bias_grad"]


def sum_to(g: np.ndarray, shape: tuple) -> np.ndarray:
    """``g`` summed over a batch axis its argument (of ``shape``) does not have."""
    return g.sum(axis=0) if g.ndim == 2 and len(shape) == 1 else g


def weight_grad(dz: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Gradient of a weight ``W`` used as ``v @ W.T``, given the gradient ``dz`` of the product."""
    if dz.ndim == 2 and v.ndim == 2:
        return dz.T @ v
    if dz.ndim == 2:
        return np.outer(dz.sum(axis=0), v)
    return np.outer(dz, v)


def store_state(Hs: np.ndarray, t: int, h: np.ndarray, hn: np.ndarray, masks) -> None:
    """``Hs[t + 1] = hn``; where ``masks[t]`` is false the step is padding: the state stays ``h`` and
    ``hn`` (the step's output) becomes zero."""
    if masks is None:
        Hs[t + 1] = hn
        return
    m = masks[t]
    np.copyto(Hs[t + 1], h)
    np.copyto(Hs[t + 1], hn, where=m)
    hn *= m


def step_cotangent(dh: np.ndarray, dY, t: int, dhrec: np.ndarray) -> None:
    """``dh``: the cotangent of step ``t``'s state, from the output (``dY``, if any) and the next step."""
    if dY is not None:
        np.add(dY[t], dhrec, out=dh)
    else:
        np.copyto(dh, dhrec)


def bias_grad(dz: np.ndarray) -> np.ndarray:
    """Gradient of a bias added to a product whose gradient is ``dz``."""
    return dz.sum(axis=0) if dz.ndim == 2 else dz


class Saved:
    """What a sequence's backward pass reads, filled by the kind's ``sequence_forward``.

    The fused kernels keep their work arrays here (``A``, ``Hs``, ``Cs``, ``TC``,
    ``aux``, taken from the scratch pool and given back when this is dropped);
    the generic loop keeps each step's saved values in ``steps``.
    """

    __slots__ = ("kind", "act", "A", "Hs", "Cs", "TC", "aux", "steps", "mask", "h0_shape", "c0_shape", "B")

    def __init__(self, kind: CellKind, act: str | None):
        self.kind, self.act = kind, act
        self.A = self.Hs = self.Cs = self.TC = self.aux = self.steps = None

    def __del__(self):
        try:
            if self.steps is None:
                give(self.A, self.Hs, self.Cs, self.TC, self.aux)
        except (TypeError, AttributeError):  # interpreter shutdown: the pool is already gone
            pass


class CellKind:
    """One kind of recurrent cell (Elman RNN, LSTM, GRU, ...), described once.

    Subclasses set ``name`` and ``gates`` (``has_cell_state`` for a state
    ``(h, c)``, ``hidden_bias`` for a second bias ``bh``) and write ``reference_step``, ``step_forward`` and
    ``step_backward``; ``sequence_forward``/``sequence_backward`` default to
    the step kernels in a loop over time, and a fused kernel overrides them.
    ``torch_name`` names the PyTorch counterpart (``nn.<torch_name>`` and
    ``nn.<torch_name>Cell``), None if there is none.
    ``namespace_cell`` is the step written over an array namespace (``namespace_cells``) that
    runs whole sequences of other libraries' arrays (CuPy) on their device; None: those run the
    reference step, one recorded operation at a time.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import LSTMCell
        >>> kind = LSTMCell.kind
        >>> kind, kind.gates, kind.has_cell_state, kind.torch_name
        (CellKind('lstm'), 4, True, 'LSTM')
    """

    name: str = ""
    gates: int = 1
    has_cell_state: bool = False
    hidden_bias: bool = False  # a bias ``bh`` of its own beside ``b`` (the cell's ``bh`` parameter)
    torch_name: str | None = None
    torch_note: str = ""  # added to the error of a conversion to PyTorch that has no counterpart
    namespace_cell: type | None = None

    def __repr__(self) -> str:
        return f"CellKind({self.name!r})"

    # --- one step ------------------------------------------------------------------

    def reference_step(self, act, x, h, c, Wi, Wh, b, bh):
        """``(h', c')`` (``c'`` None without a cell state) with operations that also take traced values."""
        raise NotImplementedError(f"{self!r} has no reference_step")

    def step_forward(self, act, x, h, c, Wi, Wh, b, bh):
        """``(out, saved)`` on plain arrays: ``out`` the packed output, ``saved`` what ``step_backward`` reads."""
        raise NotImplementedError(f"{self!r} has no step_forward")

    def step_backward(self, act, saved, g, x, h, c, Wi, Wh, b, bh):
        """``(dx, dh, dc, dWi, dWh, db, dbh)`` of one step for the packed output's cotangent ``g``; each
        summed to its argument's shape (None for an argument that is None)."""
        raise NotImplementedError(f"{self!r} has no step_backward")

    def split_output(self, out):
        """``(h', c')`` from a step's packed output (``c'`` None without a cell state)."""
        if not self.has_cell_state:
            return out, None
        H = out.shape[-1] // 2
        return out[..., :H], out[..., H:]

    # --- a whole sequence ----------------------------------------------------------

    def sequence_forward(self, act, X, h0, c0, Wi, Wh, b, bh, masks, saved: Saved | None, out=None):
        """Run ``T`` steps. ``X``: (T, B, I); ``masks``: (T, B, 1) bool or None.

        Returns ``(Y, hT, cT)``: ``Y`` (T, B, H) (zero at masked steps; written
        into ``out`` when given) and the final states (B, H) (``cT`` None
        without a cell state). Fills ``saved`` when given.
        """
        T, B = X.shape[0], X.shape[1]
        H = Wh.shape[1]
        dt = np.result_type(X, h0, Wi, Wh)
        Y = np.empty((T, B, H), dt) if out is None else out
        h = np.broadcast_to(h0, (B, H))
        c = None if c0 is None else np.broadcast_to(c0, (B, H))
        steps, hs, cs = [], [], []
        for t in range(T):
            o, step = self.step_forward(act, X[t], h, c, Wi, Wh, b, bh)
            h2, c2 = self.split_output(o)
            steps.append(step)
            hs.append(h)
            cs.append(c)
            if masks is not None:
                m = masks[t]
                Y[t] = np.where(m, h2, 0)
                h2 = np.where(m, h2, h)
                c2 = None if c is None else np.where(m, c2, c)
            else:
                Y[t] = h2
            h, c = h2, c2
        if saved is not None:
            saved.steps, saved.Hs, saved.Cs, saved.mask = steps, hs, cs, masks
            saved.h0_shape, saved.c0_shape, saved.B = np.shape(h0), np.shape(c0), B
        return Y, np.array(h, dt), None if c is None else np.array(c, dt)

    def sequence_backward(self, s: Saved, X, Wi, Wh, b, bh, dY, dhT, dcT, need_x: bool = True):
        """Backpropagation through time: ``(dX, dh0, dc0, dWi, dWh, db, dbh)``; ``dY``, ``dhT``, ``dcT``
        may be None (zero). ``dX`` is None when ``need_x`` is false (the input is data)."""
        T, B = X.shape[0], X.shape[1]
        H = Wh.shape[1]
        dt = np.result_type(X, Wi, Wh)
        dhrec = np.zeros((B, H), dt) if dhT is None else np.array(np.broadcast_to(dhT, (B, H)), dt)
        dcrec = None
        if self.has_cell_state:
            dcrec = np.zeros((B, H), dt) if dcT is None else np.array(np.broadcast_to(dcT, (B, H)), dt)
        dX = np.empty(X.shape, dt)
        sums = [np.zeros(np.shape(p), dt) if p is not None else None for p in (Wi, Wh, b, bh)]
        for t in range(T - 1, -1, -1):
            dh = dhrec if dY is None else dhrec + dY[t]
            dc = dcrec
            if s.mask is not None:
                m = s.mask[t]
                keep_h = np.where(m, 0, dhrec)
                keep_c = None if dc is None else np.where(m, 0, dc)
                dh = dh * m
                dc = None if dc is None else dc * m
            g = dh if dc is None else np.concatenate([dh, dc], axis=-1)
            dx, dhrec, dcrec, *dps = self.step_backward(s.act, s.steps[t], g, X[t], s.Hs[t], s.Cs[t], Wi, Wh, b, bh)
            dX[t] = dx
            for total, d in zip(sums, dps):
                if total is not None:
                    total += d
            if s.mask is not None:
                dhrec = dhrec + keep_h
                dcrec = None if dcrec is None else dcrec + keep_c
        dh0 = sum_to(dhrec, s.h0_shape)
        dc0 = None if dcrec is None else sum_to(dcrec, s.c0_shape)
        return (dX if need_x else None, dh0, dc0, *sums)

    # --- PyTorch's layout ----------------------------------------------------------

    def biases_from_torch(self, b_ih: np.ndarray, b_hh: np.ndarray):
        """``(b, bh)`` from PyTorch's two biases (by default one bias, their sum)."""
        return b_ih + b_hh, None

    def biases_to_torch(self, b: np.ndarray, bh):
        """``(bias_ih, bias_hh)`` computing the same function as ``(b, bh)``."""
        return b, np.zeros_like(b)
