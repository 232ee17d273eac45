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
from .layers import BatchNorm, Chain, Dense, Dropout, Embedding, Flatten, LayerNorm, Parallel, SkipConnection
from .module import Module, describe, named_parameters, num_parameters, parameters, testmode, trainmode

__all__ = [
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
]
