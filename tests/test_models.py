"""``zymo.models``: model builders by name."""

from __future__ import annotations

import numpy as np
import pytest

import zymo
from zymo import models, nn


@pytest.mark.parametrize("kind, layer", [("rnn", nn.RNN), ("lstm", nn.LSTM), ("gru", nn.GRU)])
def test_sequence_builders_make_the_named_recurrent_layer(kind, layer):
    model = models.build({"model": kind, "features": 3, "hidden": 5, "layers": 2, "outputs": 4})
    assert isinstance(model.rnn, layer) and model(np.zeros((2, 6, 3), np.float32)).shape == (2, 4)


def test_unknown_model_name_lists_the_registered_ones():
    with pytest.raises(zymo.ZymoError, match="no model builder named 'cnn'; registered: .*gru, lstm"):
        models.build({"model": "cnn"})


def test_registered_builder_is_built_with_the_given_generator():
    models.register("test-affine")(lambda config, rng: nn.Dense(config["features"], 2, rng=rng))
    a = models.build({"model": "test-affine", "features": 3}, rng=np.random.default_rng(1))
    b = models.build({"model": "test-affine", "features": 3}, rng=np.random.default_rng(1))
    assert "test-affine" in models.names() and np.array_equal(a.weight, b.weight)
