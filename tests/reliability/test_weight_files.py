"""Hostile weight files: every truncation, every single-byte corruption, foreign formats and pickles.

Whatever the file holds, ``zymo.load`` either restores exactly what was saved
or raises ``CheckpointError``; it never runs code from the file and never
changes the model in memory when it refuses.
"""

from __future__ import annotations

import io
import pickle

import numpy as onp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zymo
import zymo.nn as nn

NEEDS_TORCH = (
    "PyTorch parity test: needs torch "
    "(CPU build: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu)"
)

_SETTINGS = dict(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def _model():
    return nn.Chain(
        nn.Dense(3, 4, nn.tanh, rng=onp.random.default_rng(0)), nn.Dense(4, 2, rng=onp.random.default_rng(1))
    )


def _arrays(model):
    return [a.copy() for a in nn.parameters(model)]


def _saved_bytes(tmp_path) -> bytes:
    path = zymo.save(_model(), tmp_path / "good.safetensors")
    return path.read_bytes()


def _load_outcome(tmp_path, data: bytes, name="bad.safetensors"):
    """Load ``data`` into a fresh model: ``"refused"`` (model unchanged) or ``"loaded"`` (exact values)."""
    path = tmp_path / name
    path.write_bytes(data)
    target = nn.Chain(
        nn.Dense(3, 4, nn.tanh, rng=onp.random.default_rng(7)), nn.Dense(4, 2, rng=onp.random.default_rng(8))
    )
    before = _arrays(target)
    ids = [id(a) for a in nn.parameters(target)]
    try:
        zymo.load(path, into=target)
    except zymo.CheckpointError as e:
        assert str(path) in str(e)
        for a, b in zip(nn.parameters(target), before):
            onp.testing.assert_array_equal(a, b)
        assert [id(a) for a in nn.parameters(target)] == ids
        return "refused"
    for a, b in zip(nn.parameters(target), _arrays(_model())):
        onp.testing.assert_array_equal(a, b)
    return "loaded"


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> bytes:
    return _saved_bytes(tmp_path_factory.mktemp("good"))


@settings(**_SETTINGS)
@given(cut=st.floats(0.0, 1.0, exclude_max=True))
def test_every_truncation_is_refused_and_leaves_the_model_unchanged(good, tmp_path_factory, cut):
    data = good[: int(cut * len(good))]
    assert _load_outcome(tmp_path_factory.mktemp("cut"), data) == "refused"


@settings(**_SETTINGS)
@given(where=st.floats(0.0, 1.0, exclude_max=True), flip=st.integers(1, 255))
def test_a_corrupted_byte_is_refused_or_harmless(good, tmp_path_factory, where, flip):
    data = bytearray(good)
    k = int(where * len(data))
    data[k] ^= flip
    _load_outcome(tmp_path_factory.mktemp("flip"), bytes(data))


def test_a_corrupted_array_byte_is_refused(good, tmp_path):
    data = bytearray(good)
    data[-3] ^= 0x40  # inside the last array's bytes
    assert _load_outcome(tmp_path, bytes(data)) == "refused"


class _Payload:
    """Unpickling this creates a marker file: proof that code from the file ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_pickle_carrying_files_are_refused_without_running_code(tmp_path, protocol):
    marker = tmp_path / "code-ran"
    data = pickle.dumps({"weight": _Payload(str(marker))}, protocol=protocol)
    assert _load_outcome(tmp_path, data) == "refused"
    assert not marker.exists()


def test_pickle_after_a_plausible_header_length_is_refused_without_running_code(tmp_path):
    marker = tmp_path / "code-ran"
    payload = pickle.dumps(_Payload(str(marker)))
    data = len(payload).to_bytes(8, "little") + payload
    assert _load_outcome(tmp_path, data) == "refused"
    assert not marker.exists()


def test_torch_checkpoint_is_refused_without_running_code(tmp_path):
    torch = pytest.importorskip("torch", reason=NEEDS_TORCH)
    buf = io.BytesIO()
    torch.save({"weight": torch.ones(2)}, buf)
    assert _load_outcome(tmp_path, buf.getvalue()) == "refused"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00" * 7,
        b"\xff" * 64,
        b'{"weight": [1, 2, 3]}',
        b'\x08\x00\x00\x00\x00\x00\x00\x00{"a": 1}',
        b"\x02\x00\x00\x00\x00\x00\x00\x00[]",
        b"\x89HDF\r\n\x1a\n" + b"\x00" * 32,
        bytes(range(256)),
    ],
    ids=[
        "empty",
        "seven-zero-bytes",
        "all-ones",
        "json",
        "json-header-not-safetensors",
        "list-header",
        "hdf5",
        "bytes",
    ],
)
def test_wrong_format_files_are_refused(tmp_path, data):
    assert _load_outcome(tmp_path, data) == "refused"


def test_numpy_npz_file_is_refused(tmp_path):
    buf = io.BytesIO()
    onp.savez(buf, weight=onp.ones(3))
    assert _load_outcome(tmp_path, buf.getvalue()) == "refused"


def test_intact_file_loads_exactly(good, tmp_path):
    assert _load_outcome(tmp_path, good) == "loaded"


@pytest.mark.parametrize("key", ["aliases", "extra"])
def test_corrupted_metadata_is_refused(good, tmp_path, key):
    start = good.index(f'"{key}":"'.encode()) + len(key) + 4
    data = bytearray(good)
    data[start] ^= 0x01  # "{" becomes "z": the metadata is no longer JSON
    assert _load_outcome(tmp_path, bytes(data)) == "refused"
    with pytest.raises(zymo.CheckpointError, match="metadata"):
        zymo.io.read_extra(tmp_path / "bad.safetensors")
