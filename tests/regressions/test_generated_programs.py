"""Programs the random-program generator once found wrong, kept as named regression tests."""

from __future__ import annotations

import numpy as onp

from tests.reliability.differential import check_program
from tests.reliability.programs import compile_program


def _check(source: str, *inputs) -> None:
    check_program(compile_program(source), tuple(onp.asarray(x, dtype=onp.float64) for x in inputs))


def test_returned_view_sees_a_later_fill_of_its_base():
    _check(
        """
def program(r0):
    r1 = np.tanh(r0)
    r2 = r1[0:1]
    r1.fill(0.75)
    return [r1, r2]
""",
        [0.12573022],
    )
