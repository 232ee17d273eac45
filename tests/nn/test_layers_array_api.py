"""Layers, optimisers and training on arrays of another library (``array_api_strict`` on its second device).

Each model runs twice, on NumPy arrays and on the same values moved with ``zymo.to_device``; losses,
gradients and trained parameters must agree with NumPy's (float32 kernels may round differently).
"""

from __future__ import annotations

import numpy as np
import pytest

import zymo
import zymo.numpy as znp
from zymo import nn, optim
from zymo.devices import to_numpy
from zymo.namespace_check import STRICT_DEVICE, strict

pytestmark = pytest.mark.skipif(strict is None, reason="array_api_strict is not installed")


def _close(got, want, rtol=2e-5, atol=1e-6):
    got_leaves = [to_numpy(g) for g in zymo.tree_leaves(got) if g is not None]
    want_leaves = [np.asarray(w) for w in zymo.tree_leaves(want) if w is not None]
    assert len(got_leaves) == len(want_leaves)
    for g, w in zip(got_leaves, want_leaves):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def _check_layer(make, x):
    zymo.seed(0)
    model = make()
    loss = lambda m, x: znp.sum(m(x) ** 2)
    want = zymo.value_and_grad(loss)(model, x)
    moved = zymo.to_device(model, STRICT_DEVICE)
    for leaf in zymo.tree_leaves(moved):
        if hasattr(leaf, "shape"):
            assert leaf.device == STRICT_DEVICE
    got = zymo.value_and_grad(loss)(moved, zymo.to_device(x, STRICT_DEVICE))
    for leaf in zymo.tree_leaves(got[1]):
        assert leaf is None or leaf.device == STRICT_DEVICE
    _close(got, want)


rng = np.random.default_rng(0)
X2 = rng.normal(size=(4, 3)).astype(np.float32)
X3 = rng.normal(size=(2, 5, 3)).astype(np.float32)


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.Dense(3, 2),
        lambda: nn.Chain(nn.Dense(3, 5, nn.tanh), nn.Dense(5, 4, nn.relu), nn.Dense(4, 2, nn.sigmoid)),
        lambda: nn.Chain(nn.Dense(3, 4, nn.gelu), nn.LayerNorm(4), nn.Dense(4, 2, nn.softplus)),
    ],
    ids=["dense", "chain-activations", "layernorm"],
)
def test_feedforward_layer_matches_numpy(make):
    _check_layer(make, X2)


@pytest.mark.parametrize("layer", [nn.RNN, nn.LSTM, nn.GRU])
def test_recurrent_layer_matches_numpy(layer):
    _check_layer(lambda: nn.Chain(layer(3, 4), lambda y: y[:, -1]), X3)


def test_softmax_cross_entropy_matches_numpy():
    y = np.eye(2, dtype=np.float32)[[0, 1, 1, 0]]
    loss = lambda m, x, y: nn.losses.logitcrossentropy(m(x), y)
    zymo.seed(0)
    model = nn.Dense(3, 2)
    want = zymo.grad(loss)(model, X2, y)
    got = zymo.grad(loss)(*zymo.to_device((model, X2, y), STRICT_DEVICE))
    _close(got, want)


def test_short_training_run_with_adam_matches_numpy():
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = (x @ rng.normal(size=(4, 1))).astype(np.float32)
    zymo.seed(0)
    model = nn.Chain(nn.Dense(4, 8, nn.tanh), nn.Dense(8, 1))
    state = optim.setup(optim.chain(optim.ClipNorm(5.0), optim.Adam(0.01)), model)
    loss = lambda m, x, y: znp.mean((m(x) - y) ** 2)
    dmodel, dstate = zymo.to_device((model, state), STRICT_DEVICE)
    dx, dy = zymo.to_device((x, y), STRICT_DEVICE)
    losses, dlosses = [], []
    for _ in range(20):
        value, g = zymo.value_and_grad(loss)(model, x, y)
        optim.update(state, model, g)
        dvalue, dg = zymo.value_and_grad(loss)(dmodel, dx, dy)
        optim.update(dstate, dmodel, dg)
        losses.append(float(value))
        dlosses.append(float(to_numpy(dvalue)))
    assert dlosses[-1] < 0.5 * dlosses[0]
    np.testing.assert_allclose(dlosses, losses, rtol=1e-4)
    _close(dmodel, model, rtol=1e-4, atol=1e-5)
    assert all(v.device == STRICT_DEVICE for s in dstate.slots.values() for v in s.values())


def test_zymo_train_hands_batches_to_the_models_device():
    from zymo.data import DataLoader

    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = (x.sum(axis=1, keepdims=True) * 0.5).astype(np.float32)
    zymo.seed(0)
    model = zymo.to_device(nn.Dense(3, 1), STRICT_DEVICE)
    state = optim.setup(optim.Adam(0.05), model)
    loss = lambda m, x, y: znp.mean((m(x) - y) ** 2)
    history = zymo.train(loss, model, DataLoader((x, y), 8, rng=0), state, epochs=15, progress=False)
    assert history["loss"][-1] < 0.2 * history["loss"][0]
    assert model.weight.device == STRICT_DEVICE


def test_dropout_masks_match_numpy_with_the_same_generator():
    zymo.seed(0)
    model = nn.Chain(nn.Dense(3, 6, nn.tanh), nn.Dropout(0.5, rng=np.random.default_rng(7)), nn.Dense(6, 2))
    moved = zymo.to_device(model, STRICT_DEVICE)
    moved[1].rng = np.random.default_rng(7)
    loss = lambda m, x: znp.sum(m(x) ** 2)
    want = zymo.value_and_grad(loss)(model, X2)
    got = zymo.value_and_grad(loss)(moved, zymo.to_device(X2, STRICT_DEVICE))
    _close(got, want)
