"""The recurrent layers' whole-sequence kernel on another library's arrays (``namespace_sequence``).

On ``array_api_strict`` arrays (its second device refuses every conversion to NumPy) each sequence
layer must run as one recorded operation whose forward and backward passes are the namespace kernel,
in float64 equal to the NumPy kernel's values and gradients to rounding. Higher-order and
forward-mode derivatives go through the reference code instead. CuPy's path (each step's elementwise
functions compiled by ``cupy.fuse``) runs here with a stand-in CuPy namespace over NumPy.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import zymo
import zymo.numpy as znp
from zymo import nn
from zymo.devices import to_numpy
from zymo.namespace_check import STRICT_DEVICE, strict
from zymo.nn._fused import Workspace
from zymo.nn.recurrent import namespace_cells, namespace_sequence
from zymo.nn.recurrent._primitives import sequence

needs_strict = pytest.mark.skipif(strict is None, reason="array_api_strict is not installed")

rng = np.random.default_rng(0)
X = rng.normal(size=(3, 5, 4))
LENGTHS = np.array([5, 2, 4])

LAYERS = {
    "rnn-tanh": lambda: nn.RNN(4, 6),
    "rnn-relu": lambda: nn.RNN(4, 6, nn.relu),
    "rnn-sigmoid-no-bias": lambda: nn.RNN(4, 6, nn.sigmoid, bias=False),
    "rnn-identity": lambda: nn.RNN(4, 6, nn.identity),
    "lstm": lambda: nn.LSTM(4, 6),
    "gru": lambda: nn.GRU(4, 6),
    "gruv3": lambda: nn.GRUv3(4, 6),
    "gruv3-no-bias": lambda: nn.GRUv3(4, 6, bias=False),
    "lstm-two-layers-bidirectional": lambda: nn.LSTM(4, 6, num_layers=2, bidirectional=True),
}


@pytest.fixture
def kernel_calls(monkeypatch):
    """How often the namespace kernel's forward and backward passes ran."""
    calls = {"forward": 0, "backward": 0}
    forward, backward = namespace_sequence.sequence_forward, namespace_sequence.sequence_backward

    def counted_forward(*args, **kwargs):
        calls["forward"] += 1
        return forward(*args, **kwargs)

    def counted_backward(*args, **kwargs):
        calls["backward"] += 1
        return backward(*args, **kwargs)

    monkeypatch.setattr(sequence, "xp_impl", counted_forward)
    monkeypatch.setitem(sequence.__dict__, "_foreign_impls", {})
    monkeypatch.setattr(namespace_sequence, "sequence_backward", counted_backward)
    return calls


def _leaves(tree):
    return [to_numpy(v) for v in zymo.tree_leaves(tree) if v is not None]


def _compare(loss, model, x, argnums=(0, 1)):
    want = zymo.value_and_grad(loss, argnums=argnums)(model, x)
    moved, xs = zymo.to_device((model, x), STRICT_DEVICE)
    got = zymo.value_and_grad(loss, argnums=argnums)(moved, xs)
    for leaf in zymo.tree_leaves(got[1]):
        assert leaf is None or leaf.device == STRICT_DEVICE
    got_leaves, want_leaves = _leaves(got), _leaves(want)
    assert len(got_leaves) == len(want_leaves)
    for g, w in zip(got_leaves, want_leaves):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-13)


def _layer(name):
    zymo.seed(0)
    return nn.f64(LAYERS[name]())


@needs_strict
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_sequence_layer_on_strict_arrays_runs_the_namespace_kernel_and_matches_numpy(name, kernel_calls):
    model = _layer(name)
    _compare(lambda m, x: znp.sum(m(x) ** 2), model, X)
    runs = 4 if "bidirectional" in name else 1  # one recorded operation per layer and direction
    assert kernel_calls == {"forward": runs, "backward": runs}


@needs_strict
@pytest.mark.parametrize("name", ["lstm", "gru", "gruv3", "rnn-tanh"])
def test_padded_batches_and_last_states_match_numpy(name, kernel_calls):
    zymo.seed(0)
    model = nn.f64(type(LAYERS[name]())(4, 6, return_state=True, bidirectional=True))

    def loss(m, x):
        y, states = m(x, lengths=LENGTHS)
        return znp.sum(y**2) + sum(znp.sum(s * s) for s in zymo.tree_leaves(states))

    _compare(loss, model, X)
    assert kernel_calls == {"forward": 2, "backward": 2}


