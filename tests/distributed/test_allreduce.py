"""``allreduce_gradients``: the weighted sum over ranks, bucket by bucket, each dtype kept."""

from __future__ import annotations

import json

import numpy as np
import pytest

import zymo
from tests.distributed.launch import rank_stderr, run_program
from tests.distributed.programs import gradient_tree
from zymo import distributed


def test_allreduce_gradients_sums_weighted_trees_over_many_buckets(tmp_path):
    job = run_program(2, tmp_path, "allreduce")
    assert job.returncode == 0, job.output + rank_stderr(tmp_path, 0)
    expected = [
        None if a is None else 0.25 * a + 0.75 * b
        for a, b in zip(zymo.tree_leaves(gradient_tree(0)), zymo.tree_leaves(gradient_tree(1)))
    ]
    for rank in (0, 1):
        dtypes = json.loads((tmp_path / f"rank{rank}.json").read_text())
        got = iter(np.load(tmp_path / f"rank{rank}.npz").values())
        assert dtypes == [None if e is None else str(e.dtype) for e in expected]
        for e in expected:
            if e is not None:
                np.testing.assert_allclose(next(got), e, rtol=1e-6 if e.dtype == np.float32 else 1e-15)


def test_allreduce_gradients_on_one_rank_returns_a_new_tree_of_equal_values():
    pytest.importorskip("mpi4py", reason="needs MPI: pip install -e '.[mpi]'")
    grads = gradient_tree(0)
    reduced = distributed.allreduce_gradients(grads)
    for a, b in zip(zymo.tree_leaves(reduced), zymo.tree_leaves(grads)):
        assert (a is None and b is None) or (np.array_equal(a, b) and a is not b and a.dtype == b.dtype)
