"""The training loop: learning, NaN stop, resume equivalence, evaluation hooks, early stopping, progress bar."""

from __future__ import annotations

import numpy as np
import pytest

import zymo
import zymo.numpy as znp
from zymo import optim
from zymo.data import DataLoader
from zymo.nn import Module
from zymo.training import EarlyStopping, History, NonFiniteLossError


class Regressor(Module):
    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        self.w1 = rng.standard_normal((2, 8)) * 0.5
        self.b1 = np.zeros(8)
        self.w2 = rng.standard_normal((8, 1)) * 0.5

    def __call__(self, x):
        return znp.tanh(x @ self.w1 + self.b1) @ self.w2


def mse(model, x, y):
    return znp.mean((model(x) - y) ** 2)


def _data(n=64, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2))
    return x, (np.sin(2 * x[:, :1]) + x[:, 1:] ** 2)


def _setup(seed=0, rule=None):
    model = Regressor(seed)
    return model, optim.setup(rule or optim.Adam(0.02), model)


def _params(model):
    return [a.copy() for a in (model.w1, model.b1, model.w2)]


def test_training_lowers_the_loss():
    model, state = _setup()
    x, y = _data()
    history = zymo.train(mse, model, DataLoader((x, y), 16, rng=0), state, epochs=20, progress=False)
    assert history["loss"][-1] < 0.2 * history["loss"][0]
    assert len(history.losses) == 20 * 4 and state.step == 80


def test_nan_loss_stops_with_the_step_and_leaves_model_and_checkpoint_intact(tmp_path):
    model, state = _setup()
    x, y = _data()
    ckpt = tmp_path / "ckpt.safetensors"
    zymo.train(mse, model, DataLoader((x, y), 16, rng=0), state, epochs=1, checkpoint=ckpt, progress=False)
    on_disk = ckpt.read_bytes()
    calls = []
    before = []

    def poisoned(m, x, y):
        calls.append(1)
        before[:] = _params(model)
        loss = mse(m, x, y)
        return loss * np.nan if len(calls) == 3 else loss

    with pytest.raises(NonFiniteLossError, match=r"loss is nan at step 7 \(epoch 2, batch 3\)"):
        zymo.train(poisoned, model, DataLoader((x, y), 16, rng=0), state, epochs=2, checkpoint=ckpt, resume=ckpt,
                   progress=False)  # fmt: skip
    for a, b in zip(_params(model), before):
        np.testing.assert_array_equal(a, b)
    assert ckpt.read_bytes() == on_disk
    assert state.step == 6


def test_infinite_loss_also_stops():
    model, state = _setup()
    x, y = _data()
    with pytest.raises(NonFiniteLossError, match="loss is inf at step 1"):
        zymo.train(lambda m, x, y: mse(m, x, y) * np.inf, model, DataLoader((x, y), 16), state, progress=False)
    np.testing.assert_array_equal(model.w1, Regressor(0).w1)


def test_nonfinite_loss_error_is_a_zymo_error():
    assert issubclass(NonFiniteLossError, zymo.ZymoError)


def test_resuming_from_a_checkpoint_reproduces_the_uninterrupted_run(tmp_path):
    x, y = _data()
    rule = lambda: optim.chain(optim.ClipNorm(1.0), optim.Adam(optim.CosineDecay(0.05, total=16, warmup=3)))
    straight, s1 = _setup(rule=rule())
    h1 = zymo.train(mse, straight, DataLoader((x, y), 16, rng=5), s1, epochs=4, progress=False)

    ckpt = tmp_path / "run.safetensors"
    first, s2 = _setup(rule=rule())
    zymo.train(mse, first, DataLoader((x, y), 16, rng=5), s2, epochs=2, checkpoint=ckpt, progress=False)
    resumed, s3 = _setup(seed=99, rule=rule())
    h3 = zymo.train(mse, resumed, DataLoader((x, y), 16, rng=123), s3, epochs=4, resume=ckpt, progress=False)

    for a, b in zip(_params(straight), _params(resumed)):
        np.testing.assert_array_equal(a, b)
    assert h3.losses == h1.losses and h3["loss"] == h1["loss"]


def test_checkpoint_is_rewritten_every_epoch_with_the_epoch_number(tmp_path):
    model, state = _setup()
    x, y = _data()
    ckpt = tmp_path / "c.safetensors"
    seen = []
    zymo.train(mse, model, DataLoader((x, y), 32), state, epochs=3, checkpoint=ckpt, progress=False,
               callbacks=[lambda log, m, s: seen.append(ckpt.exists())])  # fmt: skip
    assert seen == [False, True, True]
    assert zymo.io.read_extra(ckpt)["epoch"] == 3


def test_evaluate_results_are_logged_each_epoch_in_test_mode():
    model, state = _setup()
    x, y = _data()
    modes = []

    def evaluate(m):
        modes.append(m.training)
        return {"val_mse": float(mse(m, x, y)), "accuracy": 0.5}

    history = zymo.train(mse, model, DataLoader((x, y), 32), state, epochs=2, evaluate=evaluate, progress=False)
    assert modes == [False, False] and model.training
    assert history["accuracy"] == [0.5, 0.5] and history["val_mse"][1] < history["val_mse"][0]


def test_evaluate_returning_a_number_is_logged_as_val_loss():
    model, state = _setup()
    x, y = _data()
    history = zymo.train(mse, model, DataLoader((x, y), 32), state, epochs=1, evaluate=lambda m: 1.5, progress=False)
    assert history["val_loss"] == [1.5]


