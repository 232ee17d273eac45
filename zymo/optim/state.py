"""``setup``, ``update`` and ``adjust``: apply a rule to the arrays of any pytree, in place.

Which arrays are trained comes from a mask (as Optax's ``masked``): by
default the model's own declaration (the frozen fields of a
``zymo.nn.Module``, see ``zymo.pytree_paths``), or a mask given to ``setup``.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import optree

from ..core.errors import ZymoError, user_location
from ..core.namespace import foreign_namespace, is_foreign, numpy_dtype
from ..core.pytree import NAMESPACE, tree_leaves
from ..core.trace import box_foreign
from ..core.tracer import bottom
from ..pytree_paths import TiedArray, arrays_by_path, distinct_arrays
from .rules import Rule

__all__ = ["OptimiserState", "OptimiserError", "setup", "update", "adjust"]


class OptimiserError(ZymoError, ValueError):
    """Gradients or a model that do not fit the optimiser state."""


class OptimiserState:
    """A rule and the state it keeps for each trainable array, keyed by the array's path in the model.

    ``slots[path]`` holds the rule's arrays (momenta, ...) and ``counts[path]``
    how many updates that array has had.

    Example:
        >>> import numpy as np
        >>> from zymo.optim import Momentum, setup
        >>> state = setup(Momentum(), {"w": np.zeros(2)})
        >>> state.slots, state.step
        ({"['w']": {'velocity': array([0., 0.])}}, 0)
    """

    def __init__(self, rule: Rule, mask: Any = None):
        self.rule = rule
        #: Which arrays are trained: None (the model's frozen fields), a pytree of booleans, or a function of the model.
        self.mask = mask
        self.slots: dict[str, dict[str, np.ndarray]] = {}
        self.counts: dict[str, int] = {}

    @property
    def step(self) -> int:
        """The number of updates made so far (the largest count of any array)."""
        return max(self.counts.values(), default=0)

    def __repr__(self) -> str:
        return f"OptimiserState({self.rule!r}, {len(self.slots)} arrays, step {self.step})"


def _mask_flags(model, mask) -> list[bool]:
    """One boolean per leaf of ``model`` from ``mask`` (a pytree of booleans, a prefix of one, or a function)."""
    if callable(mask) and optree.tree_is_leaf(mask, none_is_leaf=True, namespace=NAMESPACE):  # not a Module
        mask = mask(model)
    leaves = tree_leaves(model)
    try:
        flags = tree_leaves(optree.tree_broadcast_prefix(mask, model, none_is_leaf=True, namespace=NAMESPACE))
        if len(flags) != len(leaves):
            raise ValueError(f"{len(flags)} mask leaves for {len(leaves)} model leaves")
        return [bool(f) for f in flags]
    except (ValueError, TypeError) as e:
        raise OptimiserError(
            f"the mask does not fit the model ({e}): give a pytree of booleans with the model's structure "
            "(or a prefix of it), e.g. zymo.pytree_paths.trainable_mask(model) with some entries changed"
        ) from None


def _parameters(model, mask) -> list[TiedArray]:
    """Each distinct floating array of ``model`` once, with all its paths; trained where ``mask`` says."""
    entries = [e for e in arrays_by_path(model) if numpy_dtype(e.array.dtype).kind in "fc"]
    if mask is not None:
        flags = _mask_flags(model, mask)
        entries = [e._replace(trainable=flags[e.leaf]) for e in entries]
    return distinct_arrays(entries)


def setup(rule: Rule, model, mask: Any | Callable | None = None) -> OptimiserState:
    """Make the optimiser state of ``rule`` for the trainable arrays of ``model`` (any pytree).

    ``mask`` picks the arrays to train, as Optax's ``masked``: a pytree of
    booleans with the model's structure (or a prefix of it), or a function
    of the model giving one. Without it, frozen fields (``Module.freeze``)
    are left out. An array that appears at several places in the model
    (tied weights) gets one state and one update, and is trained if any of
    its places is.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.optim import Adam, setup, update
        >>> model = {"w": np.array([1.0, -2.0])}
        >>> state = setup(Adam(0.1), model)
        >>> grads = zymo.grad(lambda m: (m["w"] ** 2).sum())(model)
        >>> update(state, model, grads)["w"]
        array([ 0.9, -1.9])
        >>> sorted(setup(Adam(0.1), {"w": np.ones(1), "b": np.ones(1)}, mask={"w": True, "b": False}).slots)
        ["['w']"]
    """
    if not isinstance(rule, Rule):
        raise OptimiserError(f"setup(rule, model) needs an optimisation rule first, got {type(rule).__name__}")
    state = OptimiserState(rule, mask)
    for tied in _parameters(model, mask):
        if tied.trainable:
            state.slots[tied.path] = _init_slots(rule, tied.array)
            state.counts[tied.path] = 0
    return state


def update(state: OptimiserState, model, grads):
    """Apply one step of ``state``'s rule to ``model``'s trainable arrays, in place; returns ``model``.

    ``grads`` has the structure of ``model`` (as ``zymo.grad`` returns it).
    The gradient of a tied array is the sum over the places it appears.
    """
    gdict = {e.path: e.array for e in arrays_by_path(grads) if numpy_dtype(e.array.dtype).kind in "fc"}
    paths, xs, gs, slots, ts = [], [], [], [], []
    for tied in _parameters(model, state.mask):
        if not tied.trainable:
            continue
        first, x = tied.path, tied.array
        g = None
        for p in tied.paths:
            if p not in gdict:
                raise OptimiserError(
                    f"no gradient for `{p}` (update called at {user_location()}): pass the gradient of the "
                    "loss with respect to this model, e.g. zymo.grad(loss)(model, ...)"
                )
            gp = gdict[p]
            if gp.shape != x.shape:
                raise OptimiserError(f"gradient of `{p}` has shape {gp.shape}, the array has shape {x.shape}")
            g = gp if g is None else g + gp
        if first not in state.slots:
            state.slots[first] = _init_slots(state.rule, x)
            state.counts[first] = 0
        state.counts[first] += 1
        paths.append(first)
        xs.append(x)
        gs.append(g)
        slots.append(state.slots[first])
        ts.append(state.counts[first])
    if xs and is_foreign(xs[0]):
        _update_foreign(state, paths, xs, gs, slots, ts)
        return model
    steps = state.rule.apply(slots, xs, gs, ts)
    for x, s in zip(xs, steps):
        x -= s.astype(x.dtype, copy=False) if isinstance(s, np.ndarray) else s
    return model


def _init_slots(rule: Rule, x) -> dict:
    """``rule.init(x)``; for another library's array, its NumPy code runs on the boxed array (see below)."""
    if not is_foreign(x):
        return rule.init(x)
    return {k: bottom(v) for k, v in rule.init(box_foreign(x)).items()}


