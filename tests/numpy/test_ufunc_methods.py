"""Ufunc methods on traced values: at, reduce, accumulate, reduceat, outer — NumPy's values, derivatives."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy._core import _multiarray_umath

import zymo
import zymo.numpy as znp
from tests.numpy.conftest import FAST, array_tuples, arrays, shapes
from zymo._rules.ufunc_methods import numpy_folds
from zymo.testing import check_grads

# Binary ufuncs with rules, and inputs inside their domains (positive bases, positive divisors, ...).
BINARY = [np.add, np.subtract, np.multiply, np.divide, np.hypot, np.logaddexp, np.logaddexp2, np.maximum]
BINARY += [np.minimum, np.fmax, np.fmin, np.float_power]
ALL_BINARY = BINARY + [np.power, np.arctan2]


def _same_as_numpy(f, *args):
    got = zymo.vjp(f, *args)[0]
    want = f(*args)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    np.testing.assert_array_equal(got, want)


def _array_and_axis(min_dims=1):
    def with_axis(shape):
        return st.tuples(arrays(shape, 0.5, 1.5), st.integers(-len(shape), len(shape) - 1))

    return shapes(min_dims=min_dims).flatmap(with_axis)


@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
def test_reduce_values_equal_numpys_and_derivatives_match_finite_differences(ufunc):
    @FAST
    @given(_array_and_axis())
    def run(case):
        x, axis = case
        f = lambda x: ufunc.reduce(x, axis=axis)
        _same_as_numpy(f, x)
        check_grads(f, (x,), order=2)

    run()


@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
def test_accumulate_values_equal_numpys_and_derivatives_match_finite_differences(ufunc):
    @FAST
    @given(_array_and_axis())
    def run(case):
        x, axis = case
        f = lambda x: ufunc.accumulate(x, axis=axis)
        _same_as_numpy(f, x)
        check_grads(f, (x,), order=2)

    run()


def _array_axis_and_indices():
    def with_indices(case):
        x, axis = case
        n = x.shape[axis]
        return st.tuples(st.just(x), st.just(axis), st.lists(st.integers(0, n - 1), min_size=1, max_size=4))

    return _array_and_axis().flatmap(with_indices)


@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
def test_reduceat_values_equal_numpys_and_derivatives_match_finite_differences(ufunc):
    @FAST
    @given(_array_axis_and_indices())
    def run(case):
        x, axis, indices = case
        f = lambda x: ufunc.reduceat(x, indices, axis=axis)
        _same_as_numpy(f, x)
        check_grads(f, (x,), order=2)

    run()


@pytest.mark.parametrize("ufunc", ALL_BINARY, ids=lambda u: u.__name__)
def test_outer_values_equal_numpys_and_derivatives_match_finite_differences(ufunc):
    @FAST
    @given(shapes(max_dims=2).flatmap(lambda s: array_tuples((s, (2,) + s[:1]), ((0.5, 1.5), (0.5, 1.5)))))
    def run(case):
        a, b = case
        f = lambda a, b: ufunc.outer(a, b)
        _same_as_numpy(f, a, b)
        check_grads(f, (a, b), order=2)

    run()


def _at(ufunc, index):
    def f(a, b):
        buf = a * 1.0  # a traced buffer the write goes into
        ufunc.at(buf, index, b)
        return buf

    return f


@pytest.mark.parametrize("ufunc", ALL_BINARY, ids=lambda u: u.__name__)
def test_at_with_repeated_indices_equals_numpys_and_derivatives_match_finite_differences(ufunc):
    @FAST
    @given(st.lists(st.integers(0, 3), min_size=1, max_size=6), st.integers(0, 2**32 - 1))
    def run(index, seed):
        rng = np.random.default_rng(seed)
        a, b = rng.uniform(0.5, 1.5, 4), rng.uniform(0.5, 1.5, len(index))
        f = _at(ufunc, index)
        want = a.copy()
        ufunc.at(want, index, b)
        np.testing.assert_array_equal(zymo.vjp(f, a, b)[0], want)
        check_grads(f, (a, b), order=2)

    run()


def test_at_of_a_unary_ufunc_applies_it_once_per_repetition():
    want = np.array([0.3, 0.6, 0.9])
    np.sin.at(want, [0, 0, 2])
    np.testing.assert_array_equal(zymo.vjp(_sin_at, np.array([0.3, 0.6, 0.9]))[0], want)
    check_grads(_sin_at, (np.array([0.3, 0.6, 0.9]),), order=2)


def _sin_at(a):
    buf = a * 1.0
    np.sin.at(buf, [0, 0, 2])
    return buf


def test_add_at_accumulates_an_embedding_gradient_with_repeated_tokens():
    tokens = np.array([[1, 3, 1], [0, 1, 3]])

    W = np.ones((5, 2))

    def embedding_backward(dout):
        dW = np.zeros_like(W * dout[0, 0, 0])  # NumPy's own code: a traced buffer the write is recorded into
        np.add.at(dW, tokens, dout)
        return dW

    dout = np.random.default_rng(0).standard_normal((2, 3, 2))
    want = np.zeros((5, 2))
    np.add.at(want, tokens, dout)
    np.testing.assert_array_equal(zymo.vjp(embedding_backward, dout)[0], want)
    check_grads(embedding_backward, (dout,), order=2)


def test_add_at_into_a_slice_of_a_traced_array_reaches_the_base():
    def f(w, b):
        w = w * 1.0
        np.add.at(w[1:], [0, 0], b)
        return w

    w, b = np.arange(4.0), np.array([0.5, 2.0])
    want = w.copy()
    np.add.at(want[1:], [0, 0], b)
    np.testing.assert_array_equal(zymo.vjp(f, w, b)[0], want)
    check_grads(f, (w, b), order=2)


def test_zymo_numpy_ufunc_methods_record_like_numpys():
    def f(x):
        buf = znp.zeros(3)
        znp.add.at(buf, [0, 0, 1], x)
        return znp.logaddexp.reduce(buf) + znp.multiply.outer(x, x).sum() + znp.maximum.accumulate(x).sum()

    x = np.array([0.3, -0.2, 1.1])
    check_grads(f, (x,), order=2)


def test_add_at_writing_a_traced_value_into_a_plain_array_names_the_fix():
    def f(x):
        buf = np.zeros(3)
        np.add.at(buf, [0, 1], x)
        return buf.sum()

    with pytest.raises(zymo.TracerConversionError, match="znp.zeros"):
        zymo.grad(f)(np.array([1.0, 2.0]))


@pytest.mark.parametrize("ufunc", [np.power, np.arctan2], ids=lambda u: u.__name__)
def test_power_and_arctan2_methods_have_rules_exactly_where_numpy_computes_them_as_a_fold(ufunc):
    x = np.array([1.5, 2.0, 1.2, 0.7])
    fold = ufunc(ufunc(ufunc(x[:1], x[1:2]), x[2:3]), x[3:])[0]
    assert numpy_folds(ufunc, np.float64) == (ufunc.reduce(x) == fold)
    for f in (ufunc.reduce, ufunc.accumulate, lambda x: ufunc.reduceat(x, [0, 2])):
        if numpy_folds(ufunc, np.float64):
            _same_as_numpy(f, x)
            check_grads(f, (x,), order=2, modes=("fwd", "rev"))
        else:  # NumPy's AVX-512 loop: `power.reduce(x)` is `x[0] ** x[-1]` here
            with pytest.raises(
                zymo.UnsupportedOperationError, match=rf"numpy\.{ufunc.__name__}\..* CPU.*AVX-512.*fold"
            ):
                zymo.grad(lambda x: f(x).sum())(x)


_AVX512 = [f for f in ("X86_V4", "AVX512_ICL", "AVX512_SPR") if f in _multiarray_umath.__cpu_dispatch__]


@pytest.mark.skipif(not _AVX512, reason="this NumPy has no AVX-512 loops to turn off (the test above runs the rules)")
def test_power_and_arctan2_methods_differentiate_with_numpys_avx512_loops_turned_off():
    script = pathlib.Path(__file__).with_name("folds_without_avx512_checks.py")
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(_AVX512), "PYTHONPATH": str(script.parents[2])}
    run = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.split() == ["folds", "power", "folds", "arctan2"]


def test_reduce_with_initial_starts_the_fold_there():
    x = np.array([[0.5, 1.0], [1.5, 0.7]])
    f = lambda x: np.logaddexp.reduce(x, axis=0, initial=0.25, keepdims=True)
    _same_as_numpy(f, x)
    check_grads(f, (x,), order=2)


def test_methods_of_ufuncs_without_derivative_run_on_plain_values():
    x = np.array([0.5, -1.0, 2.0])
    f = lambda x: (x * np.logical_or.reduce(x > 0)).sum() + np.greater.outer(x, x).sum()
    np.testing.assert_array_equal(zymo.grad(f)(x), np.ones(3))


def test_reduce_over_several_axes_of_a_reorderable_ufunc():
    x = np.random.default_rng(1).uniform(0.5, 1.5, (2, 3, 2))
    f = lambda x: np.logaddexp.reduce(x, axis=(0, 2))
    _same_as_numpy(f, x)
    check_grads(f, (x,), order=2)


def test_reduce_over_an_empty_axis_gives_numpys_identity():
    x = np.zeros((0, 2))
    np.testing.assert_array_equal(zymo.vjp(lambda x: np.logaddexp.reduce(x, axis=0), x)[0], [-np.inf, -np.inf])


def test_jit_replay_of_ufunc_methods_equals_value_and_grad():
    def loss(w, b):
        buf = w * 1.0
        np.add.at(buf, [0, 2, 0], b)
        np.multiply.at(buf, [1, 1], b[:2])
        return np.logaddexp.reduce(buf) + np.hypot.accumulate(buf).sum() + np.maximum.reduceat(buf, [0, 2]).sum()

    vg = zymo.value_and_grad(loss, argnums=(0, 1))
    replay = zymo.jit(vg)
    for seed in range(4):
        rng = np.random.default_rng(seed)
        w, b = rng.uniform(0.5, 1.5, 4), rng.uniform(0.5, 1.5, 3)
        (v1, g1), (v2, g2) = replay(w, b), vg(w, b)
        np.testing.assert_array_equal(v1, v2)
        for x, y in zip(g1, g2):
            np.testing.assert_array_equal(x, y)
