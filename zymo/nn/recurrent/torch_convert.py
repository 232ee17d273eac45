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
from .cells import _Cell
from .layers import _Stacked

__all__ = ["from_torch", "to_torch"]


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


def _subclasses(base: type) -> list:
    """Every subclass of ``base``, breadth first (the built-in classes before classes derived from them)."""
    found, queue = [], list(base.__subclasses__())
    while queue:
        cls = queue.pop(0)
        found.append(cls)
        queue += cls.__subclasses__()
    return found


def _zymo_class(base: type, torch_cls: type, kind_of) -> type | None:
    """The first ``base`` subclass whose cell kind has ``torch_cls`` as its counterpart."""
    import torch.nn as tnn

    for cls in _subclasses(base):
        name = kind_of(cls).torch_name
        if name is None:
            continue
        if torch_cls in (getattr(tnn, name, None), getattr(tnn, name + "Cell", None)):
            return cls
    return None


def _cell_from(cls, module, w_ih, w_hh, b_ih, b_hh):
    cell = object.__new__(cls)
    cell.Wi, cell.Wh = _np(w_ih), _np(w_hh)
    b, bh = (None, None) if b_ih is None else cls.kind.biases_from_torch(_np(b_ih), _np(b_hh))
    cell.b = b
    if cls.kind.hidden_bias:
        cell.bh = bh
    for name, value in cls.attributes_from_torch(module).items():
        setattr(cell, name, value)
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
    cell_cls = _zymo_class(_Cell, type(module), lambda c: c.kind)
    if cell_cls is not None and type(module).__name__.endswith("Cell"):
        b = module.bias
        return _cell_from(
            cell_cls,
            module,
            module.weight_ih,
            module.weight_hh,
            module.bias_ih if b else None,
            module.bias_hh if b else None,
        )
    layer_cls = _zymo_class(_Stacked, type(module), lambda c: c.cell_type.kind)
    if layer_cls is None or type(module).__name__.endswith("Cell"):
        raise ZymoError(f"from_torch converts nn.RNN, nn.LSTM, nn.GRU and their cells, not {type(module).__name__}")
    if getattr(module, "proj_size", 0):
        raise ZymoError("from_torch: LSTM with proj_size has no zymo equivalent")
    cell_cls = layer_cls.cell_type

    def cell(k, suffix):
        def p(name):
            return getattr(module, f"{name}_l{k}{suffix}") if (module.bias or "weight" in name) else None

        return _cell_from(cell_cls, module, p("weight_ih"), p("weight_hh"), p("bias_ih"), p("bias_hh"))

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
        ih, hh = cell.kind.biases_to_torch(cell.b, cell._bh())
        put(b_ih, ih)
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
        name = layer.kind.torch_name
        if name is None:
            raise ZymoError(f"to_torch: {layer!r} has no PyTorch counterpart (nn.GRUCell is GRUv3Cell)")
        bias = layer.b is not None
        m = getattr(tnn, name + "Cell")(
            layer.in_features, layer.out_features, bias=bias, dtype=_torch_dtype(layer), **layer.torch_options()
        )
        _copy_cell(layer, m.weight_ih, m.weight_hh, m.bias_ih if bias else None, m.bias_hh if bias else None)
        return m
    kind = getattr(getattr(layer, "cell_type", None), "kind", None)
    if not isinstance(layer, _Stacked) or kind.torch_name is None:
        note = kind.torch_note if isinstance(layer, _Stacked) else ""
        raise ZymoError(f"to_torch converts RNN, LSTM and GRUv3 layers and their cells, not {layer!r}{note}")
    c0 = layer.cells[0]
    bias = c0.b is not None
    m = getattr(tnn, kind.torch_name)(
        c0.in_features,
        c0.out_features,
        num_layers=layer.num_layers,
        bias=bias,
        batch_first=not layer.time_major,
        bidirectional=layer.bidirectional,
        dtype=_torch_dtype(c0),
        **c0.torch_options(),
    )
    for suffix, cells in (("", layer.cells), ("_reverse", layer.cells_reverse or [])):
        for k, cell in enumerate(cells):

            def p(name, k=k, suffix=suffix):
                return getattr(m, f"{name}_l{k}{suffix}") if (bias or "weight" in name) else None

            _copy_cell(cell, p("weight_ih"), p("weight_hh"), p("bias_ih"), p("bias_hh"))
    return m
