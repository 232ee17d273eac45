"""Sequence layers: a cell run over a whole sequence.

Input ``(batch, time, features)`` (``time_major=True``: ``(time, batch,
features)``; an unbatched ``(time, features)`` works too); output the
per-step outputs in the same layout, and with ``return_state=True`` the pair
``(outputs, last_state)``. Built-in cells run the whole sequence as one
recorded operation with hand-written backpropagation through time; any other
cell (``Recurrence(my_cell)``) runs step by step.

Variable-length batches: ``lengths`` (one per batch entry) or ``mask``
(``(batch, time)`` booleans). A padded step leaves the state unchanged,
outputs zeros and receives no gradient; ``last_state`` is the state after
each entry's last valid step.

States: one layer in one direction takes and returns the cell's state
(``h``, or ``(h, c)`` for LSTM); stacks and bidirectional layers take and
return a list with one state per layer and direction, in PyTorch's order
(layer 0 forward, layer 0 backward, layer 1 forward, ...).

Truncated backpropagation through time: pass the last state of one chunk
through ``zymo.stop_gradient`` before feeding it to the next (see
``examples/truncated_bptt.py``).
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import numpy as np

from ..._rules.helpers import shape_of
from ...core.errors import ShapeError, ZymoError, user_location
from ...core.namespace import is_foreign
from ...core.pytree import tree_map
from ...core.recording import observe
from ...core.trace import box_foreign
from ...core.tracer import bottom, is_tracer
from ...seeding import generator_or_default
from .. import activations as _act
from .._fused import Workspace
from ..module import Module
from ..precision import cast_input
from . import namespace_sequence
from ._primitives import reference_sequence, sequence
from .cells import GRUCell, GRUv3Cell, LSTMCell, RNNCell, _Cell

__all__ = ["Recurrence", "RNN", "LSTM", "GRU", "GRUv3", "Bidirectional"]


# --- running one direction ------------------------------------------------------------


def _run_forward(cell, X, state, mask, need_state=True):
    """``(Y, last_state)`` of ``cell`` over time-major ``X`` (T, B, F); ``last_state`` is None unless needed."""
    T = shape_of(X)[0]
    if isinstance(cell, _Cell) and cell.fused():
        cell._check(X[0], state)
        kind = cell.kind
        h0, c0 = (state[0], state[1]) if kind.has_cell_state else (state, None)
        params = (cell.Wi, cell.Wh, cell.b, cell._bh())
        act = cell._act()
        run, input_grad = sequence, is_tracer(X)
        if is_foreign(bottom(X)):  # another library: its own kernel (namespace_sequence), on its device
            h0, c0 = on_device_of(X, h0), on_device_of(X, c0)
            input_grad = input_grad and X._trace.level > 0  # a boxed array of data has no gradient
            if not namespace_sequence.supports(kind):
                run = _portable_sequence
        static = dict(kind=kind, act=act, mask=mask, with_state=need_state, input_grad=input_grad)
        out = run(X, h0, c0, *params, ws=Workspace(), **static)
        if not need_state:
            return out, None
        last = (out[T], out[T + 1]) if kind.has_cell_state else out[T]
        return out[:T], last
    ys = []
    for t in range(T):
        y, new = cell(X[t], state)
        if mask is not None:
            m = mask[t][:, None]
            y = np.where(m, y, 0)
            new = tree_map(lambda n, o: np.where(m, n, o), new, state)
        ys.append(y)
        state = new
    return np.stack(ys, axis=0), state


def _portable_sequence(X, h0, c0, Wi, Wh, b, bh, *, ws, kind, act, mask, with_state, input_grad):
    return reference_sequence(X, h0, c0, Wi, Wh, b, bh, kind=kind, act=act, mask=mask, with_state=with_state)


def on_device_of(like, value):
    """``value`` (a NumPy array, or None) as an array of ``like``'s library on its device, boxed for tracing."""
    if value is None:
        return None
    from ...devices import to_device

    if type(value) is np.ndarray:
        return box_foreign(to_device(value, bottom(like).device))
    return box_foreign(value)  # a traced state stays as it is


