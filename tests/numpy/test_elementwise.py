"""Elementwise rules: derivatives of every order in both modes, NumPy's values, dtypes, complex values."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import zymo
import zymo.numpy as znp
from tests.numpy.conftest import (
    FAST,
    array_tuples,
    arrays,
    broadcastable_shapes,
    check_complex_grads,
    complex_arrays,
    shapes,
)
from zymo.testing import check_grads

# name -> domain (low, high) of the values drawn for it.
UNARY = {
    "negative": (-2, 2),
    "positive": (-2, 2),
    "absolute": (-2, 2),
    "exp": (-2, 2),
    "exp2": (-2, 2),
    "expm1": (-2, 2),
    "log": (0.2, 3),
    "log1p": (-0.5, 2),
    "log2": (0.2, 3),
    "log10": (0.2, 3),
    "sqrt": (0.2, 3),
    "cbrt": (0.2, 3),
    "square": (-2, 2),
    "reciprocal": (0.3, 2),
    "sin": (-2, 2),
    "cos": (-2, 2),
    "tan": (-1.2, 1.2),
    "arcsin": (-0.8, 0.8),
    "arccos": (-0.8, 0.8),
    "arctan": (-2, 2),
    "sinh": (-2, 2),
    "cosh": (-2, 2),
    "tanh": (-2, 2),
    "arcsinh": (-2, 2),
    "arccosh": (1.2, 3),
    "arctanh": (-0.8, 0.8),
    "deg2rad": (-2, 2),
    "rad2deg": (-2, 2),
    "radians": (-2, 2),
    "degrees": (-2, 2),
    "sinc": (-2, 2),
    "nan_to_num": (-2, 2),
    "real": (-2, 2),
    "conjugate": (-2, 2),
}

# name -> domains of its two arguments.
BINARY = {
    "add": ((-2, 2), (-2, 2)),
    "subtract": ((-2, 2), (-2, 2)),
    "multiply": ((-2, 2), (-2, 2)),
    "divide": ((-2, 2), (0.5, 2)),
    "true_divide": ((-2, 2), (0.5, 2)),
    "power": ((0.5, 2), (-2, 2)),
    "float_power": ((0.5, 2), (-2, 2)),
    "maximum": ((-2, 2), (-2, 2)),
    "minimum": ((-2, 2), (-2, 2)),
    "fmax": ((-2, 2), (-2, 2)),
    "fmin": ((-2, 2), (-2, 2)),
    "arctan2": ((-2, 2), (0.3, 2)),
    "hypot": ((0.3, 2), (-2, 2)),
    "logaddexp": ((-2, 2), (-2, 2)),
    "logaddexp2": ((-2, 2), (-2, 2)),
    "remainder": ((0.1, 3), (0.7, 1.3)),
    "mod": ((0.1, 3), (0.7, 1.3)),
    "fmod": ((-3, 3), (0.7, 1.3)),
}

ZERO_GRADIENT = ["sign", "floor", "ceil", "round", "around", "rint", "trunc", "fix"]
HOLOMORPHIC = ["exp", "sin", "cos", "tan", "sinh", "cosh", "tanh", "log", "sqrt", "square", "reciprocal", "negative"]


def _unary_input(name):
    return shapes().flatmap(lambda s: arrays(s, *UNARY[name]))


def _binary_inputs(name):
    return broadcastable_shapes(2).flatmap(lambda ss: array_tuples(ss, BINARY[name]))


# --- derivatives against finite differences ---------------------------------------------------
@pytest.mark.parametrize("name", UNARY)
def test_unary_derivatives_match_finite_differences_through_numpy_dispatch(name):
    @FAST
    @given(_unary_input(name))
    def run(x):
        check_grads(getattr(np, name), (x,), order=2, modes=("fwd", "rev"))

    run()


@pytest.mark.parametrize("name", UNARY)
def test_unary_derivatives_match_finite_differences_through_znp(name):
    @FAST
    @given(_unary_input(name))
    def run(x):
        check_grads(getattr(znp, name), (x,), order=2, modes=("fwd", "rev"))

    run()


@pytest.mark.parametrize("name", BINARY)
def test_binary_derivatives_match_finite_differences_with_broadcasting(name):
    @FAST
    @given(_binary_inputs(name))
    def run(xy):
        check_grads(getattr(np, name), xy, order=2, modes=("fwd", "rev"))
        check_grads(getattr(znp, name), xy, order=2, modes=("fwd", "rev"))

    run()


@pytest.mark.parametrize("name", ["absolute", "sqrt", "cbrt", "reciprocal", "log", "arccosh"])
def test_unary_rules_hold_on_negative_side_of_their_domain(name):
    x = {"absolute": -1.3, "sqrt": 0.7, "cbrt": -1.7, "reciprocal": -0.6, "log": 2.5, "arccosh": 1.5}[name]
    check_grads(getattr(np, name), (np.array(x),), order=2)


@pytest.mark.parametrize("name", ZERO_GRADIENT)
def test_rounding_functions_have_zero_gradient(name):
    x = np.array([-1.7, -0.2, 0.4, 2.6])
    g = zymo.grad(lambda x: (getattr(np, name)(x) * x).sum())(x)
    np.testing.assert_array_equal(g, getattr(np, name)(x))
    check_grads(lambda x: getattr(np, name)(x) + x, (x,), order=2)


def test_python_float_input_gets_a_python_float_gradient():
    g = zymo.grad(np.sin)(0.5)
    assert type(g) is float and g == np.cos(0.5)


# --- operators and methods ------------------------------------------------------------------
OPERATORS = {
    "x ** 2": lambda x, y: x**2,
    "x ** 3.5": lambda x, y: x**3.5,
    "x ** y": lambda x, y: x**y,
    "2 ** x": lambda x, y: 2**x,
    "2 / x": lambda x, y: 2 / x,
    "x / y": lambda x, y: x / y,
    "x / 4": lambda x, y: x / 4,
    "-x": lambda x, y: -x,
    "+x": lambda x, y: +x,
    "abs(x)": lambda x, y: abs(x),
    "x - y": lambda x, y: x - y,
    "1 - x": lambda x, y: 1 - x,
    "x * y + 3 * x": lambda x, y: x * y + 3 * x,
    "x % y": lambda x, y: x % y,
    "x.conj()": lambda x, y: x.conj() * y,
}


@pytest.mark.parametrize("expr", OPERATORS)
def test_operators_differentiate_like_their_ufuncs(expr):
    @FAST
    @given(broadcastable_shapes(2).flatmap(lambda ss: array_tuples(ss, ((0.5, 2), (0.7, 1.3)))))
    def run(xy):
        check_grads(OPERATORS[expr], xy, order=2)

    run()


BITWISE_OPERATORS = {
    "~m": lambda m, i: ~m,
    "m & (i > 1)": lambda m, i: m & (i > 1),
    "m | True": lambda m, i: m | True,
    "m ^ m": lambda m, i: m ^ m,
    "i << 2": lambda m, i: i << 2,
    "8 >> i": lambda m, i: 8 >> i,
    "i & 3": lambda m, i: i & 3,
}


@pytest.mark.parametrize("expr", BITWISE_OPERATORS)
def test_bitwise_operators_on_buffers_give_numpys_values(expr):
    m, i = np.array([True, False, True]), np.array([1, 2, 3])
    seen = []

    def f(x):
        mb, ib = znp.zeros_like(x, dtype=bool), znp.zeros_like(x, dtype=int)  # traced constant buffers
        mb[...], ib[...] = m, i
        seen.append(np.asarray(BITWISE_OPERATORS[expr](mb, ib)))
        return x.sum()

    zymo.grad(f)(np.ones(3))
    np.testing.assert_array_equal(seen[0], BITWISE_OPERATORS[expr](m, i))


# --- NumPy's values and dtypes ----------------------------------------------------------------
@pytest.mark.parametrize("name", list(UNARY) + ZERO_GRADIENT)
def test_forward_value_under_tracing_is_numpys_bit_for_bit(name):
    lo, hi = UNARY.get(name, (-2, 2))
    x = np.random.default_rng(3).uniform(lo, hi, (3, 4))
    f = getattr(np, name)
    want = f(x)
    got_rev, _ = zymo.vjp(f, x)
    got_fwd, _ = zymo.jvp(f, (x,), (np.ones_like(x),))
    for got in (got_rev, got_fwd):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", BINARY)
def test_binary_forward_value_under_tracing_is_numpys_bit_for_bit(name):
    (lo0, hi0), (lo1, hi1) = BINARY[name]
    rng = np.random.default_rng(4)
    x, y = rng.uniform(lo0, hi0, (2, 3)), rng.uniform(lo1, hi1, (3,))
    f = getattr(np, name)
    got, _ = zymo.vjp(f, x, y)
    np.testing.assert_array_equal(got, f(x, y))


@pytest.mark.parametrize("name", [n for n in UNARY if n != "nan_to_num"])
def test_float32_input_gives_float32_gradient_and_tangent(name):
    lo, hi = UNARY[name]
    x = np.random.default_rng(5).uniform(lo, hi, (2, 3)).astype(np.float32)
    f = getattr(np, name)
    assert zymo.grad(lambda x: f(x).sum())(x).dtype == np.float32
    _, t = zymo.jvp(f, (x,), (np.ones_like(x),))
    assert t.dtype == np.float32


@pytest.mark.parametrize("name", BINARY)
def test_binary_float32_inputs_give_float32_gradients(name):
    x = np.full((2, 3), 1.1, np.float32)
    y = np.full((3,), 0.9, np.float32)
    gx, gy = zymo.grad(lambda x, y: getattr(np, name)(x, y).sum(), argnums=(0, 1))(x, y)
    assert gx.dtype == np.float32 and gy.dtype == np.float32
    assert gx.shape == x.shape and gy.shape == y.shape


# --- selection: maximum ties, where, clip, select ----------------------------------------------
def test_maximum_shares_the_gradient_evenly_at_ties():
    gx, gy = zymo.grad(lambda x, y: np.maximum(x, y).sum(), argnums=(0, 1))(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    np.testing.assert_array_equal(gx, [0.5, 1.0])
    np.testing.assert_array_equal(gy, [0.5, 0.0])


def test_where_sends_the_gradient_to_the_chosen_branch_with_broadcasting():
    @FAST
    @given(broadcastable_shapes(3).flatmap(lambda ss: array_tuples(ss, ((-2, 2),) * 3)))
    def run(cxy):
        c, x, y = cxy
        cond = c > 0
        check_grads(lambda x, y: np.where(cond, x, y), (x, y), order=2)
        check_grads(lambda x, y: znp.where(cond, x * y, 2.0), (x, y), order=2)

    run()


def test_clip_gradient_flows_to_the_input_inside_and_to_a_bound_that_binds():
    x = np.array([-1.5, -0.3, 0.2, 0.9, 1.7])
    check_grads(lambda x: np.clip(x, -0.5, 1.0), (x,), order=2)
    check_grads(lambda x, lo, hi: np.clip(x, lo, hi), (x, np.array(-0.5), np.array(1.0)), order=2)
    check_grads(lambda x, hi: x.clip(max=hi), (x, np.full(5, 0.5)), order=2)
    g_lo, g_hi = zymo.grad(lambda lo, hi: np.clip(x, lo, hi).sum(), argnums=(0, 1))(-0.5, 1.0)
    assert (g_lo, g_hi) == (1.0, 1.0)


def test_select_gradient_follows_the_first_true_condition():
    x = np.array([-1.3, -0.2, 0.4, 1.6])
    f = lambda x: np.select([x < -1, x > 1, x < 0], [x**2, 3 * x, -x], default=np.sin(x))
    check_grads(f, (x,), order=2)
    np.testing.assert_array_equal(zymo.vjp(f, x)[0], f(x))
    np.testing.assert_allclose(zymo.grad(lambda x: f(x).sum())(x), [2 * -1.3, -1.0, np.cos(0.4), 3.0])


def test_select_keeps_numpys_dtype_for_a_python_default():
    x = np.array([0.5, -0.5], np.float32)
    out, _ = zymo.vjp(lambda x: znp.select([x > 0], [x]), x)
    assert out.dtype == np.select([x > 0], [x]).dtype


# --- special points --------------------------------------------------------------------------
def test_sinc_derivatives_are_exact_at_zero_to_any_order():
    d1 = zymo.grad(np.sinc)(0.0)
    d2 = zymo.grad(zymo.grad(np.sinc))(0.0)
    d3 = zymo.grad(zymo.grad(zymo.grad(np.sinc)))(0.0)
    assert d1 == 0.0 and d3 == 0.0
    np.testing.assert_allclose(d2, -(np.pi**2) / 3, rtol=1e-14)
    check_grads(np.sinc, (np.array([0.0, 0.5, -1.2]),), order=2)


def test_nan_to_num_has_zero_gradient_where_it_replaced_a_value():
    x = np.array([np.nan, np.inf, -np.inf, 0.5])
    g = zymo.grad(lambda x: (np.nan_to_num(x, posinf=9.0, neginf=-9.0) * 2.0).sum())(x)
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0, 2.0])
    _, t = zymo.jvp(np.nan_to_num, (x,), (np.ones(4),))
    np.testing.assert_array_equal(t, [0.0, 0.0, 0.0, 1.0])


def test_ufunc_where_argument_is_rejected_with_a_pointer_to_znp_where():
    with pytest.raises(TypeError, match="zymo.numpy.where"):
        zymo.grad(lambda x: np.exp(x, where=x > 0).sum())(np.ones(2))


# --- complex values (JAX's convention) -------------------------------------------------------
@pytest.mark.parametrize("name", HOLOMORPHIC)
def test_holomorphic_unary_rules_on_complex_inputs(name):
    @FAST
    @given(shapes(max_dims=2).flatmap(lambda s: complex_arrays(s)))
    def run(z):
        if name == "log" or name == "sqrt" or name == "reciprocal":
            z = z + 2.0  # away from the branch cut and the pole
        check_complex_grads(getattr(np, name), (z,), order=2)

    run()


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "power"])
def test_holomorphic_binary_rules_on_complex_inputs_with_broadcasting(name):
    @FAST
    @given(broadcastable_shapes(2, max_dims=2).flatmap(lambda ss: st.tuples(*[complex_arrays(s) for s in ss])))
    def run(zw):
        z, w = zw
        check_complex_grads(getattr(np, name), (z + 2.0, w + 2.0), order=2)

    run()


@pytest.mark.parametrize("name", ["absolute", "real", "imag", "conjugate", "angle"])
def test_non_holomorphic_rules_on_complex_inputs(name):
    @FAST
    @given(shapes(max_dims=2).flatmap(lambda s: complex_arrays(s)))
    def run(z):
        check_complex_grads(getattr(np, name), (z,), order=2)

    run()


def test_complex_gradient_of_a_real_loss_is_df_dx_minus_i_df_dy():
    z = np.array([3.0 + 4.0j, -1.0 + 0.5j])
    np.testing.assert_allclose(zymo.grad(lambda z: (np.abs(z) ** 2).sum())(z), 2 * np.conj(z))
    np.testing.assert_allclose(zymo.grad(lambda z: np.imag(z).sum())(z), [-1j, -1j])


def test_real_input_meeting_a_complex_value_gets_a_real_gradient_of_its_dtype():
    x = np.array([0.5, -1.0], np.float32)
    w = np.array([1.0 + 2.0j, 3.0 - 1.0j], np.complex64)
    g = zymo.grad(lambda x: np.real(np.exp(x * w)).sum())(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, np.real(w * np.exp(x * w)), rtol=1e-5)
    check_complex_grads(lambda x, w: np.exp(x * w), (x.astype(np.float64), w.astype(np.complex128)), order=2)


def test_grad_of_a_complex_output_points_to_vjp():
    with pytest.raises(zymo.ZymoError, match="vjp"):
        zymo.grad(lambda z: (z * z).sum())(np.array([1.0 + 1.0j]))


def test_complex_attributes_and_methods_of_traced_values_differentiate():
    z = np.array([1.0 + 2.0j, -0.5 + 0.3j])
    check_complex_grads(lambda z: z.real * z.imag + np.abs(z.conj() * z), (z,), order=2)
    np.testing.assert_array_equal(zymo.vjp(lambda z: z.real, z)[0], z.real)


def test_angle_in_degrees_differentiates():
    z = np.array([1.0 + 2.0j, -0.5 + 0.3j])
    check_complex_grads(lambda z: np.angle(z, deg=True), (z,), order=2)
    np.testing.assert_array_equal(zymo.vjp(lambda z: np.angle(z, deg=True), z)[0], np.angle(z, deg=True))


@pytest.mark.parametrize("name", ["tanh", "sinc", "log1p", "arcsin"])
def test_third_order_derivatives_match_finite_differences(name):
    check_grads(getattr(np, name), (np.array([0.1, -0.4, 0.7]),), order=3, eps=1e-4, rtol=1e-4, atol=1e-5)


SCALAR_OPERANDS = {
    "x + 3": lambda x: x + 3,
    "3 - x": lambda x: 3 - x,
    "x * 2.5": lambda x: x * 2.5,
    "x / 6": lambda x: x / 6,
    "2 ** x": lambda x: 2**x,
    "x ** 2": lambda x: x**2,
    "x % 2": lambda x: x % 2,
    "maximum(x, 0)": lambda x: np.maximum(x, 0),
    "arctan2(x, 2)": lambda x: np.arctan2(x, 2),
    "where(x > 0, x, 0)": lambda x: np.where(x > 0, x, 0),
    "clip((x + 3) / 6, 0, 1)": lambda x: np.clip((x + 3) / 6, 0, 1),
}


@pytest.mark.parametrize("expr", SCALAR_OPERANDS)
def test_python_scalar_operands_keep_float32_tangents_and_gradients(expr):
    x = np.array([-0.5, 0.25, 1.5], np.float32)
    f = SCALAR_OPERANDS[expr]
    assert zymo.jvp(f, (x,), (np.ones_like(x),))[1].dtype == np.float32
    assert zymo.grad(lambda x: f(x).sum())(x).dtype == np.float32


def test_on_plain_arrays_the_znp_versions_are_numpys():
    x = np.array([np.nan, -1.0, 2.0])
    np.testing.assert_array_equal(znp.select([x < 0], [x * 2], default=7), np.select([x < 0], [x * 2], default=7))
    same = znp.nan_to_num(x, copy=False)
    assert same is x and x[0] == 0.0  # NumPy's in-place behaviour kept
    np.testing.assert_array_equal(znp.sinc(x), np.sinc(x))


def test_dividing_by_a_python_zero_gives_infinite_gradients_like_numpy():
    with np.errstate(divide="ignore"):
        g = zymo.grad(lambda x: znp.sum(x) / 0.0)(np.ones(2))
    np.testing.assert_array_equal(g, [np.inf, np.inf])


def test_power_derivative_in_the_base_at_zero_to_the_zero_is_zero():
    g = zymo.grad(lambda x, y: (x**y).sum(), argnums=(0, 1))(np.array([0.0, 2.0]), np.array([0.0, 0.0]))
    np.testing.assert_array_equal(g[0], [0.0, 0.0])
    assert zymo.grad(lambda x: x**0)(0.0) == 0.0
    np.testing.assert_array_equal(
        zymo.hessian(lambda x: (x ** np.array([0.0, 2.0])).sum())(np.zeros(2)), np.diag([0, 2])
    )


def test_fabs_differentiates_like_absolute():
    check_grads(np.fabs, (np.array([-1.5, 0.7]),), order=2)


def test_real_if_close_drops_tiny_imaginary_parts_with_reals_derivative():
    z = np.array([2.0 + 1e-16j, 1.0 - 1e-17j])
    out, back = zymo.vjp(np.real_if_close, z)
    np.testing.assert_array_equal(out, np.real_if_close(z))
    np.testing.assert_array_equal(back(np.array([1.0, 2.0]))[0], [1.0, 2.0])
    w = np.array([2.0 + 1e-3j])
    np.testing.assert_array_equal(zymo.vjp(np.real_if_close, w)[0], w)
    check_grads(lambda x: np.real_if_close(x) * 3.0, (np.array([0.5, 2.0]),), order=2)


def test_ufunc_where_with_out_writes_the_selected_entries_and_keeps_the_others():
    mask = np.array([True, False, True])

    def f(x, y):
        buf = x * 2.0
        np.add(x, y, out=buf, where=mask)
        znp.multiply(buf, y, out=buf, where=~mask)
        return buf

    x, y = np.array([0.3, 1.2, -0.7]), np.array([1.5, -0.4, 0.9])
    want = x * 2.0
    np.add(x, y, out=want, where=mask)
    np.multiply(want, y, out=want, where=~mask)
    np.testing.assert_array_equal(zymo.vjp(f, x, y)[0], want)
    check_grads(f, (x, y), order=2)


def test_ufunc_where_without_out_says_to_pass_out():
    with pytest.raises(TypeError, match="out="):
        zymo.grad(lambda x: np.exp(x, where=x > 0).sum())(np.array([1.0, -1.0]))


@pytest.mark.parametrize("name", ["absolute", "sqrt", "power", "maximum", "fmin", "nextafter", "copysign"])
def test_derivative_conventions_are_stated_in_the_docstring(name):
    doc = getattr(znp, name).__doc__
    assert "Derivative (zymo):" in doc
    assert doc.startswith(getattr(np, name).__doc__)


def test_nextafter_follows_its_first_argument():
    assert zymo.grad(lambda x: np.nextafter(x, 2.0))(1.0) == 1.0
    assert zymo.grad(lambda y: np.nextafter(1.0, y))(3.0) == 0.0
    check_grads(lambda x, y: np.nextafter(x, y), (np.array([0.5, -1.0]), np.array([1.0, -2.0])), order=2)


def test_arctan2_of_python_zeros_gives_numpys_nan_not_pythons_division_error():
    with np.errstate(invalid="ignore", divide="ignore"):
        assert np.isnan(zymo.grad(lambda x: np.arctan2(x, 0.0))(0.0))
        assert np.isnan(zymo.grad(lambda y: np.arctan2(0.0, y))(0.0))


def test_abs_at_zero_has_derivative_zero_so_softplus_written_with_it_has_one_half():
    assert zymo.grad(np.abs)(0.0) == 0.0
    assert zymo.grad(lambda x: np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0.0))(0.0) == 0.5
