"""``train``: the training loop (progress bar, evaluation hooks, early stopping, checkpoints, resume)."""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

from .core.api import value_and_grad, vjp
from .core.errors import ShapeError, ZymoError
from .core.jit import jit as _jit
from .core.namespace import foreign_namespace, is_foreign
from .io import load, named_arrays, read_extra, save
from .nn.module import testmode as _testmode
from .nn.module import trainmode as _trainmode
from .optim.state import OptimiserState, update
from .pytree_paths import arrays_by_path

__all__ = ["train", "History", "EarlyStopping", "NonFiniteLossError"]


class NonFiniteLossError(ZymoError, FloatingPointError):
    """The loss became NaN or infinite; training stopped before that step changed the model."""


@dataclass
class History:
    """What ``train`` recorded: one dict per epoch (``loss`` and evaluation results) and every step's loss.

    Example:
        >>> h = History(epochs=[{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25}])
        >>> h["loss"]
        [0.5, 0.25]
    """

    epochs: list[dict] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    stopped_early: bool = False

    def __getitem__(self, key: str) -> list:
        """The values of ``key`` over the epochs, e.g. ``history["loss"]``."""
        return [e.get(key) for e in self.epochs]

    def __repr__(self) -> str:
        last = f", last={self.epochs[-1]}" if self.epochs else ""
        stopped = ", stopped_early=True" if self.stopped_early else ""
        n = len(self.epochs)
        return f"History({n} epoch{'' if n == 1 else 's'}, {len(self.losses)} steps{last}{stopped})"


@dataclass
class EarlyStopping:
    """Stop when ``monitor`` (a key of the epoch log) has not improved for ``patience`` epochs.

    With ``restore_best`` the model gets back the arrays of its best epoch when training stops.

    Example:
        >>> stop = EarlyStopping("val_loss", patience=2)
        >>> [stop.should_stop({"val_loss": v}, {}) for v in (3.0, 2.0, 2.5, 2.4)]
        [False, False, False, True]
    """

    monitor: str = "val_loss"
    patience: int = 5
    mode: str = "min"
    min_delta: float = 0.0
    restore_best: bool = True
    best: float | None = None
    best_epoch: int = 0
    wait: int = 0
    _best_arrays: dict | None = field(default=None, repr=False)

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def should_stop(self, log: dict, model) -> bool:
        """Record this epoch's ``log``; whether training should stop now."""
        if self.monitor not in log:
            raise ZymoError(
                f"EarlyStopping monitors `{self.monitor}`, which the epoch log lacks (it has: {', '.join(log)}); "
                "return it from `evaluate` or monitor another key"
            )
        value = float(log[self.monitor])
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, log.get("epoch", 0), 0
            if self.restore_best:
                self._best_arrays = {p: a.copy() for p, a in named_arrays(model)}
            return False
        self.wait += 1
        return self.wait >= self.patience

    def restore(self, model) -> None:
        """Put the best epoch's arrays back into ``model`` (in place)."""
        if self.restore_best and self._best_arrays is not None:
            for p, a in named_arrays(model):
                np.copyto(a, self._best_arrays[p])

    def counters(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}


def _rng_of(data):
    rng = getattr(data, "rng", None)
    return rng if isinstance(rng, np.random.Generator) else None