def _reverse_time(X, lengths):
    """Each sequence reversed within its own length (padding stays in place)."""
    if lengths is None:
        return X[::-1]
    T, B = shape_of(X)[:2]
    t = np.arange(T)[:, None]
    idx = np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)
    if is_foreign(bottom(X)):  # the standard indexes with integer arrays on every axis or none
        return np.take_along_axis(X, np.broadcast_to(idx[:, :, None], shape_of(X)), axis=0)
    return X[idx, np.arange(B)[None, :]]


def _run(cell, X, state, mask, lengths, reverse, need_state=True):
    if state is None:
        state = cell.initial_state()
    if not reverse:
        return _run_forward(cell, X, state, mask, need_state)
    Y, last = _run_forward(cell, _reverse_time(X, lengths), state, mask, need_state)
    return _reverse_time(Y, lengths), last


# --- input and output layout ----------------------------------------------------------


class _Sequence(Module):
    """Shared input checking and layout handling of the sequence layers."""

    time_major = False
    return_state = False

    def _in_features(self) -> int | None:  # pragma: no cover - overridden
        return None

    def _dtype(self):
        """The dtype inputs are cast to (that of the first cell's parameters); ``None`` to leave them."""
        return None

    def _prepare(self, x, lengths, mask):
        if not (is_tracer(x) or isinstance(x, np.ndarray) or is_foreign(x)):
            x = np.asarray(x)
        shape = shape_of(x)
        n = self._in_features()
        layout = "(time, batch, features)" if self.time_major else "(batch, time, features)"
        if len(shape) not in (2, 3) or (n is not None and shape[-1] != n):
            what = f"{n} features" if n is not None else "features"
            raise ShapeError(
                f"{self!r} expects an input of shape {layout} (or (time, features)) with {what}, "
                f"got shape {shape} (at {user_location()})"
            )
        dtype = self._dtype()
        if dtype is not None:
            x = cast_input(self, x, dtype)
        unbatched = len(shape) == 2
        if unbatched:
            X = x[:, None, :]
        else:
            X = x if self.time_major else np.transpose(x, (1, 0, 2))
        T, B = shape_of(X)[:2]
        if lengths is not None and mask is not None:
            raise ZymoError(f"{self!r}: give lengths or mask, not both")
        if lengths is not None:
            lengths = np.asarray(observe(lengths))
            if lengths.shape != (B,) or lengths.dtype.kind not in "iu" or (lengths < 0).any() or (lengths > T).any():
                raise ShapeError(
                    f"{self!r}: lengths must be {B} integers in [0, {T}], got {lengths!r} (at {user_location()})"
                )
            mask_tm = np.arange(T)[:, None] < lengths[None, :]
        elif mask is not None:
            m = np.asarray(observe(mask)).astype(bool)
            if unbatched:
                m = m.reshape(-1, 1) if m.ndim == 1 else m
                want = (T, 1)
            else:
                want = (T, B) if self.time_major else (B, T)
            if m.shape != want:
                raise ShapeError(f"{self!r}: mask must have shape {want}, got {m.shape} (at {user_location()})")
            mask_tm = m if (self.time_major or unbatched) else m.T
        else:
            mask_tm = None
        return X, mask_tm, lengths, unbatched

    def _lengths_for_reverse(self, mask_tm, lengths):
        if mask_tm is None or lengths is not None:
            return lengths
        lengths = mask_tm.sum(axis=0)
        if not (mask_tm == (np.arange(mask_tm.shape[0])[:, None] < lengths[None, :])).all():
            raise ZymoError(
                f"{self!r}: running backwards needs each sequence's valid steps first; this mask has gaps "
                "(give lengths, or a mask that is True then False along time)"
            )
        return lengths

    def _output(self, Y, states, unbatched):
        if unbatched:
            Y = Y[:, 0]
            states = tree_map(lambda s: s[0] if len(shape_of(s)) == 2 else s, states)
        elif not self.time_major:
            Y = np.transpose(Y, (1, 0, 2))
        return (Y, states) if self.return_state else Y

    def _flags(self) -> str:
        out = ""
        if self.time_major:
            out += ", time_major=True"
        if self.return_state:
            out += ", return_state=True"
        return out


def _learned(cells) -> list:
    return [c.initial_state() for c in cells]


