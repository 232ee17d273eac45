"""``python -m zymo coverage``: which NumPy functions zymo differentiates, in which modes.

Every public function and ufunc of ``numpy``, ``numpy.linalg`` and
``numpy.fft`` is classified from zymo's dispatch tables: *rules* (reverse
and/or forward derivative rules exist), *no derivative* (runs on plain values,
such as ``argmax``), or *unsupported* (raises zymo's error on traced values).
Which modes a function supports is read off the primitives its implementation
calls. The methods of each ufunc (``numpy.add.at``, ``numpy.multiply.reduce``,
``accumulate``, ``reduceat``, ``outer``; all but ``at`` only for binary ufuncs)
are listed after it, each tried on a traced value in both modes.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import types

import numpy as np

HELP = "list which NumPy functions have reverse and forward derivative rules"

NAMESPACES = (("numpy", np), ("numpy.linalg", np.linalg), ("numpy.fft", np.fft))


@dataclasses.dataclass(frozen=True)
class Entry:
    """One NumPy function's coverage."""

    name: str  # qualified, e.g. "numpy.linalg.inv"
    status: str  # "rules", "no derivative" or "unsupported"
    reverse: bool = False
    forward: bool = False
    numpy_dispatch: bool = False  # plain numpy calls on traced values reach zymo's rule


def _public_functions(module) -> dict[str, object]:
    out = {}
    for name in dir(module):
        if name.startswith("_"):
            continue
        try:
            obj = getattr(module, name)
        except Exception:  # deprecated names may raise on access
            continue
        if isinstance(obj, (type, types.ModuleType)) or not callable(obj):
            continue
        out[name] = obj
    return out


def primitives_used(fn, depth: int = 4, seen: set | None = None) -> set:
    """The zymo primitives that ``fn`` (a zymo function, ufunc entry or primitive) may call."""
    from ..core.primitive import Primitive

    seen = set() if seen is None else seen
    if id(fn) in seen:
        return set()
    seen.add(id(fn))
    if isinstance(fn, Primitive):
        return {fn}
    attrs = getattr(fn, "__dict__", None)
    prim = attrs.get("_prim") if isinstance(attrs, dict) else None  # a zymo ufunc entry
    if isinstance(prim, Primitive):
        return {prim}
    fn = inspect.unwrap(fn) if callable(fn) else fn
    if not isinstance(fn, types.FunctionType) and isinstance(getattr(type(fn), "__call__", None), types.FunctionType):
        fn = type(fn).__call__  # a callable object such as zymo's matmul
    if not isinstance(fn, types.FunctionType) or depth == 0:
        return set()
    if not (getattr(fn, "__module__", "") or "").startswith("zymo"):
        return set()
    found: set = set()
    candidates = [fn.__globals__.get(n) for n in _names(fn.__code__)]
    candidates += [c.cell_contents for c in fn.__closure__ or () if _has_contents(c)]
    for obj in candidates:
        if obj is None or isinstance(obj, (type, types.ModuleType)):
            continue
        if isinstance(obj, Primitive):
            found.add(obj)
        elif isinstance(obj, dict):  # engine hooks such as the in-place write primitive
            found |= {v for v in obj.values() if isinstance(v, Primitive)}
        elif callable(obj):
            found |= primitives_used(obj, depth - 1, seen)
    return found


def _names(code) -> set:
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _names(c)
    return names