def _short(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _progress_style(progress: bool | str) -> str:
    """``"bar"``, ``"lines"`` or ``"none"``: ``True`` means a bar on a terminal, one line per epoch otherwise."""
    if progress is True:
        return "bar" if sys.stderr is not None and sys.stderr.isatty() else "lines"
    if progress is False or progress is None:
        return "none"
    if progress not in ("bar", "lines"):
        raise ZymoError(f"progress must be True, False, 'bar' or 'lines', got {progress!r}")
    return progress


def _progress_bar(style: str, desc: str, total: int | None):
    if style != "bar":
        return None
    from tqdm.auto import tqdm

    return tqdm(desc=desc, total=total, leave=True, dynamic_ncols=True)


def _epoch_line(log: dict, epochs: int) -> str:
    """``epoch 3/15: loss 0.1234, val_loss 0.2345, ...``"""
    values = ", ".join(f"{k} {_short(v)}" for k, v in log.items() if k != "epoch")
    return f"epoch {log['epoch']}/{epochs}: {values}"


def train(
    loss_fn: Callable,
    model,
    data: Iterable,
    state: OptimiserState,
    epochs: int = 1,
    *,
    evaluate: Callable | None = None,
    callbacks: Iterable[Callable] = (),
    early_stopping: EarlyStopping | None = None,
    checkpoint: str | os.PathLike | None = None,
    resume: str | os.PathLike | None = None,
    progress: bool | str = True,
    jit: bool = False,
    distributed: bool = False,
    collective_timeout: float | None = None,
) -> History:
    """Train ``model`` in place: for each batch of ``data``, ``loss_fn(model, *batch)``, its gradient, an update.

    - ``evaluate(model)`` runs after each epoch (in test mode); the number (logged as ``val_loss``) or
      dict of numbers it returns joins the epoch's log. ``callbacks``: each called as
      ``callback(log, model, state)`` after each epoch; ``True`` stops training. ``early_stopping``: an
      ``EarlyStopping`` watching a key of the log.
    - ``checkpoint``: a path rewritten atomically after every epoch with the model, the optimiser state,
      the epoch, the history and the data order's random state; ``resume`` continues from such a file,
      giving the same parameters as a run that was never interrupted.
    - A NaN or infinite loss raises ``NonFiniteLossError`` naming the step, before that step updates
      anything; the checkpoint on disk stays the last good one.
    - ``progress``: ``True`` shows a progress bar on a terminal and one plain line per epoch otherwise;
      ``"bar"`` or ``"lines"`` asks for one of them, ``False`` prints nothing.
    - ``jit=True`` differentiates through ``zymo.jit`` (the same results, replayed once two batches of a
      shape have been traced); integer arrays in a batch are part of its signature by value, so it pays
      where batches hold floating-point arrays.
    - ``distributed=True`` trains data-parallel over the ranks of an MPI job (``mpiexec -n 4 python
      script.py``): ``data``, a ``DataLoader`` whose ``batch_size`` is that of all ranks together, is
      split across them; rank 0's model, optimiser state and data order are copied to the others at
      start; gradients, loss and ``evaluate``'s numbers are averaged (weighted by samples, so
      ``loss_fn`` must be a mean); only rank 0 shows progress and writes the checkpoint, which resumes
      on any number of ranks. ``collective_timeout`` (seconds, default ``zymo.distributed.timeout()``)
      aborts the job when a rank waits that long for the others.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo import optim; from zymo.data import DataLoader
        >>> x = np.linspace(-1, 1, 32); y = 3 * x; model = {"w": np.zeros(1)}
        >>> loss = lambda m, x, y: ((m["w"] * x - y) ** 2).mean()
        >>> history = zymo.train(loss, model, DataLoader((x, y), 8, rng=0), optim.setup(optim.Adam(0.1), model),
        ...                      epochs=30, progress=False)
        >>> round(float(model["w"][0]), 2), history["loss"][-1] < 1e-3
        (3.0, True)
    """
    session = _distributed_session(data, collective_timeout) if distributed else None
    data = data if session is not None else _on_model_device(data, model)
    history, start_epoch = _start(model, state, data, resume, early_stopping, session)
    run = _Run(loss_fn, model, data, state, history, session, evaluate, list(callbacks), early_stopping, checkpoint)
    run.configure(jit, progress)
    run.epochs(start_epoch, epochs)
    return history


def _distributed_session(data, collective_timeout: float | None):
    """The data-parallel session of ``train(..., distributed=True)`` (imported only then: it needs mpi4py)."""
    from .distributed.training import DistributedTraining

    return DistributedTraining(data, collective_timeout)


def _on_model_device(data, model):
    """``data``, with its batches moved to the model's device when the model's arrays are not NumPy's."""
    device = _model_device(model)
    return data if device is None else _OnDevice(data, device)


@dataclass
class _Run:
    """One ``train`` call's settings and state: the epochs it runs, each an update per batch and a log."""

    loss_fn: Callable
    model: Any
    data: Iterable
    state: OptimiserState
    history: History
    session: Any
    evaluate: Callable | None
    callbacks: list
    early_stopping: EarlyStopping | None
    checkpoint: str | os.PathLike | None
    jitted: Callable | None = None
    style: str = "none"
    batches: int | None = None

    @property
    def writes(self) -> bool:
        """Whether this process shows progress and writes the checkpoint (rank 0 of a distributed job)."""
        return self.session is None or self.session.writes

    def configure(self, jit: bool, progress: bool | str) -> None:
        self.jitted = _jit(value_and_grad(_scalar_loss(self.loss_fn))) if jit else None
        self.style = _progress_style(progress) if self.writes else "none"
        self.batches = _batches(self.data)

    def epochs(self, start: int, epochs: int) -> None:
        """Run the epochs ``start`` to ``epochs`` (or until a callback or early stopping says stop)."""
        for epoch in range(start, epochs):
            if self.epoch(epoch, epochs):
                break
        if self.early_stopping is not None and self.history.stopped_early:
            self.early_stopping.restore(self.model)
        if self.session is not None:
            self.session.finish()

    def epoch(self, epoch: int, epochs: int) -> bool:
        """One epoch: its updates, its log (printed, recorded, checkpointed). Whether training stops after it."""
        model, history = self.model, self.history
        _trainmode(model)
        bar = _progress_bar(self.style, f"epoch {epoch + 1}/{epochs}", self.batches)
        try:
            mean_loss = _run_epoch(
                self.loss_fn,
                self.jitted,
                model,
                self.data,
                self.state,
                history,
                bar,
                self.session,
                epoch,
                self.checkpoint,
            )
            log = _epoch_log(epoch, mean_loss, self.evaluate, model, self.session)
            if bar is not None:
                bar.set_postfix({k: _short(v) for k, v in log.items() if k != "epoch"})
        finally:
            if bar is not None:
                bar.close()
        history.epochs.append(log)
        if self.style == "lines":
            print(_epoch_line(log, epochs), flush=True)
        stop = _should_stop(log, model, self.state, self.callbacks, self.early_stopping, history, self.session)
        if self.checkpoint is not None and self.writes:
            _write_checkpoint(
                self.checkpoint, model, self.state, epoch, history, _rng_of(self.data), self.early_stopping
            )
        return stop


def _batches(data) -> int | None:
    """The number of batches in an epoch, if ``data`` knows it."""
    try:
        return len(data)  # type: ignore[arg-type]
    except TypeError:
        return None


def _start(model, state, data, resume, early_stopping, session) -> tuple[History, int]:
    """The history so far and the epoch to start from: empty and 0, or what the ``resume`` checkpoint holds.

    Loading it restores the model, the optimiser state, the data order's random
    state and the early-stopping counters.
    """
    history = History()
    if session is not None:
        extra = session.start(model, state, resume)
    elif resume is not None:
        extra = read_extra(resume)
        load(resume, into=model, state=state)
    if resume is None:
        return history, 0
    history.epochs = list(extra.get("history", []))
    history.losses = list(extra.get("losses", []))
    rng = _rng_of(data)
    if rng is not None and extra.get("rng") is not None:
        rng.bit_generator.state = extra["rng"]
    if early_stopping is not None and extra.get("early_stopping"):
        for k, v in extra["early_stopping"].items():
            setattr(early_stopping, k, v)
    return history, int(extra.get("epoch", 0))


def _run_epoch(loss_fn, jitted, model, data, state, history: History, bar, session, epoch: int, checkpoint) -> float:
    """One pass over ``data``, an update per batch; each step's loss goes to ``history``. Returns the mean loss."""
    total, count = 0.0, 0
    for i, batch in enumerate(data if session is None else session.shards):
        if session is None:
            loss, grads = _loss_and_gradient(loss_fn, jitted, model, batch, finite_only=True)
        elif batch.batch is None:
            loss, grads = session.reduce(0.0, session.zero_gradients(), 0.0)
        else:
            loss, grads = _loss_and_gradient(loss_fn, jitted, model, batch.batch, finite_only=False)
            loss, grads = session.reduce(loss, grads, batch.weight)
        if not math.isfinite(loss):
            error = _non_finite(loss, len(history.losses) + 1, epoch, i, checkpoint)
            raise error if session is None else _raised_on_every_rank(error)
        update(state, model, grads)
        total += loss
        count += 1
        history.losses.append(loss)
        if bar is not None:
            bar.set_postfix(loss=f"{total / count:.4f}", refresh=False)
            bar.update()
    return total / max(count, 1)


def _non_finite(loss: float, step: int, epoch: int, batch: int, checkpoint) -> NonFiniteLossError:
    where = f"the last checkpoint, {checkpoint}, is unchanged" if checkpoint else "no checkpoint kept"
    return NonFiniteLossError(
        f"the loss is {loss} at step {step} (epoch {epoch + 1}, batch {batch + 1}); training stopped "
        f"and the model was not updated by this step ({where}). Fix: lower the learning rate, "
        "clip gradients (zymo.optim.ClipNorm), or check the data of this batch for NaN/inf"
    )


def _epoch_log(epoch: int, mean_loss: float, evaluate, model, session) -> dict[str, Any]:
    """The epoch's log: its number, mean loss and what ``evaluate`` (run in test mode) returns."""
    log: dict[str, Any] = {"epoch": epoch + 1, "loss": mean_loss}
    if evaluate is None:
        return log
    _testmode(model)
    result = evaluate(model)
    _trainmode(model)
    if session is not None:
        result = session.average(result)
    log.update(result if isinstance(result, dict) else {"val_loss": result})
    return {k: (float(v) if isinstance(v, (np.floating, np.integer)) else v) for k, v in log.items()}


def _should_stop(log, model, state, callbacks, early_stopping, history: History, session) -> bool:
    """Whether a callback or ``early_stopping`` (on any rank) asks to stop after this epoch."""
    stop = False
    for cb in callbacks:
        stop = (cb(log, model, state) is True) or stop
    if early_stopping is not None and early_stopping.should_stop(log, model):
        stop = history.stopped_early = True
    if session is not None:
        stop = session.any(stop)
    return stop


def _write_checkpoint(path, model, state, epoch: int, history: History, rng, early_stopping) -> None:
    extra = {"epoch": epoch + 1, "history": history.epochs, "losses": history.losses}
    extra["rng"] = rng.bit_generator.state if rng is not None else None
    extra["early_stopping"] = early_stopping.counters() if early_stopping is not None else None
    save(model, path, state=state, extra=extra)


class _OnDevice:
    """``data`` with each batch's arrays moved to the model's device (CuPy, or another array library's)."""

    def __init__(self, data, device):
        self.data, self.device = data, device

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self):
        from .devices import to_device

        for batch in self.data:
            yield to_device(batch, self.device)


