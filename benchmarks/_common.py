"""Shared benchmark machinery: thread settings, timing, peak memory, optional peers, tables.

Every peer runs in the same process under the same thread limits, so the
ratios printed side by side compare like with like.
"""

from __future__ import annotations

import gc
import importlib
import os
import statistics
import sys
import time
import tracemalloc
from typing import Callable

import numpy as np


def unset_openblas_tuning() -> None:
    """Drop OpenBLAS core-type/L2 overrides so NumPy uses its native kernel (benchmarks only).

    They are read when OpenBLAS loads, so this only helps when called before
    NumPy is first imported; ``blas_info`` shows the kernel actually in use.
    """
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        os.environ.pop(var, None)


def limit_threads(n: int):
    """Use ``n`` threads in NumPy's BLAS and in PyTorch's pool for the rest of the run.

    PyTorch's OpenMP pool is sized with ``torch.set_num_threads``: limiting it
    through threadpoolctl as well made its small operations 80x slower here.
    """
    from threadpoolctl import threadpool_limits

    limiter = threadpool_limits(limits=n, user_api="blas")
    torch = optional("torch")
    if torch is not None:
        torch.set_num_threads(n)
    return limiter


def blas_info() -> str:
    """The BLAS library, kernel and thread count NumPy runs with."""
    from threadpoolctl import threadpool_info

    parts = []
    for info in threadpool_info():
        if info.get("user_api") == "blas":
            api, threads = info["internal_api"], info["num_threads"]
            parts.append(f"{api} {info.get('version')} {info.get('architecture')} x{threads}")
    return "; ".join(parts) or "unknown"


def optional(name: str):
    """The module ``name`` if it is installed, else ``None``."""
    try:
        return importlib.import_module(name)
    except Exception:
        return None


def median_time(fn: Callable[[], object], min_time: float = 0.3, min_reps: int = 5, max_reps: int = 2000) -> float:
    """Median wall time of ``fn()`` in seconds, after one warm-up call."""
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < max_reps and (len(times) < min_reps or time.perf_counter() - start < min_time):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def interleaved_medians(
    fns: dict[str, Callable[[], object]], min_time: float = 0.3, min_reps: int = 5, block_time: float = 0.005
) -> dict[str, float]:
    """Median wall seconds per call of each function, timed in turns so all see the same machine load.

    One round runs every function for a block of consecutive calls (about
    ``block_time`` seconds, so a fast function is not timed with the caches
    another one left cold); rounds repeat until each function has ``min_reps``
    blocks and ``min_time`` seconds have passed. Each function is called once
    before timing starts, and the median of the per-call block means is returned.
    """
    blocks = {}
    for name, fn in fns.items():
        fn()
        t = time.perf_counter()
        fn()
        blocks[name] = max(1, int(block_time / max(time.perf_counter() - t, 1e-7)))
    times: dict[str, list] = {name: [] for name in fns}
    start = time.perf_counter()
    rounds = 0
    while rounds < min_reps or time.perf_counter() - start < min_time:
        for name, fn in fns.items():
            n = blocks[name]
            t = time.perf_counter()
            for _ in range(n):
                fn()
            times[name].append((time.perf_counter() - t) / n)
        rounds += 1
    return {name: statistics.median(ts) for name, ts in times.items()}


def first_call_time(fn: Callable[[], object]) -> float:
    """Wall time of one call in seconds (for compile-on-first-call peers)."""
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def peak_memory(fn: Callable[[], object]) -> int:
    """Peak bytes allocated through Python's allocator during one call of ``fn`` (NumPy arrays included).

    PyTorch and JAX allocate outside it, so their peaks read ``None`` in the tables.
    """
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def block(x):
    """Wait for asynchronous results (JAX), also inside tuples and dicts, and return ``x``."""
    jax = sys.modules.get("jax")
    if jax is not None:
        return jax.block_until_ready(x)
    wait = getattr(x, "block_until_ready", None)
    return wait() if wait is not None else x


def table(rows: list[list[str]], header: list[str]) -> str:
    """A plain-text table with aligned columns."""
    cells = [header] + rows
    widths = [max(len(str(r[i])) for r in cells) for i in range(len(header))]
    lines = []
    for k, r in enumerate(cells):
        lines.append("  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def fmt_ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.3f}"


def fmt_mb(nbytes: int | None) -> str:
    return "-" if nbytes is None else f"{nbytes / 2**20:.2f}"


def fmt_ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{a / b:.2f}x"


def as_float32(tree):
    """Every array in a nested dict/list/tuple as float32."""
    if isinstance(tree, dict):
        return {k: as_float32(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(as_float32(v) for v in tree)
    return np.asarray(tree, dtype=np.float32)
