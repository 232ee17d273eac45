"""The derivative toolbox built on ``vjp`` and ``jvp``: Jacobians, Hessians, and conveniences.

Jacobians follow JAX's layout: for an output leaf of shape ``S`` and an
input leaf of shape ``R`` the block has shape ``S + R``; the result has the
output's structure, each leaf replaced by the input's structure (a tuple over
``argnums`` when that is a tuple).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

from . import numpy as znp
from .core.api import grad, jvp, vjp
from .core.differentiation import argnums_tuple
from .core.errors import ZymoError
from .core.pytree import tree_flatten, tree_map, tree_unflatten
from .core.tracer import bottom

__all__ = ["jacobian", "jacfwd", "jacrev", "hessian", "hvp", "elementwise_grad", "make_jvp", "make_vjp"]


def _partial_args(fun, args, nums):
    """``fun`` as a function of the arguments at ``nums`` only (the others fixed)."""

    def restricted(*diff):
        full = list(args)
        for k, a in zip(nums, diff):
            full[k] = a
        return fun(*full)

    return restricted


def _shape(x) -> tuple:
    return np.shape(bottom(x))


def _size(x) -> int:
    return int(np.prod(_shape(x), dtype=np.int64))


def _is_float(x) -> bool:
    b = bottom(x)
    if isinstance(b, (bool, np.bool_)):
        return False
    return np.result_type(b).kind in "fc" if isinstance(b, (np.ndarray, np.generic, float, complex)) else False


def _basis(leaves, k_leaf, flat_index):
    """Tangents (or cotangents) that are zero except for a 1 at one element of one leaf."""
    out = []
    for j, leaf in enumerate(leaves):
        if not _is_float(leaf):
            out.append(None)
            continue
        b = bottom(leaf)
        if j == k_leaf:
            e = np.zeros(np.shape(b), np.result_type(b))
            e.reshape(-1)[flat_index] = 1
        else:
            e = np.zeros(np.shape(b), np.result_type(b))
        out.append(type(b)(e) if type(b) in (float, complex) else e)
    return out


def _stack_rows(rows, lead_shape, tail_shape):
    """Stack per-element results (``rows[i]`` of shape ``tail_shape``) into ``lead_shape + tail_shape``."""
    if not rows:
        return np.zeros(lead_shape + tail_shape)
    return znp.reshape(znp.stack([znp.asarray(r) for r in rows]), lead_shape + tail_shape)


def _transpose_blocks(blocks, out_leaves, out_def, in_defs, single):
    """Assemble ``blocks[o][i]`` (output leaf o, flat input leaf i) into JAX's nested layout."""
    result = []
    for o in range(len(out_leaves)):
        per_arg, start = [], 0
        for d in in_defs:
            n = d.num_leaves
            per_arg.append(tree_unflatten(d, blocks[o][start : start + n]))
            start += n
        result.append(per_arg[0] if single else tuple(per_arg))
    return tree_unflatten(out_def, result)


