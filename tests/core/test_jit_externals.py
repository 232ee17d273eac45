"""The check that zymo.jit's constants (arrays read from outside the arguments) are unchanged, and frozen=True."""

from __future__ import annotations

import numpy as np
import pytest

import zymo
import zymo.numpy as znp
from zymo.core.jit_externals import _BLOCK, Fingerprint, fingerprint, record_of, snapshot, unchanged

KEEPERS = [snapshot, record_of]  # a copy compared block by block; a fingerprint where the array is contiguous


def _big():
    return np.random.default_rng(0).standard_normal(3 * _BLOCK + 5)


def test_contiguous_arrays_are_kept_as_fingerprints_and_strided_views_as_copies():
    a = _big()
    assert type(record_of(a)) is Fingerprint and fingerprint(a[::2]) is None
    assert type(record_of(a[::2])) is np.ndarray


@pytest.mark.parametrize("keep", KEEPERS)
def test_an_unchanged_array_with_nans_passes(keep):
    a = _big()
    a[7] = np.nan
    assert unchanged(a, keep(a))


@pytest.mark.parametrize("keep", KEEPERS)
@pytest.mark.parametrize("where", [0, _BLOCK - 1, _BLOCK, 3 * _BLOCK + 4])
def test_one_changed_element_in_any_block_is_seen(where, keep):
    a = _big()
    snap = keep(a)
    a[where] = np.nextafter(a[where], np.inf)  # the smallest change there is
    assert not unchanged(a, snap)


@pytest.mark.parametrize("keep", KEEPERS)
def test_negative_zero_written_over_zero_is_a_change(keep):
    a = np.zeros(10)
    snap = keep(a)
    a[3] = -0.0
    assert not unchanged(a, snap)


@pytest.mark.parametrize("keep", KEEPERS)
def test_reordering_in_place_is_a_change(keep):
    a = _big()
    snap = keep(a)
    a.sort()
    assert not unchanged(a, snap)


@pytest.mark.parametrize(
    "make",
    [
        lambda a: a.reshape(-1, 5)[:, 1:4],  # strided view
        lambda a: np.asfortranarray(a.reshape(5, -1)),
        lambda a: a.astype(np.complex128),
        lambda a: a[:7].astype(np.float32),
        lambda a: a.astype(">f8"),
        lambda a: a.astype("datetime64[s]"),
    ],
    ids=["strided view", "Fortran order", "complex", "odd byte count", "big-endian", "datetime"],
)
@pytest.mark.parametrize("keep", KEEPERS)
def test_every_layout_and_dtype_is_compared_exactly(make, keep):
    a = make(np.arange(100.0))
    snap = keep(a)
    assert unchanged(a, snap)
    a.flat[2] = 1000
    assert not unchanged(a, snap)


@pytest.mark.parametrize("keep", KEEPERS)
def test_a_reshape_in_place_is_a_change(keep):
    a = np.arange(12.0)
    snap = keep(a)
    a.shape = (3, 4)
    assert not unchanged(a, snap)


def test_replay_computes_with_a_fingerprinted_constant_itself_not_a_copy():
    w = np.ones((3, 3))
    vg = zymo.jit(zymo.value_and_grad(lambda h: znp.sum(znp.tanh(h @ w))))
    for _ in range(3):
        vg(np.ones(3))
    (entry,) = vg._cache.values()
    (op,) = [op for op in entry.ready.ops if any(c is w for c in op.template)]
    assert vg.stats["replays"] == 1 and type(entry.ready.externals[0][1]) is Fingerprint


def test_each_constant_is_checked_once_per_replay_however_often_it_is_used():
    w = np.ones((3, 3))

    def loss(h):
        for _ in range(6):
            h = znp.tanh(h @ w)
        return znp.sum(h)

    vg = zymo.jit(zymo.value_and_grad(loss))
    for _ in range(3):
        vg(np.ones(3))
    (entry,) = vg._cache.values()
    assert vg.stats["replays"] == 1 and len(entry.ready.externals) == 1


def test_frozen_constants_are_not_checked_and_replays_use_their_recorded_values():
    w = np.array([1.0, 2.0, 3.0])
    vg = zymo.jit(zymo.value_and_grad(lambda x: znp.sum(x * w)), frozen=True)
    for _ in range(3):
        assert vg(np.ones(3))[0] == 6.0
    w[0] = 10.0  # breaks the contract frozen=True declares: the replay keeps the recorded value
    value, grad = vg(np.ones(3))
    assert vg.stats["replays"] == 2 and value == 6.0 and grad.tolist() == [1.0, 2.0, 3.0]


def test_without_frozen_an_in_place_change_retraces_with_the_new_values():
    w = np.array([1.0, 2.0, 3.0])
    vg = zymo.jit(zymo.value_and_grad(lambda x: znp.sum(x * w)))
    for _ in range(3):
        vg(np.ones(3))
    w[0] = 10.0
    value, grad = vg(np.ones(3))
    assert value == 15.0 and grad.tolist() == [10.0, 2.0, 3.0] and vg.stats["mismatches"] == 1
