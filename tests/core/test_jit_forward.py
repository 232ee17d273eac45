"""zymo.jit of a plain function: replayed forward passes give exactly what the function gives."""

from __future__ import annotations

import numpy as np
import pytest

import zymo
import zymo.numpy as znp
from zymo.acceptance import CELLS, STYLES, Variation, make_problem
from zymo.core import jit_codegen

from .test_jit import assert_same


def run_both(f, calls):
    """Call ``jit(f)`` and ``f`` on each argument tuple; compare bit for bit."""
    jf = zymo.jit(f)
    for args in calls:
        assert_same(jf(*args), f(*args))
    return jf


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("style", sorted(STYLES))
def test_acceptance_losses_replay_with_the_functions_results(style, cell):
    loss, cell_fn = STYLES[style], CELLS[cell][0]
    calls = [make_problem(Variation("v", cell=cell), seed=s) for s in range(4)]
    jf = run_both(lambda p, xs, h: loss(cell_fn, p, xs, h), calls)
    assert jf.stats["replays"] == 2, jf.reasons


def test_first_two_calls_trace_and_later_calls_replay():
    x = np.linspace(-1.0, 1.0, 6)
    jf = run_both(lambda x: np.tanh(x) * 3.0, [(x + k,) for k in range(5)])
    assert jf.stats == {"traces": 2, "replays": 3, "mismatches": 0, "eager": 0}


def test_any_pytree_of_results_replays_with_its_structure_and_types():
    def f(w, x, scale):
        h = np.tanh(x @ w)
        return {"h": h, "sum": h.sum(), "pair": (h * scale, x), "label": "fixed", "n": 3}

    rng = np.random.default_rng(0)
    calls = [(rng.standard_normal((3, 2)), rng.standard_normal((4, 3)), 0.5 + k) for k in range(4)]
    jf = run_both(f, calls)
    assert jf.stats["replays"] == 2, jf.reasons


def test_python_float_argument_is_an_input_of_the_replay_not_a_constant():
    jf = run_both(lambda x, s: x * s, [(np.ones(3), s) for s in (1.0, 2.0, 3.0, 4.0)])
    assert jf.stats["replays"] == 2


def test_returned_argument_is_the_callers_array_as_when_called():
    x = np.arange(3.0)
    jf = zymo.jit(lambda x, y: (x, x + y))
    for _ in range(3):
        out = jf(x, np.ones(3))
    assert jf.stats["replays"] == 1 and out[0] is x


def test_branch_on_a_computed_value_follows_the_new_input():
    def f(x):
        if x.sum() > 0:
            return np.exp(x)
        return np.sin(x)

    calls = [(np.full(3, v),) for v in (1.0, 2.0, 3.0, -1.0, -2.0, -3.0, 4.0)]
    jf = run_both(f, calls)
    assert jf.stats["mismatches"] >= 1 and jf.stats["replays"] >= 2


@pytest.mark.parametrize(
    "second", [np.ones((2, 3)), np.ones(4, dtype=np.float32), np.ones(4, dtype=np.complex128)], ids=str
)
def test_new_shape_or_dtype_traces_anew(second):
    jf = run_both(lambda x: np.cos(x) * x, [(np.ones(4),), (np.ones(4),), (np.ones(4),), (second,), (second,)])
    assert jf.stats["traces"] == 4 and jf.stats["replays"] == 1


def test_integer_array_arguments_are_part_of_the_signature():
    x = np.linspace(0.0, 1.0, 5)
    calls = [(x, np.array([0, 2])), (x, np.array([0, 2])), (x, np.array([0, 2])), (x, np.array([1, 3]))]
    jf = run_both(lambda x, idx: np.exp(x[idx]), calls)
    assert jf.stats["replays"] == 1 and jf.stats["traces"] == 3


def test_in_place_writes_into_an_argument_replay_as_numpy_does():
    def f(buf, x):
        buf[1:] = np.tanh(x)
        buf *= 2.0
        return buf.sum()

    for _ in range(2):
        jf = zymo.jit(f)
        for k in range(4):
            mine, theirs = np.zeros(4), np.zeros(4)
            x = np.arange(3.0) + k
            assert_same(jf(mine, x), f(theirs, x))
            np.testing.assert_array_equal(mine, theirs)
    assert jf.stats["replays"] == 2, jf.reasons


def test_buffer_made_inside_is_fresh_on_every_replay():
    def f(x):
        out = znp.zeros((3, 2))
        for t in range(3):
            out[t] = x * t
        return out

    jf = zymo.jit(f)
    results = [jf(np.array([1.0, 2.0]) + k) for k in range(4)]
    assert jf.stats["replays"] == 2
    assert results[2] is not results[3]
    np.testing.assert_array_equal(results[2], f(np.array([3.0, 4.0])))


def test_traced_value_written_into_a_plain_numpy_buffer_runs_as_the_plain_function():
    def f(x):
        out = np.zeros((3, 2))
        for t in range(3):
            out[t] = x * t
        return out

    jf = run_both(f, [(np.array([1.0, 2.0]) + k,) for k in range(3)])
    assert jf.stats["replays"] == 0 and jf.stats["eager"] >= 2


def test_closure_array_changed_in_place_between_calls_is_noticed():
    w = np.array([1.0, 2.0, 3.0])
    jf = zymo.jit(lambda x: x @ w)
    for _ in range(3):
        jf(np.ones(3))
    w[0] = 10.0
    assert jf(np.ones(3)) == 15.0


def test_operation_without_a_derivative_rule_runs_as_the_plain_function():
    twice = zymo.primitive(lambda x: 2 * x, name="twice_without_rules")
    jf = zymo.jit(lambda x: twice(x) + 1.0)
    for _ in range(3):
        np.testing.assert_array_equal(jf(np.ones(2)), np.full(2, 3.0))
    assert jf.stats["eager"] >= 2 and jf.reasons == {"an operation of the function cannot be traced"}


def test_the_functions_own_error_surfaces():
    def f(x):
        return x @ np.ones((5, 2))

    jf = zymo.jit(f)
    with pytest.raises(ValueError):
        jf(np.ones(3))


def test_forward_programs_release_each_value_after_its_last_use():
    def f(x):
        a = np.exp(x)
        b = np.sin(a)
        return np.cos(b) + x

    jf = zymo.jit(f)
    for _ in range(3):
        jf(np.ones(3))
    entry = next(iter(jf._cache.values()))
    source = entry.ready.run.source
    assert "backward" not in source and source.count(" = None") >= 2, source


def test_interpreted_replay_of_large_forward_programs_matches(monkeypatch):
    monkeypatch.setattr(jit_codegen, "MAX_OPS", 0)
    monkeypatch.setattr(zymo.core.jit, "MAX_OPS", 0)
    calls = [make_problem(Variation("v", cell="lstm"), seed=s) for s in range(4)]
    jf = run_both(lambda p, xs, h: STYLES["1 thread state"](CELLS["lstm"][0], p, xs, h), calls)
    assert jf.stats["replays"] == 2, jf.reasons


def test_jit_of_a_jitted_function_is_refused():
    with pytest.raises(zymo.ZymoError, match="compiled already"):
        zymo.jit(zymo.jit(np.sin))
