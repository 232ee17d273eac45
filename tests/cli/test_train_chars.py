"""``python -m zymo train --task chars`` and ``python -m zymo sample``: a character-level language model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.cli.interruption import train_until_second_evaluation
from zymo.__main__ import main
from zymo.cli import corpus
from zymo.cli import train as train_cli

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

QUICK = ["--task", "chars", "--max-samples", "64", "--window", "32", "--batch-size", "32", "--no-progress"]


@pytest.fixture(scope="module", params=["lstm", "transformer"])
def chars_run(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    hidden = "32" if request.param == "lstm" else "64"
    assert main(["train", *QUICK, "--model", request.param, "--hidden", hidden, "--epochs", "2", "--layers", "1",
                 "--out", str(folder)]) == 0  # fmt: skip
    return folder


def test_chars_run_reports_bits_per_character_on_the_held_out_files(chars_run):
    report = json.loads((chars_run / "report.json").read_text())
    config = json.loads((chars_run / "config.json").read_text())
    assert report["steps"] == 4 and {"val_loss", "val_bits_per_char"} <= set(report["final"])
    assert report["test"]["bits_per_char"] == pytest.approx(report["test"]["loss"] / np.log(2), rel=1e-12)
    assert 0 < report["test"]["bits_per_char"] < np.log2(len(corpus.VOCABULARY)) + 1
    assert config["vocabulary"] == corpus.VOCABULARY and config["held_out_files"] == list(corpus.HELD_OUT_FILES)
    assert (chars_run / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_of_a_chars_run_gives_the_report_s_test_metrics(chars_run, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(chars_run), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again == pytest.approx(json.loads((chars_run / "report.json").read_text())["test"], rel=1e-6)


def test_sample_prints_the_prompt_and_as_many_generated_characters(chars_run, capsys):
    capsys.readouterr()
    assert (
        main(["sample", str(chars_run), "--length", "400", "--temperature", "0.8", "--prompt", "def ", "--seed", "3"])
        == 0
    )
    text = capsys.readouterr().out
    assert text.startswith("def ") and len(text) == len("def ") + 400 + 1 and set(text) <= set(corpus.VOCABULARY)


def test_sample_with_the_same_seed_repeats_and_with_another_differs(chars_run, capsys):
    texts = []
    for seed in ("1", "1", "2"):
        capsys.readouterr()
        assert main(["sample", str(chars_run), "--length", "60", "--seed", seed]) == 0
        texts.append(capsys.readouterr().out)
    assert texts[0] == texts[1] != texts[2]


@pytest.mark.parametrize("bad, message", [(["--temperature", "0"], "--temperature must be positive"),
                                          (["--length", "-1"], "--length must be at least 0")])  # fmt: skip
def test_sample_with_bad_options_is_a_clear_error(chars_run, capsys, bad, message):
    capsys.readouterr()
    assert main(["sample", str(chars_run), *bad]) == 1
    assert message in capsys.readouterr().out


def test_predict_on_a_chars_run_points_to_sample(chars_run, tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((2, 32)))
    capsys.readouterr()
    assert main(["predict", str(chars_run), str(tmp_path / "x.npy")]) == 1
    out = capsys.readouterr().out
    assert "holds a language model" in out and "python -m zymo sample" in out


def test_sample_from_a_run_that_is_no_language_model_is_a_clear_error(tmp_path, capsys):
    assert main(["train", "--epochs", "1", "--max-samples", "32", "--hidden", "4", "--no-progress",
                 "--out", str(tmp_path)]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["sample", str(tmp_path)]) == 1
    assert "is a digits run, not a language model" in capsys.readouterr().out


def test_interrupted_chars_run_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch):
    from safetensors.numpy import load_file

    args = ["train", *QUICK, "--hidden", "16", "--epochs", "3"]
    assert main([*args, "--out", str(tmp_path / "straight")]) == 0
    assert train_until_second_evaluation(monkeypatch, "chars", [*args, "--out", str(tmp_path / "cut")]) == 130
    assert main(["train", "--no-progress", "--resume", str(tmp_path / "cut" / "model.safetensors")]) == 0
    straight, cut = (load_file(str(tmp_path / name / "model.safetensors")) for name in ("straight", "cut"))
    weights = [k for k in straight if k.startswith("model/")]
    assert weights and all(np.array_equal(straight[k], cut[k]) for k in weights)


def test_recurrent_model_is_scored_on_long_stretches_of_text_and_a_transformer_window_by_window():
    from zymo import models
    from zymo.nn.losses import logitcrossentropy

    ids = np.random.default_rng(0).integers(0, 7, 16 * 3 * 5 + 2 * 5 + 1)
    x, y = corpus.windows(ids, 5)  # 50 windows: 16 stretches of 3, and 2 left over
    config = {"vocabulary": "abcdefg", "hidden": 8, "window": 5}
    lstm = models.build({"model": "lstm", **config}, np.random.default_rng(1))
    stretches = ids[: 16 * 15 + 1]
    expected = sum(
        float(
            logitcrossentropy(
                lstm(stretches[None, k * 15 : (k + 1) * 15]), stretches[None, k * 15 + 1 : (k + 1) * 15 + 1], agg="sum"
            )
        )
        for k in range(16)
    ) + float(logitcrossentropy(lstm(x[48:]), y[48:], agg="sum"))
    assert train_cli._text_nats(lstm, x, y) == pytest.approx(expected, rel=1e-5)
    transformer = models.build({"model": "transformer", **config}, np.random.default_rng(1))
    fresh = float(logitcrossentropy(transformer(x), y, agg="sum"))
    assert train_cli._text_nats(transformer, x, y) == pytest.approx(fresh, rel=1e-5)
