"""zymo.jit: replayed calls give exactly what the traced function gives, or the call is traced anew."""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest

import zymo
import zymo.numpy as znp
from zymo.acceptance import CELLS, STYLES, Variation, make_problem


def assert_same(got, want):
    """Bit-for-bit equal results, of the same structure and types."""
    g, w = zymo.tree_flatten(got), zymo.tree_flatten(want)
    assert g[1] == w[1]
    for a, b in zip(g[0], w[0]):
        assert type(a) is type(b)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b or (a != a and b != b)


def _inputs(seed, shape=(3,)):
    return np.random.default_rng(seed).standard_normal(shape)


def run_both(f, calls, **kw):
    """Call ``jit(value_and_grad(f))`` and ``value_and_grad(f)`` on each argument tuple; compare."""
    vg = zymo.value_and_grad(f, **kw)
    jv = zymo.jit(vg)
    for args in calls:
        assert_same(jv(*args), vg(*args))
    return jv


# --- replay itself ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("style", ["1 thread state", "2 comprehension", "3 splat [*y, y_t]", "4 y + [y_t], stack"])
def test_acceptance_styles_replay_with_results_equal_to_tracing(style, cell):
    loss = STYLES[style]
    cell_fn = CELLS[cell][0]
    calls = [make_problem(Variation("v", cell=cell), seed=s) for s in range(5)]
    jv = run_both(lambda p, xs, h: loss(cell_fn, p, xs, h), calls, argnums=(0, 1, 2))
    assert jv.stats["replays"] == 3, jv.reasons


@pytest.mark.parametrize("style", sorted(STYLES))
def test_every_acceptance_style_replays_with_tracing_results(style):
    loss = STYLES[style]
    calls = [make_problem(Variation("v"), seed=s) for s in range(4)]
    jv = run_both(lambda p, xs, h: loss(CELLS["elman"][0], p, xs, h), calls, argnums=(0, 1, 2))
    assert jv.stats["replays"] == 2, jv.reasons


def test_first_two_calls_trace_and_later_calls_replay():
    jv = run_both(lambda x: znp.sum(znp.sin(x) * x), [(_inputs(s),) for s in range(4)])
    assert jv.stats == {"traces": 2, "replays": 2, "mismatches": 0, "eager": 0}


def test_grad_and_has_aux_replay():
    def f(w, x):
        y = znp.tanh(x @ w)
        return znp.sum(y**2), {"y": y, "n": 3}

    g = zymo.jit(zymo.grad(f, argnums=0, has_aux=True))
    ref = zymo.grad(f, argnums=0, has_aux=True)
    for s in range(4):
        args = (_inputs(s, (3, 2)), _inputs(10 + s, (4, 3)))
        assert_same(g(*args), ref(*args))
    assert g.stats["replays"] == 2


def test_python_float_argument_is_differentiated_on_replay():
    run_both(lambda a, x: a * znp.sum(x**2), [(float(s), _inputs(s)) for s in range(4)], argnums=(0, 1))


def test_module_arguments_replay():
    rng = np.random.default_rng(0)
    model = zymo.nn.Chain(zymo.nn.Dense(3, 4, zymo.nn.tanh, rng=rng), zymo.nn.Dense(4, 1, rng=rng))

    def loss(m, x, y):
        return znp.mean((m(x) - y) ** 2)

    calls = [
        (model, _inputs(s, (5, 3)).astype(np.float32), _inputs(9 + s, (5, 1)).astype(np.float32)) for s in range(4)
    ]
    jv = run_both(loss, calls)
    assert jv.stats["replays"] == 2


# --- guards: Python that reads traced data ----------------------------------------------------------------
def test_python_branch_on_a_traced_value_follows_the_new_input():
    def f(x):
        if znp.sum(x) > 0:
            return znp.sum(x**2)
        return znp.sum(znp.exp(x))

    xs = [np.ones(3), np.ones(3) * 2, np.ones(3) * 3, -np.ones(3), np.ones(3), -np.ones(3) * 2]
    jv = run_both(f, [(x,) for x in xs])
    assert jv.stats["mismatches"] >= 1 and jv.stats["replays"] >= 1


