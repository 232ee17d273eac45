"""Dtypes of models: layers compute in their parameters' dtype; ``to_dtype`` / ``f32`` / ``f64`` convert a model.

The policy, as in PyTorch and Flux: a layer casts its input to its parameters'
dtype, so a float32 model returns float32 whatever it is given. Integer and
boolean inputs, and float16 or float32 inputs to a float64 layer, are cast
silently; a float64 input to a float32 layer loses precision, which is
reported once per process with a ``zymo.ZymoWarning``. An input already of the
parameters' dtype is passed on untouched, so results stay bit for bit.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..core.errors import ZymoError, ZymoWarning, user_location
from ..core.namespace import foreign_namespace, is_foreign, numpy_dtype
from ..core.pytree import tree_map
from ..core.trace import box_foreign, current_level
from ..core.tracer import Tracer

__all__ = ["to_dtype", "f32", "f64", "cast_input"]

_warned = False


def cast_input(layer, x, dtype):
    """``x`` in ``dtype`` (the dtype of ``layer``'s parameters), warning once when that narrows a float64 array."""
    if is_foreign(x) and current_level() > 0:
        x = box_foreign(x)  # a plain foreign array meeting traced parameters: the library may not defer to them
    if type(x) is np.ndarray or type(x) is Tracer or is_foreign(x):
        current = x.dtype
        if isinstance(current, np.dtype):
            if current == dtype:
                return x
        elif numpy_dtype(current) == _as_numpy_dtype(dtype):  # another library's dtypes equal only their own
            return x
    else:
        x = np.asarray(x)
        current = x.dtype
        if current == dtype:
            return x
    current, target = numpy_dtype(current), _as_numpy_dtype(dtype)
    if current.kind == "f" and current.itemsize > target.itemsize:
        _warn_narrowing(layer, current, target)
    elif current.kind not in "fiub":
        raise ZymoError(f"{layer!r} computes in {target}; it cannot take an input of dtype {current}")
    if is_foreign(x):
        return foreign_namespace(x).astype(x, dtype)
    return x.astype(dtype)


def _as_numpy_dtype(dtype) -> np.dtype:
    return np.dtype(dtype) if isinstance(dtype, (np.dtype, type, str)) else numpy_dtype(dtype)


def _warn_narrowing(layer, current, dtype) -> None:
    global _warned
    if _warned:
        return
    _warned = True
    warnings.warn(
        f"{layer!r} has {np.dtype(dtype)} parameters and was given a {current} input at {user_location()}: "
        f"the input is cast to {np.dtype(dtype)} (this warning is shown once). Cast the data yourself "
        f"(`x.astype(np.{np.dtype(dtype)})`), or compute in {current} with `zymo.nn.to_dtype(model, np.{current})`",
        ZymoWarning,
        stacklevel=3,
    )


def to_dtype(model, dtype):
    """A copy of ``model`` with every floating array in ``dtype`` (other arrays copied as they are).

    The original model is left unchanged; arrays shared inside the model stay
    shared in the copy. Layers then compute in ``dtype``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import Dense, to_dtype
        >>> layer = to_dtype(Dense(3, 2, rng=np.random.default_rng(0)), np.float64)
        >>> layer.weight.dtype, layer(np.ones(3)).dtype
        (dtype('float64'), dtype('float64'))
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ZymoError(f"to_dtype converts to a floating dtype (float16, float32, float64), got {dtype}")
    copies: dict[int, np.ndarray] = {}

    def convert(leaf):
        if type(leaf) is not np.ndarray:
            return leaf
        if id(leaf) not in copies:
            copies[id(leaf)] = leaf.astype(dtype) if leaf.dtype.kind == "f" else leaf.copy()
        return copies[id(leaf)]

    return tree_map(convert, model)


def f32(model):
    """``to_dtype(model, np.float32)``, as Flux's ``f32``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import Dense, f32
        >>> f32(Dense(2, 2, dtype=np.float64, rng=np.random.default_rng(0))).weight.dtype
        dtype('float32')
    """
    return to_dtype(model, np.float32)


def f64(model):
    """``to_dtype(model, np.float64)``, as Flux's ``f64``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import Dense, f64
        >>> f64(Dense(2, 2, rng=np.random.default_rng(0))).weight.dtype
        dtype('float64')
    """
    return to_dtype(model, np.float64)
