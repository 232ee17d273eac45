"""Subcommands of ``python -m zymo``: each module adds one entry to ``COMMANDS``.

An entry is ``name: (add_arguments(parser), run(args) -> exit status, help)``.
"""

from __future__ import annotations

from . import check, coverage, evaluate, predict, sample, train

COMMANDS = {
    "check": (check.add_arguments, check.run, check.HELP),
    "coverage": (coverage.add_arguments, coverage.run, coverage.HELP),
    "train": (train.add_arguments, train.run, train.HELP),
    "evaluate": (evaluate.add_arguments, evaluate.run, evaluate.HELP),
    "predict": (predict.add_arguments, predict.run, predict.HELP),
    "sample": (sample.add_arguments, sample.run, sample.HELP),
}
