"""Programs the random-program generator once found wrong, kept as named regression tests."""

from __future__ import annotations

import numpy as onp

from tests.reliability.differential import check_float32, check_program
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


def test_write_into_zero_dimensional_buffer_whose_gradient_arrives_as_a_scalar():
    _check(
        """
def program(r0):
    r1 = np.copy(r0)
    r1[...] = 1.5
    r2 = np.tanh(r1)
    return [r1, r2]
""",
        0.12573022,
    )


def test_prod_with_a_zero_factor_has_the_product_of_the_others_as_gradient():
    _check(
        """
def program(r0):
    r1 = np.abs(r0) + r0
    r2 = np.prod(r1)
    return [r1, r2]
""",
        -0.65179115,
    )


def test_prod_over_an_axis_with_zeros_from_a_buffer():
    _check(
        """
def program(r0):
    r1 = np.zeros((2, 3))
    r1[0] = r0
    r2 = np.prod(r1 * r0, axis=1)
    r3 = np.prod(r0)
    return [r1, r2, r3]
""",
        [0.3, -1.2, 0.7],
    )


def test_power_operator_on_a_float32_scalar_equals_numpys_operator_bit_for_bit():
    program = compile_program(
        """
def program(r0):
    r1 = np.tanh(np.tanh(r0))
    r2 = r1 ** 3
    return [r1, r2]
"""
    )
    check_float32(program, (onp.asarray(0.34558419),))


def test_power_operator_on_float64_scalars_equals_numpys_operator_bit_for_bit():
    import zymo

    xs = onp.abs(onp.random.default_rng(0).standard_normal(200))
    for k in (3, -2, 2.5):
        got = [zymo.vjp(lambda x: x**k, x)[0] for x in xs]
        onp.testing.assert_array_equal(got, [x**k for x in xs])


def test_copy_method_of_a_scalar_is_a_scalar_as_in_numpy():
    _check(
        """
def program(r0):
    r1 = np.tanh(r0)
    r2 = r1.copy()
    r2 += 1.0
    return [r1, r2]
""",
        0.12573022,
    )


def test_einsum_diagonal_is_a_view_that_follows_writes_to_its_base():
    _check(
        """
def program(r0):
    r1 = np.tanh(r0)
    r2 = np.einsum('ii->i', r1)
    r1[1:] = r1[:-1]
    return [r1, r2]
""",
        [[0.12573022, -0.13210486], [0.64042265, 0.10490012]],
    )


def test_diag_of_a_matrix_is_a_view_that_follows_writes_to_its_base():
    _check(
        """
def program(r0):
    r1 = np.zeros((2, 2))
    r1[...] = r0 * r0
    r2 = np.diag(r1)
    r1 *= np.sin(r0)
    return [r1, r2]
""",
        [[0.3, -1.1], [0.7, 0.25]],
    )


def test_forward_mode_tangent_of_real_does_not_follow_later_writes_to_its_input():
    _check(
        """
def program(r0):
    r1 = np.zeros((2,))
    r1[...] = np.tanh(r0)
    r2 = np.real(r1)
    r1 *= r0
    return [r1, r2]
""",
        [0.3, -1.1],
    )


def test_arithmetic_on_a_python_float_input_stays_weakly_typed():
    program = compile_program(
        """
def program(r0, r1):
    h = r1 * 0.5 + r0[0] * r1
    return [np.tanh(h), h / 3.0 - 1.0, h % 0.25, 2.0 ** h]
"""
    )
    check_float32(program, (onp.asarray([0.12573022]), 0.6404226504432821))
    check_program(program, (onp.asarray([0.12573022]), 0.6404226504432821))


def test_python_float_times_python_float_under_grad_is_a_python_float():
    import zymo

    value, g = zymo.value_and_grad(lambda s: s * 0.5 + 1.0)(2.0)
    assert type(value) is float and type(g) is float and value == 2.0 and g == 0.5


