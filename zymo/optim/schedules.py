"""Learning-rate schedules: a rule's ``lr`` may be a number or one of these.

A schedule maps the number of updates already made (0 for the first update)
to a learning rate, the way ``torch.optim.lr_scheduler`` steps once per update.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Schedule", "StepDecay", "ExponentialDecay", "CosineDecay", "learning_rate"]


class Schedule:
    """Base class: ``schedule(t)`` is the learning rate of update ``t + 1``."""

    def __call__(self, t: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass
class StepDecay(Schedule):
    """``lr * gamma ** (t // step_size)``: multiply by ``gamma`` every ``step_size`` updates.

    Example:
        >>> [StepDecay(1.0, step_size=2, gamma=0.5)(t) for t in range(5)]
        [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    lr: float
    step_size: int
    gamma: float = 0.1

    def __call__(self, t: int) -> float:
        return self.lr * self.gamma ** (t // self.step_size)


@dataclass
class ExponentialDecay(Schedule):
    """``lr * gamma ** t``.

    Example:
        >>> [ExponentialDecay(1.0, gamma=0.5)(t) for t in range(3)]
        [1.0, 0.5, 0.25]
    """

    lr: float
    gamma: float

    def __call__(self, t: int) -> float:
        return self.lr * self.gamma**t


@dataclass
class CosineDecay(Schedule):
    """Linear warm-up over ``warmup`` updates, then cosine decay from ``lr`` to ``min_lr`` at ``total``.

    Example:
        >>> s = CosineDecay(1.0, total=4, warmup=2)
        >>> [round(s(t), 3) for t in range(6)]
        [0.5, 1.0, 1.0, 0.5, 0.0, 0.0]
    """

    lr: float
    total: int
    warmup: int = 0
    min_lr: float = 0.0

    def __call__(self, t: int) -> float:
        if t < self.warmup:
            return self.lr * (t + 1) / self.warmup
        span = max(self.total - self.warmup, 1)
        progress = min(t - self.warmup, span) / span
        return self.min_lr + (self.lr - self.min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))


def learning_rate(lr, t: int) -> float:
    """The learning rate of update ``t + 1`` for a number or a schedule."""
    return lr(t) if callable(lr) else lr
