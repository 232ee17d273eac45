"""Shared benchmark machinery: thread settings, timing, peak memory, optional peers, tables, row records.

Every peer runs in the same process under the same thread limits, so the
ratios printed side by side compare like with like. Scripts start through
``_launch.restart_clean`` (OpenBLAS on its native kernel) before this module
loads NumPy.
"""

from __future__ import annotations

import dataclasses
import gc
import importlib
import json
import os
import statistics
import sys
import time
import tracemalloc
from typing import Callable

from benchmarks import _launch

_threads: int | None = None


def limit_threads(n: int):
    """Use ``n`` threads in NumPy's BLAS, PyTorch's pool and XLA's pool for the rest of the run.

    PyTorch's OpenMP pool is sized with ``torch.set_num_threads``: limiting it
    through threadpoolctl as well made its small operations 80x slower here.
    PyTorch is limited now if loaded, else when :func:`optional` loads it; JAX
    must not be loaded yet (its pool is sized from ``XLA_FLAGS`` at start).
    """
    from threadpoolctl import threadpool_limits

    global _threads
    _threads = n
    _launch.pin_xla(n)
    limiter = threadpool_limits(limits=n, user_api="blas")
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
    return limiter


def numpy_blas() -> dict:
    """threadpoolctl's record of the BLAS library NumPy itself links (others, e.g. SciPy's, are skipped)."""
    from threadpoolctl import threadpool_info

    found = [i for i in threadpool_info() if i.get("user_api") == "blas" and "numpy" in i.get("filepath", "")]
    return found[0] if found else {}


def blas_info() -> str:
    """The BLAS library, kernel and thread count NumPy runs with."""
    info = numpy_blas()
    if not info:
        return "unknown"
    return f"{info['internal_api']} {info.get('version')} {info.get('architecture')} x{info['num_threads']}"


def check_native_kernel() -> str:
    """The kernel NumPy's OpenBLAS runs, checked against the one a fresh process without overrides picks.

    Raises ``SystemExit`` when they differ: the timings would not be what users get.
    """
    kernel = numpy_blas().get("architecture") or "unknown"
    native = _launch.native_blas_kernel()
    if kernel != native:
        raise SystemExit(f"NumPy's OpenBLAS runs the {kernel} kernel, but picks {native} by itself on this CPU")
    return kernel


def header(threads: int) -> str:
    """One line naming the BLAS kernel (checked native) and every loaded engine's thread setting."""
    parts = [f"threads={threads}", f"BLAS: {blas_info()} (native: {check_native_kernel()})"]
    torch = sys.modules.get("torch")
    if torch is not None:
        parts.append(f"torch x{torch.get_num_threads()} {torch.backends.cpu.get_cpu_capability()}")
    if "jax" in sys.modules:
        parts.append(f"jax {sys.modules['jax'].__version__} XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}")
    return "; ".join(parts)


def optional(name: str):
    """The module ``name`` if it is installed, else ``None``; PyTorch comes limited to the run's threads."""
    try:
        module = importlib.import_module(name)
    except Exception:
        return None
    if name == "torch" and _threads is not None:
        module.set_num_threads(_threads)
    return module


@dataclasses.dataclass(frozen=True)
class Timing:
    """Seconds per call: wall clock and CPU time of the whole process (all its threads); median and lowest."""

    wall: float
    cpu: float
    wall_min: float | None = None
    cpu_min: float | None = None

    @classmethod
    def of(cls, walls: list[float], cpus: list[float]) -> Timing:
        """Medians and minima of per-call samples (or per-call block means)."""
        return cls(statistics.median(walls), statistics.median(cpus), min(walls), min(cpus))

    @property
    def cpu_per_wall(self) -> float:
        """About the number of busy threads; below 1 when the process waited for a core."""
        return self.cpu / self.wall if self.wall > 0 else float("nan")


@dataclasses.dataclass(frozen=True)
class Row:
    """One measured row, as written by ``--json``: ``name`` is stable across revisions (``compare.py`` pairs on it).

    ``wall``/``cpu`` are medians per call, ``wall_min``/``cpu_min`` the lowest samples.
    """

    name: str
    wall: float
    cpu: float
    wall_min: float | None
    cpu_min: float | None

    @classmethod
    def of(cls, name: str, timing: Timing) -> Row:
        return cls(name, timing.wall, timing.cpu, timing.wall_min, timing.cpu_min)