class Recurrence(_Sequence):
    """Any cell run over a sequence: ``Recurrence(cell)(x)`` applies ``cell`` at every step.

    The cell is called as ``cell(x_t, state) -> (output, new_state)`` and
    must have ``initial_state()``. Built-in cells take the fused path.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import Recurrence, GRUCell
        >>> layer = Recurrence(GRUCell(3, 4, rng=np.random.default_rng(0)), return_state=True)
        >>> y, h = layer(np.ones((2, 6, 3), np.float32))
        >>> layer, y.shape, h.shape
        (Recurrence(GRUCell(3 => 4), return_state=True), (2, 6, 4), (2, 4))
    """

    def __init__(self, cell, *, time_major: bool = False, return_state: bool = False, learn_state: bool = False):
        if not callable(cell) or not hasattr(cell, "initial_state"):
            raise ZymoError("Recurrence needs a cell: callable as cell(x_t, state) with an initial_state() method")
        self.cell = cell
        self.time_major = time_major
        self.return_state = return_state
        self.state0 = cell.initial_state() if learn_state else None

    def _dtype(self):
        return getattr(self.cell, "dtype", None)

    def _in_features(self):
        return getattr(self.cell, "in_features", None)

    def __repr__(self) -> str:
        learn = ", learn_state=True" if self.state0 is not None else ""
        return f"Recurrence({self.cell!r}{self._flags()}{learn})"

    def __call__(self, x, state=None, *, lengths=None, mask=None):
        """Outputs for every step (and the last state with ``return_state=True``)."""
        X, mask_tm, lengths, unbatched = self._prepare(x, lengths, mask)
        s0 = state if state is not None else self.state0
        Y, last = _run(self.cell, X, s0, mask_tm, lengths, False, self.return_state)
        return self._output(Y, last, unbatched)

    def _direction(self, X, state, mask_tm, lengths, reverse, need_state=True):
        s0 = state if state is not None else self.state0
        return _run(self.cell, X, s0, mask_tm, lengths, reverse, need_state)


class Bidirectional(_Sequence):
    """Runs ``layer`` forwards and a copy of it (fresh weights) backwards; outputs are concatenated.

    ``layer`` is a ``Recurrence`` or a one-layer ``RNN``/``LSTM``/``GRU``/``GRUv3``;
    ``backward`` may give the backward layer explicitly. The last state is
    ``[forward_state, backward_state]``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import Bidirectional, LSTM
        >>> layer = Bidirectional(LSTM(3, 4, rng=np.random.default_rng(0)))
        >>> layer(np.ones((2, 5, 3), np.float32), lengths=np.array([5, 2])).shape
        (2, 5, 8)
    """

    def __init__(self, layer, backward=None, *, rng: np.random.Generator | None = None):
        if not hasattr(layer, "_direction"):
            raise ZymoError(f"Bidirectional needs a one-direction sequence layer, got {layer!r}")
        self.forward = layer
        self.backward = backward if backward is not None else _fresh_copy(layer, rng)
        self.time_major = layer.time_major
        self.return_state = layer.return_state

    def _dtype(self):
        return self.forward._dtype()

    def _in_features(self):
        return self.forward._in_features()

    def __repr__(self) -> str:
        return f"Bidirectional({self.forward!r})"

    def __call__(self, x, state=None, *, lengths=None, mask=None):
        """Outputs ``[forward | backward]`` on the feature axis (and ``[fwd_state, bwd_state]``)."""
        X, mask_tm, lengths, unbatched = self._prepare(x, lengths, mask)
        s_f, s_b = (None, None) if state is None else state
        need = self.return_state
        Yf, lf = self.forward._direction(X, s_f, mask_tm, lengths, False, need)
        Yb, lb = self.backward._direction(X, s_b, mask_tm, self._lengths_for_reverse(mask_tm, lengths), True, need)
        return self._output(np.concatenate([Yf, Yb], axis=-1), [lf, lb], unbatched)


def _fresh_copy(layer, rng):
    if isinstance(layer, _Stacked):
        return layer._like(rng)
    new = copy.deepcopy(layer)
    if isinstance(layer, Recurrence) and isinstance(layer.cell, _Cell):
        new.cell = _fresh_cell(layer.cell, rng)
    return new


