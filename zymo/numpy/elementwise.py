"""Elementwise (ufunc) rules: arithmetic, exponentials, trigonometry, comparisons-free selection."""

from __future__ import annotations

import numpy as np

from ..core.array_api import _write_out
from ..core.dispatch import FUNCTIONS, UFUNCS, implements
from ..core.forward import defjvp, defjvp_all
from ..core.primitive import Primitive
from ..core.reverse import defvjp
from ._rules import dtype_of, elementwise, linear, unbroadcast, zeros_for

__all__ = ["ufunc_entry", "ZERO_GRADIENT_UFUNCS", "NONDIFF_UFUNCS"]


class ZymoUfunc:
    """A NumPy ufunc that records on traced values; other attributes are the ufunc's."""

    def __init__(self, ufunc, prim):
        self._ufunc = ufunc
        self._prim = prim
        self.__name__ = ufunc.__name__
        self.__doc__ = ufunc.__doc__

    def __call__(self, *args, **kwargs):
        if kwargs:
            out = kwargs.pop("out", None)
            where = kwargs.pop("where", True)
            if where is not True:
                raise TypeError("zymo does not differentiate ufuncs with `where=`; use zymo.numpy.where instead")
            r = self._prim(*args, **kwargs)
            return r if out is None else _write_out(out, r)
        return self._prim(*args)

    def __getattr__(self, name):
        return getattr(self._ufunc, name)

    def __repr__(self):
        return f"<zymo ufunc {self.__name__}>"


ufunc_entry: dict[str, ZymoUfunc] = {}


def _register(ufunc, prim):
    entry = ZymoUfunc(ufunc, prim)
    ufunc_entry[ufunc.__name__] = entry
    UFUNCS[ufunc] = entry
    return prim


def _mask(cond, like):
    """A 0/1 array of ``like``'s dtype (keeps float32 gradients float32)."""
    return np.asarray(cond).astype(dtype_of(like))


# --- arithmetic, with hand-written fast rules ---------------------------------

add_p = _register(np.add, Primitive(np.add, "add"))
linear(
    add_p,
    lambda g, ans, x, y, **kw: unbroadcast(g, x),
    lambda g, ans, x, y, **kw: unbroadcast(g, y),
)
subtract_p = _register(np.subtract, Primitive(np.subtract, "subtract"))
linear(
    subtract_p,
    lambda g, ans, x, y, **kw: unbroadcast(g, x),
    lambda g, ans, x, y, **kw: unbroadcast(-g, y),
)
negative_p = _register(np.negative, Primitive(np.negative, "negative"))
linear(negative_p, lambda g, ans, x, **kw: -g)
positive_p = _register(np.positive, Primitive(np.positive, "positive"))
linear(positive_p, lambda g, ans, x, **kw: g)

multiply_p = _register(np.multiply, Primitive(np.multiply, "multiply"))
defvjp(
    multiply_p,
    lambda g, ans, x, y, **kw: unbroadcast(g * y, x),
    lambda g, ans, x, y, **kw: unbroadcast(g * x, y),
    saves=(0, 1),
)
defjvp(multiply_p, lambda t, ans, x, y, **kw: t * y, lambda t, ans, x, y, **kw: x * t)

_register(
    np.divide,
    elementwise(np.divide, lambda ans, x, y: 1.0 / y, lambda ans, x, y: -ans / y, saves=(1, "ans"), register=False),
)


def _pow_dx(ans, x, y):
    if type(y) in (int, float) and y == 2:
        return 2 * x
    return y * np.power(x, y - 1)


def _pow_dy(ans, x, y):
    return ans * np.log(np.where(x > 0, x, 1))


