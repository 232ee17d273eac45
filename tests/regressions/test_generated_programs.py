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
