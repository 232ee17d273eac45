"""Test-suite setup: tests marked ``slow`` run only with ``ZYMO_SLOW=1`` or ``-m slow``; the examples of
``zymo.distributed`` run where MPI is installed."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest


def _slow_requested(config) -> bool:
    if os.environ.get("ZYMO_SLOW") == "1":
        return True
    expr = config.getoption("markexpr", "") or ""
    return "slow" in expr and "not slow" not in expr


def _skip_distributed_examples_without_mpi(items) -> None:
    if importlib.util.find_spec("mpi4py") is not None:
        return
    skip = pytest.mark.skip(reason="needs MPI: pip install -e '.[mpi]'")
    folder = Path(__file__).resolve().parents[1] / "zymo" / "distributed"
    for item in items:
        if Path(str(item.fspath)).resolve().parent == folder:
            item.add_marker(skip)


def pytest_collection_modifyitems(config, items):
    _skip_distributed_examples_without_mpi(items)
    if _slow_requested(config):
        return
    skip = pytest.mark.skip(reason="slow test: run with ZYMO_SLOW=1 or -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
