"""Elementwise (ufunc) rules: arithmetic, exponentials, trigonometry, selection.

Complex values follow JAX's convention. A cotangent ``c`` pairs with a
tangent ``t`` as ``Re(sum(c * t))`` (no conjugation), so:

- for a holomorphic ``f`` (``exp``, ``sin``, ``multiply``, ``sum``, ...) the
  reverse rule is ``g * f'(z)`` and the forward rule ``t * f'(z)``;
- for a real-valued ``f`` of complex ``z = x + iy`` (``abs``, ``real``,
  ``imag``, ``angle``), ``grad(f)(z) = df/dx - i df/dy``: the conjugate of the
  steepest-ascent direction (step with ``z - lr * conj(grad)``);
- a real input reached by a complex cotangent gets its real part, so its
  gradient stays real and keeps the input's dtype.

``zymo.grad`` needs a real scalar output; use ``zymo.vjp`` for complex outputs.

Example:
    >>> import zymo, zymo.numpy as znp
    >>> complex(zymo.grad(lambda z: znp.abs(z) ** 2)(3.0 + 4.0j))  # d/dx - i d/dy of x^2 + y^2
    (6-8j)
"""

from __future__ import annotations

import copy
import inspect
import operator
from collections.abc import Sequence
from typing import Any, Callable

import numpy as np
from numpy.typing import ArrayLike

from ..core.dispatch import FUNCTIONS, SPECIAL, UFUNCS, implements
from ..core.forward import defjvp, defjvp_all
from ..core.jit_codegen import definline
from ..core.primitive import Primitive
from ..core.recording import observe, observed_call
from ..core.reverse import Absent, defvjp, defvjp_plain
from ..core.tracer import Tracer, bottom
from ..core.tracer_methods import masked_result
from .helpers import (
    cotangent_for,
    dtype_of,
    from_partials,
    has_tracer,
    is_complex,
    linear,
    lowest,
    mask_of,
    unbroadcast,
    unbroadcast_expr,
    write_out,
    zeros_for,
)
from .indexing import laid_out_as_copy_of

# Derivatives that are a convention where the function is not differentiable, stated in the docstrings.
DERIVATIVE_CONVENTIONS = {
    "absolute": "the derivative at 0 is 0 (``sign(0)``, as PyTorch and autograd; JAX takes 1): the symmetric "
    "choice composes with the even split at ties of ``maximum``, so ``log1p(exp(-abs(x))) + maximum(x, 0)`` "
    "(softplus) has its derivative 0.5 at 0; for complex ``z`` it is ``conj(z) / |z|``, 0 at 0.",
    "fabs": "the derivative at 0 is 0 (``sign(0)``, as PyTorch and autograd; JAX takes 1).",
    "sqrt": "the derivative at 0 is ``inf`` (``0.5 / sqrt(0)``, as JAX).",
    "cbrt": "the derivative at 0 is ``inf`` (as JAX).",
    "power": "``d x**y / dx`` is 0 where ``y == 0``, also at ``x == 0`` (``x ** 0`` is constant); "
    "``d x**y / dy`` is ``x**y * log(x)``, taken as 0 where ``x <= 0`` (JAX: 0 at ``x == 0``, NaN below).",
    "maximum": "at ties (``x1 == x2``) each argument gets half the derivative (as JAX).",
    "minimum": "at ties (``x1 == x2``) each argument gets half the derivative (as JAX).",
    "fmax": "at ties (``x1 == x2``) each argument gets half the derivative (as ``maximum``).",
    "fmin": "at ties (``x1 == x2``) each argument gets half the derivative (as ``minimum``).",
    "nextafter": "derivative 1 in ``x1`` and 0 in the direction ``x2``: the result is ``x1`` moved by one unit "
    "in the last place, so it follows ``x1`` (JAX defines no derivative).",
    "copysign": "derivative 1 in ``x1`` where its sign is kept, -1 where it is flipped, and 0 in ``x2``.",
    "sign": "derivative 0 everywhere (also at 0).",
    "heaviside": "derivative 0 everywhere (also at 0).",
}


