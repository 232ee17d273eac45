"""The plan of ``zymo.jit(..., reorder=True)``: products sharing a weight, batched across steps.

A recurrent function multiplies every step's input and state by the same
weight. Recorded, that is one matrix product per step, and the backward pass
adds one product per step into the weight's gradient. With ``reorder=True``
the generated code (``zymo.core.jit_codegen``) runs such a group as cuDNN
does:

- the weight's gradient is one product over all steps,
  ``concatenate(a_t).T @ concatenate(g_t)``, made once every step's cotangent
  is known;
- when every step's left operand is known before the first step (the inputs
  of a recurrence), the forward products are one product
  ``concatenate(a_t) @ W`` whose row blocks are the steps' values (the input
  projections hoisted out of the recurrence), and, when those operands are
  the function's inputs, their cotangents are one product
  ``concatenate(g_t) @ W.T`` as well;
- a bias added to several steps' rows gets its gradient as one sum over all
  steps' rows, ``concatenate(g_t).sum(axis=0)``.

Products with the weight on the left, ``W @ a_t`` (column vectors or
column blocks per step, as in per-sample code), are grouped alike with the
steps side by side as columns: the weight's gradient is
``concatenate(g_t, axis=1) @ concatenate(a_t, axis=1).T``, and, when every
``a_t`` is known before the first step, the forward products are one product
``W @ concatenate(a_t, axis=1)`` whose column blocks are the steps' values.

One product sums in another order than many: results differ from
``value_and_grad``'s in the last bits (rounding only), which is why this is
an opt-in.
"""

from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np

from .recording import CopyOp

__all__ = ["MatmulGroup", "SumGroup", "matmul_groups", "sum_groups"]


class MatmulGroup(NamedTuple):
    """Matrix products ``a_t @ W`` (or, ``left``, ``W @ a_t``) of several steps that share the operand ``W``."""

    weight: int  # the node of ``W``
    members: tuple  # the products' nodes, in recording order
    rows: tuple  # each product's row count
    hoisted: bool  # the forward products run as one, at the first member
    inputs_batched: bool  # the left operands' cotangents are one product, made at the end of the backward pass
    through: int  # ``W`` is ``P.T`` read only by the group: the node of ``P``, whose gradient is made directly; or -1
    left: bool = False  # the products are ``W @ a_t`` (``rows`` then counts each product's columns)


class SumGroup(NamedTuple):
    """Additions ``z_t + b`` of several steps that broadcast the same vector ``b`` over rows."""

    target: int  # the node of ``b``
    members: tuple  # (the additions' nodes, ``b``'s argument position) in recording order
    others: tuple  # each addition's other argument's node (``-1``: no gradient)


def _bias_position(op):
    """The argument position of the vector a real 2-D addition broadcasts over rows (needing a gradient), or None."""
    if op.prim.name != "add" or op.impl not in (np.add, operator.add) or op.params or len(op.arg_metas) != 2:
        return None
    ans, metas = op.ans_meta, op.arg_metas
    if ans is None or len(ans[0]) != 2 or ans[1].kind != "f" or any(m is None or m[1] != ans[1] for m in metas):
        return None
    for k in (0, 1):
        if metas[k][0] == ans[0][1:] and metas[1 - k][0] == ans[0] and op.need[k] >= 0 and k in dict(op.srcs):
            return k
    return None


def sum_groups(prims: dict) -> list:
    """The ``SumGroup`` of every vector that two or more additions broadcast over rows."""
    by_target: dict[int, list] = {}
    for node in sorted(prims):
        k = _bias_position(prims[node])
        if k is not None:
            by_target.setdefault(dict(prims[node].srcs)[k], []).append((node, k))
    return [
        SumGroup(target, tuple(members), tuple(prims[m].need[1 - k] for m, k in members))
        for target, members in by_target.items()
        if len(members) >= 2
    ]


def _weight_side(op):
    """For a real 2-D by 2-D matrix product of one dtype: its traced operands needing a gradient, right first."""
    if op.prim.name != "matmul" or op.impl is not np.matmul or op.params or len(op.arg_metas) != 2:
        return ()
    a, b = op.arg_metas
    ans = op.ans_meta
    if a is None or b is None or ans is None or len(a[0]) != 2 or len(b[0]) != 2:
        return ()
    if not (a[1] == b[1] == ans[1] and a[1].kind == "f") or len(op.need) != 2:
        return ()
    srcs = dict(op.srcs)
    return tuple(k for k in (1, 0) if k in srcs and op.need[k] >= 0)


def _by_weight(prims: dict) -> list:
    """``(weight node, side, members)`` of every operand shared by two or more products (``side``: 1 for
    ``a_t @ W``, 0 for ``W @ a_t``). A product whose operands are both shared joins the larger group
    (``h_t`` read by ``Why @ h_t`` and ``Whh @ h_t`` is shared by two products; ``Whh``, by every step's)."""
    found: dict = {}
    for node in sorted(prims):
        for k in _weight_side(prims[node]):
            found.setdefault((dict(prims[node].srcs)[k], k), []).append(node)
    taken: set = set()
    groups = []
    for (weight, side), members in sorted(found.items(), key=lambda kv: (-len(kv[1]), -kv[0][1], kv[0][0])):
        members = [m for m in members if m not in taken]
        if len(members) >= 2:
            taken.update(members)
            groups.append((weight, side, members))
    return groups


def matmul_groups(prog, prims: dict) -> list:
    """The ``MatmulGroup`` of every weight shared by two or more products of ``prog``.

    ``prims`` maps a node to its ``ReplayOp``.
    """
    # Hoisting moves products earlier: only where no write in place can change an operand in between.
    writes = any(type(op) is CopyOp or getattr(op, "prim", None) is not None and op.prim.inplace for op in prog.ops)
    kept = {prog.out_node} | ({v for is_node, v in prog.aux[1] if is_node} if prog.aux is not None else set())
    inputs = {node for _, _, node in prog.inputs}
    groups = []
    for weight, side, members in _by_weight(prims):
        steps = [dict(prims[m].srcs).get(1 - side) for m in members]
        first = members[0]
        hoisted = (
            not writes
            and weight < first
            and all(s is None or s < first for s in steps)
            and not any(m in kept for m in members)
        )
        inputs_batched = (
            side == 1
            and hoisted
            and prog.seed is not None
            and all(s in inputs and prims[m].need[0] >= 0 for s, m in zip(steps, members))
        )
        rows = tuple(prims[m].ans_meta[0][1 - side] for m in members)
        through = _transposed(prims, weight, set(members))
        groups.append(MatmulGroup(weight, tuple(members), rows, hoisted, inputs_batched, through, side == 0))
    return groups


def _transposed(prims: dict, weight: int, members: set) -> int:
    """``P`` when ``weight`` is the 2-D transpose ``P.T`` and only ``members`` read it; else ``-1``."""
    op = prims.get(weight)
    if op is None or op.prim.name != "transpose" or op.params.get("axes") is not None or len(op.need) != 1:
        return -1
    if op.arg_metas[0] is None or len(op.arg_metas[0][0]) != 2 or op.need[0] < 0:
        return -1
    for other in prims.values():
        if other.node not in members and any(s == weight for _, s in other.srcs):
            return -1
    return op.need[0]
