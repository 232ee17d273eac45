"""Models called on ``array_api_strict`` arrays outside differentiation (plain inference).

The strict arrays sit on its second device, which refuses every conversion to NumPy, so a layer that
applied NumPy to them would fail here. Outputs must equal NumPy's and stay arrays of that library.
"""

from __future__ import annotations

import numpy as np
import pytest

import zymo
from zymo import nn
from zymo.devices import to_numpy
from zymo.namespace_check import STRICT_DEVICE, strict

pytestmark = pytest.mark.skipif(strict is None, reason="array_api_strict is not installed")

rng = np.random.default_rng(0)
X2 = rng.normal(size=(4, 3)).astype(np.float32)
X3 = rng.normal(size=(2, 5, 3)).astype(np.float32)

MODELS = {
    "dense-chain": (lambda: nn.Chain(nn.Dense(3, 5, nn.tanh), nn.LayerNorm(5), nn.Dense(5, 2, nn.relu)), X2),
    "dropout-in-test-mode": (lambda: nn.Chain(nn.Dense(3, 5), nn.Dropout(0.5)).eval(), X2),
    "batchnorm-test-mode": (lambda: nn.Chain(nn.Dense(3, 5), nn.BatchNorm(5)).eval(), X2),
    "rnn": (lambda: nn.RNN(3, 4), X3),
    "lstm-bidirectional": (lambda: nn.LSTM(3, 4, bidirectional=True), X3),
    "gru-two-layers": (lambda: nn.GRU(3, 4, num_layers=2), X3),
}


def _on_strict(make, x):
    zymo.seed(0)
    model = make()
    return model, zymo.to_device(model, STRICT_DEVICE), zymo.to_device(x, STRICT_DEVICE)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_called_on_strict_arrays_gives_numpys_output_in_that_library(name):
    make, x = MODELS[name]
    model, moved, xs = _on_strict(make, x)
    got = moved(xs)
    assert type(got).__module__.startswith("array_api_strict")
    assert got.device == STRICT_DEVICE
    np.testing.assert_allclose(to_numpy(got), model(x), rtol=1e-6, atol=1e-6)


def test_model_returning_a_state_gives_strict_arrays_everywhere():
    model, moved, xs = _on_strict(lambda: nn.LSTM(3, 4, return_state=True), X3)
    y, (h, c) = moved(xs)
    want_y, (want_h, want_c) = model(X3)
    for got, want in ((y, want_y), (h, want_h), (c, want_c)):
        assert type(got).__module__.startswith("array_api_strict")
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-6, atol=1e-6)


def test_batchnorm_in_training_mode_updates_its_running_statistics_on_the_device():
    model, moved, xs = _on_strict(lambda: nn.Chain(nn.Dense(3, 5), nn.BatchNorm(5)), X2)
    norm = moved[1]
    model(X2)
    moved(xs)
    assert moved[1] is norm  # updated in place, not replaced
    for name in ("running_mean", "running_var"):
        got = getattr(norm, name)
        assert type(got).__module__.startswith("array_api_strict")
        np.testing.assert_allclose(to_numpy(got), getattr(model[1], name), rtol=1e-6, atol=1e-7)


def test_numpy_inputs_leave_the_call_unchanged():
    zymo.seed(0)
    model = nn.Dense(3, 2)
    assert type(model(X2)) is np.ndarray
    assert type(model).__call__.__wrapped__(model, X2).tolist() == model(X2).tolist()
