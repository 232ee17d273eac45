"""DataLoader and sequence padding."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zymo.core.errors import ShapeError
from zymo.data import DataLoader, length_mask, pad_sequences


def test_every_sample_appears_once_per_epoch():
    loader = DataLoader((np.arange(10), np.arange(10) * 2), batch_size=3, rng=0)
    xs, ys = zip(*loader)
    x, y = np.concatenate(xs), np.concatenate(ys)
    assert sorted(x.tolist()) == list(range(10))
    np.testing.assert_array_equal(y, 2 * x)


def test_batches_have_batch_size_and_a_short_last_batch():
    assert [len(b) for b in DataLoader(np.zeros((7, 2)), batch_size=3, shuffle=False)] == [3, 3, 1]


def test_drop_last_drops_the_short_batch():
    loader = DataLoader(np.zeros((7, 2)), batch_size=3, drop_last=True)
    assert len(loader) == 2 and [len(b) for b in loader] == [3, 3]


def test_same_seed_same_order_and_new_order_each_epoch():
    a, b = DataLoader(np.arange(20), 5, rng=3), DataLoader(np.arange(20), 5, rng=3)
    first_a, first_b = np.concatenate(list(a)), np.concatenate(list(b))
    np.testing.assert_array_equal(first_a, first_b)
    assert not np.array_equal(first_a, np.concatenate(list(a)))


def test_without_shuffle_order_is_the_data_order():
    np.testing.assert_array_equal(np.concatenate(list(DataLoader(np.arange(6), 4, shuffle=False))), np.arange(6))


def test_mismatched_lengths_are_rejected():
    with pytest.raises(ShapeError, match=r"\[4, 5\]"):
        DataLoader((np.zeros(4), np.zeros(5)), 2)


@pytest.mark.parametrize("bad", [0, -1, 2.5])
def test_batch_size_must_be_positive_integer(bad):
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(np.zeros(4), bad)


def test_empty_data_is_rejected():
    with pytest.raises(ShapeError, match="no samples"):
        DataLoader(np.zeros((0, 3)), 2)


def test_ragged_field_comes_out_padded_with_lengths():
    seqs = [np.ones((n, 2)) * n for n in (3, 1, 2)]
    loader = DataLoader((seqs, np.array([0, 1, 2])), batch_size=3, shuffle=False)
    ((x, lengths), labels) = next(iter(loader))
    assert x.shape == (3, 3, 2)
    np.testing.assert_array_equal(lengths, [3, 1, 2])
    np.testing.assert_array_equal(x[1], [[1, 1], [0, 0], [0, 0]])


def test_pad_sequences_pads_at_the_end_with_value():
    x, n = pad_sequences([np.array([1, 2]), np.array([3])], value=-1)
    np.testing.assert_array_equal(x, [[1, 2], [3, -1]])
    np.testing.assert_array_equal(n, [2, 1])


def test_pad_sequences_maxlen_cuts_long_sequences():
    x, n = pad_sequences([np.arange(5.0), np.arange(2.0)], maxlen=3)
    assert x.shape == (2, 3)
    np.testing.assert_array_equal(n, [3, 2])


def test_pad_sequences_rejects_different_feature_shapes():
    with pytest.raises(ShapeError, match="feature shape"):
        pad_sequences([np.zeros((2, 3)), np.zeros((2, 4))])


def test_length_mask_marks_valid_steps():
    np.testing.assert_array_equal(length_mask(np.array([1, 3]), 3), [[1, 0, 0], [1, 1, 1]])


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), batch_size=st.integers(1, 12), drop_last=st.booleans(), seed=st.integers(0, 5))
def test_an_epoch_covers_the_samples_once_in_len_batches(n, batch_size, drop_last, seed):
    loader = DataLoader(np.arange(n), batch_size, rng=seed, drop_last=drop_last)
    batches = list(loader)
    assert len(batches) == len(loader)
    seen = np.concatenate(batches) if batches else np.array([], int)
    assert len(set(seen.tolist())) == len(seen)
    assert len(seen) == (n - n % batch_size if drop_last else n)
