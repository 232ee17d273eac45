"""``zymo.load_run``: a run folder's model rebuilt from its configuration through the model registry."""

from __future__ import annotations

import json

import numpy as np
import pytest

import zymo
from zymo import models

CONFIG = {
    "model": "rnn",
    "features": 1,
    "hidden": 4,
    "layers": 2,
    "outputs": 1,
    "input": {"steps": 3, "features": 1, "shift": 10.0, "scale": 2.0},
    "output": {"kind": "value", "shift": 10.0, "scale": 2.0},
}


@pytest.fixture
def run_dir(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    zymo.save(models.build(CONFIG, rng=np.random.default_rng(3)), tmp_path / "model.safetensors")
    return tmp_path


def test_load_run_returns_the_saved_model_in_evaluation_mode(run_dir):
    run = zymo.load_run(run_dir)
    saved = models.build(CONFIG, rng=np.random.default_rng(3))
    assert run.config == CONFIG and run.report is None and run.folder == run_dir and not run.model.training
    assert all(np.array_equal(a, b) for a, b in zip(run.model.parameters(), saved.parameters()))


def test_predict_scales_raw_inputs_and_outputs_as_the_config_says(run_dir):
    run = zymo.load_run(run_dir)
    raw = np.array([[10.0, 12.0, 14.0], [8.0, 8.0, 8.0]])
    expected = run.model(((raw - 10.0) / 2.0).astype(np.float32)[:, :, None])[:, 0] * 2.0 + 10.0
    assert np.array_equal(run.predict(raw), expected)


def test_load_run_of_a_folder_without_weights_is_a_checkpoint_error(run_dir):
    (run_dir / "model.safetensors").unlink()
    with pytest.raises(zymo.CheckpointError, match="no checkpoint"):
        zymo.load_run(run_dir)


def test_load_run_of_an_old_config_says_what_is_missing(run_dir):
    (run_dir / "config.json").write_text(json.dumps({"model": "rnn"}))
    with pytest.raises(zymo.ZymoError, match="lacks features, outputs, input, output"):
        zymo.load_run(run_dir)
