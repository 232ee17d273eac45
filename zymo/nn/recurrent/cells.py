"""Recurrent cells: one time step, ``cell(x_t, state) -> (output, new_state)``.

Parameters follow PyTorch's layout and gate order: ``Wi`` is ``(G*H, in)``,
``Wh`` is ``(G*H, H)``, ``b`` is ``(G*H,)`` with ``G`` = 1 (RNN), 4 (LSTM: i, f,
g, o) or 3 (GRU: r, z, n). One bias stands for PyTorch's ``b_ih + b_hh``,
except the candidate's hidden bias of ``GRUv3Cell`` (``bh``), which sits
inside the reset product. A step is one recorded operation with a
hand-derived backward pass.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..._rules.helpers import dtype_of, shape_of
from ...core.errors import ShapeError, ZymoError, user_location
from ...seeding import generator_or_default
from .. import activations as _act
from .. import init as _init
from .._fused import Workspace
from ..module import Module
from ..precision import cast_input
from ._primitives import cell_step
from .kinds import GRU3_KIND, GRU_KIND, LSTM_KIND, RNN_KIND, CellKind

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "GRUv3Cell", "activation_name"]


def _fused_activations() -> dict:
    import zymo.numpy as znp

    table = {_act.tanh: "tanh", np.tanh: "tanh", _act.sigmoid: "sigmoid", _act.relu: "relu", _act.identity: "identity"}
    table[znp.tanh] = "tanh"
    return table


_FUSED: dict | None = None


def activation_name(f: Callable) -> str | None:
    """The fused kernel's name for activation ``f`` (``"tanh"``, ...), or None if it has none."""
    global _FUSED
    if _FUSED is None:
        _FUSED = _fused_activations()
    try:
        return _FUSED.get(f)
    except TypeError:
        return None


_rng = generator_or_default


def _describe_fn(f) -> str:
    return getattr(f, "__name__", repr(f))


class _Cell(Module):
    """Shared machinery of the cells that run as one recorded operation (subclasses set ``kind``)."""

    kind: CellKind = RNN_KIND

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, rng=None, dtype=np.float32):
        rng = _rng(rng)
        G, H = self.kind.gates, out_features
        self.Wi = _init.glorot_uniform(rng, G * H, in_features, dtype=dtype)
        # each gate's recurrent block orthogonal, a common choice for recurrent weights
        self.Wh = np.concatenate([_init.orthogonal(rng, H, H, dtype=dtype) for _ in range(G)], axis=0)
        self.b = np.zeros(G * H, dtype) if bias else None
        if self.kind.hidden_bias:
            self.bh = np.zeros(H, dtype) if bias else None

    @property
    def in_features(self) -> int:
        return shape_of(self.Wi)[1]

    @property
    def out_features(self) -> int:
        return shape_of(self.Wh)[1]

    @property
    def dtype(self):
        return dtype_of(self.Wh)

    def _extra_repr(self) -> str:
        return "" if self.b is not None else ", bias=False"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.in_features} => {self.out_features}{self._extra_repr()})"

    def initial_state(self):
        """The zero state, unbatched (it broadcasts over any batch)."""
        h = np.zeros(self.out_features, self.dtype)
        return (h, h.copy()) if self.kind.has_cell_state else h

    def _bh(self):
        return self.bh if self.kind.hidden_bias else None

    def _act(self):
        """The activation's name, passed to the kind's kernels (None for kinds without one)."""
        return None

    def fused(self) -> bool:
        """Whether the kind's kernels can run this cell (an RNN activation without a kernel cannot)."""
        return True

    def options(self) -> dict:
        """The constructor's keyword arguments beyond sizes, bias, rng and dtype (to make a fresh copy)."""
        return {}

    def torch_options(self) -> dict:
        """Keyword arguments of the PyTorch counterpart beyond sizes, bias and dtype."""
        return {}

    @classmethod
    def attributes_from_torch(cls, module) -> dict:
        """The attributes beyond the weights that a cell converted from PyTorch's ``module`` takes."""
        return {}

    def _check(self, x, state) -> None:
        xs = shape_of(x)
        n, H = self.in_features, self.out_features
        if len(xs) not in (1, 2) or xs[-1] != n:
            raise ShapeError(
                f"{self!r} expects an input of shape (batch, {n}) or ({n},), got shape {xs} (at {user_location()})"
            )
        states = state if self.kind.has_cell_state else (state,)
        if self.kind.has_cell_state and not (isinstance(state, (tuple, list)) and len(state) == 2):
            raise ShapeError(f"{self!r} expects its state as a pair (h, c), got {type(state).__name__}")
        for s in states:
            ss = shape_of(s)
            ok = len(ss) in (1, 2) and ss[-1] == H
            if ok and len(ss) == 2 and len(xs) == 2 and ss[0] != xs[0]:
                ok = False
            if not ok:
                raise ShapeError(
                    f"{self!r} expects a state of shape (batch, {H}) or ({H},) matching the input's batch "
                    f"{xs[0] if len(xs) == 2 else '(none)'}, got shape {ss} (at {user_location()})"
                )

    def __call__(self, x, state=None):
        """One step: ``(output, new_state)``; ``state`` defaults to ``initial_state()``."""
        if state is None:
            state = self.initial_state()
        self._check(x, state)
        x = cast_input(self, x, self.Wh.dtype)
        kind = self.kind
        h, c = (state[0], state[1]) if kind.has_cell_state else (state, None)
        if not self.fused():
            return self._unfused_step(x, h, c)
        out = cell_step(x, h, c, self.Wi, self.Wh, self.b, self._bh(), ws=Workspace(), kind=kind, act=self._act())
        if kind.has_cell_state:
            h2, c2 = kind.split_output(out)
            return h2, (h2, c2)
        return out, out

    def _unfused_step(self, x, h, c):
        raise NotImplementedError(f"{self!r} always runs fused")


