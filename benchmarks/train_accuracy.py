"""The main job's full accuracy run: ``python -m zymo train`` (LSTM on handwritten digits), beside PyTorch.

For each seed, zymo's run (the command's own code, default settings) and the
same model trained by PyTorch (``nn.LSTM`` + ``nn.Linear``, float32, Adam with
the same cosine schedule and gradient clipping, the same batches, evaluation
after every epoch) run alternately in this process under the same thread
limit. Prints test accuracy and training time per run, medians, and the time
ratio zymo / PyTorch; then the end-to-end wall time of the command itself in
a fresh process (imports, data, training, plot and files).

    python benchmarks/train_accuracy.py              # seeds 0 1 2, one BLAS thread
    python benchmarks/train_accuracy.py --quick      # two epochs, one seed
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _launch  # noqa: E402

if __name__ == "__main__":
    _launch.restart_clean()

from benchmarks._common import header as run_header  # noqa: E402
from benchmarks._common import limit_threads, optional, table  # noqa: E402
from zymo.__main__ import main as zymo_main  # noqa: E402
from zymo.cli import train as train_cli  # noqa: E402
from zymo.data import DataLoader  # noqa: E402
from zymo.optim import CosineDecay  # noqa: E402


def run_zymo(seed: int, epochs: int, out: Path, threads: int) -> tuple[float, float]:
    """(test accuracy, training seconds) of ``python -m zymo train`` run in this process."""
    argv = ["train", "--seed", str(seed), "--epochs", str(epochs), "--out", str(out), "--no-progress"]
    argv += ["--threads", str(threads)]
    if zymo_main(argv) != 0:
        raise SystemExit("python -m zymo train failed")
    report = json.loads((out / "report.json").read_text())
    return report["test"]["accuracy"], report["train_seconds"]


def run_torch(torch, seed: int, epochs: int) -> tuple[float, float]:
    """(test accuracy, training seconds) of the same model, optimiser, schedule and batches in PyTorch."""
    settings = {"task": "digits", **train_cli.TASK_DEFAULTS["digits"], "seed": seed}
    task = train_cli.TASKS["digits"](settings)
    torch.manual_seed(seed)
    hidden = settings["hidden"]

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.LSTM(8, hidden, batch_first=True)
            self.head = torch.nn.Linear(hidden, 10)

        def forward(self, x):
            return self.head(self.rnn(x)[0][:, -1])

    net = Net()
    loader = DataLoader((task.x_train, task.y_train), settings["batch_size"], rng=seed)
    total = epochs * len(loader)
    schedule = CosineDecay(settings["lr"], total=total, warmup=min(len(loader), total // 10))
    opt = torch.optim.Adam(net.parameters(), lr=settings["lr"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: schedule(t) / settings["lr"])
    x_test, y_test = torch.from_numpy(task.x_test), torch.from_numpy(task.y_test)
    loss_fn = torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(epochs):
        for x, y in loader:
            opt.zero_grad()
            loss = loss_fn(net(torch.from_numpy(x)), torch.from_numpy(y))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            sched.step()
        with torch.no_grad():
            accuracy = float((net(x_test).argmax(-1) == y_test).float().mean())
    return accuracy, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="two epochs, one seed (a smoke run)")
    args = parser.parse_args()
    epochs = 2 if args.quick else train_cli.TASK_DEFAULTS["digits"]["epochs"]
    seeds = args.seeds[:1] if args.quick else args.seeds
    limit_threads(args.threads)
    torch = optional("torch")
    print(f"{run_header(args.threads)}; torch {getattr(torch, '__version__', 'not installed')}; {epochs} epochs")

    rows, zs, ts = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            za, zt = run_zymo(seed, epochs, Path(tmp) / f"seed{seed}", args.threads)
            ta, tt = run_torch(torch, seed, epochs) if torch is not None else (None, None)
            zs.append((za, zt))
            ts.append((ta, tt))
            rows.append([str(seed), f"{100 * za:.2f}%", f"{zt:.2f}"]
                        + ([f"{100 * ta:.2f}%", f"{tt:.2f}", f"{zt / tt:.2f}x"] if torch else ["-"] * 3))  # fmt: skip
        med = lambda xs: statistics.median(xs)  # noqa: E731
        zmed_a, zmed_t = med([a for a, _ in zs]), med([t for _, t in zs])
        summary = ["median", f"{100 * zmed_a:.2f}%", f"{zmed_t:.2f}"]
        if torch is not None:
            tmed_a, tmed_t = med([a for a, _ in ts]), med([t for _, t in ts])
            summary += [f"{100 * tmed_a:.2f}%", f"{tmed_t:.2f}", f"{zmed_t / tmed_t:.2f}x"]
        else:
            summary += ["-"] * 3
        rows.append(summary)
        header = ["seed", "zymo acc.", "zymo s", "torch acc.", "torch s", "time zymo/torch"]
        print(table(rows, header))

        out = Path(tmp) / "end-to-end"
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "zymo", "train", "--out", str(out), "--no-progress", "--epochs", str(epochs)]
        cmd += ["--threads", str(args.threads)]
        subprocess.run(cmd, check=True, capture_output=True)
        wall = time.perf_counter() - t0
        final = json.loads((out / "report.json").read_text())["test"]
        print(f"\n`python -m zymo train` end to end (fresh process): {wall:.1f} s wall, "
              f"test accuracy {100 * final['accuracy']:.2f}%")  # fmt: skip


if __name__ == "__main__":
    main()
