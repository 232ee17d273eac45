"""MultiHeadAttention and the attention primitive: exact derivatives, masks, PyTorch parity, shape errors."""

import numpy as np
import pytest

import zymo
from zymo.nn import MultiHeadAttention, TorchMultiheadAttention, from_torch
from zymo.nn._attention import attention, reference_attention
from zymo.nn._fused import Workspace
from zymo.testing import check_grads

from .torch_parity import check_layer_parity, close


def _qkv(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((2, 3, 6, 2))


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_attention_derivatives_match_finite_differences_to_second_order(causal):
    q, k, v = _qkv()
    bias = np.zeros((2, 1, 1, 6))
    bias[1, ..., 4:] = -np.inf

    def f(q, k, v):
        return attention(q, k, v, bias, scale=0.4, causal=causal, ws=Workspace())

    check_grads(f, (q, k, v), order=2)


def test_attention_fast_backward_equals_the_reference_gradient():
    q, k, v = _qkv(1)
    u = np.random.default_rng(2).standard_normal((2, 3, 4, 2))

    def fused(q, k, v):
        return (attention(q, k, v, None, scale=0.3, causal=True, ws=Workspace()) * u).sum()

    def reference(q, k, v):
        return (reference_attention(q, k, v, None, scale=0.3, causal=True) * u).sum()

    for a, b in zip(zymo.grad(fused, argnums=(0, 1, 2))(q, k, v), zymo.grad(reference, argnums=(0, 1, 2))(q, k, v)):
        close(a, b, 1e-13, "gradient")


def test_masked_keys_get_no_weight_and_no_gradient():
    mha = MultiHeadAttention(8, 2, dtype=np.float64, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((2, 5, 8))
    key_mask = np.array([[True] * 5, [True, True, True, False, False]])
    _, w = mha(x, key_mask=key_mask, return_weights=True)
    assert np.all(w[1, :, :, 3:] == 0)
    gx = zymo.grad(lambda kv: mha(x, kv, kv, key_mask=key_mask).sum())(x)
    assert np.all(gx[1, 3:] == 0) and np.any(gx[0, 3:] != 0)


def test_causal_attention_ignores_later_positions():
    mha = MultiHeadAttention(8, 4, dtype=np.float64, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((1, 6, 8))
    y = mha(x, causal=True)
    x2 = x.copy()
    x2[:, 4:] += 1.0
    close(mha(x2, causal=True)[:, :4], y[:, :4], 1e-14, "prefix")


def test_attend_mask_true_means_may_attend():
    mha = MultiHeadAttention(4, 1, dtype=np.float64, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((1, 3, 4))
    allowed = np.tril(np.ones((3, 3), bool))
    close(mha(x, attend_mask=allowed), mha(x, causal=True), 1e-14, "attend_mask vs causal")


def test_layer_gradients_match_finite_differences():
    mha = MultiHeadAttention(4, 2, kdim=3, vdim=5, dtype=np.float64, rng=np.random.default_rng(0))
    rng = np.random.default_rng(1)
    q, k, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 4, 5))
    check_grads(lambda m, q, k, v: m(q, k, v, causal=True), (mha, q, k, v), order=1)


torch = pytest.importorskip("torch")
tnn = torch.nn


def _torch_mha(dtype, **kw):
    torch.manual_seed(0)
    m = tnn.MultiheadAttention(8, 2, dtype=dtype, **kw)
    with torch.no_grad():
        for p in m.parameters():
            p.uniform_(-0.5, 0.5)
    return m


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(
    "kw,masks",
    [
        pytest.param({}, {}, id="plain"),
        pytest.param({"batch_first": True}, {"causal": True}, id="batch-first-causal"),
        pytest.param({"kdim": 3, "vdim": 5}, {"key_padding_mask": True}, id="kdim-vdim-padding"),
        pytest.param({"bias": False}, {"attn_mask": "float", "key_padding_mask": True}, id="float-mask"),
        pytest.param({}, {"attn_mask": "per-head"}, id="per-head-mask"),
    ],
)
def test_converted_attention_matches_pytorch(kw, masks, dtype):
    m = _torch_mha(dtype, **kw)
    layer = from_torch(m)
    assert isinstance(layer, TorchMultiheadAttention)
    npdt = np.float64 if dtype is torch.float64 else np.float32
    rng = np.random.default_rng(1)
    B, T, S = 3, 4, 5
    lead = (B, T) if kw.get("batch_first") else (T, B)
    lead_kv = (B, S) if kw.get("batch_first") else (S, B)
    q = rng.standard_normal(lead + (8,)).astype(npdt)
    k = rng.standard_normal(lead_kv + (kw.get("kdim", 8),)).astype(npdt)
    v = rng.standard_normal(lead_kv + (kw.get("vdim", 8),)).astype(npdt)
    kwargs = {}
    if masks.get("key_padding_mask"):
        kwargs["key_padding_mask"] = np.array([[False] * S, [False] * 3 + [True] * 2, [False] * 4 + [True]])
    if masks.get("attn_mask") == "float":
        kwargs["attn_mask"] = rng.standard_normal((T, S)).astype(npdt)
    if masks.get("attn_mask") == "per-head":
        kwargs["attn_mask"] = rng.random((B * 2, T, S)) < 0.3
        kwargs["attn_mask"][..., 0] = False
    if masks.get("causal"):
        k, v = k[:, :T], v[:, :T]
        kwargs["attn_mask"] = np.triu(np.ones((T, T), bool), 1)
        kwargs["is_causal"] = True
    check_layer_parity(m, layer, [q, k, v], kwargs=kwargs, output=lambda out: out[0])
    check_layer_parity(m, layer, [q, k, v], kwargs=kwargs, output=lambda out: out[1])


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda m, x: m(x[:, :, :5]), r"a query of shape \(batch, time, 8\), got shape \(2, 4, 5\)"),
        (lambda m, x: m(x[0]), r"a query of shape \(batch, time, 8\), got shape \(4, 8\)"),
        (lambda m, x: m(x, key_mask=np.ones((2, 3), bool)), r"key_mask must have shape \(2, 4\).*got \(2, 3\)"),
        (lambda m, x: m(x, attend_mask=np.ones((4, 5), bool)), r"attend_mask must have shape \(4, 4\).*got \(4, 5\)"),
    ],
    ids=["features", "rank", "key-mask", "attend-mask"],
)
def test_bad_inputs_raise_shape_errors_naming_the_layer(call, match):
    mha = MultiHeadAttention(8, 2)
    with pytest.raises(zymo.ShapeError, match=match) as info:
        call(mha, np.ones((2, 4, 8), np.float32))
    assert "MultiHeadAttention(8, heads=2)" in str(info.value)


def test_torch_mask_shapes_are_checked():
    layer = from_torch(tnn.MultiheadAttention(8, 2))
    x = np.ones((4, 2, 8), np.float32)
    with pytest.raises(zymo.ShapeError, match=r"key_padding_mask must have shape \(2, 4\)"):
        layer(x, x, x, key_padding_mask=np.zeros((4, 2), bool))
