"""The rules of the array API standard's functions on a foreign array library (``array_api_strict``).

Every case runs one function twice: on NumPy arrays (whose rules the family tests check against finite
differences) and on ``array_api_strict`` arrays placed on its second device, which refuses every
conversion to NumPy, so a rule that called NumPy on the values would fail here rather than pass
silently. Values, reverse-mode gradients and forward-mode tangents must agree with NumPy's.
"""

from __future__ import annotations

import numpy as np
import pytest

import zymo
import zymo.numpy as znp
from zymo.namespace_check import assert_matches_numpy, from_strict, strict, to_strict

pytestmark = pytest.mark.skipif(strict is None, reason="array_api_strict is not installed")

rng = np.random.default_rng(0)


def _pos(*shape):
    return rng.uniform(0.5, 1.5, size=shape)


def _any(*shape):
    return rng.normal(size=shape)


def _unit(*shape):
    return rng.uniform(-0.8, 0.8, size=shape)


def _spd(n):
    a = rng.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


UNARY = {
    "abs": (lambda x: znp.sum(znp.abs(x)), _any(3, 4)),
    "acos": (lambda x: znp.sum(znp.acos(x)), _unit(5)),
    "acosh": (lambda x: znp.sum(znp.acosh(x + 1.0)), _pos(5)),
    "asin": (lambda x: znp.sum(znp.asin(x)), _unit(5)),
    "asinh": (lambda x: znp.sum(znp.asinh(x)), _any(5)),
    "atan": (lambda x: znp.sum(znp.atan(x)), _any(5)),
    "atanh": (lambda x: znp.sum(znp.atanh(x)), _unit(5)),
    "cos": (lambda x: znp.sum(znp.cos(x)), _any(5)),
    "cosh": (lambda x: znp.sum(znp.cosh(x)), _any(5)),
    "exp": (lambda x: znp.sum(znp.exp(x)), _any(2, 3)),
    "expm1": (lambda x: znp.sum(znp.expm1(x)), _any(5)),
    "log": (lambda x: znp.sum(znp.log(x)), _pos(5)),
    "log1p": (lambda x: znp.sum(znp.log1p(x)), _pos(5)),
    "log2": (lambda x: znp.sum(znp.log2(x)), _pos(5)),
    "log10": (lambda x: znp.sum(znp.log10(x)), _pos(5)),
    "negative": (lambda x: znp.sum(-x * x), _any(5)),
    "positive": (lambda x: znp.sum(+x * x), _any(5)),
    "sin": (lambda x: znp.sum(znp.sin(x)), _any(5)),
    "sinh": (lambda x: znp.sum(znp.sinh(x)), _any(5)),
    "sqrt": (lambda x: znp.sum(znp.sqrt(x)), _pos(5)),
    "square": (lambda x: znp.sum(znp.square(x)), _any(5)),
    "tan": (lambda x: znp.sum(znp.tan(x)), _unit(5)),
    "tanh": (lambda x: znp.sum(znp.tanh(x)), _any(5)),
    "sign": (lambda x: znp.sum(x * znp.sign(x)), _any(5)),
    "floor": (lambda x: znp.sum(x * znp.floor(x)), _any(5) * 3),
    "ceil": (lambda x: znp.sum(x * znp.ceil(x)), _any(5) * 3),
    "round": (lambda x: znp.sum(x * znp.round(x)), _any(5) * 3),
    "trunc": (lambda x: znp.sum(x * znp.trunc(x)), _any(5) * 3),
    "isfinite": (lambda x: znp.sum(znp.where(znp.isfinite(x), x, 0.0)), _any(5)),
    "isnan": (lambda x: znp.sum(znp.where(znp.isnan(x), 0.0, x * x)), _any(5)),
    "comparison": (lambda x: znp.sum(znp.where(x > 0.1, x, 2.0 * x)), _any(6)),
}

