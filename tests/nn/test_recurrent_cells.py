"""Recurrent cells: shapes, reprs, one recorded step, derivatives in every mode, clear errors."""

import numpy as np
import pytest

import zymo
from zymo.core.reverse import ReverseTrace
from zymo.nn import GRUCell, GRUv3Cell, LSTMCell, RNNCell, identity, relu, sigmoid
from zymo.nn.recurrent._primitives import reference_cell
from zymo.testing import check_grads

CELLS = [RNNCell, LSTMCell, GRUCell, GRUv3Cell]


def _cell(cls, dtype=np.float64, bias=True, **kw):
    rng = np.random.default_rng(0)
    cell = cls(3, 4, bias=bias, rng=rng, dtype=dtype, **kw)
    if bias:
        cell.b = rng.standard_normal(cell.b.shape).astype(dtype) * 0.3
    if isinstance(cell, GRUv3Cell) and bias:
        cell.bh = rng.standard_normal(4).astype(dtype) * 0.3
    return cell


def _state(cell, shape, seed=1):
    rng = np.random.default_rng(seed)
    h = rng.standard_normal(shape)
    return (h, rng.standard_normal(shape)) if isinstance(cell, LSTMCell) else h


def test_reprs_read_like_flux():
    assert repr(RNNCell(3, 5)) == "RNNCell(3 => 5, tanh)"
    assert repr(RNNCell(3, 5, relu, bias=False)) == "RNNCell(3 => 5, relu, bias=False)"
    assert repr(LSTMCell(3, 5)) == "LSTMCell(3 => 5)"
    assert repr(GRUCell(3, 5)) == "GRUCell(3 => 5)"
    assert repr(GRUv3Cell(3, 5)) == "GRUv3Cell(3 => 5)"


@pytest.mark.parametrize("cls", CELLS)
def test_parameters_have_pytorch_layout(cls):
    cell = cls(3, 5)
    G = {RNNCell: 1, LSTMCell: 4, GRUCell: 3, GRUv3Cell: 3}[cls]
    assert cell.Wi.shape == (G * 5, 3) and cell.Wh.shape == (G * 5, 5) and cell.b.shape == (G * 5,)
    assert cell.Wi.dtype == np.float32


@pytest.mark.parametrize("cls", CELLS)
@pytest.mark.parametrize(
    "xshape,hshape,out", [((2, 3), (4,), (2, 4)), ((3,), (4,), (4,)), ((2, 3), (2, 4), (2, 4)), ((3,), (2, 4), (2, 4))]
)
def test_batched_and_unbatched_inputs_and_states(cls, xshape, hshape, out):
    cell = _cell(cls)
    x = np.random.default_rng(2).standard_normal(xshape)
    y, state = cell(x, _state(cell, hshape))
    assert y.shape == out
    if cls is LSTMCell:
        assert state[0] is y and state[1].shape == out
    else:
        assert state is y


@pytest.mark.parametrize("cls", CELLS)
def test_call_without_state_starts_from_the_initial_state(cls):
    cell = _cell(cls)
    x = np.ones((2, 3))
    y1, _ = cell(x)
    y2, _ = cell(x, cell.initial_state())
    np.testing.assert_array_equal(y1, y2)


@pytest.mark.parametrize("cls", CELLS)
def test_step_value_equals_the_reference_formula(cls):
    cell = _cell(cls)
    x = np.random.default_rng(3).standard_normal((2, 3))
    s = _state(cell, (4,))
    h, c = (s[0], s[1]) if cls is LSTMCell else (s, None)
    want = reference_cell(x, h, c, cell.Wi, cell.Wh, cell.b, cell._bh(), kind=cell.kind, act="tanh")
    y, new = cell(x, s)
    got = np.concatenate([y, new[1]], -1) if cls is LSTMCell else y
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-14)


def test_gru_reset_gate_placement_differs_between_gru_and_gruv3():
    a, b = _cell(GRUCell), _cell(GRUv3Cell)
    b.Wi, b.Wh, b.b, b.bh = a.Wi, a.Wh, a.b, np.zeros(4)
    x, h = np.ones((1, 3)), np.full(4, 0.7)
    assert not np.allclose(a(x, h)[0], b(x, h)[0])


@pytest.mark.parametrize("cls", CELLS)
def test_a_step_records_one_operation(cls, monkeypatch):
    names = []
    process = ReverseTrace.process

    def spy(self, prim, args, params):
        names.append(prim.name)
        return process(self, prim, args, params)

    monkeypatch.setattr(ReverseTrace, "process", spy)
    cell = _cell(cls)
    zymo.grad(lambda c: c(np.ones((2, 3)), _state(cell, (2, 4)))[0].sum())(cell)
    steps = [n for n in names if n.startswith("recurrent")]
    assert steps == ["recurrent_cell"]