def test_negating_a_python_float_input_keeps_it_weakly_typed():
    program = compile_program(
        """
def program(r0, r1):
    r2 = np.tanh(r0)
    r3 = -r1
    r2 += r3
    r4 = r0 + r3
    r5 = abs(r3) * r0 + (+r1)
    return [r2, r3, r4, r5]
"""
    )
    inputs = (onp.asarray([0.12573022]), 0.10490011715303971)
    check_float32(program, inputs)
    check_program(program, inputs)


def test_copyto_from_a_constant_buffer_into_a_plain_array_does_not_recurse():
    import zymo
    import zymo.numpy as np

    def f(x):
        c = np.argsort(x).astype(float)  # a plain array: argsort carries no derivative
        np.copyto(c, np.zeros(2) + 2.0, where=np.arange(2) > 0)
        return np.sum(x * c)

    onp.testing.assert_array_equal(zymo.grad(f)(onp.array([0.5, 0.25])), [1.0, 2.0])


def test_jit_replay_keeps_the_layout_of_a_baked_mask_so_a_later_einsum_rounds_alike():
    from tests.reliability.programs import Program
    from tests.reliability.test_jit_programs import _check_jit

    lines = [
        "r2 = r0.T",
        "r3 = np.where(r2 > r2, r2, r2 * 2.0)",
        "r4 = np.tanh(r0)",
        "r5 = np.einsum('ij,ij->j', r3, r3)",
    ]
    inputs = (
        onp.array(
            [
                [0.345584192064786, 0.8216181435011584, 0.33043707618338714],
                [-1.303157231604361, 0.9053558666731177, 0.4463745723640113],
            ]
        ),
        onp.array(
            [
                [-0.5369532353602852, 0.5811181041963531],
                [0.36457239618607573, 0.294132496655526],
                [0.02842224131579679, 0.5467129866124469],
            ]
        ),
    )
    _check_jit(Program(2, lines, 6, inputs))


_SORTED_TRANSPOSE_MATMUL = """
def program(r0):
    r1 = np.swapaxes(r0, 0, 1)
    r3 = r0.T @ r0
    r4 = np.sort(r1, axis=0)
    r5 = r3.mean(axis=0)
    return [np.matmul(r5, r4)]
"""
_SORTED_TRANSPOSE_INPUT = onp.array([[-0.70350691, 0.1156963, -1.13796752], [1.00754845, -1.41955397, 1.2182337]])


def test_vector_matrix_product_with_a_sorted_transpose_equals_numpy_bit_for_bit_in_every_mode():
    import zymo

    program = compile_program(_SORTED_TRANSPOSE_MATMUL)
    want = program(_SORTED_TRANSPOSE_INPUT)[0]

    def loss(x):
        out = program(x)[0]
        return out[0] * 1.0 + out[1] * 1.0, out

    def same(got):
        got = onp.asarray(got)
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), f"{got!r} != NumPy's {want!r}"

    same(zymo.vjp(program, _SORTED_TRANSPOSE_INPUT)[0][0])
    same(zymo.jvp(program, (_SORTED_TRANSPOSE_INPUT,), (onp.ones((2, 3)),))[0][0])
    same(zymo.value_and_grad(loss, has_aux=True)(_SORTED_TRANSPOSE_INPUT)[0][1])
    jitted = zymo.jit(zymo.value_and_grad(loss, has_aux=True))
    for _ in range(3):  # recorded, then replayed
        same(jitted(_SORTED_TRANSPOSE_INPUT)[0][1])
    check_program(program, (_SORTED_TRANSPOSE_INPUT,))