def jacrev(fun: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The Jacobian of ``fun`` by reverse mode: one vector-Jacobian product per output element.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.jacrev(lambda x: x ** 2)(znp.array([1.0, 2.0]))
        array([[2., 0.],
               [0., 4.]])
    """

    @functools.wraps(fun)
    def jac(*args):
        nums, single = argnums_tuple(argnums, len(args))
        diff = [args[k] for k in nums]
        out, back = vjp(_partial_args(fun, args, nums), *diff)
        return _jac_from_vjp(out, back, diff, single)

    return jac


def _jac_from_vjp(out, back, diff, single):
    out_leaves, out_def = tree_flatten(out)
    in_flat, in_defs = [], []
    for a in diff:
        leaves, d = tree_flatten(a)
        in_flat.extend(leaves)
        in_defs.append(d)
    blocks = []
    for o, leaf in enumerate(out_leaves):
        rows = []
        if _is_float(leaf):
            for e in range(_size(leaf)):
                ct = tree_unflatten(out_def, _basis(out_leaves, o, e))
                g = back(ct)
                rows.append([x for gi in g for x in tree_flatten(gi)[0]])
        row_blocks = []
        for i, x in enumerate(in_flat):
            if not (_is_float(x) and _is_float(leaf)):
                row_blocks.append(None)
                continue
            row_blocks.append(_stack_rows([r[i] for r in rows], _shape(leaf), _shape(x)))
        blocks.append(row_blocks)
    return _transpose_blocks(blocks, out_leaves, out_def, in_defs, single)


def jacfwd(fun: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The Jacobian of ``fun`` by forward mode: one Jacobian-vector product per input element.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.jacfwd(lambda x: znp.sum(x ** 2))(znp.array([1.0, 2.0]))
        array([2., 4.])
    """

    @functools.wraps(fun)
    def jac(*args):
        nums, single = argnums_tuple(argnums, len(args))
        diff = [args[k] for k in nums]
        return _jac_by_jvp(_partial_args(fun, args, nums), diff, single)

    return jac


def _jac_by_jvp(f, diff, single):
    in_flat, in_defs = [], []
    for a in diff:
        leaves, d = tree_flatten(a)
        in_flat.extend(leaves)
        in_defs.append(d)

    def tangents_for(i, e):
        basis = _basis(in_flat, i, e)
        out, start = [], 0
        for d in in_defs:
            out.append(tree_unflatten(d, basis[start : start + d.num_leaves]))
            start += d.num_leaves
        return tuple(out)

    columns = []  # columns[i][e] = flat output tangent leaves
    out = None
    for i, x in enumerate(in_flat):
        cols = []
        if _is_float(x):
            for e in range(_size(x)):
                out, t = jvp(f, tuple(diff), tangents_for(i, e))
                cols.append(tree_flatten(t)[0])
        columns.append(cols)
    if out is None:
        out = f(*diff)
    out_leaves, out_def = tree_flatten(out)
    blocks = []
    for o, leaf in enumerate(out_leaves):
        row_blocks = []
        for i, x in enumerate(in_flat):
            if not (_is_float(x) and _is_float(leaf)):
                row_blocks.append(None)
                continue
            stacked = _stack_rows([c[o] for c in columns[i]], _shape(x), _shape(leaf))
            # columns are indexed by the input element: move those axes last
            nx, nl = len(_shape(x)), len(_shape(leaf))
            row_blocks.append(znp.transpose(stacked, tuple(range(nx, nx + nl)) + tuple(range(nx))))
        blocks.append(row_blocks)
    return _transpose_blocks(blocks, out_leaves, out_def, in_defs, single)


def jacobian(fun: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The Jacobian of ``fun``, by reverse mode when outputs are fewer than inputs, else forward mode.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.jacobian(lambda x: x[:1] * x[1:])(znp.array([2.0, 3.0]))
        array([[3., 2.]])
    """

    @functools.wraps(fun)
    def jac(*args):
        nums, single = argnums_tuple(argnums, len(args))
        diff = [args[k] for k in nums]
        f = _partial_args(fun, args, nums)
        out, back = vjp(f, *diff)
        n_out = sum(_size(o) for o in tree_flatten(out)[0] if _is_float(o))
        n_in = sum(_size(x) for a in diff for x in tree_flatten(a)[0] if _is_float(x))
        if n_out <= n_in:
            return _jac_from_vjp(out, back, diff, single)
        del back
        return _jac_by_jvp(f, diff, single)

    return jac


def hessian(fun: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The Hessian of scalar ``fun`` (forward over reverse), shaped ``x.shape + x.shape``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.hessian(lambda x: znp.sum(x ** 3))(znp.array([1.0, 2.0]))
        array([[ 6.,  0.],
               [ 0., 12.]])
    """
    return jacfwd(jacrev(fun, argnums), argnums)


def hvp(fun: Callable, primals: Sequence, tangents: Sequence) -> tuple:
    """The Hessian of scalar ``fun`` at ``primals`` times ``tangents``: one entry per primal.

    Computed as forward mode over the gradient, without forming the Hessian.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.hvp(lambda x: znp.sum(x ** 3), (znp.array([1.0, 2.0]),), (znp.array([1.0, 0.0]),))
        (array([6., 0.]),)
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ZymoError(f"hvp needs one tangent per primal, got {len(primals)} primals and {len(tangents)} tangents")
    g = grad(fun, argnums=tuple(range(len(primals))))
    return jvp(g, primals, tangents)[1]


def elementwise_grad(fun: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The sum over outputs of their gradients: the derivative of an elementwise ``fun``, per element.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.elementwise_grad(znp.tanh)(znp.array([0.0, 1.0])).round(4)
        array([1.  , 0.42])
    """

    @functools.wraps(fun)
    def egrad(*args):
        nums, single = argnums_tuple(argnums, len(args))
        out, back = vjp(_partial_args(fun, args, nums), *[args[k] for k in nums])
        ones = tree_map(lambda o: _ones_like(o) if _is_float(o) else None, out)
        g = back(ones)
        return g[0] if single else g

    return egrad


def _ones_like(x):
    b = bottom(x)
    if type(b) in (float, complex):
        return type(b)(1)
    return np.ones(np.shape(b), np.result_type(b))


def make_vjp(fun: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """A function returning ``(out, vjp_fn)`` at given arguments; ``vjp_fn(g)`` is the gradient for ``argnums``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> out, back = zymo.make_vjp(lambda x, y: x * y, argnums=1)(2.0, 3.0)
        >>> back(1.0)
        2.0
    """

    @functools.wraps(fun)
    def at(*args) -> tuple[Any, Callable]:
        nums, single = argnums_tuple(argnums, len(args))
        out, back = vjp(_partial_args(fun, args, nums), *[args[k] for k in nums])

        def vjp_fn(g):
            gs = back(g)
            return gs[0] if single else gs

        return out, vjp_fn

    return at


def make_jvp(fun: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """A function of the arguments returning ``jvp_fn``; ``jvp_fn(t)`` is ``(out, J t)`` for ``argnums``.

    With a tuple ``argnums``, ``t`` is a tuple with one tangent per argument.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> zymo.make_jvp(znp.sin)(0.0)(2.0)
        (np.float64(0.0), np.float64(2.0))
    """

    @functools.wraps(fun)
    def at(*args) -> Callable:
        nums, single = argnums_tuple(argnums, len(args))
        f = _partial_args(fun, args, nums)
        diff = tuple(args[k] for k in nums)

        def jvp_fn(t):
            return jvp(f, diff, (t,) if single else tuple(t))

        return jvp_fn

    return at
