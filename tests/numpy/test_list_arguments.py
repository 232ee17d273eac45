"""Lists of traced values where a zymo.numpy function takes an array-like: stacked, so gradients reach every entry."""

import inspect
import warnings

import numpy as np
import pytest

import zymo
import zymo.numpy as znp
from zymo.core.dispatch import FUNCTIONS
from zymo.testing import check_grads

_X = np.array([0.3, 1.7, 0.9, 1.2])


def test_std_of_a_list_of_traced_scalars():
    f = lambda a, b: znp.std([a, b])
    check_grads(f, (np.array(0.4), np.array(1.3)), order=2)
    np.testing.assert_array_equal(zymo.vjp(f, np.array(0.4), np.array(1.3))[0], np.std([0.4, 1.3]))


def test_norm_of_a_list_of_traced_values():
    f = lambda a, b: znp.linalg.norm([a, b])
    check_grads(f, (np.array([0.4, -1.0]), np.array([1.3, 2.0])), order=2)


def test_ufunc_of_a_list_of_traced_values():
    check_grads(lambda a, b: znp.exp([a, b]), (np.array(0.4), np.array(1.3)), order=2)


def test_nested_list_and_keyword_argument():
    f = lambda a, b: znp.var(a=[[a, b], [b, a]], axis=0)
    check_grads(f, (np.array(0.4), np.array(1.3)), order=2)


def test_plain_numpy_of_a_list_of_traced_values_says_to_use_zymo_numpy_or_stack():
    with pytest.raises(zymo.TracerConversionError, match=r"zymo\.numpy\.std.*stack the list first"):
        zymo.grad(lambda a, b: np.std([a, b]), argnums=(0, 1))(np.array(0.4), np.array(1.3))


def _unary_functions():
    """zymo.numpy functions whose first argument is an array-like, by name."""
    out = {}
    for numpy_fn, fn in FUNCTIONS.items():
        params = list(inspect.signature(fn).parameters.values()) if callable(fn) else []
        if params and "ArrayLike" in str(params[0].annotation) and "Sequence" not in str(params[0].annotation):
            out[getattr(numpy_fn, "__qualname__", str(numpy_fn))] = fn
    return out


def test_every_array_like_first_argument_takes_a_list_of_traced_values():
    """Each function that differentiates on an array gives the same value and gradient on the list of its entries."""
    checked = []
    for name, fn in sorted(_unary_functions().items()):
        if name == "empty_like":  # its values are whatever the memory held
            continue
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                want, back = zymo.vjp(lambda x: fn(x), _X)
                want_grad = back(np.ones_like(want))[0]
            except Exception:  # not a one-argument call on a vector, or no derivative
                continue
            if np.asarray(want).dtype.kind != "f":
                continue
            got, back = zymo.vjp(lambda a, b, c, d: fn([a, b, c, d]), *_X)
            got_grad = np.array(back(np.ones_like(got)))
        np.testing.assert_array_equal(got, want, err_msg=name)
        np.testing.assert_allclose(got_grad, want_grad, rtol=1e-12, atol=1e-12, err_msg=name)
        checked.append(name)
    assert len(checked) >= 60, checked
