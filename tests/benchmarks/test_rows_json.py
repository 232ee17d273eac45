"""A benchmark script writes its rows as JSON for compare.py (a tiny run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_overhead_script_writes_named_rows_with_wall_and_cpu_time(tmp_path):
    out = tmp_path / "rows.json"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "overhead.py"), "--lengths", "2", "--engines", "zymo.jit"]
    cmd += ["--min-time", "0.01", "--json", str(out)]
    subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True, timeout=60)
    record = json.loads(out.read_text())
    assert record["benchmark"] == "overhead" and record["threads"] == 1
    assert Path(record["zymo_path"]) == ROOT / "zymo"
    assert [r["name"] for r in record["rows"]] == ["T=2 numpy fwd", "T=2 zymo", "T=2 zymo.jit"]
    assert all(r["wall"] > 0 and r["cpu"] > 0 for r in record["rows"])
