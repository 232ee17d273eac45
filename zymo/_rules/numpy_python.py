"""NumPy functions that NumPy writes in Python, run as NumPy's own code with its names bound to ``zymo.numpy``.

``unwrap``, ``vander``, ``trim_zeros``, ``piecewise``, the ``poly*`` helpers and the others here are a
few lines of Python over other NumPy functions. zymo runs that very code, with the NumPy names it
reads (``asarray``, ``np.zeros``, ``NX.concatenate``, ...) bound to zymo.numpy's: on traced values
each step is recorded, so values equal NumPy's bit for bit and the derivative is the derivative of
NumPy's own computation (``i0``: of its Chebyshev series; ``roots``: of ``eigvals`` of the companion
matrix). Private helpers of the same NumPy module are rebound the same way.

Example:
    >>> import zymo, zymo.numpy as znp
    >>> zymo.grad(lambda x: znp.vander(x, 3).sum())(znp.array([1.0, 2.0]))
    array([3., 5.])
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Sequence
from typing import Any, Callable

import numpy as np
from numpy.lib.array_utils import normalize_axis_index
from numpy.typing import ArrayLike, DTypeLike

from .. import numpy as znp
from ..core.dispatch import FUNCTIONS, NONDIFF_FUNCTIONS, implements
from ..core.mutation import inplace_setitem
from ..core.recording import observe
from ..core.trace import current_level
from ..core.tracer import Tracer, bottom
from ..core.tracer_methods import conversion_error
from .helpers import dtype_of, has_tracer, shape_of, write_out
from .indexing import copy_p, getitem

__all__ = ["numpy_python"]


class _Namespace:
    """A NumPy module as NumPy's Python code sees it, with zymo.numpy's version of each name it has."""

    def __init__(self, module: types.ModuleType):
        self._module = module

    def __getattr__(self, name: str) -> Any:
        own = getattr(znp, name, None) if not name.startswith("_") else None
        return own if own is not None else getattr(self._module, name)


def _names(code: types.CodeType) -> set:
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _names(c)
    return names


def _from_numpy(value) -> bool:
    return (getattr(value, "__module__", None) or "").startswith("numpy")


def _rebound(fn: types.FunctionType, memo: dict) -> types.FunctionType:
    """``fn`` (Python code of a NumPy module) with the NumPy names it reads bound to zymo.numpy's."""
    if fn in memo:
        return memo[fn]
    scope = dict(fn.__globals__)
    new = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    memo[fn] = new
    for name in _names(fn.__code__):
        value = scope.get(name)
        if value is None:
            continue
        if isinstance(value, types.ModuleType) and value.__name__.startswith("numpy"):
            scope[name] = _Namespace(value)
        elif isinstance(value, types.FunctionType) and _from_numpy(value) and name.startswith("_"):
            scope[name] = _rebound(value, memo)  # a private helper of NumPy's module
        elif not name.startswith("_") and _from_numpy(value) or isinstance(value, np.ufunc):
            own = getattr(znp, name, None)
            if own is not None and own is not value:
                scope[name] = own
    return new


def numpy_python(numpy_fn: Callable, doc: str) -> Callable:
    """zymo's version of ``numpy_fn``, a NumPy function written in Python: NumPy's code over zymo.numpy.

    ``doc`` becomes the docstring. The rebinding is made on the first call (zymo.numpy is complete then).
    """
    source = getattr(numpy_fn, "_implementation", numpy_fn)
    ready: list = []

    @functools.wraps(source)
    def entry(*args, **kwargs):
        if current_level() == 0 and not has_tracer(args) and not has_tracer(tuple(kwargs.values())):
            # nothing is traced: NumPy's own function
            return numpy_fn(*args, **kwargs)
        if not ready:
            ready.append(_rebound(source, {}))
        return ready[0](*args, **kwargs)

    entry.__doc__ = doc
    entry.__module__ = __name__
    signature = inspect.signature(source)  # NumPy's parameters, typed as NumPy's stubs type them: array-likes
    entry.__signature__ = signature.replace(
        parameters=[p.replace(annotation="Any") for p in signature.parameters.values()],
        return_annotation="np.ndarray",
    )
    entry.__qualname__ = entry.__name__
    return entry