def test_sort_partition_and_copy_return_numpys_memory_layout():
    import zymo
    import zymo.numpy as znp

    x = onp.random.default_rng(0).standard_normal((3, 4, 5))
    functions = [
        lambda v: znp.sort(v, axis=0),
        lambda v: znp.sort(v, axis=None),
        lambda v: znp.partition(v, 1, axis=-1),
        lambda v: znp.copy(v, order="F"),
        lambda v: znp.copy(v, order="C"),
    ]
    for a in (x.transpose(2, 0, 1), x[::-1], x.transpose(1, 0, 2)[:, ::2], x.T):
        for f in functions:
            want = f(a)
            got = zymo.vjp(f, a)[0]
            assert got.strides == want.strides and got.tobytes() == want.tobytes()


def test_jit_fuzzing_moves_zero_dimensional_inputs_to_zero_dimensional_arrays():
    from tests.reliability.programs import Program
    from tests.reliability.test_jit_programs import _check_jit, _moved

    inputs = (onp.asarray(0.12573022), 0.5, onp.array([1.0, 2.0]))
    moved = _moved(inputs, 1)
    assert type(moved[0]) is onp.ndarray and moved[0].shape == ()
    assert type(moved[1]) is float
    assert type(moved[2]) is onp.ndarray and moved[2].shape == (2,)
    _check_jit(Program(1, ["r1 = np.tanh(r0)", "r2 = r0.copy()", "r2[...] = 1.5", "r3 = r2 * r1"], 4, inputs[:1]))


def test_fftshift_of_a_matrix_keeps_numpys_layout_so_a_later_vector_product_rounds_alike():
    program = compile_program(
        """
def program(r0):
    r3 = r0[0]
    r4 = np.fft.fftshift(r0)
    r5 = r3 @ r4
    return [r4, r5]
"""
    )
    check_float32(
        program, (onp.array([[-0.027271763074256376, 0.2153539268318988], [-0.6669252679186933, -1.165040684753369]]),)
    )


def test_roll_and_take_along_a_later_axis_return_numpys_memory_layout():
    import zymo
    import zymo.numpy as znp

    x = onp.random.default_rng(1).standard_normal((3, 4, 2))
    functions = [
        lambda v: znp.roll(v, 1, axis=1),
        lambda v: znp.roll(v, (1, 2), axis=(0, 2)),
        lambda v: znp.take(v, [1, 0], axis=1),
        lambda v: znp.fft.ifftshift(v),
    ]
    for a in (x, x.transpose(2, 1, 0), x[:, ::-1]):
        for f in functions:
            want, got = f(a), zymo.vjp(f, a)[0]
            assert got.strides == want.strides and got.tobytes() == want.tobytes()


def test_scipy_log_softmax_and_softmax_equal_scipys_values_bit_for_bit():
    import zymo
    from zymo.scipy import special

    x = onp.array([[0.8945391503195067, -0.9282961298251667], [-0.3073131484486343, 1.0446357841033076]] * 4)
    for axis in (None, 0, 1):
        for f in (special.log_softmax, special.softmax):
            want = f(x, axis=axis)
            got = zymo.vjp(lambda v: f(v, axis=axis), x)[0]
            assert got.tobytes() == want.tobytes()
    check_program(compile_program("def program(r0):\n    return [sp.log_softmax(r0), sp.softmax(r0, axis=0)]\n"), (x,))


def test_linspace_between_float32_arrays_is_float32_as_in_numpy():
    program = compile_program("def program(r0):\n    return [np.linspace(r0, 2 * r0, 3)]\n")
    check_float32(program, (onp.array([[-1.002261679089141, 0.7431877191192782], [1.209002923309965, 1.475267]]),))
    check_program(program, (onp.array([0.5, -0.25]),))


def test_scipy_logsumexp_returns_a_scalar_or_an_array_as_scipy_does():
    import scipy.special

    import zymo
    from zymo.scipy import special

    for x in (onp.array([0.1257302210933933, -0.5]), onp.ones((2, 3)), onp.asarray(0.5)):
        for axis in (None, -1) if x.ndim else (None,):
            for keepdims in (False, True):
                for b in (None, x):
                    want = scipy.special.logsumexp(x, axis=axis, keepdims=keepdims, b=b)

                    def f(v, axis=axis, keepdims=keepdims, b=b):
                        return special.logsumexp(v, axis=axis, keepdims=keepdims, b=None if b is None else v)

                    got = zymo.vjp(f, x)[0]
                    assert type(got) is type(want) and onp.allclose(got, want, equal_nan=True)


