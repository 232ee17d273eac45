"""``python -m zymo evaluate RUN_DIR``: the test metrics of a trained run, computed again from its saved model."""

from __future__ import annotations

import argparse
import json

from ..core.errors import ZymoError

HELP = "compute a trained run's test metrics again from its folder (python -m zymo evaluate RUN_DIR)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by python -m zymo train")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")


def run(args) -> int:
    from ..runs import load_run
    from .train import load_task

    try:
        trained = load_run(args.run_dir)
    except ZymoError as e:
        print(f"error: {e}")
        return 1
    try:
        task = load_task(trained.config)
    except ImportError as e:
        print(f"the {trained.config['task']} task's data needs {e.name}: pip install 'zymo[train]'")
        return 2
    test = task.metrics(trained.model, task.x_test, task.y_test)
    if args.json:
        print(json.dumps(test))
    else:
        print(f"{args.run_dir}: {task.headline(test)} ({len(task.x_test)} test samples)")
    return 0
