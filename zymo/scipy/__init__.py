"""SciPy for differentiable code: ``import zymo.scipy.special``, ``zymo.scipy.stats``, ...

SciPy is an optional dependency (``pip install zymo[scipy]``). Its special
functions that are ufuncs (``scipy.special.xlogy``, ``expit``, ``gammaln``,
...) differentiate when called directly on traced values; this package adds
the functions SciPy writes in Python, which convert their inputs to plain
arrays (``logsumexp``, ``softmax``, the distributions of ``scipy.stats``).
On plain arrays each function returns SciPy's values.

Example:
    >>> import zymo
    >>> from zymo.scipy import special
    >>> float(zymo.grad(lambda x: special.logsumexp(x))(zymo.numpy.zeros(2))[0])
    0.5
"""

from importlib import import_module as _import_module

__all__ = ["special", "stats", "linalg", "signal", "integrate"]


def __getattr__(name: str):
    if name in __all__:
        return _import_module(f".{name}", __name__)
    raise AttributeError(f"module 'zymo.scipy' has no attribute {name!r}")
