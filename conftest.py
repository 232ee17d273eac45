"""Doctests of the package: the examples that drive PyTorch skip, with the reason, where torch is not installed."""

from __future__ import annotations

import importlib.util

import pytest

_NEEDS_TORCH = (
    "example uses PyTorch, which is not installed "
    "(CPU build: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu)"
)


def pytest_collection_modifyitems(config, items):
    if importlib.util.find_spec("torch") is not None:
        return
    skip = pytest.mark.skip(reason=_NEEDS_TORCH)
    for item in items:
        dtest = getattr(item, "dtest", None)
        if dtest is not None and any("torch" in example.source for example in dtest.examples):
            item.add_marker(skip)
