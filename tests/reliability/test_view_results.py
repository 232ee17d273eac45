"""Results that may share memory with their input follow later writes to it; copies do not.

NumPy returns views from many functions (``transpose``, ``diagonal``, ``einsum("ii->i")``,
``split``, ...). Under zymo such a result must see a later write to its base in
its value *and* in its gradient; a stale gradient with a current value would be
a silent wrong answer.
"""

from __future__ import annotations

import numpy as onp
import pytest

from .differential import check_program

FUNCTIONS = {
    "transpose": "np.transpose(b)",
    "T": "b.T",
    "reshape": "b.reshape(4)",
    "ravel": "np.ravel(b)",
    "swapaxes": "np.swapaxes(b, 0, 1)",
    "moveaxis": "np.moveaxis(b, 0, 1)",
    "expand_dims": "np.expand_dims(b, 0)",
    "squeeze": "np.squeeze(b[None])",
    "atleast_3d": "np.atleast_3d(b)",
    "flip": "np.flip(b, 0)",
    "fliplr": "np.fliplr(b)",
    "flipud": "np.flipud(b)",
    "rot90": "np.rot90(b)",
    "diagonal": "np.diagonal(b)",
    "diag": "np.diag(b)",
    "einsum_diagonal": "np.einsum('ii->i', b)",
    "einsum_transpose": "np.einsum('ij->ji', b)",
    "split": "np.split(b, 2)[1]",
    "array_split": "np.array_split(b, 2, axis=1)[0]",
    "hsplit": "np.hsplit(b, 2)[1]",
    "vsplit": "np.vsplit(b, 2)[0]",
    "broadcast_to": "np.broadcast_to(b, (3, 2, 2))",
    "asarray": "np.asarray(b)",
    "real": "np.real(b)",
    "getitem_row": "b[1]",
    "getitem_column": "b[:, 0]",
    "getitem_ellipsis": "b[...]",
    # copies: their value and their tangent must not follow the write
    "copy": "np.copy(b)",
    "copy_method": "b.copy()",
    "array": "np.array(b)",
    "astype": "b.astype(np.float64)",
    "flatten": "b.flatten()",
    "ascontiguousarray_of_transpose": "np.ascontiguousarray(b.T)",
    "take": "np.take(b, [0, 1], axis=0)",
    "fancy_index": "b[[1, 0]]",
    "positive": "+b",
}


@pytest.mark.parametrize("expr", FUNCTIONS.values(), ids=FUNCTIONS.keys())
def test_result_that_may_be_a_view_follows_a_later_write_to_its_input(expr):
    source = f"""
def program(x):
    b = np.zeros((2, 2))
    b[...] = np.tanh(x)
    y = {expr}
    b *= x
    b[0, 1] = 3.0 * x[1, 0]
    return [b, y]
"""
    env = {}
    import zymo.numpy as np

    env["np"] = np
    exec(compile(source, f"<{expr}>", "exec"), env)
    check_program(env["program"], (onp.array([[0.3, -1.1], [0.7, 0.25]]),))