def _register(numpy_fn: Callable, doc: str) -> Callable:
    entry = numpy_python(numpy_fn, doc)
    FUNCTIONS[numpy_fn] = entry
    return entry


_DOCS = {
    "apply_over_axes": """``numpy.apply_over_axes``: ``func(a, axis)`` for each axis in turn, keeping the dimensions.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.apply_over_axes(znp.sum, x, [0, 1]).sum())(znp.ones((2, 2)))
        array([[1., 1.],
               [1., 1.]])
    """,
    "cumulative_sum": """``numpy.cumulative_sum`` (the array API's ``cumsum``, with ``include_initial``).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.cumulative_sum(x, include_initial=True).sum())(znp.array([1.0, 2.0]))
        array([2., 1.])
    """,
    "cumulative_prod": """``numpy.cumulative_prod`` (the array API's ``cumprod``, with ``include_initial``).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.cumulative_prod(x)[-1])(znp.array([2.0, 3.0]))
        array([3., 2.])
    """,
    "geomspace": """``numpy.geomspace``: a geometric sequence, differentiable in ``start`` and ``stop``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda s: znp.geomspace(s, 8.0, 4)[1])(1.0)  # (s**2 * 8) ** (1/3)
        1.3333333333333333
    """,
    "logspace": """``numpy.logspace``: ``base ** linspace(start, stop)``, differentiable in its bounds and ``base``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> round(float(zymo.grad(lambda s: znp.logspace(s, 2.0, 3).sum())(0.0)), 6)
        13.815511
    """,
    "i0": """``numpy.i0``, the modified Bessel function of order 0 (NumPy's Chebyshev series, differentiated).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> round(float(zymo.grad(lambda x: znp.i0(x).sum())(znp.array([1.0]))[0]), 8)  # I1(1)
        0.5651591
    """,
    "matrix_transpose": """``numpy.matrix_transpose``: the last two axes swapped.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.matrix_transpose(znp.ones((2, 3))).shape
        (3, 2)
    """,
    "piecewise": """``numpy.piecewise``: each function on the entries its condition selects.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> f = lambda x: znp.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v**2]).sum()
        >>> zymo.grad(f)(znp.array([-1.0, 3.0]))
        array([-1.,  6.])
    """,
    "poly": """``numpy.poly``: the coefficients of the monic polynomial with the given roots.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda r: znp.poly(r)[-1])(znp.array([2.0, 3.0]))  # r0 * r1
        array([3., 2.])
    """,
    "polyadd": """``numpy.polyadd``: the sum of two polynomials' coefficients.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.polyadd(znp.array([1.0, 2.0]), znp.array([3.0]))
        array([1., 5.])
    """,
    "polysub": """``numpy.polysub``: the difference of two polynomials' coefficients.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.polysub(znp.array([1.0, 2.0]), znp.array([3.0]))
        array([ 1., -1.])
    """,
    "polyder": """``numpy.polyder``: the coefficients of a polynomial's ``m``-th derivative.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.polyder(znp.array([1.0, 2.0, 3.0]))
        array([2., 2.])
    """,
    "polyint": """``numpy.polyint``: the coefficients of a polynomial's ``m``-th antiderivative.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.polyint(znp.array([3.0, 2.0]))
        array([1.5, 2. , 0. ])
    """,
    "polydiv": """``numpy.polydiv``: quotient and remainder of polynomial division.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.polydiv(znp.array([1.0, 3.0, 2.0]), znp.array([1.0, 1.0]))
        (array([1., 2.]), array([0.]))
    """,
    "polyfit": """``numpy.polyfit``: least-squares polynomial coefficients, differentiable in ``x``, ``y`` and ``w``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> x = znp.array([0.0, 1.0, 2.0])
        >>> zymo.grad(lambda y: znp.polyfit(x, y, 1)[0])(znp.array([1.0, 2.0, 4.0])).round(12)
        array([-0.5,  0. ,  0.5])
    """,
    "roots": """``numpy.roots``: the eigenvalues of the companion matrix (their derivative: ``eigvals``').

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda p: znp.real(znp.roots(p)).max())(znp.array([1.0, -3.0, 2.0]))
        array([-4., -2., -1.])
    """,
    "sort_complex": """``numpy.sort_complex``: sorted by real part, then imaginary part, as complex values.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.sort_complex(znp.array([3.0, 1.0]))
        array([1.+0.j, 3.+0.j])
    """,
    "trim_zeros": """``numpy.trim_zeros``: the array without its leading and/or trailing zeros (a slice).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: (znp.trim_zeros(x) * 2.0).sum())(znp.array([0.0, 1.0, 0.0, 2.0, 0.0]))
        array([0., 2., 2., 2., 0.])
    """,
    "unwrap": """``numpy.unwrap``: phases with jumps over ``period / 2`` removed (the derivative is the identity).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda p: znp.unwrap(p)[-1])(znp.array([0.0, 6.0]))
        array([0., 1.])
    """,
    "fromfunction": """``numpy.fromfunction``: ``function`` on the index grids; traced values it reads get gradients.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda w: znp.fromfunction(lambda i, j: w * (i + j), (2, 2)).sum())(1.0)
        4.0
    """,
    "vander": """``numpy.vander``: the Vandermonde matrix (powers of ``x``).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.vander(x, 3).sum())(znp.array([1.0, 2.0]))
        array([3., 5.])
    """,
    "asarray_chkfinite": """``numpy.asarray_chkfinite``: ``asarray``, raising ``ValueError`` on infinities or NaNs.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.asarray_chkfinite([1.0, 2.0])
        array([1., 2.])
    """,
}

