"""A survey of NumPy's views: a write through each one does under zymo what it does under NumPy.

For every NumPy function or method that returns a view, a program takes the view of a
buffer, writes through it (in-place operators and ``setitem``), and returns the buffer and
the view. Where NumPy lets the write through, zymo must too: the traced values equal plain
NumPy's bit for bit (NumPy itself, not zymo's functions on plain arrays), the gradients
equal finite differences in both modes, and ``zymo.jit`` replays the program bit for bit,
without giving up on replay. Where NumPy refuses the write (a read-only view), zymo refuses it with the same
error.
"""

from __future__ import annotations

import warnings

import numpy as onp
import pytest

import zymo
import zymo.numpy as znp

from .differential import check_program
from .test_jit_programs import _check_jit

# name -> the view of the buffer ``b`` (2 x 2 float64, or complex128 where the name says so)
WRITABLE = {
    "getitem_row": "b[1]",
    "getitem_column": "b[:, 0]",
    "getitem_strided": "b[::-1, 1:]",
    "getitem_ellipsis": "b[...]",
    "getitem_newaxis": "b[None]",
    "T": "b.T",
    "mT": "b.mT",
    "transpose": "np.transpose(b)",
    "permute_dims": "np.permute_dims(b, (1, 0))",
    "linalg_matrix_transpose": "np.linalg.matrix_transpose(b)",
    "reshape": "b.reshape(4)",
    "np_reshape": "np.reshape(b, (1, 4))",
    "ravel": "np.ravel(b)",
    "ravel_method": "b.ravel()",
    "swapaxes": "np.swapaxes(b, 0, 1)",
    "swapaxes_method": "b.swapaxes(0, 1)",
    "moveaxis": "np.moveaxis(b, 0, 1)",
    "rollaxis": "np.rollaxis(b, 1)",
    "expand_dims": "np.expand_dims(b, 0)",
    "squeeze": "np.squeeze(b[None])",
    "squeeze_method": "b[None].squeeze()",
    "atleast_1d": "np.atleast_1d(b)",
    "atleast_2d": "np.atleast_2d(b)",
    "atleast_3d": "np.atleast_3d(b)",
    "flip": "np.flip(b, 0)",
    "flip_all_axes": "np.flip(b)",
    "fliplr": "np.fliplr(b)",
    "flipud": "np.flipud(b)",
    "rot90": "np.rot90(b)",
    "rot90_twice": "np.rot90(b, 2)",
    "einsum_diagonal": "np.einsum('ii->i', b)",
    "einsum_transpose": "np.einsum('ij->ji', b)",
    "einsum_implicit": "np.einsum('ij', b)",
    "einsum_ellipsis": "np.einsum('...->...', b)",
    "split": "np.split(b, 2)[1]",
    "array_split": "np.array_split(b, 2, axis=1)[0]",
    "hsplit": "np.hsplit(b, 2)[1]",
    "vsplit": "np.vsplit(b, 2)[0]",
    "unstack": "np.unstack(b)[1]",
    "asarray": "np.asarray(b)",
    "asanyarray": "np.asanyarray(b)",
    "array_without_copy": "np.array(b, copy=False)",
    "astype_without_copy": "b.astype(np.float64, copy=False)",
    "ascontiguousarray": "np.ascontiguousarray(b)",
    "view_method": "b.view()",
    "view_method_same_dtype": "b.view(np.float64)",
    "real_of_real": "np.real(b)",
    "real_attribute_of_real": "b.real",
    "complex_real": "np.real(b)",
    "complex_real_attribute": "b.real",
    "complex_imag": "np.imag(b)",
    "complex_imag_attribute": "b.imag",
    "complex_einsum_diagonal": "np.einsum('ii->i', b)",
}

# NumPy refuses to write through these (read-only views): zymo refuses with the same error
READ_ONLY = {
    "diagonal": "np.diagonal(b)",
    "diagonal_method": "b.diagonal()",
    "diag": "np.diag(b)",
    "linalg_diagonal": "np.linalg.diagonal(b)",
    "imag_of_real": "np.imag(b)",
    "imag_attribute_of_real": "b.imag",
    "broadcast_to": "np.broadcast_to(b, (3, 2, 2))",
}

# zymo has no rule for these (read-only views in NumPy): taking one is refused, naming the function
UNSUPPORTED = {
    "sliding_window_view": "np.lib.stride_tricks.sliding_window_view(b, 2, axis=0)",
}

