"""``python -m zymo train --model cnn``: the digits as 8x8 images with one channel, through convolutions."""

from __future__ import annotations

import json

import numpy as np
import pytest

import zymo
from zymo.__main__ import main

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

QUICK = ["--max-samples", "64", "--batch-size", "32", "--hidden", "16", "--no-progress"]


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cnn")
    assert main(["train", "--model", "cnn", "--epochs", "2", "--out", str(folder), *QUICK]) == 0
    return folder


def test_cnn_run_takes_the_digits_as_images_channels_last(cnn_run):
    config = json.loads((cnn_run / "config.json").read_text())
    report = json.loads((cnn_run / "report.json").read_text())
    assert config["model"] == "cnn" and config["input"]["shape"] == [8, 8, 1]
    assert report["steps"] == 4 and 0 <= report["test"]["accuracy"] <= 1
    assert isinstance(zymo.load_run(cnn_run).model[0], zymo.nn.Conv)


def test_loaded_cnn_run_predicts_raw_pixel_rows(cnn_run):
    from sklearn.datasets import load_digits

    pixels = load_digits().data[:7]
    run = zymo.load_run(cnn_run)
    expected = np.argmax(run.model((pixels / 16.0).reshape(7, 8, 8, 1).astype(np.float32)), axis=-1)
    assert np.array_equal(run.predict(pixels), expected)
    with pytest.raises(zymo.ZymoError, match="images of 8x8x1 \\(64 numbers each\\)"):
        run.predict(np.zeros((2, 10)))


def test_cnn_on_a_task_that_is_no_image_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit, match="--model cnn does not fit --task sunspots"):
        main(["train", "--task", "sunspots", "--model", "cnn", "--out", str(tmp_path / "a")])
    assert not (tmp_path / "a").exists()


@pytest.mark.slow
def test_cnn_reaches_98_percent_test_accuracy_with_the_defaults(tmp_path):
    assert main(["train", "--model", "cnn", "--no-progress", "--out", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "report.json").read_text())["test"]["accuracy"] >= 0.98
