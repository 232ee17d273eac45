"""Start a program on several ranks with the ``mpiexec`` that ``pip install 'zymo[mpi]'`` puts next to Python."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = Path(__file__).with_name("programs.py")
# A bug must never hang the test suite: every job is killed after this long.
JOB_LIMIT_SECONDS = 180


@dataclass
class Job:
    """How a job ended: exit status, combined output, when it ended (``time.time()``)."""

    returncode: int
    output: str
    ended: float


def mpiexec() -> str:
    """The ``mpiexec`` of this environment (the test is skipped where mpi4py is not installed)."""
    pytest.importorskip("mpi4py", reason="the multi-rank tests need MPI: pip install -e '.[mpi]'")
    path = Path(sys.prefix) / "bin" / "mpiexec"
    assert path.exists(), f"no mpiexec at {path}: install the test dependencies with pip install -e '.[test]'"
    return str(path)


def run_ranks(ranks: int, arguments: list[str], cwd: Path | None = None) -> Job:
    """``mpiexec -n ranks python ARGUMENTS`` with zymo importable; output captured, killed after the job limit."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    command = [mpiexec(), "-n", str(ranks), sys.executable, *arguments]
    # A session of its own, so that a job past the limit is killed with every process it started.
    job = subprocess.Popen(
        command,
        cwd=cwd or ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = job.communicate(timeout=JOB_LIMIT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(job.pid, signal.SIGKILL)
        output, _ = job.communicate()
        raise AssertionError(f"the job ran past {JOB_LIMIT_SECONDS} s and was killed:\n{output}") from None
    return Job(job.returncode, output, time.time())


def run_program(ranks: int, out: Path, *arguments: str) -> Job:
    """Run ``programs.py`` on ``ranks`` ranks, writing into ``out``."""
    return run_ranks(ranks, [str(PROGRAMS), *arguments[:1], str(out), *arguments[1:]])


def rank_stderr(out: Path, rank: int) -> str:
    return (out / f"rank{rank}.err").read_text()


def rank_stdout(out: Path, rank: int) -> str:
    return (out / f"rank{rank}.out").read_text()
