"""What makes a ``Tracer`` behave like an ndarray: operators, methods and NumPy dispatch."""

from __future__ import annotations

import operator

import numpy as np

from .dispatch import FUNCTIONS, NONDIFF_FUNCTIONS, SPECIAL, UFUNCS, call_numpy, ufunc_name, ufunc_rule
from .errors import TracerConversionError, remember, unsupported, user_location, user_operation
from .flat import FlatIterator
from .library_calls import library_call
from .mutation import inplace_binary, inplace_setitem
from .namespace import call_version, check_devices, is_foreign
from .recording import guard_call, observe
from .recording import state as _recording
from .trace import box_foreign
from .tracer import Tracer, bottom


def _plain(x):
    """Replace tracers (also inside lists/tuples/dicts) by their plain values."""
    t = type(x)
    if t is Tracer:
        return bottom(x)
    if t is list or t is tuple:
        return t(_plain(e) for e in x)
    if t is dict:
        return {k: _plain(v) for k, v in x.items()}
    return x


def write_out(out, result):
    """Honour NumPy's ``out=`` argument."""
    target = out[0] if type(out) is tuple else out
    if type(target) is Tracer:
        inplace_setitem(target, Ellipsis, result)
        return target
    if type(result) is Tracer and result._trace.level > 0:
        raise conversion_error("writing a traced value into a plain NumPy array with `out=`", _WRITE_FIX)
    np.copyto(target, bottom(result))
    return target


_GENERIC_FIX = (
    "Fix: call zymo.numpy functions (or NumPy's, which zymo intercepts) instead of ones zymo does not know, "
    "or use `zymo.stop_gradient(x)` where no gradient should flow."
)
_WRITE_FIX = (
    "Fix: make the buffer with zymo.numpy (`import zymo.numpy as znp; buf = znp.zeros(...)`) so the write is recorded."
)
_ARRAY_MAKERS = ("asarray", "array", "asanyarray", "ascontiguousarray", "asfortranarray")


def _library_conversion_error() -> TracerConversionError | None:
    """The error naming the user's call into NumPy or SciPy that converted a traced value, if that is what did."""
    call = library_call()
    if call is None:
        return None
    instead = f"call `{call.alternative}` instead" if call.alternative else "write it with zymo.numpy operations"
    lists = (
        " (NumPy converts a list of traced values itself; or stack the list first)"
        if call.name.startswith("numpy.")
        else ""
    )
    return TracerConversionError(
        f"`{call.name}` (called at {call.location}) converts its input to a plain NumPy array, which would "
        f"silently drop the gradient. Fix: {instead}{lists}, or use `zymo.stop_gradient(x)` where no gradient "
        "should flow."
    )


def conversion_error(what: str, fix: str = _GENERIC_FIX) -> TracerConversionError:
    library = _library_conversion_error()
    if library is not None:
        return library
    return TracerConversionError(f"{what} at {user_location()} would silently drop its gradient. {fix}")


def _conversion_error(what: str) -> TracerConversionError:
    """The error for a traced value NumPy or Python is converting, worded for the user's operation that did it.

    ``what`` describes the conversion when the operation cannot be told (no source, another kind of call).
    """
    library = _library_conversion_error()
    if library is not None:
        return library
    op = user_operation()
    if op.operation == "STORE_SUBSCR":
        return TracerConversionError(
            f"a traced value was written into a plain NumPy array (`buf[...] = value`, `buf` made by plain numpy) "
            f"at {op.location}; the write would silently drop its gradient. {_WRITE_FIX}"
        )
    callee = op.callee
    name = callee.rsplit(".", 1)[-1] if callee else None
    if callee is None:
        message, fix = what, _GENERIC_FIX
    elif callee.startswith("math."):
        message = f"`{callee}` of a traced value (the math module converts it to a Python float)"
        fix = f"Fix: use `zymo.numpy.{name}` (or `np.{name}`), which keeps the gradient."
    elif name in _ARRAY_MAKERS:
        message = f"`{callee}(...)` of a traced value (it makes a plain NumPy array)"
        fix = f"Fix: use `zymo.numpy.{name}` (`import zymo.numpy as znp; znp.{name}(...)`), which keeps the gradient."
    elif name == "dot" and callee not in ("np.dot", "numpy.dot"):
        message = (
            f"`{callee}(...)` with a traced argument on a plain array (NumPy's `ndarray.dot` method offers no "
            "library a hook, so the traced value is converted)"
        )
        fix = "Fix: write `x @ w` or `np.dot(x, w)`, which zymo intercepts."
    elif name in ("float", "int", "complex", "bool"):
        message = f"`{name}()` of a traced value"
        fix = (
            "Fix: keep it an array (NumPy functions and arithmetic accept 0-d arrays); to log or print the "
            "number, convert the value the differentiated function returns, or `zymo.stop_gradient(x)`."
        )
    else:
        message, fix = f"{what} (in `{callee}(...)`)", _GENERIC_FIX
    return TracerConversionError(f"{message} at {op.location} would silently drop its gradient. {fix}")


