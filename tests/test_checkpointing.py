"""checkpoint and checkpoint_scan: same gradients as without, only inputs kept, clear errors."""

import numpy as onp
import pytest

import zymo
import zymo.numpy as znp
from zymo.acceptance import VARIATIONS, elman, make_problem
from zymo.core.differentiation import finish, record
from zymo.testing import check_grads, max_relative_error

X = onp.array([0.3, -1.2, 0.8])


def _rnn_problem():
    v = next(v for v in VARIATIONS if v.dtype == "float64" and v.name == "float64")
    return make_problem(v)


def _step(carry, x):
    p, h = carry
    return (p, elman(p, x, h)[1]), h


def unrolled_loss(p, xs, h):
    for x in xs:
        h = elman(p, x, h)[1]
    return znp.mean(h**2)


def scanned_loss(p, xs, h, segments=None):
    (_, h), _ = zymo.checkpoint_scan(_step, (p, h), xs, segments=segments)
    return znp.mean(h**2)


def test_checkpoint_without_tracers_is_the_plain_function():
    f = zymo.checkpoint(lambda a: znp.sin(a) * 2)
    assert onp.array_equal(f(X), onp.sin(X) * 2)


def test_checkpoint_gradients_equal_uncheckpointed_ones():
    def body(a, b):
        return znp.tanh(a * b) + a**2

    ck = zymo.checkpoint(body)
    g1 = zymo.grad(lambda a, b: znp.sum(body(a, b) ** 2), (0, 1))(X, 2.0)
    g2 = zymo.grad(lambda a, b: znp.sum(ck(a, b) ** 2), (0, 1))(X, 2.0)
    assert max_relative_error(g2, g1) < 1e-14


def test_checkpoint_stores_only_its_inputs_in_the_forward_pass():
    def body(a):
        for _ in range(20):
            a = znp.sin(a)
        return a

    def tape_length(f):
        rec, _ = record(lambda a: znp.sum(f(a)), (X,), (0,), False)
        finish()
        return len(rec.trace.tape)

    assert tape_length(body) == 22  # input, 20 sines, sum
    assert tape_length(zymo.checkpoint(body)) == 3  # input, one checkpoint record, sum


def test_nested_checkpoints_match_finite_differences_to_second_order():
    inner = zymo.checkpoint(lambda a: znp.sin(a) * a)
    outer = zymo.checkpoint(lambda a: inner(a) ** 2 + inner(a * 2))
    check_grads(outer, (X,), order=2)


def test_checkpoint_with_pytree_input_and_output():
    @zymo.checkpoint
    def body(d):
        return {"s": znp.sum(d["a"] * d["b"]), "p": [d["a"] * 2]}

    d = {"a": X, "b": X[::-1].copy()}
    check_grads(body, (d,), order=1)


def test_checkpoint_inside_forward_mode_runs_the_function():
    ck = zymo.checkpoint(lambda a: a**3)
    _, t = zymo.jvp(ck, (X,), (onp.ones(3),))
    assert onp.allclose(t, 3 * X**2)


def test_checkpoint_of_closure_over_traced_value_raises_zymo_error():
    with pytest.raises(zymo.ZymoError, match="not one of its arguments"):
        zymo.grad(lambda w: zymo.checkpoint(lambda a: a * w)(w * 2))(1.0)


def test_checkpoint_writing_into_its_input_raises_mutation_error():
    def body(a):
        a += 1
        return a.sum()

    with pytest.raises(zymo.MutationError, match="writes into one of its inputs"):
        zymo.grad(lambda w: zymo.checkpoint(body)(w * 1))(X)


@pytest.mark.parametrize("segments", [None, 1, 2, 6, 100])
def test_checkpoint_scan_gradients_equal_the_unrolled_loop(segments):
    p, xs, h = _rnn_problem()
    g1 = zymo.grad(unrolled_loss, (0, 1, 2))(p, xs, h)
    g2 = zymo.grad(lambda p, xs, h: scanned_loss(p, xs, h, segments), (0, 1, 2))(p, xs, h)
    assert max_relative_error(g2, g1) < 1e-12


def test_checkpoint_scan_value_and_outputs_equal_the_unrolled_loop():
    p, xs, h = _rnn_problem()
    (_, h_end), ys = zymo.checkpoint_scan(_step, (p, h), xs)
    state = h
    for t, x in enumerate(xs):
        assert onp.array_equal(ys[t], state)
        state = elman(p, x, state)[1]
    assert onp.array_equal(h_end, state)


def test_checkpoint_scan_second_order_equals_the_unrolled_loop():
    p, xs, h = _rnn_problem()
    tp = {k: onp.ones_like(v) for k, v in p.items()}
    zx = [onp.zeros_like(x) for x in xs]
    hv1 = zymo.hvp(unrolled_loss, (p, xs, h), (tp, zx, onp.zeros_like(h)))
    hv2 = zymo.hvp(scanned_loss, (p, xs, h), (tp, zx, onp.zeros_like(h)))
    assert max_relative_error(hv2, hv1) < 1e-12
    gg1 = zymo.grad(lambda p: znp.sum(zymo.grad(unrolled_loss, 2)(p, xs, h)))(p)
    gg2 = zymo.grad(lambda p: znp.sum(zymo.grad(scanned_loss, 2)(p, xs, h)))(p)
    assert max_relative_error(gg2, gg1) < 1e-12


def test_checkpoint_scan_of_no_steps_returns_the_carry():
    assert zymo.checkpoint_scan(_step, 1.0, []) == (1.0, [])


def test_checkpoint_scan_rejects_zero_segments():
    with pytest.raises(zymo.ZymoError, match="segments"):
        zymo.checkpoint_scan(_step, 1.0, [1.0], segments=0)


def test_checkpoint_scan_tape_does_not_keep_discarded_step_outputs():
    import gc
    import weakref

    from zymo.core.tracer import bottom

    p, xs, h = _rnn_problem()
    refs = []

    def step(carry, x):
        carry, y = _step(carry, x)
        return carry, y * 2.0  # a fresh array, unlike the carries kept as segment inputs

    def loss(p, xs, h):
        (_, h_end), ys = zymo.checkpoint_scan(step, (p, h), xs, segments=3)
        refs.extend(weakref.ref(bottom(y)) for y in ys)
        return znp.mean(h_end**2)

    rec, _ = record(loss, (p, xs, h), (0,), False)
    gc.collect()
    alive = [r for r in refs if r() is not None]
    finish()
    assert refs and not alive
    del rec


def test_checkpoint_keyword_arguments_are_static():
    @zymo.checkpoint
    def power(a, *, n):
        return a**n

    g = zymo.grad(lambda a: znp.sum(power(a, n=3)))(X)
    assert onp.allclose(g, 3 * X**2)
