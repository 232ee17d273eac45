"""convolve, correlate, interp, polyval, trapezoid: NumPy's values bit for bit, derivatives in both modes."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import zymo
from tests.numpy.conftest import FAST, arrays
from zymo.testing import check_grads


def _same_as_numpy(f, *args):
    got = zymo.vjp(f, *args)[0]
    want = f(*args)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", ["convolve", "correlate"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_convolve_and_correlate_values_and_derivatives_in_both_sequences(name, mode):
    @FAST
    @given(
        st.integers(1, 5).flatmap(lambda n: st.tuples(arrays((n,)), st.integers(1, 5).flatmap(lambda m: arrays((m,)))))
    )
    def run(av):
        f = lambda a, v: getattr(np, name)(a, v, mode)
        _same_as_numpy(f, *av)
        check_grads(f, av, order=2)

    run()


def test_interp_values_and_derivatives_in_x_and_fp():
    xp = np.array([0.0, 0.5, 1.5, 2.0])
    fp = np.array([1.0, -1.0, 2.0, 0.5])
    x = np.array([-0.5, 0.2, 0.7, 1.2, 1.9, 2.5])
    f = lambda x, fp: np.interp(x, xp, fp)
    _same_as_numpy(f, x, fp)
    check_grads(f, (x, fp), order=2)
    g = lambda x, fp: np.interp(x, xp, fp, left=-3.0, right=4.0)
    _same_as_numpy(g, x, fp)
    check_grads(g, (x, fp), order=2)


def test_interp_slope_outside_the_points_is_zero():
    g = zymo.grad(lambda x: np.interp(x, np.array([0.0, 1.0]), np.array([0.0, 2.0])).sum())(np.array([-1.0, 0.5, 3.0]))
    np.testing.assert_array_equal(g, [0.0, 2.0, 0.0])


def test_interp_in_xp_raises_a_clear_error():
    with pytest.raises(zymo.UnsupportedOperationError, match=r"numpy\.interp with respect to xp"):
        zymo.grad(lambda xp: np.interp(0.5, xp, np.array([0.0, 1.0])))(np.array([0.0, 1.0]))


@FAST
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(arrays((n,)), arrays((2, 3)))))
def test_polyval_values_and_derivatives_in_coefficients_and_points(px):
    _same_as_numpy(np.polyval, *px)
    check_grads(np.polyval, px, order=2)


@FAST
@given(st.tuples(arrays((3, 4)), arrays((4,), 0.0, 1.0), st.sampled_from([-1, 0, 1])))
def test_trapezoid_values_and_derivatives_in_y_x_and_dx(case):
    y, x, axis = case
    if axis != -1:
        x = x[: y.shape[axis]]
    x = np.cumsum(x)
    _same_as_numpy(lambda y, x: np.trapezoid(y, x, axis=axis), y, x)
    check_grads(lambda y, x: np.trapezoid(y, x, axis=axis), (y, x), order=2)
    check_grads(lambda y, dx: np.trapezoid(y, dx=dx, axis=axis), (y, np.array(0.3)), order=2)
