"""Straight-line Python for a ``zymo.jit`` program: its forward values, guards and backward pass.

A replayed program has no control flow left, so it can be written out as one
Python function: each primitive becomes ``v7 = F7(v3, v5)`` with its NumPy
implementation, each guard an ``if`` that abandons the replay, and each
record's reverse rules are called with the values it saved, accumulating into
one local per node. Locals cost a fraction of the tape's lists and loops, and
each saved value or gradient is released right after its last use, as the
tape-walking backward pass does.

The rules called are the primitives' own (``defvjp_plain`` fast paths first,
then the per-argument rules), so the gradients are those of the traced call.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from .jit_reorder import MatmulGroup, SumGroup, matmul_groups, sum_groups
from .recording import CopyOp
from .reverse import Scatter, accumulate

__all__ = ["ReplayOp", "generate", "definline", "per_call", "renewed", "Mismatch", "MAX_OPS"]

MAX_OPS = 20000  # larger programs are replayed by the interpreter: compiling them would cost more than it saves


class ReplayOp(NamedTuple):
    """A recorded primitive as replay runs it, with what its backward pass needs."""

    node: int
    impl: Callable
    srcs: tuple  # (argument position, node) of each traced argument
    template: list  # the arguments, ``None`` where a traced one goes
    params: dict
    prim: Any
    need: list  # the tape parents, ``-1`` for those that need no gradient
    absents: tuple  # (argument position, ``Absent``) of the arguments the rules do not read
    ans_absent: Any  # the output's ``Absent`` stand-in, or ``None`` when the rules read the output
    shape: tuple
    dtype: Any
    otype: type
    arg_metas: tuple  # (shape, dtype) of each argument (``None`` for Python numbers)
    ans_meta: Any


class Mismatch(Exception):
    """A guard read differently from its recording."""


def definline(prim, rule) -> None:
    """Give ``prim`` a reverse rule for ``zymo.jit``'s generated code, specialised to known shapes.

    ``rule(need, ans, *args, **params)`` receives each value as ``(shape, dtype)``
    (``None`` for Python numbers) and returns ``None`` (use the general rules) or
    ``(exprs, helpers)``: one Python expression per argument (``None`` where
    ``need[i] < 0``) over ``{g}``, ``{ans}`` and ``{a0}``, ``{a1}``, ..., that
    computes exactly what the general rule computes for a real cotangent of the
    output's shape; ``{H}name`` refers to ``helpers[name]``.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.core.jit_codegen import definline
        >>> double = zymo.primitive(lambda x: 2 * x)
        >>> zymo.defvjp(double, lambda g, ans, x: 2 * g, saves=())
        >>> definline(double, lambda need, ans, x: (["2 * {g}"], {}))
    """
    prim.vjp_inline = rule


def per_call(params) -> list:
    """Keys of ``params`` holding state a primitive passes from its forward to its backward rule.

    Such an object's class sets ``_zymo_per_call``; every replayed call gets a new one.
    """
    return [k for k, v in params.items() if getattr(v, "_zymo_per_call", False)] if params else []


def renewed(params) -> dict:
    """``params`` with a new object in place of each per-call one."""
    return {k: type(v)() if getattr(v, "_zymo_per_call", False) else v for k, v in params.items()}


def _acc(cur, own, gj):
    """``cur + gj`` as a gradient accumulation: in place into ``cur`` only when this code made it."""
    if type(cur) is np.ndarray and type(gj) is np.ndarray and cur.shape == gj.shape and cur.dtype == gj.dtype:
        if own:
            cur += gj
            return cur, True
        return cur + gj, True
    grads, owned = [cur], [own]
    accumulate(grads, owned, 0, gj, False)
    return grads[0], owned[0]


def _rules(prim, g, ans, need, vals, params):
    """Every argument's cotangent from ``prim``'s general rules (when its fast path declines)."""
    rules = prim.vjp
    if type(rules) is tuple:
        return [None if p < 0 or rules[j] is None else rules[j](g, ans, *vals, **params) for j, p in enumerate(need)]
    return rules(g, ans, *vals, **params)


def _release_points(prog, reach):
    """For each record processed in the backward pass, the forward values read there for the last time."""
    last_use: dict[int, int] = {}
    for op in prog.ops:
        if type(op) is not ReplayOp or op.node not in reach:
            continue
        node, srcs, absents, ans_absent = op.node, op.srcs, op.absents, op.ans_absent
        dropped = {k for k, _ in absents}
        used = [s for k, s in srcs if k not in dropped]
        if ans_absent is None:
            used.append(node)
        for s in used:
            # backward visits records from the highest node down: the last reader is the lowest node
            if s not in last_use or node < last_use[s]:
                last_use[s] = node
    points: dict[int, list] = {}
    for s, node in last_use.items():
        points.setdefault(node, []).append(s)
    return points


def generate(prog, reorder: bool = False):
    """Compile ``prog`` to ``run(inputs) -> (value, aux values, leaf gradients, their ownership)``.

    ``reorder``: products sharing a weight run batched across steps (``zymo.core.jit_reorder``).
    """
    env = {
        "NDARRAY": np.ndarray,
        "SCATTER": Scatter,
        "ACC": _acc,
        "RULES": _rules,
        "MISMATCH": Mismatch,
        "EMPTY": {},
        "CONCAT": np.concatenate,
    }
    lines = ["def run(X, SAME):"]
    emit = lines.append
    inputs = [node for _, _, node in prog.inputs]
    emit("    " + ", ".join(f"v{n}" for n in inputs) + ("," if len(inputs) == 1 else "") + " = X")
    prims = {op.node: op for op in prog.ops if type(op) is ReplayOp}
    copies = {}  # (node, slot) -> the local holding the copy copy-on-write made of that saved value
    aux_nodes = [v for is_node, v in prog.aux[1] if is_node] if prog.aux is not None else []
    groups = matmul_groups(prog, prims) + sum_groups(prims) if reorder and not _has_complex(prog) else []
    hoist = {m: (g, k) for g in groups if type(g) is MatmulGroup and g.hoisted for k, m in enumerate(g.members)}
    if prog.seed is None:  # a forward pass only: no gradients; values are released after their last use
        _emit_forward(emit, env, prog, prims, copies, hoist, releases=_forward_releases(prog, set(aux_nodes)))
        emit(f"    return None, [{', '.join(f'v{n}' for n in aux_nodes)}], [], []")
        return _compiled(lines, env, f"<zymo.jit forward program of {len(prog.ops)} operations>")
    _emit_forward(emit, env, prog, prims, copies, hoist)
    _emit_backward(emit, env, prog, prims, copies, groups)
    emit("    g = None")
    emit(f"    return v{prog.out_node}, [{', '.join(f'v{n}' for n in aux_nodes)}], ")
    lines[-1] += f"[{', '.join(f'g{n}' for n in prog.keep)}], [{', '.join(f'o{n}' for n in prog.keep)}]"
    return _compiled(lines, env, f"<zymo.jit program of {len(prog.ops)} operations>")


def _compiled(lines: list, env: dict, name: str):
    """The function ``run`` that ``lines`` define; its source is kept as ``run.source`` (for inspection)."""
    source = "\n".join(lines)
    exec(compile(source, name, "exec"), env)
    run = env["run"]
    run.source = source
    return run


def _arg_exprs(env, copies, op, saved):
    """The expressions of a record's arguments: forward values, or (``saved``) what its rules receive."""
    node, srcs, template = op.node, op.srcs, op.template
    by_pos = dict(srcs)
    dropped = dict(op.absents) if saved else {}
    out = []
    for k in range(len(template)):
        if k in dropped:
            name = f"D{node}_{k}"
            env[name] = dropped[k]
        elif saved and (node, k) in copies:
            name = copies[node, k]
        elif k in by_pos:
            name = f"v{by_pos[k]}"
        else:
            name = f"T{node}_{k}"
            env[name] = template[k]
            if not saved and k == 0 and op.prim.inplace and type(template[0]) is np.ndarray:
                name += '.copy(order="K")'  # a buffer made inside the function and written: fresh per call
        out.append(name)
    return out