# NumPy writes with a DeprecationWarning that says these will become read-only; zymo refuses already
DEPRECATED_WRITES = {
    "broadcast_arrays": "np.broadcast_arrays(b, np.ones((3, 2, 2)))[0]",
    "meshgrid_without_copy": "np.meshgrid(b[0], b[1], copy=False)[0]",
}

WRITES = "y *= 2.0 + x[0, 1]\n    y[...] = y + x[1, 1]\n    y[(0,) * y.ndim] = 3.0 * x[0, 0]"


def _source(expr: str, complex_buffer: bool) -> str:
    fill = "np.tanh(x) + 1j * np.sin(x)" if complex_buffer else "np.tanh(x)"
    dtype = "np.complex128" if complex_buffer else "np.float64"
    out = "np.real(b).copy(), np.imag(b).copy(), np.real(y).copy()" if complex_buffer else "b, y"
    return f"""
def program(x):
    b = np.zeros((2, 2), {dtype})
    b[...] = {fill}
    y = {expr}
    {WRITES}
    return [{out}]
"""


def _program(name: str, expr: str, np_module):
    env = {"np": np_module}
    exec(compile(_source(expr, name.startswith("complex")), f"<{name}: {expr}>", "exec"), env)
    return env["program"]


X = onp.array([[0.3, -1.1], [0.7, 0.25]])


@pytest.mark.parametrize("name", WRITABLE)
def test_a_write_through_a_writable_view_reaches_its_base_with_numpys_values_and_correct_gradients(name):
    expr = WRITABLE[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        want = _program(name, expr, onp)(X.copy())
    traced, _ = zymo.vjp(_program(name, expr, znp), X.copy())
    for got, w in zip(traced, want):
        assert got.shape == w.shape and onp.array_equal(got, w), f"{got} != NumPy's {w}"
    check_program(_program(name, expr, znp), (X,))


class _Program:
    def __init__(self, function):
        self._function, self.inputs = function, (X,)

    def function(self):
        return self._function


@pytest.mark.parametrize("name", ["einsum_diagonal", "getitem_strided", "reshape", "rot90", "complex_real"])
def test_zymo_jit_replays_writes_through_views_bit_for_bit_without_warning(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "different constants" would mean replay was given up
        _check_jit(_Program(_program(name, WRITABLE[name], znp)))


def _numpy_refusal(name: str, expr: str) -> BaseException:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            _program(name, expr, onp)(X.copy())
        except Exception as exc:  # noqa: BLE001 - what NumPy raises is what the test compares against
            return exc
    raise AssertionError(f"NumPy lets the write through {expr} happen")


@pytest.mark.parametrize("name", READ_ONLY)
def test_a_write_through_a_read_only_view_is_refused_as_numpy_refuses_it(name):
    expr = READ_ONLY[name]
    refusal = _numpy_refusal(name, expr)
    assert type(refusal) is ValueError
    with pytest.raises(ValueError) as raised:
        zymo.vjp(_program(name, expr, znp), X.copy())
    assert str(raised.value) == str(refusal)


@pytest.mark.parametrize("name", DEPRECATED_WRITES)
def test_a_write_numpy_deprecates_through_a_broadcast_view_is_refused(name):
    expr = DEPRECATED_WRITES[name]
    assert isinstance(_numpy_refusal(name, expr), DeprecationWarning)
    with pytest.raises(ValueError, match="read-only"):
        zymo.vjp(_program(name, expr, znp), X.copy())


@pytest.mark.parametrize("name", UNSUPPORTED)
def test_a_read_only_view_without_a_rule_is_refused_with_zymos_error_naming_it(name):
    expr = UNSUPPORTED[name]
    assert type(_numpy_refusal(name, expr)) is ValueError
    with pytest.raises(zymo.UnsupportedOperationError, match=name):
        zymo.vjp(_program(name, expr, znp), X.copy())


def test_writing_through_an_einsum_diagonal_reaches_the_matrix_and_its_gradient():
    def f(x):
        a = znp.zeros((2, 2))
        a[...] = x
        d = znp.einsum("ii->i", a)
        d *= 3.0
        return (a * a).sum()

    x = onp.array([[1.0, 2.0], [3.0, 4.0]])
    assert zymo.grad(f)(x).tolist() == [[18.0, 4.0], [6.0, 72.0]]
