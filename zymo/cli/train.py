"""``python -m zymo train``: train a network on a real dataset shipped inside an installed package.

Tasks:

- ``digits`` (default): scikit-learn's 8x8 handwritten digits. A recurrent
  model reads each image row by row as an 8-step sequence of 8 pixels and a
  dense head classifies it; ``--model cnn`` takes the images as ``(8, 8, 1)``
  (channels last) through convolutions. A stratified quarter of the images is
  the test set; a tenth of the rest is held out for validation after each
  epoch. Reported: test accuracy and loss.
- ``sunspots``: yearly sunspot numbers 1700-2008 (shipped with statsmodels);
  from the last ``window`` years the model forecasts the next. Trained on the
  years up to 1918, validated on 1919-1948, tested on 1949-2008. Reported: test
  RMSE against the persistence forecast (next year = this year).
- ``chars``: a character-level language model (``--model lstm``, ``gru``,
  ``rnn`` or ``transformer``) of Python source code: a fixed list of
  standard-library modules of the running Python for training (its last
  twentieth for validation) and another list held out for testing
  (``zymo.cli.corpus``). Each text is cut into windows of ``window``
  characters. Reported: bits per character on the held-out files (a
  recurrent model reads them as 16 long stretches, its state carried from
  window to window; a transformer reads each window on its own).
  ``python -m zymo sample RUN_DIR`` generates text from the trained model.

Everything lands in ``--out``: ``model.safetensors`` (weights, optimiser state
and progress; ``--resume`` continues from it), ``config.json`` (settings, model
sizes and input scaling: ``zymo.load_run`` rebuilds the model from it),
``report.json`` and ``learning_curve.png``.

``mpiexec -n 4 python -m zymo train --distributed`` trains data-parallel on
4 ranks (``pip install 'zymo[mpi]'``): each takes its part of every batch;
rank 0 prints and writes the outputs.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib.util
import io
import json
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..io import write_atomically
from ..runs import CHECKPOINT, CONFIG, CURVE, REPORT

HELP = "train a network on a real dataset (default: LSTM on handwritten digits; also a CNN, a text model) and report"

RUN_FILES = (CONFIG, CHECKPOINT, REPORT, CURVE)
TASK_DEFAULTS = {
    "digits": {"model": "lstm", "hidden": 128, "layers": 1, "epochs": 15, "batch_size": 32, "lr": 0.01, "window": 8},
    "sunspots": {"model": "lstm", "hidden": 32, "layers": 1, "epochs": 60, "batch_size": 16, "lr": 0.01, "window": 20},
    "chars": {
        "model": "lstm",
        "hidden": 256,
        "layers": 1,
        "epochs": 10,
        "batch_size": 32,
        "lr": 0.006,
        "window": 100,
        "dropout": 0.25,
    },
}
#: Defaults that differ for one model on one task (over ``TASK_DEFAULTS``).
MODEL_DEFAULTS = {
    ("digits", "cnn"): {"lr": 0.003},
    ("chars", "transformer"): {"hidden": 128, "layers": 2, "epochs": 6, "batch_size": 64, "lr": 0.002, "dropout": 0.0},
}
#: The models each task trains.
TASK_MODELS = {
    "digits": ("lstm", "gru", "rnn", "cnn"),
    "sunspots": ("lstm", "gru", "rnn"),
    "chars": ("lstm", "gru", "rnn", "transformer"),
}
MODELS = ("rnn", "lstm", "gru", "cnn", "transformer")
DEFAULT_SEED = 0
#: Settings a resumed run takes from its config.json; giving another value on the command line is an error.
RUN_SETTINGS = (
    "task", "model", "hidden", "layers", "window", "dropout", "epochs", "batch_size", "lr", "seed", "max_samples",
)  # fmt: skip


def _defaults(key: str) -> str:
    return "default: " + ", ".join(f"{TASK_DEFAULTS[t][key]} for {t}" for t in TASK_DEFAULTS)


def defaults_for(task: str, model: str | None = None) -> dict:
    """The default settings of ``task`` trained with ``model`` (default: the task's default model)."""
    base = TASK_DEFAULTS[task]
    model = model or base["model"]
    return {**base, "model": model, **MODEL_DEFAULTS.get((task, model), {})}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", choices=sorted(TASK_DEFAULTS), default=None, help="dataset (default: digits)")
    parser.add_argument(
        "--model",
        choices=MODELS,
        default=None,
        help="recurrent layer, cnn (digits) or transformer (chars) (default: lstm)",
    )
    parser.add_argument("--hidden", type=int, default=None, help=f"hidden units per layer ({_defaults('hidden')})")
    parser.add_argument("--layers", type=int, default=None, help="stacked recurrent layers (default: 1)")
    parser.add_argument("--epochs", type=int, default=None, help=f"epochs in total ({_defaults('epochs')})")
    parser.add_argument("--batch-size", type=int, default=None, help=f"samples per update ({_defaults('batch_size')})")
    parser.add_argument(
        "--lr",
        type=float,
        default=None,
        help=f"peak learning rate of Adam: warm-up (at most an epoch), then cosine decay ({_defaults('lr')})",
    )
    parser.add_argument(
        "--window",
        type=int,
        default=None,
        help="sunspots: years of history per forecast (default: 20); chars: characters per sequence (default: 100)",
    )
    parser.add_argument(
        "--dropout",
        type=float,
        default=None,
        help="chars: dropout rate on the recurrent layers' output (default: 0.25; 0 for the transformer)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help=f"seed of initialisation and data order, via zymo.seed (default: {DEFAULT_SEED})",
    )
    parser.add_argument("--out", default=None, help="output folder (default: runs/<timestamp>, or the resumed run's)")
    parser.add_argument("--overwrite", action="store_true", help="replace the run already in --out")
    parser.add_argument(
        "--resume", default=None, metavar="PATH", help="continue an interrupted run from its model.safetensors"
    )
    parser.add_argument(
        "--max-samples", type=int, default=None, help="use only this many samples per split (quick runs)"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS threads (default: 1; small matrices run faster on one thread)"
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar: one line per epoch (the default when not on a terminal)",
    )
    parser.add_argument(
        "--device",
        default="cpu",
        help="where to train: cpu (NumPy) or cuda / cuda:N (CuPy on an NVIDIA GPU; pip install cupy-cuda12x)",
    )
    parser.add_argument(
        "--distributed", action="store_true", help="train data-parallel on the ranks of `mpiexec -n N` (zymo[mpi])"
    )
    parser.add_argument(
        "--collective-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="with --distributed: end the job when a rank waits this long for the others (default: 1800)",
    )


class UsageError(SystemExit):
    """A command line that cannot run; raised before any file or folder is created."""

    def __init__(self, message: str):
        super().__init__(f"error: {message}")


# --- data ---------------------------------------------------------------------------------------
@dataclass
class Task:
    """Training, validation and test arrays, the loss, the metrics, and how raw inputs and outputs are scaled."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    outputs: int
    loss: Callable
    metrics: Callable  # (model, x, y) -> dict of metrics, "loss" among them
    headline: Callable  # (test metrics) -> one line for the report
    input_scaling: dict  # raw input = model input * scale + shift
    output: dict  # {"kind": "class"}, {"kind": "value", "shift": ..., "scale": ...} or {"kind": "text"}
    curve_metric: str  # the validation metric plotted beside the loss
    samples: str  # what one sample is, for the opening line
    config: dict = field(default_factory=dict)  # more entries for the run's config.json

    def limit(self, n: int) -> None:
        """Keep only the first ``n`` samples of each split."""
        n = max(n, 1)
        self.x_train, self.y_train = self.x_train[:n], self.y_train[:n]
        self.x_val, self.y_val = self.x_val[:n], self.y_val[:n]
        self.x_test, self.y_test = self.x_test[:n], self.y_test[:n]


def _digits(settings: dict) -> Task:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from ..nn.losses import logitcrossentropy

    data = load_digits()
    x = (data.images / 16.0).astype(np.float32)  # (n, 8 rows, 8 pixels): 8 steps of 8 features
    image = settings.get("model") == "cnn"
    if image:
        x = x[..., None]  # (n, 8, 8, 1): channels last
    y = data.target.astype(np.int64)
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=0.1, random_state=0, stratify=y_rest)

    def loss(model, x, y):
        return logitcrossentropy(model(x), y)

    def metrics(model, x, y):
        logits = model(x)
        return {
            "loss": float(logitcrossentropy(logits, y)),
            "accuracy": float(np.mean(np.argmax(logits, axis=-1) == y)),
        }

    def headline(m):
        return f"test accuracy {100 * m['accuracy']:.2f}%  test loss {m['loss']:.4f}"

    return Task(
        "digits", x_train, y_train, x_val, y_val, x_test, y_test, 10, loss, metrics, headline,
        {"shift": 0.0, "scale": 16.0}, {"kind": "class"}, "accuracy",
        "8x8 images with 1 channel" if image else "sequences of 8 steps x 8 features",
    )  # fmt: skip


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
    first_val_year, first_test_year = 1919, 1949
    train_part = values[years < first_val_year]
    scale = float(train_part.std())
    mean = float(train_part.mean())
    z = ((values - mean) / scale).astype(np.float32)
    x = np.stack([z[i : i + w] for i in range(len(z) - w)])[:, :, None]  # (n, w steps, 1 feature)
    y = z[w:, None]
    target_years = years[w:]
    train = target_years < first_val_year
    val = (target_years >= first_val_year) & (target_years < first_test_year)
    test = target_years >= first_test_year

    def loss(model, x, y):
        return mse(model(x), y)

    def metrics(model, x, y):
        pred = model(x)
        value = float(mse(pred, y))
        persistence = float(np.sqrt(np.mean((x[:, -1] - y) ** 2))) * scale
        return {"loss": value, "rmse": float(np.sqrt(value)) * scale, "persistence_rmse": persistence}

    def headline(m):
        return (
            f"test RMSE {m['rmse']:.2f} sunspots (1949-2008 forecasts)  "
            f"persistence forecast {m['persistence_rmse']:.2f}  test loss {m['loss']:.4f}"
        )

    return Task(
        "sunspots", x[train], y[train], x[val], y[val], x[test], y[test], 1, loss, metrics, headline,
        {"shift": mean, "scale": scale}, {"kind": "value", "shift": mean, "scale": scale}, "rmse",
        f"sequences of {w} steps x 1 feature",
    )  # fmt: skip


#: Characters predicted at once when computing metrics (bounds the memory of evaluation).
_EVAL_CHARS = 200_000
#: Stretches of text a recurrent language model reads at once when computing metrics.
_EVAL_STREAMS = 16


def _text_nats(model, x, y) -> float:
    """Summed cross-entropy (nats) of consecutive windows ``x`` of a text and their next characters ``y``.

    A recurrent model reads the text as ``_EVAL_STREAMS`` long stretches, carrying its state from one
    window to the next, as it reads text it generates; a transformer sees each window on its own (its
    context). Windows left over are read from the initial state.
    """
    from ..nn.losses import logitcrossentropy

    total, done = 0.0, 0
    if model.context is None and len(x) >= _EVAL_STREAMS:
        per = len(x) // _EVAL_STREAMS
        done = per * _EVAL_STREAMS
        xs, ys = x[:done].reshape(_EVAL_STREAMS, per, -1), y[:done].reshape(_EVAL_STREAMS, per, -1)
        state = None
        for j in range(per):
            logits, state = model.logits(xs[:, j], state)
            total += float(logitcrossentropy(logits, ys[:, j], agg="sum"))
    rows = max(_EVAL_CHARS // x.shape[1], 1)
    for i in range(done, len(x), rows):
        total += float(logitcrossentropy(model(x[i : i + rows]), y[i : i + rows], agg="sum"))
    return total


def _chars(settings: dict) -> Task:
    from ..nn.losses import logitcrossentropy
    from . import corpus

    w = settings["window"]
    train_ids = corpus.encode(corpus.read_corpus(corpus.TRAINING_FILES))
    held_out = corpus.encode(corpus.read_corpus(corpus.HELD_OUT_FILES))
    cut = len(train_ids) - len(train_ids) // 20
    x_train, y_train = corpus.windows(train_ids[:cut], w)
    x_val, y_val = corpus.windows(train_ids[cut:], w)
    x_test, y_test = corpus.windows(held_out, w)

    def loss(model, x, y):
        return logitcrossentropy(model(x), y)

    def metrics(model, x, y):
        nats = _text_nats(model, x, y) / y.size
        return {"loss": nats, "bits_per_char": nats / np.log(2)}

    def headline(m):
        return f"test {m['bits_per_char']:.3f} bits per character (held-out files)  test loss {m['loss']:.4f}"

    return Task(
        "chars", x_train, y_train, x_val, y_val, x_test, y_test, len(corpus.VOCABULARY), loss, metrics, headline,
        {}, {"kind": "text"}, "bits_per_char", f"windows of {w} characters",
        {"vocabulary": corpus.VOCABULARY, "training_files": list(corpus.TRAINING_FILES),
         "held_out_files": list(corpus.HELD_OUT_FILES)},
    )  # fmt: skip


TASKS = {"digits": _digits, "sunspots": _sunspots, "chars": _chars}


def load_task(settings: dict) -> Task:
    """The task a run's ``settings`` name, limited to ``max_samples`` per split when set."""
    task = TASKS[settings["task"]](settings)
    if settings.get("max_samples") is not None:
        task.limit(settings["max_samples"])
    return task


def model_config(settings: dict, task: Task) -> dict:
    """``settings`` plus what ``zymo.models.build`` and ``zymo.load_run`` need: sizes, input and output scaling."""
    shape = [int(n) for n in task.x_train.shape[1:]]
    spec = {"shape": shape, **task.input_scaling}
    if len(shape) == 2:
        spec = {"steps": shape[0], "features": shape[1], **spec}
    return {
        **settings,
        "features": shape[-1],
        "outputs": task.outputs,
        "dtype": str(task.x_train.dtype),
        "input": spec,
        "output": task.output,
        **task.config,
    }


# --- settings -----------------------------------------------------------------------------------
def _option(key: str) -> str:
    return "--" + key.replace("_", "-")


def _given(args) -> dict:
    return {k: getattr(args, k) for k in RUN_SETTINGS if getattr(args, k) is not None}


def _check_values(settings: dict) -> None:
    for k in ("hidden", "layers", "epochs", "batch_size", "window"):
        if settings[k] < 1:
            raise UsageError(f"{_option(k)} must be at least 1, got {settings[k]}")
    task, model = settings["task"], settings["model"]
    if model not in TASK_MODELS[task]:
        raise UsageError(f"--model {model} does not fit --task {task}; it trains {', '.join(TASK_MODELS[task])}")
    if task == "chars" and model == "transformer" and settings["hidden"] % max(settings["hidden"] // 64, 1):
        raise UsageError(f"--hidden of a transformer must be below 64 or a multiple of 64, got {settings['hidden']}")
    if task == "chars" and settings["window"] < 2:
        raise UsageError(f"--window of the chars task must be at least 2 characters, got {settings['window']}")
    if "dropout" in settings and task != "chars":
        raise UsageError(f"--dropout is a setting of --task chars, not of --task {task}")
    if not 0 <= settings.get("dropout", 0) < 1:
        raise UsageError(f"--dropout must be at least 0 and below 1, got {settings['dropout']}")
    if settings["lr"] <= 0:
        raise UsageError(f"--lr must be positive, got {settings['lr']}")
    if settings["seed"] < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {settings['seed']}")
    if settings["max_samples"] is not None and settings["max_samples"] < 1:
        raise UsageError(f"--max-samples must be at least 1, got {settings['max_samples']}")


def _new_settings(args) -> dict:
    """Task defaults, then the options given on the command line."""
    task = args.task or "digits"
    settings = {"task": task, **defaults_for(task, args.model), "seed": DEFAULT_SEED, "max_samples": None}
    settings.update(_given(args))
    _check_values(settings)
    return settings


def _command(settings: dict, epochs: int) -> str:
    parts = ["python -m zymo train"]
    for k in RUN_SETTINGS:
        value = epochs if k == "epochs" else settings.get(k)
        default = {
            "seed": DEFAULT_SEED,
            "max_samples": None,
            **defaults_for(settings["task"], settings["model"]),
            "model": TASK_DEFAULTS[settings["task"]]["model"],
            "task": "digits",
        }
        if value is not None and (value != default.get(k) or k == "epochs"):
            parts += [_option(k), shlex.quote(str(value))]
    return " ".join(parts + ["--out", "NEW_FOLDER"])


def _resumed_settings(args, checkpoint: Path) -> tuple[dict, int]:
    """The settings of the run ``checkpoint`` belongs to and the epochs it has done, after checking the options."""
    from ..io import CheckpointError, read_extra

    if not checkpoint.exists():
        raise UsageError(f"--resume {checkpoint}: no such file")
    if checkpoint.is_dir():
        hint = f" (did you mean {checkpoint / CHECKPOINT}?)" if (checkpoint / CHECKPOINT).exists() else ""
        raise UsageError(f"--resume {checkpoint} is a folder; pass the run's {CHECKPOINT}{hint}")
    try:
        done = int(read_extra(checkpoint).get("epoch", 0))
    except CheckpointError as e:
        raise UsageError(f"--resume {checkpoint}: {e}") from None
    config_path = checkpoint.parent / CONFIG
    try:
        saved = json.loads(config_path.read_text())
    except FileNotFoundError:
        raise UsageError(
            f"--resume {checkpoint}: no {CONFIG} beside it; it holds the run's settings (model, sizes, data), "
            "so the run cannot be continued without it"
        ) from None
    except ValueError as e:
        raise UsageError(f"--resume: {config_path} is not valid JSON ({e})") from None
    if saved.get("task") not in TASK_DEFAULTS:
        raise UsageError(f"--resume: {config_path} names no known task ({saved.get('task')!r})")
    defaults = defaults_for(saved["task"], saved.get("model"))
    settings = {"task": saved["task"], **defaults, "seed": DEFAULT_SEED, "max_samples": None}
    settings.update({k: saved[k] for k in RUN_SETTINGS if k in saved})
    if saved["task"] == "chars" and "dropout" not in saved:
        settings["dropout"] = 0.0  # a run from before the setting existed
    given = _given(args)
    if "epochs" in given and given["epochs"] != settings["epochs"]:
        raise UsageError(
            f"{checkpoint} is a run of {settings['epochs']} epochs and cannot be turned into one of "
            f"{given['epochs']}: its learning-rate schedule (warm-up, then cosine decay to zero) was sized for "
            f"{settings['epochs']} epochs, so training on would not give what a {given['epochs']}-epoch run gives. "
            f"Train a new run instead: {_command(settings, given['epochs'])}"
        )
    conflicts = [k for k in RUN_SETTINGS if k != "epochs" and k in given and given[k] != settings[k]]
    if conflicts:
        kind = (
            f"{settings['task']} run with a {settings['model'].upper()} "
            f"({settings['hidden']} hidden units x {settings['layers']} layers)"
        )
        clash = "; ".join(f"{_option(k)} {given[k]} but the run has {settings[k]}" for k in conflicts)
        raise UsageError(
            f"{checkpoint} holds a {kind}; its {CONFIG} decides the settings of a resumed run: {clash}. "
            f"Drop {', '.join(_option(k) for k in conflicts)}, or train a new run with them"
        )
    if done >= settings["epochs"]:
        raise UsageError(
            f"{checkpoint} is a finished run ({done} of {settings['epochs']} epochs); nothing to resume. "
            f"A longer run must be trained anew (its learning-rate schedule spans all its epochs): "
            f"{_command(settings, 2 * settings['epochs'])}"
        )
    _check_values(settings)
    return settings, done


def _output_folder(args, resume: Path | None) -> Path:
    """The run folder, checked: an existing run is replaced only with ``--overwrite`` (or continued by ``--resume``)."""
    if args.out:
        out = Path(args.out)
    elif resume is not None:
        out = resume.parent
    else:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out, n = Path("runs") / stamp, 1
        while out.exists():
            n += 1
            out = Path("runs") / f"{stamp}-{n}"
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder")
    continuing = resume is not None and out.resolve() == resume.parent.resolve()
    existing = [name for name in RUN_FILES if (out / name).exists()]
    if existing and not continuing and not args.overwrite:
        raise UsageError(
            f"{out} already holds a run ({', '.join(existing)}); pass --overwrite to replace it, "
            f"--resume {out / CHECKPOINT} to continue it, or another --out"
        )
    return out


# --- output -------------------------------------------------------------------------------------
def _plot(path: Path, history, settings: dict, steps_per_epoch: int, metric: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax, ax2 = fig.subplots(1, 2)
    steps = np.arange(1, len(history.losses) + 1) / steps_per_epoch
    ax.plot(steps, history.losses, lw=0.6, alpha=0.5, label="training loss (per step)")
    ax.plot(history["epoch"], history["loss"], "o-", label="training loss (epoch mean)")
    ax.plot(history["epoch"], history["val_loss"], "s-", label="validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.legend()
    ax.set_title(f"{settings['task']}: {settings['model'].upper()} {settings['hidden']} x {settings['layers']}")
    ax2.plot(history["epoch"], history[f"val_{metric}"], "o-", color="C3", label=f"validation {metric}")
    if metric == "rmse":
        ax2.axhline(history["val_persistence_rmse"][-1], color="gray", ls="--", label="persistence forecast")
        ax2.legend()
    ax2.set_xlabel("epoch")
    ax2.set_ylabel(f"validation {metric.replace('_', ' ')}")
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    write_atomically(path, buffer.getvalue())


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --- run ----------------------------------------------------------------------------------------
def _rank() -> int:
    from ..distributed import rank

    return rank()


def _quiet(*args, **kwargs) -> None:
    """``print`` on ranks other than 0, which leave the output to rank 0."""


def _on_rank_0(args, decide: Callable):
    """``decide()``, run by rank 0 alone with ``--distributed`` (its result, or its usage error, on every rank)."""
    if not args.distributed:
        return decide()
    from ..distributed.collectives import broadcast_json

    outcome = None
    if _rank() == 0:
        try:
            outcome = {"value": decide()}
        except UsageError as e:
            outcome = {"error": str(e.code)}
    outcome = broadcast_json(outcome, what="the run's settings")
    if "error" in outcome:
        raise SystemExit(outcome["error"])
    return outcome["value"]


def run(args) -> int:
    if args.distributed:
        from ..distributed import MPIUnavailableError, rank

        try:
            if rank() != 0:
                return _quietly(args)
        except MPIUnavailableError as e:
            print(f"error: {e}")
            return 2
    return _run_with_threads(args)


def _quietly(args) -> int:
    """Rank 1 and up: the same run, leaving messages to rank 0 (a usage error ends every rank, printed once)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return _run_with_threads(args)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 1


def _run_with_threads(args) -> int:
    missing = [m for m in ("sklearn", "matplotlib", "threadpoolctl") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"python -m zymo train needs {', '.join(missing)}: pip install 'zymo[train]'")
        return 2
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=max(args.threads, 1)):
        return _run(args)


def _run(args) -> int:
    from ..io import CheckpointError
    from ..training import NonFiniteLossError, train

    device = getattr(args, "device", "cpu") or "cpu"
    if device != "cpu" and not _device_usable(args, device):
        return 2
    resume = Path(args.resume) if args.resume else None
    settings, done = _resumed_settings(args, resume) if resume is not None else (_new_settings(args), 0)
    out = Path(_on_rank_0(args, lambda: str(_output_folder(args, resume))))
    writes = not args.distributed or _rank() == 0
    show = print if writes else _quiet
    task = load_task(settings)
    config = model_config(settings, task)

    model, loader, state = _model_data_optimiser(settings, config, task)
    problem = _on_rank_0(args, lambda: _checkpoint_problem(resume, model, state)) if resume is not None else None
    if problem is not None:
        show(f"error: {problem}")
        return 1
    if writes:
        _prepare_output(args, out, resume, config)

    _announce(show, task, model, out, f"; resuming after epoch {done}" if resume is not None else "")
    if device != "cpu":
        model, state = _moved((model, state), device)  # batches follow the model's device in train()

    def validate(m):
        if device != "cpu":
            m = _moved(m, "cpu")  # metrics are NumPy code: evaluate a host copy
        return {f"val_{k}": v for k, v in task.metrics(m, task.x_val, task.y_val).items()}

    start = time.perf_counter()
    try:
        history = train(
            task.loss,
            model,
            loader,
            state,
            epochs=settings["epochs"],
            evaluate=validate,
            checkpoint=out / CHECKPOINT,
            resume=resume,
            progress="lines" if args.no_progress else True,
            distributed=args.distributed,
            collective_timeout=args.collective_timeout,
        )
    except (NonFiniteLossError, CheckpointError) as e:  # with --distributed, raised by every rank alike
        show(f"error: {e}")
        return 1
    except KeyboardInterrupt:
        show(f"\ninterrupted; continue with: python -m zymo train --resume {out / CHECKPOINT}")
        return 130
    elapsed = time.perf_counter() - start
    if writes:
        if device != "cpu":
            model = _moved(model, "cpu")
        _report(out, task, model, history, state, settings, len(loader), elapsed)
    return 0


def _announce(show, task, model, out: Path, resumed: str) -> None:
    """The task's and the model's summary lines."""
    show(f"task {task.name}: {len(task.x_train)} training, {len(task.x_val)} validation and {len(task.x_test)} "
          f"test samples: {task.samples}")  # fmt: skip
    show(f"model {model!r}, {model.num_parameters()} parameters; output in {out}{resumed}")


def _moved(value, device: str):
    """``value`` (a model, an optimiser state, or a tuple of them) on ``device``."""
    from ..devices import to_device

    return to_device(value, device)


def _device_usable(args, device: str) -> bool:
    """Whether training can run on ``device`` (a usage error raised for a bad one; False, said, if it is missing)."""
    from ..devices import DeviceError, cupy_or_error

    if not (device == "cuda" or device.startswith("cuda:")):
        raise UsageError(f"--device {device}: use cpu, cuda or cuda:N")
    if args.distributed:
        raise UsageError("--device cuda with --distributed is not supported: train on one GPU, or on the CPUs")
    try:
        cupy_or_error(device)
    except DeviceError as e:
        print(f"error: {e}")
        return False
    return True


def _model_data_optimiser(settings: dict, config: dict, task):
    """The seeded model, its shuffled training data and the optimiser state (Adam on a cosine schedule)."""
    from .. import models, optim
    from ..data import DataLoader
    from ..seeding import seed

    rng = seed(settings["seed"])
    model = models.build(config, rng)
    loader = DataLoader((task.x_train, task.y_train), settings["batch_size"], shuffle=True, rng=rng)
    total_steps = settings["epochs"] * len(loader)
    schedule = optim.CosineDecay(settings["lr"], total=total_steps, warmup=min(len(loader), total_steps // 10))
    state = optim.setup(optim.chain(optim.ClipNorm(5.0), optim.Adam(schedule)), model)
    return model, loader, state


def _checkpoint_problem(resume: Path, model, state) -> str | None:
    """What is wrong with the checkpoint to resume from, checked before anything is written (``train``
    loads it again)."""
    from ..io import CheckpointError, load

    try:
        load(resume, into=model, state=state)
    except CheckpointError as e:
        return str(e)
    return None


def _prepare_output(args, out: Path, resume: Path | None, config: dict) -> None:
    """The output folder made (emptied of an earlier run's files with ``--overwrite``), with the config."""
    if args.overwrite and not (resume is not None and out.resolve() == resume.parent.resolve()):
        for name in RUN_FILES:
            (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    write_atomically(out / CONFIG, json.dumps(config, indent=2).encode())


def _report(out: Path, task, model, history, state, settings: dict, steps_per_epoch: int, elapsed: float) -> None:
    """Test metrics, the curve and the report written, and the summary printed."""
    final = history.epochs[-1]
    model.eval()
    test = task.metrics(model, task.x_test, task.y_test)
    _plot(out / CURVE, history, settings, steps_per_epoch, task.curve_metric)
    report = {
        **settings,
        "epochs_run": len(history.epochs),
        "steps": state.step,
        "parameters": model.num_parameters(),
        "train_seconds": round(elapsed, 2),
        "final": final,
        "test": test,
    }
    write_atomically(out / REPORT, json.dumps(report, indent=2).encode())
    print(f"\n{task.headline(test)}")
    print(f"training loss {final['loss']:.4f} after {_plural(len(history.epochs), 'epoch')} ({state.step} steps)")
    print(f"time {elapsed:.1f} s  parameters {model.num_parameters()}")
    print(f"saved in {out}: {', '.join(RUN_FILES)}")