class ZymoUfunc:
    """A NumPy ufunc that records on traced values; other attributes are the ufunc's."""

    def __init__(self, ufunc, prim):
        self._ufunc = ufunc
        self._prim = prim
        self.__name__ = ufunc.__name__
        note = DERIVATIVE_CONVENTIONS.get(ufunc.__name__)
        self.__doc__ = ufunc.__doc__ if note is None else f"{ufunc.__doc__}\n\nDerivative (zymo): {note}\n"

    def __call__(self, *args, **kwargs):
        for a in args:
            if type(a) is list or type(a) is tuple:  # lists of traced values become one traced array
                args = tuple(_as_array(x) for x in args)
                break
        if kwargs:
            out = kwargs.pop("out", None)
            where = kwargs.pop("where", True)
            r = self._prim(*args, **kwargs)
            if where is not True:
                r = masked_result(self._ufunc, where, r, out)
            return r if out is None else write_out(out, r)
        return self._prim(*args)

    def __getattr__(self, name):
        return getattr(self._ufunc, name)

    def __repr__(self):
        return f"<zymo ufunc {self.__name__}>"

    @property
    def __signature__(self) -> inspect.Signature:
        """The ufunc's call signature, with array type hints."""
        return _ufunc_signature(self._ufunc.nin, self._ufunc.nout)


def _as_array(x):
    if (type(x) is list or type(x) is tuple) and has_tracer(x):
        return FUNCTIONS[np.asarray](x)
    return x


def _ufunc_signature(nin: int, nout: int) -> inspect.Signature:
    P = inspect.Parameter
    names = ["x"] if nin == 1 else [f"x{i + 1}" for i in range(nin)]
    params = [P(n, P.POSITIONAL_ONLY, annotation="ArrayLike") for n in names]
    params += [P("out", P.POSITIONAL_OR_KEYWORD, default=None, annotation="np.ndarray | None")]
    params += [P("kwargs", P.VAR_KEYWORD, annotation="Any")]
    result = "np.ndarray" if nout == 1 else f"tuple[{', '.join(['np.ndarray'] * nout)}]"
    return inspect.Signature(params, return_annotation=result)


ufunc_entry: dict[str, ZymoUfunc] = {}


def register_ufunc(ufunc, prim):
    entry = ZymoUfunc(ufunc, prim)
    ufunc_entry[ufunc.__name__] = entry
    UFUNCS[ufunc] = entry
    return prim


_mask = mask_of


_SHAPED = (np.ndarray, Absent)


def _same_shape_real(g, x) -> bool:
    return type(x) in _SHAPED and x.shape == g.shape


def _add_plain(g, ans, need, x, y, **params):
    """``add``'s two cotangents in one call (the common case: nothing to sum, both real)."""
    if g.dtype.kind == "c":
        return None
    return (
        g if need[0] < 0 or _same_shape_real(g, x) else cotangent_for(g, x),
        g if need[1] < 0 or _same_shape_real(g, y) else cotangent_for(g, y),
    )


# --- arithmetic, with hand-written fast rules ---------------------------------

add_p = register_ufunc(np.add, Primitive(np.add, "add"))
linear(
    add_p,
    lambda g, ans, x, y, **kw: cotangent_for(g, x),
    lambda g, ans, x, y, **kw: cotangent_for(g, y),
)
defvjp_plain(add_p, _add_plain)


def _linear_inline(*signs: str) -> Callable:
    """``zymo.jit``'s inline rule of ``add``/``subtract``/``negative``: each argument gets ``sign g``, summed."""

    def inline(need, ans, *args, **params):
        exprs = []
        for p, a, sign in zip(need, args, signs):
            if p < 0:
                exprs.append(None)
            elif a is None:
                return None
            else:
                exprs.append(unbroadcast_expr(sign + "{g}", ans[0], a[0]))
        return exprs, {}

    return inline


definline(add_p, _linear_inline("", ""))
subtract_p = register_ufunc(np.subtract, Primitive(np.subtract, "subtract"))
linear(
    subtract_p,
    lambda g, ans, x, y, **kw: cotangent_for(g, x),
    lambda g, ans, x, y, **kw: cotangent_for(-g, y),
)
definline(subtract_p, _linear_inline("", "-"))
negative_p = register_ufunc(np.negative, Primitive(np.negative, "negative"))
linear(negative_p, lambda g, ans, x, **kw: -g)
definline(negative_p, _linear_inline("-"))
positive_p = register_ufunc(np.positive, Primitive(np.positive, "positive"))
linear(positive_p, lambda g, ans, x, **kw: g)

