"""TransformerEncoderLayer and positional embeddings: derivatives, PyTorch parity, printing, shape errors."""

import numpy as np
import pytest

import zymo
from zymo.nn import (
    PositionalEmbedding,
    SinusoidalPositionalEmbedding,
    TorchTransformerEncoderLayer,
    TransformerEncoderLayer,
    from_torch,
    to_torch,
)
from zymo.nn import testmode as eval_mode
from zymo.nn.transformer import gelu_erf
from zymo.testing import check_grads

from .torch_parity import check_layer_parity, close


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_encoder_layer_gradients_match_finite_differences(norm_first):
    layer = TransformerEncoderLayer(4, 2, 6, 0.0, norm_first=norm_first, dtype=np.float64, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    check_grads(lambda m, x: m(x, causal=True), (layer, x), order=1)


def test_sinusoidal_embedding_follows_the_formula():
    y = SinusoidalPositionalEmbedding(6)(np.zeros((1, 5, 6)))
    t, i = 3, 2
    close(y[0, t, 2 * i], np.sin(t / 10000 ** (2 * i / 6)), 1e-14, "sin")
    close(y[0, t, 2 * i + 1], np.cos(t / 10000 ** (2 * i / 6)), 1e-14, "cos")


def test_learned_positional_embedding_is_trained_per_position():
    pe = PositionalEmbedding(8, 3, dtype=np.float64, rng=np.random.default_rng(0))
    g = zymo.grad(lambda m: m(np.ones((2, 5, 3))).sum())(pe)
    assert np.all(g.weight[:5] == 2) and np.all(g.weight[5:] == 0)


def test_sequence_longer_than_the_table_raises_shape_error():
    with pytest.raises(zymo.ShapeError, match=r"PositionalEmbedding\(4 => 3\) expects .*time at most 4"):
        PositionalEmbedding(4, 3)(np.ones((1, 5, 3), np.float32))


torch = pytest.importorskip("torch")
tnn = torch.nn


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(
    "kw,mask",
    [
        pytest.param({}, None, id="post-norm"),
        pytest.param({"norm_first": True, "batch_first": True, "activation": "gelu"}, "causal", id="pre-norm-gelu"),
        pytest.param({"batch_first": True}, "padding", id="padding-mask"),
    ],
)
def test_converted_encoder_layer_matches_pytorch(kw, mask, dtype):
    torch.manual_seed(0)
    m = tnn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=dtype, **kw)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.1 * torch.randn_like(p))
    layer = from_torch(m)
    assert isinstance(layer, TorchTransformerEncoderLayer)
    npdt = np.float64 if dtype is torch.float64 else np.float32
    x = np.random.default_rng(1).standard_normal((3, 4, 8)).astype(npdt)
    kwargs = {}
    if mask == "causal":
        kwargs = {"src_mask": np.triu(np.ones((4, 4), bool), 1), "is_causal": True}
    if mask == "padding":
        kwargs = {"src_key_padding_mask": np.array([[False] * 4, [False, False, True, True], [False] * 3 + [True]])}
    check_layer_parity(m, layer, [x], kwargs=kwargs)


def test_to_torch_keeps_the_encoder_layer():
    layer = eval_mode(
        TransformerEncoderLayer(8, 2, 16, activation=gelu_erf, dtype=np.float64, rng=np.random.default_rng(0))
    )
    m = to_torch(layer).eval()
    x = np.random.default_rng(2).standard_normal((2, 3, 8))
    with torch.no_grad():
        y_t = m(torch.tensor(x)).numpy()
    close(layer(x), y_t, 1e-10, "to_torch")


def test_encoder_layer_prints_its_configuration():
    layer = TransformerEncoderLayer(16, 4, 32, norm_first=True)
    assert repr(layer) == "TransformerEncoderLayer(16, heads=4, ff_dim=32, dropout=0.1, norm_first=True)"


def test_wrong_width_raises_shape_error():
    with pytest.raises(zymo.ShapeError, match=r"expects an input \(batch, time, 8\), got shape \(2, 3, 4\)"):
        TransformerEncoderLayer(8, 2, 16)(np.ones((2, 3, 4), np.float32))