def test_mask_from_a_comparison_is_recomputed_not_reused():
    xs = [_inputs(s, (6,)) for s in range(6)]
    run_both(lambda x: znp.sum(znp.where(x > 0, x, 0.1 * x) ** 2), [(x,) for x in xs])


def test_mask_changed_by_plain_numpy_is_not_replayed_stale():
    def f(x):
        keep = ~np.asarray(x < 0)  # plain NumPy on the comparison's result
        return znp.sum(x * keep)

    run_both(f, [(_inputs(s, (6,)),) for s in range(6)])


def test_sorting_order_is_rechecked():
    w = np.arange(5.0)
    run_both(lambda x: znp.sum(znp.sort(x) * w), [(_inputs(s, (5,)),) for s in range(6)])


def test_sorting_replays_while_the_order_stays_and_retraces_when_it_changes():
    w = np.arange(3.0)
    xs = [np.array([1.0, 3.0, 2.0]) + 0.01 * s for s in range(4)] + [np.array([3.0, 1.0, 2.0])]
    jv = run_both(lambda x: znp.sum(znp.sort(x) * w), [(x,) for x in xs])
    assert jv.stats["replays"] == 2 and jv.stats["mismatches"] == 1

    jp = run_both(lambda x: znp.sum(znp.partition(x, 1) * w), [(x,) for x in xs])
    assert jp.stats["replays"] == 2 and jp.stats["mismatches"] == 1


def test_traced_integer_index_is_rechecked():
    def f(x, k):
        return znp.sum(x[np.argmax(x)] * x[k])

    run_both(f, [(_inputs(s, (5,)), s % 5) for s in range(6)])


def test_integer_array_arguments_are_part_of_the_signature():
    idx = [np.array([0, 2]), np.array([1, 1]), np.array([0, 2]), np.array([3, 0])]
    run_both(lambda x, i: znp.sum(x[i] ** 2), [(_inputs(s, (4,)), i) for s, i in enumerate(idx)])


def test_non_differentiated_array_argument_is_an_input_of_the_replay():
    calls = [(_inputs(s, (3,)), _inputs(20 + s, (2, 3))) for s in range(5)]
    jv = run_both(lambda w, data: znp.sum(np.tanh(data @ w)), calls, argnums=0)
    assert jv.stats["replays"] == 3


def test_static_python_values_are_part_of_the_signature():
    def f(x, power, name):
        return znp.sum(x**power) if name == "pow" else znp.sum(x)

    calls = [(_inputs(0), 2, "pow"), (_inputs(1), 3, "pow"), (_inputs(2), 2, "sum"), (_inputs(3), 2, "pow")]
    run_both(f, calls, argnums=0)


def test_new_shapes_trace_anew():
    jv = run_both(lambda x: znp.sum(x**3), [(_inputs(s, (s + 1,)),) for s in range(4)])
    assert jv.stats["replays"] == 0


# --- constants from outside the arguments ------------------------------------------------------------------
def test_closure_array_changed_in_place_between_calls_is_noticed():
    scale = np.ones(3)

    def f(x):
        return znp.sum(x * scale)

    vg = zymo.value_and_grad(f)
    jv = zymo.jit(vg)
    for s in range(6):
        scale[:] = s // 3 + 1.0
        assert_same(jv(_inputs(s)), vg(_inputs(s)))
    assert jv.stats["replays"] >= 1


@pytest.mark.parametrize("make_buffer", [znp.array, znp.copy])
def test_closure_array_copied_into_a_buffer_and_changed_in_place_is_noticed(make_buffer):
    table = np.ones(3)

    def f(x):
        buf = make_buffer(table)
        buf[0] = 0.0
        return znp.sum(x * buf)

    vg = zymo.value_and_grad(f)
    jv = zymo.jit(vg)
    for s in range(6):
        table[1] = s // 3 + 1.0
        assert_same(jv(_inputs(s)), vg(_inputs(s)))
    assert jv.stats["replays"] >= 1


def test_jit_inside_a_differentiation_runs_as_traced():
    inner = zymo.jit(zymo.grad(lambda w: znp.sum(znp.sin(w) ** 2)))
    hess_diag = zymo.grad(lambda w: znp.sum(inner(w)))
    w = np.array([0.3, 0.7])
    np.testing.assert_allclose(hess_diag(w), 2 * np.cos(2 * w), rtol=1e-12)