def masked_result(ufunc, where, result, out):
    """A ufunc's ``where=``: the result where the mask is true, what ``out`` held elsewhere."""
    if out is None:
        raise TypeError(
            f"`{ufunc_name(ufunc)}(..., where=...)` without `out=` leaves the other entries uninitialized in NumPy. "
            "Fix: pass `out=` too, or use `zymo.numpy.where(mask, f(x), other)`."
        )
    return call_numpy(np.where, where, result, out[0] if type(out) is tuple else out)


def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
    if not kwargs and method == "__call__":  # the common call, straight to the primitive behind the entry
        impl = UFUNCS.get(ufunc)
        if impl is not None:
            prim = getattr(impl, "_prim", None)
            return prim(*inputs) if prim is not None else impl(*inputs)
    out = kwargs.pop("out", None)
    if method == "__call__":
        impl = ufunc_rule(ufunc)
        if impl is None:
            raise unsupported(ufunc_name(ufunc))
        where = kwargs.pop("where", True)
        result = impl(*inputs, **kwargs)
        if where is not True:
            result = masked_result(ufunc, where, result, out)
    else:  # reduce, accumulate, reduceat, outer, at
        result = SPECIAL["ufunc_method"](ufunc, method, *inputs, **kwargs)
    if out is not None:
        return write_out(out, result)
    return result


def __array_function__(self, func, types, args, kwargs):
    impl = FUNCTIONS.get(func)
    if impl is not None:
        return impl(*args, **kwargs)
    if func in NONDIFF_FUNCTIONS:
        plain_args, plain_kwargs = _plain(args), _plain(kwargs)
        xp, _ = check_devices(plain_args)
        if xp is None:
            out = func(*plain_args, **plain_kwargs)
        else:
            out = box_foreign(call_version(func, xp, plain_args, plain_kwargs))
        if _recording.recorder is not None:
            guard_call(func, args, kwargs, out)
        return out
    raise unsupported(f"numpy.{func.__name__}")


def __array__(self, dtype=None, copy=None):
    if self._trace.level == 0:
        v = self._val
        return np.array(v, dtype=dtype, copy=True) if copy else np.asarray(v, dtype=dtype)
    raise _conversion_error("converting a traced value to a plain NumPy array")


def _scalar_conversion(kind):
    def convert(self):
        if self._trace.level == 0:
            return kind(bottom(self))
        raise remember(_conversion_error(f"converting a traced value to a Python {kind.__name__}"))

    convert.__name__ = f"__{kind.__name__}__"
    return convert


def _direct(ufunc):
    """The callable behind ``UFUNCS[ufunc]``: its primitive when the entry only forwards to one."""
    entry = UFUNCS[ufunc]
    return getattr(entry, "_prim", entry)


def _binary(ufunc):
    resolved = [None, None]  # (registry entry, what to call); re-resolved if the entry is replaced

    def target():
        entry = UFUNCS[ufunc]
        resolved[0], resolved[1] = entry, _direct(ufunc)
        return resolved[1]

    def op(self, other):
        if UFUNCS[ufunc] is resolved[0]:
            return resolved[1](self, other)
        return target()(self, other)

    def rop(self, other):
        if UFUNCS[ufunc] is resolved[0]:
            return resolved[1](other, self)
        return target()(other, self)

    def iop(self, other):
        return inplace_binary(self, ufunc, other)

    return op, rop, iop


def _operator(name: str, reflected: bool = False):
    """``x op y`` on a tracer: the primitive that calls Python's operator (``zymo.numpy`` registers it)."""

    def op(self, other):
        return SPECIAL[name](self, other)

    def rop(self, other):
        return SPECIAL[name](other, self)

    return rop if reflected else op


_PYTHON_NUMBERS = (int, float, complex, bool)


def _compare(ufunc):
    python_op = getattr(operator, _COMPARISON_NAMES[ufunc])

    def op(self, other):
        b, o = bottom(self), bottom(other)
        if type(b) in _PYTHON_NUMBERS and type(o) in _PYTHON_NUMBERS:  # a Python bool, as Python compares
            fn, out = python_op, python_op(b, o)
        else:
            fn = ufunc
            out = ufunc(b, o) if type(b) is np.ndarray or not is_foreign(b) else box_foreign(python_op(b, o))
        if _recording.recorder is not None:
            guard_call(fn, (self, other), {}, out)
        return out

    return op


def _method(func):
    """A method that forwards to zymo's version of ``func`` with the tracer first."""

    def method(self, *args, **kwargs):
        return call_numpy(func, self, *args, **kwargs)

    method.__name__ = func.__name__
    return method