def _has_contents(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _probe_inputs():
    rng = np.random.default_rng(0)
    m = rng.uniform(0.2, 0.8, (3, 3))
    spd = m @ m.T + 3 * np.eye(3)  # square, symmetric positive definite: valid for every linalg routine
    return [rng.uniform(0.2, 0.8, 4), spd, rng.uniform(0.2, 0.8, (2, 3, 4))]


_SAME = object()  # in a probe's extra arguments: the traced input again

# functions whose first arguments are not arrays (a function, integer bins): how to call them on a probe input
_CALLS = {
    "numpy.apply_along_axis": lambda impl, a: impl(lambda r: r * r, 0, a),
    "numpy.apply_over_axes": lambda impl, a: impl(np.sum, a, [0]),
    "numpy.arange": lambda impl, a: impl(a[0], 5.0, a[1]),
    "numpy.bincount": lambda impl, a: impl(np.arange(len(a)) % 2, a),
    "numpy.fromfunction": lambda impl, a: impl(lambda i: a[0] * i, (3,)),
    "numpy.piecewise": lambda impl, a: impl(a, [a > 0.5], [lambda v: v * v, 0.0]),
    "numpy.polyfit": lambda impl, a: impl(a, a * a, 1),
    "numpy.fft.fftfreq": lambda impl, a: impl(5, a[0]),
    "numpy.fft.rfftfreq": lambda impl, a: impl(5, a[0]),
}


def _probe(impl, mode: str, call=None) -> bool:
    """Whether ``impl`` differentiates in ``mode`` on some simple float input (one or two arguments).

    ``call(impl, a)``, where given, is how to call it on the traced input ``a``.
    """
    import warnings

    from ..core.api import jvp, vjp
    from ..core.errors import ZymoError
    from ..core.pytree import tree_leaves, tree_map

    def inexact(o):
        return isinstance(o, (np.ndarray, np.inexact, float, complex)) and np.result_type(o).kind in "fc"

    def ones(o):
        return np.ones_like(o) if inexact(o) else None

    nin = getattr(impl, "nin", None)  # ufuncs: extra positional arguments would be `out`
    for x in _probe_inputs():
        for extra in ((_SAME,) * (nin - 1),) if isinstance(nin, int) else ((), (_SAME,), (2,)):

            def f(a, extra=extra):
                return call(impl, a) if call else impl(a, *[a if e is _SAME else e for e in extra])

            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    if mode == "rev":
                        out, back = vjp(f, x)
                        back(tree_map(ones, out))
                    else:
                        out, _ = jvp(f, (x,), (np.ones_like(x),))
                if any(inexact(o) for o in tree_leaves(out)):
                    return True
            except ZymoError:
                continue
            except Exception:  # not a valid call for this function: try another input
                continue
    return False


def _modes(impl, call=None) -> tuple[bool, bool]:
    """``(reverse, forward)``: tried on simple inputs, else read off the primitives the implementation calls."""
    rev, fwd = _probe(impl, "rev", call), _probe(impl, "fwd", call)
    if rev or fwd:
        return rev, fwd
    prims = [p for p in primitives_used(impl) if not p.nondiff]
    if not prims:
        return False, False
    return all(p.vjp is not None for p in prims), all(p.jvp is not None for p in prims)


def coverage() -> list[Entry]:
    """The coverage of every public NumPy function, sorted by name."""
    from .. import numpy as znp
    from ..core.dispatch import FUNCTIONS, NONDIFF_FUNCTIONS, UFUNCS

    entries = []
    for prefix, module in NAMESPACES:
        zmodule = znp
        for part in prefix.split(".")[1:]:
            zmodule = getattr(zmodule, part, None)
        for name, fn in _public_functions(module).items():
            qual = f"{prefix}.{name}"
            dispatched = UFUNCS.get(fn) if isinstance(fn, np.ufunc) else _get(FUNCTIONS, fn)
            own = getattr(zmodule, name, None) if zmodule is not None else None
            if own is fn:  # zymo.numpy re-exports NumPy's own function: no zymo version
                own = None
            impl = dispatched or own
            if _get(NONDIFF_FUNCTIONS, fn):
                entries.append(Entry(qual, "no derivative", numpy_dispatch=True))
                continue
            if impl is not None and impl is not fn:
                rev, fwd = _modes(impl, _CALLS.get(qual))
                if rev or fwd:
                    entries.append(Entry(qual, "rules", rev, fwd, dispatched is not None))
                    continue
            if impl is not None and (own is not None or _nondiff_impl(impl)):
                # zymo's own version without derivative: constants such as zeros, or plain-value results
                entries.append(Entry(qual, "no derivative", numpy_dispatch=True))
            else:
                entries.append(Entry(qual, "unsupported"))
    for prefix, module in NAMESPACES:
        for name, fn in _public_functions(module).items():
            if isinstance(fn, np.ufunc):
                entries += _ufunc_method_entries(f"{prefix}.{name}", fn)
    return sorted(entries, key=lambda e: e.name)


UFUNC_METHODS = ("at", "reduce", "accumulate", "reduceat", "outer")


def _method_probes(ufunc, method: str) -> list:
    """Functions of one float array calling ``ufunc.<method>`` on it (NumPy dispatches them to zymo)."""
    if method == "at":

        def at(a, b):
            buf = a.copy()
            ufunc.at(buf, [0, 0, 2], *b(a))
            return buf

        if ufunc.nin == 1:
            return [lambda a: at(a, lambda a: ())]
        # a float operand, else an integer one (``ldexp``'s exponent)
        return [lambda a: at(a, lambda a: (a[:3] * 0.5,)), lambda a: at(a, lambda a: (np.array([1, 2, 1]),))]
    if method == "reduceat":
        return [lambda a: ufunc.reduceat(a, [0, 2])]
    if method == "outer":
        return [lambda a: ufunc.outer(a, a[::-1])]
    return [getattr(ufunc, method)]


def _numpy_accepts(probe) -> bool:
    import warnings

    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            probe(np.array([0.3, 0.6, 0.4, 0.7]))
    except Exception:
        return False
    return True


def _ufunc_method_entries(qual: str, ufunc) -> list[Entry]:
    """The coverage of a ufunc's methods that NumPy runs on a float vector, tried on a traced one in both modes."""
    from ..core.dispatch import ufunc_rule

    if ufunc.nout != 1 or ufunc.signature is not None:
        return []  # NumPy has no methods for ufuncs of two outputs or generalized ufuncs (matmul, vecdot)
    rule = ufunc_rule(ufunc)
    nondiff = rule is not None and getattr(getattr(rule, "_prim", None), "nondiff", False)
    entries = []
    for method in UFUNC_METHODS if ufunc.nin == 2 else ("at",):
        probe = next((p for p in _method_probes(ufunc, method) if _numpy_accepts(p)), None)
        if probe is None:
            continue  # not a call NumPy makes for this ufunc (``ldexp.reduce``)
        name = f"{qual}.{method}"
        if rule is None:
            entries.append(Entry(name, "unsupported"))
        elif nondiff:
            entries.append(Entry(name, "no derivative", numpy_dispatch=True))
        else:
            rev, fwd = _probe(probe, "rev"), _probe(probe, "fwd")
            entries.append(Entry(name, "rules", rev, fwd, True) if rev or fwd else Entry(name, "unsupported"))
    return entries


def _get(table, fn):
    try:
        return table.get(fn) if isinstance(table, dict) else (fn in table)
    except TypeError:  # unhashable
        return None


def _nondiff_impl(impl) -> bool:
    prims = primitives_used(impl)
    return bool(prims) and all(p.nondiff for p in prims)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--status",
        choices=("rules", "no-derivative", "unsupported"),
        help="only functions with this status",
    )
    parser.add_argument("--filter", default="", help="only functions whose name contains this text")


def _mark(flag: bool) -> str:
    return "yes" if flag else "-"


def run(args) -> int:
    entries = [e for e in coverage() if args.filter in e.name]
    if args.status:
        entries = [e for e in entries if e.status == args.status.replace("-", " ")]
    width = max((len(e.name) for e in entries), default=8)
    print(f"{'function':<{width}}  {'reverse':>7}  {'forward':>7}  status")
    print("-" * (width + 40))
    for e in entries:
        note = e.status
        if e.status == "rules" and not e.numpy_dispatch:
            note += " (call it as zymo.numpy)"
        print(f"{e.name:<{width}}  {_mark(e.reverse):>7}  {_mark(e.forward):>7}  {note}")
    print("-" * (width + 40))
    counts = {s: sum(e.status == s for e in entries) for s in ("rules", "no derivative", "unsupported")}
    both = sum(e.reverse and e.forward for e in entries)
    print(
        f"{counts['rules']} with rules ({both} in both modes), {counts['no derivative']} without derivative "
        f"(constants, indices, predicates), {counts['unsupported']} unsupported (raise zymo.UnsupportedOperationError)"
    )
    return 0
