"""Concurrency and re-entrancy: tracing state is per thread, and an exception leaves none behind."""

from __future__ import annotations

import sys
import threading

import numpy as onp
import pytest

import zymo
import zymo.numpy as np
from zymo.core import memory
from zymo.core.trace import current_level


def _buffer_loss(w, xs):
    """A recurrent loss with a preallocated buffer and in-place writes (exercises copy-on-write)."""
    Y = np.zeros((len(xs), 3))
    h = np.zeros(3)
    for t, x in enumerate(xs):
        h = np.tanh(x @ w + h)
        Y[t] = h
        Y[t] *= 2.0
    return np.sum(Y**2)


def _list_loss(w, xs):
    ys = []
    for x in xs:
        ys = ys + [np.sin(x * w[0])]
    return np.mean(np.stack(ys) ** 2)


def _second_order(w, xs):
    return np.sum(zymo.grad(lambda v: np.sum(np.tanh(v) ** 3))(w * xs[0][0]))


def _problem(seed):
    rng = onp.random.default_rng(seed)
    return rng.standard_normal((3, 3)), [rng.standard_normal(3) for _ in range(5)]


def _no_state_left() -> None:
    assert current_level() == 0
    assert not memory._reg.saved and not memory._reg.pending


@pytest.fixture
def fast_switching():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def test_threads_computing_different_gradients_at_once_get_their_own_results(fast_switching):
    jobs = [
        (zymo.grad(_buffer_loss, argnums=(0, 1)), _problem(0)),
        (zymo.grad(_list_loss, argnums=(0, 1)), _problem(1)),
        (zymo.grad(_second_order), _problem(2)),
    ]
    want = [f(*args) for f, args in jobs]
    barrier = threading.Barrier(len(jobs))
    got: list = [[] for _ in jobs]
    errors: list = []

    def work(k):
        f, args = jobs[k]
        try:
            barrier.wait()
            for _ in range(30):
                got[k].append(f(*args))
            _no_state_left()
        except BaseException as e:  # reported below, in the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for k, results in enumerate(got):
        assert len(results) == 30
        for r in results:
            for a, b in zip(zymo.tree_leaves(r), zymo.tree_leaves(want[k])):
                onp.testing.assert_array_equal(a, b)


def test_a_thread_starting_inside_another_threads_differentiation_sees_no_trace():
    seen = []

    def f(x):
        t = threading.Thread(target=lambda: seen.append((current_level(), zymo.grad(np.sin)(0.0))))
        t.start()
        t.join()
        return np.sum(x**2)

    onp.testing.assert_array_equal(zymo.grad(f)(onp.ones(2)), [2.0, 2.0])
    assert seen == [(0, 1.0)]


class _Boom(Exception):
    pass


def _raises_after_writes(x):
    buf = np.zeros((2, 2))
    buf[0] = np.tanh(x)
    y = buf * 2.0
    buf[1] += y[0]
    raise _Boom


@pytest.mark.parametrize(
    "call",
    [
        lambda: zymo.grad(_raises_after_writes)(onp.ones(2)),
        lambda: zymo.vjp(_raises_after_writes, onp.ones(2)),
        lambda: zymo.jvp(_raises_after_writes, (onp.ones(2),), (onp.ones(2),)),
        lambda: zymo.grad(lambda x: zymo.grad(lambda y: np.sum(_raises_after_writes(y)))(x).sum())(onp.ones(2)),
        lambda: zymo.jvp(
            lambda x: zymo.grad(lambda y: np.sum(_raises_after_writes(y)))(x), (onp.ones(2),), (onp.ones(2),)
        ),
    ],
    ids=["grad", "vjp", "jvp", "grad-of-grad", "jvp-of-grad"],
)
def test_exception_inside_the_differentiated_function_leaves_no_state(call):
    before = zymo.grad(_buffer_loss)(*_problem(0))
    with pytest.raises(_Boom):
        call()
    _no_state_left()
    onp.testing.assert_array_equal(zymo.grad(_buffer_loss)(*_problem(0)), before)


def test_exception_in_a_derivative_rule_during_the_backward_pass_leaves_no_state():
    @zymo.primitive
    def fragile(x):
        return x * 1.0

    def broken_rule(g, ans, x):
        raise _Boom

    zymo.defvjp(fragile, broken_rule)
    with pytest.raises(_Boom):
        zymo.grad(lambda x: np.sum(fragile(np.tanh(x))))(onp.ones(2))
    _no_state_left()


def test_inner_exception_caught_by_the_user_leaves_the_outer_gradient_correct():
    def outer(x):
        y = np.zeros(2)
        y += np.sin(x)
        try:
            zymo.grad(lambda v: _raises_after_writes(v * y))(x)
        except _Boom:
            pass
        assert current_level() == 1
        y *= x
        return np.sum(y)

    x = onp.array([0.3, -0.7])
    onp.testing.assert_allclose(zymo.grad(outer)(x), onp.sin(x) + x * onp.cos(x), rtol=1e-12)
    _no_state_left()


def test_a_traced_value_kept_from_a_failed_differentiation_is_refused_later():
    kept = []

    def f(x):
        kept.append(np.tanh(x))
        raise _Boom

    with pytest.raises(_Boom):
        zymo.grad(f)(onp.ones(2))
    with pytest.raises(zymo.EscapedTracerError):
        zymo.grad(lambda x: np.sum(x * kept[0]))(onp.ones(2))
    _no_state_left()


def test_a_zymo_error_inside_the_function_leaves_no_state():
    with pytest.raises(zymo.ZymoError):
        zymo.grad(lambda x: x)(onp.ones(3))  # not a scalar output
    _no_state_left()
    with pytest.raises(zymo.TracerConversionError):
        zymo.grad(lambda x: float(onp.asarray(x).sum()))(onp.ones(3))
    _no_state_left()


def _gc_seen_by_a_recording_that_outlives_another(first, second):
    """``gc.isenabled()`` inside ``second``'s recording (another thread), read after ``first`` started
    recording before it and finished while it still records."""
    import gc

    first_in, second_in, first_done, seen = threading.Event(), threading.Event(), threading.Event(), []

    def outliving(x):
        second_in.set()
        assert first_done.wait(30)
        seen.append(gc.isenabled())
        return np.sum(x * x)

    def short(x):
        first_in.set()
        assert second_in.wait(30)
        return np.sum(np.tanh(x))

    def run_second():
        assert first_in.wait(30)
        second(outliving)(onp.ones(3))

    t = threading.Thread(target=run_second)
    t.start()
    first(short)(onp.ones(3))
    first_done.set()
    t.join(30)
    return seen


@pytest.mark.parametrize("kind", ["value_and_grad", "jit"])
def test_collector_stays_paused_while_another_thread_still_records_and_resumes_after_the_last(kind):
    import gc

    from zymo.core import collector

    def wrap(f):
        vg = zymo.value_and_grad(f)
        return zymo.jit(vg) if kind == "jit" else vg

    assert gc.isenabled()
    assert _gc_seen_by_a_recording_that_outlives_another(wrap, wrap) == [False]
    assert gc.isenabled() and collector.pausing() == 0


def test_collector_disabled_by_the_user_stays_disabled_after_recordings():
    import gc

    gc.disable()
    try:
        zymo.grad(lambda x: np.sum(x * x))(onp.ones(2))
        zymo.jit(zymo.grad(lambda x: np.sum(x * x)))(onp.ones(2))
        assert not gc.isenabled()
    finally:
        gc.enable()
