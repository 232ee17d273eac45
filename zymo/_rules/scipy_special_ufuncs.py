"""Derivative rules for ``scipy.special``'s ufuncs, keyed on SciPy's ufunc objects.

SciPy's special functions are NumPy ufuncs, so calling one on a traced value
reaches zymo through ``__array_ufunc__``. This module is imported the first
time that happens (or by ``zymo.scipy``'s modules), never at ``import zymo``.

Each derivative is written with functions that have rules themselves, so
derivatives of every order compose. Orders of Bessel functions, the shape
parameters ``a``, ``b`` of ``betainc`` and the order ``s`` of the Hurwitz zeta
function are not differentiated: a traced value there raises zymo's error naming
the function and argument. ``gammainc``/``gammaincc`` differentiate in ``a`` once
(series or continued fraction with the derivative carried along, as TensorFlow's
igamma gradient); their second derivative in ``a`` raises that error. Conventions: ``d xlogy(x, y) / dy``
is ``x / y`` as in JAX, and 0 at ``x == y == 0`` (where JAX gives NaN);
``huber``'s derivative at ``|r| == delta`` is the inner branch's; ``i0e``'s at
0 is 0 (``sign(0) = 0``, as zymo's ``abs``).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc
from scipy.special import _ufuncs

from ..core.dispatch import UFUNCS
from ..core.primitive import Primitive
from .elementwise import ZymoUfunc
from .helpers import from_partials

__all__ = ["ENTRIES", "DIFFERENTIABLE", "ZERO_GRADIENT"]

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)
_TWO_OVER_SQRT_PI = 2 / _SQRT_PI
_LN10 = math.log(10.0)
_DEG = math.pi / 180


def _hurwitz_dq(ans, s, q):
    return -s * _ufuncs._zeta(s + 1, q)


def _bessel_i_dx(ans, v, x):
    return 0.5 * (sc.iv(v - 1, x) + sc.iv(v + 1, x))


def _bessel_ie_dx(ans, v, x):
    return 0.5 * (sc.ive(v - 1, x) + sc.ive(v + 1, x)) - np.sign(x) * ans


def _bessel_j_dx(ans, v, x):
    return 0.5 * (sc.jv(v - 1, x) - sc.jv(v + 1, x))


def _bessel_y_dx(ans, v, x):
    return 0.5 * (sc.yv(v - 1, x) - sc.yv(v + 1, x))


def _bessel_yn_dx(ans, n, x):
    return 0.5 * (sc.yn(n - 1, x) - sc.yn(n + 1, x))


def _bessel_k_dx(ans, v, x):
    return -0.5 * (sc.kv(v - 1, x) + sc.kv(v + 1, x))


def _bessel_ke_dx(ans, v, x):
    return ans - 0.5 * (sc.kve(v - 1, x) + sc.kve(v + 1, x))


def _ratio_zero_at_origin(x, y):
    """``x / y``, taken as 0 where ``x == y == 0`` (kept a quotient so its derivative in ``x`` is ``1 / y``)."""
    origin = np.logical_and(np.equal(x, 0), np.equal(y, 0))
    return x / np.where(origin, 1.0, y) if np.any(origin) else x / y


def _xlogy_dy(ans, x, y):
    return _ratio_zero_at_origin(x, y)


def _xlog1py_dy(ans, x, y):
    return _ratio_zero_at_origin(x, 1 + y)


def _inside(delta, r):
    return np.less_equal(np.abs(r), delta)


def _huber_ddelta(ans, delta, r):
    return np.where(_inside(delta, r), 0.0, np.abs(r) - delta)


def _huber_dr(ans, delta, r):
    return np.where(_inside(delta, r), r, delta * np.sign(r))


def _pseudo_huber_ddelta(ans, delta, r):
    s = np.sqrt(1 + (r / delta) ** 2)
    return 2 * ans / delta - r * r / (delta * s)


def _pseudo_huber_dr(ans, delta, r):
    return r / np.sqrt(1 + (r / delta) ** 2)


def _betainc_dx(ans, a, b, x):
    return np.exp(sc.xlogy(a - 1, x) + sc.xlog1py(b - 1, -x) - sc.betaln(a, b))


def _gammainc_dx(ans, a, x):
    return np.exp(sc.xlogy(a - 1, x) - x - sc.gammaln(a))


def _gammainc_da_impl(a, x):
    """``d gammainc(a, x) / da``: the series for ``P`` (``x < a + 1``) or Legendre's continued fraction for
    ``Q = 1 - P`` (modified Lentz), each with its derivative in ``a`` carried along, as TensorFlow's igamma grad."""
    a, x = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(x, dtype=float))
    with np.errstate(all="ignore"):
        logx = np.log(np.where(x > 0, x, 1.0))
        prefactor = np.exp(a * logx - x - sc.gammaln(a))
        dprefactor = prefactor * (logx - sc.digamma(a))
        series = x < a + 1
        # P = prefactor * sum_n x^n / (a (a+1) ... (a+n))
        ap, term, dterm = a.copy(), 1 / a, -1 / (a * a)
        total, dtotal = term.copy(), dterm.copy()
        for _ in range(5000):
            ap = ap + 1
            dterm = dterm * x / ap - term * x / (ap * ap)
            term = term * x / ap
            total, dtotal = total + term, dtotal + dterm
            if np.all(~series | ~(np.abs(term) >= np.abs(total) * 1e-17)):
                break
        dp_series = dprefactor * total + prefactor * dtotal
        # Q = prefactor * h, h the continued fraction 1/(x+1-a-) 1(1-a)/(x+3-a-) 2(2-a)/(x+5-a-) ...
        tiny = 1e-300
        b, db = x + 1 - a, -1.0
        c, dc = np.full(a.shape, 1 / tiny), np.zeros(a.shape)
        dinv = 1 / np.where(series, 1.0, b)
        ddinv = -db * dinv * dinv
        h, dh = dinv.copy(), ddinv.copy()
        for i in range(1, 5000):
            an, dan = -i * (i - a), float(i)
            b = b + 2
            den = an * dinv + b
            dden = dan * dinv + an * ddinv + db
            dinv, ddinv = 1 / den, -dden / den / den
            c, dc = b + an / c, db + dan / c - an * dc / c / c
            delta, ddelta = dinv * c, ddinv * c + dinv * dc
            h, dh = h * delta, dh * delta + h * ddelta
            if np.all(series | ~(np.abs(delta - 1) >= 1e-16)):
                break
        dq_fraction = dprefactor * h + prefactor * dh
        out = np.where(series, dp_series, -dq_fraction)
    return np.where(x > 0, out, np.where(x == 0, 0.0, np.nan))[()]


