"""``zymo.train(..., distributed=True)`` on two ranks equals one process trained on the combined batches."""

from __future__ import annotations

import json

import numpy as np
import pytest

import zymo
from tests.distributed.launch import rank_stderr, rank_stdout, run_program
from tests.distributed.programs import Regressor, _arguments, train_regressor

RELATIVE_TOLERANCE = 1e-10


def _reference(*options: str):
    """The same training in this process, on one rank."""
    model, history = train_regressor(_arguments(["train", "unused", *options]), distributed=False)
    return dict(zymo.io.named_arrays(model)), history


def _ranks_result(out, rank):
    params = dict(np.load(out / f"rank{rank}.npz"))
    return params, json.loads((out / f"rank{rank}.json").read_text())


def _relative_error(a: dict, b: dict) -> float:
    """``|a - b| / |b|`` over all the arrays together."""
    difference = np.sqrt(sum(np.sum((a[k] - b[k]) ** 2) for k in b))
    return float(difference / np.sqrt(sum(np.sum(b[k] ** 2) for k in b)))


def _two_ranks(tmp_path, *options):
    job = run_program(2, tmp_path, "train", *options)
    assert job.returncode == 0, job.output + rank_stderr(tmp_path, 0) + rank_stderr(tmp_path, 1)
    return _ranks_result(tmp_path, 0), _ranks_result(tmp_path, 1)


@pytest.fixture(scope="module")
def equal_shards(tmp_path_factory):
    """64 samples in batches of 16: each rank trains on 8 samples per step, for 8 SGD steps."""
    out = tmp_path_factory.mktemp("equal")
    return _two_ranks(out, "--samples", "64", "--batch-size", "16", "--epochs", "2"), _reference(
        "--samples", "64", "--batch-size", "16", "--epochs", "2"
    )


def test_two_ranks_give_the_parameters_of_one_process_on_the_combined_batch(equal_shards):
    ((params, _), _), (reference, _) = equal_shards
    assert _relative_error(params, reference) < RELATIVE_TOLERANCE
    assert _relative_error(params, dict(zymo.io.named_arrays(Regressor()))) > 1e-3  # it trained


def test_every_rank_ends_with_the_same_parameters(equal_shards):
    ((params0, _), (params1, _)), _ = equal_shards
    for k in params0:
        np.testing.assert_array_equal(params0[k], params1[k])


def test_reported_losses_are_those_of_the_combined_batch(equal_shards):
    ((_, log), _), (_, history) = equal_shards
    np.testing.assert_allclose(log["losses"], history.losses, rtol=RELATIVE_TOLERANCE)
    assert len(log["losses"]) == 8


def test_evaluation_results_are_averaged_over_the_ranks(equal_shards):
    ((_, log0), (_, log1)), (_, history) = equal_shards
    assert [e["rank"] for e in log0["epochs"]] == [0.5, 0.5] == [e["rank"] for e in log1["epochs"]]
    np.testing.assert_allclose([e["val_loss"] for e in log0["epochs"]], history["val_loss"], rtol=1e-10)


def test_uneven_parts_are_weighted_by_their_samples(tmp_path):
    # batches of 7 split 4 + 3; the last batch of 45 samples holds 3, split 2 + 1
    options = ("--samples", "45", "--batch-size", "7", "--epochs", "2")
    ((params, log), _) = _two_ranks(tmp_path, *options)
    reference, history = _reference(*options)
    assert _relative_error(params, reference) < RELATIVE_TOLERANCE
    np.testing.assert_allclose(log["losses"], history.losses, rtol=RELATIVE_TOLERANCE)


def test_a_rank_with_no_sample_in_the_last_batch_still_joins_the_step(tmp_path):
    # 33 samples in batches of 16: the last batch holds one sample, so rank 1's part of it is empty
    options = ("--samples", "33", "--batch-size", "16", "--epochs", "2")
    ((params, _), _) = _two_ranks(tmp_path, *options)
    reference, _ = _reference(*options)
    assert _relative_error(params, reference) < RELATIVE_TOLERANCE


def test_each_rank_replays_its_own_jit_recording(tmp_path):
    options = ("--samples", "45", "--batch-size", "7", "--epochs", "3")
    ((params, _), _) = _two_ranks(tmp_path, *options, "--jit")
    reference, _ = _reference(*options)
    assert _relative_error(params, reference) < RELATIVE_TOLERANCE


def test_only_rank_0_shows_progress_and_writes_the_checkpoint(tmp_path):
    _two_ranks(tmp_path, "--progress", "--checkpoint", str(tmp_path / "ckpt-RANK.safetensors"))
    assert "epoch 2/2: loss" in rank_stdout(tmp_path, 0)
    assert rank_stdout(tmp_path, 1) == rank_stderr(tmp_path, 1) == ""
    assert (tmp_path / "ckpt-0.safetensors").exists()
    assert not (tmp_path / "ckpt-1.safetensors").exists()


def test_a_checkpoint_of_two_ranks_resumes_in_one_process(tmp_path):
    checkpoint = str(tmp_path / "ckpt-RANK.safetensors")
    _two_ranks(tmp_path, "--epochs", "2", "--checkpoint", checkpoint)
    resumed, history = _reference("--epochs", "4", "--resume", str(tmp_path / "ckpt-0.safetensors"))
    uninterrupted, full_history = _reference("--epochs", "4")
    assert _relative_error(resumed, uninterrupted) < RELATIVE_TOLERANCE
    np.testing.assert_allclose(history.losses, full_history.losses, rtol=RELATIVE_TOLERANCE)


def test_a_checkpoint_of_one_process_resumes_on_two_ranks(tmp_path):
    checkpoint = tmp_path / "single.safetensors"
    _reference("--epochs", "2", "--checkpoint", str(checkpoint))
    ((resumed, log), _) = _two_ranks(tmp_path, "--epochs", "4", "--resume", str(checkpoint))
    uninterrupted, full_history = _reference("--epochs", "4")
    assert _relative_error(resumed, uninterrupted) < RELATIVE_TOLERANCE
    np.testing.assert_allclose(log["losses"], full_history.losses, rtol=RELATIVE_TOLERANCE)
