"""Every acceptance style written with zymo.nn cells: ``withgradient(loss, cell, xs, h)`` equals finite differences."""

import numpy as np
import pytest

import zymo
from zymo import acceptance
from zymo.nn import GRUCell, GRUv3Cell, LSTMCell, Module, RNNCell
from zymo.testing import max_relative_error, numerical_grad

CELL_TYPES = {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell, "gru3": GRUv3Cell}


class _Params:
    """What the styles expect as ``p``: item access to the weights, and the cell to call."""

    def __init__(self, cell):
        self.cell = cell

    def __getitem__(self, name):
        return getattr(self.cell, name)


def _step(p, x, state):
    return p.cell(x, state)


def _problem(kind, dtype=np.float32, batched_x=True, batched_h=False, bias=True, steps=6, seed=0):
    rng = np.random.default_rng(seed)
    cell = CELL_TYPES[kind](3, 5, bias=bias, rng=rng, dtype=dtype)
    cell.Wi = cell.Wi * 1.5  # livelier gates than the default initialisation
    if bias:
        cell.b = (rng.standard_normal(cell.b.shape) * 0.1).astype(dtype)
    xs = [rng.standard_normal((4, 3) if batched_x else (3,)).astype(dtype) for _ in range(steps)]
    hs = (4, 5) if batched_h else (5,)
    h = (rng.standard_normal(hs) * 0.5).astype(dtype)
    if kind == "lstm":
        h = (h, (rng.standard_normal(hs) * 0.5).astype(dtype))
    return cell, xs, h


def _loss_for(style):
    def loss(cell, xs, h):
        return style(_step, _Params(cell), xs, h)

    return loss


def _check(loss, args, tol):
    value, grads = zymo.withgradient(loss, *args)
    assert np.asarray(value) == np.asarray(loss(*args)), "traced value differs from the plain run"
    fd = numerical_grad(loss, args)
    err = max_relative_error(grads, fd)
    assert err <= tol, f"relative error {err}"
    return grads


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru", "gru3"])
@pytest.mark.parametrize("style_name", list(acceptance.STYLES))
def test_every_style_matches_finite_differences(kind, style_name):
    cell, xs, h = _problem(kind, steps=3)
    grads = _check(_loss_for(acceptance.STYLES[style_name]), (cell, xs, h), 1e-3)
    assert type(grads[0]) is type(cell)
    assert grads[0].Wi.shape == cell.Wi.shape and grads[0].Wi.dtype == np.float32
    assert len(grads[1]) == len(xs)


VARIATIONS = {
    "unbatched x": dict(batched_x=False),
    "batched h": dict(batched_h=True),
    "no bias": dict(bias=False),
    "float64": dict(dtype=np.float64),
    "T=1": dict(steps=1),
}


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru3"])
@pytest.mark.parametrize("variation", list(VARIATIONS))
@pytest.mark.parametrize("style_name", ["4 y + [y_t], stack", "5 buffer Y[t] = h"])
def test_variations_match_finite_differences(kind, variation, style_name):
    opts = VARIATIONS[variation]
    cell, xs, h = _problem(kind, **opts)
    tol = 1e-6 if opts.get("dtype") is np.float64 else 1e-3
    _check(_loss_for(acceptance.STYLES[style_name]), (cell, xs, h), tol)


def test_rnn_cell_gradient_is_an_rnn_cell_shaped_tree():
    cell, xs, h = _problem("rnn")
    _, (g_cell, g_xs, g_h) = zymo.withgradient(_loss_for(acceptance.style1_thread), cell, xs, h)
    assert isinstance(g_cell, RNNCell) and repr(g_cell) == "RNNCell(3 => 5, tanh)"
    assert [a.shape for a in (g_cell.Wi, g_cell.Wh, g_cell.b)] == [(5, 3), (5, 5), (5,)]
    assert g_h.shape == (5,) and all(g.shape == (4, 3) for g in g_xs)


class _WithLearnedState(Module):
    def __init__(self, cell, h0):
        self.cell = cell
        self.h0 = h0


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_learned_initial_state_held_in_a_module(kind):
    cell, xs, h = _problem(kind)

    def loss(model, xs):
        return acceptance.style4_concat_stack(_step, _Params(model.cell), xs, model.h0)

    grads = _check(loss, (_WithLearnedState(cell, h), xs), 1e-3)
    assert type(grads[0]) is _WithLearnedState


@pytest.mark.parametrize("kind", ["rnn", "gru"])
def test_same_cell_used_twice_in_one_loss(kind):
    cell, xs, h = _problem(kind)
    style = acceptance.style3_splat

    def loss(cell, xs, h):
        return style(_step, _Params(cell), xs, h) + style(_step, _Params(cell), xs[::-1], h)

    _check(loss, (cell, xs, h), 1e-3)
