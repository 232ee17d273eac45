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
    with pytest.raises(zymo.ZymoError, match="no model builder named 'mlp'; registered: cnn, gru, lstm"):
        models.build({"model": "mlp"})


def test_registered_builder_is_built_with_the_given_generator():
    models.register("test-affine")(lambda config, rng: nn.Dense(config["features"], 2, rng=rng))
    a = models.build({"model": "test-affine", "features": 3}, rng=np.random.default_rng(1))
    b = models.build({"model": "test-affine", "features": 3}, rng=np.random.default_rng(1))
    assert "test-affine" in models.names() and np.array_equal(a.weight, b.weight)


def test_cnn_builder_classifies_images_of_the_configured_shape():
    config = {"model": "cnn", "hidden": 16, "layers": 2, "outputs": 3, "input": {"shape": [8, 6, 2]}}
    model = models.build(config, rng=np.random.default_rng(0))
    assert model(np.zeros((4, 8, 6, 2), np.float32)).shape == (4, 3)
    assert [layer.out_channels for layer in model if isinstance(layer, nn.Conv)] == [4, 4, 8, 8]


def test_cnn_builder_without_an_image_shape_is_a_clear_error():
    with pytest.raises(zymo.ZymoError, match="input.shape = \\[height, width, channels\\]"):
        models.build({"model": "cnn", "outputs": 3, "input": {"steps": 8, "features": 8}})


def test_conv_net_with_more_pooling_blocks_than_the_image_allows_is_a_clear_error():
    with pytest.raises(zymo.ZymoError, match="3 pooling blocks do not fit an image of 4x4"):
        models.conv_net((4, 4, 1), 2, 8, blocks=3)


def test_transformer_builder_needs_a_vocabulary():
    with pytest.raises(zymo.ZymoError, match="train it with --task chars"):
        models.build({"model": "transformer", "hidden": 64, "outputs": 3})


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_recurrent_language_model_continued_from_its_state_gives_the_logits_of_the_whole_sequence(kind):
    model = models.build({"model": kind, "vocabulary": "abcdefg", "hidden": 8, "layers": 2}, np.random.default_rng(0))
    ids = np.random.default_rng(1).integers(0, 7, (3, 9))
    whole = model(ids)
    logits, state = model.next_logits(ids[:, :5])
    for t in range(5, 9):
        assert np.allclose(logits, whole[:, t - 1], atol=1e-6)
        logits, state = model.next_logits(ids[:, t : t + 1], state)
    assert np.allclose(logits, whole[:, -1], atol=1e-6) and whole.shape == (3, 9, 7)


def test_transformer_language_model_is_causal_and_next_logits_read_the_last_step():
    model = nn.testmode(models.CharLanguageModel("transformer", 11, 64, 2, context=16, rng=np.random.default_rng(0)))
    ids = np.random.default_rng(1).integers(0, 11, (2, 10))
    changed = ids.copy()
    changed[:, 6:] = (ids[:, 6:] + 1) % 11
    a, b = model(ids), model(changed)
    assert np.allclose(a[:, :6], b[:, :6], atol=1e-6) and not np.allclose(a[:, 6:], b[:, 6:])
    assert np.allclose(model.next_logits(ids)[0], a[:, -1], atol=1e-6) and model.context == 16


def test_language_model_gradients_match_central_differences():
    model = nn.to_dtype(models.CharLanguageModel("lstm", 5, 3, rng=np.random.default_rng(0)), np.float64)
    ids, targets = np.array([[1, 2, 3, 4]]), np.array([[2, 3, 4, 0]])

    def loss(w):
        model.head.weight = w
        return nn.losses.logitcrossentropy(model(ids), targets)

    w0 = model.head.weight.copy()
    grad = zymo.grad(loss)(w0)
    eps, numeric = 1e-6, np.zeros_like(w0)
    for i in np.ndindex(w0.shape):
        step = np.zeros_like(w0)
        step[i] = eps
        numeric[i] = (loss(w0 + step) - loss(w0 - step)) / (2 * eps)
    assert np.allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_recurrent_language_model_drops_its_features_in_training_mode_only():
    config = {"model": "lstm", "vocabulary": "abcdefg", "hidden": 8, "dropout": 0.5}
    model = models.build(config, np.random.default_rng(0))
    plain = models.build({**config, "dropout": 0.0}, np.random.default_rng(0))
    assert "drop=Dropout(0.5)" in repr(model) and "Dropout" not in repr(plain)
    ids = np.random.default_rng(1).integers(0, 7, (3, 9))
    features, _ = model.body(model.embed(ids))
    dropped = model.drop(features)  # training mode: about half the entries zeroed, the rest doubled
    kept = dropped != 0
    assert 0.3 < kept.mean() < 0.7 and np.allclose(dropped[kept], 2 * features[kept])
    assert not np.allclose(model(ids), plain(ids))
    assert np.array_equal(nn.testmode(model)(ids), plain(ids))
