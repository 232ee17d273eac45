"""Every fast path (``defvjp_plain``) and every ``zymo.jit`` inline rule (``definline``) computes exactly what
its primitive's general reverse rules compute, on random inputs: the copies of a rule cannot drift apart."""

import importlib
import importlib.util
import pkgutil

import numpy as np
import pytest

import zymo
from zymo.core.dispatch import SPECIAL, UFUNCS
from zymo.core.primitive import Primitive

if importlib.util.find_spec("scipy") is not None:
    importlib.import_module("zymo._rules.scipy_special_ufuncs")

DOMAINS = [(0.15, 0.85), (1.2, 1.8), (-0.85, -0.15), (2.5, 4.0)]
SHAPES = [((3, 4), (4,)), ((3, 4), (3, 4)), ((3, 4), (4, 2))]  # broadcasting, same shapes, a matrix product


def _primitives():
    found = {}
    for info in pkgutil.walk_packages(zymo.__path__, "zymo."):
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # a missing optional dependency
            continue
        for name, value in vars(module).items():
            if isinstance(value, Primitive):
                found.setdefault(id(value), (f"{info.name}.{name}", value))
    for entry in list(UFUNCS.values()) + list(SPECIAL.values()):
        prim = getattr(entry, "_prim", entry)
        if isinstance(prim, Primitive):
            found.setdefault(id(prim), (prim.name, prim))
    return sorted(found.values(), key=lambda item: item[0])


def _with_copies(kind):
    attr = "vjp_plain" if kind == "plain" else "vjp_inline"
    return [pytest.param(p, id=name) for name, p in _primitives() if getattr(p, attr, None) is not None]


def _general(prim, g, ans, args):
    rules = prim.vjp
    if type(rules) is tuple:
        return [None if rule is None else rule(g, ans, *args) for rule in rules]
    return list(rules(g, ans, *args))


def _finite(*values) -> bool:
    return all(v is None or bool(np.all(np.isfinite(v))) for v in values)


def _need(prim, args) -> list:
    """The ``need`` list of a record: ``-1`` for arguments without a rule."""
    rules = prim.vjp
    return [-1 if type(rules) is tuple and rules[k] is None else k for k in range(len(args))]


# Functions whose arguments need their own domains (integer orders, counts below a total, probabilities):
# name -> one domain per argument, a (low, high) for uniform floats or ("int", low, high) for whole numbers.
ARGUMENT_DOMAINS = {
    "scipy.special.bdtri": [("int", 1, 3), ("int", 5, 8), (0.15, 0.85)],
    "scipy.special.nbdtr": [("int", 1, 3), ("int", 2, 5), (0.15, 0.85)],
    "scipy.special.nbdtrc": [("int", 1, 3), ("int", 2, 5), (0.15, 0.85)],
    "scipy.special.nbdtri": [("int", 1, 3), ("int", 2, 5), (0.15, 0.85)],
    "scipy.special.eval_hermite": [("int", 0, 4), (-1.5, 1.5)],
    "scipy.special.eval_hermitenorm": [("int", 0, 4), (-1.5, 1.5)],
    "scipy.special.lpmv": [("int", 0, 2), (2.0, 3.0), (-0.85, 0.85)],
}


def _draw(rng, domain, shape):
    if domain[0] == "int":
        return rng.integers(domain[1], domain[2], shape)
    return rng.uniform(domain[0], domain[1], shape)


def _case(prim, rng, shape_cases=SHAPES):
    """Inputs where the primitive and its general rules give finite values: ``(args, ans, g, general)``."""
    arity = len(prim.vjp) if type(prim.vjp) is tuple else 2
    for shapes in shape_cases:
        for low, high in DOMAINS:
            domains = ARGUMENT_DOMAINS.get(prim.name, [(low, high)] * arity)
            args = [_draw(rng, domains[k], shapes[min(k, 1)] if k else shapes[0]) for k in range(arity)]
            try:
                with np.errstate(all="ignore"):
                    ans = prim.impl(*args)
                    if type(ans) is not np.ndarray or not _finite(ans):
                        continue
                    g = rng.standard_normal(ans.shape)
                    general = _general(prim, g, ans, args)
            except Exception:
                continue
            if _finite(*general):
                return args, ans, g, general
    pytest.fail(f"no random inputs found on which {prim.name} and its general rules are finite")


def _assert_same(got, expected):
    assert type(got) is type(expected) or np.ndim(got) == np.ndim(expected) == 0
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got, expected, strict=False)
    assert np.shape(got) == np.shape(expected)


@pytest.mark.parametrize("prim", _with_copies("plain"))
def test_fast_path_equals_the_general_rules(prim):
    args, ans, g, general = _case(prim, np.random.default_rng(0), SHAPES[1:] + SHAPES[:1])
    need = _need(prim, args)
    with np.errstate(all="ignore"):
        fast = prim.vjp_plain(g, ans, need, *args)
    assert fast is not None  # same shapes, real values: the case a fast path exists for
    for got, expected, p in zip(fast, general, need, strict=True):
        if p >= 0:
            _assert_same(got, expected)


@pytest.mark.parametrize("prim", _with_copies("inline"))
def test_inline_rule_equals_the_general_rules(prim):
    compared = 0
    for shapes in SHAPES:  # an inline rule may decline some shapes (the general rules run there)
        args, ans, g, general = _case(prim, np.random.default_rng(1), [shapes] + SHAPES)
        need = _need(prim, args)
        spec = prim.vjp_inline(need, (ans.shape, ans.dtype), *[(a.shape, a.dtype) for a in args])
        if spec is None:
            continue
        exprs, helpers = spec
        env = {"np": np, **{f"H_{k}": v for k, v in helpers.items()}}
        names = {"g": "g", "ans": "ans", "H": "H_", **{f"a{k}": f"a{k}" for k in range(len(args))}}
        local = {"g": g, "ans": ans, **{f"a{k}": a for k, a in enumerate(args)}}
        for expr, expected, p in zip(exprs, general, need, strict=True):
            if p < 0:
                continue
            with np.errstate(all="ignore"):
                got = eval(expr.format(**names), env, local)
            _assert_same(got, expected)
            compared += 1
    assert compared > 0
