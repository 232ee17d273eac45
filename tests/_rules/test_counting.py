"""``bincount`` with traced weights and the histograms: NumPy's values bit for bit, derivatives in weights and edges."""

import numpy as np
import pytest

import zymo
from zymo.testing import check_grads

# data whose interior points sit far from every bin edge a small perturbation could move
_DATA = np.array([0.1, 1.05, 2.2, 0.55, 3.1, 1.6, 2.55])
_W = np.array([0.5, 1.5, 2.0, 0.25, 1.0, 3.0, 0.75])
_PAIRS = np.stack([_DATA, _DATA[::-1] ** 2], axis=1)

CASES = {
    "bincount_weights": (lambda w: np.bincount([0, 2, 2, 5, 0, 1, 3], weights=w), (_W,)),
    "bincount_minlength": (lambda w: np.bincount([1, 1, 0, 2, 0, 1, 1], w, minlength=6), (_W,)),
    "histogram_bin_edges": (lambda x: np.histogram_bin_edges(x, 4), (_DATA,)),
    "histogram_bin_edges_auto": (lambda x: np.histogram_bin_edges(x, "auto"), (_DATA,)),
    "histogram_bin_edges_range": (lambda r: np.histogram_bin_edges(_DATA, 3, range=(r[0] - 1, r[1] + 3)), (_W,)),
    "histogram_edges": (lambda x: np.histogram(x, 3)[1], (_DATA,)),
    "histogram_density": (lambda x: np.histogram(x, 3, density=True)[0], (_DATA,)),
    "histogram_weights": (lambda w: np.histogram(_DATA, 3, weights=w)[0], (_W,)),
    "histogram_weights_density": (
        lambda w: np.histogram(_DATA, [0.0, 1.0, 2.5, 4.0], weights=w, density=True)[0],
        (_W,),
    ),
    "histogram_data_and_weights": (lambda x: np.histogram(x, [0.0, 1.0, 2.5, 4.0], weights=x * x)[0], (_DATA,)),
    "histogram2d_weights": (lambda w: np.histogram2d(_DATA, _DATA[::-1], 2, weights=w)[0], (_W,)),
    "histogram2d_edges": (lambda x: np.histogram2d(x, x[::-1] * 2.0, 2)[2], (_DATA,)),
    "histogramdd_edges": (lambda s: np.histogramdd(s, bins=(2, 3))[1][1], (_PAIRS,)),
    "histogramdd_density": (lambda s: np.histogramdd(s, bins=(3, 2), density=True)[0], (_PAIRS,)),
}


@pytest.mark.parametrize("name", CASES)
def test_values_equal_numpys_and_derivatives_match_finite_differences(name):
    f, args = CASES[name]
    got, want = zymo.vjp(f, *args)[0], f(*args)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    np.testing.assert_array_equal(got, want)
    check_grads(f, args, order=2)


def test_weighted_counts_have_the_gradient_they_used_to_drop():
    grad = zymo.grad(lambda w: (np.histogram(_DATA, 3, weights=w)[0] ** 2).sum())(_W)
    assert np.all(grad > 0)  # each weight raises the square of its bin's sum


def test_bincount_of_float32_weights_is_numpys_float64_with_float32_gradients():
    w = _W.astype(np.float32)
    got = zymo.vjp(lambda w: np.bincount([0, 1, 1, 0, 2, 2, 2], w), w)[0]
    np.testing.assert_array_equal(got, np.bincount([0, 1, 1, 0, 2, 2, 2], w))
    assert zymo.grad(lambda w: np.bincount([0, 1, 1, 0, 2, 2, 2], w).sum())(w).dtype == np.float32


def test_bincount_keeps_numpys_errors_and_plain_results():
    with pytest.raises(ValueError):
        zymo.grad(lambda w: np.bincount([0, 1], w).sum())(_W)  # weights and x of different lengths
    np.testing.assert_array_equal(zymo.numpy.bincount([0, 3, 3]), np.bincount([0, 3, 3]))


def test_the_searchsorted_method_of_a_traced_array_runs_on_its_values():
    # histogram with explicit bins calls ``sorted_data.searchsorted(edges)``; the method had no route
    x = np.array([0.3, 1.2, 2.5])
    grad = zymo.grad(lambda x: (x.searchsorted(np.array([1.0, 2.0])) * x[:2]).sum())(x)
    np.testing.assert_array_equal(grad, [1.0, 2.0, 0.0])
