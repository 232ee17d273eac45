"""Per-operation overhead: value-and-gradient time of acceptance style 1 over plain NumPy's forward time.

Style 1 (thread the state through an Elman cell; 3 inputs, 5 hidden, batch 4,
float32) is tiny, so the time is almost all engine overhead. Each engine's
value-and-gradient median is divided by the median of the same loss run
forward in plain NumPy, all in one process with the same thread settings; the
engines are timed in turns, so all of them see the same machine load.

    python benchmarks/overhead.py [--threads 1] [--lengths 6 200]
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


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="threads for every engine (see benchmarks/README.md)")
    ap.add_argument("--lengths", type=int, nargs="+", default=[6, 200])
    ap.add_argument("--min-time", type=float, default=1.0, help="seconds of timing per measurement")
    args = ap.parse_args(argv)
    _common.limit_threads(args.threads)
    print(f"style 1, Elman 3->5, batch 4, float32; threads={args.threads}; BLAS: {_common.blas_info()}")
    rows = []
    for T in args.lengths:
        p, xs, h = make_problem(Variation("bench", steps=T))
        fns = {"numpy": lambda: numpy_loss(p, xs, h)}
        makers = (("zymo", zymo_step), ("zymo.jit", zymo_jit_step), ("autograd", autograd_step), ("torch", torch_step))
        for name, make in makers:
            fn = make(p, xs, h)
            if fn is not None:
                fns[name] = fn
        med = _common.interleaved_medians(fns, min_time=args.min_time)
        base = med["numpy"]
        row = [f"T={T}", _common.fmt_ms(base)]
        for name in ("zymo", "zymo.jit", "autograd", "torch"):
            t = med.get(name)
            row += [_common.fmt_ms(t), _common.fmt_ratio(t, base)]
        rows.append(row)
    header = ["length", "numpy fwd ms", "zymo ms", "zymo/fwd", "jit ms", "jit/fwd"]
    header += ["autograd ms", "autograd/fwd", "torch ms", "torch/fwd"]
    print(_common.table(rows, header))
    print("target: zymo/fwd <= 6x at every length (zymo: value_and_grad; jit: zymo.jit(value_and_grad), replaying)")


if __name__ == "__main__":
    main()
