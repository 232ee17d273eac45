"""Collectives that cannot hang: each starts a non-blocking MPI request and polls it against a deadline.

Past the deadline (``runtime.timeout()``) the job is aborted with a message
that names the collective, instead of waiting forever for a rank that is stuck.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np

from .faults import abort
from .runtime import comm, mpi, timeout

__all__ = ["wait", "barrier", "broadcast_array", "broadcast_bytes", "broadcast_json", "allgather_bytes", "allreduce"]

# Poll without pause briefly (a collective between ranks of one machine can complete in microseconds), then
# sleep between polls: a rank that spins while it waits takes the CPU from the ranks it waits for wherever ranks
# share cores with other work (a 1 s spin halved the steps per second of 2 ranks on a busy 2-core machine). MPI
# makes progress on a request only while it is polled, so pauses stay short (_SHORT_PAUSE) for the first second;
# past it (a rank waits for rank 0 to evaluate or write a checkpoint) they grow to _LONGEST_PAUSE.
_SPIN_SECONDS = 1e-4
_SHORT_PAUSE = 2e-4
_LONGEST_PAUSE = 5e-3


def wait(requests: list, what: str) -> None:
    """Wait until every request in ``requests`` completes; abort the job if that takes longer than the timeout."""
    MPI = mpi()
    if MPI.Request.Testall(requests):
        return
    limit = timeout()
    start = time.monotonic()
    pause = 1e-5
    while not MPI.Request.Testall(requests):
        waited = time.monotonic() - start
        if waited > limit:
            abort(
                f"waited {waited:.1f} s in {what} for the other ranks, without an answer: a rank is stuck or died "
                "without the launcher noticing. Ending every rank. (The limit is "
                "zymo.distributed.set_timeout(seconds), the ZYMO_COLLECTIVE_TIMEOUT variable, or "
                "--collective-timeout on the command line.)"
            )
        if waited > _SPIN_SECONDS:
            time.sleep(pause)
            pause = min(2 * pause, _SHORT_PAUSE if waited < 1.0 else _LONGEST_PAUSE)


def barrier() -> None:
    """Wait until every rank reaches this point.

    Example:
        >>> from zymo import distributed
        >>> distributed.barrier()
    """
    wait([comm().Ibarrier()], "barrier")


def allreduce(values: np.ndarray, op: str = "sum", what: str = "allreduce") -> np.ndarray:
    """``values`` (contiguous; reduced in place and returned) over every rank: ``sum``, ``max`` or ``min``."""
    MPI = mpi()
    operation = {"sum": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}[op]
    wait([comm().Iallreduce(MPI.IN_PLACE, values, op=operation)], what)
    return values


def broadcast_array(array: np.ndarray, root: int = 0, what: str = "broadcast") -> None:
    """Overwrite ``array`` on every rank with its values on ``root``, in place."""
    if array.flags.c_contiguous and array.flags.writeable:
        wait([comm().Ibcast(array, root=root)], what)
        return
    buffer = np.ascontiguousarray(array)
    wait([comm().Ibcast(buffer, root=root)], what)
    np.copyto(array, buffer)


def broadcast_bytes(data: bytes | None, root: int = 0, what: str = "broadcast") -> bytes:
    """``root``'s ``data`` on every rank (the others pass ``None``)."""
    world = comm()
    mine = world.Get_rank() == root
    length = np.array([len(data) if mine and data is not None else 0], dtype=np.int64)
    broadcast_array(length, root, what)
    buffer = np.frombuffer(data, dtype=np.uint8).copy() if mine and data is not None else np.empty(0, np.uint8)
    if not mine:
        buffer = np.empty(int(length[0]), dtype=np.uint8)
    broadcast_array(buffer, root, what)
    return buffer.tobytes()


def broadcast_json(value: Any, root: int = 0, what: str = "broadcast") -> Any:
    """``root``'s ``value`` (anything JSON can hold) on every rank; the others' ``value`` is ignored."""
    mine = comm().Get_rank() == root
    return json.loads(broadcast_bytes(json.dumps(value).encode() if mine else None, root, what))


def allgather_bytes(data: bytes, what: str = "allgather") -> list[bytes]:
    """Every rank's ``data``, in rank order, on every rank."""
    MPI = mpi()
    world = comm()
    lengths = np.zeros(world.Get_size(), dtype=np.int64)
    wait([world.Iallgather(np.array([len(data)], dtype=np.int64), lengths)], what)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    gathered = np.empty(int(lengths.sum()), dtype=np.uint8)
    mine = np.frombuffer(data, dtype=np.uint8).copy()
    wait([world.Iallgatherv(mine, [gathered, lengths, offsets, MPI.BYTE])], what)
    return [gathered[o : o + n].tobytes() for o, n in zip(offsets, lengths)]
