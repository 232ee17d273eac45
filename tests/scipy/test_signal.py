"""zymo.scipy.signal: SciPy's values bit for bit on traced inputs; derivatives of both modes to second order."""

import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import given
from hypothesis import strategies as st

import zymo
from tests.numpy._strategies_linalg import check, crandn, randn
from tests.numpy.conftest import FAST
from zymo.core.errors import ZymoError
from zymo.scipy import signal

modes = st.sampled_from(["full", "same", "valid"])


@st.composite
def operand_shapes(draw, valid: bool):
    """Two shapes of equal rank; for ``valid`` one is at least as large as the other along every axis."""
    nd = draw(st.integers(1, 3))
    s1 = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    if valid:
        s2 = tuple(draw(st.integers(1, n)) for n in s1)
        return (s2, s1) if draw(st.booleans()) else (s1, s2)
    return s1, tuple(draw(st.integers(1, 4)) for _ in range(nd))


@st.composite
def cases(draw):
    mode = draw(modes)
    return mode, *draw(operand_shapes(mode == "valid"))


@pytest.mark.parametrize("name", ["convolve", "correlate"])
@pytest.mark.parametrize("method", ["direct", "fft"])
def test_convolve_and_correlate(name, method):
    @FAST
    @given(cases(), st.integers(0, 2**16))
    def run(case, seed):
        mode, s1, s2 = case
        f = getattr(signal, name)
        check(lambda a, b: f(a, b, mode=mode, method=method), (randn(*s1, seed=seed), randn(*s2, seed=seed + 1)))

    run()


@FAST
@given(cases(), st.integers(0, 2**16))
def test_fftconvolve(case, seed):
    mode, s1, s2 = case
    check(lambda a, b: signal.fftconvolve(a, b, mode=mode), (randn(*s1, seed=seed), randn(*s2, seed=seed + 1)))


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_fftconvolve_over_some_axes_broadcasts_the_others(mode):
    a, b = randn(3, 5, seed=1), randn(1, 2, seed=2)
    check(lambda a, b: signal.fftconvolve(a, b, mode=mode, axes=1), (a, b))


@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_complex_inputs(name):
    f = getattr(signal, name)
    check(lambda a, b: f(a, b, mode="same"), (crandn(4, seed=1), crandn(3, seed=2)))
    check(lambda a, b: f(a, b, mode="valid"), (randn(4, 3, seed=3), crandn(2, 2, seed=4)), order=1)


def test_auto_method_gives_scipys_values():
    a, b = randn(40, 40, seed=1), randn(9, 9, seed=2)
    check(lambda a, b: signal.convolve(a, b, mode="same"), (a, b), order=1)
    got = zymo.vjp(lambda a: signal.correlate(a, b), a)[0]
    np.testing.assert_array_equal(got, ss.correlate(a, b))


def test_bad_mode_is_scipys_error():
    with pytest.raises(ValueError, match="mode"):
        zymo.grad(lambda a: signal.convolve(a, a, mode="circular").sum())(np.ones(3))


def test_scipy_call_on_a_traced_value_names_the_zymo_version():
    with pytest.raises(ZymoError, match="zymo.scipy.signal.fftconvolve"):
        zymo.grad(lambda a: ss.fftconvolve(a, a).sum())(np.ones(3))
