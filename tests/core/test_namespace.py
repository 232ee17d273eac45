"""Which library an array belongs to, and how zymo runs on arrays of libraries other than NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import zymo
import zymo.numpy as znp
from zymo.core.namespace import (
    DeviceMismatchError,
    array_namespace,
    device_name,
    is_foreign,
    namespace_dtype,
    numpy_dtype,
)
from zymo.namespace_check import STRICT_DEVICE, from_strict, strict, to_strict

pytestmark = pytest.mark.skipif(strict is None, reason="array_api_strict is not installed")


def test_numpy_arrays_and_numbers_are_numpy():
    assert array_namespace(np.ones(2), 1.0, np.float32(2)) is np
    assert not is_foreign(np.ones(2)) and not is_foreign(np.float64(1.0)) and not is_foreign(3.0)


def test_an_array_api_strict_array_is_foreign_with_its_namespace():
    x = to_strict(np.ones(2))
    assert is_foreign(x)
    assert array_namespace(np.ones(2), x) is strict
    assert device_name(x) == str(STRICT_DEVICE)


def test_dtypes_translate_between_numpy_and_the_namespace():
    assert numpy_dtype(strict.float32) == np.dtype(np.float32)
    assert namespace_dtype(strict, np.dtype(np.float64)) == strict.float64


def test_gradient_of_strict_arrays_is_a_strict_array_on_their_device():
    g = zymo.grad(lambda x: znp.sum(znp.sin(x) * x))(to_strict(np.array([0.3, -1.2])))
    assert is_foreign(g) and g.device == STRICT_DEVICE
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(from_strict(g), np.cos(x) * x + np.sin(x), rtol=1e-14)


def test_array_api_code_differentiates_through_the_namespace_of_traced_values():
    def loss(x):
        xp = x.__array_namespace__()
        buf = xp.zeros((2, 3), dtype=x.dtype, device=x.device)
        buf[0, ...] = xp.exp(x)
        return xp.sum(xp.matmul(buf, xp.ones((3,), dtype=x.dtype, device=x.device)) ** 2)

    x = np.array([0.1, 0.2, -0.3])
    want = zymo.grad(loss)(x)
    got = zymo.grad(loss)(to_strict(x))
    np.testing.assert_allclose(from_strict(got), want, rtol=1e-13)


def test_traced_numpy_value_answers_zymo_numpy_as_its_namespace():
    seen = []

    def loss(x):
        seen.append(x.__array_namespace__())
        return (x * x).sum()

    zymo.grad(loss)(np.ones(2))
    assert seen == [znp]


def test_mixing_devices_names_both_devices_and_the_users_line():
    x = to_strict(np.ones(3))
    on_cpu = strict.asarray(np.ones(3))
    with pytest.raises(DeviceMismatchError, match=r"test_namespace\.py:\d+.*device1.*CPU_DEVICE"):
        zymo.grad(lambda x: znp.sum(x * on_cpu))(x)


def test_mixing_a_numpy_array_with_a_foreign_one_names_both():
    with pytest.raises(DeviceMismatchError, match=r"numpy array \(device cpu.*array_api_strict.*device1"):
        zymo.grad(lambda x: znp.sum(x * np.ones(3)))(to_strict(np.ones(3)))


def test_numpy_only_function_names_the_function_and_the_library():
    with pytest.raises(zymo.UnsupportedOperationError, match=r"numpy\.fmod.*array_api_strict"):
        zymo.grad(lambda x: znp.sum(znp.fmod(x, 0.5)))(to_strict(np.ones(3)))


def test_growing_a_foreign_array_from_an_empty_list_names_both_devices():
    with pytest.raises(DeviceMismatchError, match=r"numpy array \(device cpu, shape \(0,\)\).*device1"):
        zymo.grad(lambda x: znp.sum(znp.concatenate([[], [x[0]]])))(to_strict(np.ones(3)))


def test_numpy_maker_with_a_foreign_dtype_is_refused_with_the_fix():
    def loss(x):
        buf = znp.zeros(3, dtype=x.dtype)
        buf[...] = x
        return znp.sum(buf)

    with pytest.raises(zymo.UnsupportedOperationError, match=r"device=x\.device"):
        zymo.grad(loss)(to_strict(np.ones(3)))


def test_jit_of_foreign_integer_arrays_runs_every_call_and_says_why():
    f = zymo.jit(zymo.grad(lambda x, i: znp.sum(znp.exp(x[i]))))
    x, idx = to_strict(np.array([0.5, 1.0])), strict.asarray([1, 1], device=STRICT_DEVICE)
    for _ in range(3):
        np.testing.assert_allclose(from_strict(f(x, idx)), [0.0, 2 * np.exp(1.0)], rtol=1e-15)
    assert f.stats["eager"] == 3
    assert any("integer or boolean arrays of array_api_strict run without replay" in r for r in f.reasons)


def test_integer_foreign_argument_is_not_differentiated():
    idx = strict.asarray([2, 0], device=STRICT_DEVICE)
    x = np.arange(6.0).reshape(3, 2)
    g = zymo.grad(lambda x, i: znp.sum(x[i] ** 2))(to_strict(x), idx)
    np.testing.assert_allclose(from_strict(g), [[0.0, 2.0], [0.0, 0.0], [8.0, 10.0]])


def test_torch_tensors_differentiate_through_the_same_rules():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w, x = rng.normal(size=(3, 4)), rng.normal(size=(2, 3))

    def loss(w, x):
        h = znp.tanh(x @ w)
        return znp.sum(znp.exp(h[:, 1:]) * h[:, :-1]) + znp.mean(znp.maximum(h, 0.1))

    want = zymo.grad(loss, argnums=(0, 1))(w, x)
    got = zymo.grad(loss, argnums=(0, 1))(torch.tensor(w), torch.tensor(x))
    for g, ref in zip(got, want):
        assert isinstance(g, torch.Tensor)
        np.testing.assert_allclose(g.numpy(), ref, rtol=1e-12)
