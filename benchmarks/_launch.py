"""Start benchmark processes the way a user's process starts: OpenBLAS on its native kernel, peers pinned.

This module imports nothing heavy, so a benchmark script can call
:func:`restart_clean` before NumPy loads::

    from benchmarks import _launch

    if __name__ == "__main__":
        _launch.restart_clean()
    import numpy as np

OpenBLAS reads ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` once, when it
loads; a machine that exports them (``OPENBLAS_CORETYPE=Haswell`` holds an
AVX-512 CPU to AVX2 kernels) would time NumPy on a kernel users do not get,
while PyTorch and JAX keep their own. Removing them after NumPy has loaded
changes nothing, hence the re-execution. XLA's CPU thread pool is sized from
``XLA_FLAGS`` when JAX's backend starts, not by threadpoolctl, so
:func:`pin_xla` must run before JAX is imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
XLA_THREAD_FLAGS = ("--xla_cpu_multi_thread_eigen", "intra_op_parallelism_threads")

# Printed by a fresh interpreter: the kernel NumPy's OpenBLAS picks on this CPU by itself.
_KERNEL_PROBE = """
import numpy, threadpoolctl
print(next((i.get("architecture") or "unknown" for i in threadpoolctl.threadpool_info()
            if i.get("user_api") == "blas" and "numpy" in i.get("filepath", "")), "unknown"))
"""


def clean_environment(env: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``env`` without the OpenBLAS kernel and cache-size overrides."""
    return {k: v for k, v in env.items() if k not in OPENBLAS_OVERRIDES}


def restart_clean() -> None:
    """Re-execute this process without the OpenBLAS overrides, if any is set. Call before NumPy loads.

    Raises ``RuntimeError`` when an override is set and NumPy is already
    loaded: the run would silently time the overridden kernel.
    """
    if not any(var in os.environ for var in OPENBLAS_OVERRIDES):
        return
    if "numpy" in sys.modules:
        raise RuntimeError(
            "NumPy was loaded with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE set; start the benchmark with them unset "
            "(python -m benchmarks.run NAME, or call restart_clean() before importing NumPy)"
        )
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, sys.orig_argv, clean_environment(os.environ))


def xla_flags(threads: int, existing: str = "") -> str:
    """``XLA_FLAGS`` that size XLA's CPU pool to ``threads``, keeping any other flag in ``existing``."""
    kept = [f for f in existing.split() if f.split("=")[0] not in XLA_THREAD_FLAGS]
    multi = "true" if threads > 1 else "false"
    return " ".join(kept + [f"--xla_cpu_multi_thread_eigen={multi}", f"intra_op_parallelism_threads={threads}"])


def pin_xla(threads: int) -> None:
    """Set ``XLA_FLAGS`` for ``threads`` threads. Raises ``RuntimeError`` if JAX is already loaded."""
    flags = xla_flags(threads, os.environ.get("XLA_FLAGS", ""))
    if "jax" in sys.modules and os.environ.get("XLA_FLAGS") != flags:
        raise RuntimeError("JAX was imported before its thread pool was pinned; import it after limit_threads()")
    os.environ["XLA_FLAGS"] = flags


def native_blas_kernel() -> str:
    """The kernel OpenBLAS picks in a fresh interpreter with no OpenBLAS overrides (the user's default)."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    out = subprocess.run(
        [sys.executable, "-c", _KERNEL_PROBE], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return out.stdout.strip() or "unknown"
