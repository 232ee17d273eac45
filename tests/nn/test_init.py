"""Initialisers: shapes, dtypes, reproducibility, the documented distributions, and clear errors."""

import math

import numpy as np
import pytest

import zymo
from zymo.nn import init

RANDOM = [
    init.glorot_uniform,
    init.glorot_normal,
    init.kaiming_uniform,
    init.kaiming_normal,
    init.orthogonal,
    init.truncated_normal,
]


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("f", RANDOM, ids=lambda f: f.__name__)
def test_shape_and_default_float32_dtype(f):
    w = f(rng(), 6, 4)
    assert w.shape == (6, 4) and w.dtype == np.float32


@pytest.mark.parametrize("f", RANDOM, ids=lambda f: f.__name__)
def test_dtype_argument_and_shape_as_tuple(f):
    w = f(rng(), (3, 5), dtype=np.float64)
    assert w.shape == (3, 5) and w.dtype == np.float64


@pytest.mark.parametrize("f", RANDOM, ids=lambda f: f.__name__)
def test_same_seed_gives_same_weights_and_different_seeds_differ(f):
    np.testing.assert_array_equal(f(rng(7), 4, 3), f(rng(7), 4, 3))
    assert not np.array_equal(f(rng(7), 4, 3), f(rng(8), 4, 3))


@pytest.mark.parametrize("f", RANDOM, ids=lambda f: f.__name__)
def test_a_generator_is_required(f):
    with pytest.raises(zymo.ZymoError, match="numpy.random.Generator"):
        f(3, 4)


def test_fans_follow_the_out_in_kernel_layout():
    assert init.fans((5, 3)) == (3, 5)
    assert init.fans((8, 4, 3, 3)) == (36, 72)
    assert init.fans((7,)) == (7, 7)


def test_glorot_uniform_bound_and_variance():
    w = init.glorot_uniform(rng(), 300, 200, dtype=np.float64)
    a = math.sqrt(6 / 500)
    assert np.abs(w).max() <= a
    assert w.std() == pytest.approx(a / math.sqrt(3), rel=0.02)


def test_glorot_normal_standard_deviation_and_gain():
    w = init.glorot_normal(rng(), 300, 200, gain=2.0, dtype=np.float64)
    assert w.std() == pytest.approx(2.0 * math.sqrt(2 / 500), rel=0.02)


def test_kaiming_uniform_bound_uses_fan_in():
    w = init.kaiming_uniform(rng(), 100, 50, dtype=np.float64)
    a = math.sqrt(2) * math.sqrt(3 / 50)
    assert np.abs(w).max() <= a and np.abs(w).max() > 0.95 * a


def test_kaiming_normal_standard_deviation_uses_fan_in():
    w = init.kaiming_normal(rng(), 400, 100, dtype=np.float64)
    assert w.std() == pytest.approx(math.sqrt(2 / 100), rel=0.02)


def test_truncated_normal_stays_within_bounds_with_requested_spread():
    w = init.truncated_normal(rng(), 20000, mean=1.0, std=1.0, lo=0.0, hi=2.0, dtype=np.float64)
    assert w.min() >= 0.0 and w.max() <= 2.0
    assert w.mean() == pytest.approx(1.0, abs=0.02)


def test_truncated_normal_default_is_small_and_centred():
    w = init.truncated_normal(rng(), 10000, dtype=np.float64)
    assert w.std() == pytest.approx(0.01, rel=0.05)


def test_truncated_normal_rejects_empty_interval():
    with pytest.raises(zymo.ZymoError, match="lo < hi"):
        init.truncated_normal(rng(), 3, lo=1.0, hi=1.0)


@pytest.mark.parametrize("shape", [(3, 7), (7, 3), (4, 4)])
def test_orthogonal_has_orthonormal_rows_or_columns(shape):
    q = init.orthogonal(rng(), *shape, gain=1.5, dtype=np.float64)
    small = q @ q.T if shape[0] <= shape[1] else q.T @ q
    np.testing.assert_allclose(small, 1.5**2 * np.eye(min(shape)), atol=1e-12)


def test_orthogonal_flattens_trailing_dimensions():
    q = init.orthogonal(rng(), 2, 3, 4, dtype=np.float64).reshape(2, 12)
    np.testing.assert_allclose(q @ q.T, np.eye(2), atol=1e-12)


def test_orthogonal_needs_two_dimensions():
    with pytest.raises(zymo.ShapeError):
        init.orthogonal(rng(), 5)


def test_zeros_and_ones():
    np.testing.assert_array_equal(init.zeros(rng(), 2, 3), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(init.ones(None, 4, dtype=np.float64), np.ones(4))


def test_negative_or_fractional_sizes_are_rejected():
    with pytest.raises(zymo.ShapeError):
        init.glorot_uniform(rng(), 3, -1)
    with pytest.raises(zymo.ShapeError):
        init.zeros(None, 2.5)
