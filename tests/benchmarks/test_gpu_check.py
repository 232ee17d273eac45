"""benchmarks/gpu_check.py imports without a GPU and, without CuPy, says so and checks nothing."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed here")
def test_without_cupy_it_exits_cleanly_with_the_install_command():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_check.py")], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "skipped, CuPy is not installed (pip install cupy-cuda12x" in proc.stdout


def test_it_imports_without_a_gpu():
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks" / "gpu_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.main)


def test_its_device_checks_pass_on_array_api_strict():
    """Section 0 is written for any device: on array_api_strict's second device every check must pass."""
    from zymo.namespace_check import STRICT_DEVICE, strict

    if strict is None:
        pytest.skip("array_api_strict is not installed")
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks" / "gpu_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.check_device_plumbing(STRICT_DEVICE)
    assert len(results) == 9 and all(results.values()), results
