"""``mpiexec -n 2 python -m zymo train --distributed``: rank 0 reports and writes; without MPI, a clear error."""

from __future__ import annotations

import json
import sys

import pytest

from tests.distributed.launch import run_ranks
from zymo.__main__ import main

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

QUICK = ["--max-samples", "64", "--batch-size", "32", "--hidden", "8", "--epochs", "2", "--no-progress"]


def test_two_ranks_train_and_rank_0_alone_reports_and_writes(tmp_path):
    job = run_ranks(2, ["-m", "zymo", "train", "--distributed", "--out", str(tmp_path / "run"), *QUICK])
    assert job.returncode == 0, job.output
    assert job.output.count("test accuracy") == 1
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["steps"] == 4  # 64 samples in batches of 32 (16 per rank), 2 epochs
    assert (tmp_path / "run" / "model.safetensors").exists()


def test_distributed_flag_without_mpi_names_the_install_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    assert main(["train", "--distributed", "--out", str(tmp_path), *QUICK]) == 2
    assert "pip install 'zymo[mpi]'" in capsys.readouterr().out
    assert not any(tmp_path.iterdir())


def test_a_usage_error_on_two_ranks_is_printed_once_and_ends_both(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"an earlier run")
    job = run_ranks(2, ["-m", "zymo", "train", "--distributed", "--out", str(tmp_path), *QUICK])
    assert job.returncode != 0
    assert job.output.count("already holds a run") == 1, job.output
