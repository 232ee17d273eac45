"""Dtype policy: layers compute in their parameters' dtype; to_dtype / f32 / f64 convert a model."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import zymo
from zymo import nn
from zymo.nn import precision

RNG = np.random.default_rng(0)


@pytest.fixture
def fresh_warning(monkeypatch):
    monkeypatch.setattr(precision, "_warned", False)


def _model():
    rng = np.random.default_rng(1)
    return nn.Chain(nn.Dense(3, 4, nn.tanh, rng=rng), nn.LayerNorm(4), nn.Dense(4, 2, rng=rng))


def test_float64_input_to_a_float32_model_gives_float32_and_warns_once(fresh_warning):
    model = _model()
    x = RNG.standard_normal((5, 3))
    with pytest.warns(zymo.ZymoWarning, match="float32 parameters and was given a float64 input.*shown once"):
        y = model(x)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, model(x.astype(np.float32)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model(x)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_integer_and_boolean_inputs_are_cast_silently(fresh_warning, dtype):
    x = np.arange(6).reshape(2, 3).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = _model()(x)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, _model()(x.astype(np.float32)))


def test_input_of_the_parameters_dtype_gives_the_same_bits_as_plain_numpy():
    layer = nn.Dense(3, 4, rng=np.random.default_rng(2))
    x = RNG.standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_array_equal(layer(x), x @ layer.weight.T + layer.bias)


def test_float32_input_to_a_float64_layer_is_widened_silently():
    layer = nn.Dense(3, 2, dtype=np.float64, rng=np.random.default_rng(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert layer(np.ones((1, 3), np.float32)).dtype == np.float64


@pytest.mark.parametrize("make", [lambda: nn.LSTM(3, 4), lambda: nn.GRU(3, 4, num_layers=2), lambda: nn.RNN(3, 4)])
def test_sequence_layers_compute_in_their_dtype(fresh_warning, make):
    zymo.seed(0)
    layer = make()
    x = RNG.standard_normal((2, 5, 3))
    with pytest.warns(zymo.ZymoWarning):
        y = layer(x)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, layer(x.astype(np.float32)))


def test_cells_compute_in_their_dtype():
    cell = nn.GRUCell(3, 4, rng=np.random.default_rng(0))
    h, _ = cell(np.arange(3))
    assert h.dtype == np.float32


def test_gradient_with_respect_to_a_cast_input_has_the_input_s_dtype(fresh_warning):
    model = _model()
    with pytest.warns(zymo.ZymoWarning):
        g = zymo.grad(lambda x: model(x).sum())(RNG.standard_normal((2, 3)))
    assert g.dtype == np.float64


def test_to_dtype_converts_a_copy_and_keeps_ties_and_integers():
    model = _model()
    model.table = np.arange(3)
    model.tied = model.layers[0].weight
    wide = nn.to_dtype(model, np.float64)
    assert wide.layers[0].weight.dtype == np.float64 and wide.layers[1].weight.dtype == np.float64
    assert model.layers[0].weight.dtype == np.float32
    assert wide.tied is wide.layers[0].weight and wide.table.dtype == np.int64 and wide.table is not model.table
    np.testing.assert_array_equal(wide.layers[0].weight, model.layers[0].weight.astype(np.float64))
    x = RNG.standard_normal((2, 3))
    assert wide(x).dtype == np.float64
    np.testing.assert_allclose(wide(x), model(x.astype(np.float32)), rtol=1e-5, atol=1e-6)


def test_f32_and_f64_round_trip():
    model = _model()
    back = nn.f32(nn.f64(model))
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(back.parameters(), model.parameters()))
    assert type(back) is type(model) and repr(back) == repr(model)


def test_to_dtype_refuses_a_non_floating_dtype():
    with pytest.raises(zymo.ZymoError, match="floating dtype"):
        nn.to_dtype(_model(), np.int32)
