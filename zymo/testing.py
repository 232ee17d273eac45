"""Gradient checking against central finite differences, for users and for zymo's own tests."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .core.pytree import tree_flatten as _flatten
from .core.pytree import tree_map, tree_unflatten

__all__ = ["numerical_grad", "max_relative_error", "check_grads", "GradientCheckError"]


class GradientCheckError(AssertionError):
    """A derivative disagrees with finite differences."""


def _is_float_leaf(x) -> bool:
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, (float, np.floating)):
        return True
    return isinstance(x, np.ndarray) and x.dtype.kind == "f"


def _to64(tree):
    return tree_map(
        lambda x: x.astype(np.float64) if isinstance(x, np.ndarray) and x.dtype.kind == "f" else x,
        tree,
    )


def numerical_grad(f: Callable, args: Sequence, eps: float = 1e-6) -> tuple:
    """Central finite-difference gradient of scalar ``f(*args)``, in float64, for every argument.

    Float leaves get arrays of their shape; other leaves ``None``.

    Example:
        >>> import numpy as np
        >>> from zymo.testing import numerical_grad
        >>> g, = numerical_grad(lambda x: float(np.sum(x ** 2)), (np.array([1.0, 2.0]),))
        >>> np.round(g, 6)
        array([2., 4.])
    """
    args = _to64(tuple(args))
    leaves, treedef = _flatten(args)
    leaves = [np.array(x, dtype=np.float64) if _is_float_leaf(x) else x for x in leaves]
    grads = []
    for k, leaf in enumerate(leaves):
        if not isinstance(leaf, np.ndarray) or leaf.dtype != np.float64:
            grads.append(None)
            continue
        g = np.zeros(leaf.shape)
        flat = leaf.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            fp = float(f(*tree_unflatten(treedef, leaves)))
            flat[i] = old - eps
            fm = float(f(*tree_unflatten(treedef, leaves)))
            flat[i] = old
            g.reshape(-1)[i] = (fp - fm) / (2 * eps)
        grads.append(g)
    return tuple(tree_unflatten(treedef, grads))


def max_relative_error(got, want) -> float:
    """``max|got - want| / max(max|want|, tiny)`` over all leaves of two gradient trees."""
    gl, _ = _flatten(got)
    wl, _ = _flatten(want)
    num, den = 0.0, 1e-300
    for g, w in zip(gl, wl):
        if w is None:
            continue
        g = np.asarray(g, dtype=np.float64)
        w = np.asarray(w, dtype=np.float64)
        if g.shape != w.shape:
            return float("inf")
        if g.size:
            num = max(num, float(np.max(np.abs(g - w))))
            den = max(den, float(np.max(np.abs(w))))
    return num / den


def _random_like(x, rng):
    x = np.asarray(x)
    return rng.standard_normal(x.shape).astype(x.dtype) if x.dtype.kind == "f" else None


def _inner(a, b) -> float:
    al, _ = _flatten(a)
    bl, _ = _flatten(b)
    total = 0.0
    for x, y in zip(al, bl):
        if x is None or y is None:
            continue
        total += float(np.sum(np.asarray(x, dtype=np.float64) * np.asarray(y, dtype=np.float64)))
    return total


def _axpy(alpha, direction, args):
    al, treedef = _flatten(args)
    dl, _ = _flatten(direction)
    out = [
        (np.asarray(a, dtype=np.float64) + alpha * d) if d is not None and _is_float_leaf(a) else a
        for a, d in zip(al, dl)
    ]
    return tree_unflatten(treedef, out)


def _directional_fd(f, args, direction, eps):
    fp = f(*_axpy(eps, direction, args))
    fm = f(*_axpy(-eps, direction, args))
    return tree_map(
        lambda a, b: (np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) / (2 * eps),
        fp,
        fm,
    )


def _close(got, want, atol, rtol, what):
    gl, _ = _flatten(got)
    wl, _ = _flatten(want)
    for g, w in zip(gl, wl):
        if w is None or g is None:
            continue
        g = np.asarray(g, dtype=np.float64)
        w = np.asarray(w, dtype=np.float64)
        if not np.allclose(g, w, atol=atol, rtol=rtol, equal_nan=True):
            raise GradientCheckError(f"{what}: got {g}, finite differences give {w}")


def check_grads(
    f: Callable,
    args: Sequence,
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    atol: float | None = None,
    rtol: float | None = None,
    eps: float | None = None,
    seed: int = 0,
) -> None:
    """Check ``f``'s forward and reverse derivatives against finite differences, up to ``order``.

    Along random directions ``v`` (inputs) and ``u`` (outputs), in float64:
    forward mode ``jvp(f)(v)`` must equal the directional finite difference,
    and reverse mode must satisfy ``<u, J v> == <vjp(u), v>``. For
    ``order > 1`` the derivative functions themselves are checked the same
    way. Raises ``GradientCheckError`` naming the mode and order.

    Example:
        >>> import zymo.numpy as znp
        >>> from zymo.testing import check_grads
        >>> check_grads(znp.tanh, (znp.array([0.1, 0.5]),), order=2)
    """
    from . import jvp, vjp

    atol = 1e-6 if atol is None else atol
    rtol = 1e-5 if rtol is None else rtol
    eps = 1e-6 if eps is None else eps
    rng = np.random.default_rng(seed)
    args = _to64(tuple(args))
    args = tree_map(lambda x: float(x) if isinstance(x, np.floating) else x, args)
    v = tree_map(lambda x: _random_like(x, rng) if _is_float_leaf(np.asarray(x)) else None, args)
    fd = _directional_fd(f, args, v, eps)
    label = f"order {order} derivative of {getattr(f, '__name__', f)}"
    if "fwd" in modes:
        tangents = tuple(
            tree_map(
                lambda a, d: (d if not isinstance(a, float) else float(d)) if d is not None else None,
                a_,
                v_,
            )
            for a_, v_ in zip(args, v)
        )
        _, jv = jvp(f, args, tangents)
        _close(jv, fd, atol, rtol, f"forward mode, {label}")
    if "rev" in modes:
        out, back = vjp(f, *args)
        u = tree_map(lambda o: _random_like(o, rng), out)
        vj = back(u)
        lhs = _inner(u, fd)
        rhs = _inner(vj, v)
        if not np.isclose(lhs, rhs, atol=atol * 10, rtol=rtol * 10):
            raise GradientCheckError(f"reverse mode, {label}: <u, J v> = {lhs} but <vjp(u), v> = {rhs}")
    if order > 1:
        if "rev" in modes:
            u0 = tree_map(lambda o: _random_like(o, rng), f(*args))

            def vjp_of_f(*a):
                return vjp(f, *a)[1](u0)

            check_grads(vjp_of_f, args, order - 1, modes, atol, rtol, eps, seed + 1)
        if "fwd" in modes:

            def jvp_of_f(*a):
                return jvp(f, a, tangents)[1]

            check_grads(jvp_of_f, args, order - 1, modes, atol, rtol, eps, seed + 1)
