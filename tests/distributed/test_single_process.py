"""``zymo.distributed`` in one process: batch parts, mismatch reports, the timeout setting, MPI missing."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import zymo
from zymo import distributed, optim
from zymo.data import DataLoader
from zymo.distributed.parameters import _differences
from zymo.distributed.sharding import part


@pytest.mark.parametrize("n, size", [(16, 2), (7, 2), (10, 3), (3, 4)])
def test_parts_of_a_batch_are_disjoint_contiguous_and_cover_it(n, size):
    indices = np.arange(100, 100 + n)
    parts = [part(indices, r, size) for r in range(size)]
    np.testing.assert_array_equal(np.concatenate(parts), indices)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


def test_every_rank_sees_the_same_epoch_order_split_into_its_part():
    x = np.arange(10.0)
    shards = [list(distributed.shard(DataLoader(x, 4, rng=3), rank=r, size=2)) for r in range(2)]
    whole = list(DataLoader(x, 4, rng=3))
    for step, batch in enumerate(whole):
        np.testing.assert_array_equal(np.concatenate([shards[0][step].batch, shards[1][step].batch]), batch)
        assert shards[0][step].weight + shards[1][step].weight == 1


def test_a_batch_smaller_than_the_number_of_ranks_is_refused():
    with pytest.raises(zymo.ZymoError, match="batch size of at least 4"):
        distributed.shard(DataLoader(np.zeros(10), 3), rank=0, size=4)


def test_only_a_dataloader_can_be_split_across_ranks():
    with pytest.raises(zymo.ZymoError, match="zymo.data.DataLoader"):
        distributed.shard([np.zeros(3)], rank=0, size=2)


def test_mismatch_report_names_missing_arrays_and_differing_shapes_and_dtypes():
    reference = {"model `w`": "shape (2,) float64", "model `b`": "shape (1,) float64"}
    other = {"model `w`": "shape (2,) float32", "model `v`": "shape (3,) float64"}
    assert _differences(reference, other, 1) == [
        "model `w`: shape (2,) float64 on rank 0, shape (2,) float32 on rank 1",
        "model `b`: rank 0 has it (shape (1,) float64), rank 1 does not",
        "model `v`: rank 1 has it (shape (3,) float64), rank 0 does not",
    ]


def test_collective_timeout_comes_from_the_environment_unless_set(monkeypatch):
    monkeypatch.setenv("ZYMO_COLLECTIVE_TIMEOUT", "12.5")
    assert distributed.timeout() == 12.5
    distributed.set_timeout(3)
    try:
        assert distributed.timeout() == 3.0
    finally:
        distributed.set_timeout(None)
    monkeypatch.setenv("ZYMO_COLLECTIVE_TIMEOUT", "soon")
    with pytest.raises(zymo.ZymoError, match="ZYMO_COLLECTIVE_TIMEOUT must be a number"):
        distributed.timeout()


def test_distributed_training_without_mpi_fails_at_once_with_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    model = {"w": np.zeros(1)}
    loader = DataLoader(np.zeros(4), 2)
    with pytest.raises(distributed.MPIUnavailableError, match=r"pip install 'zymo\[mpi\]'"):
        zymo.train(
            lambda m, x: (m["w"] * x).sum(), model, loader, optim.setup(optim.Descent(0.1), model), distributed=True
        )


def test_one_process_trains_alike_with_and_without_distributed():
    pytest.importorskip("mpi4py", reason="needs MPI: pip install -e '.[mpi]'")
    x = np.linspace(-1, 1, 20)
    results = []
    for flag in (False, True):
        model = {"w": np.zeros(1)}
        loss = lambda m, x: ((m["w"] * x - 2 * x) ** 2).mean()
        zymo.train(
            loss,
            model,
            DataLoader(x, 5, rng=0),
            optim.setup(optim.Descent(0.3), model),
            2,
            progress=False,
            distributed=flag,
        )
        results.append(model["w"])
    np.testing.assert_array_equal(*results)