_register(np.power, elementwise(np.power, _pow_dx, _pow_dy, saves=(0, 1, "ans"), register=False))
_register(
    np.float_power,
    elementwise(
        np.float_power,
        lambda ans, x, y: y * np.float_power(x, y - 1),
        lambda ans, x, y: ans * np.log(np.where(x > 0, x, 1)),
        register=False,
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
    np.absolute: (lambda ans, x: _mask(x > 0, x) - _mask(x < 0, x), (0,)),
    np.deg2rad: (lambda ans, x: np.pi / 180, ()),
    np.rad2deg: (lambda ans, x: 180 / np.pi, ()),
}
for _uf, (_d, _saves) in _UNARY.items():
    _register(_uf, elementwise(_uf, _d, saves=_saves, register=False))
ufunc_entry["abs"] = ufunc_entry["absolute"]
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
    np.arctan2: (lambda ans, y, x: x / (x * x + y * y), lambda ans, y, x: -y / (x * x + y * y), (0, 1)),
    np.hypot: (lambda ans, x, y: x / ans, lambda ans, x, y: y / ans, (0, 1, "ans")),
    np.logaddexp: (lambda ans, x, y: np.exp(x - ans), lambda ans, x, y: np.exp(y - ans), (0, 1, "ans")),
    np.logaddexp2: (lambda ans, x, y: np.exp2(x - ans), lambda ans, x, y: np.exp2(y - ans), (0, 1, "ans")),
    np.remainder: (lambda ans, x, y: 1, lambda ans, x, y: -np.floor_divide(x, y), (0, 1)),
    np.fmod: (lambda ans, x, y: 1, lambda ans, x, y: -np.trunc(np.true_divide(x, y)), (0, 1)),
}
for _uf, (_d0, _d1, _saves) in _BINARY.items():
    _register(_uf, elementwise(_uf, _d0, _d1, saves=_saves, register=False))
ufunc_entry["mod"] = ufunc_entry["remainder"]


# --- zero-gradient and non-differentiable ufuncs: computed on plain values ----------
ZERO_GRADIENT_UFUNCS = [np.sign, np.floor, np.ceil, np.rint, np.trunc, np.floor_divide, np.heaviside]
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
]
for _uf in ZERO_GRADIENT_UFUNCS + NONDIFF_UFUNCS:
    _register(_uf, Primitive(_uf, _uf.__name__, nondiff=True))
ufunc_entry["bitwise_not"] = ufunc_entry["invert"]


# --- selection ---------------------------------------------------------------
def _where_impl(cond, x, y):
    return np.where(cond, x, y)


where_p = Primitive(_where_impl, "where")
defvjp(
    where_p,
    None,
    lambda g, ans, c, x, y: unbroadcast(g * _mask(c, g), x),
    lambda g, ans, c, x, y: unbroadcast(g * _mask(np.logical_not(c), g), y),
    saves=(0,),
)
defjvp_all(
    where_p,
    lambda ts, ans, c, x, y: where_p(
        c, zeros_for(x) if ts[1] is None else ts[1], zeros_for(y) if ts[2] is None else ts[2]
    ),
)


@implements(np.where)
def where(condition, x=None, y=None):
    """``numpy.where``; with one argument it returns indices (no gradient)."""
    from ..core.tracer import bottom

    if x is None and y is None:
        return np.where(bottom(condition))
    return where_p(bottom(condition), x, y)


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
    inside = np.ones(np.shape(x), bool)
    if lo is not None:
        inside = np.logical_and(inside, np.greater_equal(x, lo))
    if hi is not None:
        inside = np.logical_and(inside, np.less_equal(x, hi))
    return inside


defjvp(
    clip_p,
    lambda t, ans, x, lo, hi: t * _mask(_inside(x, lo, hi), t),
    lambda t, ans, x, lo, hi: t * _mask(np.less(x, lo), t),
    lambda t, ans, x, lo, hi: t * _mask(np.greater(x, hi), t),
)


@implements(np.clip)
def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None, **kwargs):
    """``numpy.clip``: gradient flows to ``a`` inside the bounds and to a bound where it binds."""
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    r = clip_p(a, lo, hi)
    return r if out is None else _write_out(out, r)


FUNCTIONS[np.clip] = clip