def test_keyword_arguments_are_static_parts_of_the_signature():
    vg = zymo.value_and_grad(lambda x, scale=1.0: znp.sum(x**2 * scale))
    jv = zymo.jit(vg)
    for s in range(6):
        assert_same(jv(_inputs(s), scale=float(s % 2)), vg(_inputs(s), scale=float(s % 2)))
    assert jv.stats["replays"] == 2


def test_random_numbers_drawn_inside_run_without_replay_and_warn():
    rng = np.random.default_rng(0)

    def f(x):
        return znp.sum(x * rng.standard_normal(3))

    jv = zymo.jit(zymo.value_and_grad(f))
    with pytest.warns(zymo.ZymoWarning, match="different constants"):
        for s in range(3):
            jv(_inputs(s))
    r = np.random.default_rng(1)
    rng.bit_generator.state = r.bit_generator.state
    got = jv(np.ones(3))
    rng.bit_generator.state = np.random.default_rng(1).bit_generator.state
    assert_same(got, zymo.value_and_grad(f)(np.ones(3)))
    assert jv.stats == {"traces": 2, "replays": 0, "mismatches": 0, "eager": 2}


@pytest.mark.parametrize("draw", [lambda: np.random.rand(), lambda: __import__("random").random()])
def test_draws_from_the_global_random_generators_even_in_python_control_flow_stop_replay(draw):
    def f(x):
        return znp.sum(x**2) if draw() > 2.0 else znp.sum(x**3)  # always the second branch, drawn each call

    jv = run_both(f, [(_inputs(s),) for s in range(4)])
    assert jv.stats["replays"] == 0 and any("random" in r for r in jv.reasons)


# --- what runs without replay ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "f, reason",
    [
        (lambda x: znp.sum(zymo.stop_gradient(x) * x), "stop_gradient"),
        (lambda x: znp.sum(zymo.grad(lambda y: znp.sum(y**3))(x) * x), "nested"),
        (lambda x: znp.sum(zymo.checkpoint(znp.sin)(x)), "outside the primitive path"),
    ],
)
def test_functions_replay_cannot_repeat_run_as_traced(f, reason):
    jv = run_both(f, [(_inputs(s),) for s in range(4)])
    assert jv.stats["replays"] == 0
    assert any(reason in r for r in jv.reasons), jv.reasons


def test_in_place_writes_replay_and_change_the_callers_array_as_numpy_does():
    def f(x, buf):
        buf += x
        return znp.sum(buf**2)

    vg = zymo.value_and_grad(f, argnums=(0, 1))
    jv = zymo.jit(vg)
    for s in range(3):
        b1, b2 = np.ones(3), np.ones(3)
        assert_same(jv(_inputs(s), b1), vg(_inputs(s), b2))
        np.testing.assert_array_equal(b1, b2)
    assert jv.stats["replays"] == 1


def test_writing_a_traced_value_into_a_plain_argument_fails_as_when_traced():
    def f(x, buf):
        buf += x
        return znp.sum(buf**2)

    jv = zymo.jit(zymo.value_and_grad(f, argnums=0))
    buf = np.ones(3)
    with pytest.raises(zymo.TracerConversionError):
        jv(_inputs(0), buf)
    np.testing.assert_array_equal(buf, np.ones(3))


def test_error_in_a_replayed_operation_surfaces_as_when_traced():
    jv = zymo.jit(zymo.value_and_grad(lambda a: znp.linalg.inv(a).sum()))
    for s in range(3):
        jv(np.eye(2) * (s + 1))
    with pytest.raises(np.linalg.LinAlgError):
        jv(np.zeros((2, 2)))


def test_jit_of_something_that_is_not_a_function_is_refused():
    with pytest.raises(zymo.ZymoError, match="pass a function"):
        zymo.jit(np.ones(3))


def test_tracing_errors_propagate_and_leave_no_state_behind():
    def f(x):
        return x  # not a scalar

    jv = zymo.jit(zymo.value_and_grad(f))
    with pytest.raises(zymo.NonScalarOutputError):
        jv(np.ones(2))
    assert_same(zymo.grad(lambda x: znp.sum(x**2))(np.ones(2)), np.full(2, 2.0))