def test_a_callback_returning_true_stops_training():
    model, state = _setup()
    x, y = _data()
    history = zymo.train(mse, model, DataLoader((x, y), 32), state, epochs=10, progress=False,
                         callbacks=[lambda log, m, s: log["epoch"] == 3])  # fmt: skip
    assert len(history.epochs) == 3


def test_early_stopping_stops_and_restores_the_best_epoch():
    model, state = _setup()
    x, y = _data()
    scores = iter([3.0, 1.0, 2.0, 2.5, 0.5])
    best = []

    def evaluate(m):
        v = next(scores)
        if v == 1.0:
            best[:] = _params(m)
        return v

    stop = EarlyStopping("val_loss", patience=2)
    history = zymo.train(mse, model, DataLoader((x, y), 32), state, epochs=5, evaluate=evaluate,
                         early_stopping=stop, progress=False)  # fmt: skip
    assert history.stopped_early and len(history.epochs) == 4 and stop.best_epoch == 2
    for a, b in zip(_params(model), best):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_on_a_missing_key_says_which_keys_exist():
    model, state = _setup()
    x, y = _data()
    with pytest.raises(zymo.ZymoError, match="val_loss.*epoch, loss"):
        zymo.train(mse, model, DataLoader((x, y), 32), state, early_stopping=EarlyStopping(), progress=False)


def test_progress_bar_shows_the_running_loss_and_the_evaluation(capsys):
    model, state = _setup()
    x, y = _data()
    zymo.train(mse, model, DataLoader((x, y), 32), state, epochs=1, progress="bar", evaluate=lambda m: {"acc": 0.5})
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "2/2" in err and "loss=" in err and "acc=0.5" in err


def test_single_array_batches_are_passed_as_one_argument():
    model = {"w": np.ones(3)}
    state = optim.setup(optim.Descent(0.1), model)
    zymo.train(lambda m, x: znp.sum((m["w"] * x) ** 2), model, DataLoader(np.ones((4, 3)), 2), state, progress=False)
    assert np.all(model["w"] < 1)


def test_a_loss_that_is_not_a_scalar_is_rejected():
    model, state = _setup()
    x, y = _data()
    with pytest.raises(zymo.ShapeError, match="scalar"):
        zymo.train(lambda m, x, y: (m(x) - y) ** 2, model, DataLoader((x, y), 32), state, progress=False)


def test_early_stopping_in_max_mode_with_min_delta():
    stop = EarlyStopping("accuracy", patience=2, mode="max", min_delta=0.01, restore_best=False)
    logs = [{"epoch": i + 1, "accuracy": a} for i, a in enumerate([0.5, 0.8, 0.805, 0.79, 0.9])]
    assert [stop.should_stop(log, {}) for log in logs[:4]] == [False, False, False, True]
    assert (stop.best, stop.best_epoch) == (0.8, 2)


def test_training_with_jit_gives_the_same_parameters_as_without():
    x, y = _data()
    runs = []
    for jit in (False, True):
        model, state = _setup()
        history = zymo.train(mse, model, DataLoader((x, y), 16, rng=0), state, epochs=5, progress=False, jit=jit)
        runs.append((_params(model), history.losses))
    for a, b in zip(runs[0][0], runs[1][0]):
        np.testing.assert_array_equal(a, b)
    assert runs[0][1] == runs[1][1]


def test_training_with_jit_stops_on_a_nan_loss_before_updating():
    model, state = _setup()
    x, y = _data()
    y[20] = np.nan  # the second batch
    before = _params(model)
    with pytest.raises(NonFiniteLossError, match="step 2"):
        zymo.train(mse, model, DataLoader((x, y), 16, shuffle=False), state, epochs=1, progress=False, jit=True)
    assert not np.array_equal(before[0], model.w1)  # the first step was taken, the second was not
    assert state.step == 1


def test_progress_off_a_terminal_prints_one_plain_line_per_epoch(capsys):
    model, state = _setup()
    x, y = _data()
    zymo.train(mse, model, DataLoader((x, y), 32), state, epochs=2, progress=True, evaluate=lambda m: {"acc": 0.5})
    captured = capsys.readouterr()  # captured output is not a terminal
    lines = captured.out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch 1/2: loss ") and lines[1].endswith("acc 0.5")
    assert "\r" not in captured.out and captured.err == ""


def test_progress_lines_are_printed_when_asked_for(capsys):
    model, state = _setup()
    x, y = _data()
    zymo.train(mse, model, DataLoader((x, y), 32), state, epochs=3, progress="lines")
    assert [line.split(":")[0] for line in capsys.readouterr().out.splitlines()] == [
        "epoch 1/3",
        "epoch 2/3",
        "epoch 3/3",
    ]


def test_unknown_progress_style_is_rejected():
    model, state = _setup()
    x, y = _data()
    with pytest.raises(zymo.ZymoError, match="progress must be"):
        zymo.train(mse, model, DataLoader((x, y), 32), state, progress="verbose")


def test_history_repr_is_short_whatever_the_number_of_steps():
    history = History(epochs=[{"epoch": 1, "loss": 0.5}], losses=[0.1] * 10_000)
    assert repr(history) == "History(1 epoch, 10000 steps, last={'epoch': 1, 'loss': 0.5})"


def test_zymo_train_is_the_training_function_and_its_module_is_zymo_training():
    import inspect

    import zymo.training

    assert inspect.isfunction(zymo.train) and zymo.train is zymo.training.train
    assert zymo.training.__name__ == "zymo.training" and type(zymo.training).__name__ == "module"
