"""Recurrent gradients side by side: zymo, PyTorch eager, JAX, HIPS autograd and hand-written NumPy.

For acceptance styles 1 (thread the state) and 4 (grow a list, stack, mean of
squares) with an Elman cell, for zymo's ``RNN``/``LSTM``/``GRU`` layers (loss
``mean(layer(X) ** 2)``) and for per-sample recurrent code (``charrnn``:
min-char-rnn's character model, one column vector per step, states in a dict,
vocabulary 50, hidden 100, 25 steps, float64, against its hand-written
backward pass), prints the median time of one value-and-gradient call with
respect to every parameter, input and initial state (``charrnn``: its
parameters), with ``zymo.jit`` both as recorded and with ``reorder=True``; the
peak memory of one call (NumPy allocations, via tracemalloc; PyTorch and JAX
allocate outside it); and the ratio zymo/peer. Everything but ``charrnn`` is
float32; all of it runs in one process under the same thread limits.

    python benchmarks/rnn_grad.py [--quick] [--threads 1] [--cases style1 style4 RNN LSTM GRU charrnn]
                                  [--sizes small middle large]
                                  [--engines zymo.jit zymo.jit.reorder torch jax autograd numpy]
                                  [--no-memory] [--json FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import _launch  # noqa: E402

if __name__ == "__main__":
    _launch.restart_clean()

import numpy as np  # noqa: E402

import zymo  # noqa: E402
import zymo.numpy as znp  # noqa: E402
from benchmarks import _common  # noqa: E402
from zymo.acceptance import Variation, elman, make_problem, style1_thread, style4_concat_stack  # noqa: E402

SIZES = [(3, 5, 6, 4), (64, 128, 50, 32), (256, 512, 100, 64)]  # (inputs, hidden, steps, batch)
SIZE_NAMES = {"small": SIZES[0], "middle": SIZES[1], "large": SIZES[2]}
QUICK_SIZES = [(3, 5, 6, 4), (16, 32, 10, 8)]
STYLES = ("style1", "style4")
LAYERS = ("RNN", "LSTM", "GRU")
CHAR = "charrnn"  # per-sample recurrent code: one column vector per step, states in a dict
CHAR_SIZE = (50, 100, 25, 1)  # (vocabulary, hidden, steps, batch)
ENGINES = ("zymo", "zymo.jit", "zymo.jit.reorder", "torch", "jax", "autograd", "numpy")
ZYMO_ENGINES = ENGINES[:3]
PEERS = ENGINES[3:]


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


def char_problem(vocab, hidden, steps, batch=1):
    """A character-level Elman network's parameters (float64, PyTorch-like scale) and one sequence of characters."""
    rng = np.random.default_rng(0)
    p = {
        "Wxh": rng.standard_normal((hidden, vocab)) * 0.01,
        "Whh": rng.standard_normal((hidden, hidden)) * 0.01,
        "Why": rng.standard_normal((vocab, hidden)) * 0.01,
        "bh": np.zeros((hidden, 1)),
        "by": np.zeros((vocab, 1)),
    }
    inputs, targets = [[int(c) for c in rng.integers(0, vocab, steps)] for _ in range(2)]
    return p, inputs, targets, np.zeros((hidden, 1))


def char_loss(xp, p, inputs, targets, hprev):
    """Cross-entropy of the next character, one column vector per step, the states in a dict (min-char-rnn)."""
    xs, hs, ps = {}, {-1: hprev}, {}
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((p["Wxh"].shape[1], 1))
        xs[t][inputs[t]] = 1.0
        hs[t] = xp.tanh(p["Wxh"] @ xs[t] + p["Whh"] @ hs[t - 1] + p["bh"])
        ys = p["Why"] @ hs[t] + p["by"]
        ps[t] = xp.exp(ys) / xp.sum(xp.exp(ys))
        loss = loss - xp.log(ps[t][targets[t], 0])
    return loss


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


def zymo_jit_style(style, reorder=False):
    """``zymo.jit`` of the style's gradient (``reorder``: products sharing a weight batched across steps)."""
    fn = style1_thread if style == "style1" else style4_concat_stack

    def make(p, xs, h):
        vg = zymo.value_and_grad(lambda p, xs, h: fn(elman, p, xs, h), argnums=(0, 1, 2))
        return _primed(zymo.jit(vg, reorder=reorder), (p, xs, h))

    return make