_FFT_DOCS = {
    "hfft": """``numpy.fft.hfft``: the FFT of a signal with Hermitian symmetry (``irfft`` of the conjugate).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.hfft(znp.array([1.0, 2.0, 3.0]))
        array([ 8., -2.,  0., -2.])
    """,
    "ihfft": """``numpy.fft.ihfft``: the inverse of ``hfft`` (the conjugate of ``rfft``, scaled).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.ihfft(znp.array([4.0, 0.0, 0.0, 0.0]))
        array([1.-0.j, 1.-0.j, 1.-0.j])
    """,
}

apply_over_axes = _register(np.apply_over_axes, _DOCS["apply_over_axes"])
asarray_chkfinite = _register(np.asarray_chkfinite, _DOCS["asarray_chkfinite"])
cumulative_prod = _register(np.cumulative_prod, _DOCS["cumulative_prod"])
cumulative_sum = _register(np.cumulative_sum, _DOCS["cumulative_sum"])
geomspace = _register(np.geomspace, _DOCS["geomspace"])
i0 = _register(np.i0, _DOCS["i0"])
logspace = _register(np.logspace, _DOCS["logspace"])
matrix_transpose = _register(np.matrix_transpose, _DOCS["matrix_transpose"])
piecewise = _register(np.piecewise, _DOCS["piecewise"])
poly = _register(np.poly, _DOCS["poly"])
polyadd = _register(np.polyadd, _DOCS["polyadd"])
polyder = _register(np.polyder, _DOCS["polyder"])
polydiv = _register(np.polydiv, _DOCS["polydiv"])
polyfit = _register(np.polyfit, _DOCS["polyfit"])
polyint = _register(np.polyint, _DOCS["polyint"])
polysub = _register(np.polysub, _DOCS["polysub"])
roots = _register(np.roots, _DOCS["roots"])
sort_complex = _register(np.sort_complex, _DOCS["sort_complex"])
trim_zeros = _register(np.trim_zeros, _DOCS["trim_zeros"])
unwrap = _register(np.unwrap, _DOCS["unwrap"])
vander = _register(np.vander, _DOCS["vander"])
fromfunction = _register(np.fromfunction, _DOCS["fromfunction"])
hfft = _register(np.fft.hfft, _FFT_DOCS["hfft"])
ihfft = _register(np.fft.ihfft, _FFT_DOCS["ihfft"])

