"""``zymo.jit`` of functions that build layers or buffers inside: equal constants replay, differing ones warn."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import zymo
import zymo.nn as nn
import zymo.numpy as znp


def _inputs(seed):
    return np.random.default_rng(seed).standard_normal((2, 3))


def _replays_without_warning(f) -> None:
    vg = zymo.value_and_grad(f)
    jv = zymo.jit(vg)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for s in range(4):
            got, want = jv(_inputs(s)), vg(_inputs(s))
            assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert jv.stats["replays"] == 2 and jv.stats["eager"] == 0


def test_a_layer_built_inside_with_a_fixed_rng_replays_without_warning():
    _replays_without_warning(lambda x: znp.sum(nn.Dense(3, 2, rng=np.random.default_rng(0), dtype=np.float64)(x)))


def test_a_write_through_a_view_of_a_buffer_made_inside_replays_without_warning():
    def f(x):
        buf = znp.full((3, 3), 0.25)
        buf[1] *= x[0]  # a write through the view buf[1]
        return znp.sum(buf * buf)

    _replays_without_warning(f)


def test_scipy_softmax_replays_without_warning():
    from zymo.scipy import special

    _replays_without_warning(lambda x: znp.sum(special.softmax(x, axis=0) * x) + znp.sum(special.log_softmax(x)))


def test_a_layer_built_inside_without_an_rng_warns_saying_to_build_it_outside():
    def f(x):
        return znp.sum(nn.Dense(3, 2, dtype=np.float64)(x))

    jv = zymo.jit(zymo.value_and_grad(f))
    with pytest.warns(zymo.ZymoWarning, match=r"layer built inside .*Fix: build layers .* outside the function"):
        for s in range(3):
            jv(_inputs(s))
    assert jv.stats["eager"] >= 1
