"""The model of ``checkpoint_v1.safetensors``, a checkpoint written by an earlier zymo (the array names it holds
must keep loading): a module with lists, dicts, a tied array, a frozen field and Adam state after two updates."""

from __future__ import annotations

import numpy as np

import zymo
from zymo import nn, optim


class Tagged(nn.Module):
    def __init__(self, rng):
        self.encoder = nn.Chain(nn.Dense(3, 4, nn.relu, rng=rng), nn.Dense(4, 2, rng=rng))
        self.heads = {"b": np.ones(2), "a": [rng.standard_normal(2), np.arange(3)]}
        self.shared = self.encoder.layers[0].weight
        self.scale = np.full(1, 0.5)
        self.freeze("scale")


def model_and_state(seed: int = 0):
    model = Tagged(np.random.default_rng(seed))
    state = optim.setup(optim.Adam(0.01), model)
    x = np.linspace(-1, 1, 15).reshape(5, 3)
    for _ in range(2):
        grads = zymo.grad(lambda m: (m.encoder(x) ** 2).sum() + (m.heads["a"][0] * m.heads["b"]).sum())(model)
        optim.update(state, model, grads)
    return model, state
