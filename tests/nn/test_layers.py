"""Layers: outputs, gradients with respect to the module and the input, shape errors, reprs, modes."""

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import assume, given, settings

import zymo
import zymo.numpy as znp
from zymo.nn import (
    BatchNorm,
    Chain,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    LayerNorm,
    Parallel,
    SkipConnection,
    gelu,
    relu,
    tanh,
    trainmode,
)
from zymo.nn import testmode as evalmode  # imported under another name so pytest does not collect it
from zymo.testing import check_grads, max_relative_error, numerical_grad

NEEDS_TORCH = (
    "PyTorch parity test: needs torch "
    "(CPU build: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu)"
)

F64 = np.float64


def rng(seed=0):
    return np.random.default_rng(seed)


def data(*shape, seed=1):
    return rng(seed).standard_normal(shape)


def weighted_loss(model, x):
    y = model(x)
    return np.sum(np.sin(y) * np.linspace(0.5, 1.5, y.size).reshape(y.shape))


def assert_grads_match_finite_differences(model, x, loss=weighted_loss, tol=1e-6):
    gm, gx = zymo.grad(loss, argnums=(0, 1))(model, x)
    assert type(gm) is type(model)
    want_m, want_x = numerical_grad(loss, (model, x))
    assert max_relative_error(gm, want_m) < tol
    if want_x is not None:
        assert max_relative_error(gx, want_x) < tol


# --- Dense ---------------------------------------------------------------------------------------
def test_dense_computes_affine_map_then_activation():
    layer = Dense(3, 2, tanh, rng=rng(), dtype=F64)
    x = data(4, 3)
    np.testing.assert_allclose(layer(x), np.tanh(x @ layer.weight.T + layer.bias))
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)


@pytest.mark.parametrize("activation", [None, relu, gelu, tanh], ids=lambda f: getattr(f, "__name__", "none"))
def test_dense_gradients_match_finite_differences(activation):
    layer = Dense(3, 2, activation, rng=rng(), dtype=F64)
    layer.bias = data(2, seed=5)
    assert_grads_match_finite_differences(layer, data(4, 3))


def test_dense_gradients_in_forward_and_reverse_mode_to_second_order():
    layer = Dense(3, 2, tanh, rng=rng(), dtype=F64)
    check_grads(lambda m, x: m(x), (layer, data(2, 3)), order=2)


def test_dense_without_bias_has_no_bias_parameter():
    layer = Dense(3, 2, bias=False, rng=rng(), dtype=F64)
    assert layer.bias is None
    assert repr(layer) == "Dense(3 => 2, bias=False)"
    assert_grads_match_finite_differences(layer, data(3))


def test_dense_accepts_unbatched_and_multi_axis_inputs():
    layer = Dense(3, 2, rng=rng())
    assert layer(np.ones(3, np.float32)).shape == (2,)
    assert layer(np.ones((5, 4, 3), np.float32)).shape == (5, 4, 2)


def test_dense_given_wrong_feature_count_names_layer_expected_and_given_shape():
    layer = Dense(3, 5, relu, rng=rng())
    with pytest.raises(zymo.ShapeError) as err:
        layer(np.ones((4, 7)))
    msg = str(err.value)
    assert "Dense(3 => 5, relu)" in msg and "3 features" in msg and "(4, 7)" in msg and "test_layers.py" in msg


def test_dense_shape_error_is_raised_under_differentiation_too():
    layer = Dense(3, 5, rng=rng())
    with pytest.raises(zymo.ShapeError, match="Dense"):
        zymo.grad(lambda m: np.sum(m(np.ones((2, 7)))))(layer)


def test_dense_repr_and_keeps_float32():
    layer = Dense(3, 5, relu, rng=rng())
    assert repr(layer) == "Dense(3 => 5, relu)"
    assert layer.weight.dtype == np.float32
    assert layer(np.ones((2, 3), np.float32)).dtype == np.float32
    g = zymo.grad(lambda m: np.sum(m(np.ones((2, 3), np.float32))))(layer)
    assert g.weight.dtype == np.float32


