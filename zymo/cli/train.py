"""``python -m zymo train``: train a recurrent network on a real dataset shipped inside an installed package.

Tasks:

- ``digits`` (default): scikit-learn's 8x8 handwritten digits, each image read
  row by row as an 8-step sequence of 8 pixels; a recurrent layer and a dense
  head classify it. Reported: test accuracy and loss.
- ``sunspots``: yearly sunspot numbers 1700-2008 (shipped with statsmodels);
  from the last ``window`` years the model forecasts the next. Trained on the
  years up to 1948, tested on 1949-2008. Reported: test RMSE against the
  persistence forecast (next year = this year).

Everything lands in ``--out``: ``model.safetensors`` (weights, optimiser state
and progress; ``--resume`` continues from it), ``config.json``, ``report.json``
and ``learning_curve.png``.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..io import write_atomically

HELP = "train a recurrent network on a real dataset (default: LSTM on handwritten digits) and report"

CHECKPOINT = "model.safetensors"
MODEL_SETTINGS = ("task", "model", "hidden", "layers", "window")
TASK_DEFAULTS = {
    "digits": {"model": "lstm", "hidden": 128, "layers": 1, "epochs": 15, "batch_size": 32, "lr": 0.01, "window": 8},
    "sunspots": {"model": "lstm", "hidden": 32, "layers": 1, "epochs": 60, "batch_size": 16, "lr": 0.01, "window": 20},
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", choices=sorted(TASK_DEFAULTS), default=None, help="dataset (default: digits)")
    parser.add_argument("--model", choices=("rnn", "lstm", "gru"), default=None, help="recurrent layer (lstm)")
    parser.add_argument("--hidden", type=int, default=None, help="hidden units per layer")
    parser.add_argument("--layers", type=int, default=None, help="stacked recurrent layers")
    parser.add_argument("--epochs", type=int, default=None, help="epochs in total (counting resumed ones)")
    parser.add_argument("--batch-size", type=int, default=None, help="samples per update")
    parser.add_argument("--lr", type=float, default=None, help="peak learning rate of Adam (cosine decay)")
    parser.add_argument("--window", type=int, default=None, help="sunspots: years of history per forecast")
    parser.add_argument("--seed", type=int, default=0, help="seed of initialisation and data order")
    parser.add_argument("--out", default=None, help="output folder (default: runs/<timestamp>, or the resumed run's)")
    parser.add_argument("--resume", default=None, metavar="PATH", help="continue from a model.safetensors")
    parser.add_argument("--max-samples", type=int, default=None, help="use only this many samples (quick runs)")
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS threads (default 1: small matrices run faster on one thread)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


# --- data ---------------------------------------------------------------------------------------
@dataclass
class Task:
    """Train and test arrays, the loss, and how to score the model."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    outputs: int
    loss: Callable
    score: Callable  # (model) -> dict of metrics, "val_loss" among them
    headline: Callable  # (metrics) -> one line for the report


def _digits(settings: dict) -> Task:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from ..nn.losses import logitcrossentropy

    data = load_digits()
    x = (data.images / 16.0).astype(np.float32)  # (n, 8 rows, 8 pixels): 8 steps of 8 features
    y = data.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)

    def loss(model, x, y):
        return logitcrossentropy(model(x), y)

    def score(model):
        logits = model(x_test)
        return {
            "val_loss": float(logitcrossentropy(logits, y_test)),
            "accuracy": float(np.mean(np.argmax(logits, axis=-1) == y_test)),
        }

    def headline(m):
        return f"test accuracy {100 * m['accuracy']:.2f}%  test loss {m['val_loss']:.4f}"

    return Task("digits", x_train, y_train, x_test, y_test, 10, loss, score, headline)


def sunspots_series() -> tuple[np.ndarray, np.ndarray]:
    """Years and yearly sunspot numbers 1700-2008, read from the CSV file that statsmodels ships."""
    spec = importlib.util.find_spec("statsmodels")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the sunspots task reads a dataset shipped with statsmodels: pip install 'zymo[train]'")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "sunspots" / "sunspots.csv"
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    years = np.array([int(float(r["YEAR"])) for r in rows])
    values = np.array([float(r["SUNACTIVITY"]) for r in rows])
    return years, values