BINARY = {
    "add": (lambda x, y: znp.sum(znp.add(x, y) * x), _any(3, 4), _any(4)),
    "subtract": (lambda x, y: znp.sum((x - y) * x), _any(3, 4), _any(3, 1)),
    "multiply": (lambda x, y: znp.sum(znp.multiply(x, y)), _any(3, 4), _any(4)),
    "divide": (lambda x, y: znp.sum(x / y), _any(3, 4), _pos(4)),
    "pow": (lambda x, y: znp.sum(znp.pow(x, y)), _pos(4), _any(4)),
    "atan2": (lambda x, y: znp.sum(znp.atan2(x, y)), _any(4), _pos(4)),
    "hypot": (lambda x, y: znp.sum(znp.hypot(x, y)), _pos(4), _any(4)),
    "logaddexp": (lambda x, y: znp.sum(znp.logaddexp(x, y)), _any(4), _any(4)),
    "maximum": (lambda x, y: znp.sum(znp.maximum(x, y)), _any(6), _any(6)),
    "minimum": (lambda x, y: znp.sum(znp.minimum(x, y)), _any(6), _any(6)),
    "remainder": (lambda x, y: znp.sum(znp.remainder(x, y)), _pos(4) * 3, _pos(4)),
    "matmul": (lambda x, y: znp.sum(x @ y), _any(3, 4), _any(4, 2)),
    "matmul_batched": (lambda x, y: znp.sum(znp.matmul(x, y)), _any(2, 3, 4), _any(4, 5)),
    "tensordot": (lambda x, y: znp.sum(znp.tensordot(x, y, axes=1)), _any(3, 4), _any(4, 2)),
    "tensordot_axes": (lambda x, y: znp.sum(znp.tensordot(x, y, axes=([0], [1]))), _any(3, 4), _any(2, 3)),
    "vecdot": (lambda x, y: znp.sum(znp.vecdot(x, y) ** 2), _any(3, 4), _any(3, 4)),
    "where": (lambda x, y: znp.sum(znp.where(x > y, x * y, y)), _any(6), _any(6)),
}

REDUCTIONS = {
    "sum_axis": (lambda x: znp.sum(znp.sum(x, axis=1) ** 2), _any(3, 4)),
    "sum_keepdims": (lambda x: znp.sum(x * znp.sum(x, axis=0, keepdims=True)), _any(3, 4)),
    "prod": (lambda x: znp.sum(znp.prod(x, axis=0)), _pos(3, 4)),
    "mean": (lambda x: znp.mean(x * x), _any(3, 4)),
    "mean_axis": (lambda x: znp.sum(znp.mean(x, axis=-1) ** 2), _any(3, 4)),
    "max": (lambda x: znp.max(x) + znp.sum(znp.max(x, axis=0)), _any(3, 4)),
    "min": (lambda x: znp.min(x) + znp.sum(znp.min(x, axis=1)), _any(3, 4)),
    "var": (lambda x: znp.sum(znp.var(x, axis=0)), _any(3, 4)),
    "std": (lambda x: znp.std(x) + znp.sum(znp.std(x, axis=1, ddof=1)), _any(3, 4)),
    "cumulative_sum": (lambda x: znp.sum(znp.cumsum(x, axis=1) ** 2), _any(3, 4)),
    "cumulative_prod": (lambda x: znp.sum(znp.cumprod(x, axis=0)), _pos(3, 4)),
    "methods": (lambda x: x.sum() + (x * x).mean() + x.max(), _any(3, 4)),
}

