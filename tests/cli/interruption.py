"""Running ``python -m zymo train`` until it is interrupted, as Ctrl-C would, at its second evaluation."""

from __future__ import annotations

from zymo.__main__ import main
from zymo.cli import train as train_cli


def train_until_second_evaluation(monkeypatch, task: str, args: list[str]) -> int:
    """Run ``main(args)`` with ``task``'s metrics raising ``KeyboardInterrupt`` on their second call."""
    make_task = train_cli.TASKS[task]
    calls = []

    def interrupted_on_second_evaluation(settings):
        built = make_task(settings)
        metrics = built.metrics

        def stop_at_epoch_two(model, x, y):
            calls.append(1)
            if len(calls) == 2:
                raise KeyboardInterrupt
            return metrics(model, x, y)

        built.metrics = stop_at_epoch_two
        return built

    monkeypatch.setitem(train_cli.TASKS, task, interrupted_on_second_evaluation)
    try:
        return main(args)
    finally:
        monkeypatch.setitem(train_cli.TASKS, task, make_task)