def _model_device(model):
    """The device object of the model's arrays when they are not NumPy's, else None."""
    for e in arrays_by_path(model):
        return e.array.device if is_foreign(e.array) else None
    return None


def _ones_like(value):
    return foreign_namespace(value).ones_like(value) if is_foreign(value) else np.ones_like(value)


def _loss_and_gradient(loss_fn: Callable, jitted, model, batch, finite_only: bool) -> tuple[float, Any]:
    """The loss on ``batch`` and its gradient (``None`` for a non-finite loss when ``finite_only``)."""
    args = batch if isinstance(batch, tuple) else (batch,)
    if jitted is not None:
        value, grads = jitted(model, *args)
    else:
        value, pullback = vjp(lambda m: loss_fn(m, *args), model)
    if np.ndim(value) != 0:
        raise ShapeError(f"the loss function must return a scalar, got shape {np.shape(value)}")
    loss = float(value)
    if jitted is None:
        grads = pullback(_ones_like(value))[0] if math.isfinite(loss) or not finite_only else None
    return loss, grads


def _raised_on_every_rank(error: BaseException) -> BaseException:
    from .distributed.faults import raised_on_every_rank

    return raised_on_every_rank(error)


def _scalar_loss(loss_fn: Callable) -> Callable:
    """``loss_fn``, with the error ``train`` gives for a loss that is not a scalar."""

    def loss(model, *batch):
        value = loss_fn(model, *batch)
        if np.ndim(value) != 0:
            raise ShapeError(f"the loss function must return a scalar, got shape {np.shape(value)}")
        return value

    loss.__name__ = getattr(loss_fn, "__name__", "loss")
    return loss
