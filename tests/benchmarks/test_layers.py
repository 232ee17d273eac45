"""``benchmarks/layers.py --serve``: the rows compare.py times, zymo's and PyTorch's for every case."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_layers_serves_a_zymo_and_a_torch_row_per_case():
    pytest.importorskip("torch")
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "layers.py"), "--quick", "--threads", "1", "--serve"],
        input="\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout.splitlines()[0])["rows"]
    cases = ["conv2d 3->64 32x32", "attention T128 d256 h8", "transformer layer T128 d256 h8"]
    assert all(f"{case} {engine}" in rows for case in cases for engine in ("zymo", "torch"))
