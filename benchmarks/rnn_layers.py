"""Forward + backward of zymo's RNN/LSTM/GRU layers against PyTorch's fused nn.RNN/nn.LSTM/nn.GRU.

Same process, float32, the same thread count for both (threadpoolctl and
``torch.set_num_threads``). The timed call is the gradient of
``mean(outputs ** 2)`` with respect to every parameter and the input.
Prints the median time of each and the ratio zymo / PyTorch.

    python benchmarks/rnn_layers.py            # hidden 128, T=50, batch 32 and hidden 512, T=100, batch 64
    python benchmarks/rnn_layers.py --quick    # a smoke run
    python benchmarks/rnn_layers.py --profile  # cProfile of zymo's LSTM at the first size
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

import numpy as np

SIZES = [(64, 128, 50, 32), (256, 512, 100, 64)]  # (input features, hidden, T, batch)
QUICK_SIZES = [(16, 32, 10, 8)]
KINDS = ["RNN", "LSTM", "GRU"]


def paired_medians(fa, fb, min_time: float, min_reps: int = 5, clock=time.perf_counter) -> tuple[float, float]:
    """Median seconds per call of ``fa`` and of ``fb``, timed alternately so both see the same machine load.

    ``clock=time.process_time`` measures CPU seconds of the process (all its
    threads) instead of wall time: steadier on a shared machine, and equal to
    wall time with one thread.
    """
    fa(), fb()  # warm up
    ta, tb = [], []
    start = time.perf_counter()
    while len(ta) < min_reps or time.perf_counter() - start < min_time:
        for f, out in ((fa, ta), (fb, tb)):
            gc.collect()
            gc.disable()
            t0 = clock()
            f()
            out.append(clock() - t0)
            gc.enable()
    return statistics.median(ta), statistics.median(tb)


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
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-time", type=float, default=2.0, help="seconds of timing per layer and size")
    ap.add_argument("--only", choices=["small", "large"], help="run one of the two sizes")
    ap.add_argument("--cpu-time", action="store_true", help="time CPU seconds of the process, not wall time")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of zymo's LSTM at the first size")
    args = ap.parse_args(argv)

    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=args.threads)
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None

    sizes = QUICK_SIZES if args.quick else SIZES
    if args.only:
        sizes = [SIZES[0] if args.only == "small" else SIZES[1]]
    min_time = 0.2 if args.quick else args.min_time
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
    clock = time.process_time if args.cpu_time else time.perf_counter
    what = "CPU time" if args.cpu_time else "wall time"
    print(f"float32, {args.threads} threads, gradient of mean(y**2) w.r.t. parameters and input; median {what}")
    print(f"{'layer':6} {'in->hidden, T, batch':24} {'zymo ms':>9} {'torch ms':>9} {'zymo/torch':>10}")
    for n_in, hidden, T, batch in sizes:
        for kind in KINDS:
            zs = zymo_step(kind, n_in, hidden, T, batch)
            if torch is None:
                tz, tt = paired_medians(zs, lambda: None, min_time, clock=clock)
                tt = float("nan")
            else:
                tz, tt = paired_medians(zs, torch_step(kind, n_in, hidden, T, batch), min_time, clock=clock)
            label = f"{n_in}->{hidden}, T={T}, B={batch}"
            print(f"{kind:6} {label:24} {tz * 1e3:9.2f} {tt * 1e3:9.2f} {tz / tt:10.2f}")


if __name__ == "__main__":
    main()
