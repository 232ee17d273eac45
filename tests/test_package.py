"""The top-level ``zymo`` namespace: what ``import zymo`` makes reachable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_testing_is_reachable_as_an_attribute_after_import_zymo():
    code = "import zymo, numpy as np; print(zymo.testing.check_grads(lambda x: (x ** 2).sum(), (np.ones(3),)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert result.returncode == 0, result.stderr
