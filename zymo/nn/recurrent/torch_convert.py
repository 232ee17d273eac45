"""Weights to and from PyTorch's ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (and their ``*Cell`` forms).

Conventions (PyTorch is imported only when these functions are called):
- gate order is PyTorch's: LSTM ``i, f, g, o``; GRU ``r, z, n``;
  ``Wi = weight_ih``, ``Wh = weight_hh``;
- zymo keeps one bias ``b = bias_ih + bias_hh``, except the GRU candidate's
  hidden bias ``bias_hh[2H:]``, which PyTorch multiplies by the reset gate:
  it becomes ``GRUv3Cell.bh``. Going back, ``bias_ih = b`` and ``bias_hh`` is
  zero (``[0, 0, bh]`` for GRU), which computes the same function;
- ``nn.GRU`` is zymo's ``GRUv3`` (reset gate after the hidden product); zymo's
  ``GRU`` (reset before, Flux's) has no PyTorch counterpart;
- ``batch_first=True`` is zymo's default layout; ``batch_first=False`` gives
  ``time_major=True``.
"""

from __future__ import annotations

import numpy as np

from ...core.errors import ZymoError
from .cells import GRUv3Cell, LSTMCell, RNNCell, _Cell
from .layers import GRU, LSTM, RNN, GRUv3, _Stacked

__all__ = ["from_torch", "to_torch"]


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


def _cell_from(cls, w_ih, w_hh, b_ih, b_hh, nonlinearity=None):
    H = w_hh.shape[1]
    cell = object.__new__(cls)
    cell.Wi, cell.Wh = _np(w_ih), _np(w_hh)
    if b_ih is None:
        cell.b = None
        if cls is GRUv3Cell:
            cell.bh = None
    else:
        bi, bh = _np(b_ih), _np(b_hh)
        if cls is GRUv3Cell:
            cell.b = bi.copy()
            cell.b[: 2 * H] += bh[: 2 * H]
            cell.bh = bh[2 * H :].copy()
        else:
            cell.b = bi + bh
    if cls is RNNCell:
        from .. import activations

        cell.activation = {"tanh": activations.tanh, "relu": activations.relu}[nonlinearity]
    return cell


def from_torch(module):
    """The zymo equivalent of a PyTorch recurrent module, with its weights copied.

    ``nn.RNN`` -> ``RNN``, ``nn.LSTM`` -> ``LSTM``, ``nn.GRU`` -> ``GRUv3``
    (multi-layer and bidirectional kept); ``nn.RNNCell``/``nn.LSTMCell``/
    ``nn.GRUCell`` -> ``RNNCell``/``LSTMCell``/``GRUv3Cell``.

    Example:
        >>> import torch, zymo
        >>> torch.manual_seed(0) and None
        >>> zymo.nn.from_torch(torch.nn.LSTM(3, 5, num_layers=2, batch_first=True))
        LSTM(3 => 5, num_layers=2)
    """
    import torch.nn as tnn

    kinds = {tnn.RNN: (RNN, RNNCell), tnn.LSTM: (LSTM, LSTMCell), tnn.GRU: (GRUv3, GRUv3Cell)}
    cells = {tnn.RNNCell: RNNCell, tnn.LSTMCell: LSTMCell, tnn.GRUCell: GRUv3Cell}
    nl = getattr(module, "nonlinearity", None)
    if type(module) in cells:
        b = module.bias
        return _cell_from(
            cells[type(module)],
            module.weight_ih,
            module.weight_hh,
            module.bias_ih if b else None,
            module.bias_hh if b else None,
            nl,
        )
    if type(module) not in kinds:
        raise ZymoError(f"from_torch converts nn.RNN, nn.LSTM, nn.GRU and their cells, not {type(module).__name__}")
    if getattr(module, "proj_size", 0):
        raise ZymoError("from_torch: LSTM with proj_size has no zymo equivalent")
    layer_cls, cell_cls = kinds[type(module)]

    def cell(k, suffix):
        def p(name):
            return getattr(module, f"{name}_l{k}{suffix}") if (module.bias or "weight" in name) else None

        return _cell_from(cell_cls, p("weight_ih"), p("weight_hh"), p("bias_ih"), p("bias_hh"), nl)

    fwd = [cell(k, "") for k in range(module.num_layers)]
    bwd = [cell(k, "_reverse") for k in range(module.num_layers)] if module.bidirectional else None
    return layer_cls.from_cells(fwd, bwd, time_major=not module.batch_first)


