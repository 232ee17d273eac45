"""``setup``, ``update`` and ``adjust``: apply a rule to a model's arrays in place."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import ZymoError, user_location
from ..nn.module import named_parameters
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

    def __init__(self, rule: Rule):
        self.rule = rule
        self.slots: dict[str, dict[str, np.ndarray]] = {}
        self.counts: dict[str, int] = {}

    @property
    def step(self) -> int:
        """The number of updates made so far (the largest count of any array)."""
        return max(self.counts.values(), default=0)

    def __repr__(self) -> str:
        return f"OptimiserState({self.rule!r}, {len(self.slots)} arrays, step {self.step})"


def _groups(model) -> tuple[dict[str, list[str]], dict[str, np.ndarray], set[str]]:
    """Each distinct array once: ``{first path: all its paths}``, ``{first path: array}``, trainable first paths."""
    paths_of: dict[int, list[str]] = {}
    array_of: dict[int, np.ndarray] = {}
    for path, a in named_parameters(model, trainable_only=False):
        paths_of.setdefault(id(a), []).append(path)
        array_of[id(a)] = a
    trainable_ids = {id(a) for _, a in named_parameters(model, trainable_only=True)}
    groups = {paths[0]: paths for paths in paths_of.values()}
    arrays = {paths_of[i][0]: array_of[i] for i in paths_of}
    trainable = {paths_of[i][0] for i in trainable_ids}
    return groups, arrays, trainable


def setup(rule: Rule, model) -> OptimiserState:
    """Make the optimiser state of ``rule`` for the trainable arrays of ``model``.

    Frozen fields (``Module.freeze``) are left out; an array that appears at
    several places in the model (tied weights) gets one state and one update.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.optim import Adam, setup, update
        >>> model = {"w": np.array([1.0, -2.0])}
        >>> state = setup(Adam(0.1), model)
        >>> grads = zymo.grad(lambda m: (m["w"] ** 2).sum())(model)
        >>> update(state, model, grads)["w"]
        array([ 0.9, -1.9])
    """
    if not isinstance(rule, Rule):
        raise OptimiserError(f"setup(rule, model) needs an optimisation rule first, got {type(rule).__name__}")
    state = OptimiserState(rule)
    _, arrays, trainable = _groups(model)
    for path in (p for p in arrays if p in trainable):
        state.slots[path] = rule.init(arrays[path])
        state.counts[path] = 0
    return state


def update(state: OptimiserState, model, grads):
    """Apply one step of ``state``'s rule to ``model``'s trainable arrays, in place; returns ``model``.

    ``grads`` has the structure of ``model`` (as ``zymo.grad`` returns it).
    The gradient of a tied array is the sum over the places it appears.
    """
    groups, arrays, trainable = _groups(model)
    gdict = dict(named_parameters(grads, trainable_only=False))
    paths, xs, gs, slots, ts = [], [], [], [], []
    for first, all_paths in groups.items():
        if first not in trainable:
            continue
        x = arrays[first]
        g = None
        for p in all_paths:
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
            state.slots[first] = state.rule.init(x)
            state.counts[first] = 0
        state.counts[first] += 1
        paths.append(first)
        xs.append(x)
        gs.append(g)
        slots.append(state.slots[first])
        ts.append(state.counts[first])
    steps = state.rule.apply(slots, xs, gs, ts)
    for x, s in zip(xs, steps):
        x -= s.astype(x.dtype, copy=False) if isinstance(s, np.ndarray) else s
    return model


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
