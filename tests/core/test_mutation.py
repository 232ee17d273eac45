"""Mutation semantics: buffers, in-place operators, copy-on-write of saved values, views."""

import numpy as np
import pytest

import zymo
import zymo.numpy as znp
from zymo.testing import max_relative_error, numerical_grad


def check(f, *args, tol=1e-6):
    value, grads = zymo.withgradient(f, *args)
    assert value == f(*args)
    fd = numerical_grad(f, args)
    assert max_relative_error(grads, fd) < tol


def test_buffer_setitem():
    def f(x):
        buf = znp.zeros((3, 2))
        for i in range(3):
            buf[i] = x * (i + 1)
        return np.sum(buf**2)

    check(f, np.array([0.3, -0.7]))


def test_overwrite_discards_old_gradient():
    def f(x):
        buf = znp.ones(3)
        buf[:] = x
        buf[1] = 2.0
        return np.sum(buf * x)

    check(f, np.array([0.5, 1.5, -1.0]))


def test_saved_value_is_protected_from_later_write():
    def f(x):
        y = x * 1.0
        z = y * y  # saves y
        y[0] = 10.0  # would corrupt the saved y without copy-on-write
        return np.sum(z) + np.sum(y)

    check(f, np.array([0.5, 1.5, -1.0]))


def test_inplace_add_writes_memory():
    def f(x):
        acc = znp.zeros(2)
        alias = acc
        acc += x
        acc *= x
        return np.sum(alias)

    check(f, np.array([0.5, -2.0]))


def test_input_mutation_visible_to_caller():
    x = np.array([1.0, 2.0])

    def f(x):
        x[0] = 5.0
        return np.sum(x * x)

    zymo.grad(f)(x)
    assert x[0] == 5.0


def test_write_through_basic_slice_view():
    def f(x):
        buf = znp.zeros((2, 3))
        row = buf[1]
        row[1:] = x
        return np.sum(buf * buf) + np.sum(row)

    check(f, np.array([0.5, -2.0]))


def test_view_sees_later_write_to_base():
    def f(x):
        buf = znp.zeros(4)
        head = buf[:2]
        buf[:] = x
        return np.sum(head**2)

    check(f, np.array([0.5, -2.0, 1.0, 3.0]))


def test_view_of_reshape_and_transpose_follow_base():
    def f(x):
        buf = znp.zeros((2, 2))
        t = buf.T
        r = buf.reshape(4)
        buf[0] = x
        r[3] = x[0] * 3
        return np.sum(t * np.array([[1.0, 2.0], [3.0, 4.0]])) + np.sum(r)

    check(f, np.array([0.5, -2.0]))


def test_copyto_and_fill():
    def f(x):
        buf = znp.empty(2)
        np.copyto(buf, x)
        out = np.sum(buf**2)
        buf.fill(3.0)
        return out + np.sum(buf * x)

    check(f, np.array([0.5, -2.0]))


def test_np_zeros_like_of_traced_value_is_a_buffer():
    def f(x):
        b = np.zeros_like(x)
        b[0] = x[1]
        return np.sum(b * x)

    check(f, np.array([0.5, -2.0]))


def test_setitem_with_list_of_traced_values():
    def f(x):
        b = znp.zeros(3)
        b[:2] = [x[1], x[0] * 2]
        return np.sum(b**2)

    check(f, np.array([0.5, -2.0]))


def test_long_buffer_loop_gradient():
    T = 200

    def f(x):
        Y = znp.zeros((T, 3))
        h = x
        for t in range(T):
            h = np.tanh(h * 0.9 + 0.1)
            Y[t] = h
        return np.mean(Y)

    g = zymo.grad(f)(np.array([0.1, 0.2, 0.3]))
    fd = numerical_grad(f, (np.array([0.1, 0.2, 0.3]),))[0]
    assert max_relative_error(g, fd) < 1e-6


def test_inplace_int_cast_refused_like_numpy():
    def f(x):
        b = znp.zeros(2, dtype=int)
        b += x
        return x.sum()

    with pytest.raises(zymo.ZymoError):
        zymo.grad(f)(np.ones(2))
