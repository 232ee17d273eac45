"""``python -m zymo evaluate`` and ``predict``: reuse a trained run folder."""

from __future__ import annotations

import json

import numpy as np
import pytest

from zymo.__main__ import main

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

QUICK = ["--max-samples", "64", "--batch-size", "32", "--hidden", "8", "--no-progress"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    assert main(["train", "--epochs", "2", "--overwrite", "--out", str(folder), *QUICK]) == 0
    return folder


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    return load_digits()


def test_evaluate_reports_the_test_metrics_of_training_again(run_dir, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(run_dir), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again == json.loads((run_dir / "report.json").read_text())["test"]


def test_evaluate_of_a_folder_that_is_no_run_is_a_clear_error(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path)]) == 1
    assert "no config.json" in capsys.readouterr().out


@pytest.mark.parametrize("suffix", [".npy", ".csv"])
def test_predict_reads_raw_samples_and_writes_the_model_s_classes(run_dir, digits, tmp_path, suffix):
    from zymo import load_run

    samples = tmp_path / f"in{suffix}"
    if suffix == ".npy":
        np.save(samples, digits.images[:7])
    else:
        np.savetxt(samples, digits.data[:7], delimiter=",", header=",".join(digits.feature_names))
    assert main(["predict", str(run_dir), str(samples), "--out", str(tmp_path / "out.npy")]) == 0
    expected = np.argmax(load_run(run_dir).model(digits.images[:7].astype(np.float32) / 16), axis=-1)
    assert np.array_equal(np.load(tmp_path / "out.npy"), expected)


def test_predict_prints_one_prediction_per_line_without_out(run_dir, digits, tmp_path, capsys):
    np.save(tmp_path / "in.npy", digits.data[:3])
    capsys.readouterr()
    assert main(["predict", str(run_dir), str(tmp_path / "in.npy")]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_predict_with_samples_of_the_wrong_size_names_the_expected_size(run_dir, tmp_path, capsys):
    np.save(tmp_path / "in.npy", np.zeros((2, 10)))
    assert main(["predict", str(run_dir), str(tmp_path / "in.npy")]) == 1
    assert "8 steps x 8 features (64 numbers each)" in capsys.readouterr().out


def test_predict_refuses_a_pickled_npy(run_dir, tmp_path, capsys):
    np.save(tmp_path / "in.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert main(["predict", str(run_dir), str(tmp_path / "in.npy")]) == 1
    assert "not a plain numeric .npy" in capsys.readouterr().out
