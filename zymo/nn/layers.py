"""The non-recurrent layers: Dense, Chain, Embedding, Dropout, LayerNorm, BatchNorm, SkipConnection, Parallel, Flatten.

Layers follow PyTorch's data layout: features on the last axis for ``Dense``,
``Embedding`` and ``LayerNorm``, channels on axis 1 for ``BatchNorm``, batch
first. Weights are ``(out, in)``. Parameters are ``float32`` unless a
``dtype`` is given; random initialisation uses an explicit
``numpy.random.Generator`` (``rng=``; zymo's shared generator, see ``zymo.seed``, when omitted).
"""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from .._rules.helpers import dtype_of, shape_of
from ..core.errors import ShapeError, ZymoError, user_location
from ..core.forward import defjvp
from ..core.namespace import foreign_namespace, is_foreign
from ..core.primitive import Primitive
from ..core.recording import observe, unsafe
from ..core.reverse import defvjp
from ..core.trace import box_foreign
from ..core.tracer import bottom
from ..seeding import generator_or_default
from . import device_random as _random
from . import init as _init
from .activations import identity
from .module import Module, _layout, describe
from .precision import cast_input

__all__ = [
    "Dense",
    "Chain",
    "Embedding",
    "Dropout",
    "LayerNorm",
    "BatchNorm",
    "SkipConnection",
    "Parallel",
    "Flatten",
]


_rng = generator_or_default


def _shape_error(layer, expected: str, x) -> ShapeError:
    return ShapeError(f"{layer!r} expects {expected}, got an input of shape {shape_of(x)} (at {user_location()})")


def _check_features(layer, x, n: int, what: str = "features") -> None:
    shape = shape_of(x)
    if len(shape) == 0 or shape[-1] != n:
        raise _shape_error(layer, f"{n} {what} on the last axis", x)


def _activation_suffix(f) -> str:
    return "" if f is identity else f", {describe(f)}"