multiply_p = register_ufunc(np.multiply, Primitive(np.multiply, "multiply"))
defvjp(
    multiply_p,
    lambda g, ans, x, y, **kw: cotangent_for(g * y, x),
    lambda g, ans, x, y, **kw: cotangent_for(g * x, y),
    saves=(0, 1),
)
defjvp(multiply_p, lambda t, ans, x, y, **kw: t * y, lambda t, ans, x, y, **kw: x * t)


def _multiply_inline(need, ans, x, y, **params):
    exprs = []
    for p, a, other in zip(need, (x, y), ("{a1}", "{a0}")):
        if p < 0:
            exprs.append(None)
        elif a is None:
            return None
        else:
            exprs.append(unbroadcast_expr("{g} * " + other, ans[0], a[0]))
    return exprs, {}


definline(multiply_p, _multiply_inline)


def _reciprocal(y):
    # A Python 0 divisor: NumPy's inf, not Python's ZeroDivisionError; other Python numbers stay weakly typed.
    return np.divide(1.0, y) if type(y) in (int, float) and y == 0 else 1.0 / y


def _quotient(a, b):
    """``a / b``; a Python 0 divisor gives NumPy's inf or NaN, not Python's ZeroDivisionError."""
    return np.divide(a, b) if type(b) in (int, float) and b == 0 else a / b


register_ufunc(
    np.divide,
    from_partials(np.divide, lambda ans, x, y: _reciprocal(y), lambda ans, x, y: -ans / y, saves=(1, "ans")),
)


def _pow_dx(ans, x, y):
    """``y * x ** (y - 1)``; 0 where ``y == 0`` (JAX's convention: ``x ** 0`` is constant, also at ``x = 0``)."""
    if type(y) in (int, float):
        if y == 2:
            return 2 * x
        if y == 0:
            return 0.0 * x
        return y * np.power(x, y - 1)
    origin = np.logical_and(np.equal(lowest(y), 0), np.equal(lowest(x), 0))
    if np.any(origin):  # 0 * 0 ** -1 would be NaN; a base of 1 there keeps every derivative finite
        x = np.where(origin, 1.0, x)
    return y * np.power(x, y - 1)


def _pow_dy(ans, x, y):
    if type(x) in (int, float):  # a Python base stays weakly typed (float32 stays float32)
        return ans * (float(np.log(x)) if x > 0 else 0.0)
    if type(x) is complex:
        return ans * (complex(np.log(x)) if x != 0 else 0.0)
    if is_complex(x):
        return ans * np.log(np.where(x == 0, 1, x))
    return ans * np.log(np.where(x > 0, x, 1))


register_ufunc(np.power, from_partials(np.power, _pow_dx, _pow_dy, saves=(0, 1, "ans")))
register_ufunc(
    np.float_power,
    from_partials(
        np.float_power,
        lambda ans, x, y: y * np.float_power(x, y - 1),
        _pow_dy,
    ),
)

# --- one-argument functions, from their derivatives --------------------------
_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))

_UNARY = {
    np.exp: (lambda ans, x: ans, ("ans",)),
    np.exp2: (lambda ans, x: ans * _LN2, ("ans",)),
    np.expm1: (lambda ans, x: ans + 1, ("ans",)),
    np.log: (lambda ans, x: 1 / x, (0,)),
    np.log1p: (lambda ans, x: 1 / (x + 1), (0,)),
    np.log2: (lambda ans, x: 1 / (x * _LN2), (0,)),
    np.log10: (lambda ans, x: 1 / (x * _LN10), (0,)),
    np.sqrt: (lambda ans, x: 0.5 / ans, ("ans",)),
    np.cbrt: (lambda ans, x: 1 / (3 * ans * ans), ("ans",)),
    np.square: (lambda ans, x: 2 * x, (0,)),
    np.reciprocal: (lambda ans, x: -(ans * ans), ("ans",)),
    np.sin: (lambda ans, x: np.cos(x), (0,)),
    np.cos: (lambda ans, x: -np.sin(x), (0,)),
    np.tan: (lambda ans, x: 1 + ans * ans, ("ans",)),
    np.arcsin: (lambda ans, x: 1 / np.sqrt(1 - x * x), (0,)),
    np.arccos: (lambda ans, x: -1 / np.sqrt(1 - x * x), (0,)),
    np.arctan: (lambda ans, x: 1 / (1 + x * x), (0,)),
    np.sinh: (lambda ans, x: np.cosh(x), (0,)),
    np.cosh: (lambda ans, x: np.sinh(x), (0,)),
    np.tanh: (lambda ans, x: 1 - ans * ans, ("ans",)),
    np.arcsinh: (lambda ans, x: 1 / np.sqrt(x * x + 1), (0,)),
    np.arccosh: (lambda ans, x: 1 / np.sqrt(x * x - 1), (0,)),
    np.arctanh: (lambda ans, x: 1 / (1 - x * x), (0,)),
    np.deg2rad: (lambda ans, x: np.pi / 180, ()),
    np.rad2deg: (lambda ans, x: 180 / np.pi, ()),
}
for _uf, (_d, _saves) in _UNARY.items():
    register_ufunc(_uf, from_partials(_uf, _d, saves=_saves))


