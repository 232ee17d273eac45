"""Random numbers drawn for another device: initialisers and Dropout (``zymo.nn.device_random``).

``array_api_strict`` has no generator: numbers are drawn on the host with the NumPy generator and
copied once. CuPy's path (a CuPy generator seeded once from the NumPy one, draws on the GPU) runs
here against a stand-in ``cupy`` module whose ``RandomState`` records every draw.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import zymo
import zymo.numpy as znp
from zymo import nn
from zymo.devices import to_numpy
from zymo.namespace_check import STRICT_DEVICE, strict
from zymo.nn import device_random, init

needs_strict = pytest.mark.skipif(strict is None, reason="array_api_strict is not installed")

INITIALISERS = [
    init.glorot_uniform,
    init.glorot_normal,
    init.kaiming_uniform,
    init.kaiming_normal,
    init.orthogonal,
    init.truncated_normal,
    init.zeros,
    init.ones,
]


@needs_strict
@pytest.mark.parametrize("initialiser", INITIALISERS, ids=lambda f: f.__name__)
def test_initialiser_on_a_strict_device_draws_numpys_numbers_there(initialiser):
    want = initialiser(np.random.default_rng(3), 4, 6)
    got = initialiser(np.random.default_rng(3), 4, 6, device=STRICT_DEVICE)
    assert got.device == STRICT_DEVICE
    np.testing.assert_array_equal(to_numpy(got), want)


def _count_host_copies(monkeypatch) -> list:
    copies = []
    original = strict.asarray

    def counting(obj, *args, **kwargs):
        if isinstance(obj, np.ndarray):
            copies.append(obj.shape)
        return original(obj, *args, **kwargs)

    monkeypatch.setattr(strict, "asarray", counting)
    return copies


@needs_strict
def test_dropout_on_strict_arrays_copies_one_mask_per_call_and_matches_numpy(monkeypatch):
    x = np.random.default_rng(0).normal(size=(5, 7)).astype(np.float32)
    drop = nn.Dropout(0.4, rng=np.random.default_rng(11))
    moved = zymo.to_device(drop, STRICT_DEVICE)
    moved.rng = np.random.default_rng(11)
    xs = zymo.to_device(x, STRICT_DEVICE)
    loss = lambda m, x: znp.sum(m(x) * x)
    copies = _count_host_copies(monkeypatch)
    for _ in range(3):
        want = zymo.value_and_grad(loss, argnums=1)(drop, x)
        got = zymo.value_and_grad(loss, argnums=1)(moved, xs)
        assert got[1].device == STRICT_DEVICE
        np.testing.assert_allclose(to_numpy(got[0]), want[0], rtol=1e-6)
        np.testing.assert_array_equal(to_numpy(got[1]), want[1])
    assert copies == [(5, 7)] * 3  # the mask, once per call; nothing else crosses


class _FakeRandomState:
    """CuPy's ``RandomState`` as the stand-in module offers it: NumPy's legacy generator, draws recorded."""

    draws: list = []

    def __init__(self, seed):
        self.seed, self._np = seed, np.random.RandomState(seed % 2**32)

    def uniform(self, low, high, size, dtype):
        _FakeRandomState.draws.append(("uniform", self.seed))
        return self._np.uniform(low, high, size).astype(dtype)

    def standard_normal(self, size, dtype):
        _FakeRandomState.draws.append(("normal", self.seed))
        return self._np.standard_normal(size).astype(dtype)


class _FakeDevice:
    def __init__(self, id=0):
        self.id = id

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_FakeDevice.__module__ = "cupy.cuda.device"


@pytest.fixture
def fake_cupy(monkeypatch):
    cupy = types.ModuleType("cupy")
    cupy.cuda = types.SimpleNamespace(Device=_FakeDevice)
    cupy.random = types.SimpleNamespace(RandomState=_FakeRandomState)
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    _FakeRandomState.draws = []
    monkeypatch.setattr(device_random, "_cupy_states", type(device_random._cupy_states)())
    return cupy


def test_a_cupy_device_draws_with_a_generator_seeded_once_from_numpys(fake_cupy):
    rng = np.random.default_rng(5)
    seed = int(np.random.default_rng(5).integers(2**63))
    a = init.glorot_uniform(rng, 3, 4, device=_FakeDevice(0))
    b = init.kaiming_normal(rng, 3, 4, device=_FakeDevice(0))
    assert _FakeRandomState.draws == [("uniform", seed), ("normal", seed)]  # one generator, seeded once
    assert a.dtype == np.float32 and b.dtype == np.float32
    replay = np.random.RandomState(seed % 2**32)
    bound = np.sqrt(6 / 7)
    np.testing.assert_array_equal(a, replay.uniform(-bound, bound, (3, 4)).astype(np.float32))
    np.testing.assert_array_equal(b, (np.sqrt(2) / 2 * replay.standard_normal((3, 4))).astype(np.float32))
    # The host generator moved on by one integer only: the draws did not use it.
    np.testing.assert_array_equal(rng.random(3), _after_one_integer(5).random(3))


def test_each_gpu_has_its_own_generator_and_a_seeded_generator_reproduces_draws(fake_cupy):
    def draws(seed):
        rng = np.random.default_rng(seed)
        return [init.glorot_uniform(rng, 2, 2, device=_FakeDevice(d)) for d in (0, 1, 0)]

    first, second = draws(1), draws(1)
    host = np.random.default_rng(1)
    seeds = [int(host.integers(2**63)) for _ in range(2)]
    assert [seed for _, seed in _FakeRandomState.draws] == [seeds[0], seeds[1], seeds[0]] * 2
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[2])  # the GPU's generator moved on


def _after_one_integer(seed):
    rng = np.random.default_rng(seed)
    rng.integers(2**63)
    return rng