# Functions whose results carry no derivative (windows of an integer length).
for _fn in [np.bartlett, np.blackman, np.hamming, np.hanning]:
    NONDIFF_FUNCTIONS.add(_fn)


# --- functions NumPy writes in C, or whose Python code needs a NumPy array: written here ------------------------
def _polymul(a1: ArrayLike, a2: ArrayLike) -> np.ndarray:
    """``numpy.polymul``: the product of two polynomials (leading zeros dropped, as ``poly1d`` does).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda a: znp.polymul(a, a)[1])(znp.array([1.0, 2.0]))  # 2 * a0 * a1
        array([4., 2.])
    """

    def coefficients(c):
        c = znp.atleast_1d(c)
        if len(shape_of(c)) > 1:
            raise ValueError("Polynomial must be 1d only.")
        c = trim_zeros(c, trim="f")
        return c if shape_of(c)[0] else znp.zeros(1, dtype_of(c))

    return znp.convolve(coefficients(a1), coefficients(a2))


polymul = implements(np.polymul)(_polymul)
polymul.__name__ = polymul.__qualname__ = "polymul"


@implements(np.arange)
def arange(*args: Any, **kwargs: Any) -> np.ndarray:
    """``numpy.arange``: NumPy's values; traced floating bounds give ``d/dstart = 1``, ``d/dstep = i``, ``d/dstop = 0``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda s: znp.arange(s, 3.0, 0.5).sum())(1.0)
        4.0
    """
    plain = np.arange(*[observe(a) for a in args], **{k: observe(v) for k, v in kwargs.items()})
    names = ("start", "stop", "step")
    bound = dict(zip(names if len(args) > 1 else ("stop",), args)) | kwargs
    start, step = bound.get("start"), bound.get("step")
    traced = [v for v in (start, step) if type(v) is Tracer and v._trace.level > 0 and dtype_of(v).kind in "fc"]
    if not traced or plain.dtype.kind not in "fc":
        return plain
    out = plain
    if start in traced:
        out = out + (start - observe(start))  # adds an exact zero that carries d/dstart = 1
    if step in traced:
        out = out + (step - observe(step)) * np.arange(len(plain), dtype=plain.dtype)
    return out


def _ediff1d(ary: ArrayLike, to_end: ArrayLike | None = None, to_begin: ArrayLike | None = None) -> np.ndarray:
    """``numpy.ediff1d``: differences of the flattened array, with ``to_begin``/``to_end`` joined.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.ediff1d(x, to_end=x[:1]).sum())(znp.array([1.0, 4.0, 9.0]))
        array([0., 0., 1.])
    """
    ary = znp.ravel(znp.asanyarray(ary))
    dtype = dtype_of(ary)
    parts = []
    for extra, name in ((to_begin, "to_begin"), (None, ""), (to_end, "to_end")):
        if name == "":
            parts.append(ary[1:] - ary[:-1])
        elif extra is not None:
            extra = znp.asanyarray(extra)
            if not np.can_cast(dtype_of(extra), dtype, casting="same_kind"):
                raise TypeError(f"dtype of `{name}` must be compatible with input `ary` under the `same_kind` rule.")
            parts.append(znp.astype(znp.ravel(extra), dtype))
    return parts[0] if len(parts) == 1 else znp.concatenate(parts)


