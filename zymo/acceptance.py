"""The recurrent-loss acceptance cases: one loss written in every imperative style.

Each style is a function ``loss(cell, p, xs, h)`` of a cell (``elman``,
``lstm`` or ``gru``, written in plain NumPy style), its parameters ``p`` (a
dict), a Python list ``xs`` of inputs and an initial state ``h``.
``run_case`` differentiates it with respect to everything at once and
compares with central finite differences in float64; ``python -m zymo check``
prints the table.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as onp

import zymo.numpy as np

__all__ = ["CELLS", "STYLES", "VARIATIONS", "Case", "all_cases", "run_case", "make_problem"]


# --- cells (plain NumPy style: `np` here is zymo.numpy, which is NumPy on plain arrays) ---
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _affine(p, x, h):
    z = x @ p["Wi"].T + h @ p["Wh"].T
    if "b" in p:
        z = z + p["b"]
    return z


def elman(p, x, h):
    """``h' = tanh(x Wi^T + h Wh^T + b)``; returns ``(h', h')``."""
    h = np.tanh(_affine(p, x, h))
    return h, h


def lstm(p, x, state):
    """An LSTM cell with gates ``i, f, g, o`` stacked in ``Wi``/``Wh``/``b``; state ``(h, c)``."""
    h, c = state
    z = _affine(p, x, h)
    n = z.shape[-1] // 4
    i, f, g, o = (
        sigmoid(z[..., :n]),
        sigmoid(z[..., n : 2 * n]),
        np.tanh(z[..., 2 * n : 3 * n]),
        sigmoid(z[..., 3 * n :]),
    )
    c = f * c + i * g
    h = o * np.tanh(c)
    return h, (h, c)


def gru(p, x, h):
    """A GRU cell with gates ``r, z, n`` stacked in ``Wi``/``Wh``/``b``."""
    gi = x @ p["Wi"].T
    gh = h @ p["Wh"].T
    if "b" in p:
        gi = gi + p["b"]
    n = gi.shape[-1] // 3
    r = sigmoid(gi[..., :n] + gh[..., :n])
    z = sigmoid(gi[..., n : 2 * n] + gh[..., n : 2 * n])
    cand = np.tanh(gi[..., 2 * n :] + r * gh[..., 2 * n :])
    h = (1 - z) * cand + z * h
    return h, h


CELLS = {"elman": (elman, 1), "lstm": (lstm, 4), "gru": (gru, 3)}


def _h(state):
    return state[0] if isinstance(state, tuple) else state


def _out_shape(xs, h, hidden):
    return onp.broadcast_shapes(onp.shape(xs[0])[:-1] + (hidden,), onp.shape(_h(h)))


# --- the styles -----------------------------------------------------------------------------
def style1_thread(cell, p, xs, h):
    state = h
    for x_t in xs:
        _, state = cell(p, x_t, state)
    return np.mean(_h(state))


def style2_comprehension(cell, p, xs, h):
    y = [cell(p, x_t, h)[0] for x_t in xs]
    return sum(np.mean(y_t) for y_t in y)


def style3_splat(cell, p, xs, h):
    y = []
    state = h
    for x_t in xs:
        y_t, state = cell(p, x_t, state)
        y = [*y, y_t]
    return sum(np.mean(y_t) for y_t in y)


def style4_concat_stack(cell, p, xs, h):
    y = []
    state = h
    for x_t in xs:
        y_t, state = cell(p, x_t, state)
        y = y + [y_t]
    Y = np.stack(y, axis=1)
    return np.mean(Y**2)


def style5_buffer(cell, p, xs, h):
    hidden = p["Wh"].shape[1]
    Y = np.zeros((len(xs),) + _out_shape(xs, h, hidden), dtype=p["Wh"].dtype)
    state = h
    for t, x_t in enumerate(xs):
        y_t, state = cell(p, x_t, state)
        Y[t] = y_t
    return np.mean(Y**2)


def style6_inplace_accumulate(cell, p, xs, h):
    hidden = p["Wh"].shape[1]
    acc = np.zeros(_out_shape(xs, h, hidden), dtype=p["Wh"].dtype)
    state = h
    for x_t in xs:
        y_t, state = cell(p, x_t, state)
        acc += y_t
    return np.mean(acc)


