"""Losses: derivatives against finite differences, aggregation, labels, stability, shape errors, PyTorch values."""

import warnings

import numpy as np
import pytest

import zymo
from zymo.nn import Dense, losses, sigmoid, softmax
from zymo.testing import check_grads, max_relative_error, numerical_grad

NEEDS_TORCH = (
    "PyTorch parity test: needs torch "
    "(CPU build: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu)"
)


def data(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


def probabilities(*shape, seed=1):
    return softmax(data(*shape, seed=seed))


def unit(*shape, seed=1):
    return sigmoid(data(*shape, seed=seed))


# Each case: loss, prediction, target (both float64, differentiable in both).
CASES = {
    "mse": (losses.mse, data(4, 3), data(4, 3, seed=2)),
    "mae": (losses.mae, data(4, 3), data(4, 3, seed=2)),
    "huber": (lambda a, b, **kw: losses.huber(a, b, delta=0.7, **kw), data(4, 3), data(4, 3, seed=2)),
    "crossentropy": (losses.crossentropy, probabilities(4, 3), probabilities(4, 3, seed=2)),
    "logitcrossentropy": (losses.logitcrossentropy, data(4, 3), probabilities(4, 3, seed=2)),
    "binarycrossentropy": (losses.binarycrossentropy, unit(4, 3), unit(4, 3, seed=2)),
    "logitbinarycrossentropy": (losses.logitbinarycrossentropy, data(4, 3), unit(4, 3, seed=2)),
    "kldivergence": (losses.kldivergence, probabilities(4, 3), probabilities(4, 3, seed=2)),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("agg", ["mean", "sum"])
def test_gradients_match_finite_differences_for_prediction_and_target(name, agg):
    loss, yhat, y = CASES[name]
    f = lambda a, b: loss(a, b, agg=agg)
    got = zymo.grad(f, argnums=(0, 1))(yhat, y)
    assert max_relative_error(got, numerical_grad(f, (yhat, y))) < 1e-6


@pytest.mark.parametrize("name", CASES)
def test_derivatives_in_both_modes_to_second_order(name):
    loss, yhat, y = CASES[name]
    check_grads(lambda a, b: loss(a, b, agg=None), (yhat, y), order=2)


def test_logitcrossentropy_is_one_fused_primitive_with_both_rules():
    assert losses.logitce_p.vjp is not None and losses.logitce_p.jvp is not None


@pytest.mark.parametrize("name", CASES)
def test_agg_none_sum_mean_and_a_function(name):
    loss, yhat, y = CASES[name]
    each = loss(yhat, y, agg=None)
    assert np.shape(each) in ((4, 3), (4,))
    assert loss(yhat, y, agg="sum") == pytest.approx(np.sum(each))
    assert loss(yhat, y) == pytest.approx(np.mean(each))
    assert loss(yhat, y, agg=np.max) == pytest.approx(np.max(each))


def test_unknown_agg_is_a_clear_error():
    with pytest.raises(zymo.ZymoError, match="agg must be"):
        losses.mse(np.ones(2), np.ones(2), agg="median")


@pytest.mark.parametrize("name", CASES)
def test_mismatched_shapes_raise_instead_of_broadcasting(name):
    loss, yhat, y = CASES[name]
    with pytest.raises(zymo.ShapeError, match=rf"{name}: prediction shape \(4, 3\) and target shape \(4, 1\) differ"):
        loss(yhat, y[:, :1])


def test_mse_rejects_column_prediction_against_flat_target():
    with pytest.raises(zymo.ShapeError, match="test_losses.py"):
        losses.mse(np.ones((5, 1)), np.ones(5))


def test_integer_labels_equal_one_hot_targets():
    z = data(4, 3)
    labels = np.array([2, 0, 1, 2])
    onehot = np.eye(3)[labels]
    assert losses.logitcrossentropy(z, labels) == pytest.approx(losses.logitcrossentropy(z, onehot))
    p = softmax(z)
    assert losses.crossentropy(p, labels) == pytest.approx(losses.crossentropy(p, onehot))


def test_integer_labels_along_another_class_axis():
    z = data(3, 4)
    labels = np.array([0, 2, 1, 1])
    want = losses.logitcrossentropy(z.T, labels)
    assert losses.logitcrossentropy(z, labels, axis=0) == pytest.approx(want)


def test_labels_of_the_wrong_shape_or_range_are_clear_errors():
    with pytest.raises(zymo.ShapeError, match=r"labels need shape \(4,\)"):
        losses.logitcrossentropy(data(4, 3), np.array([0, 1]))
    with pytest.raises(zymo.ShapeError, match="outside 0..2"):
        losses.logitcrossentropy(data(4, 3), np.array([0, 1, 3, 0]))


def test_gradient_with_integer_labels_matches_finite_differences():
    z, labels = data(5, 4), np.array([3, 0, 1, 1, 2])
    got = zymo.grad(lambda z: losses.logitcrossentropy(z, labels))(z)
    (want,) = numerical_grad(lambda z: losses.logitcrossentropy(z, labels), (z,))
    assert max_relative_error(got, want) < 1e-6


def test_logitcrossentropy_gradient_is_softmax_minus_target():
    z, y = data(4, 3), probabilities(4, 3, seed=2)
    g = zymo.grad(lambda z: losses.logitcrossentropy(z, y, agg="sum"))(z)
    np.testing.assert_allclose(g, softmax(z) - y, rtol=1e-12)


def test_logit_losses_are_finite_at_huge_logits_without_warnings():
    z = np.array([[1e4, -1e4, 0.0], [-1e300, 1e300, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ce = losses.logitcrossentropy(z, np.array([1, 0]), agg=None)
        gce = zymo.grad(lambda z: losses.logitcrossentropy(z, np.array([1, 0])))(z)
        bce = losses.logitbinarycrossentropy(z, np.ones_like(z), agg=None)
        gbce = zymo.grad(lambda z: losses.logitbinarycrossentropy(z, np.ones_like(z)))(z)
    assert np.all(np.isfinite(ce)) and np.all(np.isfinite(gce))
    assert np.all(np.isfinite(bce)) and np.all(np.isfinite(gbce))
    assert ce[0] == pytest.approx(2e4)


def test_probability_losses_are_finite_at_zero_and_one():
    p = np.array([0.0, 1.0, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bce = losses.binarycrossentropy(p, np.array([1.0, 0.0, 1.0]), agg=None)
        ce = losses.crossentropy(np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]]))
    assert np.all(np.isfinite(bce)) and ce == pytest.approx(0.0, abs=1e-12)


def test_kldivergence_is_zero_for_equal_distributions_and_positive_otherwise():
    p, q = probabilities(3, 4), probabilities(3, 4, seed=5)
    assert losses.kldivergence(p, p) == pytest.approx(0.0, abs=1e-12)
    assert losses.kldivergence(q, p) > 0


def test_kldivergence_counts_zero_target_probability_as_zero():
    p = np.array([[0.0, 1.0]])
    assert losses.kldivergence(np.array([[0.3, 0.7]]), p, eps=0.0) == pytest.approx(-np.log(0.7))


def test_losses_keep_float32():
    z32, y32 = data(4, 3).astype(np.float32), probabilities(4, 3).astype(np.float32)
    for name, (loss, _, _) in CASES.items():
        assert np.asarray(loss(z32 if "logit" in name or name in ("mse", "mae", "huber") else y32, y32)).dtype == (
            np.float32
        ), name


def test_training_a_dense_layer_through_a_loss():
    layer = Dense(3, 2, dtype=np.float64, rng=np.random.default_rng(0))
    x, labels = data(6, 3), np.array([0, 1, 1, 0, 1, 0])
    g = zymo.grad(lambda m: losses.logitcrossentropy(m(x), labels))(layer)
    (want,) = numerical_grad(lambda m: losses.logitcrossentropy(m(x), labels), (layer,))
    assert type(g) is Dense and max_relative_error(g, want) < 1e-6


def test_losses_match_pytorch():
    torch = pytest.importorskip("torch", reason=NEEDS_TORCH)
    F = torch.nn.functional
    T = torch.tensor
    a, b = data(4, 3), data(4, 3, seed=2)
    p, q = probabilities(4, 3), probabilities(4, 3, seed=2)
    u, v = unit(4, 3), unit(4, 3, seed=2)
    labels = np.array([2, 0, 1, 1])
    pairs = [
        (losses.mse(a, b), F.mse_loss(T(a), T(b))),
        (losses.mae(a, b), F.l1_loss(T(a), T(b))),
        (losses.huber(a, b, delta=0.7), F.huber_loss(T(a), T(b), delta=0.7)),
        (losses.logitcrossentropy(a, labels), F.cross_entropy(T(a), T(labels))),
        (losses.logitcrossentropy(a, q), F.cross_entropy(T(a), T(q))),
        (losses.crossentropy(p, labels, eps=0.0), F.nll_loss(T(np.log(p)), T(labels))),
        (losses.binarycrossentropy(u, v, eps=0.0), F.binary_cross_entropy(T(u), T(v))),
        (losses.logitbinarycrossentropy(a, v), F.binary_cross_entropy_with_logits(T(a), T(v))),
        (losses.kldivergence(p, q, eps=0.0, agg="sum"), F.kl_div(T(np.log(p)), T(q), reduction="sum")),
    ]
    for ours, theirs in pairs:
        assert float(ours) == pytest.approx(float(theirs), rel=1e-12)
