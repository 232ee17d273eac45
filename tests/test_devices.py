"""zymo.to_device, zymo.save from and zymo.load onto other devices, and the errors without a GPU."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import zymo
from zymo import nn, optim
from zymo.devices import DeviceError, device_of, to_numpy
from zymo.namespace_check import STRICT_DEVICE, strict

needs_strict = pytest.mark.skipif(strict is None, reason="array_api_strict is not installed")
no_cupy = importlib.util.find_spec("cupy") is None


def _model_and_state():
    zymo.seed(0)
    model = nn.Chain(nn.Dense(3, 4, nn.tanh), nn.Dense(4, 2))
    state = optim.setup(optim.Adam(0.01), model)
    grads = zymo.grad(lambda m: (m(np.ones((2, 3), np.float32)) ** 2).sum())(model)
    optim.update(state, model, grads)
    return model, state


@pytest.mark.skipif(not no_cupy, reason="CuPy is installed here")
def test_cuda_without_cupy_names_the_install_command():
    with pytest.raises(DeviceError, match=r"pip install cupy-cuda12x"):
        zymo.to_device({"w": np.ones(2)}, "cuda")


def test_unknown_device_name_is_refused():
    with pytest.raises(DeviceError, match=r"unknown device 'tpu'"):
        zymo.to_device({"w": np.ones(2)}, "tpu")


def test_cpu_keeps_numpy_arrays_and_other_leaves():
    tree = {"w": np.ones(2), "n": 3, "s": "x"}
    moved = zymo.to_device(tree, "cpu")
    assert moved["w"] is tree["w"] and moved["n"] == 3 and moved["s"] == "x"


@needs_strict
def test_model_and_optimiser_state_move_there_and_back():
    model, state = _model_and_state()
    dmodel, dstate = zymo.to_device((model, state), STRICT_DEVICE)
    assert device_of(dmodel) == str(STRICT_DEVICE)
    assert all(v.device == STRICT_DEVICE for s in dstate.slots.values() for v in s.values())
    assert dstate.counts == state.counts and dstate.rule is state.rule
    back, bstate = zymo.to_device((dmodel, dstate), "cpu")
    for (_, a), (_, b) in zip(nn.named_parameters(back), nn.named_parameters(model)):
        assert type(a) is np.ndarray
        np.testing.assert_array_equal(a, b)
    for p in state.slots:
        for k in state.slots[p]:
            np.testing.assert_array_equal(bstate.slots[p][k], state.slots[p][k])


@needs_strict
def test_moved_arrays_do_not_share_memory_with_the_source():
    w = np.ones(2)
    moved = zymo.to_device(w, STRICT_DEVICE)
    w += 1
    np.testing.assert_array_equal(to_numpy(moved), [1.0, 1.0])


@needs_strict
def test_traced_value_cannot_change_device():
    with pytest.raises(DeviceError, match="inside differentiated code"):
        zymo.grad(lambda x: zymo.to_device(x, STRICT_DEVICE).sum())(np.ones(2))


@needs_strict
def test_save_from_a_device_and_load_onto_it_in_place(tmp_path):
    model, state = _model_and_state()
    dmodel, dstate = zymo.to_device((model, state), STRICT_DEVICE)
    path = zymo.save(dmodel, tmp_path / "m.safetensors", state=dstate)
    fresh, fresh_state = zymo.to_device(_fresh(), STRICT_DEVICE)
    weight = fresh[0].weight
    loaded = zymo.load(path, into=fresh, state=fresh_state)
    assert loaded is fresh and fresh[0].weight is weight and weight.device == STRICT_DEVICE
    for (_, a), (_, b) in zip(nn.named_parameters(fresh), nn.named_parameters(model)):
        np.testing.assert_array_equal(to_numpy(a), b)
    assert fresh_state.counts == state.counts
    for p in state.slots:
        for k, v in state.slots[p].items():
            assert fresh_state.slots[p][k].device == STRICT_DEVICE
            np.testing.assert_array_equal(to_numpy(fresh_state.slots[p][k]), v)


def _fresh():
    zymo.seed(1)
    model = nn.Chain(nn.Dense(3, 4, nn.tanh), nn.Dense(4, 2))
    return model, optim.setup(optim.Adam(0.01), model)


@needs_strict
def test_load_with_device_puts_the_model_and_state_there(tmp_path):
    model, state = _model_and_state()
    path = zymo.save(model, tmp_path / "m.safetensors", state=state)
    fresh, fresh_state = _fresh()
    loaded = zymo.load(path, into=fresh, state=fresh_state, device=STRICT_DEVICE)
    assert device_of(loaded) == str(STRICT_DEVICE)
    assert all(v.device == STRICT_DEVICE for s in fresh_state.slots.values() for v in s.values())
    arrays = zymo.load(path, device=STRICT_DEVICE)
    assert all(a.device == STRICT_DEVICE for a in arrays.values())