def _forward_releases(prog, outputs: set) -> dict:
    """For a forward pass: after each operation (by position), the values read there for the last time."""
    last: dict[int, int] = {}
    for j, op in enumerate(prog.ops):
        if type(op) is CopyOp:
            continue  # copies of saved values serve the backward pass only: a forward pass makes none
        for _, s in op.srcs:
            last[s] = j
    points: dict[int, list] = {}
    for s, j in last.items():
        if s not in outputs:
            points.setdefault(j, []).append(s)
    return points


def _emit_forward(emit, env, prog, prims, copies, hoist, releases=None) -> None:
    """Each primitive's value, each copy copy-on-write made, and each guard, in recording order.

    ``hoist``: node -> (``MatmulGroup``, its position there) of the products run as one.
    ``releases`` (forward passes only): position of an operation -> nodes to release after it.
    """
    for j, op in enumerate(prog.ops):
        if releases is not None:
            if type(op) is CopyOp:
                continue
            if j in releases:
                _emit_forward_op(emit, env, prog, prims, copies, hoist, j, op)
                emit("    " + " = ".join(f"v{s}" for s in releases[j]) + " = None")
                continue
        _emit_forward_op(emit, env, prog, prims, copies, hoist, j, op)


def _emit_hoisted(emit, env, prims, copies, group: MatmulGroup, k: int) -> None:
    """Member ``k`` of a hoisted group: its rows of the one product, made at the first member."""
    first, w = group.members[0], 0 if group.left else 1
    if k == 0:
        steps = [_arg_exprs(env, copies, prims[m], saved=False)[1 - w] for m in group.members]
        weight = _arg_exprs(env, copies, prims[first], saved=False)[w]
        env[f"F{first}"] = prims[first].impl
        if group.left:
            emit(f"    Z{first} = F{first}({weight}, CONCAT(({', '.join(steps)},), axis=1))")
        else:
            emit(f"    Z{first} = F{first}(CONCAT(({', '.join(steps)},)), {weight})")
    lo = sum(group.rows[:k])
    cols = ":, " if group.left else ""
    emit(f"    v{group.members[k]} = Z{first}[{cols}{lo}:{lo + group.rows[k]}]")


