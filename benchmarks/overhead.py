"""Per-operation overhead: value-and-gradient time of acceptance style 1 over plain NumPy's forward time.

Style 1 (thread the state through an Elman cell; 3 inputs, 5 hidden, batch 4,
float32) is tiny, so the time is almost all engine overhead. Each engine's
value-and-gradient median is divided by the median of the same loss run
forward in plain NumPy, all in one process with the same thread settings; the
engines are timed in turns, so all of them see the same machine load.

    python benchmarks/overhead.py [--threads 1] [--lengths 6 200] [--engines zymo.jit torch] [--captured] [--json FILE]
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import _launch  # noqa: E402

if __name__ == "__main__":
    _launch.restart_clean()

import numpy as np  # noqa: E402

import zymo  # noqa: E402
from benchmarks import _common  # noqa: E402
from zymo.acceptance import Variation, elman, make_problem, style1_thread  # noqa: E402


def numpy_loss(p, xs, h):
    """Style 1 in plain NumPy (the baseline: forward only)."""
    for x in xs:
        h = np.tanh(x @ p["Wi"].T + h @ p["Wh"].T + p["b"])
    return np.mean(h)


def zymo_step(p, xs, h):
    vg = zymo.value_and_grad(lambda p, xs, h: style1_thread(elman, p, xs, h), argnums=(0, 1, 2))
    return lambda: vg(p, xs, h)


def zymo_jit_step(p, xs, h):
    vg = zymo.jit(zymo.value_and_grad(lambda p, xs, h: style1_thread(elman, p, xs, h), argnums=(0, 1, 2)))
    for _ in range(2):  # the first two calls of a signature are traced; the ones after replay
        vg(p, xs, h)
    return lambda: vg(p, xs, h)


def autograd_step(p, xs, h):
    autograd = _common.optional("autograd")
    if autograd is None:
        return None
    anp = autograd.numpy

    def loss(p, xs, h):
        for x in xs:
            h = anp.tanh(x @ p["Wi"].T + h @ p["Wh"].T + p["b"])
        return anp.mean(h)

    vg = autograd.value_and_grad(loss, argnum=(0, 1, 2)) if _takes_tuple_argnum(autograd) else None
    if vg is None:
        whole = autograd.value_and_grad(lambda args: loss(*args))
        return lambda: whole((p, xs, h))
    return lambda: vg(p, xs, h)


def _takes_tuple_argnum(autograd) -> bool:
    try:
        autograd.value_and_grad(lambda a, b: a * b, argnum=(0, 1))(1.0, 2.0)
        return True
    except Exception:
        return False


def torch_step(p, xs, h):
    torch = _common.optional("torch")
    if torch is None:
        return None
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
    txs = [torch.tensor(x, requires_grad=True) for x in xs]
    th = torch.tensor(h, requires_grad=True)
    leaves = [*tp.values(), *txs, th]

    def step():
        state = th
        for x in txs:
            state = torch.tanh(x @ tp["Wi"].T + state @ tp["Wh"].T + tp["b"])
        loss = state.mean()
        grads = torch.autograd.grad(loss, leaves)
        return loss.item(), grads

    return step


PEERS = {"zymo.jit": zymo_jit_step, "autograd": autograd_step, "torch": torch_step}


def captured_calls() -> dict:
    """A loss reading a captured 1M-element float64 constant (``sum(tanh(C @ w))``, ``C`` 1000x1000).

    ``zymo.jit`` checks before each replay that ``C`` has not changed in place; with ``frozen=True``
    it does not. Divided by ``value_and_grad``'s time, not by a NumPy forward.
    """
    rng = np.random.default_rng(0)
    C = rng.standard_normal((1000, 1000))
    w = rng.standard_normal(1000)
    vg = zymo.value_and_grad(lambda w: np.sum(np.tanh(C @ w)))
    calls = {"value_and_grad": lambda: vg(w), "zymo.jit": _replaying(zymo.jit(vg), w)}
    try:
        calls["zymo.jit frozen"] = _replaying(zymo.jit(vg, frozen=True), w)
    except TypeError:  # a version of zymo without the option
        pass
    return calls


def _replaying(fn, *args):
    for _ in range(2):  # the first two calls of a signature are traced; the ones after replay
        fn(*args)
    return lambda: fn(*args)


def length_calls(T: int, engines) -> dict:
    """The timed calls at length ``T``: the NumPy forward, zymo, and each of ``engines`` that is installed."""
    p, xs, h = make_problem(Variation("bench", steps=T))
    fns = {"numpy": lambda: numpy_loss(p, xs, h), "zymo": zymo_step(p, xs, h)}
    for name in engines:
        fn = PEERS[name](p, xs, h)
        if fn is not None:
            fns[name] = fn
    return fns


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="threads for every engine (see benchmarks/README.md)")
    ap.add_argument("--lengths", type=int, nargs="*", default=[6, 200])
    ap.add_argument(
        "--captured", action="store_true", help="also time a loss reading a captured 1M-element constant array"
    )
    ap.add_argument("--min-time", type=float, default=1.0, help="seconds of timing per measurement")
    ap.add_argument(
        "--engines", nargs="+", choices=list(PEERS), default=list(PEERS), help="besides numpy and zymo (always run)"
    )
    ap.add_argument("--json", metavar="FILE", help="also write the rows as JSON to FILE ('-': standard output)")
    ap.add_argument("--serve", action="store_true", help="answer timing requests on stdin (used by compare.py)")
    args = ap.parse_args(argv)
    _common.limit_threads(args.threads)
    if "torch" in args.engines:
        _common.optional("torch")
    if args.serve:
        calls = {}
        for T in args.lengths:
            for name, fn in length_calls(T, args.engines).items():
                calls[f"T={T} {'numpy fwd' if name == 'numpy' else name}"] = fn
        if args.captured:
            calls.update((f"captured 1M {name}", fn) for name, fn in captured_calls().items())
        _common.serve(calls, args.threads)
        return
    out = sys.stderr if args.json == "-" else sys.stdout
    print(f"style 1, Elman 3->5, batch 4, float32; {_common.header(args.threads)}", file=out)
    rows, records = [], []
    for T in args.lengths:
        timings = _common.interleaved_timings(length_calls(T, args.engines), min_time=args.min_time)
        base = timings["numpy"].wall
        for name, t in timings.items():
            label = "numpy fwd" if name == "numpy" else name
            cells = [_common.fmt_ms(t.wall), _common.fmt_ms(t.cpu), f"{t.cpu_per_wall:.2f}"]
            rows.append([f"T={T}", label, *cells, _common.fmt_ratio(t.wall, base)])
            records.append(_common.Row.of(f"T={T} {label}", t))
    if args.captured:
        timings = _common.interleaved_timings(captured_calls(), min_time=args.min_time)
        base = timings["value_and_grad"].wall
        for name, t in timings.items():
            cells = [_common.fmt_ms(t.wall), _common.fmt_ms(t.cpu), f"{t.cpu_per_wall:.2f}"]
            rows.append(["captured 1M", name, *cells, _common.fmt_ratio(t.wall, base)])
            records.append(_common.Row.of(f"captured 1M {name}", t))
    header = ["length", "engine", "wall ms", "cpu ms", "cpu/wall", "wall/fwd"]
    print(_common.table(rows, header), file=out)
    print("target: zymo/fwd <= 6x at every length (zymo: value_and_grad; zymo.jit: replaying)", file=out)
    if args.captured:
        print("captured 1M rows: the last column is the ratio to value_and_grad (target: zymo.jit <= 1.5x)", file=out)
    if args.json:
        _common.write_rows(args.json, "overhead", args.threads, records)


if __name__ == "__main__":
    main()
