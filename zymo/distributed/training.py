"""What ``zymo.train(..., distributed=True)`` adds to the training loop: same start, split batches, averaged steps."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np

from ..core.errors import ZymoError
from ..core.pytree import tree_flatten, tree_unflatten
from ..data import DataLoader
from ..io import CheckpointError, load, read_extra
from ..optim.state import OptimiserState
from .buckets import weighted_allreduce
from .collectives import allreduce, barrier, broadcast_bytes, broadcast_json
from .faults import raised_on_every_rank
from .parameters import broadcast_optimiser_state, broadcast_parameters, check_same_structure
from .runtime import comm, set_timeout
from .sharding import ShardedLoader

__all__ = ["DistributedTraining"]


class DistributedTraining:
    """One rank's side of data-parallel training over the ranks of an MPI job.

    At ``start`` every rank checks that the ranks built the same model and
    optimiser, takes rank 0's values and data order (or rank 0's checkpoint);
    each step it trains on its part of the batch (``shards``) and ``reduce``
    averages the gradients and the loss, weighted by each part's samples.
    """

    def __init__(self, data: DataLoader, collective_timeout: float | None = None):
        world = comm()
        if collective_timeout is not None:
            set_timeout(collective_timeout)
        self.rank, self.size = int(world.Get_rank()), int(world.Get_size())
        self.loader = data
        self.shards = ShardedLoader(data, self.rank, self.size)
        self._gradient_layout: tuple[Any, list] | None = None

    @property
    def writes(self) -> bool:
        """Whether this rank shows progress and writes checkpoints (rank 0 only)."""
        return self.rank == 0

    def start(self, model, state: OptimiserState, resume: str | os.PathLike | None) -> dict | None:
        """Make every rank's model, optimiser state and data order rank 0's; the checkpoint's ``extra`` on resume."""
        check_same_structure(model, state)
        broadcast_parameters(model)
        broadcast_optimiser_state(state)
        rng = self.loader.rng
        rng.bit_generator.state = broadcast_json(rng.bit_generator.state, what="the data order's random state")
        return None if resume is None else self._resume(resume, model, state)

    def _resume(self, path: str | os.PathLike, model, state: OptimiserState) -> dict:
        """Every rank loads rank 0's checkpoint file (only rank 0 needs to see it)."""
        problem = None
        if self.rank == 0:
            try:
                read_extra(path)
            except ZymoError as e:
                problem = str(e)
        problem = broadcast_json(problem, what="resume")
        if problem is not None:
            raise raised_on_every_rank(CheckpointError(problem))
        data = broadcast_bytes(open(path, "rb").read() if self.rank == 0 else None, what="resume")
        source, temporary = path, None
        if self.rank != 0:
            fd, temporary = tempfile.mkstemp(suffix=".safetensors")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            source = temporary
        try:
            extra = read_extra(source)
            load(source, into=model, state=state)
        except ZymoError as e:
            raise raised_on_every_rank(e)
        finally:
            if temporary is not None:
                os.unlink(temporary)
        return extra

    def reduce(self, loss: float, grads: Any, weight: float) -> tuple[float, Any]:
        """The loss and gradients averaged over every rank's part of the batch, each weighted by its samples."""
        leaves, treedef = tree_flatten(grads)
        self._gradient_layout = (treedef, leaves)
        reduced, extras = weighted_allreduce(grads, weight, np.array([loss]))
        return float(extras[0]), reduced

    def zero_gradients(self) -> Any:
        """Zero gradients for a rank whose part of a (short, last) batch is empty; it still joins the reduction."""
        if self._gradient_layout is None:
            raise ZymoError("no gradient computed yet on this rank: the first batch must give every rank a sample")
        treedef, leaves = self._gradient_layout
        return tree_unflatten(treedef, [None if leaf is None else np.zeros_like(leaf) for leaf in leaves])

    def average(self, result: Any) -> Any:
        """An evaluation result (a number or a dict) with its numbers averaged over the ranks."""
        log = result if isinstance(result, dict) else {"value": result}
        keys = [
            k
            for k, v in log.items()
            if isinstance(v, (float, int, np.floating, np.integer)) and not isinstance(v, bool)
        ]
        totals = allreduce(np.array([float(log[k]) for k in keys], dtype=np.float64), what="averaging metrics")
        averaged = {**log, **{k: float(t) / self.size for k, t in zip(keys, totals)}}
        return averaged if isinstance(result, dict) else averaged["value"]

    def any(self, flag: bool) -> bool:
        """Whether ``flag`` is true on any rank (so that every rank stops together)."""
        return bool(allreduce(np.array([1 if flag else 0], dtype=np.int64), "max", "agreeing to stop")[0])

    def finish(self) -> None:
        """Wait for every rank (rank 0 may still be writing the last checkpoint)."""
        barrier()