def test_unhashable_static_argument_runs_without_replay():
    opts = types.SimpleNamespace(k=2.0)
    jv = run_both(lambda x, opts: znp.sum(x * opts.k), [(_inputs(s), opts) for s in range(3)], argnums=0)
    assert jv.stats["eager"] == 3


def test_no_warning_for_functions_that_replay():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_both(lambda x: znp.sum(znp.cos(x)), [(_inputs(s),) for s in range(4)])


# --- the two ways of replaying, and what they hand back -----------------------------------------------------
@pytest.mark.parametrize("style", ["1 thread state", "4 y + [y_t], stack"])
def test_interpreted_replay_of_large_programs_matches_tracing(style, monkeypatch):
    import zymo.core.jit as jit_module

    monkeypatch.setattr(jit_module, "MAX_OPS", 0)
    loss = STYLES[style]
    calls = [make_problem(Variation("v", cell="lstm"), seed=s) for s in range(4)]
    jv = run_both(lambda p, xs, h: loss(CELLS["lstm"][0], p, xs, h), calls, argnums=(0, 1, 2))
    assert jv.stats["replays"] == 2


def test_replayed_gradients_are_writeable_and_never_shared():
    jv = zymo.jit(zymo.grad(lambda x, y: znp.sum(x + y), argnums=(0, 1)))
    for s in range(3):
        gx, gy = jv(_inputs(s), _inputs(s + 5))
    assert gx is not gy and gx.flags.writeable and gy.flags.writeable
    gx += 1
    np.testing.assert_array_equal(gy, np.ones(3))


def test_replayed_gradient_is_not_the_returned_value():
    jv = zymo.jit(zymo.value_and_grad(lambda x: znp.sum(x), argnums=0))
    for s in range(3):
        value, g = jv(np.float64(s))
    assert value == 2.0 and g == 1.0


# --- the inline rules of the generated code, against the primitives' own rules -----------------------------
_BROADCAST_PAIRS = [
    ((2, 3), (2, 3)),
    ((2, 3), (3,)),
    ((2, 3), (1, 3)),
    ((2, 3), (2, 1)),
    ((4, 1, 3), (2, 1)),
    ((3,), ()),
]


@pytest.mark.parametrize("shapes", _BROADCAST_PAIRS)
@pytest.mark.parametrize(
    "op",
    [np.add, np.subtract, np.multiply, np.divide, np.arctan2, np.power, np.maximum, np.hypot],
    ids=lambda f: f.__name__,
)
def test_inline_binary_rules_give_the_primitives_gradients_under_broadcasting(op, shapes):
    sx, sy = shapes
    rng = np.random.default_rng(0)
    w = rng.standard_normal(np.broadcast_shapes(sx, sy))

    def f(x, y):
        return znp.sum(op(x, y) * w)

    calls = [(1.5 + rng.random(sx), 1.5 + rng.random(sy)) for _ in range(4)]
    jv = run_both(f, calls, argnums=(0, 1))
    assert jv.stats["replays"] == 2


@pytest.mark.parametrize("name", ["tanh", "exp", "sin", "log1p", "sqrt", "negative", "square", "arctan"])
def test_inline_unary_rules_give_the_primitives_gradients(name):
    fn = getattr(np, name)
    run_both(lambda x: znp.sum(fn(x) * x), [(0.5 + np.random.default_rng(s).random((2, 3)),) for s in range(4)])


@pytest.mark.parametrize("sa, sb", [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((5, 2, 3), (3, 2))])
def test_matmul_replays_with_the_primitives_gradients(sa, sb):
    rng = np.random.default_rng(0)
    run_both(lambda a, b: znp.sum(np.tanh(a @ b)), [(rng.random(sa), rng.random(sb)) for _ in range(4)], argnums=(0, 1))


def test_programs_below_the_size_limit_are_compiled_to_python():
    import zymo.core.jit as jit_module

    jv = zymo.jit(zymo.value_and_grad(lambda x: znp.sum(znp.tanh(znp.tanh(x) * 2.0))))
    for s in range(3):
        jv(_inputs(s))
    prog = next(iter(jv._cache.values())).ready
    assert prog.run is not None and prog.run is not False
    assert jit_module.MAX_OPS > len(prog.ops)