def test_asarray_of_a_traced_scalar_is_a_0d_array_and_ascontiguousarray_is_c_ordered_with_one_axis():
    import zymo
    import zymo.numpy as znp

    m = onp.arange(6.0).reshape(2, 3).T
    cases = [
        (znp.asarray, onp.float64(2.0)),
        (znp.ascontiguousarray, onp.float64(2.0)),
        (znp.ascontiguousarray, m),
        (lambda v: znp.asarray(v, order="F"), m.T),
    ]
    for f, x in cases:
        want, got = f(x), zymo.vjp(f, x)[0]
        assert type(got) is type(want) and got.shape == want.shape and got.strides == want.strides


def test_gradient_of_det_of_a_singular_matrix_is_the_transposed_adjugate():
    import zymo
    import zymo.numpy as znp

    for a in (onp.full((2, 2), 1.5), onp.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]])):
        g = zymo.grad(znp.linalg.det)(a)
        want = onp.zeros_like(a)
        for i in range(a.shape[0]):
            for j in range(a.shape[1]):
                minor = onp.delete(onp.delete(a, i, 0), j, 1)
                want[i, j] = (-1) ** (i + j) * onp.linalg.det(minor)
        onp.testing.assert_allclose(g, want, atol=1e-12)


def _check_all(source: str, *inputs) -> None:
    from tests.reliability.differential import check_nonfinite, check_second_order, with_nonfinite
    from tests.reliability.fuzz import _check_jit_program

    xs = tuple(onp.asarray(x, dtype=onp.float64) for x in inputs)
    check_program(compile_program(source), xs)
    check_second_order(compile_program(source), xs)
    check_nonfinite(compile_program(source), with_nonfinite(xs, 0))
    _check_jit_program(source, xs)


def test_det_of_a_rank_deficient_product_has_zero_gradient_in_both_modes():
    # det(u v) of a 3 x 1 times 1 x 3 product is 0 everywhere: forward mode raised LinAlgError
    _check_all(
        """
def program(r0, r2):
    r9 = np.einsum('ij,jk->ik', r0, r2)
    r10 = np.linalg.det(r9)
    return [r10]
""",
        [[-0.147155390735166], [-0.8530063225304485], [1.35579190507705]],
        [[1.0462373113587498, 1.3509941920046369, 1.3761278311194922]],
    )


def test_second_derivative_of_det_at_a_numerically_singular_matrix():
    # r4 @ r4.T is 3 x 3 of rank 2: inv(a) did not raise, and det(a) inv(a) lost its accuracy
    _check_all(
        """
def program(r1):
    r4 = nn.sigmoid(r1)
    r7 = r4 @ r4.T
    r12 = np.linalg.det(r7)
    return [r12]
""",
        [
            [0.060143602597438485, 1.3402152455545335],
            [-0.49220651855132963, -0.6204748998199404],
            [0.4898420501851982, 0.35688700816006075],
        ],
    )


def test_polygamma_of_a_python_float_is_an_array_as_scipy_gives():
    _check_all(
        """
def program(r1):
    r7 = sp.polygamma(1, 1.5 + r1 * r1)
    return [r7]
""",
        0.5099217256207286,
    )


def test_nanmax_of_entries_that_are_all_nan_is_a_scalar():
    _check_all(
        """
def program(r0):
    r1 = r0[1:3]
    r3 = np.std(r1, axis=0, ddof=0) + 0.0 * r1.sum()
    r4 = np.nanmax(r3, axis=0)
    return [r3, r4]
""",
        [[-1.5416960774517852, -0.2356232373506312], [0.16609926528623914, -0.025578862825521905], [0.77198, 1.07293]],
    )


