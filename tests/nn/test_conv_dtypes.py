"""Convolutions follow the layer dtype policy: inputs are cast to the parameters' dtype."""

import warnings

import numpy as np

from zymo import nn


def test_conv_casts_integer_input_to_its_parameters_dtype():
    layer = nn.to_dtype(nn.Conv(1, 2, (3, 3), rng=np.random.default_rng(0)), np.float32)
    x = np.arange(2 * 5 * 5, dtype=np.int64).reshape(2, 5, 5, 1)
    y = layer(x)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, layer(x.astype(np.float32)))


def test_conv_transpose_casts_float64_input_to_float32_with_a_warning():
    layer = nn.to_dtype(nn.ConvTranspose(1, 2, (2, 2), rng=np.random.default_rng(0)), np.float32)
    x = np.random.default_rng(1).standard_normal((2, 4, 4, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = layer(x)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, layer(x.astype(np.float32)))
