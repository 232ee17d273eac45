"""Learning-rate schedules."""

from __future__ import annotations

import math

import pytest

from zymo import optim


def test_cosine_warmup_rises_linearly_to_the_peak():
    s = optim.CosineDecay(0.1, total=100, warmup=10)
    assert [s(t) for t in (0, 4, 9)] == pytest.approx([0.01, 0.05, 0.1])


def test_cosine_reaches_min_lr_at_total_and_stays():
    s = optim.CosineDecay(0.1, total=50, warmup=5, min_lr=0.001)
    assert s(50) == pytest.approx(0.001) and s(500) == pytest.approx(0.001)


def test_cosine_is_halfway_in_the_middle_of_the_decay():
    s = optim.CosineDecay(1.0, total=30, warmup=10)
    assert s(20) == pytest.approx(0.5)


def test_step_decay_multiplies_every_step_size_updates():
    s = optim.StepDecay(1.0, step_size=3, gamma=0.1)
    assert [s(t) for t in range(7)] == pytest.approx([1, 1, 1, 0.1, 0.1, 0.1, 0.01])


def test_exponential_decay():
    assert optim.ExponentialDecay(2.0, 0.5)(3) == 0.25


def test_schedule_is_evaluated_at_each_arrays_update_count():
    r = optim.Descent(optim.ExponentialDecay(1.0, 0.5))
    assert [float(r.step({}, None, 1.0, t)) for t in (1, 2, 3)] == [1.0, 0.5, 0.25]
    assert math.isclose(optim.schedules.learning_rate(0.3, 10), 0.3)