def _safe(r):
    """``r`` with zeros replaced by ones (a divisor where the numerator vanishes too)."""
    return np.where(r == 0, 1, r)


def _abs_vjp(g, ans, x):
    if is_complex(x):
        return g * np.conjugate(x) / _safe(ans)
    return cotangent_for(g * (_mask(x > 0, x) - _mask(x < 0, x)), x)


def _abs_jvp(t, ans, x):
    if is_complex(x):
        return np.real(np.conjugate(x) * t) / _safe(ans)
    return t * (_mask(x > 0, x) - _mask(x < 0, x))


absolute_p = register_ufunc(np.absolute, Primitive(np.absolute, "absolute"))
defvjp(absolute_p, _abs_vjp, saves=(0, "ans"))
defjvp(absolute_p, _abs_jvp)
ufunc_entry["abs"] = ufunc_entry["absolute"]
fabs_p = register_ufunc(np.fabs, Primitive(np.fabs, "fabs"))  # real inputs only, as NumPy's
defvjp(fabs_p, _abs_vjp, saves=(0, "ans"))
defjvp(fabs_p, _abs_jvp)
ufunc_entry["radians"] = ufunc_entry["deg2rad"]
ufunc_entry["degrees"] = ufunc_entry["rad2deg"]
UFUNCS[np.radians] = ufunc_entry["deg2rad"]
UFUNCS[np.degrees] = ufunc_entry["rad2deg"]


# --- two-argument functions ---------------------------------------------------
def _picks(first: bool):
    """Derivative of max/min-like selection: 1 where chosen, split evenly at ties."""

    def d(ans, x, y):
        mine = x if first else y
        chosen = _mask(mine == ans, ans)
        tie = _mask(x == y, ans)
        return chosen / (1 + tie)

    return d


_BINARY = {
    np.maximum: (_picks(True), _picks(False), (0, 1, "ans")),
    np.minimum: (_picks(True), _picks(False), (0, 1, "ans")),
    np.fmax: (_picks(True), _picks(False), (0, 1, "ans")),
    np.fmin: (_picks(True), _picks(False), (0, 1, "ans")),
    np.arctan2: (lambda ans, y, x: _quotient(x, x * x + y * y), lambda ans, y, x: _quotient(-y, x * x + y * y), (0, 1)),
    np.hypot: (lambda ans, x, y: x / ans, lambda ans, x, y: y / ans, (0, 1, "ans")),
    np.logaddexp: (lambda ans, x, y: np.exp(x - ans), lambda ans, x, y: np.exp(y - ans), (0, 1, "ans")),
    np.logaddexp2: (lambda ans, x, y: np.exp2(x - ans), lambda ans, x, y: np.exp2(y - ans), (0, 1, "ans")),
    np.remainder: (lambda ans, x, y: 1, lambda ans, x, y: -np.floor_divide(x, y), (0, 1)),
    np.fmod: (lambda ans, x, y: 1, lambda ans, x, y: -np.trunc(np.true_divide(x, y)), (0, 1)),
}
for _uf, (_d0, _d1, _saves) in _BINARY.items():
    register_ufunc(_uf, from_partials(_uf, _d0, _d1, saves=_saves))
ufunc_entry["mod"] = ufunc_entry["remainder"]