def zymo_char(jit=False, reorder=False):
    """The per-sample network's gradient with respect to its parameters (``jit``: replayed)."""

    def make(p, inputs, targets, hprev):
        vg = zymo.value_and_grad(lambda p: char_loss(znp, p, inputs, targets, hprev))
        if not jit:
            return lambda: vg(p)
        return _primed(zymo.jit(vg, reorder=reorder), (p,))

    return make


def numpy_char(p, inputs, targets, hprev):
    """min-char-rnn's hand-written forward and backward pass."""
    Wxh, Whh, Why, bh, by = p["Wxh"], p["Whh"], p["Why"], p["bh"], p["by"]

    def run():
        xs, hs, ps = {}, {-1: hprev}, {}
        loss = 0.0
        for t in range(len(inputs)):
            xs[t] = np.zeros((Wxh.shape[1], 1))
            xs[t][inputs[t]] = 1.0
            hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
            ys = Why @ hs[t] + by
            ps[t] = np.exp(ys) / np.sum(np.exp(ys))
            loss -= np.log(ps[t][targets[t], 0])
        dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
        dbh, dby, dhnext = np.zeros_like(bh), np.zeros_like(by), np.zeros_like(hs[0])
        for t in reversed(range(len(inputs))):
            dy = np.copy(ps[t])
            dy[targets[t]] -= 1
            dWhy += dy @ hs[t].T
            dby += dy
            dh = Why.T @ dy + dhnext
            dhraw = (1 - hs[t] * hs[t]) * dh
            dbh += dhraw
            dWxh += dhraw @ xs[t].T
            dWhh += dhraw @ hs[t - 1].T
            dhnext = Whh.T @ dhraw
        return loss, {"Wxh": dWxh, "Whh": dWhh, "Why": dWhy, "bh": dbh, "by": dby}

    return run


def zymo_jit_layer(reorder=False):
    def make(layer, X):
        vg = zymo.value_and_grad(lambda m, X: znp.mean(m(X) ** 2), argnums=(0, 1))
        return _primed(zymo.jit(vg, reorder=reorder), (layer, X))

    return make


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
@dataclasses.dataclass(frozen=True)
class Result:
    """One engine at one case and size: first-call seconds, median timing, peak bytes (or None), loss value."""

    first: float
    timing: _common.Timing
    peak: int | None
    loss: float


