"""Data-parallel training over MPI (mpi4py): every rank holds the whole model and trains on its part of each batch.

Start the ranks with ``mpiexec -n 4 python script.py`` (``pip install
'zymo[mpi]'`` installs mpi4py and the mpich wheel, which brings ``mpiexec``);
``zymo.train(..., distributed=True)`` does the rest. The pieces, for loops of
your own:

- ``rank()``, ``size()``, ``barrier()``;
- ``check_same_structure(model, state)`` and ``broadcast_parameters(model)`` at start;
- ``shard(loader)``: this rank's part of each batch, with its weight;
- ``allreduce_gradients(grads, weight)``: the weighted average over the ranks.

An unhandled exception on any rank ends every rank (its traceback printed
once), and a collective that waits longer than ``timeout()`` aborts the job,
so a fault never leaves a job hanging.

Example:
    >>> import numpy as np
    >>> from zymo import distributed
    >>> distributed.rank(), distributed.size()  # a program not started by mpiexec is a job of one rank
    (0, 1)
"""

from .buckets import DEFAULT_BUCKET_BYTES, allreduce_gradients
from .collectives import barrier
from .faults import abort
from .parameters import ParameterMismatchError, broadcast_optimiser_state, broadcast_parameters, check_same_structure
from .runtime import INSTALL, MPIUnavailableError, rank, set_timeout, size, timeout
from .sharding import Shard, ShardedLoader, shard

__all__ = [
    "rank",
    "size",
    "barrier",
    "abort",
    "timeout",
    "set_timeout",
    "allreduce_gradients",
    "broadcast_parameters",
    "broadcast_optimiser_state",
    "check_same_structure",
    "shard",
    "Shard",
    "ShardedLoader",
    "ParameterMismatchError",
    "MPIUnavailableError",
    "INSTALL",
    "DEFAULT_BUCKET_BYTES",
]
