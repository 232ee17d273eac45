"""Nested differentiation: every mode combination, any order, mutation/lists/concatenation inside."""

import itertools

import numpy as onp
import pytest

import zymo
import zymo.numpy as znp
from zymo.testing import check_grads


def rev(f):
    return zymo.grad(f)


def fwd(f):
    return lambda x: zymo.jvp(f, (x,), (1.0,))[1]


MODES = {"rev": rev, "fwd": fwd}


def program(x):
    """``sin(x) x^2 + exp(x)``, written with a buffer, ``+=``, a list and concatenation from []."""
    buf = znp.zeros(3)
    buf[0] = znp.sin(x)
    buf[1] = x * x
    buf[2] = znp.exp(x)
    acc = znp.zeros(())
    acc += buf[0] * buf[1]
    parts = []
    parts.append(acc)
    parts = parts + [buf[2]]
    y = znp.concatenate([[], znp.stack(parts)])
    return znp.sum(y)


def derivative(n, x):
    """The exact ``n``-th derivative of ``program``."""
    s, c, e = onp.sin(x), onp.cos(x), onp.exp(x)
    return [
        s * x**2 + e,
        c * x**2 + 2 * x * s + e,
        -(x**2) * s + 4 * x * c + 2 * s + e,
        -(x**2) * c - 6 * x * s + 6 * c + e,
        x**2 * s - 8 * x * c - 12 * s + e,
    ][n]


def _compose(modes, f):
    for m in reversed(modes):
        f = MODES[m](f)
    return f


@pytest.mark.parametrize("outer,inner", list(itertools.product(MODES, MODES)))
def test_no_perturbation_confusion(outer, inner):
    def f(x):
        return x * MODES[inner](lambda y: x + y)(1.0)

    for x0 in (0.0, 2.5):
        assert MODES[outer](f)(x0) == pytest.approx(1.0, abs=0)


@pytest.mark.parametrize("outer,inner", list(itertools.product(MODES, MODES)))
def test_inner_derivative_closing_over_outer_variable(outer, inner):
    # d/dx [x * d/dy (x * y)] = d/dx x^2 = 2x
    def f(x):
        return x * MODES[inner](lambda y: x * y)(3.0)

    assert MODES[outer](f)(1.5) == pytest.approx(3.0, rel=1e-14)


@pytest.mark.parametrize("modes", list(itertools.product(MODES, repeat=2)), ids="-".join)
def test_second_order_through_mutation_lists_and_concatenation(modes):
    assert _compose(modes, program)(0.7) == pytest.approx(derivative(2, 0.7), rel=1e-12)


@pytest.mark.parametrize("modes", list(itertools.product(MODES, repeat=3)), ids="-".join)
def test_third_order_in_every_combination(modes):
    assert _compose(modes, program)(0.7) == pytest.approx(derivative(3, 0.7), rel=1e-12)


FOURTH = [("rev",) * 4, ("fwd",) * 4, ("rev", "fwd", "rev", "fwd"), ("fwd", "rev", "fwd", "rev")]


@pytest.mark.parametrize("modes", FOURTH, ids="-".join)
def test_fourth_order(modes):
    assert _compose(modes, program)(-0.4) == pytest.approx(derivative(4, -0.4), rel=1e-11)


def vector_program(x, w):
    """A recurrent loop writing rows of a buffer and growing an array by concatenation."""
    buf = znp.zeros((3, x.shape[0]))
    h = x
    grown = []
    for t in range(3):
        h = znp.tanh(w * h + 0.1 * t)
        buf[t] = h
        grown = znp.concatenate([grown, h[:1]])
    buf[1] += grown[0] * h
    return znp.sum(buf**2) + znp.sum(grown)


def test_vector_program_checks_to_third_order_in_both_modes():
    x = onp.array([0.2, -0.5, 0.9])
    check_grads(vector_program, (x, 0.8), order=3)


def test_hessian_of_vector_program_is_symmetric_and_matches_hvp():
    x = onp.array([0.2, -0.5, 0.9])
    h = zymo.hessian(lambda x: vector_program(x, 0.8))(x)
    v = onp.array([1.0, -2.0, 0.5])
    (hv,) = zymo.hvp(lambda x: vector_program(x, 0.8), (x,), (v,))
    assert onp.allclose(h, h.T, atol=1e-12)
    assert onp.allclose(h @ v, hv, atol=1e-12)


def test_gradient_of_jvp_with_respect_to_a_different_variable():
    x = onp.array([0.2, -0.5, 0.9])

    def directional(w):
        return zymo.jvp(lambda x: vector_program(x, w), (x,), (onp.ones(3),))[1]

    eps = 1e-6
    want = (directional(0.8 + eps) - directional(0.8 - eps)) / (2 * eps)
    assert zymo.grad(directional)(0.8) == pytest.approx(want, rel=1e-7)
    assert fwd(directional)(0.8) == pytest.approx(want, rel=1e-7)


def _custom_affine():
    @zymo.custom_vjp
    def affine(a, b):
        return a * b + a

    affine.defvjp(lambda a, b: (affine(a, b), (a, b)), lambda r, g: (g * (r[1] + 1), g * r[0]))
    return affine


@pytest.mark.parametrize("wrap", ["checkpoint", "custom_vjp"])
@pytest.mark.parametrize("outer,inner", list(itertools.product(MODES, MODES)))
def test_no_perturbation_confusion_through_checkpoint_and_custom_rules(outer, inner, wrap):
    g = zymo.checkpoint(lambda a, b: a * b + a) if wrap == "checkpoint" else _custom_affine()

    # d/dx [x * d/dy (x y + x)] = d/dx x^2 = 2x
    def f(x):
        return x * MODES[inner](lambda y: g(x, y))(3.0)

    assert MODES[outer](f)(1.5) == pytest.approx(3.0, rel=1e-14)