SHAPES = {
    "reshape": (lambda x: znp.sum(znp.reshape(x, (4, 3))[0] * 2.0), _any(3, 4)),
    "reshape_method": (lambda x: znp.sum(x.reshape(2, 6)[1] ** 2), _any(3, 4)),
    "permute_dims": (lambda x: znp.sum(znp.permute_dims(x, (1, 0, 2))[0] ** 2), _any(2, 3, 4)),
    "transpose": (lambda x: znp.sum((x.T @ x) ** 2), _any(3, 2)),
    "matrix_transpose": (lambda x: znp.sum(x.mT[..., 0] ** 2), _any(2, 3, 4)),
    "broadcast_to": (lambda x: znp.sum(znp.broadcast_to(x, (3, 4)) ** 2), _any(4)),
    "flip": (lambda x: znp.sum(znp.flip(x, axis=0)[0] * x[1]), _any(3, 4)),
    "concat": (lambda x: znp.sum(znp.concat([x, x * 2.0], axis=0)[2:] ** 2), _any(3, 4)),
    "stack": (lambda x: znp.sum(znp.stack([x, x * x], axis=1)[:, 1] ** 2), _any(3, 4)),
    "expand_dims": (lambda x: znp.sum(znp.expand_dims(x, axis=1) * x), _any(3, 4)),
    "squeeze": (lambda x: znp.sum(znp.squeeze(x, axis=0) ** 3), _any(1, 4)),
    "moveaxis": (lambda x: znp.sum(znp.moveaxis(x, 0, -1)[0] ** 2), _any(2, 3, 4)),
    "tile": (lambda x: znp.sum(znp.tile(x, (2, 1)) ** 2 * 0.5), _any(2, 3)),
    "unstack": (lambda x: znp.sum(znp.unstack(x)[1] ** 2), _any(3, 4)),
}

INDEXING = {
    "basic": (lambda x: znp.sum(x[1:, ::2] ** 2) + x[0, 0], _any(3, 4)),
    "ellipsis_none": (lambda x: znp.sum(x[..., None, 1] ** 2), _any(3, 4)),
    "setitem": (lambda x: znp.sum(_written(x) ** 2), _any(3, 4)),
    "clip": (lambda x: znp.sum(znp.clip(x, -0.5, 0.5) * x), _any(8)),
}


def _written(x):
    y = x * 1.0
    y[0] = x[1] * 3.0
    return y


LINALG = {
    "inv": (lambda a: znp.sum(znp.linalg.inv(a)), _spd(3)),
    "solve": (lambda a: znp.sum(znp.linalg.solve(a, a[:, :1] + 1.0)), _spd(3)),
    "det": (lambda a: znp.linalg.det(a), _spd(3)),
    "slogdet": (lambda a: znp.linalg.slogdet(a)[1], _spd(3)),
    "cholesky": (lambda a: znp.sum(znp.linalg.cholesky(a)), _spd(3)),
    "eigvalsh": (lambda a: znp.sum(znp.linalg.eigvalsh(a) ** 2), _spd(3)),
    "vector_norm": (lambda x: znp.linalg.norm(x), _any(5)),
    "norm_axis": (lambda x: znp.sum(znp.linalg.norm(x, axis=1)), _any(3, 4)),
    "matrix_norm": (lambda x: znp.linalg.norm(x, "fro"), _any(3, 4)),
    "trace": (lambda x: znp.trace(x @ x), _any(3, 3)),
    "diagonal": (lambda x: znp.sum(znp.diagonal(x) ** 2), _any(3, 3)),
    "outer": (lambda x: znp.sum(znp.outer(x, x * 2.0) ** 2), _any(3)),
}

_A = _any(4, 3)

SORTING = {
    "sort": (lambda x: znp.sum(znp.sort(x, axis=-1)[..., :2] ** 2), _any(3, 4)),
    "argsort_take": (lambda x: znp.sum(znp.take(x, znp.argsort(x)) * x), _any(4)),
    "argmax": (lambda x: znp.sum(x[znp.argmax(x)] * x), _any(5)),
    "take_along_axis": (
        lambda x: znp.sum(znp.take_along_axis(x, znp.argsort(x, axis=1), axis=1)[:, :2] ** 2),
        _any(3, 4),
    ),
}

MORE_INDEXING = {
    "take_axis1": (lambda x: znp.sum(znp.take(x, np.array([0, 2, 2]), axis=1) ** 2), _any(3, 4)),
    "integer_array_rows": (lambda x: znp.sum(x[np.array([2, 0, 2])] ** 2), _any(3, 4)),
    "boolean_mask": (lambda x: znp.sum(x[x > 0] ** 2), _any(6)),
    "roll": (lambda x: znp.sum(znp.roll(x, 1, axis=0)[0] * x[0]), _any(3, 4)),
    "repeat": (lambda x: znp.sum(znp.repeat(x, 2, axis=0) ** 2), _any(2, 3)),
}