def test_dense_custom_initialiser_receives_rng_out_in_and_dtype():
    seen = {}

    def init(r, out_features, in_features, dtype):
        seen.update(out=out_features, n_in=in_features, dtype=dtype, rng=r)
        return np.full((out_features, in_features), 0.5, dtype)

    r = rng()
    layer = Dense(3, 2, init=init, rng=r, dtype=F64)
    assert seen == {"out": 2, "n_in": 3, "dtype": F64, "rng": r}
    np.testing.assert_array_equal(layer.weight, np.full((2, 3), 0.5))


def test_same_seed_gives_same_dense_weights():
    np.testing.assert_array_equal(Dense(3, 4, rng=rng(3)).weight, Dense(3, 4, rng=rng(3)).weight)


# --- Chain ---------------------------------------------------------------------------------------
def mlp():
    r = rng()
    return Chain(Dense(3, 4, tanh, rng=r, dtype=F64), Dense(4, 2, rng=r, dtype=F64))


def test_chain_applies_layers_in_order():
    model = mlp()
    x = data(5, 3)
    np.testing.assert_allclose(model(x), model[1](model[0](x)))


def test_chain_gradient_is_a_chain_of_layer_gradients():
    model = mlp()
    g = zymo.grad(weighted_loss)(model, data(5, 3))
    assert type(g) is Chain and type(g[0]) is Dense and type(g[1]) is Dense
    assert_grads_match_finite_differences(model, data(5, 3))


def test_chain_with_plain_functions_between_layers():
    r = rng()
    model = Chain(Dense(3, 4, rng=r, dtype=F64), np.tanh, Dense(4, 2, rng=r, dtype=F64))
    assert_grads_match_finite_differences(model, data(5, 3))


def test_named_chain_reaches_layers_by_name_index_and_attribute():
    r = rng()
    enc, dec = Dense(3, 2, rng=r, dtype=F64), Dense(2, 3, rng=r, dtype=F64)
    model = Chain(encoder=enc, decoder=dec)
    assert model.encoder is enc and model["decoder"] is dec and model[0] is enc
    assert repr(model) == "Chain(\n  encoder=Dense(3 => 2),\n  decoder=Dense(2 => 3),\n)"
    g = zymo.grad(weighted_loss)(model, data(2, 3))
    assert type(g.decoder) is Dense
    assert_grads_match_finite_differences(model, data(2, 3))


def test_chain_slices_are_chains():
    model = Chain(a=Dense(3, 3), b=Dense(3, 3), c=Dense(3, 1))
    tail = model[1:]
    assert type(tail) is Chain and tail.names == ("b", "c")
    assert len(mlp()[:1]) == 1


def test_unknown_layer_name_raises_key_error():
    with pytest.raises(KeyError, match="nope"):
        Chain(a=Dense(3, 3))["nope"]


def test_chain_rejects_non_callable_layers():
    with pytest.raises(zymo.ZymoError, match="not callable"):
        Chain(Dense(3, 3), 5)


def test_chain_repr_shows_one_layer_per_line_and_nests():
    model = Chain(Dense(3, 4, relu), Chain(Dense(4, 4), Dropout(0.5)), Dense(4, 1))
    assert repr(model) == (
        "Chain(\n  Dense(3 => 4, relu),\n  Chain(\n    Dense(4 => 4),\n    Dropout(0.5),\n  ),\n  Dense(4 => 1),\n)"
    )
    assert repr(Chain(Dense(3, 4))) == "Chain(Dense(3 => 4))"


def test_long_chain_repr_is_multi_line():
    model = Chain(Dense(3, 64, relu), Dense(64, 64, relu), Dropout(0.1), LayerNorm(64), Dense(64, 10))
    assert repr(model) == (
        "Chain(\n"
        "  Dense(3 => 64, relu),\n"
        "  Dense(64 => 64, relu),\n"
        "  Dropout(0.1),\n"
        "  LayerNorm(64),\n"
        "  Dense(64 => 10),\n"
        ")"
    )


def test_shape_error_inside_chain_names_the_offending_layer():
    model = Chain(Dense(3, 4), Dense(5, 2))
    with pytest.raises(zymo.ShapeError, match=r"Dense\(5 => 2\) expects 5 features"):
        model(np.ones((1, 3), np.float32))


