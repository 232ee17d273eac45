"""``python -m zymo train``: short runs of each task, outputs, determinism, resume, bad options."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from safetensors.numpy import load_file

from zymo.__main__ import main
from zymo.cli import train as train_cli

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

QUICK = ["--max-samples", "64", "--batch-size", "32", "--hidden", "8", "--no-progress"]


def _weights(folder):
    return {k: v for k, v in load_file(str(folder / "model.safetensors")).items() if k.startswith("model/")}


def _same_weights(a, b):
    wa, wb = _weights(a), _weights(b)
    return wa.keys() == wb.keys() and all(np.array_equal(wa[k], wb[k]) for k in wa)


def test_short_digits_run_writes_weights_curve_and_report(tmp_path, capsys):
    assert main(["train", "--epochs", "2", "--out", str(tmp_path), *QUICK]) == 0
    out = capsys.readouterr().out
    assert "test accuracy" in out and "parameters" in out and "time" in out
    assert {p.name for p in tmp_path.iterdir()} >= {"model.safetensors", "learning_curve.png", "report.json"}
    assert (tmp_path / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["task"] == "digits" and report["steps"] == 4 and 0 <= report["final"]["accuracy"] <= 1


def test_same_seed_gives_the_same_weights_and_another_seed_does_not(tmp_path):
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        assert main(["train", "--epochs", "1", "--seed", seed, "--out", str(tmp_path / name), *QUICK]) == 0
    assert _same_weights(tmp_path / "a", tmp_path / "b")
    assert not _same_weights(tmp_path / "a", tmp_path / "c")


def test_interrupted_run_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch, capsys):
    args = ["train", "--epochs", "3", *QUICK]
    assert main([*args, "--out", str(tmp_path / "straight")]) == 0

    make_digits = train_cli.TASKS["digits"]
    calls = []

    def interrupted_on_second_evaluation(settings):
        task = make_digits(settings)
        score = task.score

        def stop_at_epoch_two(model):
            calls.append(1)
            if len(calls) == 2:
                raise KeyboardInterrupt
            return score(model)

        task.score = stop_at_epoch_two
        return task

    monkeypatch.setitem(train_cli.TASKS, "digits", interrupted_on_second_evaluation)
    assert main([*args, "--out", str(tmp_path / "cut")]) == 130
    assert "--resume" in capsys.readouterr().out
    monkeypatch.setitem(train_cli.TASKS, "digits", make_digits)

    assert (
        main(["train", "--epochs", "3", "--no-progress", "--resume", str(tmp_path / "cut" / "model.safetensors")]) == 0
    )
    assert json.loads((tmp_path / "cut" / "report.json").read_text())["steps"] == 6
    assert _same_weights(tmp_path / "straight", tmp_path / "cut")


def test_resume_with_a_different_model_size_is_a_clear_error(tmp_path, capsys):
    assert main(["train", "--epochs", "1", "--out", str(tmp_path / "a"), *QUICK]) == 0
    code = main(["train", "--epochs", "2", "--hidden", "9", "--no-progress", "--out", str(tmp_path / "b"),
                 "--max-samples", "64", "--resume", str(tmp_path / "a" / "model.safetensors")])  # fmt: skip
    assert code == 1 and "does not fit this model" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["rnn", "gru"])
def test_other_recurrent_layers_train(tmp_path, kind):
    assert main(["train", "--epochs", "1", "--model", kind, "--layers", "2", "--out", str(tmp_path), *QUICK]) == 0
    assert json.loads((tmp_path / "config.json").read_text())["model"] == kind


def test_sunspots_forecasting_run_reports_rmse_against_persistence(tmp_path, capsys):
    pytest.importorskip("statsmodels")
    assert main(["train", "--task", "sunspots", "--epochs", "2", "--out", str(tmp_path), *QUICK]) == 0
    out = capsys.readouterr().out
    assert "test RMSE" in out and "persistence forecast" in out
    assert "rmse" in json.loads((tmp_path / "report.json").read_text())["final"]


def test_sunspots_series_is_the_yearly_record():
    pytest.importorskip("statsmodels")
    years, values = train_cli.sunspots_series()
    assert (years[0], years[-1], len(values)) == (1700, 2008, 309) and values.min() >= 0


@pytest.mark.parametrize("bad", [["--hidden", "0"], ["--lr", "-1"], ["--model", "transformer"]])
def test_bad_options_exit_with_a_message(tmp_path, bad):
    with pytest.raises(SystemExit):
        main(["train", "--out", str(tmp_path), *bad])


def test_command_line_entry_point_lists_train():
    result = subprocess.run([sys.executable, "-m", "zymo", "train", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "--resume" in result.stdout and "--task" in result.stdout


def test_missing_extras_are_named_with_the_install_command(monkeypatch, capsys):
    real = train_cli.importlib.util.find_spec
    monkeypatch.setattr(train_cli.importlib.util, "find_spec", lambda n: None if n == "matplotlib" else real(n))
    assert main(["train"]) == 2
    out = capsys.readouterr().out
    assert "matplotlib" in out and "zymo[train]" in out
