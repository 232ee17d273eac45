"""Weight initialisers. Each takes an explicit ``numpy.random.Generator``, the shape, and a ``dtype``.

Shapes follow PyTorch's layout: a weight is ``(out, in)`` (``(out, in, *kernel)``
for convolutions), so ``fan_in = in * prod(kernel)`` and
``fan_out = out * prod(kernel)``; a vector's fans are both its length. The
default dtype is ``float32``.

``device=`` puts the result on another device: ``"cuda"`` (or a CuPy device) draws there with a CuPy
generator seeded once from ``rng``; a device of a library without random numbers of its own
(``array_api_strict``) gets numbers drawn on the host and copied once. ``orthogonal`` and
``truncated_normal`` (a QR factorisation, a rejection loop) always compute on the host and copy the
result once (see ``zymo.nn.device_random``).

Example:
    >>> import numpy as np
    >>> from zymo.nn import init
    >>> w = init.glorot_uniform(np.random.default_rng(0), 5, 3)
    >>> w.shape, w.dtype
    ((5, 3), dtype('float32'))
"""

from __future__ import annotations

import math

import numpy as np

from ..core.errors import ShapeError, ZymoError
from . import device_random as _random

__all__ = [
    "fans",
    "glorot_uniform",
    "glorot_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "orthogonal",
    "truncated_normal",
    "zeros",
    "ones",
]

DEFAULT_DTYPE = np.float32


def _shape(dims) -> tuple[int, ...]:
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    if not all(isinstance(d, (int, np.integer)) and d >= 0 for d in dims):
        raise ShapeError(f"an initialiser needs non-negative integer sizes, got {dims!r}")
    return tuple(int(d) for d in dims)