def _emit_forward_op(emit, env, prog, prims, copies, hoist, j, op) -> None:
    """One operation of the forward pass (see ``_emit_forward``)."""
    if type(op) is ReplayOp and op.node in hoist:
        _emit_hoisted(emit, env, prims, copies, *hoist[op.node])
    elif type(op) is ReplayOp:
        node, impl, params = op.node, op.impl, op.params
        env[f"F{node}"] = impl
        args = _arg_exprs(env, copies, op, saved=False)
        if params:
            env[f"P{node}"] = params
            fresh = per_call(params)
            if fresh:  # state an operation passes from its forward to its backward rule: new per call
                for k in fresh:
                    env[f"FR{node}_{k}"] = type(params[k])
                parts = ", ".join(f"{k!r}: FR{node}_{k}()" for k in fresh)
                emit(f"    Q{node} = {{**P{node}, {parts}}}")
            args.append(f"**{_params(node, params)}")
        emit(f"    v{node} = F{node}({', '.join(args)})")
    elif type(op) is CopyOp:
        _emit_copy(emit, prims[op.node], op.slot, copies)
    else:
        fn, srcs, template, kw, expected = op
        env[f"G{j}"] = fn
        env[f"E{j}"] = expected
        by_pos = dict(srcs)
        args = [f"v{by_pos[k]}" if k in by_pos else f"GT{j}_{k}" for k in range(len(template))]
        env.update((f"GT{j}_{k}", c) for k, c in enumerate(template) if k not in by_pos)
        if kw:
            env[f"GK{j}"] = kw
            args.append(f"**GK{j}")
        emit(f"    if not SAME(G{j}({', '.join(args)}), E{j}):")
        emit("        raise MISMATCH")


def _emit_copy(emit, target, slot, copies) -> None:
    """The copy copy-on-write made of record ``target``'s saved value ``slot`` (``-1``: its output)."""
    node = target.node
    if slot < 0:
        if target.ans_absent is None and (node, -1) not in copies:
            copies[node, -1] = f"S{node}_a"
            emit(f"    S{node}_a = v{node}.copy()")
    elif (node, slot) not in copies and slot not in dict(target.absents) and slot in dict(target.srcs):
        copies[node, slot] = f"S{node}_{slot}"
        emit(f"    S{node}_{slot} = v{dict(target.srcs)[slot]}.copy()")


def _has_complex(prog) -> bool:
    """Whether any recorded value is complex (the inline rules and batched products are for real values)."""
    return any(
        m is not None and m[1].kind == "c"
        for op in prog.ops
        if type(op) is ReplayOp
        for m in (*op.arg_metas, op.ans_meta)
    )