def test_ravel_of_the_real_part_of_a_complex_array_is_a_contiguous_copy():
    _check_all(
        """
def program(r0):
    r6 = np.real(np.fft.ifft(np.fft.fft(r0) * 2.0))
    r8 = np.ravel(r6)
    return [r6, r8]
""",
        [
            [0.4127403082111532, 1.328432606181256],
            [1.1301521609883882, 2.1797766003802015],
            [-0.2433887188048, 0.85046],
        ],
    )


def test_put_into_a_0d_result_of_tensordot():
    _check_all(
        """
def program(r0, r2):
    r3 = np.tensordot(r2, r2, axes=r2.ndim)
    np.put(r3, [0], r0)
    return [r3]
""",
        [0.12824082423710412, -0.13782357509353713],
        [[1.149336289677357, 1.5843589112534366, -0.201345193854649]],
    )


def test_softmax_and_a_write_through_a_view_of_a_buffer_replay_in_zymo_jit():
    _check_all(
        """
def program(r0):
    r3 = np.full((3,) + r0.shape, 0.25)
    r3[1] *= r0
    r4 = sp.softmax(r0) + sp.log_softmax(r0, axis=0)
    return [r3, r4]
""",
        [0.3, -1.2, 0.5],
    )


def test_a_write_into_the_output_of_an_rnn_cell_leaves_its_gradient_right():
    # the fused step kept its output array as the saved value of its backward pass
    _check_all(
        """
def program(r0):
    r4 = nn.RNNCell(1, 2, rng=onp.random.default_rng(10), dtype=onp.float64)(r0)[0]
    r4 += r4[::-1]
    return [r4]
""",
        [0.1257302210933933],
    )


def test_nan_reductions_of_a_broadcast_view_add_in_numpys_order():
    # NumPy reduces a copy; the stride-0 view itself gave a sum that differs in the last bit
    _check_all(
        """
def program(r0):
    r4 = np.broadcast_to(r0, (2,) + r0.shape)
    r5 = np.nansum(r4)
    r6 = np.nanmean(r4, axis=0)
    r7 = np.nanprod(r4[:, ::-1])
    return [r5, r6, r7]
""",
        [
            [0.18905338179353307, -0.5227484414807474],
            [-0.41306354339189344, -2.4414673826398556],
            [1.7997073827, 1.14416587],
        ],
    )


def test_copy_method_of_a_transposed_view_is_c_ordered_as_in_numpy():
    # ``x.copy()`` defaults to order="C" where ``np.copy`` keeps the layout: both kept it
    _check_all(
        """
def program(r1):
    r6 = np.rollaxis(np.atleast_2d(r1), 1)
    r7 = r6.copy()
    r8 = r6.copy(order="K")
    r9 = r6.copy(order="F")
    return [r6, r7, r8, r9]
""",
        [[1.6637239913911968, 0.659147749832255, -1.6413972945846467], [-0.0052032641719, -0.6234637409883934, 0.1486]],
    )


def test_nanmean_nanvar_and_nanstd_of_a_broadcast_view_have_numpys_layout_and_bits():
    # NumPy reduces a copy made in the view's own order (the stride-0 axis innermost) even without NaN
    import zymo
    import zymo.numpy as znp
    from tests.reliability.differential import _layout

    x = onp.array([[0.6760980252065317, 0.032246051187511046, 0.07195489120736477]])
    views = [lambda a: znp.broadcast_to(a, (2,) + a.shape), lambda a: znp.broadcast_to(a.T, (3,) + a.T.shape)]
    for view in views:
        for name in ("nanmean", "nanvar", "nanstd"):
            for axis in (None, 0, -1, -2):
                for keepdims in (False, True):

                    def f(a, view=view, name=name, axis=axis, keepdims=keepdims):
                        return getattr(znp, name)(view(a), axis=axis, keepdims=keepdims)

                    want, got = f(x), zymo.vjp(f, x)[0]
                    assert type(got) is type(want) and got.tobytes() == want.tobytes(), (name, axis, keepdims)
                    assert onp.shape(got) == onp.shape(want)
                    assert type(want) is not onp.ndarray or _layout(got) == _layout(want), (name, axis, keepdims)


