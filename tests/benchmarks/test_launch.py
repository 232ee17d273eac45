"""Benchmark processes start on OpenBLAS's native kernel, with XLA's thread pool sized before JAX loads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from benchmarks import _launch

ROOT = Path(__file__).resolve().parents[2]


def test_clean_environment_drops_only_the_openblas_overrides():
    env = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "1048576", "PATH": "/bin", "OMP_NUM_THREADS": "1"}
    assert _launch.clean_environment(env) == {"PATH": "/bin", "OMP_NUM_THREADS": "1"}


def test_xla_flags_for_one_thread_turn_off_eigen_multithreading():
    assert _launch.xla_flags(1) == "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def test_xla_flags_keep_other_flags_and_replace_thread_flags():
    existing = "--xla_dump_to=/tmp/x --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    flags = _launch.xla_flags(2, existing)
    assert flags == "--xla_dump_to=/tmp/x --xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=2"


def test_pin_xla_refuses_once_jax_is_loaded(monkeypatch):
    monkeypatch.setitem(sys.modules, "jax", object())
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    with pytest.raises(RuntimeError, match="JAX was imported"):
        _launch.pin_xla(1)


def test_restart_clean_refuses_when_numpy_already_loaded_with_an_override(monkeypatch):
    import numpy  # noqa: F401  (loaded here by the test session already)

    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    with pytest.raises(RuntimeError, match="NumPy was loaded"):
        _launch.restart_clean()


def test_script_started_with_an_override_runs_numpy_without_it():
    script = textwrap.dedent(
        """
        import os, sys
        sys.path.insert(0, sys.argv[1])
        from benchmarks import _launch
        _launch.restart_clean()
        import numpy
        print(os.environ.get("OPENBLAS_CORETYPE"), os.environ.get("OPENBLAS_L2_SIZE"), sys.argv[2])
        """
    )
    env = {"PATH": "/usr/bin:/bin", "OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "1048576"}
    out = subprocess.run(
        [sys.executable, "-c", script, str(ROOT), "kept"], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["None", "None", "kept"]


def test_header_check_stops_a_run_whose_kernel_is_not_the_native_one(monkeypatch):
    from benchmarks import _common

    monkeypatch.setattr(_common, "numpy_blas", lambda: {"architecture": "Haswell"})
    monkeypatch.setattr(_launch, "native_blas_kernel", lambda: "SkylakeX")
    with pytest.raises(SystemExit, match="runs the Haswell kernel, but picks SkylakeX"):
        _common.check_native_kernel()
