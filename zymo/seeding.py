"""``zymo.seed``: one generator for everything that draws random numbers without an explicit ``rng=``.

Layer construction (``nn.Dense(3, 3)``, recurrent cells, ``Embedding``),
``Dropout`` masks and ``DataLoader`` shuffling take a ``numpy.random.Generator``
as ``rng=``; where none is given they share this module's generator.
``zymo.seed(n)`` reseeds it in place, so layers built earlier (a ``Dropout``
holds the generator) follow the new seed too.
"""

from __future__ import annotations

import numpy as np

from .core.errors import ZymoError

__all__ = ["seed", "default_generator", "generator_or_default"]

_GENERATOR = np.random.default_rng()


def seed(n: int) -> np.random.Generator:
    """Reseed zymo's shared generator with ``n`` (as ``np.random.default_rng(n)``); returns the generator.

    Example:
        >>> import zymo
        >>> from zymo import nn
        >>> _ = zymo.seed(0); a = nn.Dense(3, 3).weight
        >>> _ = zymo.seed(0); b = nn.Dense(3, 3).weight
        >>> bool((a == b).all())
        True
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ZymoError(f"zymo.seed needs a non-negative integer, got {n!r}")
    _GENERATOR.bit_generator.state = np.random.PCG64(int(n)).state
    return _GENERATOR


def default_generator() -> np.random.Generator:
    """The shared generator that ``zymo.seed`` reseeds.

    Example:
        >>> import zymo
        >>> zymo.seed(1) is default_generator()
        True
    """
    return _GENERATOR


def generator_or_default(rng) -> np.random.Generator:
    """``rng`` itself when it is a ``numpy.random.Generator``, the shared generator when it is ``None``.

    Example:
        >>> import numpy as np
        >>> generator_or_default(None) is default_generator()
        True
    """
    if rng is None:
        return _GENERATOR
    if not isinstance(rng, np.random.Generator):
        raise ZymoError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng
