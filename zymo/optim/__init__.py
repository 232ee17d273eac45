"""Optimisers: rules, modifiers, schedules, and ``setup``/``update``/``adjust``.

Example:
    >>> import numpy as np, zymo
    >>> from zymo import optim
    >>> model = {"w": np.array([3.0])}
    >>> state = optim.setup(optim.chain(optim.ClipNorm(1.0), optim.Descent(0.5)), model)
    >>> for _ in range(2):
    ...     _ = optim.update(state, model, zymo.grad(lambda m: (m["w"] ** 2).sum())(model))
    >>> model["w"].round(6)
    array([2.])
"""

from .modifiers import Chain, ClipGrad, ClipNorm, WeightDecay, chain
from .rules import AdaGrad, Adam, AdamW, Descent, Lion, Momentum, Nesterov, RAdam, RMSProp, Rule
from .schedules import CosineDecay, ExponentialDecay, Schedule, StepDecay
from .state import OptimiserError, OptimiserState, adjust, setup, update

__all__ = [
    "Rule",
    "Descent",
    "Momentum",
    "Nesterov",
    "RMSProp",
    "Adam",
    "AdamW",
    "RAdam",
    "AdaGrad",
    "Lion",
    "ClipGrad",
    "ClipNorm",
    "WeightDecay",
    "Chain",
    "chain",
    "Schedule",
    "StepDecay",
    "ExponentialDecay",
    "CosineDecay",
    "OptimiserState",
    "OptimiserError",
    "setup",
    "update",
    "adjust",
]