def _check_rng(rng, name: str) -> None:
    if not isinstance(rng, np.random.Generator):
        raise ZymoError(
            f"{name} needs a numpy.random.Generator as its first argument, got {type(rng).__name__}; "
            "pass np.random.default_rng(seed)"
        )


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape`` (PyTorch's convention).

    Example:
        >>> from zymo.nn.init import fans
        >>> fans((5, 3)), fans((8, 4, 3, 3)), fans((7,))
        ((3, 5), (36, 72), (7, 7))
    """
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def glorot_uniform(rng: np.random.Generator, *dims, gain: float = 1.0, dtype=DEFAULT_DTYPE, device=None) -> np.ndarray:
    """Uniform on ``[-a, a]`` with ``a = gain * sqrt(6 / (fan_in + fan_out))`` (Xavier uniform).

    Example:
        >>> import numpy as np
        >>> from zymo.nn.init import glorot_uniform
        >>> w = glorot_uniform(np.random.default_rng(0), 5, 3, dtype=np.float64)
        >>> bool(np.all(np.abs(w) <= np.sqrt(6 / 8)))
        True
    """
    _check_rng(rng, "glorot_uniform")
    shape = _shape(dims)
    fan_in, fan_out = fans(shape)
    a = gain * math.sqrt(6.0 / max(fan_in + fan_out, 1))
    return _random.uniform(rng, -a, a, shape, device=device, dtype=dtype)


def glorot_normal(rng: np.random.Generator, *dims, gain: float = 1.0, dtype=DEFAULT_DTYPE, device=None) -> np.ndarray:
    """Normal with standard deviation ``gain * sqrt(2 / (fan_in + fan_out))`` (Xavier normal).

    Example:
        >>> import numpy as np
        >>> from zymo.nn.init import glorot_normal
        >>> glorot_normal(np.random.default_rng(0), 4, 2).shape
        (4, 2)
    """
    _check_rng(rng, "glorot_normal")
    shape = _shape(dims)
    fan_in, fan_out = fans(shape)
    std = gain * math.sqrt(2.0 / max(fan_in + fan_out, 1))
    return _random.normal(rng, std, shape, device=device, dtype=dtype)


def kaiming_uniform(
    rng: np.random.Generator, *dims, gain: float = math.sqrt(2), dtype=DEFAULT_DTYPE, device=None
) -> np.ndarray:
    """Uniform on ``[-a, a]`` with ``a = gain * sqrt(3 / fan_in)`` (He uniform; ``gain`` suits relu).

    Example:
        >>> import numpy as np
        >>> from zymo.nn.init import kaiming_uniform
        >>> w = kaiming_uniform(np.random.default_rng(0), 5, 6, dtype=np.float64)
        >>> bool(np.all(np.abs(w) <= 1.0))
        True
    """
    _check_rng(rng, "kaiming_uniform")
    shape = _shape(dims)
    fan_in, _ = fans(shape)
    a = gain * math.sqrt(3.0 / max(fan_in, 1))
    return _random.uniform(rng, -a, a, shape, device=device, dtype=dtype)


def kaiming_normal(
    rng: np.random.Generator, *dims, gain: float = math.sqrt(2), dtype=DEFAULT_DTYPE, device=None
) -> np.ndarray:
    """Normal with standard deviation ``gain / sqrt(fan_in)`` (He normal).

    Example:
        >>> import numpy as np
        >>> from zymo.nn.init import kaiming_normal
        >>> kaiming_normal(np.random.default_rng(0), 3, 8).dtype
        dtype('float32')
    """
    _check_rng(rng, "kaiming_normal")
    shape = _shape(dims)
    fan_in, _ = fans(shape)
    std = gain / math.sqrt(max(fan_in, 1))
    return _random.normal(rng, std, shape, device=device, dtype=dtype)


def truncated_normal(
    rng: np.random.Generator,
    *dims,
    mean: float = 0.0,
    std: float = 0.01,
    lo: float = -2.0,
    hi: float = 2.0,
    dtype=DEFAULT_DTYPE,
    device=None,
) -> np.ndarray:
    """Normal ``(mean, std)`` restricted to ``[lo, hi]`` (absolute bounds, as Flux and PyTorch), by rejection.

    Example:
        >>> import numpy as np
        >>> from zymo.nn.init import truncated_normal
        >>> w = truncated_normal(np.random.default_rng(0), 1000, std=1.0, lo=-0.5, hi=0.5)
        >>> bool(w.min() >= -0.5 and w.max() <= 0.5)
        True
    """
    _check_rng(rng, "truncated_normal")
    if not lo < hi:
        raise ZymoError(f"truncated_normal needs lo < hi, got lo={lo}, hi={hi}")
    shape = _shape(dims)
    out = np.empty(math.prod(shape))
    filled = 0
    for _ in range(1000):
        if filled == out.size:
            break
        draw = mean + std * rng.standard_normal(2 * (out.size - filled) + 16)
        draw = draw[(draw >= lo) & (draw <= hi)][: out.size - filled]
        out[filled : filled + draw.size] = draw
        filled += draw.size
    if filled < out.size:
        raise ZymoError(
            f"truncated_normal: [{lo}, {hi}] holds almost none of the normal({mean}, {std}) mass; widen the bounds"
        )
    return _random.to_target(out.reshape(shape).astype(dtype), device)


def orthogonal(rng: np.random.Generator, *dims, gain: float = 1.0, dtype=DEFAULT_DTYPE, device=None) -> np.ndarray:
    """A (semi-)orthogonal matrix times ``gain``: orthonormal rows or columns, whichever are fewer.

    Higher-dimensional shapes are flattened to ``(dims[0], prod(dims[1:]))``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn.init import orthogonal
        >>> q = orthogonal(np.random.default_rng(0), 3, 5, dtype=np.float64)
        >>> bool(np.allclose(q @ q.T, np.eye(3)))
        True
    """
    _check_rng(rng, "orthogonal")
    shape = _shape(dims)
    if len(shape) < 2:
        raise ShapeError(f"orthogonal needs at least 2 dimensions, got shape {shape}")
    rows, cols = shape[0], math.prod(shape[1:])
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)  # a uniform (Haar) distribution needs the sign fix
    if rows < cols:
        q = q.T
    return _random.to_target((gain * q).reshape(shape).astype(dtype), device)


def zeros(rng: np.random.Generator | None = None, *dims, dtype=DEFAULT_DTYPE, device=None) -> np.ndarray:
    """Zeros (the generator argument is accepted so every initialiser has the same signature).

    Example:
        >>> from zymo.nn.init import zeros
        >>> zeros(None, 2)
        array([0., 0.], dtype=float32)
    """
    return _random.to_target(np.zeros(_shape(dims), dtype), device)


def ones(rng: np.random.Generator | None = None, *dims, dtype=DEFAULT_DTYPE, device=None) -> np.ndarray:
    """Ones (the generator argument is accepted so every initialiser has the same signature).

    Example:
        >>> from zymo.nn.init import ones
        >>> ones(None, 2, dtype=float)
        array([1., 1.])
    """
    return _random.to_target(np.ones(_shape(dims), dtype), device)