class RNNCell(_Cell):
    """Elman cell ``h' = activation(x @ Wi.T + h @ Wh.T + b)``; output and state are ``h'``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import RNNCell
        >>> cell = RNNCell(3, 5, rng=np.random.default_rng(0))
        >>> cell
        RNNCell(3 => 5, tanh)
        >>> y, h = cell(np.ones((4, 3), np.float32))
        >>> y.shape, h is y
        ((4, 5), True)
    """

    kind = RNN_KIND

    def __init__(
        self,
        in_features: int,
        out_features: int,
        activation: Callable = _act.tanh,
        bias: bool = True,
        *,
        rng: np.random.Generator | None = None,
        dtype=np.float32,
    ):
        super().__init__(in_features, out_features, bias, rng=rng, dtype=dtype)
        self.activation = _act.identity if activation is None else activation

    def _act(self):
        return activation_name(self.activation)

    def fused(self) -> bool:
        return self._act() is not None

    def options(self) -> dict:
        return {"activation": self.activation}

    def torch_options(self) -> dict:
        name = self._act()
        if name not in ("tanh", "relu"):
            raise ZymoError(f"to_torch: PyTorch's RNN supports tanh and relu, not {self.activation!r}")
        return {"nonlinearity": name}

    @classmethod
    def attributes_from_torch(cls, module) -> dict:
        return {"activation": {"tanh": _act.tanh, "relu": _act.relu}[module.nonlinearity]}

    def _unfused_step(self, x, h, c):
        h2, _ = self.kind.reference_step(self.activation, x, h, None, self.Wi, self.Wh, self.b, None)
        return h2, h2

    def _extra_repr(self) -> str:
        return f", {_describe_fn(self.activation)}" + super()._extra_repr()


class LSTMCell(_Cell):
    """Long short-term memory cell; the state is ``(h, c)``, the output ``h``.

    Gates (PyTorch's order i, f, g, o): ``i, f, o = sigmoid(.)``, ``g = tanh(.)``
    of ``x @ Wi.T + h @ Wh.T + b``; ``c' = f c + i g``; ``h' = o tanh(c')``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import LSTMCell
        >>> cell = LSTMCell(3, 5, rng=np.random.default_rng(0))
        >>> y, (h, c) = cell(np.ones(3, np.float32))
        >>> cell, y.shape, c.shape
        (LSTMCell(3 => 5), (5,), (5,))
    """

    kind = LSTM_KIND


class GRUCell(_Cell):
    """Gated recurrent unit with the reset gate applied before the hidden product (Flux's ``GRU``,
    Cho et al. v1): ``n = tanh(x Wi_n + (r h) Wh_n + b_n)``, ``h' = (1 - z) n + z h``.

    For PyTorch's ``nn.GRUCell`` (reset applied after the product) use ``GRUv3Cell``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import GRUCell
        >>> GRUCell(3, 5, rng=np.random.default_rng(0))(np.ones((2, 3), np.float32))[0].shape
        (2, 5)
    """

    kind = GRU_KIND


class GRUv3Cell(_Cell):
    """Gated recurrent unit with the reset gate applied after the hidden product (Flux's ``GRUv3``,
    PyTorch's ``nn.GRUCell``): ``n = tanh(x Wi_n + b_n + r (h Wh_n + bh))``, ``h' = (1 - z) n + z h``.

    ``bh`` is PyTorch's ``b_hn``; the other hidden biases fold into ``b``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import GRUv3Cell
        >>> cell = GRUv3Cell(3, 5, rng=np.random.default_rng(0))
        >>> cell, cell.bh.shape
        (GRUv3Cell(3 => 5), (5,))
    """

    kind = GRU3_KIND
