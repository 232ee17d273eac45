"""Helpers for the linear-algebra, shape, indexing and construction rule tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from optree import tree_flatten

import zymo
from zymo.core.tracer import bottom
from zymo.testing import check_grads

__all__ = ["randn", "crandn", "spd", "well_conditioned", "check", "matmul_shapes", "same_float32_gradient"]


def randn(*shape, seed: int = 0, dtype=np.float64) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def crandn(*shape, seed: int = 0) -> np.ndarray:
    r = np.random.default_rng(seed)
    return r.standard_normal(shape) + 1j * r.standard_normal(shape)


def well_conditioned(*shape, seed: int = 0, dtype=np.float64) -> np.ndarray:
    """Square matrices (batched) far from singular."""
    return (randn(*shape, seed=seed) + 3 * np.eye(shape[-1])).astype(dtype)


def spd(*shape, seed: int = 0) -> np.ndarray:
    """Symmetric positive-definite matrices (batched)."""
    a = randn(*shape, seed=seed)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _leaves(tree):
    return tree_flatten(tree, none_is_leaf=True)[0]


def assert_traced_value_is_numpys(f, args) -> None:
    """``f`` run under differentiation gives exactly what it gives on plain arrays (plain NumPy)."""
    want = f(*args)
    seen = []

    def spy(*a):
        out = f(*a)
        seen.append(out)
        return out

    zymo.vjp(spy, *args)
    got = [bottom(x) for x in _leaves(seen[0])]
    want = _leaves(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_array_equal(g, w)


def check(f, args, order: int = 2, exact: bool = True, **kw) -> None:
    """NumPy's forward values bit for bit, and derivatives of both modes up to ``order`` against finite differences."""
    if exact:
        assert_traced_value_is_numpys(f, args)
    check_grads(f, args, order=order, modes=("fwd", "rev"), **kw)


def same_float32_gradient(f, args, rtol: float = 1e-3) -> None:
    """Float32 inputs give float32 gradients close to the float64 ones."""
    args32 = tuple(np.asarray(a, np.float32) for a in args)
    n = tuple(range(len(args)))
    g32 = zymo.grad(lambda *a: np.sum(f(*a)), argnums=n)(*args32)
    g64 = zymo.grad(lambda *a: np.sum(f(*a)), argnums=n)(*args)
    for a, b in zip(g32, g64):
        assert b is None or np.asarray(a).dtype == np.float32
        if b is not None:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


@st.composite
def matmul_shapes(draw):
    """Operand shapes for matmul: every 1-D/2-D/batched combination, batch axes broadcast."""
    n, k, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch = draw(st.lists(st.integers(1, 2), max_size=2))
    a_batch = [draw(st.sampled_from([b, 1])) for b in batch][draw(st.integers(0, len(batch))) :]
    b_batch = [draw(st.sampled_from([b, 1])) for b in batch][draw(st.integers(0, len(batch))) :]
    a = (k,) if draw(st.booleans()) else tuple(a_batch) + (n, k)
    b = (k,) if draw(st.booleans()) else tuple(b_batch) + (k, m)
    return a, b
