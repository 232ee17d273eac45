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

__all__ = ["FAST", "shapes", "broadcastable_shapes", "arrays", "complex_arrays", "axes_for"]

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
