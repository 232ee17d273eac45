"""Rematerialisation: ``zymo.checkpoint`` and ``zymo.checkpoint_scan``.

A checkpointed call is one tape record whose saved values are the call's
inputs; its backward rule runs the function again under a fresh reverse
trace and propagates the cotangent through that short tape. Inside the first
run nothing of the function is recorded (at the checkpoint's own level), so
the memory of its intermediate values is released at once.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, Sequence

import numpy as np

from .core.custom import CustomVJP
from .core.differentiation import finish, gradients, record
from .core.errors import MutationError, ZymoError, user_location
from .core.pytree import tree_flatten
from .core.tracer import Tracer

__all__ = ["checkpoint", "checkpoint_scan"]


class _Checkpointed(CustomVJP):
    """A function whose reverse rule recomputes it (see :func:`checkpoint`)."""

    def __init__(self, fun: Callable):
        super().__init__(fun)
        self.fwd = self._first_run
        self.bwd = self._recompute

    def _with_static(self, kwargs: dict) -> "_Checkpointed":
        bound = _Checkpointed(functools.partial(self.fun, **kwargs))
        bound.__name__ = self.__name__
        return bound

    def _first_run(self, *args):
        return self(*args), args

    def lower(self, args, trace):
        before = len(trace.tape)
        frozen = _freeze_inputs(args)
        try:
            out = self(*args)
        except ValueError as e:
            if "read-only" in str(e):
                raise MutationError(
                    f"the checkpointed function {self.__name__} writes into one of its inputs (at "
                    f"{user_location()}); its backward pass needs the inputs unchanged. Fix: write into a copy "
                    "(zymo.numpy.copy) of the input."
                ) from e
            raise
        finally:
            _thaw(frozen)
        if len(trace.tape) != before:
            raise ZymoError(
                f"the checkpointed function {self.__name__} (called at {user_location()}) uses a value being "
                "differentiated that is not one of its arguments (a closure or global); checkpointing cannot "
                "recompute it. Fix: pass that value as an argument (for checkpoint_scan, put it in the carry)."
            )
        return out, args

    def _recompute(self, args, cotangent):
        try:
            rec, _ = record(self.fun, args, tuple(range(len(args))), False)
            out_leaves, _ = tree_flatten(rec.out)
            ct_leaves, _ = tree_flatten(cotangent)
            seeds = [
                (o._node, c)
                for o, c in zip(out_leaves, ct_leaves)
                if type(o) is Tracer and o._trace is rec.trace and c is not None
            ]
            return tuple(gradients(rec, seeds, retain=False))
        finally:
            finish()

    output_tangents = None  # forward mode keeps no tape, so there is nothing to rematerialise: it runs ``fun``


def _freeze_inputs(args) -> list:
    frozen = []
    for a in args:
        for leaf in tree_flatten(a)[0]:
            if type(leaf) is np.ndarray and leaf.flags.writeable:
                leaf.flags.writeable = False
                frozen.append(leaf)
    return frozen


def _thaw(frozen: list) -> None:
    for a in frozen:
        a.flags.writeable = True


def checkpoint(fun: Callable) -> Callable:
    """``fun`` with rematerialisation: reverse mode stores only its inputs and recomputes it backwards.

    Gradients equal those of ``fun``; peak memory drops to the inputs of each
    checkpointed call plus one call's intermediate values. Checkpoints nest.
    Values being differentiated must reach ``fun`` as positional arguments
    (not through a closure; keyword arguments are static), and ``fun`` must
    not write into its inputs. Forward mode runs ``fun`` as it is.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> layer = zymo.checkpoint(lambda w, x: znp.tanh(w * x))
        >>> float(zymo.grad(lambda w: layer(w, 2.0))(0.0))
        2.0
    """
    return _Checkpointed(fun)


def _segment(step: Callable) -> Callable:
    def run_segment(carry, xs):
        ys = []
        for x in xs:
            carry, y = step(carry, x)
            ys.append(y)
        return carry, ys

    run_segment.__name__ = f"segment of {getattr(step, '__name__', 'step')}"
    return run_segment


def checkpoint_scan(step: Callable, carry: Any, xs: Sequence, segments: int | None = None) -> tuple[Any, list]:
    """Run ``carry, y = step(carry, x)`` over ``xs`` in checkpointed segments; return ``(carry, ys)``.

    ``segments`` defaults to about ``sqrt(len(xs))``, which stores about
    ``2 sqrt(T)`` states instead of ``T`` for one extra forward pass. ``ys`` is
    the list of every step's ``y``. Everything differentiated must be in
    ``carry`` or ``xs`` (put parameters in the carry and return them unchanged).

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> def step(carry, x):
        ...     w, h = carry
        ...     return (w, znp.tanh(w * h + x)), None
        >>> def loss(w):
        ...     (_, h), _ = zymo.checkpoint_scan(step, (w, 0.5), [0.1, 0.2, 0.3, 0.4])
        ...     return h
        >>> def unrolled(w):
        ...     carry = (w, 0.5)
        ...     for x in [0.1, 0.2, 0.3, 0.4]:
        ...         carry, _ = step(carry, x)
        ...     return carry[1]
        >>> bool(abs(zymo.grad(loss)(0.7) - zymo.grad(unrolled)(0.7)) < 1e-12)
        True
    """
    xs = list(xs)
    steps = len(xs)
    if steps == 0:
        return carry, []
    n = max(1, round(math.sqrt(steps))) if segments is None else int(segments)
    if n < 1:
        raise ZymoError(f"checkpoint_scan needs segments >= 1, got {segments}")
    size = math.ceil(steps / min(n, steps))
    run = checkpoint(_segment(step))
    ys: list = []
    for start in range(0, steps, size):
        carry, seg_ys = run(carry, xs[start : start + size])
        ys.extend(seg_ys)
    return carry, ys
