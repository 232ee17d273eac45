"""Kinds of recurrent cell: each one object (a ``CellKind``) holding its gate count, its step and
sequence kernels and its PyTorch bias layout. Cells name their kind (``LSTMCell.kind``); the
recorded operations, the sequence layers and the PyTorch conversion ask the kind.
"""

from .base import CellKind, Saved
from .gru import GRU3_KIND, GRU_KIND
from .lstm import LSTM_KIND
from .rnn import RNN_KIND

__all__ = ["CellKind", "Saved", "RNN_KIND", "LSTM_KIND", "GRU_KIND", "GRU3_KIND"]
