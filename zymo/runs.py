"""``load_run``: the trained model of a ``python -m zymo train`` run folder, rebuilt from its configuration.

A run folder holds ``config.json`` (the model's kind and sizes, and how raw
inputs are scaled), ``model.safetensors`` (the weights) and, once training
finished, ``report.json``. ``load_run`` builds the model named in the
configuration through ``zymo.models`` and loads the weights into it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import models
from .core.errors import ZymoError
from .io import load
from .nn.module import Module

__all__ = ["Run", "load_run", "CONFIG", "CHECKPOINT", "REPORT", "CURVE"]

CONFIG = "config.json"
CHECKPOINT = "model.safetensors"
REPORT = "report.json"
CURVE = "learning_curve.png"


@dataclass(frozen=True)
class Run:
    """A trained run: its ``model`` (in evaluation mode), ``config``, ``report`` (``None`` if unfinished), ``folder``.

    ``config["input"]`` says how raw inputs become model inputs (``(raw - shift) / scale``,
    reshaped to ``shape`` per sample, ``(steps, features)`` for sequences); ``config["output"]``
    how outputs become predictions (class indices, or values ``output * scale + shift``). A
    language model's run (``output.kind == "text"``) takes text instead: ``python -m zymo sample``.
    """

    folder: Path
    model: Module
    config: dict[str, Any]
    report: dict[str, Any] | None = field(default=None, repr=False)

    def prepare(self, raw) -> np.ndarray:
        """Raw samples (``(n, *shape)``, or ``(n, size)`` flattened) as model inputs."""
        spec = self.config["input"]
        if self.config["output"].get("kind") == "text":
            raise ZymoError(
                f"{self.folder} holds a language model: it takes text, not numbers; "
                f"generate text with `python -m zymo sample {self.folder}`"
            )
        shape = tuple(spec["shape"]) if "shape" in spec else (spec["steps"], spec["features"])
        size = int(np.prod(shape))
        x = np.asarray(raw, dtype=np.float64)
        if x.ndim == 1 and x.size == size:
            x = x[None]
        if x.ndim < 2 or x[0].size != size:
            what = (
                f"{shape[0]} steps x {shape[1]} features"
                if len(shape) == 2
                else "images of " + "x".join(map(str, shape))
            )
            raise ZymoError(
                f"this run's model takes samples of {what} ({size} numbers each); got an input of shape {x.shape}"
            )
        x = ((x - spec["shift"]) / spec["scale"]).reshape(len(x), *shape)
        return x.astype(self.config.get("dtype", "float32"))

    def predict(self, raw) -> np.ndarray:
        """Predictions for raw samples: class indices (classification) or values in the data's units."""
        out = np.asarray(self.model(self.prepare(raw)))
        spec = self.config["output"]
        if spec["kind"] == "class":
            return np.argmax(out, axis=-1)
        return out[:, 0] * spec["scale"] + spec["shift"] if out.shape[-1] == 1 else out * spec["scale"] + spec["shift"]


def load_run(folder: str | os.PathLike) -> Run:
    """Rebuild the model of a ``python -m zymo train`` run folder and load its weights.

    Example:
        >>> import json, tempfile, numpy as np, zymo
        >>> from pathlib import Path
        >>> folder = Path(tempfile.mkdtemp())
        >>> config = {"model": "gru", "features": 2, "hidden": 3, "layers": 1, "outputs": 4,
        ...           "input": {"steps": 5, "features": 2, "shift": 0.0, "scale": 1.0}, "output": {"kind": "class"}}
        >>> _ = (folder / "config.json").write_text(json.dumps(config))
        >>> _ = zymo.save(zymo.models.build(config), folder / "model.safetensors")
        >>> run = zymo.load_run(folder)
        >>> run.model, run.predict(np.zeros((6, 10))).shape
        (SequenceModel(rnn=GRU(2 => 3), head=Dense(3 => 4)), (6,))
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ZymoError(f"{folder} is not a folder; pass the run folder that `python -m zymo train` wrote")
    try:
        config = json.loads((folder / CONFIG).read_text())
    except FileNotFoundError:
        raise ZymoError(f"{folder} has no {CONFIG}: not a run folder of `python -m zymo train`") from None
    except ValueError as e:
        raise ZymoError(f"{folder / CONFIG} is not valid JSON ({e})") from None
    missing = [k for k in ("model", "features", "outputs", "input", "output") if k not in config]
    if missing:
        raise ZymoError(f"{folder / CONFIG} lacks {', '.join(missing)}: it was written by an older zymo; train again")
    model = models.build(config, rng=np.random.default_rng(0))  # weights are replaced by the checkpoint's
    load(folder / CHECKPOINT, into=model)
    model.eval()
    report_path = folder / REPORT
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    return Run(folder, model, config, report)