def style7_append(cell, p, xs, h):
    y = []
    state = h
    for x_t in xs:
        y_t, state = cell(p, x_t, state)
        y.append(y_t)
    return np.mean(np.stack(y) ** 2)


def style7_extend(cell, p, xs, h):
    y = []
    state = h
    for x_t in xs:
        y_t, state = cell(p, x_t, state)
        y.extend([y_t])
    return np.mean(np.stack(y) ** 2)


def style7_insert(cell, p, xs, h):
    y = []
    state = h
    for t, x_t in enumerate(xs):
        y_t, state = cell(p, x_t, state)
        y.insert(0, y_t * (t + 1))
    return np.mean(np.stack(y) ** 2)


def style7_np_append(cell, p, xs, h):
    hidden = p["Wh"].shape[1]
    Y = np.empty((0,) + _out_shape(xs, h, hidden))
    state = h
    for x_t in xs:
        y_t, state = cell(p, x_t, state)
        Y = np.append(Y, y_t[None], axis=0)
    return np.mean(Y**2)


def style7_vstack(cell, p, xs, h):
    Y = None
    state = h
    for x_t in xs:
        y_t, state = cell(p, x_t, state)
        row = y_t.reshape(1, -1)
        Y = row if Y is None else np.vstack([Y, row])
    return np.mean(Y**2)


def style7_hstack(cell, p, xs, h):
    Y = np.array([])
    state = h
    for x_t in xs:
        y_t, state = cell(p, x_t, state)
        Y = np.hstack([Y, y_t.ravel()])
    return np.mean(Y**2)


def style7_concatenate(cell, p, xs, h):
    Y = []
    state = h
    for x_t in xs:
        y_t, state = cell(p, x_t, state)
        Y = np.concatenate([Y, y_t.ravel()])
    return np.mean(Y**2)


def style8_copyto(cell, p, xs, h):
    hidden = p["Wh"].shape[1]
    buf = np.zeros(_out_shape(xs, h, hidden), dtype=p["Wh"].dtype)
    state = h
    total = 0.0
    for x_t in xs:
        y_t, state = cell(p, x_t, state)
        np.copyto(buf, y_t)
        total = total + np.mean(buf * buf)
    return total


def style8_ellipsis_write(cell, p, xs, h):
    hidden = p["Wh"].shape[1]
    buf = np.zeros(_out_shape(xs, h, hidden), dtype=p["Wh"].dtype)
    state = h
    total = 0.0
    for x_t in xs:
        y_t, state = cell(p, x_t, state)
        buf[...] = y_t
        total = total + np.mean(buf * buf)
    return total


STYLES: dict[str, Callable] = {
    "1 thread state": style1_thread,
    "2 comprehension": style2_comprehension,
    "3 splat [*y, y_t]": style3_splat,
    "4 y + [y_t], stack": style4_concat_stack,
    "5 buffer Y[t] = h": style5_buffer,
    "6 acc += h": style6_inplace_accumulate,
    "7 list.append": style7_append,
    "7 list.extend": style7_extend,
    "7 list.insert": style7_insert,
    "7 np.append": style7_np_append,
    "7 np.vstack": style7_vstack,
    "7 np.hstack": style7_hstack,
    "7 np.concatenate": style7_concatenate,
    "8 np.copyto": style8_copyto,
    "8 buf[...] = h": style8_ellipsis_write,
}


def simple_loss(x):
    """The minimal reproducer: grow a 1-D array by concatenation from an empty list."""
    y = []
    for x_t in x:
        y = np.concatenate([y, [x_t]])
    return np.mean(y[-1])


# --- problems and variations -----------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Variation:
    name: str
    cell: str = "elman"
    batched_x: bool = True
    batched_h: bool = False
    bias: bool = True
    dtype: str = "float32"
    steps: int = 6
    learned_h0: bool = False
    twice: bool = False


VARIATIONS = [
    Variation("default"),
    Variation("unbatched x", batched_x=False),
    Variation("batched h", batched_h=True),
    Variation("no bias", bias=False),
    Variation("float64", dtype="float64"),
    Variation("T=1", steps=1),
    Variation("lstm", cell="lstm"),
    Variation("gru", cell="gru"),
    Variation("learned h0", learned_h0=True),
    Variation("cell twice", twice=True),
]


