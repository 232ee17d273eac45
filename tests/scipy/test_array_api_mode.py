"""SCIPY_ARRAY_API=1: which SciPy functions let traced values through (README, SciPy section)."""

import os
import pathlib
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).with_name("array_api_mode_checks.py")
ROOT = pathlib.Path(__file__).parents[2]


def test_scipy_array_api_mode_passes_traced_values_or_raises_zymos_error():
    env = {**os.environ, "SCIPY_ARRAY_API": "1", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.split("\n")
    for name in [
        "scipy.special.softmax",
        "scipy.special.log_softmax",
        "scipy.stats.zscore",
        "scipy.optimize.rosen",
        "scipy.special.expit",
        "scipy.special.gammaln",
        "scipy.special.xlogy",
        "scipy.special.i1e",
        "scipy.special.k0",
        "scipy.special.sici",
        "scipy.stats.moment",
        "scipy.stats.entropy",
        "scipy.stats.skew",
        "scipy.special.logsumexp",
        "scipy.special.logsumexp with b=",
        "scipy.special.logsumexp with return_sign",
        "scipy.stats.variation",
        "scipy.stats.variation along an axis",
        "scipy.stats.tmean",
        "scipy.stats.tmean along an axis",
        "scipy.stats.tvar",
        "scipy.stats.tstd",
        "scipy.stats.tsem",
        "scipy.stats.tmin",
        "scipy.stats.tmax",
        "scipy.stats.trim_mean",
        "scipy.stats.kurtosis",
        "scipy.stats.sem",
        "scipy.stats.gmean",
        "scipy.stats.hmean",
        "scipy.stats.pmean",
        "scipy.stats.gstd",
        "scipy.stats.iqr",
        "scipy.stats.median_abs_deviation",
        "scipy.stats.zmap",
        "scipy.stats.kstat",
        "scipy.stats.kstatvar",
        "scipy.stats.pearsonr",
        "scipy.stats.circmean",
        "scipy.stats.circstd",
        "scipy.stats.entropy with qk",
    ]:
        assert f"passes {name}" in lines
    for name in ["scipy.linalg.expm", "scipy.stats.norm.logpdf", "scipy.signal.convolve", "scipy.special.kolmogorov"]:
        assert f"refused {name}" in lines
    assert "nan derivative scipy.stats.tvar with limits" in lines
