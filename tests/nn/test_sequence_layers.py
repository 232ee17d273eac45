"""Sequence layers: layouts, states, stacking, bidirectional, variable lengths, derivatives, errors."""

import numpy as np
import pytest

import zymo
from zymo.core.reverse import ReverseTrace
from zymo.nn import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    Chain,
    Dense,
    GRUCell,
    GRUv3,
    GRUv3Cell,
    LSTMCell,
    Module,
    Recurrence,
    RNNCell,
)
from zymo.testing import check_grads, max_relative_error, numerical_grad

LAYERS = [RNN, LSTM, GRU, GRUv3]
CELL_OF = {RNN: RNNCell, LSTM: LSTMCell, GRU: GRUCell, GRUv3: GRUv3Cell}


def _layer(cls, dtype=np.float64, seed=0, **kw):
    layer = cls(3, 4, rng=np.random.default_rng(seed), dtype=dtype, **kw)
    rng = np.random.default_rng(seed + 100)
    for c in layer._all_cells():
        c.b = (rng.standard_normal(c.b.shape) * 0.3).astype(dtype)
    return layer


def _x(shape=(2, 5, 3), seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


def _loop(cell, xs_tm, state):
    ys = []
    for x_t in xs_tm:
        y, state = cell(x_t, state)
        ys.append(y)
    return np.stack(ys), state


@pytest.mark.parametrize("cls", LAYERS)
def test_outputs_equal_the_cell_applied_step_by_step(cls):
    layer = _layer(cls, return_state=True)
    x = _x()
    y, last = layer(x)
    want_y, want_last = _loop(layer.cells[0], np.transpose(x, (1, 0, 2)), None)
    np.testing.assert_allclose(y, np.transpose(want_y, (1, 0, 2)), rtol=1e-13, atol=1e-14)
    for a, b in zip(zymo.tree_leaves(last), zymo.tree_leaves(want_last)):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("cls", LAYERS)
def test_time_major_and_unbatched_layouts(cls):
    layer = _layer(cls)
    x = _x()
    y = layer(x)
    tm = _layer(cls, time_major=True)
    np.testing.assert_allclose(tm(np.transpose(x, (1, 0, 2))), np.transpose(y, (1, 0, 2)), rtol=1e-13)
    np.testing.assert_allclose(layer(x[1]), y[1], rtol=1e-13, atol=1e-14)


def test_a_layer_records_one_operation(monkeypatch):
    names = []
    process = ReverseTrace.process

    def spy(self, prim, args, params):
        names.append(prim.name)
        return process(self, prim, args, params)

    monkeypatch.setattr(ReverseTrace, "process", spy)
    layer = _layer(LSTM)
    zymo.grad(lambda m: m(_x((2, 30, 3))).sum())(layer)
    assert [n for n in names if n.startswith("recurrent")] == ["recurrent_sequence"]


@pytest.mark.parametrize("cls", LAYERS)
def test_derivatives_match_finite_differences_to_second_order(cls):
    layer = _layer(cls, return_state=True)
    x = _x((2, 3, 3))
    h0 = layer.cells[0].initial_state()
    h0 = zymo.tree_map(lambda a: a + 0.3, h0)

    def f(layer, x, h0):
        y, last = layer(x, h0)
        return y.sum(axis=1) * zymo.tree_leaves(last)[-1]

    check_grads(f, (layer, x, h0), order=2)


@pytest.mark.parametrize("cls", [LSTM, GRUv3])
def test_stacked_bidirectional_gradients_match_finite_differences(cls):
    layer = _layer(cls, num_layers=2, bidirectional=True)
    x = _x((2, 3, 3))
    lengths = np.array([3, 2])
    check_grads(lambda m, x: m(x, lengths=lengths), (layer, x), order=1)


@pytest.mark.parametrize("cls", LAYERS)
def test_padded_steps_keep_the_state_output_zeros_and_get_no_gradient(cls):
    layer = _layer(cls, return_state=True)
    x = _x((3, 5, 3))
    lengths = np.array([5, 2, 0])
    y, last = layer(x, lengths=lengths)
    assert np.all(y[1, 2:] == 0) and np.all(y[2] == 0)
    y_short, last_short = layer(x[1:2, :2])
    np.testing.assert_allclose(y[1:2, :2], y_short, rtol=1e-13)
    for a, b in zip(zymo.tree_leaves(last), zymo.tree_leaves(last_short)):
        np.testing.assert_allclose(a[1], b[0], rtol=1e-13)
        np.testing.assert_array_equal(a[2], 0)
    gx = zymo.grad(
        lambda x: (layer(x, lengths=lengths)[0] ** 2).sum() + zymo.tree_leaves(layer(x, lengths=lengths)[1])[0].sum()
    )(x)
    assert np.all(gx[1, 2:] == 0) and np.all(gx[2] == 0) and np.any(gx[1, :2] != 0)


def test_lengths_and_mask_are_equivalent():
    layer = _layer(GRU)
    x = _x((2, 4, 3))
    mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
    np.testing.assert_array_equal(layer(x, lengths=np.array([3, 2])), layer(x, mask=mask))


def test_masked_gradients_match_finite_differences():
    layer = _layer(LSTM)
    x = _x((2, 4, 3))
    mask = np.array([[1, 0, 1, 1], [1, 1, 1, 0]], bool)
    check_grads(lambda m, x: m(x, mask=mask), (layer, x), order=2)


@pytest.mark.parametrize("cls", [RNN, LSTM])
def test_bidirectional_runs_each_sequence_backwards_within_its_length(cls):
    layer = _layer(cls, bidirectional=True, return_state=True)
    x = _x((2, 5, 3))
    lengths = np.array([5, 3])
    y, last = layer(x, lengths=lengths)
    assert y.shape == (2, 5, 8)
    fwd = cls.from_cells([layer.cells[0]])
    bwd = cls.from_cells([layer.cells_reverse[0]])
    for b in range(2):
        L = lengths[b]
        np.testing.assert_allclose(y[b, :L, :4], fwd(x[b, :L]), rtol=1e-13)
        np.testing.assert_allclose(y[b, :L, 4:], bwd(x[b, :L][::-1])[::-1], rtol=1e-13)
        assert np.all(y[b, L:] == 0)


def test_bidirectional_wrapper_matches_the_bidirectional_option():
    inner = _layer(LSTM, bidirectional=True)
    wrapped = Bidirectional(LSTM.from_cells([inner.cells[0]]), LSTM.from_cells([inner.cells_reverse[0]]))
    x = _x()
    np.testing.assert_allclose(wrapped(x, lengths=np.array([5, 1])), inner(x, lengths=np.array([5, 1])), rtol=1e-13)
    fresh = Bidirectional(_layer(GRU))
    assert repr(fresh) == "Bidirectional(GRU(3 => 4))"
    assert not np.array_equal(fresh.forward.cells[0].Wi, fresh.backward.cells[0].Wi)


def test_mask_with_gaps_cannot_run_backwards():
    layer = Bidirectional(_layer(RNN))
    with pytest.raises(zymo.ZymoError, match="gaps"):
        layer(_x((1, 3, 3)), mask=np.array([[1, 0, 1]], bool))


@pytest.mark.parametrize("cls", [RNN, LSTM])
def test_stacked_layers_feed_each_other(cls):
    layer = _layer(cls, num_layers=2, return_state=True)
    x = _x()
    y, last = layer(x)
    y1 = cls.from_cells([layer.cells[0]])(x)
    y2 = cls.from_cells([layer.cells[1]])(y1)
    np.testing.assert_allclose(y, y2, rtol=1e-13)
    assert len(last) == 2
    assert repr(layer) == f"{cls.__name__}(3 => 4{', tanh' if cls is RNN else ''}, num_layers=2, return_state=True)"


def test_layers_stack_in_a_chain():
    rng = np.random.default_rng(0)
    model = Chain(LSTM(3, 6, rng=rng), GRUv3(6, 4, rng=rng), Dense(4, 2, rng=rng))
    assert model(np.ones((2, 5, 3), np.float32)).shape == (2, 5, 2)
    g = zymo.grad(lambda m: m(np.ones((2, 5, 3), np.float32)).sum())(model)
    assert type(g) is Chain and g.layers[0].cells[0].Wh.dtype == np.float32


def test_given_initial_state_is_used_and_differentiated():
    layer = _layer(LSTM, return_state=True)
    x = _x()
    h0 = (np.full((2, 4), 0.5), np.full(4, -0.2))
    y, _ = layer(x, h0)
    assert not np.allclose(y, layer(x)[0])
    g = zymo.grad(lambda s: layer(x, s)[0].sum())(h0)
    assert g[0].shape == (2, 4) and g[1].shape == (4,)


def test_learned_initial_state_gets_a_gradient():
    layer = _layer(GRU, learn_state=True, num_layers=2)
    for i, s in enumerate(layer.state0):
        layer.state0[i] = s + 0.1
    g = zymo.grad(lambda m: m(_x()).sum())(layer)
    assert all(np.any(s != 0) for s in g.state0)
    want = numerical_grad(lambda m: m(_x()).sum(), (layer,))[0]
    assert max_relative_error(g.state0, want.state0) < 1e-6
    assert "learn_state=True" in repr(layer)


class _MinimalGatedCell(Module):
    """A user-written cell: h' = (1 - z) h + z tanh(W x + U h)."""

    def __init__(self, rng):
        self.W = rng.standard_normal((4, 3)) * 0.5
        self.U = rng.standard_normal((4, 4)) * 0.5
        self.Z = rng.standard_normal((4, 3)) * 0.5
        self.in_features = 3

    def initial_state(self):
        return np.zeros(4)

    def __call__(self, x, h):
        z = 1 / (1 + np.exp(-(x @ self.Z.T)))
        h = (1 - z) * h + z * np.tanh(x @ self.W.T + h @ self.U.T)
        return h, h


def test_recurrence_runs_a_user_written_cell():
    layer = Recurrence(_MinimalGatedCell(np.random.default_rng(0)), return_state=True)
    x = _x((2, 4, 3))
    y, h = layer(x, lengths=np.array([4, 2]))
    assert y.shape == (2, 4, 4) and np.all(y[1, 2:] == 0)
    np.testing.assert_allclose(h[1], y[1, 1])
    check_grads(lambda m, x: m(x, lengths=np.array([4, 2]))[0], (layer, x), order=2)


def test_recurrence_of_a_builtin_cell_equals_the_layer():
    layer = _layer(LSTM)
    x = _x()
    np.testing.assert_array_equal(Recurrence(layer.cells[0])(x), layer(x))


def test_truncated_bptt_stops_gradient_between_chunks():
    layer = _layer(LSTM, return_state=True)
    x = _x((2, 6, 3))

    def loss(x):
        y1, s = layer(x[:, :3])
        y2, _ = layer(x[:, 3:], zymo.stop_gradient(s))
        return (y2**2).sum()

    g = zymo.grad(loss)(x)
    assert np.all(g[:, :3] == 0) and np.any(g[:, 3:] != 0)


def test_wrong_feature_count_names_the_layer_and_both_shapes():
    with pytest.raises(zymo.ShapeError) as e:
        RNN(3, 5)(np.ones((2, 4, 7), np.float32))
    msg = str(e.value)
    assert "RNN(3 => 5, tanh)" in msg and "3 features" in msg and "(2, 4, 7)" in msg


def test_bad_lengths_and_masks_are_clear_errors():
    layer = _layer(GRU)
    x = _x((2, 4, 3))
    with pytest.raises(zymo.ShapeError, match="lengths"):
        layer(x, lengths=np.array([5, 1]))
    with pytest.raises(zymo.ShapeError, match="mask must have shape"):
        layer(x, mask=np.ones((4, 2), bool))
    with pytest.raises(zymo.ZymoError, match="not both"):
        layer(x, lengths=np.array([1, 1]), mask=np.ones((2, 4), bool))


def test_wrong_number_of_states_for_a_stack():
    layer = _layer(RNN, num_layers=2)
    with pytest.raises(zymo.ZymoError, match="list of 2 states"):
        layer(_x(), np.zeros(4))


def test_truncated_bptt_example_trains():
    import pathlib
    import runpy

    path = pathlib.Path(__file__).parents[2] / "examples" / "truncated_bptt.py"
    example = runpy.run_path(str(path))
    _, losses = example["train"](steps=60, K=20, batch=2, hidden=4, epochs=6)
    assert losses[-1] < losses[0]


def test_lstm_layer_state_must_be_a_pair():
    with pytest.raises(zymo.ShapeError, match="pair"):
        _layer(LSTM)(_x(), np.zeros(4))


@pytest.mark.parametrize("cls", LAYERS)
def test_parameter_gradients_do_not_depend_on_whether_the_input_is_differentiated(cls):
    layer, x = _layer(cls, num_layers=2, dtype=np.float32), _x(seed=3).astype(np.float32)

    def loss(layer, x):
        return (layer(x, lengths=np.array([5, 3])) ** 2).sum()

    g_data = zymo.grad(loss)(layer, x)  # the input is data: its gradient is never computed
    g_both, g_x = zymo.grad(loss, argnums=(0, 1))(layer, x)
    for a, b in zip(zymo.tree_leaves(g_data), zymo.tree_leaves(g_both), strict=True):
        np.testing.assert_array_equal(a, b)
    assert g_x.shape == x.shape and np.abs(g_x).max() > 0