def test_only_the_most_recently_used_signatures_are_kept():
    vg = zymo.value_and_grad(lambda x: znp.sum(x**2))
    jv = zymo.jit(vg, max_signatures=2)
    for n in (1, 2, 3, 1):
        assert_same(jv(np.ones(n)), vg(np.ones(n)))
    assert len(jv._cache) == 2 and jv.stats["traces"] == 4


def test_threads_calling_one_jitted_function_get_their_own_results():
    import threading

    vg = zymo.value_and_grad(lambda w, x: znp.sum(znp.tanh(x @ w) ** 2))
    jv = zymo.jit(vg)
    errors = []

    def worker(seed):
        try:
            for k in range(20):
                args = (_inputs(seed * 100 + k, (3, 2)), _inputs(seed * 100 + k + 50, (4, 3)))
                assert_same(jv(*args), vg(*args))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert jv.stats["replays"] > 0


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU", "GRUv3"])
def test_recurrent_layers_replay_with_tracing_results(name):
    rng = np.random.default_rng(0)
    layer = getattr(zymo.nn, name)(3, 4, rng=rng)
    model = zymo.nn.Chain(zymo.nn.Bidirectional(layer), zymo.nn.Dense(8, 1, rng=rng))

    def loss(m, x):
        return znp.mean(m(x) ** 2)

    calls = [(model, np.random.default_rng(s).standard_normal((2, 5, 3)).astype(np.float32)) for s in range(4)]
    jv = run_both(loss, calls, argnums=(0, 1))
    assert jv.stats["replays"] == 2, jv.reasons


def test_recurrent_layer_with_lengths_replays_per_lengths_value():
    layer = zymo.nn.LSTM(3, 4, rng=np.random.default_rng(0))

    def loss(m, x, lengths):
        return znp.mean(m(x, lengths=lengths) ** 2)

    x = [np.random.default_rng(s).standard_normal((2, 5, 3)).astype(np.float32) for s in range(6)]
    lengths = [
        np.array([5, 3]),
        np.array([5, 3]),
        np.array([2, 4]),
        np.array([5, 3]),
        np.array([2, 4]),
        np.array([2, 4]),
    ]
    jv = run_both(loss, list(zip([layer] * 6, x, lengths)), argnums=(0, 1))
    assert jv.stats["replays"] == 2


def test_a_signature_that_changes_on_every_call_stops_recording():
    vg = zymo.value_and_grad(lambda x, i: znp.sum(x[i] ** 2))
    jv = zymo.jit(vg, max_signatures=2)
    for s in range(12):
        i = np.array([s])
        assert_same(jv(np.arange(20.0), i), vg(np.arange(20.0), i))
    assert jv.stats["traces"] == 8 and jv.stats["eager"] == 4
    assert any("changed on almost every call" in r for r in jv.reasons)


def test_inputs_the_output_does_not_depend_on_replay_with_zero_gradients():
    jv = run_both(lambda a, b: znp.sum(b**2), [(_inputs(s), _inputs(s + 9)) for s in range(4)], argnums=(0, 1))
    assert jv.stats["replays"] == 2


def test_complex_intermediates_replay_through_the_general_rules():
    def f(x):
        z = znp.fft.fft(x) * (1 + 2j)
        return znp.sum(znp.abs(z) ** 2)

    jv = run_both(f, [(_inputs(s, (8,)),) for s in range(4)])
    assert jv.stats["replays"] == 2


def test_linear_algebra_and_sorting_replay_with_tracing_results():
    def f(a, b):
        x = znp.linalg.solve(a @ a.T + 3 * np.eye(3), b)
        return znp.sum(znp.sort(x) * np.arange(3.0)) + znp.linalg.slogdet(a @ a.T + np.eye(3))[1]

    a, b = _inputs(0, (3, 3)), _inputs(7, (3,))
    calls = [(a + 1e-3 * s, b + 1e-3 * s) for s in range(5)]  # small steps: the same sort order and sign
    jv = run_both(f, calls, argnums=(0, 1))
    assert jv.stats["replays"] == 3
