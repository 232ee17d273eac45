"""The MPI runtime behind ``zymo.distributed``: loading mpi4py, this process's rank, the collective timeout."""

from __future__ import annotations

import os
from typing import Any

from ..core.errors import ZymoError

__all__ = ["MPIUnavailableError", "INSTALL", "comm", "mpi", "rank", "size", "timeout", "set_timeout"]

INSTALL = "pip install 'zymo[mpi]'"
DEFAULT_TIMEOUT = 1800.0
_TIMEOUT_VARIABLE = "ZYMO_COLLECTIVE_TIMEOUT"
_timeout: float | None = None


class MPIUnavailableError(ZymoError, ImportError):
    """Distributed training was asked for, but mpi4py (and an MPI library) is not installed."""


def mpi() -> Any:
    """The ``mpi4py.MPI`` module (MPI starts on first use); ``MPIUnavailableError`` if it is not installed."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise MPIUnavailableError(
            f"distributed training runs on MPI, which is not installed here ({e}). Install it with: {INSTALL} "
            "(mpi4py and the mpich wheel, which brings mpiexec), then start the ranks with "
            "`mpiexec -n 2 python your_script.py`"
        ) from None
    return MPI


def comm() -> Any:
    """The world communicator (every rank of the job); installs the abort-on-exception hook on first use."""
    from .faults import install_excepthook

    world = mpi().COMM_WORLD
    install_excepthook()
    return world


def rank() -> int:
    """This process's rank, 0 to ``size() - 1`` (0 when the program was not started by ``mpiexec``).

    Example:
        >>> from zymo import distributed
        >>> distributed.rank()
        0
    """
    return int(comm().Get_rank())


def size() -> int:
    """The number of ranks in the job (1 when the program was not started by ``mpiexec``).

    Example:
        >>> from zymo import distributed
        >>> distributed.size()
        1
    """
    return int(comm().Get_size())


def timeout() -> float:
    """Seconds a collective waits for the other ranks before it aborts the job.

    Set by ``set_timeout``, else the ``ZYMO_COLLECTIVE_TIMEOUT`` environment
    variable, else 1800 (long enough for rank 0 to evaluate and write a large
    checkpoint while the others wait).

    Example:
        >>> from zymo import distributed
        >>> distributed.timeout() > 0
        True
    """
    if _timeout is not None:
        return _timeout
    value = os.environ.get(_TIMEOUT_VARIABLE)
    if value is None:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        raise ZymoError(f"{_TIMEOUT_VARIABLE} must be a number of seconds, got {value!r}") from None
    if not seconds > 0:
        raise ZymoError(f"{_TIMEOUT_VARIABLE} must be positive, got {value!r}")
    return seconds


def set_timeout(seconds: float | None) -> None:
    """Make collectives wait at most ``seconds`` for the other ranks (``None``: back to the default).

    Example:
        >>> from zymo import distributed
        >>> distributed.set_timeout(60); distributed.timeout()
        60.0
        >>> distributed.set_timeout(None)
    """
    global _timeout
    if seconds is not None and not float(seconds) > 0:
        raise ZymoError(f"the collective timeout must be a positive number of seconds, got {seconds!r}")
    _timeout = None if seconds is None else float(seconds)