def write_rows(path: str, benchmark: str, threads: int, rows: list[Row]) -> None:
    """Write the rows and the run's settings as JSON to ``path`` (``-`` for standard output)."""
    import zymo

    record = {
        "benchmark": benchmark,
        "threads": threads,
        "blas": blas_info(),
        "blas_kernel": numpy_blas().get("architecture"),
        "zymo_path": os.path.dirname(os.path.abspath(zymo.__file__)),
        "rows": [dataclasses.asdict(r) for r in rows],
    }
    text = json.dumps(record, indent=1)
    if path == "-":
        print(text)
        return
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def interleaved_timings(
    fns: dict[str, Callable[[], object]], min_time: float = 0.3, min_reps: int = 5, block_time: float = 0.005
) -> dict[str, Timing]:
    """Median wall and CPU seconds per call of each function, timed in turns so all see the same machine load.

    One round runs every function for a block of consecutive calls (about
    ``block_time`` seconds, so a fast function is not timed with the caches
    another one left cold); rounds repeat until each function has ``min_reps``
    blocks and ``min_time`` seconds have passed. Each function is called once
    before timing starts, and the medians of the per-call block means are returned.
    """
    blocks = {}
    for name, fn in fns.items():
        fn()
        t = time.perf_counter()
        fn()
        blocks[name] = max(1, int(block_time / max(time.perf_counter() - t, 1e-7)))
    walls: dict[str, list] = {name: [] for name in fns}
    cpus: dict[str, list] = {name: [] for name in fns}
    start = time.perf_counter()
    rounds = 0
    while rounds < min_reps or time.perf_counter() - start < min_time:
        for name, fn in fns.items():
            n = blocks[name]
            t, c = time.perf_counter(), time.process_time()
            for _ in range(n):
                fn()
            walls[name].append((time.perf_counter() - t) / n)
            cpus[name].append((time.process_time() - c) / n)
        rounds += 1
    return {name: Timing.of(walls[name], cpus[name]) for name in fns}


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


def serve(calls: dict[str, Callable[[], object]], threads: int, commands=None, replies=None) -> None:
    """Answer timing requests for named calls over a line protocol (how ``compare.py`` drives two versions).

    Writes one JSON line describing the process (row names, BLAS, where zymo
    came from), then for every request line ``{"row": NAME, "seconds": S}``
    calls ``NAME`` in blocks of consecutive calls (about 5 ms each) for about
    ``S`` seconds and answers ``{"wall": s, "cpu": s, "wall_mean": s,
    "cpu_mean": s, "calls": n}``: seconds per call in the fastest block (other
    work on the machine only ever adds time) and over all blocks. An empty line
    or end of input ends the loop. Every call is made twice before the
    description is written, so first-call costs stay out of the answers.
    """
    import zymo

    commands = sys.stdin if commands is None else commands
    replies = sys.stdout if replies is None else replies
    block = {}
    for name, fn in calls.items():
        fn()
        t = time.perf_counter()
        fn()
        block[name] = max(1, int(0.005 / max(time.perf_counter() - t, 1e-7)))
    hello = {
        "rows": list(calls),
        "threads": threads,
        "blas": f"{blas_info()} (native: {check_native_kernel()})",
        "zymo_path": os.path.dirname(os.path.abspath(zymo.__file__)),
    }
    replies.write(json.dumps(hello) + "\n")
    replies.flush()
    for line in commands:
        if not line.strip():
            break
        request = json.loads(line)
        fn, k, seconds = calls[request["row"]], block[request["row"]], float(request["seconds"])
        walls, cpus = [], []
        start = time.perf_counter()
        while len(walls) < 3 or time.perf_counter() - start < seconds:
            t, c = time.perf_counter(), time.process_time()
            for _ in range(k):
                fn()
            walls.append((time.perf_counter() - t) / k)
            cpus.append((time.process_time() - c) / k)
        reply = {"wall": min(walls), "cpu": min(cpus), "wall_mean": sum(walls) / len(walls)}
        reply.update(cpu_mean=sum(cpus) / len(cpus), calls=k * len(walls))
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
