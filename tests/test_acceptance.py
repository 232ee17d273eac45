"""Every acceptance case of the recurrent loss, in every style and variation."""

import pytest

from zymo.acceptance import all_cases, run_case

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gradient_matches_finite_differences(case):
    err, ok, msg = run_case(case)
    assert ok, f"{case.name}: relative error {err:.3g} {msg}"