# --- Embedding -----------------------------------------------------------------------------------
def test_embedding_looks_up_rows():
    emb = Embedding(6, 3, rng=rng(), dtype=F64)
    idx = np.array([[1, 5], [0, 1]])
    np.testing.assert_array_equal(emb(idx), emb.weight[idx])


def test_embedding_gradient_accumulates_repeated_indices():
    emb = Embedding(6, 3, rng=rng(), dtype=F64)
    idx = np.array([[1, 5], [0, 1]])
    g = zymo.grad(lambda m: weighted_loss(m, idx))(emb)
    (want,) = numerical_grad(lambda m: weighted_loss(m, idx), (emb,))
    assert type(g) is Embedding
    assert max_relative_error(g, want) < 1e-6
    np.testing.assert_array_equal(g.weight[[2, 3, 4]], 0)


def test_embedding_padding_row_is_zero_and_gets_no_gradient():
    emb = Embedding(5, 2, padding_idx=0, rng=rng(), dtype=F64)
    np.testing.assert_array_equal(emb.weight[0], 0)
    emb.weight[0] = 3.0  # even if the padding row drifts, lookups of it give zeros
    idx = np.array([0, 2, 0, 4])
    np.testing.assert_array_equal(emb(idx)[[0, 2]], 0)
    g = zymo.grad(lambda m: weighted_loss(m, idx))(emb)
    np.testing.assert_array_equal(g.weight[0], 0)
    (want,) = numerical_grad(lambda m: weighted_loss(m, idx), (emb,))
    assert max_relative_error(g, want) < 1e-6


def test_embedding_negative_padding_index_counts_from_the_end():
    assert Embedding(5, 2, padding_idx=-1).padding_idx == 4


def test_embedding_index_out_of_range_is_a_clear_error():
    emb = Embedding(5, 2)
    with pytest.raises(zymo.ShapeError, match=r"Embedding\(5 => 2\): index 7 is outside 0..4"):
        emb(np.array([1, 7]))


def test_embedding_rejects_float_indices():
    with pytest.raises(zymo.ZymoError, match="integer indices"):
        Embedding(5, 2)(np.array([1.0, 2.0]))


# --- Dropout -------------------------------------------------------------------------------------
def test_dropout_zeroes_about_p_and_scales_the_rest():
    y = Dropout(0.3, rng=rng())(np.ones(20000))
    kept = y != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.02)
    np.testing.assert_allclose(y[kept], 1 / 0.7)


def test_dropout_is_identity_in_test_mode():
    x = data(4, 5)
    np.testing.assert_array_equal(evalmode(Dropout(0.5))(x), x)


def test_dropout_masks_are_reproducible_from_the_generator_seed():
    x = np.ones(50)
    np.testing.assert_array_equal(Dropout(0.5, rng=rng(4))(x), Dropout(0.5, rng=rng(4))(x))


def test_dropout_gradient_is_the_scaled_mask():
    x = data(6, 4)
    drop = Dropout(0.5, rng=rng(2))
    mask = Dropout(0.5, rng=rng(2))(np.ones_like(x))
    g = zymo.grad(lambda x: np.sum(drop(x)))(x)
    np.testing.assert_array_equal(g, mask)


def test_dropout_inside_a_model_matches_finite_differences_with_a_fixed_mask():
    def loss(model, x):
        model.layers[1].rng = rng(9)  # same mask at every evaluation
        return weighted_loss(model, x)

    r = rng()
    model = Chain(Dense(3, 4, rng=r, dtype=F64), Dropout(0.5), Dense(4, 2, rng=r, dtype=F64))
    assert_grads_match_finite_differences(model, data(5, 3), loss=loss)


def test_dropout_keeps_float32():
    assert Dropout(0.5)(np.ones(4, np.float32)).dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_rejects_probabilities_outside_zero_to_one(p):
    with pytest.raises(zymo.ZymoError, match="Dropout probability"):
        Dropout(p)


# --- LayerNorm -----------------------------------------------------------------------------------
def test_layernorm_normalises_the_last_axis():
    y = LayerNorm(5, dtype=F64)(data(3, 5) * 4 + 2)
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=-1), 1, rtol=1e-4)