def test_nanvar_and_nanstd_of_all_nan_entries_are_scalars_as_in_numpy():
    # NumPy sets a slice without entries to NaN in place: a scalar result stays a scalar, not a 0-d array
    from tests.reliability.differential import check_nonfinite

    program = compile_program(
        """
def program(r0):
    r1 = np.nanvar(r0, axis=0)
    r2 = np.nanstd(r0)
    r3 = np.nanvar(np.stack([r0, r0 * 2.0]), axis=1, keepdims=True)
    r4 = np.nanmean(r0)
    return [r1, r2, r3, r4]
"""
    )
    for x in ([onp.nan], [onp.nan, onp.nan], [onp.nan, 1.5], [onp.inf, 0.5]):
        check_nonfinite(program, (onp.array(x),))


def test_select_fills_a_c_ordered_result_as_numpy_does():
    _check_all(
        """
def program(r2):
    r3 = np.rollaxis(np.atleast_2d(r2), 1)
    r8 = np.select([r3 > 0.5, r3 < -0.5], [r3 * 2.0, r3 ** 2], default=r3)
    r8 /= (1 + r3 * r3)
    return [r3, r8]
""",
        [[0.31864044, -0.35895522, -1.05003588], [-0.52144127, 0.18982812, 1.82826405]],
    )


def test_nanmean_of_a_0d_float32_array_is_a_float32_scalar():
    program = compile_program("def program(r1):\n    return [np.nanmean(r1), np.nanvar(r1), np.nanstd(r1)]\n")
    check_float32(program, (onp.asarray(0.39346612),))


def test_where_between_a_value_and_its_fft_round_trip_is_not_judged_by_differences_across_the_tie():
    # ``r3`` equals ``r0`` up to rounding: the comparison flips within the finite-difference step, where the
    # derivative is the slope of the branch that rounding picked at the point itself
    _check_all(
        """
def program(r0):
    r3 = np.fft.irfft(np.fft.rfft(r0), n=r0.shape[-1])
    r5 = np.where(r3 > r0, r3, r0 * 2.0)
    r6 = np.where(r0 > r3, r0, r3 * 2.0)
    return [r3, r5, r6]
""",
        [0.1257302210933933, -0.1321048632913019, 0.6404226504432821],
    )


def test_no_linear_algebra_form_of_the_generator_hangs_numpy_on_infinite_entries():
    # np.linalg.pinv of this matrix (plus 3 I) never returned: LAPACK's SVD loops on the -inf entries
    import subprocess
    import sys

    script = """
import warnings, numpy
from tests.reliability.programs import LINALG_2D, SCIPY_LINALG, _namespace
warnings.simplefilter("ignore")
inf = numpy.inf
a = numpy.array([[2.7008088657329763, 2.1082884113927522, -0.3488754600926644],
                 [-1.1371197204183754, 2.8441265662489945, 1.0778337155057705], [-inf, -inf, 2.1034737854279433]])
env = _namespace()
with numpy.errstate(all="ignore"):
    for form in LINALG_2D + SCIPY_LINALG:
        for m in (a, a[:2, :2], a[::-1], a.T):
            env["a"] = m
            try:
                eval(form.format(a="a"), env)
            except Exception:
                pass
print("done")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "done", done.stderr


def test_ndtri_of_expit_is_judged_where_finite_differences_can_resolve_it():
    # expit(21) is within 1e-9 of 1, where ndtri's slope is 1e8: the rounding of expit moved the central
    # difference by 3e-4 (relative) while the derivative was right to 1e-15; the generator's form stays inside
    from tests.reliability.programs import SPECIAL

    assert "sp.ndtri(sp.expit({a}))" not in SPECIAL
    _check_all(
        """
