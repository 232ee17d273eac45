"""Test-suite setup: tests marked ``slow`` run only with ``ZYMO_SLOW=1`` or ``-m slow``."""

from __future__ import annotations

import os

import pytest


def _slow_requested(config) -> bool:
    if os.environ.get("ZYMO_SLOW") == "1":
        return True
    expr = config.getoption("markexpr", "") or ""
    return "slow" in expr and "not slow" not in expr


def pytest_collection_modifyitems(config, items):
    if _slow_requested(config):
        return
    skip = pytest.mark.skip(reason="slow test: run with ZYMO_SLOW=1 or -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