def test_layernorm_gradients_match_finite_differences():
    ln = LayerNorm(4, dtype=F64)
    ln.weight, ln.bias = data(4, seed=3), data(4, seed=4)
    assert_grads_match_finite_differences(ln, data(3, 4))


def test_layernorm_over_several_trailing_axes():
    ln = LayerNorm((2, 3), dtype=F64)
    assert repr(ln) == "LayerNorm((2, 3))"
    assert_grads_match_finite_differences(ln, data(4, 2, 3))


def test_layernorm_without_affine_has_no_parameters():
    ln = LayerNorm(4, affine=False, dtype=F64)
    assert ln.weight is None and repr(ln) == "LayerNorm(4, affine=False)"
    assert_grads_match_finite_differences(ln, data(3, 4))


def test_layernorm_wrong_trailing_shape_is_a_clear_error():
    with pytest.raises(zymo.ShapeError, match=r"LayerNorm\(4\) expects trailing axes of shape \(4,\), got .*\(3, 5\)"):
        LayerNorm(4)(np.ones((3, 5)))


def test_layernorm_matches_pytorch():
    torch = pytest.importorskip("torch", reason=NEEDS_TORCH)
    x = data(3, 6)
    ln = LayerNorm(6, dtype=F64)
    ln.weight, ln.bias = data(6, seed=2), data(6, seed=3)
    want = torch.nn.functional.layer_norm(
        torch.tensor(x), (6,), torch.tensor(ln.weight), torch.tensor(ln.bias), eps=1e-5
    )
    np.testing.assert_allclose(ln(x), want.numpy(), rtol=1e-12, atol=1e-12)


# --- BatchNorm -----------------------------------------------------------------------------------
def test_batchnorm_training_normalises_each_channel_over_the_batch():
    y = BatchNorm(3, dtype=F64)(data(8, 3) * 5 - 1)
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=0), 1, rtol=1e-4)


def test_batchnorm_updates_running_statistics_with_momentum_and_unbiased_variance():
    bn = BatchNorm(2, momentum=0.25, dtype=F64)
    x = data(5, 2)
    bn(x)
    np.testing.assert_allclose(bn.running_mean, 0.25 * x.mean(axis=0))
    np.testing.assert_allclose(bn.running_var, 0.75 + 0.25 * x.var(axis=0, ddof=1))


def test_batchnorm_updates_running_statistics_under_differentiation():
    bn = BatchNorm(2, dtype=F64)
    x = data(5, 2)
    zymo.grad(weighted_loss)(bn, x)
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.mean(axis=0))


