"""Train a hand-written recurrent network with ``zymo.jit``: traced twice, then replayed.

The loss writes its outputs into a preallocated buffer (``Y[t] = h``), which
``zymo.jit`` replays like any other operation. The script checks that the
replayed gradients equal the traced ones bit for bit, then trains with both and
compares the time per step.

Run: ``python examples/replay_with_jit.py``
"""

import time

import numpy as onp

import zymo
import zymo.numpy as np


def loss(p, xs, targets):
    """Elman network over the steps of ``xs``; outputs written into a buffer; mean squared error."""
    h = np.zeros((xs.shape[1], p["Wh"].shape[0]))
    Y = np.zeros(targets.shape)
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ p["Wi"].T + h @ p["Wh"].T + p["b"])
        Y[t] = h @ p["Wo"].T
    return np.mean((Y - targets) ** 2)


def batches(rng, steps=20, batch=16):
    """Noisy sine waves; the task is to predict the next value."""
    phase = rng.uniform(0, 2 * onp.pi, (1, batch, 1))
    t = onp.arange(steps + 1)[:, None, None] * 0.3 + phase
    wave = onp.sin(t) + 0.05 * rng.standard_normal(t.shape)
    return wave[:-1], wave[1:]


def train(step_fn, p, rng, iterations=60, lr=0.05):
    start = time.perf_counter()
    for _ in range(iterations):
        value, grads = step_fn(p, *batches(rng))
        for k in p:
            p[k] -= lr * grads[k]
    return float(value), (time.perf_counter() - start) / iterations


def main() -> None:
    rng = onp.random.default_rng(0)
    hidden = 16
    init = {
        "Wi": rng.standard_normal((hidden, 1)) * 0.5,
        "Wh": rng.standard_normal((hidden, hidden)) * 0.2,
        "b": onp.zeros(hidden),
        "Wo": rng.standard_normal((1, hidden)) * 0.2,
    }
    traced = zymo.value_and_grad(loss)
    replayed = zymo.jit(traced)

    xs, targets = batches(rng)
    for _ in range(3):
        got = replayed(init, xs, targets)
    want = traced(init, xs, targets)
    same = all(onp.array_equal(got[1][k], want[1][k]) for k in init) and got[0] == want[0]
    print(f"replayed gradient equals the traced one bit for bit: {same}")

    results = {}
    for name, fn in (("value_and_grad", traced), ("zymo.jit", replayed)):
        p = {k: v.copy() for k, v in init.items()}
        results[name] = train(fn, p, onp.random.default_rng(1))
        final, per_step = results[name]
        print(f"{name:15s} final loss {final:.4f}  {per_step * 1e3:.2f} ms per step")
    print(f"zymo.jit calls: {replayed.stats}")


if __name__ == "__main__":
    main()
