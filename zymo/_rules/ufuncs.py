"""NumPy's ufuncs as zymo records them, under NumPy's names (``zymo.numpy`` exports these).

Each is a ``ZymoUfunc``: it calls the primitive registered for the NumPy ufunc and forwards other
attributes (``nin``, ``identity``, ...) to NumPy's.

Example:
    >>> import numpy as np
    >>> from zymo._rules.ufuncs import tanh
    >>> tanh(np.zeros(2))
    array([0., 0.])
"""

from .complex_numbers import conj, conjugate
from .elementwise import divmod, frexp, modf, ufunc_entry

abs = ufunc_entry["absolute"]
absolute = ufunc_entry["absolute"]
add = ufunc_entry["add"]
arccos = ufunc_entry["arccos"]
arccosh = ufunc_entry["arccosh"]
arcsin = ufunc_entry["arcsin"]
arcsinh = ufunc_entry["arcsinh"]
arctan = ufunc_entry["arctan"]
arctan2 = ufunc_entry["arctan2"]
arctanh = ufunc_entry["arctanh"]
bitwise_and = ufunc_entry["bitwise_and"]
bitwise_not = ufunc_entry["invert"]
bitwise_or = ufunc_entry["bitwise_or"]
bitwise_xor = ufunc_entry["bitwise_xor"]
cbrt = ufunc_entry["cbrt"]
ceil = ufunc_entry["ceil"]
copysign = ufunc_entry["copysign"]
cos = ufunc_entry["cos"]
cosh = ufunc_entry["cosh"]
deg2rad = ufunc_entry["deg2rad"]
degrees = ufunc_entry["rad2deg"]
divide = ufunc_entry["divide"]
equal = ufunc_entry["equal"]
exp = ufunc_entry["exp"]
exp2 = ufunc_entry["exp2"]
fabs = ufunc_entry["fabs"]
expm1 = ufunc_entry["expm1"]
float_power = ufunc_entry["float_power"]
floor = ufunc_entry["floor"]
floor_divide = ufunc_entry["floor_divide"]
fmax = ufunc_entry["fmax"]
fmin = ufunc_entry["fmin"]
fmod = ufunc_entry["fmod"]
greater = ufunc_entry["greater"]
greater_equal = ufunc_entry["greater_equal"]
heaviside = ufunc_entry["heaviside"]
hypot = ufunc_entry["hypot"]
invert = ufunc_entry["invert"]
isfinite = ufunc_entry["isfinite"]
isinf = ufunc_entry["isinf"]
isnan = ufunc_entry["isnan"]
ldexp = ufunc_entry["ldexp"]
left_shift = ufunc_entry["left_shift"]
less = ufunc_entry["less"]
less_equal = ufunc_entry["less_equal"]
log = ufunc_entry["log"]
log10 = ufunc_entry["log10"]
log1p = ufunc_entry["log1p"]
log2 = ufunc_entry["log2"]
logaddexp = ufunc_entry["logaddexp"]
logaddexp2 = ufunc_entry["logaddexp2"]
logical_and = ufunc_entry["logical_and"]
logical_not = ufunc_entry["logical_not"]
logical_or = ufunc_entry["logical_or"]
logical_xor = ufunc_entry["logical_xor"]
maximum = ufunc_entry["maximum"]
minimum = ufunc_entry["minimum"]
mod = ufunc_entry["remainder"]
multiply = ufunc_entry["multiply"]
negative = ufunc_entry["negative"]
nextafter = ufunc_entry["nextafter"]
not_equal = ufunc_entry["not_equal"]
positive = ufunc_entry["positive"]
power = ufunc_entry["power"]
rad2deg = ufunc_entry["rad2deg"]
radians = ufunc_entry["deg2rad"]
reciprocal = ufunc_entry["reciprocal"]
remainder = ufunc_entry["remainder"]
right_shift = ufunc_entry["right_shift"]
rint = ufunc_entry["rint"]
sign = ufunc_entry["sign"]
signbit = ufunc_entry["signbit"]
sin = ufunc_entry["sin"]
sinh = ufunc_entry["sinh"]
sqrt = ufunc_entry["sqrt"]
square = ufunc_entry["square"]
subtract = ufunc_entry["subtract"]
tan = ufunc_entry["tan"]
tanh = ufunc_entry["tanh"]
trunc = ufunc_entry["trunc"]

__all__ = [
    "abs",
    "absolute",
    "add",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "cbrt",
    "ceil",
    "conj",
    "conjugate",
    "copysign",
    "cos",
    "cosh",
    "deg2rad",
    "degrees",
    "divide",
    "divmod",
    "equal",
    "exp",
    "exp2",
    "expm1",
    "fabs",
    "float_power",
    "floor",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "frexp",
    "greater",
    "greater_equal",
    "heaviside",
    "hypot",
    "invert",
    "isfinite",
    "isinf",
    "isnan",
    "ldexp",
    "left_shift",
    "less",
    "less_equal",
    "log",
    "log10",
    "log1p",
    "log2",
    "logaddexp",
    "logaddexp2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "mod",
    "modf",
    "multiply",
    "negative",
    "nextafter",
    "not_equal",
    "positive",
    "power",
    "rad2deg",
    "radians",
    "reciprocal",
    "remainder",
    "right_shift",
    "rint",
    "sign",
    "signbit",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "subtract",
    "tan",
    "tanh",
    "trunc",
]