def _fresh_cell(cell, rng):
    cls = type(cell)
    kw = cell.options()
    return cls(cell.in_features, cell.out_features, bias=cell.b is not None, rng=rng, dtype=cell.dtype, **kw)


class _Stacked(_Sequence):
    """``num_layers`` cells stacked (each layer's outputs feed the next), optionally bidirectional.

    ``cell_options`` go to every cell (``RNN``'s ``activation``).
    """

    cell_type: type = RNNCell

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        num_layers: int = 1,
        bidirectional: bool = False,
        time_major: bool = False,
        return_state: bool = False,
        learn_state: bool = False,
        rng: np.random.Generator | None = None,
        dtype=np.float32,
        **cell_options: Any,
    ):
        if num_layers < 1:
            raise ZymoError(f"num_layers must be at least 1, got {num_layers}")
        rng = generator_or_default(rng)
        dirs = 2 if bidirectional else 1

        def make(n_in):
            return self.cell_type(n_in, out_features, bias=bias, rng=rng, dtype=dtype, **cell_options)

        self.cells = [make(in_features if k == 0 else dirs * out_features) for k in range(num_layers)]
        self.cells_reverse = (
            [make(in_features if k == 0 else dirs * out_features) for k in range(num_layers)] if bidirectional else None
        )
        self._init_flags(time_major, return_state, learn_state)

    def _init_flags(self, time_major, return_state, learn_state):
        self.time_major = time_major
        self.return_state = return_state
        self.state0 = _learned(self._all_cells()) if learn_state else None

    @classmethod
    def from_cells(cls, cells, cells_reverse=None, *, time_major=False, return_state=False, learn_state=False):
        """A layer made from given cells (one per layer; ``cells_reverse`` for the backward direction).

        Example:
            >>> import numpy as np
            >>> from zymo.nn import LSTM, LSTMCell
            >>> LSTM.from_cells([LSTMCell(3, 4, rng=np.random.default_rng(0))])
            LSTM(3 => 4)
        """
        obj = object.__new__(cls)
        cells = list(cells)
        for c in cells + list(cells_reverse or []):
            if not isinstance(c, cls.cell_type):
                raise ZymoError(f"{cls.__name__} needs {cls.cell_type.__name__}s, got {c!r}")
        obj.cells = cells
        obj.cells_reverse = None if cells_reverse is None else list(cells_reverse)
        obj._init_flags(time_major, return_state, learn_state)
        return obj

    def _all_cells(self):
        if self.cells_reverse is None:
            return list(self.cells)
        return [c for pair in zip(self.cells, self.cells_reverse) for c in pair]

    @property
    def num_layers(self) -> int:
        return len(self.cells)

    @property
    def bidirectional(self) -> bool:
        return self.cells_reverse is not None

    def _dtype(self):
        return self.cells[0].dtype

    def _in_features(self):
        return self.cells[0].in_features

    def initial_state(self):
        """The zero state in the layout ``__call__`` takes."""
        states = _learned(self._all_cells())
        return states[0] if len(states) == 1 else states

    def _like(self, rng):
        cells = [_fresh_cell(c, rng) for c in self.cells]
        return type(self).from_cells(
            cells, time_major=self.time_major, return_state=self.return_state, learn_state=self.state0 is not None
        )

    def __repr__(self) -> str:
        c = self.cells[0]
        extra = c._extra_repr()
        if self.num_layers > 1:
            extra += f", num_layers={self.num_layers}"
        if self.bidirectional:
            extra += ", bidirectional=True"
        if self.state0 is not None:
            extra += ", learn_state=True"
        return f"{type(self).__name__}({c.in_features} => {c.out_features}{extra}{self._flags()})"

    def _states(self, state):
        n = len(self.cells) * (2 if self.bidirectional else 1)
        if state is None:
            return list(self.state0) if self.state0 is not None else [None] * n
        if n == 1:
            return [state]
        if not isinstance(state, (list, tuple)) or len(state) != n:
            raise ZymoError(f"{self!r} takes a list of {n} states (one per layer and direction)")
        return list(state)

    def _direction(self, X, state, mask_tm, lengths, reverse, need_state=True):
        if self.num_layers != 1 or self.bidirectional:
            raise ZymoError(f"Bidirectional wraps a one-layer, one-direction layer; got {self!r}")
        s = self._states(state)[0]
        return _run(self.cells[0], X, s, mask_tm, lengths, reverse, need_state)

    def __call__(self, x, state=None, *, lengths=None, mask=None):
        """Outputs of the last layer for every step (and the last states with ``return_state=True``)."""
        X, mask_tm, lengths, unbatched = self._prepare(x, lengths, mask)
        states = self._states(state)
        rev_lengths = self._lengths_for_reverse(mask_tm, lengths) if self.bidirectional else None
        need = self.return_state
        last = []
        for k, cell in enumerate(self.cells):
            if self.bidirectional:
                Yf, lf = _run(cell, X, states[2 * k], mask_tm, lengths, False, need)
                Yb, lb = _run(self.cells_reverse[k], X, states[2 * k + 1], mask_tm, rev_lengths, True, need)
                X = np.concatenate([Yf, Yb], axis=-1)
                last += [lf, lb]
            else:
                X, lk = _run(cell, X, states[k], mask_tm, lengths, False, need)
                last.append(lk)
        return self._output(X, last[0] if len(last) == 1 else last, unbatched)


