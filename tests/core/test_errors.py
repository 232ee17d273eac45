"""Every error zymo raises is a ZymoError that names the user's line and the fix."""

import numpy as np
import pytest

import zymo
import zymo.numpy as znp


def test_writing_traced_value_into_plain_numpy_array_names_the_line():
    def f(x):
        buf = np.zeros(3)
        buf[0] = x[0]  # the offending line
        return buf.sum()

    with pytest.raises(zymo.TracerConversionError) as e:
        zymo.grad(f)(np.ones(3))
    assert "test_errors.py" in str(e.value)
    assert "znp.zeros" in str(e.value)


def test_unsupported_function_names_function_line_and_fix():
    with pytest.raises(zymo.UnsupportedOperationError) as e:
        zymo.grad(lambda x: np.sum(np.i0(x)))(np.ones(2))
    msg = str(e.value)
    assert "i0" in msg and "test_errors.py" in msg and "custom_vjp" in msg
    assert isinstance(e.value, zymo.ZymoError)


def test_grad_of_non_scalar_suggests_vjp():
    with pytest.raises(zymo.NonScalarOutputError, match="vjp"):
        zymo.grad(lambda x: x * 2)(np.ones(3))


def test_float_of_traced_value_is_refused():
    with pytest.raises(zymo.TracerConversionError, match="stop_gradient"):
        zymo.grad(lambda x: float(x) * 2)(1.0)


def test_escaped_tracer_is_detected():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * 2

    zymo.grad(f)(1.0)
    with pytest.raises(zymo.EscapedTracerError):
        zymo.grad(lambda y: y * leaked[0])(1.0)


def test_state_is_clean_after_an_exception():
    def bad(x):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        zymo.grad(bad)(1.0)
    assert zymo.grad(lambda x: x * x)(3.0) == pytest.approx(6.0)
    from zymo.core.trace import current_level

    assert current_level() == 0


def test_write_through_unsupported_view_is_refused():
    def f(x):
        buf = znp.zeros((2, 3))
        v = znp.broadcast_to(buf[0], (2, 3))
        v[0, 0] = x
        return buf.sum()

    with pytest.raises(zymo.ZymoError):
        zymo.grad(f)(1.0)
