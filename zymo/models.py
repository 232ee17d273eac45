"""Model builders by name: the registry that ``python -m zymo train`` and ``zymo.load_run`` build models from.

A builder takes a configuration (a dict such as a run's ``config.json``) and a
``numpy.random.Generator`` and returns a fresh model. ``build(config)`` picks
the builder named by ``config["model"]``; ``register(name)`` adds one.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from .core.errors import ZymoError
from .nn import (
    GRU,
    LSTM,
    RNN,
    Chain,
    Conv,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    LayerNorm,
    MaxPool,
    Module,
    PositionalEmbedding,
    TransformerEncoderLayer,
    gelu,
    relu,
)
from .seeding import generator_or_default

__all__ = ["register", "build", "names", "SequenceModel", "CharLanguageModel", "conv_net", "Builder"]

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
        >>> {"rnn", "lstm", "gru", "cnn", "transformer"} <= set(names())
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


_RECURRENT = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


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
        layer = _RECURRENT[kind]
        rng = generator_or_default(rng)
        self.rnn = layer(features, hidden, num_layers=layers, rng=rng)
        self.head = Dense(hidden, outputs, rng=rng)

    def __call__(self, x):
        return self.head(self.rnn(x)[:, -1])


class CharLanguageModel(Module):
    """A character-level language model: token ids ``(batch, time)`` in, next-token logits ``(batch, time, vocab)`` out.

    ``kind`` ``"rnn"``, ``"lstm"`` or ``"gru"``: an embedding, ``layers``
    stacked recurrent layers of ``hidden`` units, ``Dropout(dropout)`` on
    their output in training mode and a dense head at every step.
    ``"transformer"``: an embedding plus a learned position embedding
    (sequences up to ``context`` tokens), ``layers`` pre-norm causal
    ``TransformerEncoderLayer`` s of width ``hidden`` (``hidden // 64`` heads,
    at least one; ``dropout`` inside each), a final ``LayerNorm`` and the
    head.

    Example:
        >>> import numpy as np
        >>> model = CharLanguageModel("lstm", 50, 32, rng=np.random.default_rng(0))
        >>> model
        CharLanguageModel(embed=Embedding(50 => 32), body=LSTM(32 => 32, return_state=True), head=Dense(32 => 50))
        >>> logits, state = model.next_logits(np.array([[3, 1, 4]]))
        >>> model(np.zeros((2, 7), np.int64)).shape, logits.shape
        ((2, 7, 50), (1, 50))
    """

    def __init__(
        self,
        kind: str,
        vocab: int,
        hidden: int,
        layers: int = 1,
        *,
        context: int = 128,
        dropout: float = 0.0,
        rng: np.random.Generator | None = None,
    ):
        rng = generator_or_default(rng)
        if kind in _RECURRENT:
            dim = min(hidden, 64)
            self.embed = Embedding(vocab, dim, rng=rng)
            self.body = _RECURRENT[kind](dim, hidden, num_layers=layers, return_state=True, rng=rng)
            self.drop = Dropout(dropout, rng=rng)
        elif kind == "transformer":
            heads = max(hidden // 64, 1)
            if hidden % heads:
                raise ZymoError(
                    f"a transformer of width {hidden} cannot split into {heads} heads; pick a multiple of 64"
                )
            self.embed = Embedding(vocab, hidden, rng=rng)
            self.embed.weight *= np.float32(0.1)
            self.positions = PositionalEmbedding(context, hidden, rng=rng)
            self.body = [
                TransformerEncoderLayer(hidden, heads, 4 * hidden, dropout, gelu, norm_first=True, rng=rng)
                for _ in range(layers)
            ]
            self.norm = LayerNorm(hidden)
        else:
            raise ZymoError(f"CharLanguageModel: kind must be rnn, lstm, gru or transformer, got {kind!r}")
        self.kind = kind
        self.head = Dense(hidden, vocab, rng=rng)

    @property
    def context(self) -> int | None:
        """The longest sequence the model takes (``None``: any length)."""
        return None if self.kind in _RECURRENT else self.positions.weight.shape[0]

    def _features(self, ids, state):
        x = self.embed(ids)
        if self.kind in _RECURRENT:
            features, state = self.body(x, state)
            return self.drop(features), state
        x = self.positions(x)
        for layer in self.body:
            x = layer(x, causal=True)
        return self.norm(x), None

    def __call__(self, ids):
        return self.head(self._features(ids, None)[0])

    def logits(self, ids, state=None):
        """Next-token logits ``(batch, time, vocab)`` for ``ids`` read on from ``state``, and the state after them.

        The state is a recurrent model's state (``None``: the initial one); a transformer's is always ``None``.
        """
        features, state = self._features(ids, state)
        return self.head(features), state

    def next_logits(self, ids, state=None):
        """Logits ``(batch, vocab)`` of the token after ``ids`` ``(batch, time)``, and the state to continue from.

        A recurrent model's state is its recurrent state: pass it back with just
        the new tokens. A transformer's state is ``None``; pass the whole
        context (at most ``context`` tokens) each time.
        """
        features, state = self._features(ids, state)
        return self.head(features[:, -1]), state

    def __repr__(self) -> str:
        if self.kind in _RECURRENT:
            body = f"{self.body!r}, drop={self.drop!r}" if self.drop.p else repr(self.body)
        else:
            body = f"{len(self.body)} x {self.body[0]!r}"
        return f"CharLanguageModel(embed={self.embed!r}, body={body}, head={self.head!r})"


def conv_net(
    shape: tuple[int, int, int],
    outputs: int,
    width: int = 128,
    blocks: int = 1,
    *,
    rng: np.random.Generator | None = None,
) -> Chain:
    """A small image classifier: ``blocks`` x (two 3x3 convolutions + 2x2 max pooling), then two dense layers.

    Input ``(batch, height, width, channels)`` with ``shape == (height, width,
    channels)``; output ``(batch, outputs)`` logits. Block ``i`` has ``width //
    4 * 2**i`` channels; the hidden dense layer has ``width`` units.

    Example:
        >>> import numpy as np
        >>> model = conv_net((8, 8, 1), 10, 32, rng=np.random.default_rng(0))
        >>> model(np.zeros((2, 8, 8, 1), np.float32)).shape
        (2, 10)
    """
    rng = generator_or_default(rng)
    height, wide, channels = (int(s) for s in shape)
    layers: list = []
    for i in range(blocks):
        if min(height, wide) < 2:
            raise ZymoError(f"conv_net: {blocks} pooling blocks do not fit an image of {shape[0]}x{shape[1]}")
        out = max(width // 4, 1) * 2**i
        layers += [
            Conv(channels, out, (3, 3), relu, padding="same", rng=rng),
            Conv(out, out, (3, 3), relu, padding="same", rng=rng),
            MaxPool((2, 2)),
        ]
        channels, height, wide = out, height // 2, wide // 2
    layers += [
        Flatten(),
        Dropout(0.25, rng=rng),
        Dense(height * wide * channels, width, relu, rng=rng),
        Dense(width, outputs, rng=rng),
    ]
    return Chain(*layers)


def _sequence_builder(kind: str) -> Builder:
    def builder(config: Mapping[str, Any], rng: np.random.Generator) -> Module:
        if "vocabulary" in config:
            return _char_model(kind, config, rng)
        return SequenceModel(
            kind, config["features"], config["hidden"], config["outputs"], config.get("layers", 1), rng=rng
        )

    builder.__name__ = f"build_{kind}"
    return builder


def _char_model(kind: str, config: Mapping[str, Any], rng: np.random.Generator) -> CharLanguageModel:
    return CharLanguageModel(
        kind,
        len(config["vocabulary"]),
        config["hidden"],
        config.get("layers", 1),
        context=config.get("window", 128),
        dropout=config.get("dropout", 0.0),
        rng=rng,
    )


for _kind in ("rnn", "lstm", "gru"):
    register(_kind)(_sequence_builder(_kind))


@register("transformer")
def _build_transformer(config: Mapping[str, Any], rng: np.random.Generator) -> Module:
    if "vocabulary" not in config:
        raise ZymoError("the transformer model is a character-level language model: train it with --task chars")
    return _char_model("transformer", config, rng)


@register("cnn")
def _build_cnn(config: Mapping[str, Any], rng: np.random.Generator) -> Module:
    shape = config.get("input", {}).get("shape")
    if shape is None or len(shape) != 3:
        raise ZymoError("the cnn model classifies images: its config needs input.shape = [height, width, channels]")
    return conv_net(tuple(shape), config["outputs"], config.get("hidden", 128), config.get("layers", 1), rng=rng)