def _reshape(self, *shape, order="C"):
    if len(shape) == 1:
        shape = shape[0]
    return call_numpy(np.reshape, self, shape, order=order)


def _transpose(self, *axes):
    if len(axes) == 0:
        axes = None
    elif len(axes) == 1:
        axes = axes[0]
    return call_numpy(np.transpose, self, axes)


def _T(self):
    """``x.T``; an unchanged differentiated input reuses one transposed tracer per trace.

    Parameters are typically transposed at every step of a loop (``x @ W.T``):
    reusing the view records one operation instead of one per step, and the
    gradient of ``W.T`` is accumulated once, contiguously, before a single
    transpose back.
    """
    trace = self._trace
    tape = getattr(trace, "tape", None)
    if tape is not None and self._view is None and trace.active:
        node = self._node
        cached = trace.transposes.get(node)
        if cached is not None and cached._ver == 0:
            return cached
        out = call_numpy(np.transpose, self)
        rec = tape[node]
        if type(out) is Tracer and rec is not None and rec.prim is None:  # only inputs: their node never changes value
            trace.transposes[node] = out
        return out
    return call_numpy(np.transpose, self)


def _getitem(self, idx):
    return call_numpy(operator.getitem, self, idx)


def _setitem(self, idx, value):
    inplace_setitem(self, idx, value)


def _iter(self):
    n = len(self)
    for i in range(n):
        yield self[i]


def _len(self):
    shape = bottom(self).shape
    if not shape:
        raise TypeError("len() of unsized object")
    return shape[0]


def _repr(self):
    level = self._trace.level
    kind = "constant" if level == 0 else f"{type(self._trace).__name__} level {level}"
    return f"Tracer({np.array2string(np.asarray(observe(self)), separator=', ')}, {kind})"


def _format(self, spec):
    return format(observe(self), spec)


def _sort(self, axis=-1, kind=None, order=None):
    """``x.sort()``: sorts in place, as NumPy's method does (recorded as a write)."""
    inplace_setitem(self, Ellipsis, call_numpy(np.sort, self, axis=axis, kind=kind, order=order))


def _partition(self, kth, axis=-1, kind="introselect", order=None):
    """``x.partition(kth)``: partitions in place, as NumPy's method does (recorded as a write)."""
    inplace_setitem(self, Ellipsis, call_numpy(np.partition, self, kth, axis=axis, kind=kind, order=order))


def _fill(self, value):
    inplace_setitem(self, Ellipsis, value)


def _astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
    return call_numpy(np.ndarray.astype, self, dtype, copy=copy)


def _item(self, *args):
    if self._trace.level == 0:
        return bottom(self).item(*args)
    raise conversion_error(
        "`.item()` of a traced value",
        "Fix: keep the 0-d array (NumPy functions and arithmetic accept it); to log or print the number, "
        "take it from the value the differentiated function returns, or use `zymo.stop_gradient(x).item()`.",
    )


def _tolist(self):
    if self._trace.level == 0:
        return bottom(self).tolist()
    raise conversion_error(
        "`.tolist()` of a traced value",
        "Fix: iterate over the array itself (`for row in x`, `list(x)`: the elements stay traced), "
        "or use `zymo.stop_gradient(x).tolist()` where no gradient should flow.",
    )


def _copy_method(self, order="C"):
    """``x.copy()``: C order unless told (``np.copy`` keeps the layout); a scalar's copy is a scalar."""
    if type(bottom(self)) is np.ndarray:
        return call_numpy(np.copy, self, order=order)
    return UFUNCS[np.positive](self)


def _inplace(ufunc):
    def iop(self, other):
        return inplace_binary(self, ufunc, other)

    return iop


# Operators computed by Python's operator on the plain values (``x * 0.5`` of a Python float stays one),
# and those computed by their ufunc; every in-place operator writes through its ufunc.
_OPERATORS = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide, "mod": np.remainder}
_OPERATORS["pow"] = np.power
_UFUNC_OPERATORS = {"floordiv": np.floor_divide, "matmul": np.matmul}
_UFUNC_OPERATORS |= {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}
_UFUNC_OPERATORS |= {"lshift": np.left_shift, "rshift": np.right_shift}
_COMPARISONS = {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal, "eq": np.equal}
_COMPARISONS["ne"] = np.not_equal
_COMPARISON_NAMES = {uf: name for name, uf in _COMPARISONS.items()}
_REDUCING_METHODS = [np.sum, np.mean, np.prod, np.max, np.min, np.std, np.var, np.cumsum, np.cumprod, np.argmax]
_REDUCING_METHODS += [np.argmin, np.any, np.all, np.ravel, np.squeeze, np.swapaxes, np.clip, np.round, np.diagonal]
_REDUCING_METHODS += [np.trace, np.repeat, np.take, np.nonzero, np.argsort]


