"""setup / update / adjust: in-place updates, frozen fields, tied arrays, lazily added arrays, errors."""

from __future__ import annotations

import numpy as np
import pytest

import zymo
from zymo import optim
from zymo.nn import Module


class Layer(Module):
    def __init__(self, w):
        self.w = w


class Pair(Module):
    def __init__(self, a, b):
        self.a, self.b = a, b


def _sq(m):
    return (m.a.w**2).sum() + (m.b.w**2).sum()


def test_update_changes_the_models_arrays_in_place():
    w = np.array([1.0, 2.0])
    model = Layer(w)
    state = optim.setup(optim.Descent(0.5), model)
    optim.update(state, model, zymo.grad(lambda m: (m.w**2).sum())(model))
    assert model.w is w
    np.testing.assert_array_equal(w, [0.0, 0.0])


def test_frozen_field_is_left_alone_and_has_no_state():
    model = Pair(Layer(np.ones(2)), Layer(np.ones(2)))
    model.freeze("a")
    state = optim.setup(optim.Adam(0.1), model)
    assert list(state.slots) == ["b.w"]
    optim.update(state, model, zymo.grad(_sq)(model))
    np.testing.assert_array_equal(model.a.w, np.ones(2))
    assert np.all(model.b.w < 1)


def test_unfreezing_later_gives_the_array_fresh_state():
    model = Pair(Layer(np.ones(2)), Layer(np.ones(2)))
    model.freeze("a")
    state = optim.setup(optim.Adam(0.1), model)
    optim.update(state, model, zymo.grad(_sq)(model))
    model.unfreeze()
    optim.update(state, model, zymo.grad(_sq)(model))
    assert state.counts == {"b.w": 2, "a.w": 1}
    np.testing.assert_allclose(model.a.w, 0.9)


def test_tied_array_is_updated_once_with_the_summed_gradient():
    shared = np.array([1.0, -1.0])
    model = Pair(Layer(shared), Layer(shared))
    state = optim.setup(optim.Descent(0.1), model)
    assert list(state.slots) == ["a.w"]
    optim.update(state, model, zymo.grad(_sq)(model))
    # each use contributes 2 * w, so the step is 0.1 * 4 * w
    np.testing.assert_allclose(shared, [0.6, -0.6])
    assert model.a.w is model.b.w


def test_plain_dict_models_are_supported():
    model = {"w": np.array([2.0]), "n": 3}
    state = optim.setup(optim.Descent(0.25), model)
    optim.update(state, model, zymo.grad(lambda m: (m["w"] ** 2).sum() * m["n"])(model))
    np.testing.assert_allclose(model["w"], [-1.0])


def test_float32_arrays_stay_float32():
    model = {"w": np.ones(3, dtype=np.float32)}
    state = optim.setup(optim.Adam(0.1), model)
    optim.update(state, model, zymo.grad(lambda m: (m["w"] ** 2).sum())(model))
    assert model["w"].dtype == np.float32
    assert state.slots["['w']"]["exp_avg"].dtype == np.float32


def test_adjust_changes_the_learning_rate_of_every_rule_that_has_one():
    state = optim.setup(optim.chain(optim.ClipNorm(1.0), optim.Adam(0.1)), {"w": np.ones(1)})
    optim.adjust(state, lr=0.01, max_norm=2.0)
    clip, adam = state.rule.rules()
    assert (adam.lr, clip.max_norm) == (0.01, 2.0)


def test_adjust_rejects_an_unknown_setting():
    state = optim.setup(optim.Descent(0.1), {"w": np.ones(1)})
    with pytest.raises(optim.OptimiserError, match="momentum"):
        optim.adjust(state, momentum=0.9)


def test_adjust_takes_effect_on_the_next_update():
    model = {"w": np.array([1.0])}
    state = optim.setup(optim.Descent(0.1), model)
    optim.adjust(state, lr=1.0)
    optim.update(state, model, {"w": np.array([0.5])})
    np.testing.assert_allclose(model["w"], [0.5])


def test_gradients_of_another_structure_are_rejected():
    state = optim.setup(optim.Descent(0.1), {"w": np.ones(2)})
    with pytest.raises(optim.OptimiserError, match="no gradient for"):
        optim.update(state, {"w": np.ones(2)}, {"v": np.ones(2)})


def test_gradient_of_the_wrong_shape_is_rejected_and_nothing_changes():
    model = {"a": np.ones(2), "w": np.ones(2)}
    state = optim.setup(optim.Descent(0.1), model)
    with pytest.raises(optim.OptimiserError, match="shape"):
        optim.update(state, model, {"a": np.ones(2), "w": np.ones(3)})
    np.testing.assert_array_equal(model["a"], np.ones(2))


def test_setup_needs_a_rule():
    with pytest.raises(optim.OptimiserError, match="rule"):
        optim.setup({"w": np.ones(1)}, optim.Adam())


def test_chain_flattens_nested_chains():
    r = optim.chain(optim.ClipGrad(1.0), optim.chain(optim.WeightDecay(0.1), optim.Descent(0.1)))
    assert [type(p).__name__ for p in r.rules()] == ["ClipGrad", "WeightDecay", "Descent"]


def test_step_counts_updates():
    model = {"w": np.ones(1)}
    state = optim.setup(optim.Adam(), model)
    for _ in range(3):
        optim.update(state, model, {"w": np.ones(1)})
    assert state.step == 3
