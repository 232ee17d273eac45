"""Shared hypothesis strategies for the NumPy rule tests.

Import them as ``from tests.numpy.conftest import shapes, broadcastable_shapes, arrays``.
Values are drawn from a seeded generator inside each function's domain, so
finite differences stay accurate (no ties at kinks, no points near a pole).
"""

from __future__ import annotations

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

__all__ = [
    "FAST",
    "shapes",
    "broadcastable_shapes",
    "arrays",
    "array_tuples",
    "complex_arrays",
    "axes_for",
    "check_complex_grads",
]

# Rule tests check derivatives up to second order in both modes: few, small examples suffice.
FAST = settings(max_examples=6, deadline=None, derandomize=True)


def shapes(min_dims: int = 0, max_dims: int = 3, max_side: int = 3) -> st.SearchStrategy[tuple]:
    """Array shapes, 0-d included by default."""
    return array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, max_dims: int = 3, max_side: int = 3) -> st.SearchStrategy[tuple]:
    """``num_shapes`` shapes that broadcast together (some 0-d, some with size-1 axes)."""
    return mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=0, max_dims=max_dims, min_side=1, max_side=max_side
    ).map(lambda bs: bs.input_shapes)


def arrays(shape: tuple, low: float = -2.0, high: float = 2.0, dtype=np.float64) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``shape`` with values uniform in ``[low, high]``, from a drawn seed."""
    return st.integers(0, 2**32 - 1).map(
        lambda seed: np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)
    )


def array_tuples(shapes_: tuple, domains: tuple, dtype=np.float64) -> st.SearchStrategy[tuple]:
    """One array per shape, values uniform in its ``(low, high)`` domain, all from one drawn seed (never equal)."""

    def make(seed):
        rng = np.random.default_rng(seed)
        return tuple(rng.uniform(lo, hi, shape).astype(dtype) for shape, (lo, hi) in zip(shapes_, domains))

    return st.integers(0, 2**32 - 1).map(make)


def complex_arrays(shape: tuple, radius: float = 1.5) -> st.SearchStrategy[np.ndarray]:
    """complex128 arrays of ``shape``, real and imaginary parts uniform in ``[-radius, radius]``."""

    def make(seed):
        rng = np.random.default_rng(seed)
        return rng.uniform(-radius, radius, shape) + 1j * rng.uniform(-radius, radius, shape)

    return st.integers(0, 2**32 - 1).map(make)


def axes_for(ndim: int) -> st.SearchStrategy:
    """A reduction ``axis`` argument valid for ``ndim`` dimensions: None, an int (maybe negative) or a tuple."""
    if ndim == 0:
        return st.none()
    ints = st.integers(-ndim, ndim - 1)
    tuples = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)
    return st.one_of(st.none(), ints, tuples)


def _leaves(tree) -> list:
    return list(tree) if isinstance(tree, (tuple, list)) else [tree]


def _random_direction(x, rng):
    x = np.asarray(x)
    d = rng.standard_normal(x.shape)
    if x.dtype.kind == "c":
        d = d + 1j * rng.standard_normal(x.shape)
    return d.astype(x.dtype) if x.dtype.kind in "fc" else d


def check_complex_grads(f, args, order: int = 2, eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-6, seed=0):
    """Like ``zymo.testing.check_grads`` for real or complex inputs and outputs, under JAX's convention.

    Forward mode must match the central difference ``(f(a + eps v) - f(a - eps v)) / 2 eps`` along a random
    (complex where the input is) direction ``v``; reverse mode must satisfy
    ``Re <u, J v> == Re <vjp(u), v>`` with the bilinear pairing ``<a, b> = sum(a * b)``.
    """
    import zymo

    rng = np.random.default_rng(seed)
    args = tuple(np.asarray(a) for a in args)
    v = tuple(_random_direction(a, rng) for a in args)
    plus = _leaves(f(*[a + eps * d for a, d in zip(args, v)]))
    minus = _leaves(f(*[a - eps * d for a, d in zip(args, v)]))
    fd = [(np.asarray(p) - np.asarray(m)) / (2 * eps) for p, m in zip(plus, minus)]
    _, jv = zymo.jvp(f, args, v)
    for got, want in zip(_leaves(jv), fd):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"forward mode, order {order}")
    out, back = zymo.vjp(f, *args)
    u = [_random_direction(o, rng) for o in _leaves(out)]
    vj = back(tuple(u) if isinstance(out, (tuple, list)) else u[0])
    lhs = sum(np.real(np.sum(a * b)) for a, b in zip(u, fd))
    rhs = sum(np.real(np.sum(np.asarray(a) * b)) for a, b in zip(vj, v))
    assert np.isclose(lhs, rhs, rtol=10 * rtol, atol=10 * atol), f"reverse mode, order {order}: {lhs} != {rhs}"
    for a, g in zip(args, vj):
        assert np.asarray(g).dtype == a.dtype, f"gradient dtype {np.asarray(g).dtype} for input dtype {a.dtype}"
    if order > 1:
        u0 = tuple(u) if isinstance(out, (tuple, list)) else u[0]
        check_complex_grads(lambda *a: zymo.vjp(f, *a)[1](u0), args, order - 1, eps, rtol, atol, seed + 1)
        check_complex_grads(lambda *a: zymo.jvp(f, a, v)[1], args, order - 1, eps, rtol, atol, seed + 1)
