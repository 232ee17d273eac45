"""``scipy.stats`` distributions for differentiable code: ``from zymo.scipy import stats``.

Each distribution is called as in SciPy (``stats.norm.logpdf(x, loc, scale)``,
``stats.gamma.cdf(x, a, loc=0, scale=1)``, or frozen: ``stats.norm(loc, scale).pdf(x)``).
On plain arrays the result is SciPy's; on traced values it is computed from
zymo's rules and equals SciPy's to rounding. ``pdf``/``logpdf``/``entropy``
differentiate in ``x`` and every continuous parameter; ``cdf``/``sf`` and their
logs in ``x``, ``loc`` and ``scale`` everywhere, and in the shape parameters
where the special function behind them has a parameter derivative (``gamma``'s
``a`` and ``chi2``'s ``df`` to first order; ``t``'s ``df`` and ``beta``'s ``a``,
``b`` not: a traced value there raises zymo's error naming the special function).
Parameters are taken inside their domain (SciPy returns NaN outside it).

Distributions: ``norm``, ``t``, ``gamma``, ``beta``, ``chi2``, ``expon``,
``laplace``, ``logistic``, ``cauchy`` (continuous), ``poisson``, ``binom``
(``pmf``/``logpmf``, differentiable in ``mu`` and ``p``), ``dirichlet`` and
``multivariate_normal`` (``pdf``/``logpdf``/``entropy``). (Rules: ``zymo._rules.scipy_stats``.)

Example:
    >>> import zymo
    >>> from zymo.scipy import stats
    >>> float(zymo.grad(lambda mu: stats.norm.logpdf(1.0, loc=mu))(0.0))
    1.0
"""

from .._rules.scipy_stats import (
    beta,
    binom,
    cauchy,
    chi2,
    dirichlet,
    expon,
    gamma,
    laplace,
    logistic,
    multivariate_normal,
    norm,
    poisson,
    t,
)

__all__ = [
    "norm",
    "t",
    "gamma",
    "beta",
    "chi2",
    "expon",
    "laplace",
    "logistic",
    "cauchy",
    "poisson",
    "binom",
    "dirichlet",
    "multivariate_normal",
]
