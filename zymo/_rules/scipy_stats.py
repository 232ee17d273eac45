"""Rules behind ``zymo.scipy.stats`` (its docstring says what each distribution differentiates in)."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import scipy.special as sc
import scipy.stats as _ss
from numpy.typing import ArrayLike

from ..core.tracer import bottom
from . import scipy_special_ufuncs  # noqa: F401  (rules for the special functions used below)
from .helpers import has_tracer

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

_LOG_2PI = math.log(2 * math.pi)
_LOG2 = math.log(2.0)


def _inside(cond, z, fill):
    """``z`` where ``cond`` holds and ``fill`` elsewhere (keeps formulas finite outside the support)."""
    return z if bool(np.all(cond)) else np.where(cond, z, fill)


def _outside(cond, value, fill):
    return value if bool(np.all(cond)) else np.where(cond, value, fill)


class Frozen:
    """A distribution with its parameters fixed, as ``scipy.stats.norm(loc, scale)``."""

    def __init__(self, dist, args: tuple, kwargs: dict):
        self.dist, self.args, self.kwargs = dist, args, kwargs

    def __getattr__(self, method: str) -> Callable:
        fn = getattr(self.dist, method)
        if method == "entropy":
            return lambda: fn(*self.args, **self.kwargs)
        return lambda x: fn(x, *self.args, **self.kwargs)


class Continuous:
    """A location-scale family with shape parameters, from its standardized log density and cdf."""

    def __init__(self, name: str, shapes: tuple[str, ...], logpdf, *, cdf, sf, entropy, logcdf=None, logsf=None):
        self.name, self.shapes = name, shapes
        self._logpdf, self._cdf, self._sf, self._entropy = logpdf, cdf, sf, entropy
        self._logcdf = logcdf or (lambda z, *shapes: np.log(cdf(z, *shapes)))
        self._logsf = logsf or (lambda z, *shapes: np.log(sf(z, *shapes)))
        self.__doc__ = f"``scipy.stats.{name}``: {', '.join(self.methods())} (shape parameters: {shapes or 'none'})."

    def methods(self) -> list[str]:
        return ["pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "entropy"]

    def __repr__(self) -> str:
        return f"<zymo.scipy.stats.{self.name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Frozen:
        return Frozen(self, args, kwargs)

    def _params(self, args, kwargs) -> tuple[list, Any, Any]:
        names = [*self.shapes, "loc", "scale"]
        if len(args) > len(names):
            raise TypeError(f"{self.name}: too many arguments")
        values = dict(zip(names, args))
        for k, v in kwargs.items():
            if k not in names or k in values:
                raise TypeError(f"{self.name}: unexpected or repeated argument {k!r}")
            values[k] = v
        missing = [s for s in self.shapes if s not in values]
        if missing:
            raise TypeError(f"{self.name}: missing shape parameter(s) {missing}")
        return [values[s] for s in self.shapes], values.get("loc", 0.0), values.get("scale", 1.0)

    def _eval(self, method, x, args, kwargs):
        if not has_tracer([x, *args, *kwargs.values()]):
            return getattr(getattr(_ss, self.name), method)(x, *args, **kwargs)
        shapes, loc, scale = self._params(args, kwargs)
        z = (x - loc) / scale
        if method == "logpdf":
            return self._logpdf(z, *shapes) - np.log(scale)
        if method == "pdf":
            return np.exp(self._logpdf(z, *shapes) - np.log(scale))
        return {"cdf": self._cdf, "sf": self._sf, "logcdf": self._logcdf, "logsf": self._logsf}[method](z, *shapes)

    def logpdf(self, x: ArrayLike, *args: Any, **kwargs: Any) -> np.ndarray:
        """Log density at ``x``."""
        return self._eval("logpdf", x, args, kwargs)

    def pdf(self, x: ArrayLike, *args: Any, **kwargs: Any) -> np.ndarray:
        """Density at ``x``."""
        return self._eval("pdf", x, args, kwargs)

    def cdf(self, x: ArrayLike, *args: Any, **kwargs: Any) -> np.ndarray:
        """Cumulative distribution function at ``x``."""
        return self._eval("cdf", x, args, kwargs)

    def logcdf(self, x: ArrayLike, *args: Any, **kwargs: Any) -> np.ndarray:
        """Log of the cumulative distribution function at ``x``."""
        return self._eval("logcdf", x, args, kwargs)

    def sf(self, x: ArrayLike, *args: Any, **kwargs: Any) -> np.ndarray:
        """Survival function ``1 - cdf`` at ``x``."""
        return self._eval("sf", x, args, kwargs)

    def logsf(self, x: ArrayLike, *args: Any, **kwargs: Any) -> np.ndarray:
        """Log of the survival function at ``x``."""
        return self._eval("logsf", x, args, kwargs)

    def entropy(self, *args: Any, **kwargs: Any) -> np.ndarray:
        """Differential entropy."""
        if not has_tracer([*args, *kwargs.values()]):
            return getattr(_ss, self.name).entropy(*args, **kwargs)
        shapes, _, scale = self._params(args, kwargs)
        return self._entropy(*shapes) + np.log(scale)


# --- the continuous families, standardized (loc 0, scale 1) ---------------------------------
def _norm_logpdf(z):
    return -0.5 * z * z - 0.5 * _LOG_2PI


def _t_logpdf(z, df):
    log_norm = sc.gammaln(0.5 * (df + 1)) - sc.gammaln(0.5 * df) - 0.5 * np.log(df * math.pi)
    return log_norm - 0.5 * (df + 1) * np.log1p(z * z / df)


def _t_entropy(df):
    half = 0.5 * (df + 1)
    return half * (sc.digamma(half) - sc.digamma(0.5 * df)) + 0.5 * np.log(df) + sc.betaln(0.5 * df, 0.5)


def _gamma_logpdf(z, a):
    inside = np.greater_equal(bottom(z), 0)
    zs = _inside(inside, z, 1.0)
    return _outside(inside, sc.xlogy(a - 1, zs) - zs - sc.gammaln(a), -np.inf)


def _nonnegative(z):
    """``z`` where it is at least 0, else 0 (the derivative at 0 is the one from the right)."""
    return _inside(np.greater_equal(bottom(z), 0), z, 0.0)


def _unit_interval(z):
    b = bottom(z)
    return np.where(np.less(b, 0), 0.0, np.where(np.greater(b, 1), 1.0, z))


def _gamma_cdf(z, a):
    return sc.gammainc(a, _nonnegative(z))


def _gamma_sf(z, a):
    return sc.gammaincc(a, _nonnegative(z))


def _gamma_entropy(a):
    return a + sc.gammaln(a) + (1 - a) * sc.digamma(a)


def _beta_logpdf(z, a, b):
    inside = np.logical_and(np.greater_equal(bottom(z), 0), np.less_equal(bottom(z), 1))
    zs = _inside(inside, z, 0.5)
    return _outside(inside, sc.xlogy(a - 1, zs) + sc.xlog1py(b - 1, -zs) - sc.betaln(a, b), -np.inf)


def _beta_cdf(z, a, b):
    return sc.betainc(a, b, _unit_interval(z))


def _beta_sf(z, a, b):
    return sc.betaincc(a, b, _unit_interval(z))


def _beta_entropy(a, b):
    return sc.betaln(a, b) - (a - 1) * sc.digamma(a) - (b - 1) * sc.digamma(b) + (a + b - 2) * sc.digamma(a + b)


def _chi2_logpdf(z, df):
    return _gamma_logpdf(0.5 * z, 0.5 * df) - _LOG2


def _chi2_entropy(df):
    return _gamma_entropy(0.5 * df) + _LOG2


def _expon_logpdf(z):
    inside = np.greater_equal(bottom(z), 0)
    return _outside(inside, -z, -np.inf)


def _expon_cdf(z):
    return -np.expm1(-_nonnegative(z))


def _expon_logsf(z):
    return -_nonnegative(z)


def _laplace_sides(z):
    """``z`` on the negative side (else 0) and on the non-negative side (else 0): each branch stays finite."""
    neg = np.less(bottom(z), 0)
    return neg, np.where(neg, z, 0.0), np.where(neg, 0.0, z)


def _laplace_cdf(z):
    neg, zn, zp = _laplace_sides(z)
    return np.where(neg, 0.5 * np.exp(zn), 1 - 0.5 * np.exp(-zp))


def _laplace_logcdf(z):
    neg, zn, zp = _laplace_sides(z)
    return np.where(neg, zn - _LOG2, np.log1p(-0.5 * np.exp(-zp)))


norm = Continuous(
    "norm",
    (),
    _norm_logpdf,
    cdf=sc.ndtr,
    logcdf=sc.log_ndtr,
    sf=lambda z: sc.ndtr(-z),
    logsf=lambda z: sc.log_ndtr(-z),
    entropy=lambda: 0.5 * (_LOG_2PI + 1),
)
t = Continuous(
    "t",
    ("df",),
    _t_logpdf,
    cdf=lambda z, df: sc.stdtr(df, z),
    sf=lambda z, df: sc.stdtr(df, -z),
    entropy=_t_entropy,
)
gamma = Continuous("gamma", ("a",), _gamma_logpdf, cdf=_gamma_cdf, sf=_gamma_sf, entropy=_gamma_entropy)
beta = Continuous("beta", ("a", "b"), _beta_logpdf, cdf=_beta_cdf, sf=_beta_sf, entropy=_beta_entropy)
chi2 = Continuous(
    "chi2",
    ("df",),
    _chi2_logpdf,
    cdf=lambda z, df: _gamma_cdf(0.5 * z, 0.5 * df),
    sf=lambda z, df: _gamma_sf(0.5 * z, 0.5 * df),
    entropy=_chi2_entropy,
)
expon = Continuous(
    "expon",
    (),
    _expon_logpdf,
    cdf=_expon_cdf,
    logcdf=lambda z: np.log(_expon_cdf(z)),
    sf=lambda z: np.exp(_expon_logsf(z)),
    logsf=_expon_logsf,
    entropy=lambda: 1.0,
)
laplace = Continuous(
    "laplace",
    (),
    lambda z: -np.abs(z) - _LOG2,
    cdf=_laplace_cdf,
    logcdf=_laplace_logcdf,
    sf=lambda z: _laplace_cdf(-z),
    logsf=lambda z: _laplace_logcdf(-z),
    entropy=lambda: 1.0 + _LOG2,
)
logistic = Continuous(
    "logistic",
    (),
    lambda z: sc.log_expit(z) + sc.log_expit(-z),
    cdf=sc.expit,
    logcdf=sc.log_expit,
    sf=lambda z: sc.expit(-z),
    logsf=lambda z: sc.log_expit(-z),
    entropy=lambda: 2.0,
)
cauchy = Continuous(
    "cauchy",
    (),
    lambda z: -math.log(math.pi) - np.log1p(z * z),
    cdf=lambda z: 0.5 + np.arctan(z) / math.pi,
    sf=lambda z: 0.5 - np.arctan(z) / math.pi,
    entropy=lambda: math.log(4 * math.pi),
)


# --- discrete ---------------------------------------------------------------------------------
class Discrete:
    """A discrete family: ``pmf``/``logpmf`` at integer ``k``, differentiable in its continuous parameters."""

    def __init__(self, name: str, shapes: tuple[str, ...], logpmf):
        self.name, self.shapes, self._logpmf = name, shapes, logpmf
        self.__doc__ = f"``scipy.stats.{name}``: pmf, logpmf (parameters: {shapes})."

    def __repr__(self) -> str:
        return f"<zymo.scipy.stats.{self.name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Frozen:
        return Frozen(self, args, kwargs)

    def logpmf(self, k: ArrayLike, *args: Any, **kwargs: Any) -> np.ndarray:
        """Log probability of ``k``."""
        if not has_tracer([k, *args, *kwargs.values()]):
            return getattr(_ss, self.name).logpmf(k, *args, **kwargs)
        names = [*self.shapes, "loc"]
        values = {**dict(zip(names, args)), **kwargs}
        k = np.asarray(bottom(k)) - bottom(values.get("loc", 0))
        inside = np.logical_and(np.equal(k, np.floor(k)), np.greater_equal(k, 0))
        ks = np.where(inside, k, 0)
        return _outside(inside, self._logpmf(ks, *[values[s] for s in self.shapes]), -np.inf)

    def pmf(self, k: ArrayLike, *args: Any, **kwargs: Any) -> np.ndarray:
        """Probability of ``k``."""
        if not has_tracer([k, *args, *kwargs.values()]):
            return getattr(_ss, self.name).pmf(k, *args, **kwargs)
        return np.exp(self.logpmf(k, *args, **kwargs))


def _binom_logpmf(k, n, p):
    n = np.asarray(bottom(n))
    log_comb = sc.gammaln(n + 1) - sc.gammaln(k + 1) - sc.gammaln(n - k + 1)
    return log_comb + sc.xlogy(k, p) + sc.xlog1py(n - k, -p)


poisson = Discrete("poisson", ("mu",), lambda k, mu: sc.xlogy(k, mu) - mu - sc.gammaln(k + 1))
binom = Discrete("binom", ("n", "p"), _binom_logpmf)


# --- multivariate -----------------------------------------------------------------------------
class _Dirichlet:
    """``scipy.stats.dirichlet``: ``pdf``/``logpdf(x, alpha)`` (components along ``x``'s first axis), ``entropy``."""

    name = "dirichlet"

    def __repr__(self) -> str:
        return "<zymo.scipy.stats.dirichlet>"

    def logpdf(self, x: ArrayLike, alpha: ArrayLike) -> np.ndarray:
        """Log density of the points ``x`` (shape ``(K,)`` or ``(K, N)``)."""
        if not has_tracer([x, alpha]):
            return _ss.dirichlet.logpdf(x, alpha)
        ndim = np.ndim(bottom(x))
        a = np.reshape(alpha, np.shape(bottom(alpha)) + (1,) * (ndim - 1))
        log_b = np.sum(sc.gammaln(alpha)) - sc.gammaln(np.sum(alpha))
        return np.sum(sc.xlogy(a - 1, x), axis=0) - log_b

    def pdf(self, x: ArrayLike, alpha: ArrayLike) -> np.ndarray:
        """Density of the points ``x``."""
        if not has_tracer([x, alpha]):
            return _ss.dirichlet.pdf(x, alpha)
        return np.exp(self.logpdf(x, alpha))

    def entropy(self, alpha: ArrayLike) -> np.ndarray:
        """Differential entropy."""
        if not has_tracer([alpha]):
            return _ss.dirichlet.entropy(alpha)
        a0 = np.sum(alpha)
        k = np.shape(bottom(alpha))[0]
        log_b = np.sum(sc.gammaln(alpha)) - sc.gammaln(a0)
        return log_b + (a0 - k) * sc.digamma(a0) - np.sum((alpha - 1) * sc.digamma(alpha))


class _MultivariateNormal:
    """``scipy.stats.multivariate_normal``: ``pdf``/``logpdf(x, mean, cov)`` and ``entropy(mean, cov)``.

    ``cov`` is a positive definite matrix (a scalar or 1-D array means a
    diagonal); ``cdf``, which SciPy computes by sampling, is not provided.
    """

    name = "multivariate_normal"

    def __repr__(self) -> str:
        return "<zymo.scipy.stats.multivariate_normal>"

    @staticmethod
    def _dim_and_cov(mean, cov):
        c = np.shape(bottom(cov))
        if len(c) == 2:
            return c[0], cov
        dim = np.shape(bottom(mean))[-1] if mean is not None and np.ndim(bottom(mean)) else (c[0] if c else 1)
        return dim, np.eye(dim) * cov

    def logpdf(self, x: ArrayLike, mean: ArrayLike | None = None, cov: ArrayLike = 1) -> np.ndarray:
        """Log density of the points ``x`` (last axis the dimension)."""
        if not has_tracer([x, mean, cov]):
            return _ss.multivariate_normal.logpdf(x, mean, cov)
        dim, cov = self._dim_and_cov(mean, cov)
        if dim == 1 and np.ndim(bottom(x)) <= 1:
            x = np.reshape(x, (-1, 1))
        d = x if mean is None else x - mean
        chol = np.linalg.cholesky(cov)
        flat = np.reshape(d, (-1, dim))
        w = np.linalg.solve(chol, np.transpose(flat))
        maha = np.sum(w * w, axis=0)
        log_det = 2 * np.sum(np.log(np.diagonal(chol)))
        out = -0.5 * (dim * _LOG_2PI + log_det + maha)
        lead = np.shape(bottom(d))[:-1]
        return np.reshape(out, ()) if int(np.prod(lead)) == 1 else np.reshape(out, lead)

    def pdf(self, x: ArrayLike, mean: ArrayLike | None = None, cov: ArrayLike = 1) -> np.ndarray:
        """Density of the points ``x``."""
        if not has_tracer([x, mean, cov]):
            return _ss.multivariate_normal.pdf(x, mean, cov)
        return np.exp(self.logpdf(x, mean, cov))

    def entropy(self, mean: ArrayLike | None = None, cov: ArrayLike = 1) -> np.ndarray:
        """Differential entropy."""
        if not has_tracer([mean, cov]):
            return _ss.multivariate_normal.entropy(mean, cov)
        dim, cov = self._dim_and_cov(mean, cov)
        log_det = 2 * np.sum(np.log(np.diagonal(np.linalg.cholesky(cov))))
        return 0.5 * (dim * (1 + _LOG_2PI) + log_det)


dirichlet = _Dirichlet()
multivariate_normal = _MultivariateNormal()