def _sunspots(settings: dict) -> Task:
    from ..nn.losses import mse

    years, values = sunspots_series()
    w = settings["window"]
    first_test_year = 1949
    train_part = values[years < first_test_year]
    scale = float(train_part.std())
    mean = float(train_part.mean())
    z = ((values - mean) / scale).astype(np.float32)
    x = np.stack([z[i : i + w] for i in range(len(z) - w)])[:, :, None]  # (n, w steps, 1 feature)
    y = z[w:, None]
    target_years = years[w:]
    test = target_years >= first_test_year
    x_train, y_train, x_test, y_test = x[~test], y[~test], x[test], y[test]
    persistence = float(np.sqrt(np.mean((x_test[:, -1] - y_test) ** 2))) * scale

    def loss(model, x, y):
        return mse(model(x), y)

    def score(model):
        pred = model(x_test)
        val = float(mse(pred, y_test))
        return {"val_loss": val, "rmse": float(np.sqrt(val)) * scale, "persistence_rmse": persistence}

    def headline(m):
        return (
            f"test RMSE {m['rmse']:.2f} sunspots (1949-2008 forecasts)  "
            f"persistence forecast {m['persistence_rmse']:.2f}  test loss {m['val_loss']:.4f}"
        )

    return Task("sunspots", x_train, y_train, x_test, y_test, 1, loss, score, headline)


TASKS = {"digits": _digits, "sunspots": _sunspots}


# --- model --------------------------------------------------------------------------------------
def build_model(settings: dict, features: int, outputs: int, rng: np.random.Generator):
    """A recurrent layer (``rnn``/``lstm``/``gru``) whose last output feeds a dense head."""
    from ..nn import GRU, LSTM, RNN, Dense, Module

    layer = {"rnn": RNN, "lstm": LSTM, "gru": GRU}[settings["model"]]

    class SequenceModel(Module):
        def __init__(self):
            self.rnn = layer(features, settings["hidden"], num_layers=settings["layers"], rng=rng)
            self.head = Dense(settings["hidden"], outputs, rng=rng)

        def __call__(self, x):
            return self.head(self.rnn(x)[:, -1])

    return SequenceModel()


# --- run ----------------------------------------------------------------------------------------
def _settings(args) -> tuple[dict, Path | None]:
    """Task defaults, then the settings of a resumed run, then the options given on the command line."""
    resume = Path(args.resume) if args.resume else None
    saved = {}
    if resume is not None:
        cfg = resume.parent / "config.json"
        if cfg.exists():
            saved = json.loads(cfg.read_text())
    task = args.task or saved.get("task") or "digits"
    settings = {"task": task, **TASK_DEFAULTS[task]}
    settings.update({k: v for k, v in saved.items() if k in settings or k == "seed"})
    given = {
        "model": args.model,
        "hidden": args.hidden,
        "layers": args.layers,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "window": args.window,
    }
    settings.update({k: v for k, v in given.items() if v is not None})
    if "seed" not in saved or args.seed != 0:
        settings["seed"] = args.seed
    settings["max_samples"] = args.max_samples if args.max_samples is not None else saved.get("max_samples")
    for k in ("hidden", "layers", "epochs", "batch_size", "window"):
        if settings[k] < 1:
            raise SystemExit(f"--{k.replace('_', '-')} must be at least 1, got {settings[k]}")
    if settings["lr"] <= 0:
        raise SystemExit(f"--lr must be positive, got {settings['lr']}")
    return settings, resume