@needs_strict
def test_a_given_initial_state_gets_its_gradient_on_the_device(kernel_calls):
    model = _layer("lstm")
    h0 = (rng.normal(size=(3, 6)), rng.normal(size=(3, 6)))
    _compare(lambda m, inputs: znp.sum(m(inputs[0], inputs[1]) ** 2), model, (X, h0))
    assert kernel_calls == {"forward": 1, "backward": 1}


@needs_strict
def test_data_input_leaves_out_the_input_gradient(monkeypatch):
    seen = []
    backward = namespace_sequence.sequence_backward

    def spy(*args, **kwargs):
        seen.append(kwargs["input_grad"])
        return backward(*args, **kwargs)

    monkeypatch.setattr(namespace_sequence, "sequence_backward", spy)
    _compare(lambda m, x: znp.sum(m(x) ** 2), _layer("gruv3"), X, argnums=0)
    assert seen == [False]


@needs_strict
def test_forward_mode_and_second_order_go_through_the_reference_code():
    model = _layer("lstm")
    f = lambda x: znp.sum(model(x) ** 2)
    moved, xs = zymo.to_device((model, X), STRICT_DEVICE)
    g = lambda x: znp.sum(moved(x) ** 2)
    t = np.ones_like(X)
    np.testing.assert_allclose(
        to_numpy(zymo.jvp(g, (xs,), (zymo.to_device(t, STRICT_DEVICE),))[1]), zymo.jvp(f, (X,), (t,))[1], rtol=1e-12
    )
    hvp = lambda fn, x, v: zymo.grad(lambda y: znp.sum(zymo.grad(fn)(y) * v))(x)
    np.testing.assert_allclose(to_numpy(hvp(g, xs, zymo.to_device(t, STRICT_DEVICE))), hvp(f, X, t), rtol=1e-10)


# --- CuPy's path, with a stand-in namespace ------------------------------------------------------------


@pytest.fixture
def fake_cupy(monkeypatch):
    """A ``cupy`` module whose ``fuse`` records what it compiles, and a namespace named like CuPy's over NumPy."""
    fused = []

    def fuse(fn):
        def kernel(*args):
            kernel.calls += 1
            return fn(*args)

        kernel.calls = 0
        fused.append(kernel)
        return kernel

    monkeypatch.setitem(sys.modules, "cupy", types.SimpleNamespace(fuse=fuse, tanh=np.tanh))
    xp = types.ModuleType("array_api_compat.cupy")
    for name in ("tanh", "reshape", "broadcast_to", "concat", "stack", "where", "zeros_like", "sum", "asarray"):
        setattr(xp, name, getattr(np, name))
    yield xp, fused
    namespace_cells.pointwise.cache_clear()


@pytest.mark.parametrize("kind_name", ["rnn", "lstm", "gru", "gru3"])
def test_on_cupy_each_steps_gate_arithmetic_is_a_fused_kernel(fake_cupy, kind_name):
    xp, fused = fake_cupy
    assert namespace_cells.is_cupy(xp)
    zymo.seed(0)
    make = {"rnn": "rnn-tanh", "lstm": "lstm", "gru": "gru", "gru3": "gruv3"}[kind_name]
    cell = nn.f64(LAYERS[make]()).cells[0]
    args = (X, np.zeros(6), np.zeros(6) if cell.kind.has_cell_state else None, cell.Wi, cell.Wh, cell.b, cell._bh())
    static = dict(kind=cell.kind, act=cell._act(), mask=None, with_state=True, input_grad=True)
    ws, ws_np = Workspace(), Workspace()
    got = namespace_sequence.sequence_forward(xp, *args, ws=ws, **static)
    want = sequence.impl(*args, ws=ws_np, **static)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    g = rng.normal(size=want.shape)
    got_grads = namespace_sequence.sequence_backward(ws.saved, g, *args, **static)
    T = X.shape[0]
    dcT = g[T + 1] if args[2] is not None else None
    want_grads = cell.kind.sequence_backward(ws_np.saved, X, *args[3:], g[:T], g[T], dcT)
    for a, b in zip(got_grads, want_grads):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)
    assert fused and all(callable(k) for k in fused)
    assert sum(k.calls for k in fused) >= 2 * X.shape[0]  # each step, forward and backward, ran a fused kernel