def make_problem(v: Variation, seed: int = 0, n_in: int = 3, hidden: int = 5, batch: int = 4):
    """Parameters, inputs and initial state for a variation (NumPy arrays of ``v.dtype``)."""
    rng = onp.random.default_rng(seed)
    dt = onp.dtype(v.dtype)
    gates = CELLS[v.cell][1]
    p = {
        "Wi": (rng.standard_normal((gates * hidden, n_in)) * 0.5).astype(dt),
        "Wh": (rng.standard_normal((gates * hidden, hidden)) * 0.5).astype(dt),
    }
    if v.bias:
        p["b"] = (rng.standard_normal(gates * hidden) * 0.1).astype(dt)
    xshape = (batch, n_in) if v.batched_x else (n_in,)
    xs = [rng.standard_normal(xshape).astype(dt) for _ in range(v.steps)]
    hshape = (batch, hidden) if v.batched_h else (hidden,)
    h = (rng.standard_normal(hshape) * 0.5).astype(dt)
    if v.cell == "lstm":
        h = (h, (rng.standard_normal(hshape) * 0.5).astype(dt))
    return p, xs, h


@dataclasses.dataclass
class Case:
    name: str
    loss: Callable  # loss(*args) -> scalar
    args: tuple
    tolerance: float


def _bind(style, v: Variation):
    cell = CELLS[v.cell][0]

    if v.learned_h0:

        def loss(p, xs):
            q = {k: w for k, w in p.items() if k != "h0"}
            return style(cell, q, xs, p["h0"])

    elif v.twice:

        def loss(p, xs, h):
            return style(cell, p, xs, h) + style(cell, p, xs[::-1], h)

    else:

        def loss(p, xs, h):
            return style(cell, p, xs, h)

    return loss


def all_cases() -> list[Case]:
    """Every style under every variation, plus the minimal reproducer."""
    cases = []
    for v in VARIATIONS:
        p, xs, h = make_problem(v)
        tol = 1e-3 if v.dtype == "float32" else 1e-6
        for sname, style in STYLES.items():
            if v.learned_h0:
                args = ({**p, "h0": h}, xs)
            else:
                args = (p, xs, h)
            cases.append(Case(f"{sname} | {v.name}", _bind(style, v), args, tol))
    x = onp.random.default_rng(1).standard_normal(10)
    cases.append(Case("reproducer concatenate([y, [x_t]])", simple_loss, (x,), 1e-6))
    return cases


def run_case(case: Case) -> tuple[float, bool, str]:
    """``(max relative error, ok, message)`` of zymo's gradient against finite differences.

    The case also fails if ``zymo.jit`` does not replay it with the traced call's results, bit for bit.
    """
    import zymo
    from zymo.testing import max_relative_error, numerical_grad

    try:
        value, grads = zymo.withgradient(case.loss, *case.args)
        want_value = case.loss(*case.args)
        if onp.asarray(value) != onp.asarray(want_value):
            return float("inf"), False, "traced forward value differs from plain NumPy's"
        fd = numerical_grad(case.loss, case.args)
        err = max_relative_error(grads, fd)
        replay = _replay_check(case, value, grads)
    except Exception as e:  # reported in the table, not raised
        return float("inf"), False, f"{type(e).__name__}: {e}"
    if replay is not None:
        return err, False, replay
    return err, err <= case.tolerance, ""


def _replay_check(case: Case, value, grads) -> str | None:
    """``None`` when ``zymo.jit``'s replayed call gives the traced call's results bit for bit."""
    import zymo

    jitted = zymo.jit(zymo.value_and_grad(case.loss, argnums=tuple(range(len(case.args)))))
    for _ in range(3):  # two recordings, then a replay
        got_value, got_grads = jitted(*case.args)
    if jitted.stats["replays"] != 1:
        return f"zymo.jit did not replay: {sorted(jitted.reasons)}"
    got = zymo.tree_flatten((got_value, got_grads))[0]
    want = zymo.tree_flatten((value, grads))[0]
    if len(got) != len(want) or not all(onp.array_equal(a, b) for a, b in zip(got, want)):
        return "zymo.jit's replayed gradient differs from the traced one"
    return None