def program(r0, r1):
    r2 = 2.0 - r1
    r4 = np.add.accumulate(r0, axis=0)
    r5 = np.pow(1.5 + np.sin(r4), 2.5)
    r6 = np.outer(r5, r2)
    r10 = sp.ndtri(sp.expit(r6) * 0.9 + 0.05)
    return [r10]
""",
        [-1.5656831395623234, -1.6968784866349496, -0.8994026564058427],
        [-0.14228238283139313, 1.873557308732057, 0.3921955639029625],
    )


def _check_nonfinite(source: str, seed: int, *inputs) -> None:
    from tests.reliability.differential import check_nonfinite, with_nonfinite

    check_nonfinite(compile_program(source), with_nonfinite(tuple(onp.asarray(x) for x in inputs), seed))


def test_slogdet_backward_of_a_matrix_lapack_refuses_for_its_infinities_gives_nan():
    # the reverse rule's inverse raised LinAlgError ("Singular matrix") on entries made infinite
    _check_nonfinite(
        """
def program(r0):
    r4 = np.diff(r0)
    r9 = np.tril(r4)
    r12 = np.linalg.slogdet(r9 + 3.0 * np.eye(r9.shape[0]))[1]
    return [r4, r9, r12]
""",
        1,
        [
            [-1.8127955579386519, -0.41235218635214316, 0.8936083561312251],
            [0.7659809504132663, -0.11699068808111487, 0.8249722060717887],
        ],
    )


def test_expm_frechet_backward_whose_norm_overflows_gives_nan():
    # nan_to_num makes infinities the largest float: the backward pass's block matrix has an infinite norm
    _check_nonfinite(
        """
def program(r0, r1):
    r4 = r1.T @ r1
    r6 = np.nan_to_num(r4)
    r8 = sla.expm_frechet(0.3 * r6, r6.T, compute_expm=False)
    return [r4, r6, r8]
""",
        1,
        [0.09550581573244332, 0.9987641833559773, 1.085508753152617],
        [[1.308194177640847, 0.6831528924873225, 0.5518255732254467]],
    )


def test_the_jit_check_skips_moved_inputs_on_which_the_program_fails_in_numpy():
    # extract's length follows the data: on moved inputs the loop's broadcast fails in plain NumPy too
    from tests.reliability.fuzz import _JitProgram
    from tests.reliability.test_jit_programs import _check_jit

    source = """
def program(r0, r1):
    r2 = np.extract(r1 > 0, r1)
    h1 = r2
    for t3 in range(3):
        h1 = np.tanh(h1 * 0.5 + r1[t3] * h1)
    return [r0, h1]
"""
    r1 = onp.array(
        [
            [-0.6073921543392766, -0.9631024450870217],
            [1.2745074190914416, 0.6971147243950058],
            [-0.14525414745341195, -0.6589050734798914],
        ]
    )
    _check_jit(_JitProgram(source, (onp.array([[2.05], [-0.2], [0.13]]), r1)))


def test_std_in_the_generator_is_of_values_spread_beyond_rounding():
    # std of copies of one value is sqrt of a rounding error: its gradient there is noise on both sides
    from tests.reliability.programs import ARRAY_MORE

    assert "np.std({a}, axis=0, ddof=0) + 0.0 * {a}.sum()" not in ARRAY_MORE
    assert any(form.startswith("np.std(np.concatenate([{a}, {a} * 2.0 + 1.0])") for form in ARRAY_MORE)


def test_put_along_axis_of_values_with_an_extra_leading_axis_of_length_one():
    # NumPy drops the values' leading axis of length 1; the gradient of the values failed to reshape back
    _check(
        """
def program(r0):
    r2 = np.expand_dims(r0, 0)
    r3 = np.tanh(r0)
    np.put_along_axis(r3, np.zeros((1,) + r3.shape[1:], dtype=int), r2, axis=0)
    return [r3]
