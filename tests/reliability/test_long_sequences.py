"""Long sequences: a recurrent loss over thousands of steps differentiates without recursion, in bounded memory."""

from __future__ import annotations

import sys
import tracemalloc

import numpy as onp
import pytest

import zymo
from zymo.acceptance import elman, style1_thread

HIDDEN, BATCH, FEATURES = 128, 32, 8


def _problem(steps: int, dtype=onp.float32):
    rng = onp.random.default_rng(0)
    scale = 1 / onp.sqrt(HIDDEN)
    p = {
        "Wi": (rng.standard_normal((HIDDEN, FEATURES)) * scale).astype(dtype),
        "Wh": (rng.standard_normal((HIDDEN, HIDDEN)) * scale).astype(dtype),
        "b": onp.zeros(HIDDEN, dtype),
    }
    xs = [rng.standard_normal((BATCH, FEATURES)).astype(dtype) for _ in range(steps)]
    h = onp.zeros(HIDDEN, dtype)
    return p, xs, h


def _loss(p, xs, h):
    return style1_thread(elman, p, xs, h)


def _by_hand(p, xs, h):
    """Backpropagation through time written out in NumPy: the reference gradient."""
    states = [onp.broadcast_to(h, (BATCH, HIDDEN))]
    for x in xs:
        states.append(onp.tanh(x @ p["Wi"].T + states[-1] @ p["Wh"].T + p["b"]))
    g = onp.full((BATCH, HIDDEN), 1 / (BATCH * HIDDEN), dtype=h.dtype)
    dp = {k: onp.zeros_like(v) for k, v in p.items()}
    dxs = [None] * len(xs)
    for t in range(len(xs) - 1, -1, -1):
        dz = g * (1 - states[t + 1] ** 2)
        dp["Wi"] += dz.T @ xs[t]
        dp["Wh"] += dz.T @ states[t]
        dp["b"] += dz.sum(0)
        dxs[t] = dz @ p["Wi"]
        g = dz @ p["Wh"]
    return dp, dxs, g.sum(0)


def _check_long_sequence(steps: int) -> float:
    """Differentiate ``steps`` steps under tracemalloc; return the peak over the hidden states' size."""
    p, xs, h = _problem(steps)
    limit = sys.getrecursionlimit()
    tracemalloc.start()
    try:
        _, (dp, dxs, dh) = zymo.withgradient(_loss, p, xs, h)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sys.getrecursionlimit() == limit
    want_p, want_xs, want_h = _by_hand(p, xs, h)
    for k in p:
        onp.testing.assert_allclose(dp[k], want_p[k], rtol=2e-3, atol=1e-6)
    onp.testing.assert_allclose(onp.stack(dxs), onp.stack(want_xs), rtol=2e-3, atol=1e-6)
    onp.testing.assert_allclose(dh, want_h, rtol=2e-3, atol=1e-6)
    states = steps * BATCH * HIDDEN * onp.dtype(onp.float32).itemsize
    return peak / states


# Backward needs every hidden state (T x B x H values); the gradients of the inputs add T x B x F.
# The tape keeps each hidden state once (inputs and outputs the rules only need the shape of are dropped).
PEAK_OVER_STATES = 2.0


def test_gradient_of_1000_step_recurrent_loss_is_exact_in_bounded_memory():
    ratio = _check_long_sequence(1000)
    assert ratio < PEAK_OVER_STATES, f"peak memory is {ratio:.1f}x the hidden states"


@pytest.mark.slow
def test_gradient_of_10000_step_recurrent_loss_completes_without_recursion_error(capsys):
    ratio = _check_long_sequence(10_000)
    with capsys.disabled():
        print(f"\n10,000-step Elman loss (hidden {HIDDEN}, batch {BATCH}): peak memory {ratio:.2f}x the hidden states")
    assert ratio < PEAK_OVER_STATES, f"peak memory is {ratio:.1f}x the hidden states"
