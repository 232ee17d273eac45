"""The line protocol compare.py drives benchmark processes with."""

from __future__ import annotations

import io
import json

from benchmarks import _common


def test_serve_describes_its_rows_then_times_each_request(monkeypatch):
    monkeypatch.setattr(_common, "check_native_kernel", lambda: "TestKernel")
    counts = {"a": 0, "b": 0}

    def call(name):
        def fn():
            counts[name] += 1

        return fn

    requests = io.StringIO(json.dumps({"row": "b", "seconds": 0.001}) + "\n\n")
    replies = io.StringIO()
    _common.serve({"a": call("a"), "b": call("b")}, 1, commands=requests, replies=replies)
    hello, answer = map(json.loads, replies.getvalue().splitlines())
    assert hello["rows"] == ["a", "b"] and hello["threads"] == 1 and "native: TestKernel" in hello["blas"]
    assert answer["calls"] == counts["b"] - 2 >= 3 and counts["a"] == 2
    assert 0 < answer["wall"] <= answer["wall_mean"] and 0 <= answer["cpu"] <= answer["cpu_mean"]