# --- zero-gradient and non-differentiable ufuncs: computed on plain values ----------
ZERO_GRADIENT_UFUNCS = [np.sign, np.floor, np.ceil, np.rint, np.trunc, np.floor_divide, np.heaviside, np.spacing]
NONDIFF_UFUNCS = [
    np.less,
    np.less_equal,
    np.greater,
    np.greater_equal,
    np.equal,
    np.not_equal,
    np.isnan,
    np.isinf,
    np.isfinite,
    np.signbit,
    np.logical_and,
    np.logical_or,
    np.logical_not,
    np.logical_xor,
    np.bitwise_and,
    np.bitwise_or,
    np.bitwise_xor,
    np.invert,
    np.left_shift,
    np.right_shift,
    np.gcd,
    np.lcm,
    np.bitwise_count,
    np.isnat,
]
for _uf in ZERO_GRADIENT_UFUNCS + NONDIFF_UFUNCS:
    register_ufunc(_uf, Primitive(_uf, _uf.__name__, nondiff=True))
ufunc_entry["bitwise_not"] = ufunc_entry["invert"]


# --- selection ---------------------------------------------------------------
def _where_impl(cond, x, y):
    return np.where(cond, x, y)


where_p = Primitive(_where_impl, "where")
defvjp(
    where_p,
    None,
    lambda g, ans, c, x, y: cotangent_for(g * _mask(c, g), x),
    lambda g, ans, c, x, y: cotangent_for(g * _mask(c, g, negate=True), y),
    saves=(0,),
)
defjvp_all(
    where_p,
    lambda ts, ans, c, x, y: where_p(
        c, zeros_for(x) if ts[1] is None else ts[1], zeros_for(y) if ts[2] is None else ts[2]
    ),
)


@implements(np.where)
def where(
    condition: ArrayLike, x: ArrayLike | None = None, y: ArrayLike | None = None
) -> np.ndarray | tuple[np.ndarray, ...]:
    """``numpy.where``; with one argument it returns indices (no gradient).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.where(x > 0, x, 0.1 * x).sum())(znp.array([-1.0, 2.0]))
        array([0.1, 1. ])
    """
    if x is None and y is None:
        return np.where(observe(condition))
    return where_p(observe(condition), x, y)


def _clip_impl(x, lo, hi):
    return np.clip(x, lo, hi)


clip_p = Primitive(_clip_impl, "clip")
defvjp(
    clip_p,
    lambda g, ans, x, lo, hi: g * _mask(_inside(x, lo, hi), g),
    lambda g, ans, x, lo, hi: unbroadcast(g * _mask(np.less(x, lo), g), lo),
    lambda g, ans, x, lo, hi: unbroadcast(g * _mask(np.greater(x, hi), g), hi),
    saves=(0, 1, 2),
)


def _inside(x, lo, hi):
    above = None if lo is None else np.greater_equal(x, lo)
    below = None if hi is None else np.less_equal(x, hi)
    if above is None or below is None:
        inside = above if below is None else below
        return np.ones(np.shape(x), bool) if inside is None else inside
    return np.logical_and(above, below)


defjvp(
    clip_p,
    lambda t, ans, x, lo, hi: t * _mask(_inside(x, lo, hi), t),
    lambda t, ans, x, lo, hi: t * _mask(np.less(x, lo), t),
    lambda t, ans, x, lo, hi: t * _mask(np.greater(x, hi), t),
)


@implements(np.clip)
def clip(
    a: ArrayLike,
    a_min: ArrayLike | None = None,
    a_max: ArrayLike | None = None,
    out: np.ndarray | None = None,
    *,
    min: ArrayLike | None = None,
    max: ArrayLike | None = None,
    **kwargs: Any,
) -> np.ndarray:
    """``numpy.clip``: gradient flows to ``a`` inside the bounds and to a bound where it binds.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.clip(x, 0.0, 1.0).sum())(znp.array([-1.0, 0.5, 2.0]))
        array([0., 1., 0.])
    """
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    r = clip_p(a, lo, hi)
    return r if out is None else write_out(out, r)


FUNCTIONS[np.clip] = clip


