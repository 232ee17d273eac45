"""Forward + backward of zymo's RNN/LSTM/GRU layers against PyTorch's fused nn.RNN/nn.LSTM/nn.GRU.

Same process, float32, the same thread count for both (threadpoolctl and
``torch.set_num_threads``). The timed call is the gradient of
``mean(outputs ** 2)`` with respect to every parameter and the input.
Prints the median wall and CPU time of each and the ratio zymo / PyTorch.

    python benchmarks/rnn_layers.py            # hidden 128, T=50, batch 32 and hidden 512, T=100, batch 64
    python benchmarks/rnn_layers.py --quick    # a smoke run
    python benchmarks/rnn_layers.py --profile  # cProfile of zymo's LSTM at the first size
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import _launch  # noqa: E402

if __name__ == "__main__":
    _launch.restart_clean()

import numpy as np  # noqa: E402

from benchmarks import _common  # noqa: E402

SIZES = [(64, 128, 50, 32), (256, 512, 100, 64)]  # (input features, hidden, T, batch)
QUICK_SIZES = [(16, 32, 10, 8)]
KINDS = ["RNN", "LSTM", "GRU"]


def paired_medians(fa, fb, min_time: float, min_reps: int = 5) -> tuple[_common.Timing, _common.Timing]:
    """Median wall and CPU seconds per call of ``fa`` and of ``fb``, timed alternately (same machine load).

    CPU time is the process's (all its threads): steadier on a shared machine,
    and equal to wall time with one thread on an idle core.
    """
    fa(), fb()  # warm up
    times = ([], []), ([], [])
    start = time.perf_counter()
    while len(times[0][0]) < min_reps or time.perf_counter() - start < min_time:
        for f, (walls, cpus) in zip((fa, fb), times):
            gc.collect()
            gc.disable()
            t0, c0 = time.perf_counter(), time.process_time()
            f()
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            gc.enable()
    return _common.Timing.of(*times[0]), _common.Timing.of(*times[1])


def zymo_step(kind, n_in, hidden, T, batch):
    import zymo
    import zymo.nn as nn

    cls = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRUv3}[kind]
    rng = np.random.default_rng(0)
    layer = cls(n_in, hidden, rng=rng, dtype=np.float32)
    x = rng.standard_normal((batch, T, n_in)).astype(np.float32)

    def loss(layer, x):
        y = layer(x)
        return (y**2).mean()

    vg = zymo.value_and_grad(loss, argnums=(0, 1))
    return lambda: vg(layer, x)


def torch_step(kind, n_in, hidden, T, batch):
    import torch

    cls = {"RNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[kind]
    torch.manual_seed(0)
    m = cls(n_in, hidden, batch_first=True)
    x = torch.randn(batch, T, n_in, requires_grad=True)
    params = list(m.parameters())

    def step():
        for p in params:
            p.grad = None
        x.grad = None
        y, _ = m(x)
        loss = (y**2).mean()
        loss.backward()
        return loss

    return step


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one small size, short timings")
    ap.add_argument("--threads", type=int, default=1, help="threads for both engines (2: informational on 2 cores)")
    ap.add_argument("--min-time", type=float, default=2.0, help="seconds of timing per layer and size")
    ap.add_argument("--only", choices=["small", "large"], help="run one of the two sizes")
    ap.add_argument("--kinds", nargs="+", choices=KINDS, default=KINDS)
    ap.add_argument("--no-torch", action="store_true", help="time zymo alone")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of zymo's LSTM at the first size")
    ap.add_argument("--json", metavar="FILE", help="also write the rows as JSON to FILE ('-': standard output)")
    ap.add_argument("--serve", action="store_true", help="answer timing requests on stdin (used by compare.py)")
    args = ap.parse_args(argv)

    _common.limit_threads(args.threads)
    torch = None if args.no_torch else _common.optional("torch")

    sizes = QUICK_SIZES if args.quick else SIZES
    if args.only:
        sizes = [SIZES[0] if args.only == "small" else SIZES[1]]
    min_time = 0.2 if args.quick else args.min_time
    if args.serve:
        calls = {}
        for n_in, hidden, T, batch in sizes:
            for kind in args.kinds:
                label = f"{kind} {n_in}->{hidden} T={T} B={batch}"
                calls[f"{label} zymo"] = zymo_step(kind, n_in, hidden, T, batch)
                if torch is not None:
                    calls[f"{label} torch"] = torch_step(kind, n_in, hidden, T, batch)
        _common.serve(calls, args.threads)
        return
    if args.profile:
        import cProfile
        import pstats

        step = zymo_step("LSTM", *sizes[0])
        step()
        pr = cProfile.Profile()
        pr.enable()
        for _ in range(20):
            step()
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(15)
        return
    out = sys.stderr if args.json == "-" else sys.stdout
    print(f"gradient of mean(y**2) w.r.t. parameters and input, float32; {_common.header(args.threads)}", file=out)
    rows, records = [], []
    for n_in, hidden, T, batch in sizes:
        for kind in args.kinds:
            zs = zymo_step(kind, n_in, hidden, T, batch)
            ts = (lambda: None) if torch is None else torch_step(kind, n_in, hidden, T, batch)
            tz, tt = paired_medians(zs, ts, min_time)
            label = f"{n_in}->{hidden} T={T} B={batch}"
            row = [kind, label, _common.fmt_ms(tz.wall), _common.fmt_ms(tz.cpu), f"{tz.cpu_per_wall:.2f}"]
            records.append(_common.Row.of(f"{kind} {label} zymo", tz))
            if torch is None:
                row += ["-"] * 5
            else:
                row += [_common.fmt_ms(tt.wall), _common.fmt_ms(tt.cpu), f"{tt.cpu_per_wall:.2f}"]
                row += [_common.fmt_ratio(tz.wall, tt.wall), _common.fmt_ratio(tz.cpu, tt.cpu)]
                records.append(_common.Row.of(f"{kind} {label} torch", tt))
            rows.append(row)
            print(f"  measured {kind} {label}", file=sys.stderr, flush=True)
    header = ["layer", "in->hidden, T, batch", "zymo ms", "zymo cpu ms", "cpu/wall", "torch ms", "torch cpu ms"]
    header += ["cpu/wall", "zymo/torch", "cpu zymo/torch"]
    print(_common.table(rows, header), file=out)
    if args.json:
        _common.write_rows(args.json, "rnn_layers", args.threads, records)


if __name__ == "__main__":
    main()
