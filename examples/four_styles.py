"""One recurrent loss written four ways, differentiated by zymo, checked against finite differences.

Run: ``python examples/four_styles.py``
"""

import numpy as onp

import zymo
import zymo.numpy as np
from zymo.testing import max_relative_error, numerical_grad


def cell(p, x, h):
    h = np.tanh(x @ p["Wi"].T + h @ p["Wh"].T + p["b"])
    return h, h


def thread_state(p, xs, h):
    for x_t in xs:
        _, h = cell(p, x_t, h)
    return np.mean(h)


def comprehension(p, xs, h):
    y = [cell(p, x_t, h)[0] for x_t in xs]
    return sum(np.mean(y_t) for y_t in y)


def splat(p, xs, h):
    y = []
    for x_t in xs:
        y_t, h = cell(p, x_t, h)
        y = [*y, y_t]
    return sum(np.mean(y_t) for y_t in y)


def concat_then_stack(p, xs, h):
    y = []
    for x_t in xs:
        y_t, h = cell(p, x_t, h)
        y = y + [y_t]
    return np.mean(np.stack(y, axis=1) ** 2)


def main() -> None:
    rng = onp.random.default_rng(0)
    p = {"Wi": rng.standard_normal((5, 3)), "Wh": rng.standard_normal((5, 5)) * 0.5, "b": onp.zeros(5)}
    xs = [rng.standard_normal((4, 3)) for _ in range(6)]
    h = onp.zeros(5)
    for loss in (thread_state, comprehension, splat, concat_then_stack):
        value, grads = zymo.withgradient(loss, p, xs, h)
        err = max_relative_error(grads, numerical_grad(loss, (p, xs, h)))
        print(f"{loss.__name__:18s} loss {float(value):+.6f}  gradient error vs finite differences {err:.1e}")


if __name__ == "__main__":
    main()