""",
        [[1.350777738596145, -1.1719025203518076, 0.8664610911726431]],
    )


def test_unique_and_set_operations_replay_with_the_entries_of_the_new_input():
    # zymo.jit replayed the gather of the first call's distinct entries: the plan is now re-checked
    from tests.reliability.fuzz import _JitProgram
    from tests.reliability.test_jit_programs import _check_jit

    for form in (
        "np.union1d(r0, np.ravel(r0)[::-1] * 0.5)",
        "np.unique(np.concatenate([np.ravel(r0), np.ravel(r0)[:1]]))",
    ):
        source = f"def program(r0):\n    r1 = {form}\n    return [r1]\n"
        _check_jit(_JitProgram(source, (onp.array([[0.1242704327862708, -1.4052849484669387, 1.4934396759538944]]),)))


def test_nancumprod_of_a_broadcast_view_is_laid_out_as_numpys_copy():
    _check(
        """
def program(r1):
    r3 = np.broadcast_to(r1, (2,) + r1.shape)
    r4 = np.nancumprod(r3, axis=0)
    r5 = np.nancumsum(r3, axis=0)
    return [r4, r5]
""",
        [[-0.3549385599389524], [1.5031060216156178], [-0.2015750598560032]],
    )


def test_a_where_decided_by_rounding_is_not_judged_by_differences_across_its_jump():
    # r3 equals r1 up to rounding, and where() jumps from r1 to 2 * r1 there: three nudged values fell on
    # one side once in four programs and the jump was judged as a slope; seven values rarely do
    _check(
        """
def program(r1):
    r3 = np.real(np.fft.ifft2(np.fft.fft2(np.atleast_2d(r1))))
    r8 = np.where(r3 > r1, r3, r1 * 2.0)
    return [r8]
""",
        [[-0.35161713127840977, -2.3125815796967033, -0.18889719608460778]],
    )


def test_xlogy_derivative_at_a_zero_y_is_infinite_without_a_warning():
    import warnings

    import scipy.special as sc

    import zymo

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad = zymo.grad(lambda y: sc.xlogy(2.0, y).sum())(onp.array([0.0, 1.0]))
    assert onp.isinf(grad[0]) and grad[1] == 2.0


def test_comparing_traced_python_floats_gives_a_python_bool_as_numpy_code_sees():
    # np.bool_ * a Python float is float64 while True * a Python float stays weak: a float32 result became float64
    source = """
def program(r0, r1):
    r2 = -1.5 - r0
    r3 = (r0 > r2) * r0
    h1 = r3 * np.sin(r1[0]) + 1.0
    return [h1]
"""
    inputs = (-0.027271763074256376, onp.array([[0.2153539268318988, -0.6669252679186933, -1.165040684753369]]))
    check_float32(compile_program(source), inputs)
    check_program(compile_program(source), inputs)


def test_fill_diagonal_from_a_view_of_the_array_reads_each_value_when_numpy_writes_it():
    # NumPy reads r3's values one by one as it writes the diagonal, so the last one is already written
    _check(
        """
def program(r1):
    r2 = np.outer(r1, r1)
    r3 = r2[:, 1:]
    np.fill_diagonal(r2, r3)
    return [r2, r3]
""",
        [1.6405871757031685, -0.30459984228714126, -0.9292020857970118],
    )


def test_second_order_is_not_judged_where_numpy_refuses_inputs_moved_by_rounding():
    from tests.reliability.differential import check_second_order

    # r1's entries are equal up to rounding: bins of a range one rounding wide are refused by NumPy itself
    source = """
def program(r0):
    r1 = np.histogram_bin_edges(r0, 3)
    r1 += r1[::-1]
    r2 = np.histogram_bin_edges(r1, 3)
    r3 = r1[-1]
    return [r0, r1, r2, r3]
"""
    inputs = (onp.array([0.4348423543271793, 0.8041216178297933]),)
    check_program(compile_program(source), inputs)
    check_second_order(compile_program(source), inputs)
