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


# Keywords of the NaN-ignoring reductions, given a ``where`` mask (None: not passed) and the mean of the
# selected entries over axis 0 (for ``mean=``).
NAN_KEYWORDS = {
    "nansum initial": ("nansum", lambda w, m: {"initial": 0.5}),
    "nansum where": ("nansum", lambda w, m: {"where": w}),
    "nansum where initial keepdims": ("nansum", lambda w, m: {"where": w, "initial": 1.5, "keepdims": True}),
    "nanprod where": ("nanprod", lambda w, m: {"where": w}),
    "nanprod initial": ("nanprod", lambda w, m: {"initial": 2.0}),
    "nanmax where initial": ("nanmax", lambda w, m: {"where": w, "initial": -1.0}),
    "nanmax initial": ("nanmax", lambda w, m: {"initial": 0.3}),
    "nanmin where": ("nanmin", lambda w, m: {"where": w, "initial": 5.0}),
    "nanmean where": ("nanmean", lambda w, m: {"where": w}),
    "nanvar where": ("nanvar", lambda w, m: {"where": w}),
    "nanvar correction": ("nanvar", lambda w, m: {"correction": 0.5}),
    "nanvar where mean": ("nanvar", lambda w, m: {"where": w, "mean": m}),
    "nanstd where correction keepdims": ("nanstd", lambda w, m: {"where": w, "correction": 0.5, "keepdims": True}),
    "nanstd where mean": ("nanstd", lambda w, m: {"where": w, "mean": m}),
}


def _selection(x, seed):
    """A ``where`` mask keeping the first two rows: each slice along axis 0 keeps two entries."""
    w = np.random.default_rng(seed + 1).random(x.shape) < 0.7
    w.reshape(x.shape[0], -1)[:2] = True
    return w


def _with_two_numbers_per_column(x, seed):
    """``_with_nans(x)`` with its first two rows kept (a standard deviation is differentiable where it is not 0)."""
    y = _with_nans(x, seed)
    y.reshape(x.shape[0], -1)[:2] = x.reshape(x.shape[0], -1)[:2]
    return y


@pytest.mark.parametrize("case", NAN_KEYWORDS)
def test_nan_reductions_take_numpys_keywords_on_traced_values(case):
    name, keywords = NAN_KEYWORDS[case]

    @FAST
    @given(shapes(min_dims=1).map(lambda s: (max(s[0], 2), *s[1:])), st.integers(0, 2**16), st.sampled_from([0, None]))
    def run(shape, seed, axis):
        x = _with_two_numbers_per_column(np.random.default_rng(seed).uniform(0.5, 2.0, shape), seed)
        w = _selection(x, seed)
        m = np.nanmean(np.where(w, x, np.nan), axis=axis, keepdims=True)
        kw = keywords(w, m)

        def f(a):
            return getattr(np, name)(a, axis=axis, **kw)

        with np.errstate(all="ignore"):
            _same_as_numpy(f, x)
            np.testing.assert_array_equal(zymo.jvp(f, (x,), (np.ones_like(x),))[0], f(x))
            check_grads(f, (x,), order=2, modes=("fwd", "rev"))

    run()


@pytest.mark.parametrize("name", ["nansum", "nanprod", "nanmax", "nanmin", "nanmean", "nanvar", "nanstd"])
@pytest.mark.parametrize("cumulative", [False, True], ids=["reduction", "cumulative"])
def test_nan_reductions_write_into_out(name, cumulative):
    if cumulative:
        if name not in ("nansum", "nanprod"):
            return
        name = name.replace("nan", "nancum")
    x = _with_nans(np.random.default_rng(1).uniform(0.5, 2.0, (3, 4)))
    f = getattr(np, name)
    want = np.zeros(f(x, axis=1).shape)
    f(x, axis=1, out=want)

    def g(a):
        buf = znp.zeros(want.shape)
        assert f(a, axis=1, out=buf) is buf
        return buf * 1.0

    np.testing.assert_array_equal(zymo.vjp(g, x)[0], want)
    check_grads(g, (x,), order=2, modes=("fwd", "rev"))


def test_nanvar_differentiates_in_a_traced_mean():
    x = _with_nans(np.random.default_rng(2).uniform(0.5, 2.0, (3, 4)))
    m = np.nanmean(x, axis=1, keepdims=True)
    check_grads(lambda a, mu: np.nanvar(a, axis=1, mean=mu), (x, m), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", ["nanmean", "nanvar", "nanstd"])
@pytest.mark.parametrize("axis", [None, 1])
def test_nan_means_of_float32_stay_float32_as_numpys(name, axis):
    x = _with_nans(np.random.default_rng(3).uniform(0.5, 2.0, (3, 4))).astype(np.float32)
    w = _selection(x, 3)
    for kw in ({}, {"where": w}):
        _same_as_numpy(lambda a: getattr(np, name)(a, axis=axis, **kw), x)


def test_nanvar_refuses_ddof_with_correction_as_numpy_does():
    x = _with_nans(np.random.default_rng(4).uniform(0.5, 2.0, (3, 4)))
    with pytest.raises(ValueError, match="ddof and correction"):
        np.nanvar(x, ddof=1, correction=1)
    with pytest.raises(ValueError, match="ddof and correction"):
        zymo.grad(lambda a: np.nanvar(a, ddof=1, correction=1))(x)
