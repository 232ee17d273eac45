"""The acceptance losses under forward mode and at second order (Hessian-vector products)."""

import numpy as onp
import pytest

import zymo
from zymo.acceptance import all_cases
from zymo.core.pytree import tree_map
from zymo.testing import max_relative_error

CASES = all_cases()
IDS = [c.name for c in CASES]


def _double(tree):
    return tree_map(lambda x: x.astype(onp.float64) if isinstance(x, onp.ndarray) else x, tree)


def _random_direction(tree, rng):
    return tree_map(lambda x: rng.standard_normal(onp.shape(x)).astype(onp.asarray(x).dtype), tree)


def _axpy(a, d, tree):
    return tree_map(lambda x, v: x + a * v, tree, d)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_mode_matches_directional_finite_differences(case):
    rng = onp.random.default_rng(0)
    args = _double(case.args)
    direction = _random_direction(args, rng)
    value, tangent = zymo.jvp(case.loss, args, direction)
    assert value == case.loss(*args)
    eps = 1e-6
    fd = (case.loss(*_axpy(eps, direction, args)) - case.loss(*_axpy(-eps, direction, args))) / (2 * eps)
    assert tangent == pytest.approx(fd, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_mode_value_equals_plain_numpy_in_the_input_dtype(case):
    tangents = tree_map(onp.zeros_like, case.args)
    value, _ = zymo.jvp(case.loss, case.args, tangents)
    assert onp.asarray(value) == onp.asarray(case.loss(*case.args))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hessian_vector_product_in_the_weights_matches_finite_differences_of_the_gradient(case):
    rng = onp.random.default_rng(1)
    args = _double(case.args)
    p, rest = args[0], args[1:]
    tp = _random_direction(p, rng)
    zeros = tuple(tree_map(onp.zeros_like, a) for a in rest)
    hv = zymo.hvp(case.loss, args, (tp, *zeros))[0]
    grad_p = zymo.grad(case.loss)
    eps = 1e-5
    gp, gm = grad_p(_axpy(eps, tp, p), *rest), grad_p(_axpy(-eps, tp, p), *rest)
    fd = tree_map(lambda a, b: (a - b) / (2 * eps), gp, gm)
    assert max_relative_error(hv, fd) < 1e-6


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_reverse_over_reverse_hessian_vector_product_equals_forward_over_reverse(case):
    import zymo.numpy as znp

    rng = onp.random.default_rng(2)
    args = _double(case.args)
    p, rest = args[0], args[1:]
    tp = _random_direction(p, rng)

    def directional_grad(q):
        g = zymo.grad(case.loss)(q, *rest)
        return sum(znp.sum(a * b) for a, b in zip(zymo.tree_leaves(g), zymo.tree_leaves(tp)))

    rr = zymo.grad(directional_grad)(p)
    fr = zymo.hvp(case.loss, args, (tp, *(tree_map(onp.zeros_like, a) for a in rest)))[0]
    assert max_relative_error(rr, fr) < 1e-12