@pytest.mark.parametrize("cls", CELLS)
@pytest.mark.parametrize("xshape,hshape", [((2, 3), (4,)), ((3,), (2, 4)), ((3,), (4,))])
def test_derivatives_match_finite_differences_to_second_order(cls, xshape, hshape):
    cell = _cell(cls)
    x = np.random.default_rng(4).standard_normal(xshape)
    s = _state(cell, hshape)

    def f(cell, x, s):
        y, new = cell(x, s)
        return new[1] * y if cls is LSTMCell else y

    check_grads(f, (cell, x, s), order=2)


@pytest.mark.parametrize("cls", CELLS)
def test_derivatives_without_bias(cls):
    cell = _cell(cls, bias=False)
    check_grads(lambda c, x: c(x, _state(cell, (4,)))[0], (cell, np.ones((2, 3))), order=2)


@pytest.mark.parametrize("activation", [relu, sigmoid, identity, np.tanh, lambda z: z**3 / 3])
def test_rnn_cell_activations(activation):
    cell = _cell(RNNCell, activation=activation)
    x = np.random.default_rng(5).standard_normal((2, 3))
    y, _ = cell(x, np.full(4, 0.1))
    np.testing.assert_allclose(y, activation(x @ cell.Wi.T + 0.1 * cell.Wh.sum(1) + cell.b), rtol=1e-12)
    check_grads(lambda c, x: c(x, np.full(4, 0.1))[0], (cell, x), order=2)


@pytest.mark.parametrize("cls", CELLS)
def test_fused_gradient_equals_the_composed_gradient(cls):
    cell = _cell(cls)
    x = np.random.default_rng(6).standard_normal((2, 3))
    s = _state(cell, (4,))
    h, c = (s[0], s[1]) if cls is LSTMCell else (s, None)
    args = (x, h, c, cell.Wi, cell.Wh, cell.b, cell._bh())
    u = np.random.default_rng(7).standard_normal(reference_cell(*args, kind=cell.kind, act="tanh").shape)

    def fused(x, h, c, Wi, Wh, b, bh):
        cell.Wi, cell.Wh, cell.b = Wi, Wh, b
        if cls is GRUv3Cell:
            cell.bh = bh
        y, new = cell(x, (h, c) if cls is LSTMCell else h)
        return np.concatenate([y, new[1]], -1) if cls is LSTMCell else y

    got = zymo.vjp(fused, *args)[1](u)
    want = zymo.vjp(lambda *a: reference_cell(*a, kind=cell.kind, act="tanh"), *args)[1](u)
    for g, w in zip(got, want):
        if w is not None:
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls", CELLS)
def test_float32_stays_float32(cls):
    cell = _cell(cls, dtype=np.float32)
    x = np.ones((2, 3), np.float32)
    g_cell, g_x = zymo.grad(lambda c, x: c(x)[0].mean(), argnums=(0, 1))(cell, x)
    assert g_cell.Wh.dtype == np.float32 and g_x.dtype == np.float32
    assert cell(x)[0].dtype == np.float32


def test_wrong_number_of_features_names_the_cell_and_both_shapes():
    cell = RNNCell(3, 5)
    with pytest.raises(zymo.ShapeError) as e:
        cell(np.ones((4, 7), np.float32))
    msg = str(e.value)
    assert "RNNCell(3 => 5, tanh)" in msg and "(batch, 3)" in msg and "(4, 7)" in msg
    assert "test_recurrent_cells.py" in msg


def test_wrong_state_shape_is_a_clear_error():
    with pytest.raises(zymo.ShapeError, match=r"GRUCell\(3 => 5\).*\(3, 5\)"):
        GRUCell(3, 5)(np.ones((2, 3), np.float32), np.zeros((3, 5), np.float32))


def test_lstm_state_must_be_a_pair():
    with pytest.raises(zymo.ShapeError, match="pair"):
        LSTMCell(3, 5)(np.ones(3, np.float32), np.zeros(5, np.float32))


def test_wrong_feature_count_is_reported_under_differentiation_too():
    cell = LSTMCell(3, 5)
    with pytest.raises(zymo.ShapeError, match=r"LSTMCell\(3 => 5\)"):
        zymo.grad(lambda x: cell(x)[0].sum())(np.ones((2, 4), np.float32))
