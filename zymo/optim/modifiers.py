"""Gradient modifiers (clipping, weight decay) and ``chain`` to compose rules."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .rules import Rule

__all__ = ["ClipGrad", "ClipNorm", "WeightDecay", "Chain", "chain"]


@dataclass
class ClipGrad(Rule):
    """Clip every gradient entry to ``[-delta, delta]`` (``torch.nn.utils.clip_grad_value_``).

    Example:
        >>> import numpy as np
        >>> ClipGrad(1.0).step({}, None, np.array([-3.0, 0.5, 2.0]), 1)
        array([-1. ,  0.5,  1. ])
    """

    delta: float = 10.0

    def step(self, slots, x, g, t):
        return np.clip(g, -self.delta, self.delta)


@dataclass
class ClipNorm(Rule):
    """Rescale gradients whose ``p``-norm exceeds ``max_norm`` (``torch.nn.utils.clip_grad_norm_``).

    With ``per_array=False`` (the default, as in torch) the norm is taken over all
    arrays together; with ``per_array=True`` each array is clipped on its own.

    Example:
        >>> import numpy as np
        >>> gs = [np.array([3.0]), np.array([4.0])]
        >>> [g.round(3) for g in ClipNorm(1.0).apply([{}, {}], [None, None], gs, [1, 1])]
        [array([0.6]), array([0.8])]
    """

    max_norm: float = 10.0
    p: float = 2.0
    per_array: bool = False

    def _norm(self, g) -> float:
        a = np.abs(g)
        if math.isinf(self.p):
            return float(a.max()) if a.size else 0.0
        return float(np.sum(a**self.p) ** (1.0 / self.p))

    def _scale(self, norm: float) -> float:
        return min(self.max_norm / (norm + 1e-6), 1.0)

    def apply(self, slots, xs, gs, ts):
        if self.per_array:
            return [g * self._scale(self._norm(g)) for g in gs]
        norms = [self._norm(g) for g in gs]
        total = max(norms, default=0.0) if math.isinf(self.p) else sum(n**self.p for n in norms) ** (1.0 / self.p)
        scale = self._scale(total)
        return [g * scale for g in gs]


@dataclass
class WeightDecay(Rule):
    """Add ``lambda_ * x`` to the gradient (L2 regularisation, ``weight_decay`` of ``torch.optim.SGD``).

    Example:
        >>> import numpy as np
        >>> WeightDecay(0.1).step({}, np.array([2.0]), np.array([1.0]), 1)
        array([1.2])
    """

    lambda_: float = 5e-4

    def step(self, slots, x, g, t):
        return g + self.lambda_ * x


class Chain(Rule):
    """Rules applied one after the other: each transforms the previous one's output.

    Example:
        >>> import numpy as np
        >>> from zymo.optim import Descent
        >>> r = chain(ClipGrad(1.0), Descent(0.1))
        >>> r.apply([r.init(np.zeros(1))], [np.zeros(1)], [np.array([5.0])], [1])
        [array([0.1])]
    """

    def __init__(self, *rules: Rule):
        flat: list[Rule] = []
        for r in rules:
            if not isinstance(r, Rule):
                raise TypeError(f"chain(...) takes optimisation rules, got {type(r).__name__}")
            flat.extend(r.rules())
        self.parts = tuple(flat)

    def __repr__(self) -> str:
        return f"chain({', '.join(map(repr, self.parts))})"

    def rules(self) -> list[Rule]:
        return list(self.parts)

    def hyperparameters(self):
        return {}

    def init(self, x):
        out = {}
        for i, r in enumerate(self.parts):
            out.update({f"{i}.{k}": v for k, v in r.init(x).items()})
        return out

    def apply(self, slots, xs, gs, ts):
        for i, r in enumerate(self.parts):
            prefix = f"{i}."
            sub = [{k[len(prefix) :]: v for k, v in s.items() if k.startswith(prefix)} for s in slots]
            gs = r.apply(sub, xs, gs, ts)
        return gs


def chain(*rules: Rule) -> Chain:
    """Compose rules: ``chain(ClipNorm(1.0), WeightDecay(1e-4), Adam(1e-3))``."""
    return Chain(*rules)
