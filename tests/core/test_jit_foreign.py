"""``zymo.jit`` replaying calls on another library's arrays (``array_api_strict`` on its second device).

Replays must equal ``value_and_grad`` (or the plain function) bit for bit, stay arrays of that
library on its device, and re-trace where a guard reads a different value.
"""

from __future__ import annotations

import numpy as np
import pytest

import zymo
import zymo.numpy as znp
from zymo import nn
from zymo.core import jit_foreign
from zymo.devices import to_numpy
from zymo.namespace_check import STRICT_DEVICE, strict

pytestmark = pytest.mark.skipif(strict is None, reason="array_api_strict is not installed")

rng = np.random.default_rng(0)


def _inputs(shape, calls=4, dtype=np.float32):
    base = rng.normal(size=shape).astype(dtype)
    return [zymo.to_device(base * np.asarray(1 + 0.25 * k, dtype), STRICT_DEVICE) for k in range(calls)]


def _assert_identical(got, want):
    got_leaves = [v for v in zymo.tree_leaves(got) if v is not None]
    want_leaves = [v for v in zymo.tree_leaves(want) if v is not None]
    assert len(got_leaves) == len(want_leaves)
    for g, w in zip(got_leaves, want_leaves):
        if hasattr(w, "device"):
            assert type(g) is type(w) and g.device == w.device == STRICT_DEVICE
        np.testing.assert_array_equal(to_numpy(g), to_numpy(w))


MODELS = {
    "dense-layernorm": (lambda: nn.Chain(nn.Dense(3, 5, nn.tanh), nn.LayerNorm(5), nn.Dense(5, 2)), (4, 3)),
    "lstm": (lambda: nn.LSTM(3, 4), (2, 5, 3)),
    "gru-bidirectional": (lambda: nn.GRUv3(3, 4, bidirectional=True), (2, 5, 3)),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_replay_of_a_model_gradient_equals_value_and_grad_bit_for_bit(name):
    make, shape = MODELS[name]
    zymo.seed(0)
    model = zymo.to_device(make(), STRICT_DEVICE)
    vg = zymo.value_and_grad(lambda m, x: znp.sum(m(x) ** 2))
    jitted = zymo.jit(vg)
    for x in _inputs(shape):
        _assert_identical(jitted(model, x), vg(model, x))
    assert jitted.stats["replays"] == 2 and jitted.stats["eager"] == 0, (jitted.stats, jitted.reasons)


def test_replay_follows_new_data_in_a_non_differentiated_argument():
    w = zymo.to_device(rng.normal(size=(3, 2)), STRICT_DEVICE)
    vg = zymo.value_and_grad(lambda w, x, y: znp.mean((znp.tanh(x @ w) - y) ** 2))
    jitted = zymo.jit(vg)
    for x, y in zip(_inputs((6, 3), dtype=np.float64), _inputs((6, 2), dtype=np.float64)):
        _assert_identical(jitted(w, x, y), vg(w, x, y))
    assert jitted.stats["replays"] == 2


def test_a_guard_that_reads_a_different_value_traces_again():
    def f(x):
        return znp.sum(x**2) if znp.sum(x) > 0 else znp.sum(znp.exp(x))

    g = zymo.grad(f)
    jitted = zymo.jit(g)
    base = rng.normal(size=5)
    base = base - base.mean() + 0.5
    signs = [1, 1, 1, -1, 1]
    for s in signs:
        x = zymo.to_device(s * base, STRICT_DEVICE)
        _assert_identical(jitted(x), g(x))
    assert jitted.stats["mismatches"] >= 1


def test_a_plain_function_replays_its_forward_computation():
    zymo.seed(0)
    model = zymo.to_device(nn.Chain(nn.Dense(3, 4, nn.relu), nn.Dense(4, 2)), STRICT_DEVICE)
    predict = zymo.jit(lambda m, x: nn.softmax(m(x)))
    for x in _inputs((5, 3)):
        _assert_identical(predict(model, x), nn.softmax(model(x)))
    assert predict.stats["replays"] == 2


def test_has_aux_values_come_back_as_the_librarys_arrays():
    vg = zymo.value_and_grad(lambda w: (znp.sum(znp.sin(w)), {"cos": znp.cos(w)}), has_aux=True)
    jitted = zymo.jit(vg)
    for w in _inputs((3,), dtype=np.float64):
        _assert_identical(jitted(w), vg(w))
    assert jitted.stats["replays"] == 2


def test_replay_checks_host_metadata_only(monkeypatch):
    """Each replayed operation's result is checked by type, shape and dtype: no value is read back."""
    import zymo.core.jit as jit_module

    calls = []
    original = jit_module.same_foreign

    def counting(x, y):
        calls.append(1)
        return original(x, y)

    w = _inputs((4, 3), calls=1, dtype=np.float64)[0]
    shift = lambda: zymo.to_device(np.full(4, 0.5), STRICT_DEVICE)  # a constant made anew in every call
    jitted = zymo.jit(zymo.grad(lambda w, x: znp.sum(znp.tanh(x @ w.T + shift()) ** 2)))
    xs = _inputs((2, 3), dtype=np.float64)
    monkeypatch.setattr(jit_module, "same_foreign", counting)
    jitted(w, xs[0])
    jitted(w, xs[1])
    assert calls  # the two recordings' constants are compared by value (the check can see a comparison)
    calls.clear()
    jitted(w, xs[2])
    jitted(w, xs[3])
    assert jitted.stats["replays"] == 2
    assert calls == []


def test_signature_of_a_foreign_array_is_read_on_the_host():
    x = zymo.to_device(np.ones((2, 3), np.float32), STRICT_DEVICE)
    part = jit_foreign.signature_part(x)
    assert part[1:] == ((2, 3), str(x.dtype), str(STRICT_DEVICE))
    assert jit_foreign.signature_part(strict.asarray([1, 2], device=STRICT_DEVICE)) is None