def _gammainc_da_dx(ans, a, x):
    return _gammainc_dx(None, a, x) * (np.log(x) - sc.digamma(a))


# First derivative in a only: its own derivative in a raises zymo's error naming this function.
_gammainc_da = from_partials(
    _gammainc_da_impl, None, _gammainc_da_dx, saves=(0, 1), name="scipy.special.gammainc's derivative in a"
)


def _gammaincinv_dy(ans, a, y):
    return np.exp(ans - sc.xlogy(a - 1, ans) + sc.gammaln(a))


def _student_t_pdf(ans, df, t):
    log_norm = sc.gammaln(0.5 * (df + 1)) - sc.gammaln(0.5 * df) - 0.5 * np.log(df * math.pi)
    return np.exp(log_norm - 0.5 * (df + 1) * np.log1p(t * t / df))


def _betaln_da(ans, a, b):
    return sc.digamma(a) - sc.digamma(a + b)


def _betaln_db(ans, a, b):
    return sc.digamma(b) - sc.digamma(a + b)


# ufunc -> (one partial derivative per argument, None where not differentiable; values the rules read).
DIFFERENTIABLE = {
    _ufuncs._zeta: ((None, _hurwitz_dq), (0, 1)),
    sc.gammaln: ((lambda ans, x: sc.digamma(x),), (0,)),
    sc.loggamma: ((lambda ans, x: sc.digamma(x),), (0,)),
    sc.gamma: ((lambda ans, x: ans * sc.digamma(x),), (0, "ans")),
    sc.rgamma: ((lambda ans, x: -ans * sc.digamma(x),), (0, "ans")),
    sc.digamma: ((lambda ans, x: _ufuncs._zeta(2.0, x),), (0,)),
    sc.betaln: ((_betaln_da, _betaln_db), (0, 1)),
    sc.beta: ((lambda ans, a, b: ans * _betaln_da(ans, a, b), lambda ans, a, b: ans * _betaln_db(ans, a, b)), None),
    sc.betainc: ((None, None, _betainc_dx), (0, 1, 2)),
    sc.betaincc: ((None, None, lambda ans, a, b, x: -_betainc_dx(ans, a, b, x)), (0, 1, 2)),
    sc.gammainc: ((lambda ans, a, x: _gammainc_da(a, x), _gammainc_dx), (0, 1)),
    sc.gammaincc: ((lambda ans, a, x: -_gammainc_da(a, x), lambda ans, a, x: -_gammainc_dx(ans, a, x)), (0, 1)),
    sc.gammaincinv: ((None, _gammaincinv_dy), (0, "ans")),
    sc.gammainccinv: ((None, lambda ans, a, y: -_gammaincinv_dy(ans, a, y)), (0, "ans")),
    sc.stdtr: ((None, _student_t_pdf), (0, 1)),
    sc.erf: ((lambda ans, x: _TWO_OVER_SQRT_PI * np.exp(-x * x),), (0,)),
    sc.erfc: ((lambda ans, x: -_TWO_OVER_SQRT_PI * np.exp(-x * x),), (0,)),
    sc.erfinv: ((lambda ans, x: 0.5 * _SQRT_PI * np.exp(ans * ans),), ("ans",)),
    sc.erfcinv: ((lambda ans, x: -0.5 * _SQRT_PI * np.exp(ans * ans),), ("ans",)),
    sc.erfcx: ((lambda ans, x: 2 * x * ans - _TWO_OVER_SQRT_PI,), (0, "ans")),
    sc.dawsn: ((lambda ans, x: 1 - 2 * x * ans,), (0, "ans")),
    sc.expit: ((lambda ans, x: ans * (1 - ans),), ("ans",)),
    sc.logit: ((lambda ans, x: 1 / (x * (1 - x)),), (0,)),
    sc.log_expit: ((lambda ans, x: sc.expit(-x),), (0,)),
    sc.xlogy: ((lambda ans, x, y: np.log(y), _xlogy_dy), (0, 1)),
    sc.xlog1py: ((lambda ans, x, y: np.log1p(y), _xlog1py_dy), (0, 1)),
    sc.ndtr: ((lambda ans, x: np.exp(-0.5 * x * x) / _SQRT_2PI,), (0,)),
    sc.ndtri: ((lambda ans, x: _SQRT_2PI * np.exp(0.5 * ans * ans),), ("ans",)),
    sc.log_ndtr: ((lambda ans, x: np.exp(-0.5 * x * x - ans) / _SQRT_2PI,), (0, "ans")),
    sc.ndtri_exp: ((lambda ans, y: _SQRT_2PI * np.exp(y + 0.5 * ans * ans),), (0, "ans")),
    sc.i0: ((lambda ans, x: sc.i1(x),), (0,)),
    sc.i1: ((lambda ans, x: 0.5 * (sc.i0(x) + sc.iv(2.0, x)),), (0,)),
    sc.i0e: ((lambda ans, x: sc.i1e(x) - np.sign(x) * ans,), (0, "ans")),
    sc.i1e: ((lambda ans, x: 0.5 * (sc.i0e(x) + sc.ive(2.0, x)) - np.sign(x) * ans,), (0, "ans")),
    sc.iv: ((None, _bessel_i_dx), (0, 1)),
    sc.ive: ((None, _bessel_ie_dx), (0, 1, "ans")),
    sc.j0: ((lambda ans, x: -sc.j1(x),), (0,)),
    sc.j1: ((lambda ans, x: 0.5 * (sc.j0(x) - sc.jv(2.0, x)),), (0,)),
    sc.jv: ((None, _bessel_j_dx), (0, 1)),
    sc.y0: ((lambda ans, x: -sc.y1(x),), (0,)),
    sc.y1: ((lambda ans, x: 0.5 * (sc.y0(x) - sc.yv(2.0, x)),), (0,)),
    sc.yv: ((None, _bessel_y_dx), (0, 1)),
    sc.yn: ((None, _bessel_yn_dx), (0, 1)),
    sc.kv: ((None, _bessel_k_dx), (0, 1)),
    sc.kve: ((None, _bessel_ke_dx), (0, 1, "ans")),
    sc.entr: ((lambda ans, x: -(1 + np.log(x)),), (0,)),
    sc.rel_entr: ((lambda ans, x, y: np.log(x / y) + 1, lambda ans, x, y: -x / y), (0, 1)),
    sc.kl_div: ((lambda ans, x, y: np.log(x / y), lambda ans, x, y: 1 - x / y), (0, 1)),
    sc.huber: ((_huber_ddelta, _huber_dr), (0, 1)),
    sc.pseudo_huber: ((_pseudo_huber_ddelta, _pseudo_huber_dr), (0, 1, "ans")),
    sc.expm1: ((lambda ans, x: ans + 1,), ("ans",)),
    sc.log1p: ((lambda ans, x: 1 / (1 + x),), (0,)),
    sc.cosm1: ((lambda ans, x: -np.sin(x),), (0,)),
    sc.exp2: ((lambda ans, x: ans * math.log(2.0),), ("ans",)),
    sc.exp10: ((lambda ans, x: ans * _LN10,), ("ans",)),
    sc.cbrt: ((lambda ans, x: 1 / (3 * ans * ans),), ("ans",)),
    sc.sindg: ((lambda ans, x: _DEG * sc.cosdg(x),), (0,)),
    sc.cosdg: ((lambda ans, x: -_DEG * sc.sindg(x),), (0,)),
    sc.boxcox: ((lambda ans, x, lmbda: np.power(x, lmbda - 1), None), (0, 1)),
    sc.boxcox1p: ((lambda ans, x, lmbda: np.power(1 + x, lmbda - 1), None), (0, 1)),
}

# Piecewise-constant or integer-valued: run on the plain values, no derivative.
ZERO_GRADIENT = [sc.gammasgn, sc.round]

ENTRIES: dict[str, ZymoUfunc] = {}


def _names(ufunc) -> list[str]:
    """The public names ``scipy.special`` gives ``ufunc`` (``psi`` and ``digamma`` are one ufunc)."""
    return [n for n in dir(sc) if not n.startswith("_") and getattr(sc, n) is ufunc]


def _register() -> None:
    for uf in [*DIFFERENTIABLE, *ZERO_GRADIENT]:
        names = _names(uf) or [uf.__name__]
        label = "scipy.special." + names[0]
        if uf in DIFFERENTIABLE:
            partials, saves = DIFFERENTIABLE[uf]
            entry = ZymoUfunc(uf, from_partials(uf, *partials, saves=saves, name=label))
        else:
            entry = ZymoUfunc(uf, Primitive(uf, label, nondiff=True))
        entry.__name__ = names[0]
        UFUNCS[uf] = entry
        for n in names:
            ENTRIES[n] = entry


_register()
