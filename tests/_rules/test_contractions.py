"""``matmul`` of a stack of matrices by one matrix: its reverse rule as one product over all rows."""

from __future__ import annotations

import numpy as np
import pytest

import zymo
from zymo.testing import check_grads


@pytest.mark.parametrize("stack", [(3,), (2, 3)], ids=["3-D", "4-D"])
def test_stack_times_matrix_derivatives_match_finite_differences(stack):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((*stack, 4, 5)), rng.standard_normal((5, 2))
    check_grads(np.matmul, (a, b), order=2)


def test_stack_times_matrix_cotangents_equal_the_per_matrix_products_summed():
    rng = np.random.default_rng(1)
    a, b, g = rng.standard_normal((3, 4, 5)), rng.standard_normal((5, 2)), rng.standard_normal((3, 4, 2))
    ga, gb = zymo.grad(lambda a, b: np.sum(np.matmul(a, b) * g), argnums=(0, 1))(a, b)
    assert np.allclose(ga, g @ b.T, rtol=1e-13) and ga.shape == a.shape
    assert np.allclose(gb, sum(a[i].T @ g[i] for i in range(3)), rtol=1e-13) and gb.shape == b.shape


@pytest.mark.parametrize("a_shape, b_shape", [((2, 0, 3), (3, 2)), ((2, 3, 0), (0, 2)), ((0, 3, 4), (4, 2))])
def test_stack_times_matrix_with_an_empty_axis_has_gradients_of_the_arguments_shapes(a_shape, b_shape):
    a, b = np.ones(a_shape), np.ones(b_shape)
    ga, gb = zymo.grad(lambda a, b: np.sum(np.matmul(a, b)), argnums=(0, 1))(a, b)
    assert ga.shape == a_shape and gb.shape == b_shape and not np.any(gb)


def test_matrix_times_matrix_inside_a_second_derivative_keeps_an_empty_axis():
    x = np.ones((3, 0))
    hessian_vector = zymo.grad(lambda x: np.sum(zymo.grad(lambda y: np.sum(np.tanh(y.T @ y)))(x) ** 2))(x)
    assert hessian_vector.shape == (3, 0)