def _update_foreign(state: OptimiserState, paths, xs, gs, slots, ts) -> None:
    """The rule's NumPy code run on boxed arrays of another library (see ``zymo.core.trace.box_foreign``).

    Every NumPy function the rule calls then runs in the arrays' own library, on their device; the
    new slot values are stored back and each array is updated in place.
    """
    boxed = [{k: box_foreign(v) for k, v in s.items()} for s in slots]
    steps = state.rule.apply(boxed, [box_foreign(x) for x in xs], [box_foreign(g) for g in gs], ts)
    for path, b in zip(paths, boxed):
        state.slots[path] = {k: bottom(v) for k, v in b.items()}
    for x, s in zip(xs, steps):
        s = bottom(s)
        if is_foreign(s) and s.dtype != x.dtype:
            s = foreign_namespace(x).astype(s, x.dtype)
        x -= s


def adjust(state: OptimiserState, **hyperparameters: Any) -> OptimiserState:
    """Change hyperparameters (``lr=...``, ``beta1=...``) of every rule in ``state`` that has them.

    ``lr`` may be a number or a schedule. Returns ``state``.

    Example:
        >>> from zymo.optim import Adam, setup, adjust
        >>> adjust(setup(Adam(0.1), {}), lr=0.01).rule.lr
        0.01
    """
    for name, value in hyperparameters.items():
        found = False
        for r in state.rule.rules():
            if name in r.hyperparameters():
                setattr(r, name, value)
                found = True
        if not found:
            names = sorted({k for r in state.rule.rules() for k in r.hyperparameters()})
            raise OptimiserError(f"no rule in {state.rule!r} has a setting `{name}`; settings: {', '.join(names)}")
    return state