def _copy_cell(cell, w_ih, w_hh, b_ih, b_hh):
    import torch

    def put(param, value):
        param.data.copy_(torch.from_numpy(np.ascontiguousarray(value)))

    put(w_ih, cell.Wi)
    put(w_hh, cell.Wh)
    if b_ih is not None:
        H = cell.out_features
        put(b_ih, cell.b)
        hh = np.zeros_like(cell.b)
        if isinstance(cell, GRUv3Cell):
            hh[2 * H :] = cell.bh
        put(b_hh, hh)


def _torch_dtype(cell):
    import torch

    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[np.dtype(cell.dtype)]


def to_torch(layer):
    """A PyTorch module computing the same function as a zymo ``RNN``/``LSTM``/``GRUv3`` layer or cell.

    Example:
        >>> import numpy as np, zymo
        >>> zymo.nn.to_torch(zymo.nn.GRUv3(3, 5, rng=np.random.default_rng(0)))
        GRU(3, 5, batch_first=True)
    """
    import torch.nn as tnn

    if isinstance(layer, _Cell):
        kinds = {RNNCell: tnn.RNNCell, LSTMCell: tnn.LSTMCell, GRUv3Cell: tnn.GRUCell}
        if type(layer) not in kinds:
            raise ZymoError(f"to_torch: {layer!r} has no PyTorch counterpart (nn.GRUCell is GRUv3Cell)")
        kw = {"nonlinearity": _nonlinearity(layer)} if isinstance(layer, RNNCell) else {}
        bias = layer.b is not None
        m = kinds[type(layer)](layer.in_features, layer.out_features, bias=bias, dtype=_torch_dtype(layer), **kw)
        _copy_cell(layer, m.weight_ih, m.weight_hh, m.bias_ih if bias else None, m.bias_hh if bias else None)
        return m
    kinds = {RNN: tnn.RNN, LSTM: tnn.LSTM, GRUv3: tnn.GRU}
    if type(layer) not in kinds or not isinstance(layer, _Stacked):
        extra = " (zymo's GRU resets before the hidden product; nn.GRU is GRUv3)" if type(layer) is GRU else ""
        raise ZymoError(f"to_torch converts RNN, LSTM and GRUv3 layers and their cells, not {layer!r}{extra}")
    c0 = layer.cells[0]
    kw = {"nonlinearity": _nonlinearity(c0)} if isinstance(c0, RNNCell) else {}
    bias = c0.b is not None
    m = kinds[type(layer)](
        c0.in_features,
        c0.out_features,
        num_layers=layer.num_layers,
        bias=bias,
        batch_first=not layer.time_major,
        bidirectional=layer.bidirectional,
        dtype=_torch_dtype(c0),
        **kw,
    )
    for suffix, cells in (("", layer.cells), ("_reverse", layer.cells_reverse or [])):
        for k, cell in enumerate(cells):

            def p(name, k=k, suffix=suffix):
                return getattr(m, f"{name}_l{k}{suffix}") if (bias or "weight" in name) else None

            _copy_cell(cell, p("weight_ih"), p("weight_hh"), p("bias_ih"), p("bias_hh"))
    return m


def _nonlinearity(cell) -> str:
    from .cells import activation_name

    name = activation_name(cell.activation)
    if name not in ("tanh", "relu"):
        raise ZymoError(f"to_torch: PyTorch's RNN supports tanh and relu, not {cell.activation!r}")
    return name