def _emit_backward(emit, env, prog, prims, copies, groups=()) -> None:
    """The records' reverse rules from the output down, accumulating into one local per node.

    ``groups``: the ``MatmulGroup`` whose gradients are batched products (``reorder=True``).
    """
    reach = {prog.out_node}
    for node in sorted(prims, reverse=True):
        if node in reach:
            reach.update(p for p in prims[node].need if p >= 0)
    gnodes = sorted(reach | set(prog.keep))  # inputs the output does not depend on get no gradient
    for chunk in range(0, len(gnodes), 200):
        names = gnodes[chunk : chunk + 200]
        emit("    " + " = ".join(f"g{n}" for n in names) + " = None")
        emit("    " + " = ".join(f"o{n}" for n in names) + " = False")
    env["SEED"] = prog.seed
    emit(f"    g{prog.out_node} = SEED")
    releases = _release_points(prog, reach)
    has_complex = _has_complex(prog)
    keep_values = {prog.out_node} | ({v for is_node, v in prog.aux[1] if is_node} if prog.aux is not None else set())
    member_of, flushes = {}, {}
    for g in groups:
        if type(g) is SumGroup:
            member_of.update((m, (g, k)) for k, (m, _) in enumerate(g.members))
            flushes.setdefault(g.target, []).append(g)
            emit("    " + " = ".join(f"s{m}" for m, _ in g.members) + " = None")
            continue
        member_of.update((m, (g, k)) for k, m in enumerate(g.members))
        flushes.setdefault(g.weight, []).append(g)
        emit("    " + " = ".join(f"d{m} = a{m}" for m in g.members) + " = None")
        if g.inputs_batched:
            emit(f"    K{g.members[0]} = {_arg_exprs(env, copies, prims[g.members[0]], saved=True)[1]}")
    for node in sorted(prims, reverse=True):
        op = prims[node]
        for g in flushes.pop(node, ()):
            _emit_flush(emit, g)
        if node not in reach or not any(p >= 0 for p in op.need):
            continue
        if node in member_of and type(member_of[node][0]) is SumGroup:
            _emit_sum_member_backward(emit, *member_of[node])
        elif node in member_of:
            _emit_member_backward(emit, env, op, copies, member_of[node][0])
        else:
            _emit_record_backward(emit, env, op, copies, inline=not has_complex)
        done = [f"v{s}" for s in releases.get(node, ()) if s not in keep_values]
        done += [name for (n, _), name in copies.items() if n == node]
        if op.params and _params(node, op.params).startswith("Q"):
            done.append(f"Q{node}")
        if done:
            emit("        " + " = ".join(done) + " = None")
    for gs in flushes.values():  # weights that are inputs: every product's cotangent is known at the end
        for g in gs:
            _emit_flush(emit, g)
    for g in groups:
        if type(g) is MatmulGroup and g.inputs_batched:
            _emit_inputs_flush(emit, prims, g)


def _emit_flush(emit, group) -> None:
    if type(group) is SumGroup:
        _emit_sum_flush(emit, group)
    else:
        _emit_weight_flush(emit, group)


def _emit_sum_member_backward(emit, group: SumGroup, k: int) -> None:
    """An addition of a batched bias: its cotangent kept for the group's one sum, passed on to the other argument."""
    node = group.members[k][0]
    emit(f"    g = g{node}")
    emit("    if g is not None:")
    emit(f"        g{node} = None")
    emit("        if type(g) is SCATTER:")
    emit("            g = g.dense()")
    emit(f"        s{node} = g")
    if group.others[k] >= 0:
        _emit_add(emit, "        ", group.others[k], "g", fresh=False)


def _emit_sum_flush(emit, group: SumGroup) -> None:
    """The bias's cotangent from every step of the group as one sum over all rows."""
    ss = [f"s{m}" for m, _ in group.members]
    t = group.target
    emit("    if " + " and ".join(f"{x} is not None" for x in ss) + ":")
    emit(f"        gj = CONCAT(({', '.join(ss)},)).sum(axis=0)")
    emit("    else:")
    emit(f"        P = [x for x in ({', '.join(ss)},) if x is not None]")
    emit("        gj = CONCAT(P).sum(axis=0) if P else None")
    emit("        P = None")
    emit("    if gj is not None:")
    emit(f"        if g{t} is None:")
    emit(f"            g{t} = gj; o{t} = True")
    emit("        else:")
    emit(f"            g{t}, o{t} = ACC(g{t}, o{t}, gj)")
    emit(f"    {' = '.join(ss)} = None")