def test_batchnorm_test_mode_uses_running_statistics_and_leaves_them():
    bn = BatchNorm(2, dtype=F64)
    bn.running_mean[:] = [1.0, -1.0]
    bn.running_var[:] = [4.0, 0.25]
    evalmode(bn)
    x = data(3, 2)
    np.testing.assert_allclose(bn(x), (x - [1.0, -1.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5))
    np.testing.assert_array_equal(bn.running_mean, [1.0, -1.0])


@pytest.mark.parametrize("mode", [trainmode, evalmode], ids=["train", "test"])
def test_batchnorm_gradients_match_finite_differences(mode):
    bn = mode(BatchNorm(3, dtype=F64))
    bn.weight, bn.bias = data(3, seed=3), data(3, seed=4)
    bn.running_mean[:], bn.running_var[:] = data(3, seed=5), np.array([0.5, 1.0, 2.0])
    assert_grads_match_finite_differences(bn, data(4, 3, 2))


def test_batchnorm_matches_pytorch_in_training_and_test_mode():
    torch = pytest.importorskip("torch", reason=NEEDS_TORCH)
    x = data(6, 3, 4)
    ours = BatchNorm(3, dtype=F64)
    theirs = torch.nn.BatchNorm1d(3).double()
    for _ in range(2):
        np.testing.assert_allclose(ours(x), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
    evalmode(ours), theirs.eval()
    np.testing.assert_allclose(ours(x), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)


def test_batchnorm_wrong_channel_count_is_a_clear_error():
    with pytest.raises(zymo.ShapeError, match=r"BatchNorm\(3\) expects input \(batch, 3, \.\.\.\).*\(4, 5\)"):
        BatchNorm(3)(np.ones((4, 5)))


def test_batchnorm_needs_more_than_one_value_per_channel_in_training():
    with pytest.raises(zymo.ShapeError, match="more than one value per channel"):
        BatchNorm(3)(np.ones((1, 3)))


def test_batchnorm_running_statistics_are_not_trainable():
    assert not BatchNorm(3).is_trainable("running_mean")


# --- SkipConnection, Parallel, Flatten ------------------------------------------------------------
def test_skip_connection_adds_the_input_by_default():
    inner = Dense(3, 3, tanh, rng=rng(), dtype=F64)
    block = SkipConnection(inner)
    x = data(2, 3)
    np.testing.assert_allclose(block(x), inner(x) + x)
    assert repr(block) == "SkipConnection(Dense(3 => 3, tanh), +)"
    assert_grads_match_finite_differences(block, x)


def test_skip_connection_with_a_custom_connection():
    block = SkipConnection(Dense(3, 2, rng=rng(), dtype=F64), lambda y, x: np.concatenate([y, x], axis=-1))
    assert block(data(4, 3)).shape == (4, 5)
    assert_grads_match_finite_differences(block, data(4, 3))


def test_skip_connection_whose_layer_changes_the_shape_is_a_clear_error():
    block = SkipConnection(Dense(3, 1, rng=rng()))
    with pytest.raises(zymo.ShapeError, match=r"SkipConnection.*shape \(4, 3\) to shape \(4, 1\)"):
        block(np.ones((4, 3), np.float32))


def test_parallel_adding_outputs_of_different_shapes_is_a_clear_error():
    par = Parallel(znp.add, Dense(3, 2, rng=rng()), Dense(3, 1, rng=rng()))
    with pytest.raises(zymo.ShapeError, match=r"outputs of shapes \(4, 2\), \(4, 1\)"):
        par(np.ones((4, 3), np.float32))


def test_parallel_applies_each_layer_to_the_same_input_and_combines():
    r = rng()
    par = Parallel(np.add, Dense(3, 2, rng=r, dtype=F64), Dense(3, 2, tanh, rng=r, dtype=F64), np.sin)
    par.layers = par.layers[:2] + (Dense(3, 2, rng=r, dtype=F64),)
    x = data(4, 3)
    np.testing.assert_allclose(par(x), sum(layer(x) for layer in par.layers))
    assert_grads_match_finite_differences(par, x)


def test_parallel_with_several_inputs_feeds_one_to_each_layer():
    r = rng()
    par = Parallel(
        lambda a, b: np.concatenate([a, b], -1), Dense(3, 2, rng=r, dtype=F64), Dense(5, 1, rng=r, dtype=F64)
    )
    a, b = data(4, 3), data(4, 5, seed=2)
    np.testing.assert_allclose(par(a, b), np.concatenate([par.layers[0](a), par.layers[1](b)], -1))
    gm, ga, gb = zymo.grad(lambda m, a, b: weighted_loss(lambda _: m(a, b), None), argnums=(0, 1, 2))(par, a, b)
    want = numerical_grad(lambda m, a, b: weighted_loss(lambda _: m(a, b), None), (par, a, b))
    assert max_relative_error((gm, ga, gb), want) < 1e-6


def test_parallel_without_connection_returns_the_tuple():
    outs = Parallel(None, np.sin, np.cos)(np.zeros(2))
    assert isinstance(outs, tuple) and len(outs) == 2


def test_parallel_with_the_wrong_number_of_inputs_is_a_clear_error():
    with pytest.raises(zymo.ZymoError, match="takes 1 or 2 inputs, got 3"):
        Parallel(None, np.sin, np.cos)(1.0, 2.0, 3.0)


def test_parallel_repr():
    par = Parallel(np.add, Dense(3, 2), Dense(3, 2))
    assert repr(par) == "Parallel(+, Dense(3 => 2), Dense(3 => 2))"


def test_flatten_merges_trailing_axes_and_passes_gradients_back():
    x = data(2, 3, 4)
    assert Flatten()(x).shape == (2, 12)
    assert Flatten(start_axis=2)(x).shape == (2, 3, 4)
    model = Chain(Flatten(), Dense(12, 2, rng=rng(), dtype=F64))
    assert_grads_match_finite_differences(model, x)


def test_flatten_with_too_few_axes_is_a_clear_error():
    with pytest.raises(zymo.ShapeError, match=r"Flatten\(start_axis=3\) expects at least 3 axes"):
        Flatten(start_axis=3)(np.ones((2, 2)))


# --- a small network end to end ----------------------------------------------------------------
def test_classifier_with_every_layer_kind_matches_finite_differences():
    r = rng()
    model = Chain(
        Flatten(),
        Dense(6, 5, gelu, rng=r, dtype=F64),
        LayerNorm(5, dtype=F64),
        SkipConnection(Dense(5, 5, tanh, rng=r, dtype=F64)),
        BatchNorm(5, dtype=F64),
        Parallel(np.add, Dense(5, 3, rng=r, dtype=F64), Dense(5, 3, relu, rng=r, dtype=F64)),
    )
    assert_grads_match_finite_differences(model, data(4, 2, 3))


def _small_layers():
    r = rng()
    ln = LayerNorm(3, dtype=F64)
    ln.weight, ln.bias = data(3, seed=3), data(3, seed=4)
    bn = BatchNorm(3, dtype=F64)
    bn.weight, bn.bias = data(3, seed=5), data(3, seed=6)
    return {
        "LayerNorm": ln,
        "BatchNorm-train": bn,
        "BatchNorm-test": evalmode(BatchNorm(3, dtype=F64)),
        "SkipConnection": SkipConnection(Dense(3, 3, tanh, rng=r, dtype=F64)),
        "Parallel": Parallel(np.multiply, Dense(3, 2, rng=r, dtype=F64), Dense(3, 2, gelu, rng=r, dtype=F64)),
        "Flatten-Dense": Chain(Flatten(start_axis=0), Dense(9, 2, rng=r, dtype=F64)),
    }


@pytest.mark.parametrize("name", list(_small_layers()))
def test_layers_differentiate_in_both_modes_to_second_order(name):
    layer = _small_layers()[name]
    check_grads(lambda m, x: m(x), (layer, data(3, 3)), order=2)


def test_embedding_differentiates_in_both_modes_to_second_order():
    emb = Embedding(4, 2, padding_idx=1, rng=rng(), dtype=F64)
    idx = np.array([[0, 1], [3, 3]])
    check_grads(lambda m: np.sin(m(idx)), (emb,), order=2)


def test_training_updates_parameters_but_leaves_running_statistics_to_batchnorm():
    from zymo import optim
    from zymo.nn import losses

    r = rng()
    model = Chain(Dense(4, 8, relu, rng=r, dtype=F64), BatchNorm(8, dtype=F64), Dense(8, 3, rng=r, dtype=F64))
    x, labels = data(32, 4), np.arange(32) % 3
    state = optim.setup(optim.Adam(0.05), model)
    before = losses.logitcrossentropy(evalmode(model)(x), labels)
    trainmode(model)
    for _ in range(30):
        grads = zymo.grad(lambda m: losses.logitcrossentropy(m(x), labels))(model)
        stats = model[1].running_mean.copy()
        optim.update(state, model, grads)
        np.testing.assert_array_equal(model[1].running_mean, stats)  # the optimiser leaves state alone
    assert losses.logitcrossentropy(evalmode(model)(x), labels) < before


@settings(max_examples=40, deadline=None)
@given(
    n_in=st.integers(1, 6),
    n_out=st.integers(1, 6),
    given_features=st.integers(0, 8),
    batch=st.lists(st.integers(1, 3), max_size=2),
)
def test_dense_given_any_wrong_feature_count_raises_a_shape_error_naming_both_shapes(
    n_in, n_out, given_features, batch
):
    assume(given_features != n_in)
    layer = Dense(n_in, n_out, rng=rng())
    shape = (*batch, given_features)
    with pytest.raises(zymo.ShapeError) as err:
        layer(np.ones(shape, np.float32))
    assert f"Dense({n_in} => {n_out})" in str(err.value) and str(shape) in str(err.value)
