"""Construction: array/asarray from nested lists mixing traced values and numbers, buffers, linspace."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import zymo
import zymo.numpy as znp
from tests.numpy._strategies_linalg import check, crandn, randn, same_float32_gradient
from tests.numpy.conftest import FAST, arrays, check_complex_grads, shapes
from zymo.core.tracer import bottom

NESTED = {
    "scalars and numbers": lambda a, b: [[a, 1.0], [2.0, b]],
    "rows and a plain row": lambda a, b: [a, [1.0, 2.0], b],
    "arrays in a tuple": lambda a, b: (a, b),
    "deep nesting": lambda a, b: [[[a[0], 0.0]], [[b[1], a[1]]]],
    "plain ndarray beside traced rows": lambda a, b: [a, np.array([3.0, 4.0]), b],
}


@pytest.mark.parametrize("name", NESTED)
@pytest.mark.parametrize("make", [znp.array, znp.asarray], ids=["array", "asarray"])
def test_array_from_nested_lists_mixing_traced_values_and_numbers(name, make):
    build = NESTED[name]
    shape = () if name == "scalars and numbers" else (2,)
    check(lambda a, b: make(build(a, b)), (randn(*shape), randn(*shape, seed=1)))


def test_array_of_a_traced_value_is_a_copy():
    def f(x):
        y = znp.array(x)
        y[0] = 0.0
        return x * y

    check(f, (randn(3),))


@pytest.mark.parametrize(
    "copy_of",
    [lambda x: znp.asarray(x, copy=True), lambda x: x.__array_namespace__().asarray(x, copy=True)],
    ids=["znp.asarray", "namespace asarray"],
)
def test_asarray_with_copy_true_of_a_traced_value_is_a_copy(copy_of):
    x = randn(3)
    before = x.copy()

    def f(x):
        y = copy_of(x)
        y[0] = 0.0
        return x * y

    check(f, (x,))
    np.testing.assert_array_equal(x, before)


def test_asarray_with_copy_false_refuses_a_cast_of_a_traced_value_as_numpy_does():
    with pytest.raises(ValueError, match="Unable to avoid copy"):
        np.asarray(randn(2), dtype=np.float32, copy=False)
    with pytest.raises(ValueError, match="Unable to avoid copy"):
        zymo.vjp(lambda x: znp.asarray(x, dtype=np.float32, copy=False), randn(2))


def test_asarray_with_copy_false_of_a_traced_array_is_the_array_itself():
    def f(x):
        y = znp.asarray(x, copy=False)
        assert y is x
        return y * 2.0

    check(f, (randn(3),))


CREATION_WITH_DEVICE = {
    "zeros": lambda m, x: m.zeros(3, device="cpu"),
    "ones": lambda m, x: m.ones(3, device="cpu"),
    "empty": lambda m, x: m.empty(3, device="cpu").shape,
    "full": lambda m, x: m.full(3, 2.5, device="cpu"),
    "zeros_like": lambda m, x: m.zeros_like(x, device="cpu"),
    "ones_like": lambda m, x: m.ones_like(x, device="cpu"),
    "empty_like": lambda m, x: m.empty_like(x, device="cpu").shape,
    "full_like": lambda m, x: m.full_like(x, 2.5, device="cpu"),
    "arange": lambda m, x: m.arange(3, device="cpu"),
    "linspace": lambda m, x: m.linspace(0.0, 1.0, 4, device="cpu"),
    "eye": lambda m, x: m.eye(2, device="cpu"),
    "asarray": lambda m, x: m.asarray(x, device="cpu"),
}


@pytest.mark.parametrize("name", CREATION_WITH_DEVICE)
def test_creation_functions_take_the_array_apis_device_argument(name):
    make = CREATION_WITH_DEVICE[name]
    x = randn(3)
    want = make(np, x)
    np.testing.assert_array_equal(make(znp, x), want)
    seen = []
    zymo.grad(lambda x: seen.append(make(znp, x)) or x.sum())(x)
    np.testing.assert_array_equal(bottom(seen[0]), want)


@pytest.mark.parametrize("make", [znp.full, znp.eye, znp.zeros_like], ids=["full", "eye", "zeros_like"])
def test_creation_on_another_librarys_device_is_refused_with_the_fix(make):
    args = {znp.full: (3, 1.0), znp.eye: (2,), znp.zeros_like: (randn(2),)}[make]
    with pytest.raises(zymo.UnsupportedOperationError, match="makes NumPy arrays"):
        make(*args, device="cuda:0")


def test_full_with_a_traced_fill_value_and_device():
    check(lambda x: znp.full((2, 3), x, device="cpu"), (randn(),))


def test_plain_numpy_asarray_of_a_list_holding_traced_values_is_refused():
    with pytest.raises(zymo.TracerConversionError, match="znp"):
        zymo.vjp(lambda a: np.asarray([a, 1.0]), randn())


def test_array_with_a_dtype_casts_the_gradient_back():
    g = zymo.grad(lambda x: np.sum(znp.array([x, [1.0, 1.0]], dtype=np.float32) * 2))(randn(2))
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g, [2.0, 2.0])


def test_empty_lists_grow_by_appending():
    def f(x):
        rows = []
        for t in range(len(x)):
            rows = rows + [x[t] * t]
        return znp.array(rows) if rows else znp.array([])

    check(f, (randn(3, 2),))


def test_array_of_an_empty_list_inside_a_differentiated_function():
    def f(x):
        return np.sum(znp.array([])) + np.sum(x)

    check(f, (randn(2),))


# --- buffers --------------------------------------------------------------------------------------
BUFFERS = {
    "zeros": lambda x: znp.zeros(x.shape),
    "ones": lambda x: znp.ones(x.shape),
    "empty": lambda x: znp.empty(x.shape),
    "full": lambda x: znp.full(x.shape, 2.5),
    "zeros_like": lambda x: znp.zeros_like(x),
    "ones_like": lambda x: np.ones_like(x),
    "empty_like": lambda x: np.empty_like(x),
    "full_like": lambda x: np.full_like(x, -1.0),
}


@pytest.mark.parametrize("name", BUFFERS)
def test_buffer_records_writes_of_traced_values(name):
    def f(x):
        buf = BUFFERS[name](x)
        buf[0] = x[1] ** 2
        if name.startswith("empty"):  # nothing to read before it is written
            buf[1:] = x[:-1]
        else:
            buf[1:] += x[:-1]
        buf *= x
        return buf

    check(f, (randn(3),), exact=name not in ("empty", "empty_like"))


@FAST
@given(shapes(max_dims=2).flatmap(arrays))
def test_full_with_a_traced_fill_value(x):
    check(lambda x: znp.full((2,) + x.shape, x), (x,))
    check(lambda x: znp.full_like(x, np.sum(x)), (x,))


def test_buffers_outside_differentiation_are_numpys():
    assert type(znp.zeros(3)) is np.ndarray
    np.testing.assert_array_equal(znp.full((2, 2), 3.0), np.full((2, 2), 3.0))
    np.testing.assert_array_equal(znp.eye(3, k=1), np.eye(3, k=1))


def test_eye_and_identity_are_constant_buffers():
    def f(x):
        m = znp.eye(3)
        m[0] = x
        return m @ znp.identity(3) @ x

    check(f, (randn(3),))


# --- linspace ---------------------------------------------------------------------------------------
@FAST
@given(st.integers(1, 6), st.booleans(), st.integers(0, 2**16))
def test_linspace_with_traced_endpoints(num, endpoint, seed):
    a, b = randn(seed=seed), randn(seed=seed + 1)
    check(lambda a, b: np.linspace(a, b, num, endpoint=endpoint), (a, b))


def test_linspace_of_vector_endpoints_along_an_axis():
    check(lambda a, b: znp.linspace(a, b, 4, axis=1), (randn(2), randn(2, seed=1)))


def test_linspace_with_one_traced_endpoint_and_retstep():
    check(lambda a: znp.linspace(a, 3.0, 5, retstep=True), (randn(),))


def test_linspace_of_plain_endpoints_is_numpys():
    np.testing.assert_array_equal(znp.linspace(0, 1, 7), np.linspace(0, 1, 7))


# --- dtypes, complex --------------------------------------------------------------------------------------
def test_float32_inputs_get_float32_gradients():
    same_float32_gradient(lambda a, b: znp.array([[a, 1.0], [b, a]]), (randn(), randn(seed=1)))
    same_float32_gradient(lambda a, b: znp.linspace(a, b, 5), (randn(), randn(seed=1)))

    def buffer(x):
        buf = znp.zeros_like(x)
        buf[0] = x[1]
        return buf

    same_float32_gradient(buffer, (randn(3),))


def test_complex_values_in_nested_lists_follow_jax_convention():
    check_complex_grads(lambda a, b: znp.array([[a, 1.0], [b, a]]), (crandn(), randn()))
    check_complex_grads(lambda a: znp.linspace(a, 2.0, 4), (crandn(),))


def test_a_traced_value_written_into_a_plain_numpy_buffer_is_refused():
    def f(x):
        buf = np.zeros(3)
        buf[0] = x[0]
        return buf

    with pytest.raises(zymo.TracerConversionError):
        zymo.vjp(f, randn(3))
