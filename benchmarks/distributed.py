"""Data-parallel training steps per second on 1 and 2 ranks: zymo on MPI against PyTorch DistributedDataParallel.

Each configuration (engine, model, number of ranks) runs as its own
``mpiexec -n R`` job with one BLAS/OpenMP thread per rank; the jobs are run in
turns, round after round, so every configuration sees the same machine load,
and the medians over the rounds are reported. A step is one update on a global
batch split evenly over the ranks (so 2 ranks do half the work per rank each):

- **steps/s** on rank 0, timed between barriers over a block of steps;
- **speedup** 2 ranks over 1 rank, and **efficiency** = speedup / 2;
- **exposed communication**: 1 - (steps/s with communication) / (steps/s of the
  same ranks skipping it: zymo without ``allreduce_gradients``, PyTorch under
  ``no_sync()``); PyTorch overlaps its all-reduce with the backward pass, so
  this is the part of communication that costs time for both;
- for zymo also the share of the step spent inside ``allreduce_gradients``
  (which includes waiting for the slower rank).

Models (float32, cross-entropy on 10 classes, SGD): ``mlp`` 64-512-512-10
(about 300k parameters), ``lstm`` 8 steps x 8 features -> LSTM 128 -> 10 (the
digits model of ``python -m zymo train``, about 70k parameters).
PyTorch runs DDP with the gloo backend, started by the same ``mpiexec``.

    python benchmarks/distributed.py [--rounds 3] [--steps 40] [--batch 64] [--models mlp lstm]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import _launch  # noqa: E402

if __name__ == "__main__":
    _launch.restart_clean()

import numpy as np  # noqa: E402

from benchmarks import _common  # noqa: E402

FEATURES = {"mlp": (64,), "lstm": (8, 8)}
CLASSES = 10


def _data(model: str, n: int):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, *FEATURES[model])).astype(np.float32)
    return x, rng.integers(0, CLASSES, n).astype(np.int64)


# --- workers (one per rank, started by mpiexec) ---------------------------------------------------
def _zymo_worker(args) -> dict:
    import zymo
    from zymo import distributed, nn, optim

    rank, size = distributed.rank(), distributed.size()
    rng = np.random.default_rng(1)
    if args.model == "mlp":
        model = nn.Chain(
            nn.Dense(64, 512, activation=nn.tanh, rng=rng),
            nn.Dense(512, 512, activation=nn.tanh, rng=rng),
            nn.Dense(512, CLASSES, rng=rng),
        )
    else:

        class Digits(nn.Module):
            def __init__(self):
                self.rnn = nn.LSTM(8, 128, rng=rng)
                self.head = nn.Dense(128, CLASSES, rng=rng)

            def __call__(self, x):
                return self.head(self.rnn(x)[:, -1])

        model = Digits()
    state = optim.setup(optim.Descent(0.01), model)
    distributed.check_same_structure(model, state)
    distributed.broadcast_parameters(model)
    vg = zymo.value_and_grad(lambda m, x, y: nn.losses.logitcrossentropy(m(x), y))
    x, y = _data(args.model, args.batch * args.steps)
    mine = [
        slice(s + rank * args.batch // size, s + (rank + 1) * args.batch // size) for s in range(0, len(x), args.batch)
    ]

    def block(communicate: bool) -> tuple[float, float]:
        in_allreduce = 0.0
        distributed.barrier()
        start = time.perf_counter()
        for part in mine:
            _, grads = vg(model, x[part], y[part])
            if communicate:
                t = time.perf_counter()
                grads = distributed.allreduce_gradients(grads)
                in_allreduce += time.perf_counter() - t
            optim.update(state, model, grads)
        distributed.barrier()
        elapsed = time.perf_counter() - start
        return len(mine) / elapsed, in_allreduce / elapsed

    return _blocks(block, args.blocks)


def _torch_worker(args) -> dict:
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)
    rank, size = int(os.environ["PMI_RANK"]), int(os.environ["PMI_SIZE"])
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{args.port}", rank=rank, world_size=size)
    torch.manual_seed(1)
    if args.model == "mlp":
        net = torch.nn.Sequential(
            torch.nn.Linear(64, 512),
            torch.nn.Tanh(),
            torch.nn.Linear(512, 512),
            torch.nn.Tanh(),
            torch.nn.Linear(512, 10),
        )
    else:

        class Digits(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = torch.nn.LSTM(8, 128, batch_first=True)
                self.head = torch.nn.Linear(128, CLASSES)

            def forward(self, x):
                return self.head(self.rnn(x)[0][:, -1])

        net = Digits()
    model = DistributedDataParallel(net)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = (torch.from_numpy(a) for a in _data(args.model, args.batch * args.steps))
    mine = [
        slice(s + rank * args.batch // size, s + (rank + 1) * args.batch // size) for s in range(0, len(x), args.batch)
    ]

    def block(communicate: bool) -> tuple[float, float]:
        dist.barrier()
        start = time.perf_counter()
        for part in mine:
            opt.zero_grad()
            if communicate:
                torch.nn.functional.cross_entropy(model(x[part]), y[part]).backward()
            else:
                with model.no_sync():
                    torch.nn.functional.cross_entropy(model(x[part]), y[part]).backward()
            opt.step()
        dist.barrier()
        return len(mine) / (time.perf_counter() - start), float("nan")

    result = _blocks(block, args.blocks)
    dist.destroy_process_group()
    return result


def _blocks(block, blocks: int) -> dict:
    """Median steps/s with and without communication, over blocks run in turns (after one warm-up block each)."""
    block(True), block(False)
    runs = {True: [], False: []}
    for _ in range(blocks):
        for communicate in (True, False):
            runs[communicate].append(block(communicate))
    return {
        "steps_per_s": statistics.median(r[0] for r in runs[True]),
        "steps_per_s_without_communication": statistics.median(r[0] for r in runs[False]),
        "share_in_allreduce": statistics.median(r[1] for r in runs[True]),
    }


def worker(args) -> None:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        result = (_zymo_worker if args.engine == "zymo" else _torch_worker)(args)
    if int(os.environ.get("PMI_RANK", "0")) == 0:
        print("RESULT " + json.dumps(result), flush=True)


# --- driver ---------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(engine: str, model: str, ranks: int, args) -> dict:
    env = _launch.clean_environment(os.environ)
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    command = [str(Path(sys.prefix) / "bin" / "mpiexec"), "-n", str(ranks), sys.executable, __file__, "--worker"]
    command += [engine, "--model", model, "--steps", str(args.steps), "--batch", str(args.batch)]
    command += ["--blocks", str(args.blocks), "--port", str(_free_port())]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{engine} {model} on {ranks} ranks failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(lines[0][len("RESULT ") :])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", choices=("zymo", "torch"), dest="engine", default=None, help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--model", default="mlp", help=argparse.SUPPRESS)
    p.add_argument("--models", nargs="+", choices=sorted(FEATURES), default=["mlp", "lstm"])
    p.add_argument("--rounds", type=int, default=3, help="jobs per configuration, run in turns")
    p.add_argument("--blocks", type=int, default=3, help="timed blocks per job")
    p.add_argument("--steps", type=int, default=40, help="steps per timed block")
    p.add_argument("--batch", type=int, default=64, help="global batch (split over the ranks)")
    args = p.parse_args()
    if args.engine is not None:
        worker(args)
        return
    engines = ["zymo"] + (["torch"] if _common.optional("torch") is not None else [])
    configs = [(e, m, r) for m in args.models for e in engines for r in (1, 2)]
    results: dict = {c: [] for c in configs}
    print(f"{os.cpu_count()} CPUs; one thread per rank; global batch {args.batch}; {args.rounds} rounds")
    _common.limit_threads(1)  # as in every worker, so that the header shows their settings
    print(_common.header(1))
    for _ in range(args.rounds):
        for c in configs:
            results[c].append(_run(*c, args))
    rows = []
    for m in args.models:
        for e in engines:
            one, two = (
                {k: statistics.median(r[k] for r in results[(e, m, n)]) for k in results[(e, m, n)][0]} for n in (1, 2)
            )
            speedup = two["steps_per_s"] / one["steps_per_s"]
            exposed = 1 - two["steps_per_s"] / two["steps_per_s_without_communication"]
            inside = "-" if e == "torch" else f"{100 * two['share_in_allreduce']:.0f}%"
            rows.append(
                [m, e, f"{one['steps_per_s']:.0f}", f"{two['steps_per_s']:.0f}", f"{speedup:.2f}x",
                 f"{100 * speedup / 2:.0f}%", f"{100 * exposed:.0f}%", inside]
            )  # fmt: skip
    header = ["model", "engine", "1 rank steps/s", "2 ranks steps/s", "speedup", "efficiency", "exposed comm."]
    print(_common.table(rows, header + ["in allreduce"]))


if __name__ == "__main__":
    main()
