"""A Chain of convolution, recurrent and attention layers: a small speech- or text-style classifier."""

import numpy as np

import zymo
from zymo.nn import LSTM, Chain, Conv, Dense, GlobalMeanPool, MaxPool, MultiHeadAttention, relu
from zymo.testing import check_grads


def _model():
    rng = np.random.default_rng(0)
    return Chain(
        Conv(3, 4, (3,), relu, padding="same", dtype=np.float64, rng=rng),
        MaxPool((2,)),
        LSTM(4, 6, dtype=np.float64, rng=rng),
        MultiHeadAttention(6, 2, dtype=np.float64, rng=rng),
        GlobalMeanPool(),
        Dense(6, 2, dtype=np.float64, rng=rng),
    )


def test_chain_of_conv_recurrent_and_attention_layers_runs_on_sequences():
    model = _model()
    x = np.random.default_rng(1).standard_normal((2, 8, 3))
    assert model(x).shape == (2, 2)
    assert repr(model).splitlines()[1:4] == [
        "  Conv(3 => 4, (3,), relu, padding='same'),",
        "  MaxPool((2,)),",
        "  LSTM(4 => 6),",
    ]


def test_chain_of_conv_recurrent_and_attention_layers_has_exact_gradients():
    x = np.random.default_rng(1).standard_normal((2, 8, 3))
    check_grads(lambda m, x: m(x), (_model(), x), order=1, modes=("rev",))


def test_chain_of_conv_recurrent_and_attention_layers_learns():
    model = _model()
    rng = np.random.default_rng(2)
    x = rng.standard_normal((16, 8, 3))
    y = (x[:, :, 0].mean(axis=1) > 0).astype(np.int64)
    onehot = np.eye(2)[y]

    def loss(m):
        return zymo.nn.losses.logitcrossentropy(m(x), onehot)

    first = loss(model)
    for _ in range(40):
        g = zymo.grad(loss)(model)
        model = zymo.tree_map(lambda p, d: p - 0.5 * d, model, g)
    assert loss(model) < 0.8 * first