@implements(np.select)
def select(condlist: Sequence[ArrayLike], choicelist: Sequence[ArrayLike], default: ArrayLike = 0) -> np.ndarray:
    """``numpy.select``: the first true condition picks its choice; the gradient follows the pick.

    Example:
        >>> import zymo.numpy as znp
        >>> x = znp.array([-1.0, 0.5, 2.0])
        >>> znp.select([x < 0, x > 1], [-x, x * 10], default=0.0)
        array([ 1.,  0., 20.])
    """
    if not has_tracer([*choicelist, default]):
        return np.select([observe(c) for c in condlist], choicelist, default)
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(choicelist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    plain = [c if type(c) in (int, float, complex) else np.asarray(bottom(c)) for c in [*choicelist, default]]
    dtype = np.result_type(*plain)
    shape = np.broadcast_shapes(*[np.shape(bottom(c)) for c in [*condlist, *choicelist]])
    if type(default) is Tracer:
        result = np.broadcast_to(default, shape)
    else:
        result = np.full(shape, plain[-1], dtype)
    for i, (cond, choice) in reversed(list(enumerate(zip(condlist, choicelist)))):
        cond = np.asarray(observe(cond))
        if cond.dtype != bool:
            raise TypeError(f"invalid entry {i} in condlist: should be boolean ndarray")
        result = where_p(cond, choice, result)
    result = result.astype(dtype) if dtype_of(result) != dtype else result
    return laid_out_as_copy_of(result, np.empty(shape, dtype))  # NumPy writes the picks into ``np.full(shape, ...)``


# --- sinc: exact derivatives of every order, also at zero ----------------------------
def _sinc_maclaurin_impl(u, k=0):
    """The ``k``-th derivative of ``sin(u)/u`` at ``u = 0``, shaped like ``u``."""
    value = 0.0 if k % 2 else (-1.0) ** (k // 2) / (k + 1)
    return np.zeros_like(u) + value


sinc_maclaurin_p = Primitive(_sinc_maclaurin_impl, "sinc_maclaurin")
defvjp(sinc_maclaurin_p, lambda g, ans, u, k=0: g * sinc_maclaurin_p(u, k=k + 1), saves=(0,))
defjvp(sinc_maclaurin_p, lambda t, ans, u, k=0: t * sinc_maclaurin_p(u, k=k + 1))


def _sinc_derivative(ans, x):
    """``d sinc / dx``: ``(cos(pi x) - sinc(x)) / x``, and its Maclaurin value at zero."""
    zero = np.equal(bottom(x), 0)
    pi_x = np.pi * x
    at_zero = np.pi * sinc_maclaurin_p(pi_x, k=1)
    if not zero.any():
        return (np.cos(pi_x) - ans) / x
    return np.where(zero, at_zero, (np.cos(pi_x) - sinc_p(x)) / np.where(zero, 1, x))


sinc_p = Primitive(np.sinc, "sinc")
defvjp(sinc_p, lambda g, ans, x: cotangent_for(g * _sinc_derivative(ans, x), x), saves=(0, "ans"))
defjvp(sinc_p, lambda t, ans, x: t * _sinc_derivative(ans, x))


@implements(np.sinc)
def sinc(x: ArrayLike) -> np.ndarray:
    """``numpy.sinc`` (``sin(pi x) / (pi x)``), with exact derivatives of any order at zero too.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> round(float(zymo.grad(zymo.grad(znp.sinc))(0.0)), 10)  # -pi**2 / 3
        -3.2898681337
    """
    return sinc_p(x)


# --- nan_to_num ----------------------------------------------------------------------
def _nan_to_num_impl(x, nan=0.0, posinf=None, neginf=None):
    return np.nan_to_num(x, copy=True, nan=nan, posinf=posinf, neginf=neginf)


nan_to_num_p = Primitive(_nan_to_num_impl, "nan_to_num")
defvjp(nan_to_num_p, lambda g, ans, x, **params: g * _mask(np.isfinite(bottom(x)), g), saves=(0,))
defjvp(nan_to_num_p, lambda t, ans, x, **params: t * _mask(np.isfinite(bottom(x)), t))


@implements(np.nan_to_num)
def nan_to_num(
    x: ArrayLike, copy: bool = True, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> np.ndarray:
    """``numpy.nan_to_num``: the gradient flows through finite entries; replaced ones get zero.

    On a traced value the result is always a new array (``copy=False`` does not write in place).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: (znp.nan_to_num(x) * 3.0).sum())(znp.array([znp.nan, 2.0]))
        array([0., 3.])
    """
    if type(x) is not Tracer:
        return np.nan_to_num(x, copy=copy, nan=nan, posinf=posinf, neginf=neginf)
    return nan_to_num_p(x, nan=nan, posinf=posinf, neginf=neginf)


def _operator_variant(prim: Primitive, op) -> Primitive:
    """``prim`` computed by the Python operator ``op``, with the same rules.

    Operators differ from their ufuncs: two Python numbers give a Python
    number (weakly typed, so ``s * 0.5 * x32`` stays float32), and NumPy's
    ``x ** y`` uses scalar code and fast paths whose last bit can differ from
    ``np.power``. Traced operators call the operator, so values equal NumPy's.
    """
    variant = copy.copy(prim)
    variant.impl = variant.__wrapped__ = op
    return variant


for _name, _uf, _op in [
    ("add", np.add, operator.add),
    ("sub", np.subtract, operator.sub),
    ("mul", np.multiply, operator.mul),
    ("truediv", np.true_divide, operator.truediv),
    ("mod", np.remainder, operator.mod),
    ("pow", np.power, operator.pow),
    ("neg", np.negative, operator.neg),
    ("pos", np.positive, operator.pos),
    ("abs", np.absolute, operator.abs),
]:
    SPECIAL[_name] = _operator_variant(UFUNCS[_uf]._prim, _op)


# --- sign and exponent manipulation: copysign, nextafter, ldexp, frexp, modf, divmod ---------------
def _copysign_d0(ans, x, y):
    """``d copysign(x, y) / dx``: 1 where the sign is kept, -1 where it is flipped."""
    flipped = np.not_equal(np.signbit(bottom(x)), np.signbit(bottom(ans)))
    return 1 - 2 * _mask(flipped, ans)


register_ufunc(np.copysign, from_partials(np.copysign, _copysign_d0, lambda ans, x, y: 0.0, saves=(0, "ans")))
# ``nextafter(x, y)`` is ``x`` moved by one unit in the last place: it follows ``x`` (derivative 1), not ``y``.
register_ufunc(np.nextafter, from_partials(np.nextafter, lambda ans, x, y: 1.0, lambda ans, x, y: 0.0, saves=()))
# ``ldexp(x, n) = x * 2**n``; the integer exponent ``n`` has no derivative.
ldexp_p = register_ufunc(np.ldexp, Primitive(np.ldexp, "ldexp"))  # no jit inline rule: its exponent is an integer
defvjp(ldexp_p, lambda g, ans, x, n: cotangent_for(g * np.ldexp(np.ones_like(x), n), x), None, saves=(0, 1))
defjvp(ldexp_p, lambda t, ans, x, n: t * np.ldexp(np.ones_like(x), n))


def _exponent(x):
    return np.frexp(x)[1]


@implements(np.frexp)
def frexp(x: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``numpy.frexp``: ``(mantissa, exponent)``; the mantissa ``x * 2**-exponent`` has derivative ``2**-exponent``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.frexp(x)[0])(3.0)  # 3 = 0.75 * 2**2
        0.25
    """
    if type(x) is not Tracer:
        return np.frexp(x)
    e = observed_call(_exponent, x)
    return ufunc_entry["ldexp"](x, -e), e


def _fractional_part(x):
    return np.modf(x)[0]


fractional_part_p = Primitive(_fractional_part, "modf")  # derivative 1 (not linear: the forward rule is t itself)
defvjp(fractional_part_p, lambda g, ans, x: cotangent_for(g, x), saves=())
defjvp(fractional_part_p, lambda t, ans, x: t)
whole_part_p = Primitive(lambda x: np.modf(x)[1], "modf_whole_part", nondiff=True)


@implements(np.modf)
def modf(x: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``numpy.modf``: ``(fractional part, integral part)``; the fractional part has derivative 1, the integral 0.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.modf(x)[0] * 2)(2.5)
        2.0
    """
    if type(x) is not Tracer:
        return np.modf(x)
    return fractional_part_p(x), whole_part_p(x)


@implements(np.divmod)
def divmod(x1: ArrayLike, x2: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``numpy.divmod``: ``(floor_divide(x1, x2), remainder(x1, x2))``, each with its own rule.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.divmod(x, 2.0)[1])(5.5)
        1.0
    """
    return ufunc_entry["floor_divide"](x1, x2), ufunc_entry["remainder"](x1, x2)