_LAYER_DOC_TAIL = """
    Options: ``num_layers`` (stacked, each layer's outputs feeding the next),
    ``bidirectional`` (PyTorch's layout: features ``[forward | backward]``),
    ``time_major``, ``return_state``, ``learn_state`` (a trainable initial
    state per layer and direction, in ``state0``). ``cells`` (and
    ``cells_reverse``) hold the parameters.
"""


class RNN(_Stacked):
    """Elman RNN over a sequence (cells: ``RNNCell``).

    Example:
        >>> import numpy as np
        >>> from zymo.nn import RNN
        >>> layer = RNN(3, 5, rng=np.random.default_rng(0))
        >>> layer, layer(np.ones((4, 7, 3), np.float32)).shape
        (RNN(3 => 5, tanh), (4, 7, 5))
    """

    __doc__ = (__doc__ or "") + _LAYER_DOC_TAIL
    cell_type = RNNCell

    def __init__(
        self, in_features: int, out_features: int, activation: Callable = _act.tanh, bias: bool = True, **options: Any
    ):
        super().__init__(in_features, out_features, bias, activation=activation, **options)


class LSTM(_Stacked):
    """LSTM over a sequence (cells: ``LSTMCell``); the state is ``(h, c)``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import LSTM
        >>> layer = LSTM(3, 5, num_layers=2, return_state=True, rng=np.random.default_rng(0))
        >>> y, [(h1, c1), (h2, c2)] = layer(np.ones((4, 7, 3), np.float32))
        >>> layer, y.shape, h2.shape
        (LSTM(3 => 5, num_layers=2, return_state=True), (4, 7, 5), (4, 5))
    """

    __doc__ = (__doc__ or "") + _LAYER_DOC_TAIL
    cell_type = LSTMCell


class GRU(_Stacked):
    """GRU over a sequence, reset gate before the hidden product (cells: ``GRUCell``, Flux's ``GRU``).

    Example:
        >>> import numpy as np
        >>> from zymo.nn import GRU
        >>> GRU(3, 5, rng=np.random.default_rng(0))(np.ones((7, 3), np.float32)).shape
        (7, 5)
    """

    __doc__ = (__doc__ or "") + _LAYER_DOC_TAIL
    cell_type = GRUCell


class GRUv3(_Stacked):
    """GRU over a sequence, reset gate after the hidden product (cells: ``GRUv3Cell``; PyTorch's ``nn.GRU``).

    Example:
        >>> import numpy as np
        >>> from zymo.nn import GRUv3
        >>> GRUv3(3, 5, bidirectional=True, rng=np.random.default_rng(0))(np.ones((2, 7, 3), np.float32)).shape
        (2, 7, 10)
    """

    __doc__ = (__doc__ or "") + _LAYER_DOC_TAIL
    cell_type = GRUv3Cell
