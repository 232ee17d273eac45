"""``python -m zymo train``: short runs of each task, outputs, determinism, resume, bad options."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from safetensors.numpy import load_file

from tests.cli.interruption import train_until_second_evaluation
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
    files = {"config.json", "model.safetensors", "learning_curve.png", "report.json"}
    assert {p.name for p in tmp_path.iterdir()} == files
    assert f"saved in {tmp_path}: " in out and all(name in out.splitlines()[-1] for name in files)
    assert (tmp_path / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["task"] == "digits" and report["steps"] == 4 and 0 <= report["test"]["accuracy"] <= 1
    assert {"loss", "val_loss", "val_accuracy"} <= set(report["final"])


def test_same_seed_gives_the_same_weights_and_another_seed_does_not(tmp_path):
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        assert main(["train", "--epochs", "1", "--seed", seed, "--out", str(tmp_path / name), *QUICK]) == 0
    assert _same_weights(tmp_path / "a", tmp_path / "b")
    assert not _same_weights(tmp_path / "a", tmp_path / "c")


def test_interrupted_run_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch, capsys):
    args = ["train", "--epochs", "3", *QUICK]
    assert main([*args, "--out", str(tmp_path / "straight")]) == 0

    assert train_until_second_evaluation(monkeypatch, "digits", [*args, "--out", str(tmp_path / "cut")]) == 130
    assert "--resume" in capsys.readouterr().out

    assert (
        main(["train", "--epochs", "3", "--no-progress", "--resume", str(tmp_path / "cut" / "model.safetensors")]) == 0
    )
    assert json.loads((tmp_path / "cut" / "report.json").read_text())["steps"] == 6
    assert _same_weights(tmp_path / "straight", tmp_path / "cut")


def test_resume_with_a_different_model_size_is_a_clear_error_before_anything_is_written(tmp_path):
    assert main(["train", "--epochs", "1", "--out", str(tmp_path / "a"), *QUICK]) == 0
    with pytest.raises(SystemExit, match=r"holds a digits run with a LSTM .*--hidden 9 but the run has 8"):
        main(["train", "--hidden", "9", "--no-progress", "--out", str(tmp_path / "b"),
              "--resume", str(tmp_path / "a" / "model.safetensors")])  # fmt: skip
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("kind", ["rnn", "gru"])
def test_other_recurrent_layers_train(tmp_path, kind):
    assert main(["train", "--epochs", "1", "--model", kind, "--layers", "2", "--out", str(tmp_path), *QUICK]) == 0
    assert json.loads((tmp_path / "config.json").read_text())["model"] == kind


def test_sunspots_forecasting_run_reports_rmse_against_persistence(tmp_path, capsys):
    pytest.importorskip("statsmodels")
    assert main(["train", "--task", "sunspots", "--epochs", "2", "--out", str(tmp_path), *QUICK]) == 0
    out = capsys.readouterr().out
    assert "test RMSE" in out and "persistence forecast" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert "val_rmse" in report["final"] and "rmse" in report["test"]


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


def _run(folder, *extra, epochs="2"):
    return main(["train", "--epochs", epochs, "--out", str(folder), *QUICK, *extra])


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.mark.parametrize("where", ["typo/model.safetensors", "model.safetensors"])
def test_mistyped_resume_path_fails_before_creating_anything(tmp_path, monkeypatch, where):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match="no such file"):
        main(["train", "--no-progress", "--resume", where])
    assert list(tmp_path.iterdir()) == []


def test_resume_from_a_file_that_is_not_a_checkpoint_fails_before_creating_anything(tmp_path):
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    with pytest.raises(SystemExit, match="not a safetensors|truncated|corrupted"):
        main(["train", "--resume", str(tmp_path / "notes.txt"), "--out", str(tmp_path / "new")])
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_resume_from_a_run_folder_names_the_checkpoint_to_pass(tmp_path):
    assert _run(tmp_path / "a", epochs="1") == 0
    with pytest.raises(SystemExit, match="is a folder.*did you mean .*model.safetensors"):
        main(["train", "--resume", str(tmp_path / "a")])


def test_out_onto_an_existing_run_is_refused_and_leaves_it_unchanged(tmp_path):
    assert _run(tmp_path, epochs="1") == 0
    before = _snapshot(tmp_path)
    with pytest.raises(SystemExit, match="already holds a run.*--overwrite"):
        _run(tmp_path, "--seed", "5", epochs="1")
    assert _snapshot(tmp_path) == before


def test_overwrite_replaces_an_existing_run(tmp_path):
    assert _run(tmp_path / "a", "--seed", "5", epochs="1") == 0
    assert _run(tmp_path / "b", epochs="1") == 0
    assert _run(tmp_path / "b", "--seed", "5", "--overwrite", epochs="1") == 0
    assert _same_weights(tmp_path / "a", tmp_path / "b")
    assert json.loads((tmp_path / "b" / "config.json").read_text())["seed"] == 5


def test_extending_a_finished_run_is_refused_with_the_reason_and_the_command_to_run(tmp_path):
    assert _run(tmp_path / "a", epochs="2") == 0
    before = _snapshot(tmp_path / "a")
    with pytest.raises(SystemExit) as e:
        main(["train", "--epochs", "4", "--resume", str(tmp_path / "a" / "model.safetensors")])
    message = str(e.value.code)
    assert "sized for 2 epochs" in message and "python -m zymo train " in message and "--epochs 4" in message
    assert "--hidden 8" in message and "--max-samples 64" in message
    assert _snapshot(tmp_path / "a") == before


def test_resuming_a_finished_run_says_there_is_nothing_to_resume(tmp_path):
    assert _run(tmp_path / "a", epochs="1") == 0
    with pytest.raises(SystemExit, match="finished run \\(1 of 1 epochs\\)"):
        main(["train", "--resume", str(tmp_path / "a" / "model.safetensors")])


def test_resume_with_another_model_kind_names_the_checkpoint_s_model(tmp_path):
    assert _run(tmp_path / "a", "--model", "gru", epochs="1") == 0
    with pytest.raises(SystemExit, match="holds a digits run with a GRU .*--model lstm but the run has gru"):
        main(["train", "--model", "lstm", "--resume", str(tmp_path / "a" / "model.safetensors")])


def test_resume_takes_the_model_kind_from_the_checkpoint_s_config(tmp_path, monkeypatch):
    assert _run(tmp_path / "a", "--model", "gru", epochs="1") == 0
    config = json.loads((tmp_path / "a" / "config.json").read_text())
    config["epochs"] = 2  # as if interrupted after the first of two epochs
    (tmp_path / "a" / "config.json").write_text(json.dumps(config))
    assert main(["train", "--no-progress", "--resume", str(tmp_path / "a" / "model.safetensors")]) == 0
    assert json.loads((tmp_path / "a" / "report.json").read_text())["model"] == "gru"


def test_help_shows_the_defaults():
    result = subprocess.run([sys.executable, "-m", "zymo", "train", "--help"], capture_output=True, text=True)
    help_text = " ".join(result.stdout.split())
    for text in ("128 for digits, 32 for sunspots", "15 for digits, 60 for sunspots", "default: 0.01", "default: 0)"):
        assert text in help_text


def test_output_to_a_file_has_one_plain_line_per_epoch(tmp_path):
    log = tmp_path / "log.txt"
    argv = [
        "-m",
        "zymo",
        "train",
        "--epochs",
        "2",
        "--out",
        str(tmp_path / "run"),
        "--max-samples",
        "64",
        "--hidden",
        "8",
    ]
    with open(log, "w") as f:
        subprocess.run([sys.executable, *argv], stdout=f, stderr=subprocess.STDOUT, check=True, cwd=os.getcwd())
    text = log.read_text()
    assert "\r" not in text
    assert [line.split(":")[0] for line in text.splitlines() if line.startswith("epoch ")] == ["epoch 1/2", "epoch 2/2"]


def test_no_progress_prints_one_line_per_epoch_and_counts_epochs_in_words(tmp_path, capsys):
    assert _run(tmp_path, epochs="1") == 0
    out = capsys.readouterr().out
    assert "epoch 1/1: loss " in out and "val_accuracy" in out
    assert "after 1 epoch (" in out


def test_validation_split_is_held_out_of_the_training_data_and_apart_from_the_test_set():
    task = train_cli.load_task({"task": "digits", **train_cli.TASK_DEFAULTS["digits"]})
    assert len(task.x_train) + len(task.x_val) + len(task.x_test) == 1797 and len(task.x_val) == 135
    rows = lambda x: {a.tobytes() for a in x}  # noqa: E731
    assert not rows(task.x_val) & rows(task.x_test)
    assert len(rows(task.x_train) & rows(task.x_val)) <= 2  # the dataset holds a few identical images


def test_run_files_get_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        assert _run(tmp_path, epochs="1") == 0
    finally:
        os.umask(old)
    assert {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()} == dict.fromkeys(train_cli.RUN_FILES, 0o644)


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed here")
def test_device_cuda_without_cupy_says_how_to_install_it_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--device", "cuda", "--epochs", "1", "--out", str(out)]) == 2
    assert "pip install cupy-cuda12x" in capsys.readouterr().out
    assert not out.exists()


def test_unknown_device_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit, match=r"--device tpu: use cpu, cuda or cuda:N"):
        main(["train", "--device", "tpu", "--out", str(tmp_path / "run")])


@pytest.mark.parametrize(
    "bad, message",
    [
        (["--dropout", "0.2"], "--dropout is a setting of --task chars, not of --task digits"),
        (["--task", "chars", "--dropout", "1"], "--dropout must be at least 0 and below 1, got 1.0"),
    ],
)
def test_bad_dropout_is_a_usage_error(tmp_path, bad, message):
    with pytest.raises(SystemExit, match=message):
        main(["train", "--out", str(tmp_path / "run"), *bad])
    assert not (tmp_path / "run").exists()


def test_a_chars_run_saved_without_a_dropout_setting_resumes_without_dropout(tmp_path):
    import argparse

    from zymo.io import save

    save({"w": np.zeros(1)}, tmp_path / "model.safetensors", extra={"epoch": 1})
    settings = {"task": "chars", "model": "lstm", "hidden": 8, "epochs": 3}
    (tmp_path / "config.json").write_text(json.dumps(settings))
    parser = argparse.ArgumentParser()
    train_cli.add_arguments(parser)
    args = parser.parse_args(["--resume", str(tmp_path / "model.safetensors")])
    resumed, done = train_cli._resumed_settings(args, tmp_path / "model.safetensors")
    assert resumed["dropout"] == 0.0 and train_cli.defaults_for("chars")["dropout"] > 0
    assert (done, resumed["hidden"], resumed["epochs"]) == (1, 8, 3)
