"""Run with SCIPY_ARRAY_API=1 (set before SciPy loads) by test_array_api_mode.py; prints one line per check."""

import os
import sys

import numpy as np
import scipy.linalg as sl
import scipy.optimize as so
import scipy.signal as ss
import scipy.special as sc
import scipy.stats as st

import zymo
from zymo.core.errors import ZymoError
from zymo.core.tracer import bottom
from zymo.testing import check_grads


def main() -> None:
    assert os.environ.get("SCIPY_ARRAY_API") == "1"
    x = np.array([0.3, -0.2, 0.5, 1.1])

    # SciPy functions that, in array-API mode, compute with the namespace of their input: traced values pass through.
    PASS_THROUGH = {
        "scipy.special.softmax": lambda x: sc.softmax(x),
        "scipy.special.log_softmax": lambda x: sc.log_softmax(x),
        "scipy.stats.zscore": lambda x: st.zscore(x),
        "scipy.optimize.rosen": lambda x: so.rosen(x),
        # SciPy copies its input with xp.asarray(copy=True) and writes -inf into the copy
        # SciPy's special functions run the namespace's ``special`` extension: zymo.numpy.special
        "scipy.special.expit": lambda x: sc.expit(x),
        "scipy.special.gammaln": lambda x: sc.gammaln(x * x + 1.0),
        "scipy.special.xlogy": lambda x: sc.xlogy(x, x * x + 1.0),
        "scipy.special.i1e": lambda x: sc.i1e(x),
        "scipy.special.k0": lambda x: sc.k0(x * x + 1.0),
        "scipy.special.sici": lambda x: sc.sici(x)[0],
        "scipy.stats.moment": lambda x: st.moment(x, order=3),
        "scipy.stats.entropy": lambda x: st.entropy(x * x + 0.5),
        "scipy.stats.skew": lambda x: st.skew(x),
        "scipy.special.logsumexp": lambda x: sc.logsumexp(x),
        "scipy.special.logsumexp with b=": lambda x: sc.logsumexp(x, b=x * np.array([1.0, 0.0, 2.0, 0.5])),
        "scipy.special.logsumexp with return_sign": lambda x: sc.logsumexp(x, b=-x, return_sign=True)[0],
        # statistics that mix traced values with NumPy arrays SciPy makes itself (masks, counts)
        "scipy.stats.variation": lambda x: st.variation(x + 2.0),
        "scipy.stats.tmean": lambda x: st.tmean(x, (-0.1, 1.0)),
        "scipy.stats.tvar": lambda x: st.tvar(x),
        "scipy.stats.tsem": lambda x: st.tsem(x),
        "scipy.stats.variation along an axis": lambda x: st.variation(np.reshape(x, (2, 2)) + 2.0, axis=1)[0],
        "scipy.stats.tmean along an axis": lambda x: st.tmean(np.reshape(x, (2, 2)), (-0.1, 1.2), axis=0)[1],
        "scipy.stats.tstd": lambda x: st.tstd(x),
        "scipy.stats.tmin": lambda x: st.tmin(x, -0.1),
        "scipy.stats.tmax": lambda x: st.tmax(x, 1.0),
        "scipy.stats.trim_mean": lambda x: st.trim_mean(x, 0.25),
        "scipy.stats.kurtosis": lambda x: st.kurtosis(x),
        "scipy.stats.sem": lambda x: st.sem(x),
        "scipy.stats.gmean": lambda x: st.gmean(x * x + 0.5),
        "scipy.stats.hmean": lambda x: st.hmean(x * x + 0.5),
        "scipy.stats.pmean": lambda x: st.pmean(x * x + 0.5, 2.5),
        "scipy.stats.gstd": lambda x: st.gstd(x * x + 0.5),
        "scipy.stats.iqr": lambda x: st.iqr(x),
        "scipy.stats.median_abs_deviation": lambda x: st.median_abs_deviation(x),
        "scipy.stats.zmap": lambda x: st.zmap(x, x * x),
        "scipy.stats.kstat": lambda x: st.kstat(x),
        "scipy.stats.kstatvar": lambda x: st.kstatvar(x),
        "scipy.stats.pearsonr": lambda x: st.pearsonr(x, x * x).statistic,
        "scipy.stats.circmean": lambda x: st.circmean(x),
        "scipy.stats.circstd": lambda x: st.circstd(x),
        "scipy.stats.entropy with qk": lambda x: st.entropy(x * x + 0.5, x * x + 1.0),
    }
    for name, f in PASS_THROUGH.items():
        seen = []
        zymo.vjp(lambda x: seen.append(f(x)) or seen[-1], x)
        np.testing.assert_array_equal(bottom(seen[0]), f(x))
        check_grads(f, (x,), order=2, modes=("fwd", "rev"))
        np.testing.assert_array_equal(x, [0.3, -0.2, 0.5, 1.1])  # the caller's array is left as it was
        print("passes", name)

    # SciPy marks the values outside `limits` with NaN and multiplies them by themselves before it
    # drops them: the derivative is 0 * NaN, as in any framework that differentiates SciPy's code.
    g = zymo.grad(lambda x: st.tvar(x, (-0.1, 1.2)))(x)
    assert np.isnan(g).all(), g
    print("nan derivative scipy.stats.tvar with limits")

    # Functions that convert their input in array-API mode too: zymo's error, at the user's line.
    CONVERTING = {
        "scipy.linalg.expm": lambda x: sl.expm(np.outer(x, x)).sum(),
        "scipy.stats.norm.logpdf": lambda x: st.norm.logpdf(x).sum(),
        "scipy.signal.convolve": lambda x: ss.convolve(x, x).sum(),
        # a special function zymo has no rule for: SciPy converts it, and the error names it
        "scipy.special.kolmogorov": lambda x: sc.kolmogorov(x * x + 1.0).sum(),
    }
    WRITING = {}
    for name, f in {**CONVERTING, **WRITING}.items():
        try:
            zymo.grad(f)(x)
        except ZymoError as e:
            assert name in WRITING or "array_api_mode_checks.py" in str(e), str(e)
            assert name in WRITING or not name.startswith("scipy.special") or f"`{name}` (called at" in str(e), str(e)
            print("refused", name)
        else:
            sys.exit(f"{name} gave a gradient")


if __name__ == "__main__":
    main()
