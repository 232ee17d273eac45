"""Truncated backpropagation through time with a zymo LSTM.

A long sequence is cut into chunks of ``K`` steps. Each chunk starts from the
state the previous chunk ended in, passed through ``zymo.stop_gradient``: the
forward computation is the same as running the whole sequence at once, but
gradients flow back at most ``K`` steps. To update after every chunk instead
(bounded memory on endless streams), differentiate one chunk per call and
carry the returned state into the next call the same way.

    python examples/truncated_bptt.py
"""

from __future__ import annotations

import numpy as np

import zymo
import zymo.nn as nn


class Model(nn.Module):
    """An LSTM followed by a linear read-out, predicting the next value of a signal."""

    def __init__(self, hidden: int, rng: np.random.Generator):
        self.lstm = nn.LSTM(1, hidden, return_state=True, rng=rng, dtype=np.float64)
        self.head = nn.Dense(hidden, 1, rng=rng, dtype=np.float64)

    def __call__(self, x, state):
        y, state = self.lstm(x, state)
        return self.head(y), state


def truncated_loss(model, xs, ys, K: int):
    """Mean squared error over the whole sequence, backpropagated at most ``K`` steps.

    The state crosses from one chunk to the next through ``zymo.stop_gradient``,
    so each chunk's loss differentiates only through its own ``K`` steps.
    """
    state = None
    total = 0.0
    T = xs.shape[1]
    for start in range(0, T, K):
        pred, state = model(xs[:, start : start + K], state)
        total = total + np.sum((pred - ys[:, start : start + K]) ** 2)
        state = zymo.stop_gradient(state)  # the truncation
    return total / ys.size


def train(steps: int = 600, K: int = 25, batch: int = 8, hidden: int = 16, epochs: int = 40, lr: float = 0.1):
    rng = np.random.default_rng(0)
    t = np.arange(steps + 1)
    phase = rng.uniform(0, 2 * np.pi, (batch, 1))
    signal = np.sin(0.1 * t + phase) + 0.5 * np.sin(0.031 * t + 2 * phase)
    xs, ys = signal[:, :-1, None], signal[:, 1:, None]
    model = Model(hidden, rng)
    grad_fn = zymo.value_and_grad(truncated_loss)
    losses = []
    for epoch in range(epochs):
        loss, g = grad_fn(model, xs, ys, K)
        model = zymo.tree_map(lambda p, d: p - lr * d, model, g)
        losses.append(float(loss))
        if epoch % 10 == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:3d}  loss {float(loss):.5f}")
    return model, losses


if __name__ == "__main__":
    train()
