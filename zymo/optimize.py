"""``zymo.optimize.minimize``: ``scipy.optimize.minimize`` with gradients (and Hessian products) from zymo.

SciPy is an optional dependency (``pip install zymo[scipy]``).

Example:
    >>> import zymo.numpy as znp
    >>> from zymo.optimize import minimize
    >>> res = minimize(lambda p: (p["a"] - 1.0) ** 2 + znp.sum((p["b"] + 2.0) ** 2), {"a": 0.0, "b": znp.zeros(2)})
    >>> round(float(res.x["a"]), 6), res.x["b"].round(6).tolist()
    (1.0, [-2.0, -2.0])
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .core.api import value_and_grad
from .core.pytree import tree_flatten, tree_unflatten
from .transforms import hvp

__all__ = ["minimize", "HESSP_METHODS", "HESS_METHODS", "GRADIENT_FREE_METHODS"]

# Methods that use Hessian-vector products: zymo supplies ``hessp`` (forward over reverse mode).
HESSP_METHODS = frozenset({"newton-cg", "trust-ncg", "trust-krylov", "trust-constr"})
# Methods that need the whole Hessian: zymo supplies ``hess``, one Hessian-vector product per column.
HESS_METHODS = frozenset({"dogleg", "trust-exact"})
# Methods that use no derivative: they get the value alone.
GRADIENT_FREE_METHODS = frozenset({"nelder-mead", "powell", "cobyla", "cobyqa"})


class _Flat:
    """A pytree of arrays viewed as one float64 vector (what SciPy's optimizers work on)."""

    def __init__(self, tree: Any):
        leaves, self.treedef = tree_flatten(tree)
        self.arrays = [np.asarray(leaf, dtype=float) for leaf in leaves]
        self.shapes = [a.shape for a in self.arrays]
        self.scalar = [np.ndim(leaf) == 0 and not isinstance(leaf, np.ndarray) for leaf in leaves]
        self.sizes = [a.size for a in self.arrays]

    def vector(self) -> np.ndarray:
        return np.concatenate([a.ravel() for a in self.arrays]) if self.arrays else np.zeros(0)

    def tree(self, v: np.ndarray) -> Any:
        leaves, start = [], 0
        for shape, size, scalar in zip(self.shapes, self.sizes, self.scalar):
            part = np.asarray(v[start : start + size], dtype=float).reshape(shape)
            leaves.append(float(part) if scalar else part)
            start += size
        return tree_unflatten(self.treedef, leaves)

    def flatten_like(self, tree: Any) -> np.ndarray:
        leaves, _ = tree_flatten(tree)
        return np.concatenate([np.asarray(g, dtype=float).ravel() for g in leaves]) if leaves else np.zeros(0)


def minimize(
    fun: Callable,
    x0: Any,
    args: Sequence = (),
    method: str | None = None,
    bounds: Any = None,
    constraints: Any = (),
    tol: float | None = None,
    callback: Callable | None = None,
    options: dict | None = None,
):
    """Minimize the scalar ``fun(x, *args)`` over ``x``, any pytree of arrays, with ``scipy.optimize.minimize``.

    The gradient comes from ``zymo.value_and_grad`` (one pass gives both), and
    for ``Newton-CG``, ``trust-ncg``, ``trust-krylov`` and ``trust-constr`` the
    Hessian-vector products from ``zymo.hvp`` (for ``dogleg`` and ``trust-exact``,
    which need the whole Hessian, one product per column). Returns SciPy's
    ``OptimizeResult`` with ``x`` (and ``jac``) in ``x0``'s structure;
    ``bounds`` are given for the flattened vector, as SciPy expects them.
    ``callback`` receives the intermediate ``OptimizeResult`` with ``x`` as a
    tree (from ``TNC``, which passes only the point, the tree itself).

    Example:
        >>> import zymo.numpy as znp
        >>> from zymo.optimize import minimize
        >>> rosen = lambda x: znp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
        >>> minimize(rosen, znp.zeros(3), method="Newton-CG").x.round(4)
        array([1., 1., 1.])
    """
    from scipy.optimize import minimize as scipy_minimize

    flat = _Flat(x0)
    objective, kwargs = _objective(fun, args, method, flat)
    if callback is not None:
        kwargs["callback"] = _tree_callback(callback, flat)
    res = scipy_minimize(
        objective,
        flat.vector(),
        method=method,
        bounds=bounds,
        constraints=constraints,
        tol=tol,
        options=options,
        **kwargs,
    )
    return _with_tree(res, flat)


def _objective(fun: Callable, args: Sequence, method: str | None, flat: _Flat) -> tuple[Callable, dict]:
    """What SciPy minimizes over the flat vector, and the derivative arguments ``method`` uses.

    The value and the gradient together (``jac=True``); the value alone for the
    gradient-free methods; Hessian-vector products (``hessp``) or the whole
    Hessian (``hess``, one product per column) for the methods that use them.
    """
    name = method.lower() if method is not None else None
    if name in GRADIENT_FREE_METHODS:
        return (lambda v: float(fun(flat.tree(v), *args))), {}
    vg = value_and_grad(fun)

    def value_and_gradient(v):
        value, g = vg(flat.tree(v), *args)
        return float(value), flat.flatten_like(g)

    def hessp(v, p):
        (hp,) = hvp(lambda x: fun(x, *args), (flat.tree(v),), (flat.tree(p),))
        return flat.flatten_like(hp)

    kwargs: dict = {"jac": True}
    if name in HESSP_METHODS:
        kwargs["hessp"] = hessp
    if name in HESS_METHODS:
        kwargs["hess"] = lambda v: np.stack([hessp(v, e) for e in np.eye(v.size)], axis=1)
    return value_and_gradient, kwargs


def _tree_callback(user_callback: Callable, flat: _Flat) -> Callable:
    """SciPy's callback calling ``user_callback`` with the point as a tree."""

    def tree_callback(intermediate_result):
        if isinstance(intermediate_result, np.ndarray):  # methods that pass only the current point
            return user_callback(flat.tree(intermediate_result))
        return user_callback(_with_tree(type(intermediate_result)(intermediate_result), flat))

    return tree_callback


def _with_tree(res, flat: _Flat):
    """``res`` with ``x`` (and ``jac``) in the structure of ``x0``."""
    res.x = flat.tree(res.x)
    if "jac" in res and np.shape(res.jac) == (sum(flat.sizes),):
        res.jac = flat.tree(res.jac)
    return res
