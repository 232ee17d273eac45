"""``x.flat`` on traced arrays: values as NumPy's flatiter gives them, derivatives against finite differences."""

from __future__ import annotations

import numpy as onp
import pytest

import zymo
from zymo.testing import check_grads

X = onp.array([[0.3, -1.2, 0.7], [1.5, -0.4, 0.9], [-0.8, 0.2, 1.1]])


def _write_program(idx, value_of):
    def program(x):
        y = x * 1.0
        y.flat[idx] = value_of(y, x)
        return y * x

    return program


WRITES = {
    "slice with a scalar": (slice(None, None, 4), lambda y, x: 2.0),
    "slice with traced values": (slice(1, 4), lambda y, x: onp.sin(x[0])),
    "repeated shorter values": (slice(None), lambda y, x: onp.tanh(x[:, 0])),
    "an integer": (5, lambda y, x: x[2, 2] ** 2),
    "a boolean mask": (onp.arange(9) % 2 == 0, lambda y, x: onp.cos(x.ravel()[:5])),
    "fancy positions": (onp.array([[0, 8], [3, 4]]), lambda y, x: x[0, :2] * 3.0),
    "a view of the array itself": (slice(None, None, 4), lambda y, x: y[:, 1:]),
}


@pytest.mark.parametrize("name", WRITES)
def test_writes_through_flat_have_numpys_values_and_derivatives(name):
    program = _write_program(*WRITES[name])
    want = program(X.copy())
    got, _ = zymo.vjp(program, X)
    assert onp.array_equal(onp.asarray(got), want)
    check_grads(program, (X,), order=2)


def test_reads_through_flat_are_copies_with_derivatives():
    def program(x):
        y = x * 2.0
        first, tail = y.flat[0], y.flat[4:]
        y[1, 1] = 0.0  # a read is a copy: the later write does not reach it
        return first * tail + sum(v for v in y.flat) + len(y.flat)

    want = program(X.copy())
    got, _ = zymo.vjp(program, X)
    assert onp.array_equal(onp.asarray(got), want)
    check_grads(program, (X,), order=2)


def test_flat_writes_replay_under_jit_as_value_and_grad():
    def loss(x):
        y = x * 1.0
        y.flat[::4] = y[:, 2]
        return (y * y).sum()

    vg = zymo.value_and_grad(loss)
    jitted = zymo.jit(vg)
    for k in range(3):
        x = X + k
        value, grad = jitted(x)
        want_value, want_grad = vg(x)
        assert value == want_value and onp.array_equal(grad, want_grad)


def test_flat_of_a_traced_value_refuses_conversion_to_a_plain_array():
    def program(x):
        return onp.asarray(x.flat).sum()

    with pytest.raises(zymo.ZymoError):
        zymo.grad(program)(X)