MORE_LINALG = {
    "svd": (lambda a: znp.sum(znp.linalg.svd(a, full_matrices=False)[1] ** 2), _A),
    "svdvals": (lambda a: znp.sum(znp.linalg.svdvals(a)), _A),
    "qr": (lambda a: znp.sum(znp.linalg.qr(a)[1] ** 2), _A),
    "eigh": (lambda a: znp.sum(znp.linalg.eigh(a)[0] ** 2), _spd(3)),
    "pinv": (lambda a: znp.sum(znp.linalg.pinv(a)), _A),
    "matrix_power": (lambda a: znp.sum(znp.linalg.matrix_power(a, 3)), _spd(3) / 5),
    "cross": (lambda x: znp.sum(znp.cross(x, x[::-1]) ** 2), _any(3)),
    "trace_offset": (lambda x: znp.trace(x, offset=1), _any(3, 3)),
    "mean_axis_tuple": (lambda x: znp.sum(znp.mean(x, axis=(0, 2)) ** 2), _any(2, 3, 4)),
    "max_axis_tuple": (lambda x: znp.sum(znp.max(x, axis=(0, 1))), _any(2, 3, 4)),
    "logsumexp": (lambda x: znp.logsumexp(x), _any(4)),
}

# NumPy functions outside the standard, run through the standard's functions (``xp.pow``, ``xp.matmul``,
# ``xp.stack``, ...).
EQUIVALENTS = {
    "cbrt": (lambda x: znp.sum(znp.cbrt(x)), _any(5)),
    "exp2": (lambda x: znp.sum(znp.exp2(x)), _any(5)),
    "deg2rad": (lambda x: znp.sum(znp.sin(znp.deg2rad(x * 50.0))), _any(5)),
    "rad2deg": (lambda x: znp.sum(znp.rad2deg(x) ** 2), _any(5)),
    "fmax": (lambda x: znp.sum(znp.fmax(x, 0.1) * x), _any(6)),
    "fmin": (lambda x: znp.sum(znp.fmin(x, x[::-1]) * x), _any(6)),
    "fmax_nan": (lambda x: znp.sum(znp.fmax(x, znp.where(x > 0, znp.nan, 0.2)) * x), _any(6)),
    "matvec": (lambda x: znp.sum(znp.matvec(x, x[0]) ** 2), _any(3, 3)),
    "vecmat": (lambda x: znp.sum(znp.vecmat(x[1], x) ** 2), _any(3, 3)),
    "list_of_values": (lambda x: znp.sum(znp.array([x[0], x[1] * 2.0, 3.0]) ** 2), _any(3)),
    "nested_lists": (lambda x: znp.sum(znp.asarray([[x[0], 1.0], [x[2], x[1] * x[0]]]) ** 3), _any(3)),
}

ALL = {**UNARY, **REDUCTIONS, **SHAPES, **INDEXING, **LINALG, **SORTING, **MORE_INDEXING, **MORE_LINALG, **EQUIVALENTS}


@pytest.mark.parametrize("name", sorted(ALL))
def test_one_argument_function_matches_numpy(name):
    f, x = ALL[name]
    assert_matches_numpy(f, x)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_two_argument_function_matches_numpy(name):
    f, x, y = BINARY[name]
    assert_matches_numpy(f, x, y)


@pytest.mark.parametrize("name", ["exp", "tanh", "sin", "log"])
def test_second_derivative_matches_numpy(name):
    f, x = UNARY[name]
    g = lambda x: znp.sum(zymo.grad(f)(x) ** 2)
    assert_matches_numpy(g, x)


def test_function_outside_the_standard_names_itself_and_the_library():
    x = to_strict(_pos(3))
    with pytest.raises(zymo.UnsupportedOperationError, match=r"numpy\.sinc.*array_api_strict"):
        zymo.grad(lambda x: znp.sum(znp.sinc(x)))(x)


def test_zymo_numpy_on_plain_foreign_arrays_returns_the_libraries_arrays():
    x = to_strict(_any(3))
    out = znp.exp(x)
    assert type(out).__module__.startswith("array_api_strict")
    np.testing.assert_allclose(from_strict(out), np.exp(from_strict(x)))
