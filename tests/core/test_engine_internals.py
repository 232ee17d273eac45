"""Engine behaviours the fast paths rely on: memory release, ownership, aliasing, dtypes, transposed inputs."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import zymo
import zymo.numpy as znp
from zymo.acceptance import Variation, elman, make_problem, style1_thread, style4_concat_stack
from zymo.core import memory
from zymo.core.tracer import Tracer
from zymo.testing import max_relative_error, numerical_grad


def _tracking_double(refs: list, saves=("ans",)):
    """A primitive ``2 * x`` that keeps a weak reference to each output it makes."""

    def impl(x):
        out = 2.0 * np.asarray(x)
        refs.append(weakref.ref(out))
        return out

    prim = zymo.primitive(impl, name="tracking_double")
    zymo.defvjp(prim, lambda g, ans, x: 2.0 * g, saves=saves)
    zymo.defjvp(prim, lambda t, ans, x: 2.0 * t)
    return prim


def test_saved_values_are_released_when_the_gradient_returns():
    refs: list = []
    double = _tracking_double(refs)
    zymo.grad(lambda x: znp.sum(double(double(x))))(np.ones(4))
    assert len(refs) == 2
    assert all(r() is None for r in refs)


def test_a_saved_value_is_released_as_soon_as_its_record_is_processed():
    refs: list = []
    seen_alive: list = []

    def impl(x):
        out = 2.0 * np.asarray(x)
        refs.append(weakref.ref(out))
        return out

    def rule(g, ans, x):
        # The later record (the second call) has been processed before the earlier one's rule runs.
        seen_alive.append([r() is not None for r in refs])
        return 2.0 * g

    prim = zymo.primitive(impl, name="double_probe")
    zymo.defvjp(prim, rule, saves=("ans",))
    zymo.grad(lambda x: znp.sum(prim(prim(x))))(np.ones(3))
    assert seen_alive[-1] == [True, False]


def test_values_a_rule_does_not_read_are_not_kept_alive_by_the_tape():
    refs: list = []
    double = _tracking_double(refs, saves=())

    def loss(x):
        y = double(x)  # neither this rule nor ``add``'s reads y
        return znp.sum(y + x)

    out, back = zymo.vjp(loss, np.ones(3))
    assert refs[0]() is None  # the tape holds a shape/dtype stand-in, not y
    np.testing.assert_array_equal(back(np.float64(1.0))[0], np.full(3, 3.0))


def test_a_rule_reading_a_value_it_did_not_save_raises_naming_the_primitive():
    prim = zymo.primitive(lambda x: x * x, name="square_missing_saves")
    zymo.defvjp(prim, lambda g, ans, x: 2 * g * np.asarray(x), saves=())
    with pytest.raises(zymo.ZymoError, match="square_missing_saves"):
        zymo.grad(lambda x: znp.sum(prim(x)))(np.ones(3))


def test_copy_on_write_registry_is_empty_after_the_gradient_returns():
    def loss(x):
        buf = znp.zeros(3)
        h = znp.tanh(x)
        buf[...] = h
        buf += h
        return znp.sum(buf * h)

    zymo.grad(loss)(np.linspace(0.1, 0.5, 3))
    assert not memory._reg.saved
    assert not memory._reg.pending


def test_a_write_long_after_a_value_was_saved_still_protects_it():
    x0 = np.linspace(-0.5, 0.5, 4)

    def loss(x):
        h = znp.tanh(x)  # tanh saves its output h
        s = znp.sum(h * h)
        for _ in range(5):
            s = s + znp.sum(x * 0.5)
        h[1:3] = 0.0  # written in place much later
        return s + znp.sum(h)

    g = zymo.grad(loss)(x0.copy())
    want = numerical_grad(lambda x: loss(x.copy()), (x0,))[0]
    assert max_relative_error(g, want) < 1e-6


def test_accumulation_never_writes_into_an_array_a_rule_returned_from_elsewhere():
    constant = np.array([1.0, 2.0, 3.0])
    original = constant.copy()
    prim = zymo.primitive(lambda x: x * 1.0, name="returns_constant")
    zymo.defvjp(prim, lambda g, ans, x: constant, saves=())

    g = zymo.grad(lambda x: znp.sum(prim(x)) + znp.sum(prim(x)) + znp.sum(x))(np.zeros(3))
    np.testing.assert_array_equal(constant, original)
    np.testing.assert_array_equal(g, 2 * original + 1)


def test_accumulation_never_writes_into_the_callers_cotangent():
    ct = np.array([1.0, 2.0])
    _, back = zymo.vjp(lambda x: x + x * 3.0 + x, np.ones(2))
    (g,) = back(ct)
    np.testing.assert_array_equal(ct, [1.0, 2.0])
    np.testing.assert_array_equal(g, [5.0, 10.0])
    assert not np.shares_memory(g, ct)


def test_accumulation_never_writes_into_the_inputs():
    x = np.array([1.0, 2.0, 3.0])
    zymo.grad(lambda x: znp.sum(x * x) + znp.sum(x))(x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_gradients_are_writeable_and_not_aliased_with_each_other():
    x, y = np.ones(3), np.ones(3)
    gx, gy = zymo.grad(lambda x, y: znp.sum(x + y), argnums=(0, 1))(x, y)
    assert gx.flags.writeable and gy.flags.writeable
    assert not np.shares_memory(gx, gy)
    gx[0] = 7.0
    assert gy[0] == 1.0


def test_gradient_of_a_plain_sum_is_writeable():
    g = zymo.grad(lambda x: znp.sum(x))(np.ones((2, 3)))
    assert g.flags.writeable and g.flags.c_contiguous


def test_gradient_reached_through_a_transpose_is_contiguous():
    W = np.ones((5, 3))
    x = np.ones((4, 3))
    g = zymo.grad(lambda W: znp.sum(x @ W.T))(W)
    assert g.flags.c_contiguous
    np.testing.assert_array_equal(g, np.full((5, 3), 4.0))


@pytest.mark.parametrize("style", [style1_thread, style4_concat_stack])
def test_float32_stays_float32_in_gradients(style):
    p, xs, h = make_problem(Variation("f32"))
    gp, gxs, gh = zymo.grad(lambda p, xs, h: style(elman, p, xs, h), argnums=(0, 1, 2))(p, xs, h)
    assert {a.dtype for a in [*gp.values(), *gxs, gh]} == {np.dtype(np.float32)}


def test_float32_cotangents_reach_rules_as_float32_through_mean():
    dtypes: list = []
    prim = zymo.primitive(lambda x: x * 1.0, name="dtype_probe")
    zymo.defvjp(prim, lambda g, ans, x: dtypes.append(np.asarray(g).dtype) or g, saves=())
    zymo.grad(lambda x: znp.mean(znp.tanh(prim(x)) ** 2))(np.ones((4, 5), np.float32))
    assert dtypes == [np.dtype(np.float32)]


def test_transposing_an_input_again_after_writing_to_it_sees_the_write():
    x = np.random.default_rng(0).standard_normal((4, 3))
    W0 = np.random.default_rng(1).standard_normal((5, 3))

    def loss(W):
        a = x @ W.T
        W[0, :] = 0.5  # the input is written in place between the two transposes
        b = x @ W.T
        return znp.sum(a * b)

    g = zymo.grad(loss)(W0.copy())
    want = numerical_grad(lambda W: loss(W.copy()), (W0,))[0]
    assert max_relative_error(g, want) < 1e-6


def test_repeated_transposes_of_an_input_give_numpys_values_and_gradient():
    W0 = np.random.default_rng(2).standard_normal((3, 3))

    def loss(W):
        return znp.sum((W.T @ W.T) * W)

    g = zymo.grad(loss)(W0)
    assert loss(W0) == (W0.T @ W0.T * W0).sum()
    assert max_relative_error(g, numerical_grad(loss, (W0,))[0]) < 1e-6


def test_collector_state_is_restored_after_a_gradient_and_after_an_error():
    assert gc.isenabled()
    zymo.grad(lambda x: znp.sum(x * x))(np.ones(2))
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError):
        zymo.grad(lambda x: 1 / 0)(np.ones(2))
    assert gc.isenabled()


def test_style1_gradients_match_finite_differences_in_float64():
    p, xs, h = make_problem(Variation("f64", dtype="float64"))
    loss = lambda p, xs, h: style1_thread(elman, p, xs, h)  # noqa: E731
    got = zymo.grad(loss, argnums=(0, 1, 2))(p, xs, h)
    want = numerical_grad(loss, (p, xs, h))
    assert max_relative_error(got, want) < 1e-6


def test_recorded_results_have_every_tracer_field_set():
    seen: list = []

    def loss(x):
        y = x * 2.0
        seen.append(y)
        return znp.sum(y)

    zymo.grad(loss)(np.ones(2))
    fields = [f for f in Tracer.__slots__ if f != "__weakref__"]
    for f in fields:
        getattr(seen[0], f)  # raises AttributeError if the fast path forgot a field


def test_tanh_backward_reads_only_its_saved_output():
    tanh = zymo._rules.elementwise.UFUNCS[np.tanh]._prim
    assert tanh.saves == (-1,)  # the input is a stand-in on the tape; the rule uses g * (1 - y*y)
    x0 = np.linspace(-1.0, 1.0, 5)
    g = zymo.grad(lambda x: znp.sum(znp.tanh(x)))(x0)
    np.testing.assert_allclose(g, 1 - np.tanh(x0) ** 2, rtol=1e-12)


def _per_argument_gradients(prim, f, args):
    """``f``'s gradients with ``prim``'s one-call plain-cotangent rule switched off."""
    plain = prim.vjp_plain
    prim.vjp_plain = None
    try:
        return zymo.grad(f, argnums=tuple(range(len(args))))(*args)
    finally:
        prim.vjp_plain = plain


def _add_prims():
    from zymo.core.dispatch import SPECIAL, UFUNCS

    return UFUNCS[np.add]._prim, SPECIAL["add"]


def _matmul_prim():
    from zymo._rules.contractions import matmul_p

    return matmul_p


@pytest.mark.parametrize(
    "shapes",
    [((3, 4), (3, 4)), ((3, 4), (4,)), ((1, 4), (3, 1)), ((), (2, 3))],
    ids=["same", "row", "outer", "scalar"],
)
def test_adds_plain_rule_gives_the_per_argument_rules_gradients_under_broadcasting(shapes):
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s) for s in shapes]

    def f(x, y):
        return znp.sum(znp.tanh(x + y) * (x + y))

    assert all(p.vjp_plain is not None for p in _add_prims())
    got = zymo.grad(f, argnums=(0, 1))(*args)
    for prim in _add_prims():
        want = _per_argument_gradients(prim, f, args)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
    zymo.testing.check_grads(f, args, order=2)


@pytest.mark.parametrize(
    "shapes",
    [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((2, 3, 4), (4, 2))],
    ids=["matrices", "vector-matrix", "matrix-vector", "batched"],
)
def test_matmuls_plain_rule_gives_the_per_argument_rules_gradients(shapes):
    rng = np.random.default_rng(1)
    args = [rng.standard_normal(s) for s in shapes]

    def f(a, b):
        return znp.sum(znp.sin(a @ b))

    got = zymo.grad(f, argnums=(0, 1))(*args)
    want = _per_argument_gradients(_matmul_prim(), f, args)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    zymo.testing.check_grads(f, args, order=2)


def test_matmuls_plain_rule_skips_an_argument_whose_gradient_is_not_wanted():
    calls = []
    prim = _matmul_prim()
    plain = prim.vjp_plain

    def spy(g, ans, need, a, b, **params):
        out = plain(g, ans, need, a, b, **params)
        calls.append(out)
        return out

    prim.vjp_plain = spy
    try:
        g = zymo.grad(lambda w: znp.sum(np.ones((2, 3)) @ w))(np.ones((3, 4)))
    finally:
        prim.vjp_plain = plain
    np.testing.assert_array_equal(g, np.full((3, 4), 2.0))
    assert len(calls) == 1 and calls[0][0] is None


def test_a_real_input_of_a_complex_product_gets_the_real_part_of_its_cotangent():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[1.0 + 1.0j, 0.5j], [2.0, 1.0 - 1.0j]])

    g = zymo.grad(lambda a: znp.real(znp.sum(a @ b)))(a)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, np.real(np.ones((2, 2)) @ b.T))


def test_unary_plain_rule_unbroadcasts_and_matches_finite_differences():
    x = np.linspace(-1.0, 1.0, 4)
    zymo.testing.check_grads(lambda x: znp.sum(znp.tanh(x) * np.ones((3, 4))), [x], order=2)
    g = zymo.grad(lambda x: znp.sum(znp.tanh(x) * np.ones((3, 4))))(x)
    np.testing.assert_allclose(g, 3 * (1 - np.tanh(x) ** 2), rtol=1e-12)


def test_redefining_a_primitives_rules_drops_its_plain_rule():
    prim = zymo.primitive(lambda x: 2.0 * x, name="double_with_plain")
    zymo.defvjp(prim, lambda g, ans, x: 2.0 * g, saves=())
    from zymo.core.reverse import defvjp_plain

    defvjp_plain(prim, lambda g, ans, need, x: (0.0 * g,))
    zymo.defvjp(prim, lambda g, ans, x: 2.0 * g, saves=())
    assert prim.vjp_plain is None
    np.testing.assert_array_equal(zymo.grad(lambda x: znp.sum(prim(x)))(np.ones(3)), [2.0, 2.0, 2.0])