class Dense(Module):
    """A fully connected layer ``activation(x @ weight.T + bias)``; ``weight`` is ``(out, in)``.

    Input ``(..., in)``, output ``(..., out)``. ``init(rng, out, in, dtype=...)``
    makes the weight (Glorot uniform by default); the bias starts at zero.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import Dense, relu
        >>> layer = Dense(3, 5, relu, rng=np.random.default_rng(0))
        >>> layer
        Dense(3 => 5, relu)
        >>> layer(np.ones((2, 3), np.float32)).shape
        (2, 5)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        activation: Callable = identity,
        bias: bool = True,
        *,
        init: Callable = _init.glorot_uniform,
        rng: np.random.Generator | None = None,
        dtype=_init.DEFAULT_DTYPE,
    ):
        self.weight = init(_rng(rng), out_features, in_features, dtype=dtype)
        self.bias = np.zeros(out_features, dtype) if bias else None
        self.activation = identity if activation is None else activation

    @property
    def in_features(self) -> int:
        return shape_of(self.weight)[1]

    @property
    def out_features(self) -> int:
        return shape_of(self.weight)[0]

    def __call__(self, x):
        _check_features(self, x, self.in_features)
        x = cast_input(self, x, self.weight.dtype)
        shape = shape_of(x)
        if len(shape) > 2:  # one matrix product over all rows: NumPy multiplies a stack matrix by matrix, slowly
            y = np.reshape(np.reshape(x, (-1, shape[-1])) @ self.weight.T, shape[:-1] + (self.out_features,))
        else:
            y = x @ self.weight.T
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)

    def __repr__(self) -> str:
        bias = "" if self.bias is not None else ", bias=False"
        return f"Dense({self.in_features} => {self.out_features}{_activation_suffix(self.activation)}{bias})"


class Chain(Module):
    """Layers applied in order: ``Chain(f, g)(x) == g(f(x))``; layers may be modules or plain functions.

    Its repr shows one layer per line.

    Named layers (``Chain(encoder=..., decoder=...)``) are reached as
    attributes or by name; every chain is indexable (``chain[0]``, ``chain[1:]``).

    Example:
        >>> import numpy as np
        >>> from zymo.nn import Chain, Dense, relu
        >>> rng = np.random.default_rng(0)
        >>> model = Chain(Dense(3, 4, relu, rng=rng), Dense(4, 2, rng=rng))
        >>> model
        Chain(
          Dense(3 => 4, relu),
          Dense(4 => 2),
        )
        >>> model(np.ones((5, 3), np.float32)).shape
        (5, 2)
        >>> Chain(enc=Dense(3, 4, rng=rng), dec=Dense(4, 3, rng=rng)).enc
        Dense(3 => 4)
    """

    def __init__(self, *layers, **named_layers):
        if layers and named_layers:
            raise ZymoError("Chain takes either positional layers or named layers, not both")
        if named_layers:
            self.names = tuple(named_layers)
            self.layers = tuple(named_layers.values())
        else:
            self.names = None
            self.layers = tuple(layers)
        for i, layer in enumerate(self.layers):
            if not callable(layer):
                raise ZymoError(f"Chain: layer {self._label(i)} is a {type(layer).__name__}, which is not callable")

    def _label(self, i: int) -> str:
        return repr(self.names[i]) if self.names else str(i)

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __getitem__(self, key):
        if isinstance(key, str):
            if not self.names or key not in self.names:
                raise KeyError(f"Chain has no layer named {key!r}")
            return self.layers[self.names.index(key)]
        if isinstance(key, slice):
            if self.names:
                return Chain(**dict(zip(self.names[key], self.layers[key])))
            return Chain(*self.layers[key])
        return self.layers[key]

    def __getattr__(self, name: str):
        names = self.__dict__.get("names")
        if names and name in names:
            return self.__dict__["layers"][names.index(name)]
        raise AttributeError(f"'Chain' object has no attribute {name!r}")

    def __repr__(self) -> str:
        if self.names:
            items = [f"{n}={describe(layer)}" for n, layer in zip(self.names, self.layers)]
        else:
            items = [describe(layer) for layer in self.layers]
        return _layout("Chain", items, multiline=len(items) > 1)


class Embedding(Module):
    """A lookup table: integer indices ``(...)`` give rows of ``weight`` ``(vocab, dim)``, shape ``(..., dim)``.

    With ``padding_idx``, that row starts at zero, its lookups give zeros and
    it never receives a gradient. Initialised from a standard normal.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import Embedding
        >>> emb = Embedding(10, 4, padding_idx=0, rng=np.random.default_rng(0))
        >>> emb
        Embedding(10 => 4, padding_idx=0)
        >>> emb(np.array([[0, 3], [9, 0]])).shape
        (2, 2, 4)
    """

    def __init__(
        self,
        vocab: int,
        dim: int,
        padding_idx: int | None = None,
        *,
        rng: np.random.Generator | None = None,
        dtype=_init.DEFAULT_DTYPE,
    ):
        self.weight = _rng(rng).standard_normal((vocab, dim)).astype(dtype)
        if padding_idx is not None:
            if not -vocab <= padding_idx < vocab:
                raise ZymoError(f"Embedding({vocab} => {dim}): padding_idx {padding_idx} is outside 0..{vocab - 1}")
            padding_idx %= vocab
            self.weight[padding_idx] = 0
        self.padding_idx = padding_idx

    def __call__(self, indices):
        idx = observe(indices)
        if not isinstance(idx, (np.ndarray, np.integer, int, list, tuple)):
            raise ZymoError(f"{self!r} takes integer indices, got {type(indices).__name__}")
        idx = np.asarray(idx)
        if idx.dtype.kind not in "iu":
            raise ZymoError(f"{self!r} takes integer indices, got an array of dtype {idx.dtype}")
        vocab = shape_of(self.weight)[0]
        if idx.size and (idx.min() < 0 or idx.max() >= vocab):
            bad = idx[(idx < 0) | (idx >= vocab)].flat[0]
            raise ShapeError(f"{self!r}: index {bad} is outside 0..{vocab - 1} (at {user_location()})")
        rows = self.weight[idx]
        if self.padding_idx is None:
            return rows
        keep = (idx != self.padding_idx)[..., None].astype(dtype_of(self.weight))
        return rows * keep

    def __repr__(self) -> str:
        vocab, dim = shape_of(self.weight)
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"Embedding({vocab} => {dim}{pad})"


class Dropout(Module):
    """In training mode, zero each entry with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    In test mode (``testmode(model)``) it is the identity. Masks come from
    the explicit generator ``rng``, so a seeded generator reproduces them. On a GPU (CuPy arrays) the
    masks are drawn there, by a CuPy generator seeded once from ``rng``; on a library without random
    numbers of its own (``array_api_strict``) they are drawn on the host and copied once per call
    (see ``zymo.nn.device_random``).

    Example:
        >>> import numpy as np
        >>> from zymo.nn import Dropout, testmode
        >>> drop = Dropout(0.5, rng=np.random.default_rng(0))
        >>> drop
        Dropout(0.5)
        >>> sorted(set(drop(np.ones(100)).tolist()))
        [0.0, 2.0]
        >>> testmode(drop)(np.ones(3))
        array([1., 1., 1.])
    """

    def __init__(self, p: float, *, rng: np.random.Generator | None = None):
        if not 0 <= p < 1:
            raise ZymoError(f"Dropout probability must be in [0, 1), got {p}")
        self.p = float(p)
        self.rng = _rng(rng)

    def __call__(self, x):
        if not self.training or self.p == 0:
            return x
        dt = dtype_of(x)
        unsafe("Dropout draws random numbers on each call")
        b = bottom(x)
        if is_foreign(b):
            return x * box_foreign(self._foreign_scale(b))
        keep = self.rng.random(shape_of(x)) >= self.p
        scale = keep.astype(dt) / np.asarray(1 - self.p, dt)
        return x * scale

    def _foreign_scale(self, b):
        """The mask times ``1 / (1 - p)`` on the device of ``b`` (another library's array): drawn there with
        that library's generator (CuPy), or drawn on the host and copied once (a library without one)."""
        xp = foreign_namespace(b)
        keep = _random.uniform(self.rng, 0.0, 1.0, tuple(b.shape), device=b.device) >= self.p
        return xp.astype(keep, b.dtype) / xp.asarray(1 - self.p, dtype=b.dtype, device=b.device)

    def __repr__(self) -> str:
        return f"Dropout({self.p})"


# --- normalisation: one fused primitive for LayerNorm and BatchNorm ---------------------------
def _normalize_impl(x, axes=(-1,), eps=1e-5):
    mu = np.mean(x, axis=axes, keepdims=True)
    xc = x - mu
    return xc / np.sqrt(np.mean(xc * xc, axis=axes, keepdims=True) + eps)


def _normalize_linear(t, ans, x, axes, eps):
    """The Jacobian of normalisation (symmetric, so it serves both modes): ``(t - mean t - y mean(t y)) / sigma``."""
    xc = x - np.mean(x, axis=axes, keepdims=True)
    sigma = np.sqrt(np.mean(xc * xc, axis=axes, keepdims=True) + eps)
    return (t - np.mean(t, axis=axes, keepdims=True) - ans * np.mean(t * ans, axis=axes, keepdims=True)) / sigma


normalize_p = Primitive(_normalize_impl, "normalize")
defvjp(normalize_p, lambda g, ans, x, axes=(-1,), eps=1e-5: _normalize_linear(g, ans, x, axes, eps), saves=(0, "ans"))
defjvp(normalize_p, lambda t, ans, x, axes=(-1,), eps=1e-5: _normalize_linear(t, ans, x, axes, eps))


def _normalized_shape(shape) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


class LayerNorm(Module):
    """Normalise over the trailing ``shape`` axes to zero mean and unit variance, then scale and shift.

    ``(x - mean) / sqrt(var + eps) * weight + bias`` with the biased variance,
    as PyTorch's ``LayerNorm(shape)``. ``affine=False`` drops ``weight`` and ``bias``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import LayerNorm
        >>> ln = LayerNorm(4, dtype=np.float64)
        >>> ln
        LayerNorm(4)
        >>> np.round(ln(np.array([[1.0, 2.0, 3.0, 4.0]])).sum(), 12)
        np.float64(0.0)
    """

    def __init__(self, shape, eps: float = 1e-5, affine: bool = True, *, dtype=_init.DEFAULT_DTYPE):
        self.shape = _normalized_shape(shape)
        self.eps = float(eps)
        self.weight = np.ones(self.shape, dtype) if affine else None
        self.bias = np.zeros(self.shape, dtype) if affine else None

    def __call__(self, x):
        n = len(self.shape)
        if tuple(shape_of(x)[-n:]) != self.shape or len(shape_of(x)) < n:
            raise _shape_error(self, f"trailing axes of shape {self.shape}", x)
        if self.weight is not None:
            x = cast_input(self, x, self.weight.dtype)
        y = normalize_p(x, axes=tuple(range(-n, 0)), eps=self.eps)
        if self.weight is not None:
            y = y * self.weight + self.bias
        return y

    def __repr__(self) -> str:
        shape = self.shape[0] if len(self.shape) == 1 else self.shape
        extra = "" if self.weight is not None else ", affine=False"
        return f"LayerNorm({shape}{extra})"


class BatchNorm(Module):
    """Batch normalisation over every axis but the channel axis 1: input ``(batch, channels, *spatial)``.

    In training mode it normalises with the batch's mean and (biased)
    variance and updates the running statistics in place:
    ``running = (1 - momentum) * running + momentum * batch`` (the running
    variance uses the unbiased batch variance), as PyTorch. In test mode it
    normalises with the running statistics. ``running_mean``/``running_var``
    are state, not parameters (``nontrainable``).

    Example:
        >>> import numpy as np
        >>> from zymo.nn import BatchNorm, testmode
        >>> bn = BatchNorm(2, dtype=np.float64)
        >>> bn
        BatchNorm(2)
        >>> y = bn(np.array([[1.0, 10.0], [3.0, 30.0]]))
        >>> bn.running_mean
        array([0.2, 2. ])
        >>> testmode(bn)(np.zeros((1, 2))).shape
        (1, 2)
    """

    nontrainable = frozenset({"running_mean", "running_var"})

    def __init__(
        self,
        channels: int,
        momentum: float = 0.1,
        eps: float = 1e-5,
        affine: bool = True,
        track_stats: bool = True,
        *,
        dtype=_init.DEFAULT_DTYPE,
    ):
        self.channels = int(channels)
        self.momentum = float(momentum)
        self.eps = float(eps)
        self.weight = np.ones(channels, dtype) if affine else None
        self.bias = np.zeros(channels, dtype) if affine else None
        self.running_mean = np.zeros(channels, dtype) if track_stats else None
        self.running_var = np.ones(channels, dtype) if track_stats else None

    def __call__(self, x):
        shape = shape_of(x)
        if len(shape) < 2 or shape[1] != self.channels:
            raise _shape_error(self, f"input (batch, {self.channels}, ...) with channels on axis 1", x)
        reference = self.weight if self.weight is not None else self.running_mean
        if reference is not None:
            x = cast_input(self, x, reference.dtype)
        axes = (0,) + tuple(range(2, len(shape)))
        bshape = (1, self.channels) + (1,) * (len(shape) - 2)
        if self.training or self.running_mean is None:
            count = int(np.prod([shape[a] for a in axes]))
            if count < 2:
                raise _shape_error(self, "more than one value per channel in training mode", x)
            if self.training and self.running_mean is not None:
                unsafe("BatchNorm updates its running statistics on each call")
                xb = bottom(x)
                xp = foreign_namespace(xb) if is_foreign(xb) else np
                mean = xp.mean(xb, axis=axes)
                self._update_stats(mean, xp.var(xb, axis=axes) * (count / (count - 1)))
            y = normalize_p(x, axes=axes, eps=self.eps)
        else:
            mu = np.reshape(self.running_mean, bshape)
            var = np.reshape(self.running_var, bshape)
            y = (x - mu) / np.sqrt(var + self.eps)
        if self.weight is not None:
            y = y * np.reshape(self.weight, bshape) + np.reshape(self.bias, bshape)
        return y

    def _update_stats(self, mean: np.ndarray, var: np.ndarray) -> None:
        # Statistics are state, not part of the differentiated computation: update the arrays in place.
        m = self.momentum
        for stat, batch in ((bottom(self.running_mean), mean), (bottom(self.running_var), var)):
            stat *= 1 - m
            if is_foreign(stat):
                stat += foreign_namespace(stat).astype(m * batch, stat.dtype)
            else:
                stat += (m * batch).astype(stat.dtype)

    def __repr__(self) -> str:
        extra = "" if self.weight is not None else ", affine=False"
        return f"BatchNorm({self.channels}{extra})"


_ELEMENTWISE = (np.add, np.multiply, np.subtract, np.maximum, np.minimum)


def _plain_ufunc(f):
    """NumPy's ufunc behind ``f`` (``zymo.numpy.add`` wraps ``numpy.add``), else ``f``."""
    return getattr(f, "_ufunc", f)


def _connection_name(f) -> str:
    return {np.add: "+", np.multiply: "*", np.subtract: "-"}.get(_plain_ufunc(f), describe(f))


class SkipConnection(Module):
    """``connection(layer(x), x)``: a residual block with ``connection=np.add`` (the default).

    Example:
        >>> import numpy as np
        >>> from zymo.nn import Dense, SkipConnection
        >>> block = SkipConnection(Dense(3, 3, rng=np.random.default_rng(0)))
        >>> block
        SkipConnection(Dense(3 => 3), +)
        >>> block(np.zeros((2, 3), np.float32)).shape
        (2, 3)
    """

    def __init__(self, layer: Callable, connection: Callable = np.add):
        self.layer = layer
        self.connection = connection

    def __call__(self, x):
        y = self.layer(x)
        if _plain_ufunc(self.connection) in _ELEMENTWISE and shape_of(y) != shape_of(x):
            raise ShapeError(
                f"{self!r}: the layer maps an input of shape {shape_of(x)} to shape {shape_of(y)}, but "
                f"{_connection_name(self.connection)} needs equal shapes; the residual would broadcast silently "
                f"(at {user_location()})"
            )
        return self.connection(y, x)

    def __repr__(self) -> str:
        return _layout("SkipConnection", [describe(self.layer), _connection_name(self.connection)])


class Parallel(Module):
    """Apply several layers and combine their outputs: ``connection(layer_1(x), ..., layer_n(x))``.

    Given one input, every layer receives it; given ``n`` inputs, layer ``i``
    receives input ``i``. ``connection=None`` returns the tuple of outputs.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import Dense, Parallel
        >>> rng = np.random.default_rng(0)
        >>> par = Parallel(np.add, Dense(3, 2, rng=rng), Dense(3, 2, rng=rng))
        >>> par(np.ones((4, 3), np.float32)).shape
        (4, 2)
        >>> Parallel(None, Dense(3, 2, rng=rng), Dense(5, 2, rng=rng))(np.ones(3), np.ones(5))[1].shape
        (2,)
    """

    def __init__(self, connection: Callable | None, *layers: Callable):
        if not layers:
            raise ZymoError("Parallel needs at least one layer")
        self.connection = connection
        self.layers = tuple(layers)

    def __call__(self, *xs):
        if len(xs) == 1:
            outs = tuple(layer(xs[0]) for layer in self.layers)
        elif len(xs) == len(self.layers):
            outs = tuple(layer(x) for layer, x in zip(self.layers, xs))
        else:
            raise ZymoError(
                f"Parallel with {len(self.layers)} layers takes 1 or {len(self.layers)} inputs, got {len(xs)} "
                f"(at {user_location()})"
            )
        if self.connection is None:
            return outs
        if _plain_ufunc(self.connection) in _ELEMENTWISE and len({shape_of(o) for o in outs}) > 1:
            shapes = ", ".join(str(shape_of(o)) for o in outs)
            raise ShapeError(
                f"{self!r}: combining outputs of shapes {shapes} with {_connection_name(self.connection)} needs "
                f"equal shapes (at {user_location()})"
            )
        if getattr(self.connection, "nin", None) == 2 and len(outs) > 2:  # a binary ufunc such as np.add
            return functools.reduce(self.connection, outs)
        return self.connection(*outs)

    def __repr__(self) -> str:
        conn = "None" if self.connection is None else _connection_name(self.connection)
        return _layout("Parallel", [conn] + [describe(layer) for layer in self.layers])


class Flatten(Module):
    """Merge the axes from ``start_axis`` on into one: ``(batch, a, b) -> (batch, a * b)`` by default.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import Flatten
        >>> Flatten()(np.zeros((2, 3, 4))).shape
        (2, 12)
    """

    def __init__(self, start_axis: int = 1):
        self.start_axis = int(start_axis)

    def __call__(self, x):
        shape = shape_of(x)
        if self.start_axis > len(shape):
            raise _shape_error(self, f"at least {self.start_axis} axes", x)
        return np.reshape(x, tuple(shape[: self.start_axis]) + (-1,))

    def __repr__(self) -> str:
        return "Flatten()" if self.start_axis == 1 else f"Flatten(start_axis={self.start_axis})"
