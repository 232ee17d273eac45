"""``zymo.seed``: one generator makes layer construction, Dropout and data order reproducible."""

from __future__ import annotations

import numpy as np
import pytest

import zymo
from zymo import nn
from zymo.data import DataLoader


def _draws():
    model = nn.Chain(nn.Dense(3, 4), nn.LSTM(4, 5), nn.Embedding(6, 2))
    drop = nn.Dropout(0.5)
    mask = drop(np.ones(20))
    order = [b.tolist() for b in DataLoader(np.arange(10), batch_size=4)]
    return [a.copy() for a in model.parameters()], mask, order


def test_same_seed_reproduces_layers_dropout_and_data_order():
    zymo.seed(7)
    first = _draws()
    zymo.seed(7)
    second = _draws()
    assert all(np.array_equal(a, b) for a, b in zip(first[0], second[0]))
    assert np.array_equal(first[1], second[1]) and first[2] == second[2]


def test_another_seed_gives_other_draws():
    zymo.seed(7)
    a = nn.Dense(3, 4).weight
    zymo.seed(8)
    assert not np.array_equal(a, nn.Dense(3, 4).weight)


def test_reseeding_reaches_a_dropout_built_before():
    drop = nn.Dropout(0.5)
    zymo.seed(3)
    a = drop(np.ones(50))
    zymo.seed(3)
    assert np.array_equal(a, drop(np.ones(50)))


def test_seed_draws_as_numpy_default_rng():
    assert np.array_equal(zymo.seed(5).random(4), np.random.default_rng(5).random(4))


def test_explicit_rng_is_not_affected_by_the_seed():
    zymo.seed(1)
    a = nn.Dense(2, 2, rng=np.random.default_rng(0)).weight
    zymo.seed(2)
    assert np.array_equal(a, nn.Dense(2, 2, rng=np.random.default_rng(0)).weight)


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_seed_rejects_what_is_not_a_non_negative_integer(bad):
    with pytest.raises(zymo.ZymoError, match="non-negative integer"):
        zymo.seed(bad)
