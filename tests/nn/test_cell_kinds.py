"""A cell kind is one object: a kind written here, and nowhere else, runs in the sequence layers.

The kind below (a minimal gated unit, ``h' = h + f (n - h)`` with
``f = sigmoid(.)``, ``n = tanh(.)`` of ``x Wi.T + h Wh.T + b``) supplies only
its step and its step kernels; the sequence layer, the recorded operation and
its backpropagation through time take everything else from it.
"""

import numpy as np
import pytest

import zymo
from zymo.nn import GRUCell, GRUv3Cell, LSTMCell, RNNCell
from zymo.nn.recurrent.cells import _Cell
from zymo.nn.recurrent.kinds import CellKind
from zymo.nn.recurrent.kinds.base import bias_grad, sum_to, weight_grad
from zymo.nn.recurrent.layers import _Stacked
from zymo.testing import max_relative_error, numerical_grad


def _sigmoid(z):
    return 0.5 * np.tanh(0.5 * z) + 0.5


class MinimalGatedKind(CellKind):
    name = "minimal"
    gates = 2

    def reference_step(self, act, x, h, c, Wi, Wh, b, bh):
        H = Wh.shape[1]
        z = x @ Wi.T + h @ Wh.T
        if b is not None:
            z = z + b
        f, n = _sigmoid(z[..., :H]), np.tanh(z[..., H:])
        return h + f * (n - h), None

    def step_forward(self, act, x, h, c, Wi, Wh, b, bh):
        H = Wh.shape[1]
        z = x @ Wi.T + h @ Wh.T
        if b is not None:
            z = z + b
        f, n = _sigmoid(z[..., :H]), np.tanh(z[..., H:])
        return h + f * (n - h), (f, n)

    def step_backward(self, act, saved, g, x, h, c, Wi, Wh, b, bh):
        f, n = saved
        dz = np.concatenate([g * (n - h) * f * (1 - f), g * f * (1 - n * n)], axis=-1)
        dh = g * (1 - f) + dz @ Wh
        db = bias_grad(dz) if b is not None else None
        dx = sum_to(dz @ Wi, np.shape(x))
        return dx, sum_to(dh, np.shape(h)), None, weight_grad(dz, x), weight_grad(dz, h), db, None


class MinimalGatedCell(_Cell):
    kind = MinimalGatedKind()


class MinimalGated(_Stacked):
    cell_type = MinimalGatedCell


def _layer(dtype=np.float64, **options):
    layer = MinimalGated(3, 4, rng=np.random.default_rng(0), dtype=dtype, **options)
    for cell in layer.cells:
        cell.b = np.random.default_rng(1).standard_normal(cell.b.shape).astype(dtype) * 0.3
    return layer


def _inputs(dtype=np.float64):
    return np.random.default_rng(2).standard_normal((3, 6, 3)).astype(dtype)


def _step_by_step(cell, x, lengths):
    """The same layer computed one cell call at a time."""
    h = np.zeros((x.shape[0], cell.out_features))
    ys = []
    for t in range(x.shape[1]):
        y, h2 = cell(x[:, t], h)
        m = (t < lengths)[:, None]
        ys.append(np.where(m, y, 0))
        h = np.where(m, h2, h)
    return np.stack(ys, axis=1), h


def test_a_kind_defined_outside_the_package_runs_as_one_sequence_operation():
    layer, x, lengths = _layer(return_state=True), _inputs(), np.array([6, 2, 4])
    y, h = layer(x, lengths=lengths)
    want_y, want_h = _step_by_step(layer.cells[0], x, lengths)
    np.testing.assert_allclose(y, want_y, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h, want_h, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("options", [{}, {"num_layers": 2, "bidirectional": True}], ids=["one layer", "stacked"])
def test_a_kind_defined_outside_the_package_has_the_gradient_of_finite_differences(options):
    layer, x, lengths = _layer(**options), _inputs(), np.array([6, 2, 4])

    def loss(layer, x):
        return (layer(x, lengths=lengths) ** 2).sum()

    _, grads = zymo.value_and_grad(loss, argnums=(0, 1))(layer, x)
    assert max_relative_error(grads, numerical_grad(loss, (layer, x))) < 1e-7


def test_a_kind_defined_outside_the_package_replays_under_jit_and_takes_forward_mode():
    layer, x = _layer(dtype=np.float32), _inputs(np.float32)

    def loss(layer, x):
        return (layer(x) ** 2).sum()

    v, g = zymo.value_and_grad(loss, argnums=(0, 1))(layer, x)
    fast = zymo.jit(zymo.value_and_grad(loss, argnums=(0, 1)))
    for _ in range(2):
        jv, jg = fast(layer, x)
        assert jv == v and all(np.array_equal(a, b) for a, b in zip(zymo.tree_leaves(jg), zymo.tree_leaves(g)))
    tangent = np.ones_like(x)
    _, jvp_value = zymo.jvp(lambda x: loss(layer, x), (x,), (tangent,))
    np.testing.assert_allclose(jvp_value, (g[1] * tangent).sum(), rtol=1e-4)


@pytest.mark.parametrize("cell_type", [RNNCell, LSTMCell, GRUCell, GRUv3Cell])
def test_each_builtin_cell_names_its_kind_and_sizes_its_weights_by_its_gate_count(cell_type):
    cell = cell_type(3, 5, rng=np.random.default_rng(0))
    assert isinstance(cell.kind, CellKind)
    assert cell.Wi.shape == (cell.kind.gates * 5, 3) and cell.Wh.shape == (cell.kind.gates * 5, 5)
    assert isinstance(cell.initial_state(), tuple) == cell.kind.has_cell_state
