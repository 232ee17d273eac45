"""Checkpoints: round trips, atomic writes, and a clear error (model untouched) for every bad file."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

import zymo
from zymo import optim
from zymo.io import CheckpointError
from zymo.nn import Module

NEEDS_TORCH = (
    "PyTorch parity test: needs torch "
    "(CPU build: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu)"
)


class Block(Module):
    def __init__(self, rng, n=3, dtype=np.float64):
        self.w = rng.standard_normal((n, n)).astype(dtype)
        self.b = np.zeros(n, dtype=dtype)
        self.activation = "tanh"


class Net(Module):
    def __init__(self, seed=0, n=3, dtype=np.float64):
        rng = np.random.default_rng(seed)
        self.blocks = [Block(rng, n, dtype), Block(rng, n, dtype)]
        self.head = {"out": rng.standard_normal(n).astype(dtype)}
        self.steps = np.arange(2)


def _arrays(model):
    return {p: a.copy() for p, a in zymo.io.named_arrays(model)}


def _assert_unchanged(model, before):
    after = _arrays(model)
    assert after.keys() == before.keys()
    for k in before:
        np.testing.assert_array_equal(after[k], before[k])


@pytest.fixture
def ckpt(tmp_path):
    path = tmp_path / "net.safetensors"
    zymo.save(Net(seed=1), path)
    return path


def test_round_trip_restores_every_array_in_place(ckpt):
    model = Net(seed=2)
    w = model.blocks[0].w
    zymo.load(ckpt, into=model)
    saved = Net(seed=1)
    for (p, a), (_, b) in zip(zymo.io.named_arrays(model), zymo.io.named_arrays(saved)):
        np.testing.assert_array_equal(a, b, err_msg=p)
    assert model.blocks[0].w is w


def test_round_trip_keeps_float32(tmp_path):
    zymo.save(Net(seed=1, dtype=np.float32), tmp_path / "f32.safetensors")
    model = Net(seed=2, dtype=np.float32)
    zymo.load(tmp_path / "f32.safetensors", into=model)
    np.testing.assert_array_equal(model.blocks[1].w, Net(seed=1, dtype=np.float32).blocks[1].w)


def test_tied_arrays_are_stored_once_and_stay_tied(tmp_path):
    model = Net(seed=1)
    model.blocks[1].w = model.blocks[0].w
    zymo.save(model, tmp_path / "tied.safetensors")
    other = Net(seed=3)
    other.blocks[1].w = other.blocks[0].w
    zymo.load(tmp_path / "tied.safetensors", into=other)
    assert other.blocks[1].w is other.blocks[0].w
    np.testing.assert_array_equal(other.blocks[0].w, model.blocks[0].w)


def test_loading_tied_checkpoint_into_untied_model_is_a_structure_error(tmp_path):
    model = Net(seed=1)
    model.blocks[1].w = model.blocks[0].w
    zymo.save(model, tmp_path / "tied.safetensors")
    target = Net(seed=3)
    before = _arrays(target)
    with pytest.raises(CheckpointError, match="tied"):
        zymo.load(tmp_path / "tied.safetensors", into=target)
    _assert_unchanged(target, before)


def test_optimiser_state_round_trip(tmp_path):
    model = Net(seed=1)
    state = optim.setup(optim.chain(optim.ClipNorm(1.0), optim.Adam(0.01)), model)
    grads = zymo.tree_map(lambda a: np.ones_like(a) if a.dtype.kind == "f" else None, model)
    for _ in range(3):
        optim.update(state, model, grads)
    optim.adjust(state, lr=0.003)
    zymo.save(model, tmp_path / "s.safetensors", state=state)

    model2 = Net(seed=5)
    state2 = optim.setup(optim.chain(optim.ClipNorm(1.0), optim.Adam(0.01)), model2)
    zymo.load(tmp_path / "s.safetensors", into=model2, state=state2)
    assert state2.counts == state.counts and state2.rule.rules()[1].lr == 0.003
    for p in state.slots:
        for k in state.slots[p]:
            np.testing.assert_array_equal(state2.slots[p][k], state.slots[p][k])


def test_optimiser_of_another_kind_is_rejected_and_nothing_changes(tmp_path):
    model = Net(seed=1)
    zymo.save(model, tmp_path / "s.safetensors", state=optim.setup(optim.Adam(), model))
    target = Net(seed=2)
    state = optim.setup(optim.Momentum(), target)
    before = _arrays(target)
    with pytest.raises(CheckpointError, match="Adam"):
        zymo.load(tmp_path / "s.safetensors", into=target, state=state)
    _assert_unchanged(target, before)
    assert state.counts == dict.fromkeys(state.slots, 0)


def test_asking_for_optimiser_state_that_was_not_saved_is_an_error(ckpt):
    model = Net()
    with pytest.raises(CheckpointError, match="no optimiser state"):
        zymo.load(ckpt, into=model, state=optim.setup(optim.Adam(), model))


def test_extra_metadata_round_trip(tmp_path):
    zymo.save(Net(), tmp_path / "e.safetensors", extra={"epoch": 3, "note": "ok"})
    assert zymo.io.read_extra(tmp_path / "e.safetensors") == {"epoch": 3, "note": "ok"}


class Other(Module):
    def __init__(self):
        self.w = np.zeros((3, 3))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Other(), "structure mismatch.*missing from the file: w"),
        (lambda: Net(n=4), r"shape \(3, 3\) in the file, \(4, 4\) in the model"),
        (lambda: Net(dtype=np.float32), "dtype float64 in the file, float32 in the model"),
    ],
    ids=["structure", "shape", "dtype"],
)
def test_mismatched_model_is_rejected_and_left_unchanged(ckpt, make, message):
    model = make()
    before = _arrays(model)
    with pytest.raises(CheckpointError, match=message):
        zymo.load(ckpt, into=model)
    _assert_unchanged(model, before)


def _damage(path, how):
    data = bytearray(path.read_bytes())
    if how == "truncated":
        data = data[: len(data) - 20]
    elif how == "header cut":
        data = data[:30]
    elif how == "flipped byte":
        data[-5] ^= 0xFF
    elif how == "empty":
        data = b""
    elif how == "garbage":
        data = b"hello, this is not a checkpoint at all" * 3
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "how, message",
    [
        ("truncated", "corrupted or truncated"),
        ("header cut", "truncated"),
        ("flipped byte", "checksum"),
        ("empty", "truncated or empty"),
        ("garbage", "truncated or not a safetensors file"),
    ],
)
def test_damaged_file_is_rejected_and_model_left_unchanged(ckpt, how, message):
    _damage(ckpt, how)
    model = Net(seed=7)
    before = _arrays(model)
    with pytest.raises(CheckpointError, match=message):
        zymo.load(ckpt, into=model)
    _assert_unchanged(model, before)


def test_pickle_file_is_refused_without_being_unpickled(tmp_path):
    path = tmp_path / "model.pkl"

    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    path.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(CheckpointError, match="pickle"):
        zymo.load(path, into=Net())
    assert not (tmp_path / "pwned").exists()


def test_torch_zip_file_is_refused(tmp_path):
    torch = pytest.importorskip("torch", reason=NEEDS_TORCH)
    torch.save({"w": torch.zeros(3)}, tmp_path / "model.pt")
    with pytest.raises(CheckpointError, match="pickle"):
        zymo.load(tmp_path / "model.pt", into=Net())


def test_numpy_file_is_refused(tmp_path):
    np.save(tmp_path / "w.npy", np.zeros(3))
    with pytest.raises(CheckpointError, match="NumPy"):
        zymo.load(tmp_path / "w.npy", into=Net())


def test_foreign_safetensors_file_is_refused(tmp_path):
    from safetensors.numpy import save_file

    save_file({"w": np.zeros(3)}, str(tmp_path / "foreign.safetensors"))
    with pytest.raises(CheckpointError, match="not a zymo checkpoint"):
        zymo.load(tmp_path / "foreign.safetensors", into=Net())


def test_missing_file_is_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        zymo.load(tmp_path / "nope.safetensors", into=Net())


def test_failed_write_leaves_the_previous_checkpoint_and_no_temporary_file(ckpt, monkeypatch):
    good = ckpt.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        zymo.save(Net(seed=9), ckpt)
    assert ckpt.read_bytes() == good
    assert sorted(p.name for p in ckpt.parent.iterdir()) == [ckpt.name]


def test_save_creates_missing_directories(tmp_path):
    path = zymo.save(Net(), tmp_path / "a" / "b" / "m.safetensors")
    assert path.exists()


def test_extra_that_is_not_json_is_rejected(tmp_path):
    with pytest.raises(CheckpointError, match="JSON"):
        zymo.save(Net(), tmp_path / "m.safetensors", extra={"f": object()})
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_saved_file_gets_the_permissions_of_an_ordinary_open(tmp_path, umask):
    old = os.umask(umask)
    try:
        with open(tmp_path / "plain.txt", "w"):
            pass
        path = zymo.save({"w": np.ones(2)}, tmp_path / "m.safetensors")
    finally:
        os.umask(old)
    assert os.stat(path).st_mode & 0o777 == os.stat(tmp_path / "plain.txt").st_mode & 0o777 == 0o666 & ~umask


def test_umask_fallback_without_proc_reads_the_mask_and_leaves_it(monkeypatch):
    import builtins

    real_open = builtins.open

    def no_proc(path, *args, **kwargs):
        if str(path).startswith("/proc/"):
            raise FileNotFoundError(path)
        return real_open(path, *args, **kwargs)

    old = os.umask(0o027)
    try:
        monkeypatch.setattr(builtins, "open", no_proc)
        assert zymo.io.current_umask() == 0o027
        monkeypatch.undo()
        assert os.umask(0o027) == 0o027
    finally:
        os.umask(old)


def test_a_checkpoint_written_by_an_earlier_version_loads_with_its_array_names():
    from pathlib import Path

    from tests.data.checkpoint_model import model_and_state

    written, written_state = model_and_state(seed=0)
    model, state = model_and_state(seed=1)
    model.encoder.layers[0].weight[...] = 0.0
    path = Path(__file__).parent / "data" / "checkpoint_v1.safetensors"
    zymo.load(path, into=model, state=state)
    stored = zymo.load(path)
    # The file was written when a float32 layer computed a float64 input in float64; layers now compute in their
    # parameters' dtype, so recomputing it matches to float32 rounding, and the file's own arrays exactly.
    for (p, a), (q, b) in zip(zymo.io.named_arrays(model), zymo.io.named_arrays(written)):
        assert p == q
        np.testing.assert_array_equal(a, stored[p])
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert model.shared is model.encoder.layers[0].weight
    assert state.counts == written_state.counts and "heads['a'][0]" in state.slots and "scale" not in state.slots
    for p, slots in written_state.slots.items():
        for k, v in slots.items():
            np.testing.assert_allclose(state.slots[p][k], v, rtol=1e-4, atol=1e-9)


def test_load_without_a_model_returns_the_raw_arrays_by_path(tmp_path):
    model = {"w": np.arange(3.0), "layers": [np.ones(2, np.float32)]}
    model["tied"] = model["w"]
    path = zymo.save(model, tmp_path / "m.safetensors")
    arrays = zymo.load(path)
    assert set(arrays) == {"['w']", "['layers'][0]", "['tied']"}
    assert np.array_equal(arrays["['w']"], model["w"]) and arrays["['layers'][0]"].dtype == np.float32
    assert np.array_equal(arrays["['tied']"], model["w"])


def test_load_of_another_dtype_says_to_pass_cast_and_cast_converts(tmp_path):
    path = zymo.save({"w": np.linspace(0, 1, 5, dtype=np.float32)}, tmp_path / "m.safetensors")
    target = {"w": np.zeros(5)}
    with pytest.raises(CheckpointError, match="dtype float32 in the file, float64 in the model.*cast=True"):
        zymo.load(path, into=target)
    assert not target["w"].any()
    zymo.load(path, into=target, cast=True)
    assert target["w"].dtype == np.float64 and np.array_equal(target["w"], np.linspace(0, 1, 5, dtype=np.float32))


def test_cast_converts_the_optimiser_state_too(tmp_path):
    model = {"w": np.ones(3, np.float32)}
    state = optim.setup(optim.Adam(0.1), model)
    optim.update(state, model, {"w": np.ones(3, np.float32)})
    path = zymo.save(model, tmp_path / "m.safetensors", state=state)
    model64 = {"w": np.zeros(3)}
    state64 = optim.setup(optim.Adam(0.1), model64)
    zymo.load(path, into=model64, state=state64, cast=True)
    assert all(v.dtype == np.float64 for v in state64.slots["['w']"].values())


def test_cast_does_not_turn_floats_into_integers(tmp_path):
    path = zymo.save({"w": np.ones(2)}, tmp_path / "m.safetensors")
    with pytest.raises(CheckpointError, match="dtype float64 in the file, int64"):
        zymo.load(path, into={"w": np.zeros(2, np.int64)}, cast=True)