def measure(peers: dict, args, min_time: float, memory: bool = True) -> dict:
    """A :class:`Result` for each peer present, ``None`` for the others.

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
    timings = _common.interleaved_timings(fns, min_time=min_time, min_reps=5)
    out = {name: None for name in peers}
    for name, fn in fns.items():
        peak = _common.peak_memory(fn) if memory and peers[name][1] else None
        out[name] = Result(firsts[name], timings[name], peak, float(np.asarray(fn()[0])))
    return out


def run_case(case, size, min_time, engines, memory=True):
    peers, args = case_peers(case, size, engines)
    return measure(peers, args, min_time, memory)


def case_peers(case, size, engines):
    """``({engine: (make, traced)}, problem arguments)`` for one case and size; engines not asked for are None."""
    n_in, hidden, steps, batch = size
    if case == CHAR:
        args = char_problem(*size)
        makers = {
            "zymo": (zymo_char(), True),
            "zymo.jit": (zymo_char(jit=True), True),
            "zymo.jit.reorder": (zymo_char(jit=True, reorder=True), True),
            "numpy": (numpy_char, True),
        }
        return {name: makers.get(name, (None, False)) if name in engines else (None, False) for name in ENGINES}, args
    if case in STYLES:
        args = style_problem(n_in, hidden, steps, batch)
        makers = {
            "zymo": (zymo_style(case), True),
            "zymo.jit": (zymo_jit_style(case), True),
            "zymo.jit.reorder": (zymo_jit_style(case, reorder=True), True),
            "torch": (torch_style(case), False),
            "jax": (jax_style(case), False),
            "autograd": (autograd_style(case), True),
            "numpy": (numpy_style(case), True),
        }
    else:
        args = layer_problem(case, n_in, hidden, steps, batch)
        makers = {
            "zymo": (zymo_layer, True),
            "zymo.jit": (zymo_jit_layer(), True),
            "zymo.jit.reorder": (zymo_jit_layer(reorder=True), True),
            "torch": (torch_layer(case), False),
            "jax": (None, False),
            "autograd": (None, False),
            "numpy": (numpy_layer_for(case), True),
        }
    return {name: makers[name] if name in engines else (None, False) for name in ENGINES}, args


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


def check_losses(case, size, res) -> None:
    """Stop the run if an engine computed a different loss than zymo (it would be timing another problem)."""
    z = res["zymo"]
    for name, r in res.items():
        if name != "zymo" and r is not None and not np.isclose(r.loss, z.loss, rtol=1e-3):
            if case in STYLES or case == CHAR or name in ("numpy", "zymo.jit", "zymo.jit.reorder"):
                raise SystemExit(f"{case} {size}: {name}'s loss {r.loss} differs from zymo's {z.loss}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes and short timings (a smoke run)")
    ap.add_argument("--threads", type=int, default=1, help="threads for every engine (see benchmarks/README.md)")
    cases = [*STYLES, *LAYERS, CHAR]
    ap.add_argument("--cases", nargs="+", default=cases, choices=cases)
    ap.add_argument("--sizes", nargs="+", choices=list(SIZE_NAMES), help="default: all three (--quick: two tiny ones)")
    ap.add_argument(
        "--engines", nargs="+", choices=ENGINES[1:], default=list(ENGINES[1:]), help="besides zymo (always run)"
    )
    ap.add_argument("--min-time", type=float, default=None, help="seconds of timing per measurement")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory call of each engine")
    ap.add_argument("--json", metavar="FILE", help="also write the rows as JSON to FILE ('-': standard output)")
    ap.add_argument("--serve", action="store_true", help="answer timing requests on stdin (used by compare.py)")
    args = ap.parse_args(argv)
    engines = ("zymo", *args.engines)
    _common.limit_threads(args.threads)
    for peer in ("torch", "jax", "autograd"):
        if peer in engines and _common.optional(peer) is None:
            engines = tuple(e for e in engines if e != peer)
            print(f"{peer} is not installed: its columns read '-'", file=sys.stderr)
    sizes = [SIZE_NAMES[s] for s in args.sizes] if args.sizes else QUICK_SIZES if args.quick else SIZES
    min_time = args.min_time if args.min_time is not None else (0.05 if args.quick else 0.5)
    if args.serve:
        calls = {}
        for case in args.cases:
            for size in [CHAR_SIZE] if case == CHAR else sizes:
                peers, problem = case_peers(case, size, engines)
                for name, (make, _) in peers.items():
                    if make is not None:
                        calls["{} {}->{} T={} B={} {}".format(case, *size, name)] = make(*problem)
        _common.serve(calls, args.threads)
        return
    out = sys.stderr if args.json == "-" else sys.stdout
    print(f"float32; {_common.header(args.threads)}", file=out)
    timing_rows, ratio_rows, records = [], [], []
    for case in args.cases:
        if case in LAYERS and not hasattr(zymo.nn, case):
            print(f"{case}: not in zymo.nn, skipped", file=out)
            continue
        for size in [CHAR_SIZE] if case == CHAR else sizes:
            res = run_case(case, size, min_time, engines, memory=not args.no_memory)
            check_losses(case, size, res)
            label = "{}->{} T={} B={}".format(*size)
            for name, r in res.items():
                if r is None:
                    continue
                t = r.timing
                first = f"{r.first:.2f} s" if name == "jax" else f"{r.first * 1e3:.1f} ms"
                cells = [_common.fmt_ms(t.wall), _common.fmt_ms(t.cpu), f"{t.cpu_per_wall:.2f}", _common.fmt_mb(r.peak)]
                timing_rows.append([case, label, name, *cells, first])
                records.append(_common.Row.of(f"{case} {label} {name}", t))

            def ms(name):
                return None if res[name] is None else res[name].timing.wall

            ratios = [_common.fmt_ratio(ms(z), ms(peer)) for z in ZYMO_ENGINES for peer in PEERS]
            ratio_rows.append([case, label, *ratios])
            print(f"  measured {case} {label}", file=sys.stderr, flush=True)
    print(file=out)
    header = ["case", "size", "engine", "wall ms", "cpu ms", "cpu/wall", "peak MB", "1st call"]
    print(_common.table(timing_rows, header), file=out)
    print(file=out)
    header = ["case", "size"] + [f"{z}/{peer}" for z in ("zymo", "jit", "reorder") for peer in PEERS]
    print(_common.table(ratio_rows, header), file=out)
    print(
        "targets (styles 1 and 4): zymo/torch <= 0.5 at the smallest size; zymo/torch <= 1.0 and zymo/numpy <= 1.3 at "
        "the larger sizes; zymo's first call below JAX's",
        file=out,
    )
    if args.json:
        _common.write_rows(args.json, "rnn_grad", args.threads, records)


if __name__ == "__main__":
    main()
