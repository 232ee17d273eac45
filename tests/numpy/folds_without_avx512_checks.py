"""Run by test_ufunc_methods.py with NumPy's AVX-512 loops turned off (NPY_DISABLE_CPU_FEATURES): NumPy then
computes power's and arctan2's reduce, accumulate and reduceat as the left fold, and zymo differentiates them."""

import numpy as np

import zymo
from zymo._rules.ufunc_methods import numpy_folds
from zymo.testing import check_grads


def main() -> None:
    rng = np.random.default_rng(3)
    for ufunc in (np.power, np.arctan2):
        assert numpy_folds(ufunc, np.float64) and numpy_folds(ufunc, np.float32), ufunc
        for shape, axis in (((4,), 0), ((9,), 0), ((3, 5), 1), ((5, 3), 0), ((2, 3, 4), -1)):
            x = rng.uniform(0.6, 1.4, shape)
            for name, f in {
                "reduce": lambda x: ufunc.reduce(x, axis=axis),
                "accumulate": lambda x: ufunc.accumulate(x, axis=axis),
                "reduceat": lambda x: ufunc.reduceat(x, [0, 2, 1], axis=axis),
            }.items():
                got = zymo.vjp(f, x)[0]
                assert got.dtype == f(x).dtype and np.array_equal(got, f(x)), (ufunc, name, shape)
                check_grads(f, (x,), order=2, modes=("fwd", "rev"))
        print("folds", ufunc.__name__)


if __name__ == "__main__":
    main()
