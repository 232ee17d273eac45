"""zymo.jit(..., reorder=True): products sharing a weight batched across steps, within rounding of the function."""

from __future__ import annotations

import numpy as np
import pytest

import zymo
import zymo.numpy as znp
from zymo.acceptance import CELLS, STYLES, Variation, make_problem

TOLERANCE = {"float32": 1e-5, "float64": 1e-12}  # relative, per result array (norm of the difference)


def assert_close(got, want, rtol):
    """The same structure and types, each array within ``rtol`` of the other relative to its norm."""
    g, w = zymo.tree_flatten(got), zymo.tree_flatten(want)
    assert g[1] == w[1]
    for a, b in zip(g[0], w[0]):
        assert type(a) is type(b)
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.linalg.norm(a - b) <= rtol * np.linalg.norm(b), (a, b)


def run_both(f, calls, rtol, **kw):
    """Call ``jit(value_and_grad(f), reorder=True)`` and ``value_and_grad(f)`` on each argument tuple; compare."""
    vg = zymo.value_and_grad(f, **kw)
    jv = zymo.jit(vg, reorder=True)
    for args in calls:
        assert_close(jv(*args), vg(*args), rtol)
    return jv


def _program_source(jitted) -> str:
    return next(iter(jitted._cache.values())).ready.run.source


@pytest.mark.parametrize("dtype", sorted(TOLERANCE))
@pytest.mark.parametrize("style", sorted(STYLES))
def test_every_acceptance_style_replays_reordered_within_rounding(style, dtype):
    loss, cell_fn = STYLES[style], CELLS["elman"][0]
    calls = [make_problem(Variation("v", dtype=dtype), seed=s) for s in range(4)]
    jv = run_both(lambda p, xs, h: loss(cell_fn, p, xs, h), calls, TOLERANCE[dtype], argnums=(0, 1, 2))
    assert jv.stats["replays"] == 2, jv.reasons


@pytest.mark.parametrize("dtype", sorted(TOLERANCE))
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("style", ["1 thread state", "4 y + [y_t], stack"])
def test_gated_cells_replay_reordered_within_rounding(style, cell, dtype):
    loss, cell_fn = STYLES[style], CELLS[cell][0]
    calls = [make_problem(Variation("v", cell=cell, dtype=dtype), seed=s) for s in range(4)]
    jv = run_both(lambda p, xs, h: loss(cell_fn, p, xs, h), calls, TOLERANCE[dtype], argnums=(0, 1, 2))
    assert jv.stats["replays"] == 2, jv.reasons


def test_weight_gradients_and_input_projections_are_one_product_each():
    loss, cell_fn = STYLES["1 thread state"], CELLS["elman"][0]
    jv = zymo.jit(zymo.value_and_grad(lambda p, xs, h: loss(cell_fn, p, xs, h), argnums=(0, 1, 2)), reorder=True)
    for s in range(3):
        jv(*make_problem(Variation("v", steps=6), seed=s))
    source = _program_source(jv)
    # Wi and Wh: one product each over all steps; b: one sum; the inputs' projections and their cotangents: one each
    assert source.count(",)).T @ CONCAT((") == 2
    assert source.count("gj = CONCAT((s") == 1
    assert source.count("CONCAT((v") == 1
    assert source.count("GX = CONCAT(") == 1


def test_without_reorder_the_replay_makes_one_product_per_step():
    loss, cell_fn = STYLES["1 thread state"], CELLS["elman"][0]
    jv = zymo.jit(zymo.value_and_grad(lambda p, xs, h: loss(cell_fn, p, xs, h), argnums=(0, 1, 2)))
    for s in range(3):
        jv(*make_problem(Variation("v", steps=6), seed=s))
    assert "CONCAT(" not in _program_source(jv)


def test_steps_whose_products_get_no_cotangent_are_left_out_of_the_batched_products():
    rng = np.random.default_rng(0)

    def f(w, xs):
        ys = [znp.tanh(x @ w) for x in xs]  # the second step's product does not reach the loss
        return znp.sum(ys[0]) + znp.sum(ys[2] ** 2)

    calls = [(rng.standard_normal((3, 4)), [rng.standard_normal((b, 3)) for b in (2, 5, 1)]) for _ in range(4)]
    jv = run_both(f, calls, TOLERANCE["float64"], argnums=(0, 1))
    assert jv.stats["replays"] == 2, jv.reasons
    assert np.all(jv(*calls[0])[1][1][1] == 0.0)


def test_a_bias_added_on_either_side_of_some_steps_gets_one_sum_over_the_steps_that_reach_the_loss():
    rng = np.random.default_rng(3)

    def f(b, zs):
        ys = [znp.tanh(z + b) if k % 2 else znp.tanh(b + z) for k, z in enumerate(zs)]
        return znp.sum(ys[0] ** 2) + znp.sum(ys[1]) + znp.sum(ys[3])  # the third step does not reach the loss

    calls = [(rng.standard_normal(4), [rng.standard_normal((b, 4)) for b in (2, 3, 1, 2)]) for _ in range(4)]
    jv = run_both(f, calls, TOLERANCE["float64"], argnums=(0, 1))
    assert jv.stats["replays"] == 2, jv.reasons
    assert _program_source(jv).count("gj = CONCAT((s") == 1


