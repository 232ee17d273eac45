"""Train a neural ODE: a small network ``f`` such that ``dy/dt = f(y)`` reproduces an observed trajectory.

The trajectory comes from a damped spiral. ``zymo.scipy.integrate.odeint``
solves the ODE with SciPy's solver; its gradient with respect to the network's
weights comes from the adjoint method (SciPy integrates the adjoint system
backward), so memory does not grow with the number of solver steps. The
weights travel through ``args=``: the solver differentiates what it is given.

    python examples/neural_ode.py
"""

from __future__ import annotations

import numpy as np

import zymo
from zymo.scipy.integrate import odeint

TRUE_A = np.array([[-0.1, 2.0], [-2.0, -0.1]])
Y0 = np.array([2.0, 0.0])
TIMES = np.linspace(0.0, 1.5, 16)
TOLERANCES = {"rtol": 1e-6, "atol": 1e-8}


def spiral(y, t):
    return (y**3) @ TRUE_A


def dynamics(y, t, w1, b1, w2):
    """The network: one hidden tanh layer on ``y**3``."""
    return np.tanh((y**3) @ w1 + b1) @ w2


def loss(params, observed):
    predicted = odeint(dynamics, Y0, TIMES, args=tuple(params), **TOLERANCES)
    return np.mean((predicted - observed) ** 2)


def train(steps: int = 40, hidden: int = 16, lr: float = 0.02, seed: int = 0) -> list[float]:
    """Fit the network with Adam; returns the loss before each step and after the last."""
    observed = odeint(spiral, Y0, TIMES, **TOLERANCES)
    rng = np.random.default_rng(seed)
    params = [0.3 * rng.standard_normal((2, hidden)), np.zeros(hidden), 0.3 * rng.standard_normal((hidden, 2))]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    value_and_grad = zymo.value_and_grad(loss)
    losses = []
    for step in range(1, steps + 1):
        value, grads = value_and_grad(params, observed)
        losses.append(float(value))
        for i, g in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            params[i] = params[i] - lr * (m[i] / (1 - 0.9**step)) / (np.sqrt(v[i] / (1 - 0.999**step)) + 1e-8)
    losses.append(float(loss(params, observed)))
    return losses


if __name__ == "__main__":
    losses = train()
    print(f"neural ODE: loss {losses[0]:.4f} -> {losses[-1]:.4f} in {len(losses) - 1} Adam steps")
