"""The activations the recurrent kernels apply: in place on plain arrays, and composable for reference code.

``IN_PLACE[name]`` is ``(apply, times_derivative)``: ``apply(a)`` overwrites
``a`` with the activation of ``a``; ``times_derivative(dz, a)`` multiplies
``dz`` in place by the derivative, given the activation's output ``a``.
``REFERENCE[name]`` computes the same function out of place, with operations
that also take traced values.
"""

from __future__ import annotations

import numpy as np

__all__ = ["IN_PLACE", "REFERENCE", "sigmoid_", "sigmoid"]


def sigmoid_(a: np.ndarray) -> np.ndarray:
    """In place: ``a <- 1 / (1 + exp(-a))`` written as ``0.5 tanh(a / 2) + 0.5`` (stable, one transcendental)."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def sigmoid(z):
    """``1 / (1 + exp(-z))`` as ``sigmoid_`` computes it, out of place."""
    return 0.5 * np.tanh(0.5 * z) + 0.5


def _tanh_(a):
    return np.tanh(a, out=a)


def _relu_(a):
    return np.maximum(a, 0, out=a)


def _identity_(a):
    return a


def _dtanh_(dz, a):  # dz *= 1 - a^2
    dz *= 1 - a * a
    return dz


def _dsigmoid_(dz, a):
    dz *= a * (1 - a)
    return dz


def _drelu_(dz, a):
    dz *= a > 0
    return dz


def _didentity_(dz, a):
    return dz


IN_PLACE = {
    "tanh": (_tanh_, _dtanh_),
    "sigmoid": (sigmoid_, _dsigmoid_),
    "relu": (_relu_, _drelu_),
    "identity": (_identity_, _didentity_),
}

REFERENCE = {
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "relu": lambda z: np.maximum(z, 0),
    "identity": lambda z: z,
}