def _emit_add(emit, indent: str, p: int, expr: str, fresh: bool) -> None:
    """Add the cotangent ``expr`` into node ``p``'s (``fresh``: an array this code made, owned from then on)."""
    emit(f"{indent}gj = {expr}")
    emit(f"{indent}if g{p} is None:")
    emit(f"{indent}    g{p} = gj" + (f"; o{p} = True" if fresh else ""))
    emit(f"{indent}else:")
    emit(f"{indent}    g{p}, o{p} = ACC(g{p}, o{p}, gj)")


def _emit_member_backward(emit, env, op, copies, group: MatmulGroup) -> None:
    """A batched product's record: its cotangent and left operand kept for the group's one product."""
    node = op.node
    a, w = _arg_exprs(env, copies, op, saved=True)
    step = 0
    if group.left:
        a, w, step = w, a, 1
    emit(f"    g = g{node}")
    emit("    if g is not None:")
    emit(f"        g{node} = None")
    emit("        if type(g) is SCATTER:")
    emit("            g = g.dense()")
    emit(f"        d{node} = g")
    emit(f"        a{node} = {a}")
    if op.need[step] >= 0 and not group.inputs_batched:
        _emit_add(emit, "        ", op.need[step], f"{w}.T @ g" if group.left else f"g @ {w}.T", fresh=True)


def _emit_weight_flush(emit, group: MatmulGroup) -> None:
    """The weight's cotangent from every step of the group as one product."""
    ms = group.members
    ds = ", ".join(f"d{m}" for m in ms)
    as_ = ", ".join(f"a{m}" for m in ms)
    # the gradient of W = P.T goes to P directly, as the product transposed: no transposed copy
    t, prod = (group.through, "{1}.T @ {0}") if group.through >= 0 else (group.weight, "{0}.T @ {1}")
    axis = ""
    if group.left:  # W @ a_t: the steps side by side as columns, dW = [g_t] @ [a_t].T
        prod = "{0} @ {1}.T" if group.through >= 0 else "{1} @ {0}.T"
        axis = ", axis=1"
    emit("    if " + " and ".join(f"d{m} is not None" for m in ms) + ":")
    emit("        gj = " + prod.format(f"CONCAT(({as_},){axis})", f"CONCAT(({ds},){axis})"))
    emit("    else:")
    emit(f"        P = [(a, d) for a, d in zip(({as_},), ({ds},)) if d is not None]")
    both = (f"CONCAT([p[0] for p in P]{axis})", f"CONCAT([p[1] for p in P]{axis})")
    emit("        gj = " + prod.format(*both) + " if P else None")
    emit("        P = None")
    emit("    if gj is not None:")
    emit(f"        if g{t} is None:")
    emit(f"            g{t} = gj; o{t} = True")
    emit("        else:")
    emit(f"            g{t}, o{t} = ACC(g{t}, o{t}, gj)")
    emit("    " + " = ".join(f"a{m}" for m in ms) + " = None")
    if not group.inputs_batched:
        emit(f"    {' = '.join(f'd{m}' for m in ms)} = None")


def _emit_inputs_flush(emit, prims, group: MatmulGroup) -> None:
    """The left operands' (the function's inputs') cotangents as one product, split into each step's rows."""
    ms, w = group.members, f"K{group.members[0]}"
    emit("    if " + " and ".join(f"d{m} is not None" for m in ms) + ":")
    emit(f"        GX = CONCAT(({', '.join(f'd{m}' for m in ms)},)) @ {w}.T")
    lo = 0
    for m, rows in zip(ms, group.rows):
        _emit_add(emit, "        ", prims[m].need[0], f"GX[{lo}:{lo + rows}]", fresh=True)
        lo += rows
    emit("        GX = None")
    emit("    else:")
    for m in ms:
        emit(f"        if d{m} is not None:")
        _emit_add(emit, "            ", prims[m].need[0], f"d{m} @ {w}.T", fresh=True)
    emit(f"    {' = '.join(f'd{m}' for m in ms)} = {w} = None")