ediff1d = implements(np.ediff1d)(_ediff1d)
ediff1d.__name__ = ediff1d.__qualname__ = "ediff1d"


@implements(np.apply_along_axis)
def apply_along_axis(func1d: Callable, axis: int, arr: ArrayLike, *args: Any, **kwargs: Any) -> np.ndarray:
    """``numpy.apply_along_axis``: ``func1d`` on every 1-d slice along ``axis``, results stacked in its place.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.apply_along_axis(znp.max, 1, x).sum())(znp.array([[1.0, 2.0], [4.0, 3.0]]))
        array([[0., 1.],
               [1., 0.]])
    """
    arr = znp.asanyarray(arr)
    nd = len(shape_of(arr))
    axis = normalize_axis_index(axis, nd)
    moved = znp.moveaxis(arr, axis, -1)
    outer = shape_of(moved)[:-1]
    if not all(outer):
        raise ValueError("Cannot apply_along_axis when any iteration dimensions are 0")
    results = [znp.asanyarray(func1d(moved[i], *args, **kwargs)) for i in np.ndindex(*outer)]
    inner = shape_of(results[0])
    out = znp.reshape(znp.stack(results), outer + inner)
    k = len(inner)
    return znp.moveaxis(out, list(range(len(outer), len(outer) + k)), list(range(axis, axis + k)))