def test_products_whose_left_operands_come_later_batch_only_the_weight_gradient():
    rng = np.random.default_rng(1)

    def f(w, h):
        for _ in range(4):
            h = znp.tanh(h @ w)
        return znp.sum(h)

    calls = [(rng.standard_normal((3, 3)), rng.standard_normal((2, 3))) for _ in range(4)]
    jv = run_both(f, calls, TOLERANCE["float64"], argnums=(0, 1))
    source = _program_source(jv)
    assert source.count(",)).T @ CONCAT((") == 1 and "CONCAT((v" not in source


def test_reordered_gradients_are_writeable_and_never_shared():
    loss, cell_fn = STYLES["1 thread state"], CELLS["elman"][0]
    jv = zymo.jit(zymo.value_and_grad(lambda p, xs, h: loss(cell_fn, p, xs, h), argnums=(0, 1, 2)), reorder=True)
    for s in range(3):
        _, grads = jv(*make_problem(Variation("v"), seed=s))
    leaves = zymo.tree_leaves(grads)
    for k, a in enumerate(leaves):
        assert a.flags.writeable and a.flags.c_contiguous
        assert not any(np.shares_memory(a, b) for b in leaves[k + 1 :])


def test_a_reordered_forward_replay_is_within_rounding_of_the_function():
    def f(w, xs):
        return [np.tanh(x @ w) for x in xs]

    rng = np.random.default_rng(2)
    jf = zymo.jit(f, reorder=True)
    for _ in range(4):
        args = (rng.standard_normal((3, 4)), [rng.standard_normal((2, 3)) for _ in range(5)])
        assert_close(jf(*args), f(*args), TOLERANCE["float64"])
    assert jf.stats["replays"] == 2, jf.reasons


def _column_rnn(Wxh, Whh, Why, bh, h, xs, targets):
    """Per-sample code (one column vector per step, the weight on the left): a small min-char-rnn."""
    loss = 0.0
    for x, k in zip(xs, targets):
        h = znp.tanh(Wxh @ x + Whh @ h + bh)
        y = Why @ h
        p = znp.exp(y) / znp.sum(znp.exp(y))
        loss = loss - znp.log(p[k, 0])
    return loss


def _column_problem(rng, dtype, steps=5, vocab=4, hidden=3):
    params = [rng.standard_normal(s).astype(dtype) for s in ((hidden, vocab), (hidden, hidden), (vocab, hidden))]
    xs = [np.eye(vocab, dtype=dtype)[:, [k]] for k in rng.integers(0, vocab, steps)]
    h = rng.standard_normal((hidden, 1)).astype(dtype)
    targets = [k % vocab for k in range(steps)]  # read by Python (an index): the same in every call
    return (*params, rng.standard_normal((hidden, 1)).astype(dtype), h, xs, targets)


@pytest.mark.parametrize("dtype", sorted(TOLERANCE))
def test_products_with_the_weight_on_the_left_batch_their_steps_as_columns(dtype):
    rng = np.random.default_rng(4)
    calls = [_column_problem(rng, dtype) for _ in range(4)]
    jv = run_both(_column_rnn, calls, TOLERANCE[dtype], argnums=(0, 1, 2, 3, 4))
    assert jv.stats["replays"] == 2, jv.reasons
    source = _program_source(jv)
    # Wxh, Whh and Why: one product each over all steps; the inputs' projections: one product
    assert source.count(",), axis=1) @ CONCAT((") == 3
    assert source.count(", CONCAT((") == 1 and "axis=1))" in source


def test_a_left_weight_used_transposed_gets_its_gradient_in_its_own_layout():
    rng = np.random.default_rng(5)

    def f(p, h, xs):
        for x in xs:
            h = znp.tanh(p.T @ h + x)
        return znp.sum(h**2)

    calls = [
        (rng.standard_normal((3, 3)), rng.standard_normal((3, 2)), list(rng.standard_normal((4, 3, 2))))
        for _ in range(4)
    ]
    jv = run_both(f, calls, TOLERANCE["float64"], argnums=(0, 1, 2))
    assert jv.stats["replays"] == 2, jv.reasons
    assert _program_source(jv).count(",), axis=1) @ CONCAT((") == 1


def test_left_products_whose_steps_get_no_cotangent_are_left_out():
    rng = np.random.default_rng(6)

    def f(w, xs):
        ys = [znp.tanh(w @ x) for x in xs]  # the second step's product does not reach the loss
        return znp.sum(ys[0]) + znp.sum(ys[2] ** 2)

    calls = [(rng.standard_normal((4, 3)), [rng.standard_normal((3, b)) for b in (2, 5, 1)]) for _ in range(4)]
    jv = run_both(f, calls, TOLERANCE["float64"], argnums=(0, 1))
    assert jv.stats["replays"] == 2, jv.reasons
    assert np.all(jv(*calls[0])[1][1][1] == 0.0)
