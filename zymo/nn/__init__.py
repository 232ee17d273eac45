"""Neural-network layers, recurrent cells and sequence layers, losses and initialisers."""

from . import init, losses
from .activations import (
    elu,
    gelu,
    hard_sigmoid,
    identity,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from .attention import MultiHeadAttention, TorchMultiheadAttention
from .conv import Conv, ConvTranspose
from .layers import BatchNorm, Chain, Dense, Dropout, Embedding, Flatten, LayerNorm, Parallel, SkipConnection
from .layout import ChannelsFirst
from .module import Module, describe, named_parameters, num_parameters, parameters, testmode, trainmode
from .normalization import GroupNorm, InstanceNorm, RMSNorm
from .pooling import AdaptiveMaxPool, AdaptiveMeanPool, GlobalMaxPool, GlobalMeanPool, MaxPool, MeanPool
from .precision import f32, f64, to_dtype
from .recurrent import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    GRUCell,
    GRUv3,
    GRUv3Cell,
    LSTMCell,
    Recurrence,
    RNNCell,
)
from .torch_layers import from_torch, to_torch
from .transformer import (
    PositionalEmbedding,
    SinusoidalPositionalEmbedding,
    TorchTransformerEncoderLayer,
    TransformerEncoderLayer,
)
from .upsample import Upsample

__all__ = [
    "to_dtype",
    "f32",
    "f64",
    "Module",
    "parameters",
    "named_parameters",
    "num_parameters",
    "describe",
    "trainmode",
    "testmode",
    "init",
    "losses",
    "Dense",
    "Chain",
    "Embedding",
    "Dropout",
    "LayerNorm",
    "BatchNorm",
    "SkipConnection",
    "Parallel",
    "Flatten",
    "relu",
    "leaky_relu",
    "elu",
    "gelu",
    "sigmoid",
    "hard_sigmoid",
    "softplus",
    "silu",
    "tanh",
    "softmax",
    "log_softmax",
    "identity",
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
    "Conv",
    "ConvTranspose",
    "ChannelsFirst",
    "MaxPool",
    "MeanPool",
    "AdaptiveMaxPool",
    "AdaptiveMeanPool",
    "GlobalMaxPool",
    "GlobalMeanPool",
    "GroupNorm",
    "InstanceNorm",
    "RMSNorm",
    "Upsample",
    "MultiHeadAttention",
    "TorchMultiheadAttention",
    "TransformerEncoderLayer",
    "TorchTransformerEncoderLayer",
    "SinusoidalPositionalEmbedding",
    "PositionalEmbedding",
    "from_torch",
    "to_torch",
]
