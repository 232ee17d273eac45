"""Differential testing: random programs traced by zymo agree with plain NumPy and finite differences.

CI runs a fixed, derandomized budget (``ZYMO_FUZZ_EXAMPLES``, default 300). The long mode
(``ZYMO_SLOW=1`` or ``pytest -m slow``) explores longer programs with fresh random choices on every
run (``ZYMO_FUZZ_EXAMPLES_SLOW``, default 3000). A failure prints the program as Python source with its
inputs; it then belongs in ``tests/regressions`` as a named test.
"""

from __future__ import annotations

import os
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .differential import check_float32, check_nonfinite, check_program, check_second_order, with_nonfinite
from .programs import programs

_SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def _check(prog):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_program(prog.function(), prog.inputs)
        check_second_order(prog.function(), prog.inputs)
        check_float32(prog.function(), prog.inputs)


@settings(max_examples=int(os.environ.get("ZYMO_FUZZ_EXAMPLES", "300")), **_SETTINGS)
@given(programs(max_ops=10))
def test_random_programs_match_numpy_and_finite_differences(prog):
    _check(prog)


@settings(max_examples=int(os.environ.get("ZYMO_FUZZ_EXAMPLES", "300")) // 2, **_SETTINGS)
@given(programs(max_ops=10), st.integers(0, 2**16))
def test_random_programs_with_nan_and_inf_inputs_match_numpy_and_do_not_crash(prog, seed):
    check_nonfinite(prog.function(), with_nonfinite(prog.inputs, seed))


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("ZYMO_FUZZ_EXAMPLES_SLOW", "3000")), **{**_SETTINGS, "derandomize": False})
@given(programs(max_ops=14))
def test_long_random_programs_match_numpy_and_finite_differences(prog):
    _check(prog)
    check_nonfinite(prog.function(), with_nonfinite(prog.inputs, len(prog.lines)))
