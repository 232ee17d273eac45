"""Differential testing of ``zymo.jit``: random programs, replayed on new inputs, give what tracing gives.

Each program's loss (a fixed random combination of its registers) is differentiated by
``zymo.jit(zymo.value_and_grad(...))`` and by ``zymo.value_and_grad`` on several inputs of the
same shapes; values and gradients must agree bit for bit, whether the call was replayed, traced
anew after a guard, or run without replay.
"""

from __future__ import annotations

import os
import warnings

import numpy as onp
from hypothesis import HealthCheck, given, settings

import zymo

from .differential import runs_in_numpy
from .programs import programs

_SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, onp.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and onp.array_equal(a, b, equal_nan=True)
    return a == b or (a != a and b != b)


def _moved(inputs, seed):
    """``inputs`` moved by random steps, each of its own kind: a Python float stays one, a 0-d array an array."""
    rng = onp.random.default_rng(seed)
    return tuple(
        float(x + rng.standard_normal())
        if type(x) is float
        else onp.asarray(onp.add(x, rng.standard_normal(onp.shape(x))))
        for x in inputs
    )


def _check_jit(prog) -> None:
    program = prog.function()
    rng = onp.random.default_rng(0)
    cts = [rng.standard_normal(onp.shape(o)) for o in program(*prog.inputs)]

    def loss(*xs):
        total = 0.0
        for c, o in zip(cts, program(*xs)):
            if onp.shape(o) != c.shape:  # a shape read from the data (``x[x > 0]``) changed on moved inputs
                c = 0.5
            total = total + zymo.numpy.sum(c * o)
        return total

    argnums = tuple(range(len(prog.inputs)))
    vg = zymo.value_and_grad(loss, argnums=argnums)
    jv = zymo.jit(vg)
    for k in range(4):
        xs = prog.inputs if k == 0 else _moved(prog.inputs, k)
        if k and not runs_in_numpy(program, xs):
            continue  # a shape read from the data changed and the program fails in NumPy itself
        want = vg(*xs)
        got = jv(*xs)
        g_leaves, w_leaves = zymo.tree_flatten(got)[0], zymo.tree_flatten(want)[0]
        assert len(g_leaves) == len(w_leaves)
        for a, b in zip(g_leaves, w_leaves):
            assert _same(a, b), f"zymo.jit call {k} ({jv.stats}) differs from tracing:\n{a}\n{b}"


@settings(max_examples=int(os.environ.get("ZYMO_FUZZ_EXAMPLES", "300")) // 3, **_SETTINGS)
@given(programs(max_ops=10))
def test_random_programs_replayed_by_jit_match_tracing_bit_for_bit(prog):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow in moved inputs is fine: both sides see it
        _check_jit(prog)
