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


def _is_inexact_leaf(x) -> bool:
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, (float, complex, np.inexact)):
        return True
    return isinstance(x, np.ndarray) and x.dtype.kind in "fc"


def _to_double(x):
    """Float leaves in float64, complex leaves in complex128, Python numbers kept as they are."""
    if isinstance(x, np.ndarray) and x.dtype.kind in "fc":
        return x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)
    if isinstance(x, np.complexfloating):
        return complex(x)
    if isinstance(x, np.floating):
        return float(x)
    return x


def _random_like(x, rng):
    """A random direction shaped like leaf ``x`` (``None`` for leaves without derivatives)."""
    if not _is_inexact_leaf(x):
        return None
    a = np.asarray(x)
    d = rng.standard_normal(a.shape)
    if a.dtype.kind == "c":
        d = d + 1j * rng.standard_normal(a.shape)
    if isinstance(x, (float, complex)):
        return type(x)(d)
    return d.astype(a.dtype)


def _zero_direction(x):
    if not _is_inexact_leaf(x):
        return None
    if isinstance(x, (float, complex)):
        return type(x)(0)
    return np.zeros(np.shape(x), np.asarray(x).dtype)


def _inner(a, b, absolute: bool = False) -> float:
    """The real inner product ``Re sum(conj(a) b)`` over matching leaves (or ``sum |a| |b|``)."""
    al, _ = _flatten(a)
    bl, _ = _flatten(b)
    total = 0.0
    for x, y in zip(al, bl):
        if x is None or y is None:
            continue
        x, y = np.asarray(x).ravel(), np.asarray(y).ravel()
        total += float(np.dot(np.abs(x), np.abs(y)) if absolute else np.real(np.vdot(x, y)))
    return total


def _conj(tree):
    return tree_map(lambda x: None if x is None else np.conj(x) if np.iscomplexobj(x) else x, tree)


def _axpy(alpha, direction, args):
    al, treedef = _flatten(args)
    dl, _ = _flatten(direction)
    out = [a + alpha * d if d is not None else a for a, d in zip(al, dl)]
    return tree_unflatten(treedef, out)


def _directional_fd(f, args, direction, eps):
    fp = f(*_axpy(eps, direction, args))
    fm = f(*_axpy(-eps, direction, args))
    return tree_map(
        lambda a, b: None if a is None or b is None else (np.asarray(a) - np.asarray(b)) / (2 * eps),
        fp,
        fm,
    )


def _describe(x) -> str:
    return np.array2string(np.asarray(x), precision=6, threshold=12, edgeitems=3)


def _compare(got, want, atol, rtol, where):
    gl, gdef = _flatten(got)
    wl, wdef = _flatten(want)
    if len(gl) != len(wl):
        raise GradientCheckError(f"{where}: the derivative has structure {gdef}, finite differences {wdef}")
    for k, (g, w) in enumerate(zip(gl, wl)):
        if w is None or g is None:
            continue
        g, w = np.asarray(g), np.asarray(w)
        if g.shape != w.shape:
            raise GradientCheckError(f"{where}, output leaf {k}: shape {g.shape}, finite differences give {w.shape}")
        if not np.allclose(g, w, atol=atol, rtol=rtol, equal_nan=True):
            err = float(np.max(np.abs(g - w)))
            raise GradientCheckError(
                f"{where}, output leaf {k}: max abs error {err:.3g} (atol={atol}, rtol={rtol})\n"
                f"  derivative:          {_describe(g)}\n  finite differences:  {_describe(w)}"
            )


def _check(f, args, order, level, modes, atol, rtol, eps, rng, name):
    """Check the derivatives of ``f`` (itself the ``level - 1``-th derivative of the user's function)."""
    from . import jvp, vjp

    out = f(*args)
    diff_args = [k for k, a in enumerate(args) if any(_is_inexact_leaf(x) for x in _flatten(a)[0])]
    v = tuple(tree_map(lambda x: _random_like(x, rng), a) for a in args)
    u = tree_map(lambda o: _random_like(o, rng), out)
    _, back = vjp(f, *args) if "rev" in modes else (None, None)
    vju = _conj(back(_conj(u))) if back is not None else None
    for k in diff_args:
        v_k = tuple(v[j] if j == k else tree_map(_zero_direction, a) for j, a in enumerate(args))
        fd = _directional_fd(f, args, v_k, eps)
        where = f"argument {k}, order {level} ({name})"
        if "fwd" in modes:
            _, jv = jvp(f, args, v_k)
            _compare(jv, fd, atol, rtol, f"forward mode, {where}")
        if "rev" in modes:
            lhs, rhs = _inner(fd, u), _inner(v[k], vju[k])
            # relative to the sum of the magnitudes, so cancellation in the sum does not loosen the test
            if abs(lhs - rhs) > atol + rtol * _inner(fd, u, absolute=True):
                raise GradientCheckError(
                    f"reverse mode, {where}: <u, J v> = {lhs!r} from finite differences but <vjp(u), v> = {rhs!r}"
                )
    if level >= order:
        return
    if "rev" in modes:

        def vjp_of_f(*a):
            return _conj(vjp(f, *a)[1](_conj(u)))

        _check(vjp_of_f, args, order, level + 1, modes, atol, rtol, eps, rng, f"vjp of {name}")
    if "fwd" in modes:

        def jvp_of_f(*a):
            return jvp(f, a, v)[1]

        _check(jvp_of_f, args, order, level + 1, modes, atol, rtol, eps, rng, f"jvp of {name}")


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
    """Check ``f``'s forward and reverse derivatives against central finite differences, up to ``order``.

    Inputs are taken in double precision. For each argument along a random
    direction ``v`` (others held fixed): forward mode ``jvp`` must equal the
    directional finite difference, and reverse mode must satisfy
    ``<u, J v> == <vjp(u), v>`` for a random output direction ``u``. For
    ``order > 1`` the functions ``vjp(f)(u)`` and ``jvp(f)(v)`` are checked the
    same way, recursively, so every combination of modes is covered. Complex
    leaves follow JAX's convention (``conj(vjp(conj(u)))`` is the adjoint of
    ``jvp``). Raises ``GradientCheckError`` naming the mode, the argument and
    the order.

    Example:
        >>> import zymo.numpy as znp
        >>> from zymo.testing import check_grads
        >>> check_grads(znp.tanh, (znp.array([0.1, 0.5]),), order=2)
    """
    modes = tuple(modes)
    unknown = set(modes) - {"fwd", "rev"}
    if unknown:
        raise ValueError(f"modes must be 'fwd' and/or 'rev', got {sorted(unknown)}")
    if order < 1:
        raise ValueError(f"order must be at least 1, got {order}")
    atol = 1e-6 if atol is None else atol
    rtol = 1e-5 if rtol is None else rtol
    eps = 1e-6 if eps is None else eps
    args = tree_map(_to_double, tuple(args))
    name = getattr(f, "__name__", None) or getattr(f, "name", None) or repr(f)
    _check(f, args, order, 1, modes, atol, rtol, eps, np.random.default_rng(seed), name)
