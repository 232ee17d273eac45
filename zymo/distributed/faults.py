"""Faults never hang a job: an unhandled exception on a rank, or a collective that waits too long, aborts them all."""

from __future__ import annotations

import sys
import time

__all__ = ["install_excepthook", "abort", "raised_on_every_rank"]

_EVERY_RANK = "_zymo_raised_on_every_rank"
# How long a rank whose error every rank raised waits for rank 0 to print it and end the job.
_REPORT_GRACE_SECONDS = 10.0
_installed = False


def raised_on_every_rank(error: BaseException) -> BaseException:
    """Mark ``error`` as raised by every rank at once, so only rank 0 prints it; returns ``error``."""
    setattr(error, _EVERY_RANK, True)
    return error


def abort(message: str, code: int = 1) -> None:
    """Print ``message`` (prefixed by this rank) to stderr and end every rank of the job with exit status ``code``."""
    from .runtime import mpi

    world = mpi().COMM_WORLD
    sys.stderr.write(f"zymo.distributed: rank {world.Get_rank()} of {world.Get_size()}: {message}\n")
    sys.stderr.flush()
    world.Abort(code)


def install_excepthook() -> None:
    """Make an unhandled exception on any rank print its traceback once and abort every rank.

    Without it, the failing rank's interpreter would wait at exit for ranks that
    wait in a collective for it: the job would hang. In a single process (not
    started by ``mpiexec``) exceptions behave as usual.
    """
    global _installed
    if _installed:
        return
    _installed = True
    previous = sys.excepthook

    def abort_every_rank(kind, value, traceback):
        from .runtime import mpi

        world = mpi().COMM_WORLD
        if world.Get_size() == 1:
            previous(kind, value, traceback)
            return
        rank = world.Get_rank()
        if getattr(value, _EVERY_RANK, False) and rank != 0:
            time.sleep(_REPORT_GRACE_SECONDS)  # rank 0 reports this error and aborts the job meanwhile
        else:
            sys.stderr.write(f"zymo.distributed: rank {rank} of {world.Get_size()} failed; ending every rank\n")
            previous(kind, value, traceback)
            sys.stderr.flush()
        world.Abort(1)

    sys.excepthook = abort_every_rank
