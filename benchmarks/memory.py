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
import statistics
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import zymo  # noqa: E402
import zymo.numpy as znp  # noqa: E402
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
    """Median time of each call; the calls take turns, so load from other processes hits them alike."""
    times: dict = {name: [] for name in calls}
    for _ in range(reps):
        for name, fn in calls.items():
            gc.collect()
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--reps", type=int, default=3, help="timed runs per variant (median)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: T = 100 and 400, one timed run")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    args = parser.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.threads)
    except ImportError:
        pass
    lengths, reps = ([100, 400], 1) if args.quick else (args.lengths, args.reps)

    print(f"Elman style 1: hidden {HIDDEN}, batch {BATCH}, features {FEATURES}, float32; gradient of everything")
    header = f"{'T':>6}  {'variant':<16}  {'peak MB':>9}  {'time s':>8}  {'memory ratio':>12}  {'time ratio':>10}"
    print(header)
    print("-" * len(header))
    for steps in lengths:
        data = problem(steps)
        calls = {name: gradient_call(loss, data) for name, loss in VARIANTS.items()}
        results = {}
        for name, call in calls.items():
            value, grads = call()
            results[name] = [peak_bytes(call), None, value, grads]
        for name, secs in median_seconds(calls, reps).items():
            results[name][1] = secs
        base_mem, base_time = results["plain"][0], results["plain"][1]
        for name, (mem, secs, _, _) in results.items():
            print(
                f"{steps:>6}  {name:<16}  {mem / 2**20:>9.1f}  {secs:>8.3f}  "
                f"{mem / base_mem:>11.3f}x  {secs / base_time:>9.2f}x"
            )
        err = max_relative_error(results["checkpoint_scan"][3], results["plain"][3])
        same_value = results["checkpoint_scan"][2] == results["plain"][2]
        print(f"{'':>6}  gradients agree to {err:.1e} (relative); values equal: {same_value}")
    print("target at T = 10000: checkpoint_scan memory ratio <= 0.2x for time ratio <= 2x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
