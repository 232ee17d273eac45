"""Normalisation and attention layers follow the layer dtype policy: inputs are cast to the parameters' dtype."""

import warnings

import numpy as np
import pytest
import torch

from zymo import nn

rng = np.random.default_rng(0)


def _float64_input_gives_the_float32_input_s_result(layer, x, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = layer(x, **kwargs)
    expected = layer(x.astype(np.float32), **kwargs)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize(
    "layer",
    [nn.GroupNorm(2, 4), nn.InstanceNorm(4, affine=True), nn.RMSNorm(4)],
    ids=["GroupNorm", "InstanceNorm", "RMSNorm"],
)
def test_norm_casts_float64_input_to_its_float32_parameters(layer):
    _float64_input_gives_the_float32_input_s_result(layer, rng.standard_normal((2, 3, 3, 4)))


def test_norm_casts_integer_input_to_its_parameters_dtype():
    layer = nn.GroupNorm(2, 4, dtype=np.float64)
    x = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    y = layer(x)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, layer(x.astype(np.float64)))


def test_attention_casts_query_key_and_value_to_its_parameters_dtype():
    layer = nn.MultiHeadAttention(8, 2, kdim=4, rng=np.random.default_rng(0))
    q, k, v = rng.standard_normal((2, 5, 8)), rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 8))
    mask = np.tril(np.ones((5, 3), bool), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = layer(q, k, v, attend_mask=mask)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, layer(*(a.astype(np.float32) for a in (q, k, v)), attend_mask=mask))


def test_transformer_layer_casts_its_input_to_its_parameters_dtype():
    layer = nn.testmode(nn.TransformerEncoderLayer(8, 2, 16, rng=np.random.default_rng(0)))
    _float64_input_gives_the_float32_input_s_result(layer, rng.standard_normal((2, 5, 8)), causal=True)


def test_converted_torch_attention_and_transformer_layer_cast_their_inputs():
    torch.manual_seed(0)
    mha = nn.from_torch(torch.nn.MultiheadAttention(8, 2))
    enc = nn.testmode(nn.from_torch(torch.nn.TransformerEncoderLayer(8, 2, 16)))
    x = rng.standard_normal((5, 2, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, weights = mha(x, x, x)
        y = enc(x)
    x32 = x.astype(np.float32)
    assert out.dtype == weights.dtype == y.dtype == np.float32
    np.testing.assert_array_equal(out, mha(x32, x32, x32)[0])
    np.testing.assert_array_equal(y, enc(x32))