@implements(np.fft.fftfreq)
def fftfreq(n: int, d: ArrayLike = 1.0, device: str | None = None) -> np.ndarray:
    """``numpy.fft.fftfreq``: the sample frequencies, differentiable in the spacing ``d``.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.fftfreq(4, d=0.5)
        array([ 0. ,  0.5, -1. , -0.5])
    """
    val = 1.0 / (n * d)
    results = np.empty(n, int)
    N = (n - 1) // 2 + 1
    results[:N] = np.arange(0, N, dtype=int)
    results[N:] = np.arange(-(n // 2), 0, dtype=int)
    return results * val


@implements(np.fft.rfftfreq)
def rfftfreq(n: int, d: ArrayLike = 1.0, device: str | None = None) -> np.ndarray:
    """``numpy.fft.rfftfreq``: the sample frequencies of ``rfft``, differentiable in the spacing ``d``.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.rfftfreq(4, d=0.5)
        array([0. , 0.5, 1. ])
    """
    val = 1.0 / (n * d)
    return np.arange(0, n // 2 + 1, dtype=int) * val


@implements(np.kaiser)
def kaiser(M: int, beta: ArrayLike) -> np.ndarray:
    """``numpy.kaiser``: the Kaiser window, differentiable in ``beta`` (NumPy's formula, with ``M`` kept plain).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> float(zymo.grad(lambda b: znp.kaiser(3, b).sum())(0.0))
        0.0
    """
    if not has_tracer(beta):
        return np.kaiser(M, beta)
    M = float(M)
    if M == 1:
        return np.ones(1, dtype=np.result_type(0.0, M, dtype_of(beta)))
    n = np.arange(0, M)
    alpha = (M - 1) / 2.0
    return i0(beta * np.sqrt(1 - ((n - alpha) / alpha) ** 2.0)) / i0(beta)


@implements(np.place)
def place(arr: ArrayLike, mask: ArrayLike, vals: ArrayLike) -> None:
    """``numpy.place``: writes ``vals`` (repeated as needed) where ``mask`` is true, recorded as ``arr[mask] = ...``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> def f(v):
        ...     buf = znp.zeros(3)
        ...     znp.place(buf, [True, False, True], v)
        ...     return (buf * buf).sum()
        ...
        >>> zymo.grad(f)(znp.array([1.0, 2.0]))
        array([2., 4.])
    """
    if type(arr) is not Tracer:
        if has_tracer(vals):
            raise conversion_error("writing a traced value into a plain NumPy array with place")
        return np.place(arr, observe(mask), vals)
    mask = np.asarray(observe(mask), dtype=bool)
    n = int(np.count_nonzero(mask))
    if n:
        inplace_setitem(arr, mask, znp.resize(znp.ravel(vals), n))


@implements(np.putmask)
def putmask(a: ArrayLike, mask: ArrayLike, values: ArrayLike) -> None:
    """``numpy.putmask``: ``a[i] = values[i % len(values)]`` where ``mask`` is true, recorded as a write.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> def f(v):
        ...     buf = znp.zeros(3)
        ...     znp.putmask(buf, [True, False, True], v)
        ...     return buf.sum()
        ...
        >>> zymo.grad(f)(znp.array([1.0, 2.0]))
        array([2., 0.])
    """
    if type(a) is not Tracer:
        if has_tracer(values):
            raise conversion_error("writing a traced value into a plain NumPy array with putmask")
        return np.putmask(a, observe(mask), values)
    shape = shape_of(a)
    mask = np.broadcast_to(np.asarray(observe(mask), dtype=bool), shape)
    spread = znp.reshape(znp.resize(znp.ravel(values), int(np.prod(shape, dtype=np.int64))), shape)
    inplace_setitem(a, mask, getitem(spread, mask))


@implements(np.choose)
def choose(
    a: ArrayLike, choices: Sequence[ArrayLike], out: np.ndarray | None = None, mode: str = "raise"
) -> np.ndarray:
    """``numpy.choose``: ``choices[a[i]][i]``; the gradient reaches the chosen entries (``a`` has none).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.grad(lambda x: znp.choose([1, 0], [x, x * 3.0]).sum())(znp.array([1.0, 1.0]))
        array([3., 1.])
    """
    index = np.asarray(observe(a))
    n = len(choices)
    if mode == "clip":
        index = np.clip(index, 0, n - 1)
    elif mode == "wrap":
        index = index % n
    elif index.size and (index.min() < 0 or index.max() >= n):
        raise ValueError("invalid entry in choice array")
    parts = znp.broadcast_arrays(index, *[znp.asarray(c) for c in choices])
    r = znp.take_along_axis(znp.stack(parts[1:]), np.expand_dims(parts[0], 0), axis=0)[0]
    return r if out is None else write_out(out, r)


@implements(np.require)
def require(a: ArrayLike, dtype: DTypeLike = None, requirements: Any = None, *, like: Any = None) -> np.ndarray:
    """``numpy.require``: ``a`` as an array of ``dtype`` with the memory layout asked for (a copy where needed).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.require(znp.ones((2, 2)), requirements="F").flags.f_contiguous
        True
    """
    if not has_tracer(a):
        return np.require(a, dtype, requirements)
    x = znp.asarray(a, dtype=dtype)
    flags = {str(r).upper()[:1] for r in ([requirements] if isinstance(requirements, str) else requirements or ())}
    if {"C", "F"} <= flags:
        raise ValueError('Cannot specify both "C" and "F" order')
    plain = bottom(x)
    if "F" in flags and not plain.flags.f_contiguous:
        return copy_p(x, order="F")
    if "C" in flags and not plain.flags.c_contiguous:
        return copy_p(x, order="C")
    if flags & {"O", "W"}:
        return copy_p(x, order="K")
    return x


@implements(np.asfortranarray)
def asfortranarray(a: ArrayLike, dtype: DTypeLike = None, *, like: Any = None) -> np.ndarray:
    """``numpy.asfortranarray``: ``a`` in Fortran (column-major) memory order.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.asfortranarray(znp.ones((2, 2))).flags.f_contiguous
        True
    """
    if not has_tracer(a):
        return np.asfortranarray(a, dtype=dtype)
    x = znp.asarray(a, dtype=dtype)
    if len(shape_of(x)) == 0:
        x = znp.reshape(x, (1,))
    return x if bottom(x).flags.f_contiguous else copy_p(x, order="F")
