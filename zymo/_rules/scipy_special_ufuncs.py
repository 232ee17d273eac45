"""Derivative rules for ``scipy.special``'s ufuncs, keyed on SciPy's ufunc objects.

SciPy's special functions are NumPy ufuncs, so calling one on a traced value
reaches zymo through ``__array_ufunc__``. This module is imported the first
time that happens (or by ``zymo.scipy``'s modules), never at ``import zymo``.

Each derivative is written with functions that have rules themselves, so
derivatives of every order compose. Ufuncs with several outputs (``sici``,
``fresnel``, ``airy``, ``ellipj``, ``pbdv``, ...) get one primitive per output.
``WITHOUT_RULES`` lists the ufuncs left without rules and why. Where a derivative's formula is 0 / 0
(``berp``, ``beip``, ``it2struve0`` and the first outputs of ``it2j0y0``, ``it2i0k0`` at ``x == 0``;
``lpmv`` at ``x == +-1``) the derivative is NaN there rather than a wrong number. Orders of Bessel functions, the shape
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
from .helpers import bottom, from_partials

__all__ = ["ENTRIES", "DIFFERENTIABLE", "SEVERAL_OUTPUTS", "SeveralOutputs", "WITHOUT_RULES", "ZERO_GRADIENT"]

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
    with np.errstate(divide="ignore"):  # x / 0 elsewhere: an infinite derivative, as the function's slope is
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


def _bessel_je_dx(ans, v, x):  # jve = jv on real x
    return 0.5 * (sc.jve(v - 1, x) - sc.jve(v + 1, x))


def _bessel_ye_dx(ans, v, x):  # yve = yv on real x
    return 0.5 * (sc.yve(v - 1, x) - sc.yve(v + 1, x))


def _bessel_kn_dx(ans, n, x):
    return -0.5 * (sc.kn(n - 1, x) + sc.kn(n + 1, x))


def _struve_tail(v, x):
    """``(x / 2)^v / (sqrt(pi) gamma(v + 3/2))``: the term the recurrences of ``struve`` and ``modstruve`` add."""
    return np.exp(sc.xlogy(v, 0.5 * x) - sc.gammaln(v + 1.5)) / _SQRT_PI


def _struve_dx(ans, v, x):  # H_v' = (H_{v-1} - H_{v+1}) / 2 + tail / 2
    return 0.5 * (sc.struve(v - 1, x) - sc.struve(v + 1, x) + _struve_tail(v, x))


def _modstruve_dx(ans, v, x):  # L_v' = (L_{v-1} + L_{v+1}) / 2 + tail / 2
    return 0.5 * (sc.modstruve(v - 1, x) + sc.modstruve(v + 1, x) + _struve_tail(v, x))


def _expn_dx(ans, n, x):  # E_n' = -E_{n-1}, with E_0(x) = exp(-x) / x
    n = np.asarray(bottom(n))
    if np.all(n >= 1):
        return -sc.expn(n - 1, x)
    return np.where(n >= 1, -sc.expn(np.maximum(n - 1, 0), x), -np.exp(-x) / x * (1 + 1 / x))


def _poch_dz(ans, z, m):  # poch = gamma(z + m) / gamma(z)
    return ans * (sc.digamma(z + m) - sc.digamma(z))


def _binom_dn(ans, n, k):  # binom = gamma(n + 1) / (gamma(k + 1) gamma(n - k + 1))
    return ans * (sc.digamma(n + 1) - sc.digamma(n - k + 1))


def _binom_dk(ans, n, k):
    return ans * (sc.digamma(n - k + 1) - sc.digamma(k + 1))


def _owens_t_dh(ans, h, a):
    return -0.5 * np.exp(-0.5 * h * h) / _SQRT_2PI * sc.erf(a * h / math.sqrt(2.0))


def _owens_t_da(ans, h, a):
    q = 1 + a * a
    return np.exp(-0.5 * h * h * q) / (2 * math.pi * q)


def _elliptic_f_dphi(ans, phi, m):
    return 1 / np.sqrt(1 - m * np.sin(phi) ** 2)


def _elliptic_e_dphi(ans, phi, m):
    return np.sqrt(1 - m * np.sin(phi) ** 2)


# Distribution functions in their continuous argument, through the density of the function behind each
# (SciPy floors the counts k and n of the discrete ones); their inverses through 1 / that density.
def _chi2_pdf(v, x):
    return 0.5 * _gammainc_dx(None, 0.5 * v, 0.5 * x)


def _poisson_dm(k, m):  # d pdtr(k, m) / dm, pdtr = gammaincc(floor(k) + 1, m)
    return -_gammainc_dx(None, np.floor(k) + 1, m)


def _binomial_dp(k, n, p):  # d bdtr(k, n, p) / dp, bdtr = betainc(n - k, k + 1, 1 - p)
    k, n = np.floor(k), np.floor(n)
    return -_betainc_dx(None, n - k, k + 1, 1 - p)


def _negative_binomial_dp(k, n, p):  # d nbdtr(k, n, p) / dp, nbdtr = betainc(n, k + 1, p)
    return _betainc_dx(None, np.floor(n), np.floor(k) + 1, p)


def _f_pdf(dfn, dfd, x):  # fdtr = betainc(dfn / 2, dfd / 2, dfn x / (dfd + dfn x))
    w = dfd + dfn * x
    return _betainc_dx(None, 0.5 * dfn, 0.5 * dfd, dfn * x / w) * dfn * dfd / (w * w)


# Orthogonal polynomials in x, each through the derivative of its hypergeometric form (degree n real or
# integer; SciPy gives 0 at degree -1, so degree 0 has derivative 0): C^a_n' = 2 a C^(a+1)_(n-1),
# P^(a,b)_n' = (n + a + b + 1) / 2 P^(a+1,b+1)_(n-1), L^a_n' = -L^(a+1)_(n-1), H_n' = 2 n H_(n-1).
def _gegenbauer_dx(ans, n, alpha, x):
    return 2 * alpha * sc.eval_gegenbauer(n - 1, alpha + 1, x)


def _jacobi_dx(ans, n, alpha, beta, x):
    return 0.5 * (n + alpha + beta + 1) * sc.eval_jacobi(n - 1, alpha + 1, beta + 1, x)


def _hermite_dx(ans, n, x):
    return 2 * n * sc.eval_hermite(np.maximum(n - 1, 0), x)


def _hermitenorm_dx(ans, n, x):
    return n * sc.eval_hermitenorm(np.maximum(n - 1, 0), x)


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
    sc.inv_boxcox: ((lambda ans, y, lmbda: np.power(ans, 1 - lmbda), None), (1, "ans")),
    sc.inv_boxcox1p: ((lambda ans, y, lmbda: np.power(1 + ans, 1 - lmbda), None), (1, "ans")),
    sc.k0: ((lambda ans, x: -sc.k1(x),), (0,)),
    sc.k1: ((lambda ans, x: -0.5 * (sc.k0(x) + sc.kv(2.0, x)),), (0,)),
    sc.k0e: ((lambda ans, x: ans - sc.k1e(x),), (0, "ans")),
    sc.k1e: ((lambda ans, x: ans - 0.5 * (sc.k0e(x) + sc.kve(2.0, x)),), (0, "ans")),
    sc.kn: ((None, _bessel_kn_dx), (0, 1)),
    sc.jve: ((None, _bessel_je_dx), (0, 1)),
    sc.yve: ((None, _bessel_ye_dx), (0, 1)),
    sc.struve: ((None, _struve_dx), (0, 1)),
    sc.modstruve: ((None, _modstruve_dx), (0, 1)),
    sc.exp1: ((lambda ans, x: -np.exp(-x) / x,), (0,)),
    sc.expi: ((lambda ans, x: np.exp(x) / x,), (0,)),
    sc.expn: ((None, _expn_dx), (0, 1)),
    sc.erfi: ((lambda ans, x: _TWO_OVER_SQRT_PI * np.exp(x * x),), (0,)),
    # exprel(x) = 1F1(1; 2; x), and d/dx 1F1(a; b; x) = a / b 1F1(a + 1; b + 1; x): smooth through x = 0
    sc.exprel: ((lambda ans, x: 0.5 * sc.hyp1f1(2.0, 3.0, x),), (0,)),
    sc.hyp0f1: ((None, lambda ans, v, z: sc.hyp0f1(v + 1, z) / v), (0, 1)),
    sc.hyp1f1: ((None, None, lambda ans, a, b, x: a / b * sc.hyp1f1(a + 1, b + 1, x)), (0, 1, 2)),
    sc.hyp2f1: (
        (None, None, None, lambda ans, a, b, c, z: a * b / c * sc.hyp2f1(a + 1, b + 1, c + 1, z)),
        (0, 1, 2, 3),
    ),
    sc.hyperu: ((None, None, lambda ans, a, b, x: -a * sc.hyperu(a + 1, b + 1, x)), (0, 1, 2)),
    # spence(z) = int_1^z log(t) / (1 - t) dt; log(z) / (1 - z) = -1 / exprel(log(z)), smooth through z = 1
    sc.spence: ((lambda ans, z: -1 / sc.exprel(np.log(z)),), (0,)),
    # K(m) = pi/2 2F1(1/2, 1/2; 1; m), E(m) = pi/2 2F1(-1/2, 1/2; 1; m): derivatives smooth through m = 0
    sc.ellipk: ((lambda ans, m: math.pi / 8 * sc.hyp2f1(1.5, 1.5, 2.0, m),), (0,)),
    sc.ellipkm1: ((lambda ans, p: -math.pi / 8 * sc.hyp2f1(1.5, 1.5, 2.0, 1 - p),), (0,)),
    sc.ellipe: ((lambda ans, m: -math.pi / 8 * sc.hyp2f1(0.5, 1.5, 2.0, m),), (0,)),
    sc.ellipkinc: ((_elliptic_f_dphi, None), (0, 1)),
    sc.ellipeinc: ((_elliptic_e_dphi, None), (0, 1)),
    sc.wrightomega: ((lambda ans, x: ans / (1 + ans),), ("ans",)),
    sc.poch: ((_poch_dz, lambda ans, z, m: ans * sc.digamma(z + m)), (0, 1, "ans")),
    sc.binom: ((_binom_dn, _binom_dk), (0, 1, "ans")),
    sc.owens_t: ((_owens_t_dh, _owens_t_da), (0, 1)),
    sc.powm1: ((lambda ans, x, y: y * np.power(x, y - 1), lambda ans, x, y: (ans + 1) * np.log(x)), (0, 1, "ans")),
    sc.eval_gegenbauer: ((None, None, _gegenbauer_dx), (0, 1, 2)),
    sc.eval_jacobi: ((None, None, None, _jacobi_dx), (0, 1, 2, 3)),
    sc.eval_legendre: ((None, lambda ans, n, x: sc.eval_gegenbauer(n - 1, 1.5, x)), (0, 1)),
    sc.eval_chebyt: ((None, lambda ans, n, x: n * sc.eval_chebyu(n - 1, x)), (0, 1)),
    sc.eval_chebyu: ((None, lambda ans, n, x: 2 * sc.eval_gegenbauer(n - 1, 2.0, x)), (0, 1)),
    sc.eval_chebyc: ((None, lambda ans, n, x: n * sc.eval_chebys(n - 1, x)), (0, 1)),
    sc.eval_chebys: ((None, lambda ans, n, x: sc.eval_gegenbauer(n - 1, 2.0, 0.5 * x)), (0, 1)),
    sc.eval_sh_legendre: ((None, lambda ans, n, x: 2 * sc.eval_gegenbauer(n - 1, 1.5, 2 * x - 1)), (0, 1)),
    sc.eval_sh_chebyt: ((None, lambda ans, n, x: 2 * n * sc.eval_chebyu(n - 1, 2 * x - 1)), (0, 1)),
    sc.eval_sh_chebyu: ((None, lambda ans, n, x: 4 * sc.eval_gegenbauer(n - 1, 2.0, 2 * x - 1)), (0, 1)),
    sc.eval_laguerre: ((None, lambda ans, n, x: -sc.eval_genlaguerre(n - 1, 1.0, x)), (0, 1)),
    sc.eval_genlaguerre: ((None, None, lambda ans, n, alpha, x: -sc.eval_genlaguerre(n - 1, alpha + 1, x)), (0, 1, 2)),
    sc.eval_hermite: ((None, _hermite_dx), (0, 1)),
    sc.eval_hermitenorm: ((None, _hermitenorm_dx), (0, 1)),
    sc.chdtr: ((lambda ans, v, x: 0.5 * _gammainc_da(0.5 * v, 0.5 * x), lambda ans, v, x: _chi2_pdf(v, x)), (0, 1)),
    sc.chdtrc: ((lambda ans, v, x: -0.5 * _gammainc_da(0.5 * v, 0.5 * x), lambda ans, v, x: -_chi2_pdf(v, x)), (0, 1)),
    sc.chdtri: ((None, lambda ans, v, p: -1 / _chi2_pdf(v, ans)), (0, "ans")),
    sc.gdtr: (
        (
            lambda ans, a, b, x: x * _gammainc_dx(None, b, a * x),
            lambda ans, a, b, x: _gammainc_da(b, a * x),
            lambda ans, a, b, x: a * _gammainc_dx(None, b, a * x),
        ),
        (0, 1, 2),
    ),
    sc.gdtrc: (
        (
            lambda ans, a, b, x: -x * _gammainc_dx(None, b, a * x),
            lambda ans, a, b, x: -_gammainc_da(b, a * x),
            lambda ans, a, b, x: -a * _gammainc_dx(None, b, a * x),
        ),
        (0, 1, 2),
    ),
    sc.pdtr: ((None, lambda ans, k, m: _poisson_dm(k, m)), (0, 1)),
    sc.pdtrc: ((None, lambda ans, k, m: -_poisson_dm(k, m)), (0, 1)),
    sc.pdtri: ((None, lambda ans, k, y: 1 / _poisson_dm(k, ans)), (0, "ans")),
    sc.bdtr: ((None, None, lambda ans, k, n, p: _binomial_dp(k, n, p)), (0, 1, 2)),
    sc.bdtrc: ((None, None, lambda ans, k, n, p: -_binomial_dp(k, n, p)), (0, 1, 2)),
    sc.bdtri: ((None, None, lambda ans, k, n, y: 1 / _binomial_dp(k, n, ans)), (0, 1, "ans")),
    sc.nbdtr: ((None, None, lambda ans, k, n, p: _negative_binomial_dp(k, n, p)), (0, 1, 2)),
    sc.nbdtrc: ((None, None, lambda ans, k, n, p: -_negative_binomial_dp(k, n, p)), (0, 1, 2)),
    sc.nbdtri: ((None, None, lambda ans, k, n, y: 1 / _negative_binomial_dp(k, n, ans)), (0, 1, "ans")),
    sc.fdtr: ((None, None, lambda ans, dfn, dfd, x: _f_pdf(dfn, dfd, x)), (0, 1, 2)),
    sc.fdtrc: ((None, None, lambda ans, dfn, dfd, x: -_f_pdf(dfn, dfd, x)), (0, 1, 2)),
    sc.fdtri: ((None, None, lambda ans, dfn, dfd, p: 1 / _f_pdf(dfn, dfd, ans)), (0, 1, "ans")),
    sc.stdtrit: ((None, lambda ans, df, p: 1 / _student_t_pdf(None, df, ans)), (0, "ans")),
    # d/dx Phi(a, b; x) = Phi(a, a + b; x)
    sc.wright_bessel: ((None, None, lambda ans, a, b, x: sc.wright_bessel(a, a + b, x)), (0, 1, 2)),
    sc.log_wright_bessel: (
        (None, None, lambda ans, a, b, x: np.exp(sc.log_wright_bessel(a, a + b, x) - ans)),
        (0, 1, 2, "ans"),
    ),
    sc.radian: ((lambda ans, d, m, s: _DEG, lambda ans, d, m, s: _DEG / 60, lambda ans, d, m, s: _DEG / 3600), ()),
    sc.itstruve0: ((lambda ans, x: sc.struve(0.0, x),), (0,)),
    sc.it2struve0: ((lambda ans, x: -sc.struve(0.0, x) / x,), (0,)),  # integral from x to infinity of H0(t) / t
    sc.itmodstruve0: ((lambda ans, x: sc.modstruve(0.0, x),), (0,)),
    # Kelvin functions: ber + i bei = J0(x e^(3 pi i / 4)), ker + i kei = K0(x e^(pi i / 4)), both solving
    # y'' = -y' / x + i y
    sc.ber: ((lambda ans, x: sc.berp(x),), (0,)),
    sc.bei: ((lambda ans, x: sc.beip(x),), (0,)),
    sc.ker: ((lambda ans, x: sc.kerp(x),), (0,)),
    sc.kei: ((lambda ans, x: sc.keip(x),), (0,)),
    sc.berp: ((lambda ans, x: -ans / x - sc.bei(x),), (0, "ans")),
    sc.beip: ((lambda ans, x: -ans / x + sc.ber(x),), (0, "ans")),
    sc.kerp: ((lambda ans, x: -ans / x - sc.kei(x),), (0, "ans")),
    sc.keip: ((lambda ans, x: -ans / x + sc.ker(x),), (0, "ans")),
    # (x^2 - 1) dP^m_v / dx = v x P^m_v - (v + m) P^m_(v-1)
    sc.lpmv: (
        (None, None, lambda ans, m, v, x: (v * x * ans - (v + m) * sc.lpmv(m, v - 1, x)) / (x * x - 1)),
        (0, 1, 2, "ans"),
    ),
    sc.betaincinv: ((None, None, lambda ans, a, b, y: 1 / _betainc_dx(None, a, b, ans)), (0, 1, "ans")),
    sc.betainccinv: ((None, None, lambda ans, a, b, y: -1 / _betainc_dx(None, a, b, ans)), (0, 1, "ans")),
    sc.gdtrix: ((None, None, lambda ans, a, b, p: 1 / (a * _gammainc_dx(None, b, a * ans))), (0, 1, "ans")),
    # nrdtrimn(p, std, x) = x - std ndtri(p); nrdtrisd(mn, p, x) = (x - mn) / ndtri(p)
    sc.nrdtrimn: (
        (
            lambda ans, p, std, x: -std * _SQRT_2PI * np.exp(0.5 * sc.ndtri(p) ** 2),
            lambda ans, p, std, x: -sc.ndtri(p),
            lambda ans, p, std, x: 1.0,
        ),
        (0, 1),
    ),
    sc.nrdtrisd: (
        (
            lambda ans, mn, p, x: -1 / sc.ndtri(p),
            lambda ans, mn, p, x: -ans / sc.ndtri(p) * _SQRT_2PI * np.exp(0.5 * sc.ndtri(p) ** 2),
            lambda ans, mn, p, x: 1 / sc.ndtri(p),
        ),
        (1, "ans"),
    ),
    sc.tandg: ((lambda ans, x: _DEG * (1 + ans * ans),), ("ans",)),
    sc.cotdg: ((lambda ans, x: -_DEG * (1 + ans * ans),), ("ans",)),
}


def _sinhc(x):
    """``sinh(x) / x`` = ``exp(-x) exprel(2 x)``, smooth through 0."""
    return np.exp(-x) * sc.exprel(2 * x)


def _airy(k: int):
    return lambda ans, x: sc.airy(x)[k]


def _x_airy(k: int):  # Ai'' = x Ai, Bi'' = x Bi
    return lambda ans, x: x * sc.airy(x)[k]


def _parabolic_cylinder(ufunc, coefficient):
    """``(y, y')`` of ``y'' = coefficient(v, x) y`` in ``x`` (``pbdv``, ``pbvv``, ``pbwa``); the order has no rule."""
    return (
        (None, lambda ans, v, x: ufunc(v, x)[1]),
        (None, lambda ans, v, x: coefficient(v, x) * ufunc(v, x)[0]),
    )


def _jacobi_elliptic(k: int):
    """``d/du`` of ``ellipj(u, m)``'s output ``k``: sn' = cn dn, cn' = -sn dn, dn' = -m sn cn, ph' = dn."""

    def d(ans, u, m):
        sn, cn, dn, _ = sc.ellipj(u, m)
        return (cn * dn, -sn * dn, -m * sn * cn, dn)[k]

    return (d, None)


def _airye(k: int):
    """``d/dx`` of ``airye``'s output ``k``: Ai, Ai' scaled by ``exp(z)``, Bi, Bi' by ``exp(-z)``, ``z = 2/3 x^(3/2)``
    on ``x > 0`` (``dz/dx = sqrt(x)``; SciPy leaves Bi unscaled and Ai undefined on ``x < 0``)."""

    def d(ans, x):
        eai, eaip, ebi, ebip = sc.airye(x)
        positive = np.greater(x, 0.0)
        s = np.where(positive, np.sqrt(np.where(positive, x, 1.0)), 0.0)  # sqrt(x) on x > 0, no 0 * inf below
        return (eaip + s * eai, x * eai + s * eaip, ebip - s * ebi, x * ebi - s * ebip)[k]

    return d


# ufunc with several outputs -> per output, its partial derivative (one argument) or a tuple of them.
SEVERAL_OUTPUTS = {
    sc.ellipj: tuple(_jacobi_elliptic(k) for k in range(4)),
    sc.airye: tuple(_airye(k) for k in range(4)),
    sc.pbdv: _parabolic_cylinder(sc.pbdv, lambda v, x: 0.25 * x * x - v - 0.5),
    sc.pbvv: _parabolic_cylinder(sc.pbvv, lambda v, x: 0.25 * x * x - v - 0.5),
    sc.pbwa: _parabolic_cylinder(sc.pbwa, lambda a, x: a - 0.25 * x * x),
    sc.airy: (_airy(1), _x_airy(0), _airy(3), _x_airy(2)),
    # integrals from 0 to x of Ai(t), Bi(t), Ai(-t), Bi(-t)
    sc.itairy: (_airy(0), _airy(2), lambda ans, x: sc.airy(-x)[0], lambda ans, x: sc.airy(-x)[2]),
    sc.itj0y0: (lambda ans, x: sc.j0(x), lambda ans, x: sc.y0(x)),
    sc.iti0k0: (lambda ans, x: sc.i0(x), lambda ans, x: sc.k0(x)),
    # integrals of (1 - J0(t)) / t from 0 to x and of Y0(t) / t from x to infinity; likewise (I0 - 1) / t, K0 / t
    sc.it2j0y0: (lambda ans, x: (1 - sc.j0(x)) / x, lambda ans, x: -sc.y0(x) / x),
    sc.it2i0k0: (lambda ans, x: (sc.i0(x) - 1) / x, lambda ans, x: -sc.k0(x) / x),
    sc.sici: (lambda ans, x: np.sinc(x / math.pi), lambda ans, x: np.cos(x) / x),
    sc.shichi: (lambda ans, x: _sinhc(x), lambda ans, x: np.cosh(x) / x),
    sc.fresnel: (lambda ans, z: np.sin(0.5 * math.pi * z * z), lambda ans, z: np.cos(0.5 * math.pi * z * z)),
}


class SeveralOutputs:
    """A ufunc with several outputs (``sici``, ``fresnel``): on traced values, one primitive per output.

    Each output's primitive runs the ufunc and keeps that output, so its values are SciPy's.

    Example:
        >>> import zymo, scipy.special as sc
        >>> float(zymo.grad(lambda z: sc.fresnel(z)[1])(0.0))
        1.0
    """

    def __init__(self, ufunc, label: str, partials):
        self._ufunc = ufunc
        saves = tuple(range(ufunc.nin))
        self._outputs = tuple(
            from_partials(_output(ufunc, k), *(d if type(d) is tuple else (d,)), saves=saves, name=f"{label}[{k}]")
            for k, d in enumerate(partials)
        )
        self.__name__ = ufunc.__name__
        self.__doc__ = ufunc.__doc__

    def __call__(self, *args, **kwargs):
        if kwargs:
            raise TypeError(f"zymo's {self.__name__} on traced values takes no keyword arguments")
        return tuple(p(*args) for p in self._outputs)

    def __getattr__(self, name):
        return getattr(self._ufunc, name)


def _output(ufunc, k: int):
    def impl(*args):
        return ufunc(*args)[k]

    impl.__name__ = f"{ufunc.__name__}_{k}"
    return impl


# Piecewise-constant or integer-valued: run on the plain values, no derivative.
ZERO_GRADIENT = [sc.gammasgn, sc.round]

# The ufuncs of scipy.special that have no rule, and why; on a traced value each raises zymo's error naming
# it and the caller's line. ``tests/scipy/test_special_ufuncs.py`` checks that every ufunc SciPy has is
# either covered above or listed here.
_NOT_A_SPECIAL_FUNCTION = "its derivative is not a function scipy.special provides"
_PARAMETER_INVERSE = (
    "it solves for a shape parameter or is a noncentral distribution: its derivative needs the distribution's "
    "derivative in that parameter, which scipy.special does not provide"
)
_COMPLEX_ONLY = "it takes or returns complex values only"
_ANGULAR = "the derivative in x is its second output; higher derivatives need the characteristic value's derivative"
WITHOUT_RULES = {
    **dict.fromkeys(
        ["agm", "besselpoly", "kolmogorov", "kolmogi", "smirnov", "smirnovi", "tklmbda", "zetac", "voigt_profile"],
        _NOT_A_SPECIAL_FUNCTION,
    ),
    **dict.fromkeys(["elliprc", "elliprd", "elliprf", "elliprg", "elliprj"], _NOT_A_SPECIAL_FUNCTION),
    **dict.fromkeys(["eval_sh_jacobi", "mathieu_a", "mathieu_b", "obl_cv", "pro_cv"], _NOT_A_SPECIAL_FUNCTION),
    **dict.fromkeys(
        ["bdtrik", "bdtrin", "btdtria", "btdtrib", "chdtriv", "fdtridfd", "gdtria", "gdtrib", "nbdtrik", "nbdtrin"],
        _PARAMETER_INVERSE,
    ),
    **dict.fromkeys(["pdtrik", "stdtridf", "chndtr", "chndtridf", "chndtrinc", "chndtrix"], _PARAMETER_INVERSE),
    **dict.fromkeys(["ncfdtr", "ncfdtri", "ncfdtridfd", "ncfdtridfn", "ncfdtrinc"], _PARAMETER_INVERSE),
    **dict.fromkeys(["nctdtr", "nctdtridf", "nctdtrinc", "nctdtrit"], _PARAMETER_INVERSE),
    **dict.fromkeys(
        ["hankel1", "hankel1e", "hankel2", "hankel2e", "kelvin", "modfresnelm", "modfresnelp", "wofz"],
        _COMPLEX_ONLY,
    ),
    **dict.fromkeys(["mathieu_cem", "mathieu_sem", "mathieu_modcem1", "mathieu_modcem2"], _ANGULAR),
    **dict.fromkeys(["mathieu_modsem1", "mathieu_modsem2", "obl_ang1", "obl_ang1_cv", "obl_rad1"], _ANGULAR),
    **dict.fromkeys(["obl_rad1_cv", "obl_rad2", "obl_rad2_cv", "pro_ang1", "pro_ang1_cv", "pro_rad1"], _ANGULAR),
    **dict.fromkeys(["pro_rad1_cv", "pro_rad2", "pro_rad2_cv"], _ANGULAR),
}

ENTRIES: dict[str, ZymoUfunc | SeveralOutputs] = {}


def _names(ufunc) -> list[str]:
    """The public names ``scipy.special`` gives ``ufunc`` (``psi`` and ``digamma`` are one ufunc)."""
    return [n for n in dir(sc) if not n.startswith("_") and getattr(sc, n) is ufunc]


def _register() -> None:
    for uf in [*DIFFERENTIABLE, *ZERO_GRADIENT, *SEVERAL_OUTPUTS]:
        names = _names(uf) or [uf.__name__]
        label = "scipy.special." + names[0]
        if uf in SEVERAL_OUTPUTS:
            entry = SeveralOutputs(uf, label, SEVERAL_OUTPUTS[uf])
        elif uf in DIFFERENTIABLE:
            partials, saves = DIFFERENTIABLE[uf]
            entry = ZymoUfunc(uf, from_partials(uf, *partials, saves=saves, name=label))
        else:
            entry = ZymoUfunc(uf, Primitive(uf, label, nondiff=True))
        entry.__name__ = names[0]
        UFUNCS[uf] = entry
        for n in names:
            ENTRIES[n] = entry


_register()
