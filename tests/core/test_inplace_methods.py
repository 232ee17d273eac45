"""``x.sort()`` and ``x.partition()`` on traced values sort in place, as NumPy's methods do."""

import numpy as np

import zymo
import zymo.numpy as znp
from zymo.testing import max_relative_error, numerical_grad


def test_sort_method_sorts_in_place_and_differentiates():
    w = np.array([1.0, 2.0, 3.0, 4.0])

    def f(x):
        y = x * 1.0
        y.sort()
        return znp.sum(y * w)

    x = np.array([0.3, -1.2, 2.5, 0.7])
    value, (g,) = zymo.withgradient(f, x)
    assert value == f(x)
    assert max_relative_error(g, numerical_grad(f, (x,))[0]) < 1e-7


def test_sort_method_on_a_buffer_matches_numpy():
    def f(x):
        buf = znp.zeros((2, 3))
        buf[0] = x
        buf[1] = x[::-1] * 2
        buf.sort(axis=1)
        return buf

    x = np.array([0.5, -1.0, 2.0])
    out, _ = zymo.vjp(f, x)
    np.testing.assert_array_equal(out, f(x))


def test_partition_method_differentiates():
    def f(x):
        y = x + 0.0
        y.partition(1)
        return y[1] * 3.0 + y[0]

    x = np.array([0.3, -1.2, 2.5, 0.7])
    value, (g,) = zymo.withgradient(f, x)
    assert value == f(x)
    assert max_relative_error(g, numerical_grad(f, (x,))[0]) < 1e-7
