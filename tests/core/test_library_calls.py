"""A traced value converted inside NumPy or SciPy: the error names the user's call and zymo's alternative."""

import numpy as np
import pytest
import scipy.optimize
import scipy.spatial.distance
import scipy.special
import scipy.stats

import zymo

CASES = {
    "scipy.special.logsumexp": (lambda a: scipy.special.logsumexp(a), "zymo.scipy.special.logsumexp"),
    "scipy.stats.norm.logpdf": (lambda a: scipy.stats.norm.logpdf(a).sum(), "zymo.scipy.stats.norm.logpdf"),
    "scipy.optimize.rosen": (lambda a: scipy.optimize.rosen(a), None),
    "scipy.spatial.distance.cdist": (lambda a: scipy.spatial.distance.cdist(a[None], a[None]).sum(), None),
    "numpy.std": (lambda a: np.std([a[0], a[1]]), "zymo.numpy.std"),
    # a decorated function (``axis_nan_policy``) is named by the function, not by its wrapper
    "scipy.stats.entropy": (lambda a: scipy.stats.entropy(a), None),
    "scipy.stats.variation": (lambda a: scipy.stats.variation(a), None),
}


@pytest.mark.parametrize("name", CASES)
def test_conversion_inside_a_library_names_the_users_call(name):
    f, alternative = CASES[name]
    with pytest.raises(zymo.TracerConversionError) as info:
        zymo.grad(f)(np.array([1.0, 2.0]))
    message = str(info.value)
    assert f"`{name}` (called at {__file__}:" in message
    if alternative is not None:
        assert f"call `{alternative}` instead" in message


def test_frozen_distribution_method_is_named_by_its_distribution():
    with pytest.raises(zymo.TracerConversionError, match=r"`scipy\.stats\.norm\.logpdf` \(called at .*test_library"):
        zymo.grad(lambda a: scipy.stats.norm(0.0, 1.0).logpdf(a).sum())(np.array([1.0, 2.0]))


def test_direct_conversion_keeps_the_general_message():
    with pytest.raises(zymo.TracerConversionError, match="would silently drop its gradient"):
        zymo.grad(lambda a: float(a) * a)(1.0)


def test_a_numpy_function_zymo_only_re_exports_is_not_offered_as_the_fix():
    with pytest.raises(zymo.TracerConversionError) as info:
        zymo.grad(lambda a: np.testing.assert_array_equal(a, a) or a.sum())(np.array([1.0, 2.0]))
    assert "`numpy.testing.assert_array_equal` (called at" in str(info.value)
    assert "zymo.numpy.testing" not in str(info.value)