def _emit_record_backward(emit, env, op, copies, inline: bool) -> None:
    """One record's backward code: its inline rule for plain cotangents when it has one, else its rules."""
    node, prim, parents, params = op.node, op.prim, op.need, op.params
    env[f"N{node}"] = parents
    env[f"PR{node}"] = prim
    vals = _arg_exprs(env, copies, op, saved=True)
    if op.ans_absent is None:
        ans = copies.get((node, -1), f"v{node}")
    else:
        ans = f"A{node}"
        env[ans] = op.ans_absent
    emit(f"    g = g{node}")
    emit("    if g is not None:")
    emit(f"        g{node} = None")
    emit("        if type(g) is SCATTER:")
    emit("            g = g.dense()")
    exprs = _inline(op) if inline else None
    if exprs is not None:
        emit("        if type(g) is NDARRAY:")
        for j, p in _accumulation_order(prim, parents):
            if p >= 0:
                fmt = {"g": "g", "ans": ans, "H": f"H{node}_", **{f"a{k}": v for k, v in enumerate(vals)}}
                emit(f"            gj = {exprs[0][j].format(**fmt)}")
                emit(f"            if g{p} is None:")
                emit(f"                g{p} = gj")
                emit("            else:")
                emit(f"                g{p}, o{p} = ACC(g{p}, o{p}, gj)")
        for name, helper in exprs[1].items():
            env[f"H{node}_{name}"] = helper
        emit("        else:")
        indent = "            "
    else:
        indent = "        "
    _emit_general(emit, env, indent, node, prim, parents, params, ans, vals)


def _accumulation_order(prim, parents):
    """The order in which the tape's backward pass adds a record's cotangents into its parents.

    Floating-point addition is not associative: the same order gives the same bits.
    """
    pairs = list(enumerate(parents))
    return pairs[::-1] if type(prim.vjp) is tuple else pairs


def _inline(op):
    """The primitive's inline rule for this record's shapes, or ``None``."""
    rule = getattr(op.prim, "vjp_inline", None)
    metas, ans_meta = op.arg_metas, op.ans_meta
    if rule is None or ans_meta is None:
        return None
    try:
        spec = rule(op.need, ans_meta, *metas, **op.params) if op.params else rule(op.need, ans_meta, *metas)
    except Exception:
        return None
    if spec is None or any(e is None for e, p in zip(spec[0], op.need) if p >= 0):
        return None
    return spec


def _emit_general(emit, env, indent, node, prim, parents, params, ans, vals):
    """The backward code of a record through its primitive's rules (fast path first)."""
    call_vals = ", ".join(vals)
    tup = f"({call_vals}{',' if len(vals) == 1 else ''})"
    general = f"RULES(PR{node}, g, {ans}, N{node}, {tup}, {_params(node, params)})"
    if params:
        env[f"P{node}"] = params
    if prim.vjp_plain is None and type(prim.vjp) is tuple:  # each argument's rule called directly
        kw = f", **{_params(node, params)}" if params else ""
        for j, p in _accumulation_order(prim, parents):
            if p < 0 or prim.vjp[j] is None:
                continue
            env[f"R{node}_{j}"] = prim.vjp[j]
            emit(f"{indent}gj = R{node}_{j}(g, {ans}{', ' if vals else ''}{call_vals}{kw})")
            emit(f"{indent}if gj is not None:")
            emit(f"{indent}    if g{p} is None:")
            emit(f"{indent}        g{p} = gj")
            emit(f"{indent}    else:")
            emit(f"{indent}        g{p}, o{p} = ACC(g{p}, o{p}, gj)")
        return
    if prim.vjp_plain is not None:
        env[f"PL{node}"] = prim.vjp_plain
        sep = ", " if vals else ""
        kw = f", **{_params(node, params)}" if params else ""
        emit(f"{indent}r = PL{node}(g, {ans}, N{node}{sep}{call_vals}{kw}) if type(g) is NDARRAY else None")
        emit(f"{indent}if r is None:")
        emit(f"{indent}    r = {general}")
    else:
        emit(f"{indent}r = {general}")
    for j, p in _accumulation_order(prim, parents):
        if p < 0:
            continue
        emit(f"{indent}gj = r[{j}]")
        emit(f"{indent}if gj is not None:")
        emit(f"{indent}    if g{p} is None:")
        emit(f"{indent}        g{p} = gj")
        emit(f"{indent}    else:")
        emit(f"{indent}        g{p}, o{p} = ACC(g{p}, o{p}, gj)")
    emit(f"{indent}r = None")


def _params(node: int, params) -> str:
    if not params:
        return "EMPTY"
    return f"Q{node}" if per_call(params) else f"P{node}"
