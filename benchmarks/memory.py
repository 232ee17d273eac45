"""Peak memory and time of a long recurrent gradient, with and without sqrt(T) checkpointing.

Acceptance style 1 (thread the state through an Elman cell; hidden 128,
batch 32, 3 input features, float32), differentiated with respect to the
weights, every input and the initial state. "plain" records every step on
the tape; "checkpoint_scan" runs the loop in about sqrt(T) checkpointed
segments (``zymo.checkpoint_scan``). Peak memory is the peak of NumPy and
Python allocations traced by ``tracemalloc`` during one gradient call (the
inputs, allocated before, are not counted); time is the median of separate
untraced runs taking turns (BLAS on ``--threads`` threads). Both variants run
in the same process, and their gradients are compared.

    python benchmarks/memory.py [--lengths 1000 10000] [--reps 3] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import _launch  # noqa: E402

if __name__ == "__main__":
    _launch.restart_clean()

import numpy as np  # noqa: E402

import zymo  # noqa: E402
import zymo.numpy as znp  # noqa: E402
from benchmarks import _common  # noqa: E402
from zymo.acceptance import elman, style1_thread  # noqa: E402
from zymo.testing import max_relative_error  # noqa: E402

HIDDEN, BATCH, FEATURES = 128, 32, 3


def problem(steps: int, seed: int = 0):
    """Weights, a list of ``steps`` inputs and an initial state (float32)."""
    rng = np.random.default_rng(seed)
    p = {
        "Wi": (rng.standard_normal((HIDDEN, FEATURES)) * 0.5).astype(np.float32),
        "Wh": (rng.standard_normal((HIDDEN, HIDDEN)) / np.sqrt(HIDDEN)).astype(np.float32),
        "b": (rng.standard_normal(HIDDEN) * 0.1).astype(np.float32),
    }
    xs = [rng.standard_normal((BATCH, FEATURES)).astype(np.float32) for _ in range(steps)]
    h = np.zeros(HIDDEN, np.float32)
    return p, xs, h


def plain_loss(p, xs, h):
    return style1_thread(elman, p, xs, h)


def _step(carry, x):
    p, h = carry
    _, h = elman(p, x, h)
    return (p, h), None


def checkpointed_loss(p, xs, h):
    (_, h), _ = zymo.checkpoint_scan(_step, (p, h), xs)
    return znp.mean(h)


VARIANTS = {"plain": plain_loss, "checkpoint_scan": checkpointed_loss}


def gradient_call(loss, args):
    vg = zymo.value_and_grad(loss, argnums=(0, 1, 2))
    return lambda: vg(*args)


def peak_bytes(fn) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def median_seconds(calls: dict, reps: int) -> dict:
    """Median wall and CPU time of each call (a ``_common.Timing``); the calls take turns, so load hits them alike."""
    walls: dict = {name: [] for name in calls}
    cpus: dict = {name: [] for name in calls}
    for _ in range(reps):
        for name, fn in calls.items():
            gc.collect()
            t, c = time.perf_counter(), time.process_time()
            fn()
            walls[name].append(time.perf_counter() - t)
            cpus[name].append(time.process_time() - c)
    return {name: _common.Timing.of(walls[name], cpus[name]) for name in calls}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--reps", type=int, default=3, help="timed runs per variant (median)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: T = 100 and 400, one timed run")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    args = parser.parse_args(argv)
    _common.limit_threads(args.threads)
    lengths, reps = ([100, 400], 1) if args.quick else (args.lengths, args.reps)

    print(f"Elman style 1: hidden {HIDDEN}, batch {BATCH}, features {FEATURES}, float32; gradient of everything")
    print(_common.header(args.threads))
    header = f"{'T':>6}  {'variant':<16}  {'peak MB':>9}  {'time s':>8}  {'cpu s':>8}  {'memory ratio':>12}  "
    header += f"{'time ratio':>10}"
    print(header)
    print("-" * len(header))
    for steps in lengths:
        data = problem(steps)
        calls = {name: gradient_call(loss, data) for name, loss in VARIANTS.items()}
        results = {}
        for name, call in calls.items():
            value, grads = call()
            results[name] = [peak_bytes(call), None, value, grads]
        for name, timing in median_seconds(calls, reps).items():
            results[name][1] = timing
        base_mem, base_time = results["plain"][0], results["plain"][1].wall
        for name, (mem, timing, _, _) in results.items():
            print(
                f"{steps:>6}  {name:<16}  {mem / 2**20:>9.1f}  {timing.wall:>8.3f}  {timing.cpu:>8.3f}  "
                f"{mem / base_mem:>11.3f}x  {timing.wall / base_time:>9.2f}x"
            )
        err = max_relative_error(results["checkpoint_scan"][3], results["plain"][3])
        same_value = results["checkpoint_scan"][2] == results["plain"][2]
        print(f"{'':>6}  gradients agree to {err:.1e} (relative); values equal: {same_value}")
    print("target at T = 10000: checkpoint_scan memory ratio <= 0.2x for time ratio <= 2x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
