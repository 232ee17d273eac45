"""Model builders by name: the registry that ``python -m zymo train`` and ``zymo.load_run`` build models from.

A builder takes a configuration (a dict such as a run's ``config.json``) and a
``numpy.random.Generator`` and returns a fresh model. ``build(config)`` picks
the builder named by ``config["model"]``; ``register(name)`` adds one.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from .core.errors import ZymoError
from .nn import GRU, LSTM, RNN, Dense, Module
from .seeding import generator_or_default

__all__ = ["register", "build", "names", "SequenceModel", "Builder"]

Builder = Callable[[Mapping[str, Any], np.random.Generator], Module]
_BUILDERS: dict[str, Builder] = {}


def register(name: str) -> Callable[[Builder], Builder]:
    """Decorator: make ``builder(config, rng)`` buildable as ``build({"model": name, ...})``.

    Example:
        >>> from zymo import models, nn
        >>> @models.register("tiny-dense")
        ... def tiny(config, rng):
        ...     return nn.Dense(config["features"], config["outputs"], rng=rng)
        >>> models.build({"model": "tiny-dense", "features": 3, "outputs": 2})
        Dense(3 => 2)
    """

    def add(builder: Builder) -> Builder:
        _BUILDERS[name] = builder
        return builder

    return add


def names() -> list[str]:
    """The registered model names, sorted.

    Example:
        >>> {"rnn", "lstm", "gru"} <= set(names())
        True
    """
    return sorted(_BUILDERS)


def build(config: Mapping[str, Any], rng: np.random.Generator | None = None) -> Module:
    """A fresh model of the kind ``config["model"]`` names, with ``rng`` (default: zymo's shared generator).

    Example:
        >>> import numpy as np
        >>> model = build({"model": "gru", "features": 8, "hidden": 4, "layers": 1, "outputs": 10},
        ...               rng=np.random.default_rng(0))
        >>> model(np.zeros((2, 5, 8), np.float32)).shape
        (2, 10)
    """
    name = config.get("model")
    if name not in _BUILDERS:
        raise ZymoError(f"no model builder named {name!r}; registered: {', '.join(names())} (zymo.models.register)")
    return _BUILDERS[name](config, generator_or_default(rng))


class SequenceModel(Module):
    """A (stacked) recurrent layer whose output at the last step feeds a dense head.

    Input ``(batch, time, features)``, output ``(batch, outputs)``.

    Example:
        >>> import numpy as np
        >>> SequenceModel("lstm", 8, 16, 10, rng=np.random.default_rng(0))
        SequenceModel(rnn=LSTM(8 => 16), head=Dense(16 => 10))
    """

    def __init__(
        self,
        kind: str,
        features: int,
        hidden: int,
        outputs: int,
        layers: int = 1,
        *,
        rng: np.random.Generator | None = None,
    ):
        layer = {"rnn": RNN, "lstm": LSTM, "gru": GRU}[kind]
        rng = generator_or_default(rng)
        self.rnn = layer(features, hidden, num_layers=layers, rng=rng)
        self.head = Dense(hidden, outputs, rng=rng)

    def __call__(self, x):
        return self.head(self.rnn(x)[:, -1])


def _sequence_builder(kind: str) -> Builder:
    def builder(config: Mapping[str, Any], rng: np.random.Generator) -> Module:
        return SequenceModel(
            kind, config["features"], config["hidden"], config["outputs"], config.get("layers", 1), rng=rng
        )

    builder.__name__ = f"build_{kind}"
    return builder


for _kind in ("rnn", "lstm", "gru"):
    register(_kind)(_sequence_builder(_kind))