def _install_operators(T) -> None:
    for name, uf in _OPERATORS.items():
        setattr(T, f"__{name}__", _operator(name))
        setattr(T, f"__r{name}__", _operator(name, reflected=True))
        setattr(T, f"__i{name}__", _inplace(uf))
    for name, uf in _UFUNC_OPERATORS.items():
        op, rop, iop = _binary(uf)
        setattr(T, f"__{name}__", op)
        setattr(T, f"__r{name}__", rop)
        setattr(T, f"__i{name}__", iop)
    for name, uf in _COMPARISONS.items():
        setattr(T, f"__{name}__", _compare(uf))
    T.__neg__ = lambda self: SPECIAL["neg"](self)  # the operator: -x of a Python float stays a Python float
    T.__pos__ = lambda self: SPECIAL["pos"](self)
    T.__abs__ = lambda self: SPECIAL["abs"](self)
    T.__invert__ = lambda self: np.invert(self)


def _install_conversions(T) -> None:
    T.__array__ = __array__
    T.__bool__ = lambda self: bool(observe(self))
    T.__float__ = _scalar_conversion(float)
    T.__int__ = _scalar_conversion(int)
    T.__complex__ = _scalar_conversion(complex)
    T.__index__ = lambda self: operator.index(bottom(self)) if self._trace.level == 0 else _scalar_conversion(int)(self)
    T.__repr__ = _repr
    T.__str__ = lambda self: str(observe(self))
    T.__format__ = _format
    T.item = _item
    T.tolist = _tolist


def _view(self, dtype=None, type=None):
    """``x.view()``: the same values in a new array object sharing ``x``'s memory (writes go through)."""
    if (dtype is not None and np.dtype(dtype) != bottom(self).dtype) or type is not None:
        raise unsupported("ndarray.view with another dtype or type", "use `x.astype(dtype)` (a copy)")
    return call_numpy(np.reshape, self, bottom(self).shape)


def _install_attributes(T) -> None:
    T.shape = property(lambda self: bottom(self).shape)
    T.dtype = property(lambda self: bottom(self).dtype)
    T.ndim = property(lambda self: bottom(self).ndim)
    T.size = property(lambda self: bottom(self).size)
    T.itemsize = property(lambda self: bottom(self).itemsize)
    T.nbytes = property(lambda self: bottom(self).nbytes)
    T.strides = property(lambda self: bottom(self).strides)
    T.flags = property(lambda self: bottom(self).flags)
    T.T = property(_T)
    T.flat = property(FlatIterator)
    T.device = property(_device)  # ``__array_namespace__`` and ``to_device``: zymo.array_api, zymo.devices
    T.mT = property(lambda self: call_numpy(np.swapaxes, self, -1, -2))
    T.real = property(lambda self: call_numpy(np.real, self))
    T.imag = property(lambda self: call_numpy(np.imag, self))


def _install_methods(T) -> None:
    T.__len__ = _len
    T.__iter__ = _iter
    T.__getitem__ = _getitem
    T.__setitem__ = _setitem
    T.__copy__ = lambda self: call_numpy(np.copy, self)
    T.__deepcopy__ = lambda self, memo: call_numpy(np.copy, self)
    T.reshape = _reshape
    T.transpose = _transpose
    T.astype = _astype
    T.fill = _fill
    T.sort = _sort
    T.partition = _partition
    T.copy = _copy_method
    T.flatten = lambda self, order="C": call_numpy(np.copy, call_numpy(np.ravel, self, order=order))
    T.conj = T.conjugate = lambda self: call_numpy(np.conjugate, self)
    T.dot = lambda self, other: call_numpy(np.dot, self, other)
    T.put = lambda self, ind, v, mode="raise": call_numpy(np.put, self, ind, v, mode=mode)
    T.compress = lambda self, condition, axis=None: call_numpy(np.compress, condition, self, axis=axis)
    T.searchsorted = lambda self, v, side="left", sorter=None: call_numpy(np.searchsorted, self, v, side, sorter)
    T.argpartition = lambda self, kth, axis=-1: call_numpy(np.argpartition, self, kth, axis=axis)
    T.view = _view
    for func in _REDUCING_METHODS:
        setattr(T, func.__name__, _method(func))


def _device(self):
    """The device of the array under the traced value (``"cpu"`` for NumPy, as NumPy says)."""
    return bottom(self).device


def install() -> None:
    """Give ``Tracer`` its ndarray behaviour: NumPy's protocols, operators, conversions, attributes, methods."""
    T = Tracer
    T.__array_ufunc__ = __array_ufunc__
    T.__array_function__ = __array_function__
    T.__hash__ = None
    _install_operators(T)
    _install_conversions(T)
    _install_attributes(T)
    _install_methods(T)
