"""Checking that differentiated code is namespace-clean, on the CPU, with ``array_api_strict``.

``array_api_strict`` is a reference implementation of the Python array API standard that rejects
NumPy-only idioms. Its arrays placed on its second device (``STRICT_DEVICE``) refuse every
conversion to NumPy, so code that would silently fall back to NumPy (and so could not run on a GPU
library such as CuPy) fails instead. ``assert_matches_numpy`` runs a function on NumPy arrays and on
such arrays and compares values, gradients and forward-mode tangents.

Needs ``pip install array-api-strict`` (part of zymo's ``test`` extra).

Example:
    >>> import numpy as np, zymo.numpy as znp
    >>> from zymo.namespace_check import assert_matches_numpy
    >>> assert_matches_numpy(lambda x: znp.sum(znp.tanh(x) ** 2), np.array([0.1, 0.5]))
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

try:
    import array_api_strict as strict
except ImportError:  # pragma: no cover - the test extra installs it
    strict = None

__all__ = ["strict", "STRICT_DEVICE", "to_strict", "from_strict", "assert_matches_numpy"]

STRICT_DEVICE = None if strict is None else strict.Device("device1")


def _is_strict_array(x) -> bool:
    return type(x).__module__.startswith("array_api_strict")


def _need_strict() -> None:
    if strict is None:
        raise ImportError("array_api_strict is needed for this check: pip install array-api-strict")


def to_strict(x: Any, device=None) -> Any:
    """``x`` (a NumPy array or a pytree of them) as ``array_api_strict`` arrays on ``STRICT_DEVICE``."""
    from .core.pytree import tree_map

    _need_strict()
    device = STRICT_DEVICE if device is None else device

    def convert(v):
        if isinstance(v, (np.ndarray, np.generic, float)):
            return strict.asarray(np.asarray(v), device=device)
        return v

    return tree_map(convert, x)


def from_strict(x: Any) -> Any:
    """``array_api_strict`` arrays (a pytree of them) back as NumPy arrays."""
    from .core.pytree import tree_map

    _need_strict()

    def convert(v):
        if _is_strict_array(v):
            return np.from_dlpack(v.to_device(strict.Device("CPU_DEVICE")))
        return v

    return tree_map(convert, x)


def _assert_strict_close(got, want, what: str, rtol: float, atol: float) -> None:
    from .core.pytree import tree_flatten

    got_leaves, _ = tree_flatten(got)
    want_leaves, _ = tree_flatten(want)
    assert len(got_leaves) == len(want_leaves), f"{what}: {len(got_leaves)} leaves, NumPy gave {len(want_leaves)}"
    for g, w in zip(got_leaves, want_leaves):
        if w is None:
            assert g is None, f"{what}: got {g!r} where NumPy gave None"
            continue
        assert _is_strict_array(g), f"{what}: got a {type(g).__name__}, not an array_api_strict array"
        assert g.device == STRICT_DEVICE, f"{what}: the result is on {g.device}, not on {STRICT_DEVICE}"
        np.testing.assert_allclose(from_strict(g), np.asarray(w), rtol=rtol, atol=atol, err_msg=what)


def assert_matches_numpy(f: Callable, *args: np.ndarray, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    """Assert that ``f`` gives NumPy's value, gradient and tangent on ``array_api_strict`` arrays.

    ``f`` maps the arrays ``args`` to a scalar. Its reverse-mode gradient with respect to every
    argument and its forward-mode derivative along a fixed direction are computed on the NumPy
    arrays and on the same values as strict arrays, and must agree to ``rtol``/``atol``.
    """
    from .core.api import grad, jvp

    _need_strict()
    argnums = tuple(range(len(args)))
    sargs = [to_strict(a) for a in args]
    want = grad(f, argnums=argnums)(*args)
    got = grad(f, argnums=argnums)(*sargs)
    _assert_strict_close(got, want, "gradient", rtol, atol)
    directions = [np.cos(np.arange(np.size(a), dtype=np.float64)).reshape(np.shape(a)) for a in args]
    want_v, want_t = jvp(f, args, directions)
    got_v, got_t = jvp(f, sargs, [to_strict(d) for d in directions])
    _assert_strict_close(got_v, want_v, "value", rtol, atol)
    _assert_strict_close(got_t, want_t, "tangent", rtol, atol)
