"""Recurrent cells, sequence layers, and weight conversion to and from PyTorch.

Cells (``RNNCell``, ``LSTMCell``, ``GRUCell``, ``GRUv3Cell``) run one step as one
recorded operation; sequence layers (``RNN``, ``LSTM``, ``GRU``, ``GRUv3``,
``Recurrence``, ``Bidirectional``) run a whole sequence as one recorded
operation with hand-written backpropagation through time.
"""

from .cells import GRUCell, GRUv3Cell, LSTMCell, RNNCell
from .layers import GRU, LSTM, RNN, Bidirectional, GRUv3, Recurrence
from .torch_convert import from_torch, to_torch

__all__ = [
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "GRUv3Cell",
    "RNN",
    "LSTM",
    "GRU",
    "GRUv3",
    "Recurrence",
    "Bidirectional",
    "from_torch",
    "to_torch",
]