def _plot(path: Path, history, settings: dict, steps_per_epoch: int) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax, ax2 = fig.subplots(1, 2)
    steps = np.arange(1, len(history.losses) + 1) / steps_per_epoch
    ax.plot(steps, history.losses, lw=0.6, alpha=0.5, label="training loss (per step)")
    ax.plot(history["epoch"], history["loss"], "o-", label="training loss (epoch mean)")
    ax.plot(history["epoch"], history["val_loss"], "s-", label="test loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.legend()
    ax.set_title(f"{settings['task']}: {settings['model'].upper()} {settings['hidden']} x {settings['layers']}")
    metric = "accuracy" if settings["task"] == "digits" else "rmse"
    ax2.plot(history["epoch"], history[metric], "o-", color="C3", label=f"test {metric}")
    if metric == "rmse":
        ax2.axhline(history["persistence_rmse"][-1], color="gray", ls="--", label="persistence forecast")
        ax2.legend()
    ax2.set_xlabel("epoch")
    ax2.set_ylabel(f"test {metric}")
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    write_atomically(path, buffer.getvalue())


def run(args) -> int:
    missing = [m for m in ("sklearn", "matplotlib", "threadpoolctl") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"python -m zymo train needs {', '.join(missing)}: pip install 'zymo[train]'")
        return 2
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=max(args.threads, 1)):
        return _run(args)


def _run(args) -> int:
    from .. import optim
    from ..data import DataLoader
    from ..io import CheckpointError
    from ..nn import num_parameters
    from ..seeding import seed
    from ..train import NonFiniteLossError, train

    settings, resume = _settings(args)
    task = TASKS[settings["task"]](settings)
    if settings["max_samples"] is not None:
        n = max(settings["max_samples"], 1)
        task.x_train, task.y_train = task.x_train[:n], task.y_train[:n]
        task.x_test, task.y_test = task.x_test[:n], task.y_test[:n]
    if args.out:
        out = Path(args.out)
    else:
        out = resume.parent if resume is not None else Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)

    rng = seed(settings["seed"])
    model = build_model(settings, task.x_train.shape[-1], task.outputs, rng)
    loader = DataLoader((task.x_train, task.y_train), settings["batch_size"], shuffle=True, rng=rng)
    total_steps = settings["epochs"] * len(loader)
    schedule = optim.CosineDecay(settings["lr"], total=total_steps, warmup=min(len(loader), total_steps // 10))
    state = optim.setup(optim.chain(optim.ClipNorm(5.0), optim.Adam(schedule)), model)
    write_atomically(out / "config.json", json.dumps(settings, indent=2).encode())

    print(f"task {task.name}: {len(task.x_train)} training and {len(task.x_test)} test sequences of "
          f"{task.x_train.shape[1]} steps x {task.x_train.shape[2]} features")  # fmt: skip
    print(f"model {model.rnn!r} -> {model.head!r}, {num_parameters(model)} parameters; output in {out}")
    start = time.perf_counter()
    try:
        history = train(
            task.loss,
            model,
            loader,
            state,
            epochs=settings["epochs"],
            evaluate=task.score,
            checkpoint=out / CHECKPOINT,
            resume=resume,
            progress=not args.no_progress,
        )
    except (NonFiniteLossError, CheckpointError) as e:
        print(f"error: {e}")
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted; continue with: python -m zymo train --resume {out / CHECKPOINT}")
        return 130
    elapsed = time.perf_counter() - start
    if not history.epochs:
        print("nothing to train: the checkpoint already has all the epochs asked for")
        return 1
    final = history.epochs[-1]
    _plot(out / "learning_curve.png", history, settings, len(loader))
    report = {
        **settings,
        "epochs_run": len(history.epochs),
        "steps": state.step,
        "parameters": num_parameters(model),
        "train_seconds": round(elapsed, 2),
        "final": final,
    }
    write_atomically(out / "report.json", json.dumps(report, indent=2).encode())
    print(f"\n{task.headline(final)}")
    print(f"training loss {final['loss']:.4f} after {len(history.epochs)} epochs ({state.step} steps)")
    print(f"time {elapsed:.1f} s  parameters {num_parameters(model)}")
    print(f"saved {out / CHECKPOINT}, {out / 'learning_curve.png'}, {out / 'report.json'}")
    return 0
