"""``python -m zymo predict RUN_DIR INPUT``: a trained run's predictions for raw samples in a ``.npy`` or ``.csv``.

Samples are raw, as the dataset gives them, one per row (or along the first
axis of a ``.npy``); the run's ``config.json`` says how they are scaled.
``digits``: 64 pixel values 0-16 (an 8x8 image, as scikit-learn's
``load_digits``), out comes the digit. ``sunspots``: the last ``window`` yearly
sunspot numbers, out comes the forecast of the next year's.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np

from ..core.errors import ZymoError

HELP = "predictions of a trained run for raw samples in a .npy or .csv file (python -m zymo predict RUN_DIR INPUT)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by python -m zymo train")
    parser.add_argument("input", metavar="INPUT", help="samples: a .npy array or a .csv file, one sample per row")
    parser.add_argument("--out", default=None, help="write the predictions to a .npy or .csv file (default: print)")


def read_samples(path: Path) -> np.ndarray:
    """The samples in a ``.npy`` (never unpickled) or a comma-separated ``.csv`` (a header line is skipped)."""
    if not path.is_file():
        raise ZymoError(f"no input file {path}")
    if path.suffix == ".npy":
        try:
            return np.load(path, allow_pickle=False)
        except ValueError as e:
            raise ZymoError(f"{path} is not a plain numeric .npy array ({e})") from None
    if path.suffix == ".csv":
        for skip in (0, 1):
            try:
                return np.loadtxt(path, delimiter=",", ndmin=2, skiprows=skip)
            except ValueError as e:
                error = e
        raise ZymoError(f"{path} is not a comma-separated table of numbers ({error})")
    raise ZymoError(f"{path}: give the samples as a .npy or a .csv file")


def _encode(predictions: np.ndarray, suffix: str) -> bytes:
    if suffix == ".npy":
        buffer = io.BytesIO()
        np.save(buffer, predictions)
        return buffer.getvalue()
    return "".join(f"{p}\n" for p in predictions.tolist()).encode()


def run(args) -> int:
    from ..io import write_atomically
    from ..runs import load_run

    out = Path(args.out) if args.out else None
    if out is not None and out.suffix not in (".npy", ".csv"):
        print(f"error: --out {out}: the predictions are written as .npy or .csv")
        return 1
    try:
        samples = read_samples(Path(args.input))
        predictions = load_run(args.run_dir).predict(samples)
    except ZymoError as e:
        print(f"error: {e}")
        return 1
    if out is None:
        print(_encode(predictions, ".csv").decode(), end="")
    else:
        write_atomically(out, _encode(predictions, out.suffix))
        print(f"saved {len(predictions)} predictions in {out}")
    return 0
