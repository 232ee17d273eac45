"""Recurrent gradients side by side: zymo, PyTorch eager, JAX, HIPS autograd and hand-written NumPy.

For acceptance styles 1 (thread the state) and 4 (grow a list, stack, mean of
squares) with an Elman cell, and for zymo's ``RNN``/``LSTM``/``GRU`` layers
(loss ``mean(layer(X) ** 2)``), prints the median time of one
value-and-gradient call with respect to every parameter, input and initial
state, the peak memory of one call (NumPy allocations, via tracemalloc;
PyTorch and JAX allocate outside it), and the ratio zymo/peer. Everything is
float32 and runs in one process under the same thread limits.

    python benchmarks/rnn_grad.py [--quick] [--threads 1] [--cases style1 style4 RNN LSTM GRU]
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import _common  # noqa: E402

_common.unset_openblas_tuning()

import numpy as np  # noqa: E402

import zymo  # noqa: E402
import zymo.numpy as znp  # noqa: E402
from zymo.acceptance import Variation, elman, make_problem, style1_thread, style4_concat_stack  # noqa: E402

SIZES = [(3, 5, 6, 4), (64, 128, 50, 32), (256, 512, 100, 64)]  # (inputs, hidden, steps, batch)
QUICK_SIZES = [(3, 5, 6, 4), (16, 32, 10, 8)]
STYLES = ("style1", "style4")
LAYERS = ("RNN", "LSTM", "GRU")


# --- problems ------------------------------------------------------------------------------
def style_problem(n_in, hidden, steps, batch):
    """Elman parameters, a list of ``steps`` inputs ``(batch, n_in)`` and an unbatched state, float32.

    Weights are scaled by ``1/sqrt(fan_in)`` (PyTorch's scale) so the recurrence is not chaotic and every
    engine's float32 loss agrees, which the run checks.
    """
    p, xs, h = make_problem(Variation("bench", steps=steps), n_in=n_in, hidden=hidden, batch=batch)
    p = {k: (v * (2.0 / np.sqrt(v.shape[-1] if v.ndim == 2 else hidden))).astype(np.float32) for k, v in p.items()}
    return p, xs, h


def layer_problem(name, n_in, hidden, steps, batch):
    layer = getattr(zymo.nn, name)(n_in, hidden, rng=np.random.default_rng(0))
    X = np.random.default_rng(1).standard_normal((batch, steps, n_in)).astype(np.float32)
    return layer, X


# --- zymo -----------------------------------------------------------------------------------
def zymo_style(style):
    fn = style1_thread if style == "style1" else style4_concat_stack

    def make(p, xs, h):
        vg = zymo.value_and_grad(lambda p, xs, h: fn(elman, p, xs, h), argnums=(0, 1, 2))
        return lambda: vg(p, xs, h)

    return make


def zymo_layer(layer, X):
    vg = zymo.value_and_grad(lambda m, X: znp.mean(m(X) ** 2), argnums=(0, 1))
    return lambda: vg(layer, X)


def _primed(jitted, args):
    """``zymo.jit`` traces the first two calls of a signature; time the replays that follow."""
    for _ in range(2):
        jitted(*args)
    return lambda: jitted(*args)


def zymo_jit_style(style):
    fn = style1_thread if style == "style1" else style4_concat_stack

    def make(p, xs, h):
        vg = zymo.value_and_grad(lambda p, xs, h: fn(elman, p, xs, h), argnums=(0, 1, 2))
        return _primed(zymo.jit(vg), (p, xs, h))

    return make


def zymo_jit_layer(layer, X):
    vg = zymo.value_and_grad(lambda m, X: znp.mean(m(X) ** 2), argnums=(0, 1))
    return _primed(zymo.jit(vg), (layer, X))


# --- hand-written NumPy backpropagation (Elman; input projection hoisted into one GEMM) ------------
def numpy_style(style):
    squares = style == "style4"

    def make(p, xs, h0):
        Wi, Wh, b = p["Wi"], p["Wh"], p["b"]

        def run():
            X = np.stack(xs)  # (T, B, n_in)
            T, B, _ = X.shape
            H = Wh.shape[0]
            Z = X @ Wi.T + b  # all input projections at once
            hs = np.empty((T, B, H), np.float32)
            h = h0
            for t in range(T):
                Z[t] += h @ Wh.T
                h = np.tanh(Z[t], out=hs[t])
            if squares:
                loss = np.mean(hs**2)
                dY = hs * np.float32(2.0 / hs.size)
            else:
                loss = np.mean(hs[-1])
            dh = np.zeros((B, H), np.float32)
            dZ = np.empty_like(hs)
            dWh = np.zeros_like(Wh)
            for t in range(T - 1, -1, -1):
                if squares:
                    dh += dY[t]
                elif t == T - 1:
                    dh += np.float32(1.0 / (B * H))
                dz = dZ[t]
                np.multiply(dh, 1 - hs[t] * hs[t], out=dz)
                h_prev = hs[t - 1] if t else np.broadcast_to(h0, (B, H))
                dWh += dz.T @ h_prev
                dh = dz @ Wh
            dh0 = dh.sum(axis=0) if h0.ndim == 1 else dh
            dflat = dZ.reshape(T * B, H)
            dWi = dflat.T @ X.reshape(T * B, -1)
            dX = dZ @ Wi
            grads = ({"Wi": dWi, "Wh": dWh, "b": dflat.sum(axis=0)}, list(dX), dh0)
            return loss, grads

        return run

    return make


# --- PyTorch eager ----------------------------------------------------------------------------
def torch_style(style):
    torch = _common.optional("torch")
    if torch is None:
        return None

    def make(p, xs, h):
        tp = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
        txs = [torch.tensor(x, requires_grad=True) for x in xs]
        th = torch.tensor(h, requires_grad=True)
        leaves = [*tp.values(), *txs, th]

        def run():
            state, ys = th, []
            for x in txs:
                state = torch.tanh(x @ tp["Wi"].T + state @ tp["Wh"].T + tp["b"])
                ys = ys + [state]
            loss = state.mean() if style == "style1" else (torch.stack(ys, 1) ** 2).mean()
            return loss.item(), torch.autograd.grad(loss, leaves)

        return run

    return make


def torch_layer(name):
    torch = _common.optional("torch")
    if torch is None:
        return None

    def make(layer, X):
        n_in, hidden = X.shape[-1], _hidden_of(layer)
        torch.manual_seed(0)
        mod = getattr(torch.nn, name)(n_in, hidden, batch_first=True)
        tX = torch.tensor(X, requires_grad=True)
        leaves = [*mod.parameters(), tX]

        def run():
            loss = (mod(tX)[0] ** 2).mean()
            return loss.item(), torch.autograd.grad(loss, leaves)

        return run

    return make


def _hidden_of(layer) -> int:
    return layer.cells[0].Wh.shape[1]


# --- HIPS autograd ------------------------------------------------------------------------------
def autograd_style(style):
    autograd = _common.optional("autograd")
    if autograd is None:
        return None
    anp = autograd.numpy

    def loss(args):
        p, xs, h = args
        ys = []
        for x in xs:
            h = anp.tanh(x @ p["Wi"].T + h @ p["Wh"].T + p["b"])
            ys = ys + [h]
        return anp.mean(h) if style == "style1" else anp.mean(anp.stack(ys, axis=1) ** 2)

    vg = autograd.value_and_grad(loss)
    return lambda p, xs, h: lambda: vg((p, xs, h))


# --- JAX ----------------------------------------------------------------------------------------
def jax_style(style):
    jax = _common.optional("jax")
    if jax is None:
        return None
    jnp = jax.numpy

    def loss(p, xs, h):
        ys = []
        for x in xs:
            h = jnp.tanh(x @ p["Wi"].T + h @ p["Wh"].T + p["b"])
            ys = ys + [h]
        return jnp.mean(h) if style == "style1" else jnp.mean(jnp.stack(ys, axis=1) ** 2)

    def make(p, xs, h):
        vg = jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2)))
        return lambda: _common.block(vg(p, xs, h))

    return make


# --- measurement --------------------------------------------------------------------------------
def measure(peers: dict, args, min_time: float) -> dict:
    """For each peer present: (first-call seconds, median seconds, peak bytes or None, loss value).

    ``peers`` maps a name to ``(make, traced)``: ``make(*args)`` returns the
    timed call, ``traced`` says whether its memory is visible to tracemalloc.
    Medians come from calls taken in turns, so every peer sees the same load.
    """
    fns, firsts = {}, {}
    for name, (make, _) in peers.items():
        if make is not None:
            fn = make(*args)
            firsts[name] = _common.first_call_time(fn)
            fns[name] = fn
    medians = _common.interleaved_medians(fns, min_time=min_time, min_reps=5)
    out = {name: None for name in peers}
    for name, fn in fns.items():
        peak = _common.peak_memory(fn) if peers[name][1] else None
        out[name] = (firsts[name], medians[name], peak, float(np.asarray(fn()[0])))
    return out


def run_case(case, size, min_time, has_jax):
    n_in, hidden, steps, batch = size
    if case in STYLES:
        args = style_problem(n_in, hidden, steps, batch)
        peers = {
            "zymo": (zymo_style(case), True),
            "zymo.jit": (zymo_jit_style(case), True),
            "torch": (torch_style(case), False),
            "jax": (jax_style(case) if has_jax else None, False),
            "autograd": (autograd_style(case), True),
            "numpy": (numpy_style(case), True),
        }
    else:
        args = layer_problem(case, n_in, hidden, steps, batch)
        peers = {
            "zymo": (zymo_layer, True),
            "zymo.jit": (zymo_jit_layer, True),
            "torch": (torch_layer(case), False),
            "jax": (None, False),
            "autograd": (None, False),
            "numpy": (numpy_layer_for(case), True),
        }
    return measure(peers, args, min_time)


def numpy_layer_for(case):
    """The hand-written Elman backprop also serves the RNN layer (zero initial state)."""
    if case != "RNN":
        return None

    def make(layer, X):
        cell = layer.cells[0]
        p = {"Wi": np.asarray(cell.Wi), "Wh": np.asarray(cell.Wh)}
        p["b"] = np.asarray(getattr(cell, "b", None) if getattr(cell, "b", None) is not None else 0 * p["Wh"][:, 0])
        xs = list(np.swapaxes(X, 0, 1))
        h0 = np.zeros((X.shape[0], p["Wh"].shape[0]), np.float32)
        return numpy_style("style4")(p, xs, h0)

    return make


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes and short timings (a smoke run)")
    ap.add_argument("--threads", type=int, default=1, help="threads for every engine (see benchmarks/README.md)")
    ap.add_argument("--cases", nargs="+", default=list(STYLES + LAYERS))
    ap.add_argument("--min-time", type=float, default=None, help="seconds of timing per measurement")
    args = ap.parse_args(argv)
    _common.limit_threads(args.threads)
    sizes = QUICK_SIZES if args.quick else SIZES
    min_time = args.min_time if args.min_time is not None else (0.05 if args.quick else 0.5)
    has_jax = _common.optional("jax") is not None
    print(f"float32; threads={args.threads}; BLAS: {_common.blas_info()}")
    if not has_jax:
        print("JAX is not installed: its columns read '-'")
    rows = []
    for case in args.cases:
        if case in LAYERS and not hasattr(zymo.nn, case):
            print(f"{case}: not in zymo.nn, skipped")
            continue
        for size in sizes:
            res = run_case(case, size, min_time, has_jax)
            z = res["zymo"]
            for name, r in res.items():
                if name != "zymo" and r is not None and z is not None and not np.isclose(r[3], z[3], rtol=1e-3):
                    if case in STYLES or name in ("numpy", "zymo.jit"):
                        raise SystemExit(f"{case} {size}: {name}'s loss {r[3]} differs from zymo's {z[3]}")

            def ms(name):
                r = res[name]
                return None if r is None else r[1]

            rows.append(
                [
                    case,
                    "{}->{} T={} B={}".format(*size),
                    _common.fmt_ms(ms("zymo")),
                    _common.fmt_mb(z[2]),
                    _common.fmt_ms(z[0]),
                    _common.fmt_ms(ms("torch")),
                    _common.fmt_ratio(ms("zymo"), ms("torch")),
                    _common.fmt_ms(ms("jax")),
                    "-" if res["jax"] is None else f"{res['jax'][0]:.2f}",
                    _common.fmt_ratio(ms("zymo"), ms("jax")),
                    _common.fmt_ms(ms("autograd")),
                    _common.fmt_mb(None if res["autograd"] is None else res["autograd"][2]),
                    _common.fmt_ratio(ms("zymo"), ms("autograd")),
                    _common.fmt_ms(ms("numpy")),
                    _common.fmt_mb(None if res["numpy"] is None else res["numpy"][2]),
                    _common.fmt_ratio(ms("zymo"), ms("numpy")),
                    _common.fmt_ms(ms("zymo.jit")),
                    _common.fmt_ratio(ms("zymo.jit"), ms("torch")),
                    _common.fmt_ratio(ms("zymo.jit"), ms("jax")),
                    _common.fmt_ratio(ms("zymo.jit"), ms("numpy")),
                ]
            )
            print(f"  measured {case} {rows[-1][1]}", file=sys.stderr, flush=True)
    header = [
        "case",
        "size",
        "zymo ms",
        "zymo MB",
        "zymo 1st ms",
        "torch ms",
        "z/torch",
        "jax ms",
        "jax 1st s",
        "z/jax",
        "autograd ms",
        "ag MB",
        "z/ag",
        "numpy ms",
        "np MB",
        "z/np",
        "jit ms",
        "jit/torch",
        "jit/jax",
        "jit/np",
    ]
    print()
    print(_common.table(rows, header))
    print(
        "targets (styles 1 and 4): z/torch <= 0.5 at the smallest size; z/torch <= 1.0 and z/np <= 1.3 at the "
        "larger sizes; zymo's first call below JAX's"
    )


if __name__ == "__main__":
    main()
