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
        zymo.grad(lambda x: np.sum(np.pad(x, 1, mode="linear_ramp")))(np.ones(2))
    msg = str(e.value)
    assert "pad" in msg and "test_errors.py" in msg and "custom_vjp" in msg
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


def test_write_through_a_read_only_broadcast_view_is_refused_as_numpy_refuses_it():
    def f(x):
        buf = znp.zeros((2, 3))
        v = znp.broadcast_to(buf[0], (2, 3))
        v[0, 0] = x
        return buf.sum()

    with pytest.raises(ValueError, match="^assignment destination is read-only$"):
        f(1.0)  # plain NumPy
    with pytest.raises(ValueError, match="^assignment destination is read-only$"):
        zymo.grad(f)(1.0)


def _conversion_message(fun) -> str:
    with pytest.raises(zymo.TracerConversionError) as e:
        zymo.grad(fun)(np.ones(3))
    return str(e.value)


def test_each_conversion_gets_its_own_fix():
    import math

    messages = {
        "float": _conversion_message(lambda w: float(w.sum()) * w.sum()),
        "item": _conversion_message(lambda w: w.sum().item() * w.sum()),
        "tolist": _conversion_message(lambda w: sum(w.tolist())),
        "asarray": _conversion_message(lambda w: np.asarray(w).sum()),
        "math": _conversion_message(lambda w: math.exp(w.sum())),
    }
    assert "`float()` of a traced value" in messages["float"] and "0-d arrays" in messages["float"]
    assert "`.item()`" in messages["item"] and "stop_gradient(x).item()" in messages["item"]
    assert "`.tolist()`" in messages["tolist"] and "for row in x" in messages["tolist"]
    assert "`np.asarray(...)`" in messages["asarray"] and "use `zymo.numpy.asarray`" in messages["asarray"]
    assert "`math.exp`" in messages["math"] and "`zymo.numpy.exp`" in messages["math"]
    assert "float()" not in messages["math"]
    assert all("test_errors.py:" in m for m in messages.values())
    assert len({m.split("Fix:")[1] for m in messages.values()}) == len(messages)


@pytest.mark.parametrize("index", ["element", "slice"])
def test_write_into_a_plain_buffer_says_it_was_a_write_and_to_make_the_buffer_with_zymo_numpy(index):
    def f(w):
        buf = np.zeros(3)
        if index == "element":
            buf[0] = w.sum()
        else:
            buf[:] = w
        return buf.sum()

    message = _conversion_message(f)
    assert "written into a plain NumPy array" in message and "zymo.numpy" in message and "znp.zeros" in message
    assert "float()" not in message


def test_dot_method_of_a_plain_array_suggests_the_operator():
    x = np.ones((2, 3))
    message = _conversion_message(lambda w: x.dot(w).sum())
    assert "`x.dot(...)`" in message and "`x @ w` or `np.dot(x, w)`" in message


def test_runtime_warning_in_a_rule_points_at_the_user_line(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "user_script.py"
    script.write_text(
        "import numpy as np\nimport zymo\n\n\ndef f(w):\n    return np.sqrt(w).sum()\n\n\n"
        "zymo.grad(f)(np.array([-1.0, 1.0]))\n"
    )
    root = Path(__file__).parents[2]
    env = {k: v for k, v in __import__("os").environ.items() if k != "PYTHONWARNINGS"}
    env["PYTHONPATH"] = str(root)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert f"{script}:6: RuntimeWarning: invalid value encountered in sqrt" in result.stderr
    assert "zymo" + "/" not in result.stderr.split("RuntimeWarning")[0]
