"""Module: a pytree of its arrays; gradients as modules; repr; non-trainable fields; train/test mode."""

import numpy as np

import zymo
from zymo.nn import (
    BatchNorm,
    Chain,
    Dense,
    Dropout,
    Module,
    describe,
    named_parameters,
    num_parameters,
    parameters,
    trainmode,
)
from zymo.nn import testmode as evalmode  # imported under another name so pytest does not collect it
from zymo.testing import numerical_grad


class Affine(Module):
    def __init__(self, n_in, n_out, scale=2.0):
        self.w = np.linspace(-1, 1, n_in * n_out).reshape(n_out, n_in)
        self.b = np.zeros(n_out)
        self.scale = scale
        self.name = "affine"

    def __call__(self, x):
        return self.scale * (x @ self.w.T + self.b)


class Stats(Module):
    nontrainable = frozenset({"running"})

    def __init__(self):
        self.w = np.ones(3)
        self.running = np.zeros(3)


def test_gradient_with_respect_to_a_module_is_a_module_of_the_same_class():
    m = Affine(3, 2)
    x = np.array([0.5, -1.0, 2.0])
    g = zymo.grad(lambda m: np.sum(m(x) ** 2))(m)
    assert type(g) is Affine
    assert g.scale == 2.0 and g.name == "affine"
    (want,) = numerical_grad(lambda m: np.sum(m(x) ** 2), (m,))
    np.testing.assert_allclose(g.w, want.w, rtol=1e-6)
    np.testing.assert_allclose(g.b, want.b, rtol=1e-6, atol=1e-8)


def test_static_fields_are_configuration_not_parameters():
    assert [name for name, _ in named_parameters(Affine(3, 2))] == ["w", "b"]


def test_default_repr_lists_fields_with_arrays_by_dtype_and_shape():
    assert repr(Affine(3, 2)) == "Affine(w=float64[2, 3], b=float64[2], scale=2.0, name='affine')"


def test_repr_of_nested_modules_spans_lines_when_long():
    class Pair(Module):
        def __init__(self):
            self.first = Affine(3, 2)
            self.second = Affine(2, 4)

    text = repr(Pair())
    assert text.startswith("Pair(\n  first=Affine(")
    assert text.endswith("),\n)")


def test_describe_names_functions_and_shapes():
    assert describe(np.zeros((2, 3), np.float32)) == "float32[2, 3]"
    assert describe(np.tanh) == "tanh"
    assert describe([np.ones(2), 3]) == "[float64[2], 3]"


def test_nontrainable_fields_are_left_out_of_parameters():
    s = Stats()
    assert [n for n, _ in named_parameters(s)] == ["w"]
    assert [n for n, _ in named_parameters(s, trainable_only=False)] == ["w", "running"]
    assert not s.is_trainable("running") and s.is_trainable("w")


def test_batchnorm_running_statistics_are_not_parameters():
    names = [n for n, _ in named_parameters(Chain(Dense(2, 3), BatchNorm(3)))]
    assert names == ["layers[0].weight", "layers[0].bias", "layers[1].weight", "layers[1].bias"]


def test_freeze_and_unfreeze_fields():
    m = Affine(3, 2).freeze("w")
    assert [n for n, _ in named_parameters(m)] == ["b"]
    m.unfreeze()
    assert [n for n, _ in named_parameters(m)] == ["w", "b"]
    assert parameters(Affine(3, 2).freeze()) == []


def test_freezing_a_submodule_freezes_everything_inside_it():
    chain = Chain(Dense(2, 3), Dense(3, 1)).freeze()
    assert parameters(chain) == []
    assert len(parameters(chain, trainable_only=False)) == 4


def test_num_parameters_counts_scalars_of_trainable_arrays():
    assert num_parameters(Chain(Dense(3, 4), Dense(4, 2))) == 3 * 4 + 4 + 4 * 2 + 2
    assert num_parameters(Stats()) == 3
    assert num_parameters(Stats(), trainable_only=False) == 6


def test_shared_arrays_are_counted_once():
    m = Affine(2, 2)
    m.w2 = m.w
    assert len(parameters(m)) == 2


def test_trainmode_and_testmode_reach_nested_layers():
    drop = Dropout(0.5)
    model = Chain(Dense(2, 2), Chain(drop))
    evalmode(model)
    assert not drop.training and not model.training
    trainmode(model)
    assert drop.training


def test_mode_survives_differentiation():
    model = evalmode(Chain(Dense(2, 2), Dropout(0.5)))
    g = zymo.grad(lambda m: np.sum(m(np.ones(2))))(model)
    assert not g.training and not g.layers[1].training


def test_parameter_methods_equal_the_functions():
    model = Chain(Dense(3, 4), BatchNorm(4), Dense(4, 2))
    model[0].freeze()
    for only in (True, False):
        assert [n for n, _ in model.named_parameters(only)] == [n for n, _ in named_parameters(model, only)]
        assert [id(a) for a in model.parameters(only)] == [id(a) for a in parameters(model, only)]
        assert model.num_parameters(only) == num_parameters(model, only)
    assert model.num_parameters() == 4 * 2 + 2 + 4 * 2


def test_eval_and_train_methods_switch_modes_in_place_like_pytorch():
    drop = Dropout(0.5)
    model = Chain(Dense(2, 2), Chain(drop))
    assert model.eval() is model and not drop.training and not model.training
    assert model.train() is model and drop.training
    assert model.train(False) is model and not drop.training
