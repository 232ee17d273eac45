"""Programs the distributed tests start under ``mpiexec``: ``programs.py SCENARIO OUT [options]``.

Each rank writes what the test checks into ``OUT`` (``rank<r>.npz``, ``rank<r>.json``).
The models are built here so that the tests can train the same one in a single process.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

import zymo
import zymo.numpy as znp
from zymo import optim
from zymo.data import DataLoader
from zymo.nn import Module


class Regressor(Module):
    """A float64 network without dropout or batch norm: tanh hidden layer, linear output."""

    def __init__(self, hidden: int = 6, seed: int = 0, dtype=np.float64):
        rng = np.random.default_rng(seed)
        self.w1 = (rng.standard_normal((3, hidden)) * 0.5).astype(dtype)
        self.b1 = np.zeros(hidden, dtype=dtype)
        self.w2 = (rng.standard_normal((hidden, 1)) * 0.5).astype(dtype)

    def __call__(self, x):
        return znp.tanh(x @ self.w1 + self.b1) @ self.w2


def mse(model, x, y):
    return znp.mean((model(x) - y) ** 2)


def dataset(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (n, 3))
    return x, np.sin(2 * x[:, :1]) + x[:, 1:2] * x[:, 2:]


def train_regressor(args, distributed: bool, rank: int = 0, fail=None) -> tuple[Regressor, zymo.training.History]:
    """Train a ``Regressor`` with plain SGD as ``args`` say; the same call in one process gives the reference."""
    model = Regressor(seed=args.model_seed)
    state = optim.setup(optim.Descent(args.lr), model)
    x, y = dataset(args.samples)
    loader = DataLoader((x, y), args.batch_size, rng=0)
    loss = mse if fail is None else fail

    def evaluate(m):
        return {"val_loss": float(mse(m, x, y)), "rank": float(rank)}

    history = zymo.train(
        loss,
        model,
        loader,
        state,
        epochs=args.epochs,
        evaluate=evaluate,
        checkpoint=args.checkpoint.replace("RANK", str(rank)) if args.checkpoint else None,
        resume=args.resume,
        progress=args.progress and "lines",
        jit=args.jit,
        distributed=distributed,
        collective_timeout=args.timeout,
    )
    return model, history


def _arguments(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=["train", "raise", "hang", "sigkill", "nan", "mismatch", "allreduce"])
    p.add_argument("out")
    p.add_argument("--samples", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--model-seed", type=int, default=0)
    p.add_argument("--jit", action="store_true")
    p.add_argument("--progress", action="store_true")
    p.add_argument("--checkpoint", default=None, help="RANK is replaced by the rank")
    p.add_argument("--resume", default=None)
    p.add_argument("--timeout", type=float, default=None)
    p.add_argument("--fail-step", type=int, default=3)
    return p.parse_args(argv)


def _failing_loss(args, out: Path, rank: int):
    """``mse`` that, on rank 1 at step ``--fail-step``, raises, hangs, kills itself or returns NaN (noting the time)."""
    calls = [0]

    def loss(model, x, y):
        calls[0] += 1
        if rank == 1 and calls[0] == args.fail_step:
            (out / "failed_at").write_text(repr(time.time()))
            if args.scenario == "raise":
                raise RuntimeError("rank 1 fails on purpose")
            if args.scenario == "hang":
                time.sleep(600)
            if args.scenario == "sigkill":
                os.kill(os.getpid(), signal.SIGKILL)
            if args.scenario == "nan":
                return mse(model, x, y) * np.nan
        return mse(model, x, y)

    return loss


def gradient_tree(rank: int) -> dict:
    """A gradient pytree of two dtypes, a ``None`` leaf and more than one 64-byte bucket per dtype."""
    rng = np.random.default_rng(10 + rank)
    return {
        "a": rng.standard_normal((5, 7)),
        "b": [rng.standard_normal(3).astype(np.float32), None, rng.standard_normal((4, 4)).astype(np.float32)],
        "c": rng.standard_normal(()),
    }


def main(argv=None) -> None:
    from zymo import distributed

    args = _arguments(argv)
    out = Path(args.out)
    rank = distributed.rank()
    for stream, name in ((1, "out"), (2, "err")):  # each rank's own files, to see which rank printed what
        os.dup2(os.open(out / f"rank{rank}.{name}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC), stream)
    if args.scenario == "mismatch":
        model = Regressor(hidden=6 if rank == 0 else 7)
        distributed.check_same_structure(model, optim.setup(optim.Descent(0.1), model))
        return
    if args.scenario == "allreduce":
        weight = [0.25, 0.75][rank]
        reduced = distributed.allreduce_gradients(gradient_tree(rank), weight, bucket_bytes=64)
        leaves = zymo.tree_leaves(reduced)
        np.savez(out / f"rank{rank}.npz", *[leaf for leaf in leaves if leaf is not None])
        (out / f"rank{rank}.json").write_text(
            json.dumps([None if leaf is None else str(leaf.dtype) for leaf in leaves])
        )
        return
    fail = None if args.scenario == "train" else _failing_loss(args, out, rank)
    model, history = train_regressor(args, distributed=True, rank=rank, fail=fail)
    np.savez(out / f"rank{rank}.npz", **{p: a for p, a in zymo.io.named_arrays(model)})
    (out / f"rank{rank}.json").write_text(json.dumps({"losses": history.losses, "epochs": history.epochs}))


if __name__ == "__main__":
    sys.exit(main())
