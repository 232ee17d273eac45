"""Statistics: average, ptp, order statistics, cov/corrcoef, NaN-ignoring reductions — NumPy's values, derivatives."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import zymo
import zymo.numpy as znp
from tests.numpy.conftest import FAST, arrays, shapes
from zymo.testing import check_grads


def _array_and_axis(min_dims=1):
    def with_axis(shape):
        axis = st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1))
        return st.tuples(arrays(shape), axis)

    return shapes(min_dims=min_dims).flatmap(with_axis)


def _with_nans(x, seed=0):
    """``x`` with about a third of its entries NaN (never a whole slice along axis 0 or a whole 1-d array)."""
    x = np.array(x, dtype=float)
    if x.size < 2:
        return x
    mask = np.random.default_rng(seed).random(x.shape) < 0.3
    mask.reshape(x.shape[0], -1)[0] = False
    x[mask] = np.nan
    return x


def _same_as_numpy(f, x):
    got = zymo.vjp(f, x)[0]
    want = f(x)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    np.testing.assert_array_equal(got, want)


STATISTICS = {
    "median": lambda x, axis: np.median(x, axis=axis),
    "percentile": lambda x, axis: np.percentile(x, [10, 50, 80], axis=axis),
    "quantile": lambda x, axis: np.quantile(x, 0.3, axis=axis, keepdims=True),
    "quantile_lower": lambda x, axis: np.quantile(x, 0.3, axis=axis, method="lower"),
    "quantile_nearest": lambda x, axis: np.quantile(x, [0.2, 0.7], axis=axis, method="nearest"),
    "quantile_midpoint": lambda x, axis: np.quantile(x, 0.3, axis=axis, method="midpoint"),
    "ptp": lambda x, axis: np.ptp(x, axis=axis),
    "average": lambda x, axis: np.average(x, axis=axis),
    "average_weights": lambda x, axis: np.average(x, axis=axis, weights=np.linspace(1, 2, np.size(x)).reshape(x.shape)),
    "nansum": lambda x, axis: np.nansum(x, axis=axis),
    "nanprod": lambda x, axis: np.nanprod(x, axis=axis),
    "nanmean": lambda x, axis: np.nanmean(x, axis=axis),
    "nanmax": lambda x, axis: np.nanmax(x, axis=axis),
    "nanmin": lambda x, axis: np.nanmin(x, axis=axis),
    "nanvar": lambda x, axis: np.nanvar(x, axis=axis),
    "nanstd": lambda x, axis: np.nanstd(x, axis=axis, ddof=1) if np.size(x) > 3 else np.nanstd(x, axis=axis),
    "nancumsum": lambda x, axis: np.nancumsum(x, axis=axis),
    "nancumprod": lambda x, axis: np.nancumprod(x, axis=axis),
    "nanmedian": lambda x, axis: np.nanmedian(x, axis=axis),
    "nanpercentile": lambda x, axis: np.nanpercentile(x, [25, 75], axis=axis),
    "nanquantile": lambda x, axis: np.nanquantile(x, 0.4, axis=axis),
}


@pytest.mark.parametrize("name", STATISTICS)
def test_statistic_values_equal_numpys_and_derivatives_match_finite_differences(name):
    stat = STATISTICS[name]

    @FAST
    @given(_array_and_axis())
    def run(case):
        x, axis = case
        if name.startswith("nan") and axis in (0, None, -np.ndim(x)):
            x = _with_nans(x)
        f = lambda x: stat(x, axis)
        _same_as_numpy(f, x)
        if not (name.startswith("nan") and np.isnan(x).any()):
            check_grads(f, (x,), order=2)
        else:
            check_grads(lambda x: f(np.where(np.isnan(x), np.nan, x)), (x,), order=1, modes=("rev",))

    run()


def test_nan_entries_get_zero_gradient():
    x = np.array([1.0, np.nan, 3.0, 5.0])
    for name in ("nansum", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin", "nanmedian", "nanprod"):
        g = zymo.grad(lambda x: getattr(np, name)(x))(x)
        assert g[1] == 0 and np.all(np.isfinite(g)), name


def test_median_of_an_even_count_splits_the_gradient_between_the_middle_entries():
    np.testing.assert_array_equal(zymo.grad(np.median)(np.array([4.0, 1.0, 3.0, 2.0])), [0.0, 0.0, 0.5, 0.5])


def test_median_with_ties_gives_the_gradient_to_one_entry():
    g = zymo.grad(np.median)(np.array([2.0, 2.0, 2.0]))
    assert g.sum() == 1.0 and sorted(g) == [0.0, 0.0, 1.0]


def test_average_with_one_dimensional_weights_along_an_axis_differentiates_in_both():
    a, w = np.random.default_rng(0).uniform(-1, 1, (3, 4)), np.array([1.0, 2.0, 0.5])
    f = lambda a, w: np.average(a, axis=0, weights=w)
    _same_as_numpy(lambda a: f(a, w), a)
    check_grads(f, (a, w), order=2)
    avg, scl = zymo.vjp(lambda a: np.average(a, axis=0, weights=w, returned=True), a)[0]
    want_avg, want_scl = np.average(a, axis=0, weights=w, returned=True)
    np.testing.assert_array_equal(avg, want_avg)
    np.testing.assert_array_equal(scl, want_scl)


@pytest.mark.parametrize("rowvar", [True, False])
def test_cov_and_corrcoef_equal_numpys_and_differentiate(rowvar):
    x = np.random.default_rng(1).standard_normal((3, 5))
    y = np.random.default_rng(2).standard_normal((1, 5))
    for f in (
        lambda x: np.cov(x, rowvar=rowvar),
        lambda x: np.cov(x, y if rowvar else y.T, rowvar=rowvar, ddof=0),
        lambda x: np.corrcoef(x, rowvar=rowvar),
    ):
        arg = x if rowvar else x.T
        _same_as_numpy(f, arg)
        check_grads(f, (arg,), order=2)


def test_traced_weights_in_a_quantile_raise_a_clear_error():
    with pytest.raises(zymo.UnsupportedOperationError, match=r"numpy\.quantile with weights="):
        zymo.grad(lambda x: np.quantile(x, 0.5, weights=np.ones(3), method="inverted_cdf"))(np.ones(3))


def test_lists_of_traced_values_reach_the_statistics():
    a, b = 1.0, 3.0
    g = zymo.grad(lambda a, b: znp.median([a, b, 2.5]) + znp.nanmean([a, b]) + znp.ptp([a, b]), argnums=(0, 1))(a, b)
    assert g == (0.5 - 1.0, 0.5 + 1.0)


@pytest.mark.parametrize("name", ["nanmax", "nanmin"])
def test_nan_extreme_of_all_nan_entries_is_a_scalar_where_no_axis_is_left_as_in_numpy(name):
    x = np.array([np.nan, np.nan])
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        want = getattr(np, name)(x, axis=0)
    got, _ = zymo.vjp(lambda a: getattr(znp, name)(a, axis=0), x)
    assert type(got) is type(want) is np.float64 and np.isnan(got)


@pytest.mark.parametrize(
    "name, keywords",
    [
        ("nansum", {"where": np.array([True, False, True])}),
        ("nanprod", {"initial": 2.0}),
        ("nanmax", {"where": np.array([True, False, True]), "initial": -1.0}),
        ("nanmean", {"where": np.array([True, False, True])}),
        ("nanvar", {"mean": np.array(1.0)}),
        ("nanstd", {"correction": 1}),
        ("nancumsum", {"out": np.zeros(3)}),
    ],
)
def test_nan_reductions_refuse_keywords_they_would_otherwise_ignore(name, keywords):
    x = np.array([2.0, np.nan, 3.0])

    def loss(a):
        return np.sum(getattr(np, name)(a, **keywords))

    with pytest.raises(zymo.UnsupportedOperationError, match=f"numpy.{name} with .*test_statistics.py"):
        zymo.grad(loss)(x)
    getattr(np, name)(x, **keywords)  # plain NumPy takes them
