"""Optimisation rules. A rule turns a gradient into the step subtracted from a parameter.

Each rule keeps per-array state (``init``) that it updates in place, so the
state can be saved and restored exactly. The numbers follow ``torch.optim``'s
definitions of the same names (default hyperparameters included, except where
noted), so results can be compared step by step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from .schedules import learning_rate

__all__ = ["Rule", "Descent", "Momentum", "Nesterov", "RMSProp", "Adam", "AdamW", "RAdam", "AdaGrad", "Lion"]


class Rule:
    """Base class. ``apply`` maps the gradients of all arrays to the steps to subtract.

    Subclasses that work array by array implement ``step(slots, x, g, t)``
    (``t`` counts this array's updates from 1); ``init(x)`` returns the array's
    state as a dict of arrays, updated in place by ``step``.
    """

    def init(self, x: np.ndarray) -> dict[str, np.ndarray]:
        return {}

    def apply(self, slots: list[dict], xs: list[np.ndarray], gs: list[np.ndarray], ts: list[int]) -> list:
        return [self.step(s, x, g, t) for s, x, g, t in zip(slots, xs, gs, ts)]

    def step(self, slots: dict, x: np.ndarray, g: np.ndarray, t: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def hyperparameters(self) -> dict[str, Any]:
        """The rule's settings by name (``adjust`` changes them)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def rules(self) -> list["Rule"]:
        """The rules this one is made of (itself, for a single rule)."""
        return [self]


def _zeros(x: np.ndarray) -> np.ndarray:
    return np.zeros_like(x)


@dataclass
class Descent(Rule):
    """Plain gradient descent: ``x -= lr * g`` (``torch.optim.SGD``).

    Example:
        >>> import numpy as np
        >>> Descent(0.1).step({}, np.zeros(2), np.array([1.0, -2.0]), 1)
        array([ 0.1, -0.2])
    """

    lr: Any = 0.1

    def step(self, slots, x, g, t):
        return learning_rate(self.lr, t - 1) * g


@dataclass
class _HeavyBall(Rule):
    """The velocity ``v = rho * v + g`` that Momentum and Nesterov step along."""

    lr: Any = 0.01
    rho: float = 0.9

    def init(self, x):
        return {"velocity": _zeros(x)}

    def _velocity(self, slots, g) -> np.ndarray:
        v = slots["velocity"]
        v *= self.rho
        v += g
        return v


@dataclass
class Momentum(_HeavyBall):
    """Heavy-ball momentum: ``v = rho * v + g``, step ``lr * v`` (``torch.optim.SGD(momentum=rho)``).

    Example:
        >>> import numpy as np
        >>> r = Momentum(0.1, 0.9); s = r.init(np.zeros(1))
        >>> [float(r.step(s, None, np.ones(1), t)[0]) for t in (1, 2)]
        [0.1, 0.19]
    """

    def step(self, slots, x, g, t):
        return learning_rate(self.lr, t - 1) * self._velocity(slots, g)


@dataclass
class Nesterov(_HeavyBall):
    """Nesterov momentum: ``v = rho * v + g``, step ``lr * (g + rho * v)`` (``SGD(nesterov=True)``).

    Example:
        >>> import numpy as np
        >>> r = Nesterov(0.1, 0.9); s = r.init(np.zeros(1))
        >>> round(float(r.step(s, None, np.ones(1), 1)[0]), 6)
        0.19
    """

    def step(self, slots, x, g, t):
        v = self._velocity(slots, g)
        return learning_rate(self.lr, t - 1) * (g + self.rho * v)


@dataclass
class RMSProp(Rule):
    """``s = alpha * s + (1 - alpha) * g**2``, step ``lr * g / (sqrt(s) + eps)`` (``torch.optim.RMSprop``).

    Example:
        >>> import numpy as np
        >>> r = RMSProp(0.01); s = r.init(np.zeros(1))
        >>> round(float(r.step(s, None, np.ones(1), 1)[0]), 6)
        0.1
    """

    lr: Any = 0.01
    alpha: float = 0.99
    eps: float = 1e-8

    def init(self, x):
        return {"square_avg": _zeros(x)}

    def step(self, slots, x, g, t):
        s = slots["square_avg"]
        s *= self.alpha
        s += (1 - self.alpha) * (g * g)
        return learning_rate(self.lr, t - 1) * g / (np.sqrt(s) + self.eps)


@dataclass
class _Moments(Rule):
    """The moving averages of the gradient and its square that Adam and RAdam keep."""

    lr: Any = 0.001
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def init(self, x):
        return {"exp_avg": _zeros(x), "exp_avg_sq": _zeros(x)}

    def _moments(self, slots, g) -> tuple[np.ndarray, np.ndarray]:
        """``m = beta1 m + (1 - beta1) g`` and ``v = beta2 v + (1 - beta2) g**2``, in place."""
        m, v = slots["exp_avg"], slots["exp_avg_sq"]
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * (g * g)
        return m, v


@dataclass
class Adam(_Moments):
    """Adam with bias correction (``torch.optim.Adam``).

    Example:
        >>> import numpy as np
        >>> r = Adam(0.001); s = r.init(np.zeros(1))
        >>> round(float(r.step(s, None, np.array([5.0]), 1)[0]), 6)  # first step is about lr * sign(g)
        0.001
    """

    def _adam_step(self, slots, g, t):
        m, v = self._moments(slots, g)
        bc1 = 1 - self.beta1**t
        bc2 = 1 - self.beta2**t
        denom = np.sqrt(v) / math.sqrt(bc2) + self.eps
        return (learning_rate(self.lr, t - 1) / bc1) * m / denom

    def step(self, slots, x, g, t):
        return self._adam_step(slots, g, t)


@dataclass
class AdamW(Adam):
    """Adam with decoupled weight decay: step ``lr * weight_decay * x`` plus Adam's (``torch.optim.AdamW``).

    Example:
        >>> AdamW(0.001).weight_decay
        0.01
    """

    weight_decay: float = 0.01

    def step(self, slots, x, g, t):
        return learning_rate(self.lr, t - 1) * self.weight_decay * x + self._adam_step(slots, g, t)


@dataclass
class RAdam(_Moments):
    """Rectified Adam (``torch.optim.RAdam``): plain momentum until the variance estimate is reliable.

    Example:
        >>> import numpy as np
        >>> r = RAdam(0.001); s = r.init(np.zeros(1))
        >>> round(float(r.step(s, None, np.array([5.0]), 1)[0]), 6)  # early steps: lr * bias-corrected mean
        0.005
    """

    def step(self, slots, x, g, t):
        m, v = self._moments(slots, g)
        lr = learning_rate(self.lr, t - 1)
        bc1 = 1 - self.beta1**t
        bc2 = 1 - self.beta2**t
        rho_inf = 2 / (1 - self.beta2) - 1
        rho_t = rho_inf - 2 * t * self.beta2**t / bc2
        m_hat = m / bc1
        if rho_t <= 5.0:
            return m_hat * lr
        rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        adaptive = math.sqrt(bc2) / (np.sqrt(v) + self.eps)
        return m_hat * lr * adaptive * rect


@dataclass
class AdaGrad(Rule):
    """``s += g**2``, step ``lr * g / (sqrt(s) + eps)`` (``torch.optim.Adagrad``).

    Example:
        >>> import numpy as np
        >>> r = AdaGrad(0.1); s = r.init(np.zeros(1))
        >>> round(float(r.step(s, None, np.array([3.0]), 1)[0]), 6)
        0.1
    """

    lr: Any = 0.01
    eps: float = 1e-10

    def init(self, x):
        return {"sum": _zeros(x)}

    def step(self, slots, x, g, t):
        s = slots["sum"]
        s += g * g
        return learning_rate(self.lr, t - 1) * g / (np.sqrt(s) + self.eps)


@dataclass
class Lion(Rule):
    """Lion (Chen et al. 2023): step ``lr * (sign(beta1 * m + (1 - beta1) * g) + weight_decay * x)``.

    The momentum ``m`` then moves to ``beta2 * m + (1 - beta2) * g``.

    Example:
        >>> import numpy as np
        >>> r = Lion(0.1); s = r.init(np.zeros(2))
        >>> r.step(s, np.zeros(2), np.array([3.0, -0.5]), 1)
        array([ 0.1, -0.1])
    """

    lr: Any = 1e-4
    beta1: float = 0.9
    beta2: float = 0.99
    weight_decay: float = 0.0

    def init(self, x):
        return {"exp_avg": _zeros(x)}

    def step(self, slots, x, g, t):
        m = slots["exp_avg"]
        direction = np.sign(self.beta1 * m + (1 - self.beta1) * g)
        m *= self.beta2
        m += (1 - self.beta2) * g
        out = direction if self.weight_decay == 0 else direction + self.weight_decay * x
        return learning_rate(self.lr, t - 1) * out
