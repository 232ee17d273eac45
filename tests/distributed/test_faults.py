"""Faults never hang a job: every rank ends, non-zero, within seconds, and the cause is printed once."""

from __future__ import annotations

import time

from tests.distributed.launch import rank_stderr, run_program

# Time from the fault to the end of the job; generous, as the test machine may be busy.
SECONDS_TO_END = 30


def _all_output(job, out) -> str:
    return job.output + rank_stderr(out, 0) + rank_stderr(out, 1)


def _seconds_since_fault(job, out) -> float:
    return job.ended - float((out / "failed_at").read_text())


def test_an_exception_on_one_rank_ends_every_rank_and_is_printed_once(tmp_path):
    job = run_program(2, tmp_path, "raise", "--fail-step", "3")
    output = _all_output(job, tmp_path)
    assert job.returncode != 0
    assert output.count("RuntimeError: rank 1 fails on purpose") == 1, output
    assert "rank 1 of 2 failed" in rank_stderr(tmp_path, 1)
    assert _seconds_since_fault(job, tmp_path) < SECONDS_TO_END


def test_a_rank_stuck_past_the_collective_timeout_ends_the_job(tmp_path):
    job = run_program(2, tmp_path, "hang", "--fail-step", "3", "--timeout", "3")
    output = _all_output(job, tmp_path)
    assert job.returncode != 0
    assert "rank 0 of 2: waited" in rank_stderr(tmp_path, 0), output
    assert "in allreduce_gradients" in rank_stderr(tmp_path, 0)
    assert "set_timeout" in rank_stderr(tmp_path, 0)
    assert _seconds_since_fault(job, tmp_path) < SECONDS_TO_END


def test_a_rank_killed_with_sigkill_ends_the_job_within_a_minute(tmp_path):
    job = run_program(2, tmp_path, "sigkill", "--fail-step", "3")
    assert job.returncode != 0
    assert _seconds_since_fault(job, tmp_path) < 60
    assert not (tmp_path / "rank0.npz").exists()  # rank 0 did not finish training without rank 1


def test_a_nan_loss_on_one_rank_stops_every_rank_with_one_report(tmp_path):
    job = run_program(2, tmp_path, "nan", "--fail-step", "3")
    output = _all_output(job, tmp_path)
    assert job.returncode != 0
    assert output.count("NonFiniteLossError: the loss is nan at step 3") == 1, output
    assert "NonFiniteLossError" in rank_stderr(tmp_path, 0)
    assert _seconds_since_fault(job, tmp_path) < SECONDS_TO_END


def test_ranks_with_different_models_are_reported_by_array_name(tmp_path):
    start = time.time()
    job = run_program(2, tmp_path, "mismatch")
    output = _all_output(job, tmp_path)
    assert job.returncode != 0
    assert "ParameterMismatchError" in rank_stderr(tmp_path, 0)
    assert "model `w1`: shape (3, 6) float64 on rank 0, shape (3, 7) float64 on rank 1" in output
    assert output.count("ParameterMismatchError") == 1, output
    assert job.ended - start < 60
