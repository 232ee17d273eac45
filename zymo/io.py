"""Checkpoints: ``save`` / ``load`` a model (and optimiser state) in the safetensors format.

The file holds only arrays and a JSON header, so loading never runs code (no
pickle). Writes are atomic: the new file is written next to the old one,
flushed to disk and renamed over it, so a crash leaves either the old or the
new checkpoint, never a broken one. ``load`` checks everything (format,
checksum, structure, shapes, dtypes) before it touches the model, so a bad
file raises ``CheckpointError`` and leaves the model as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from .core.errors import ZymoError
from .core.namespace import foreign_namespace, is_foreign
from .devices import to_device, to_numpy
from .optim.state import OptimiserState
from .pytree_paths import arrays_by_path, distinct_arrays

__all__ = ["save", "load", "read_extra", "CheckpointError", "named_arrays", "write_atomically", "current_umask"]

FORMAT = "zymo-checkpoint"
VERSION = "1"
_MODEL = "model/"
_OPTIM = "optim/"


class CheckpointError(ZymoError, ValueError):
    """A checkpoint that cannot be read into the given model: wrong format, corrupted, or mismatched."""


def named_arrays(model) -> list[tuple[str, np.ndarray]]:
    """``(path, array)`` for every array in ``model`` (any dtype), paths as in ``zymo.nn.named_parameters``.

    Example:
        >>> import numpy as np
        >>> [p for p, _ in named_arrays({"w": np.ones(2), "layers": [np.zeros(1), np.arange(3)]})]
        ["['w']", "['layers'][0]", "['layers'][1]"]
    """
    return [(e.path, e.array) for e in arrays_by_path(model)]


def _model_tensors(model) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Each distinct array once under its first path, and ``{path: first path}`` for tied ones."""
    entries = arrays_by_path(model)
    tied = distinct_arrays(entries)
    tensors = {t.path: t.array for t in tied}
    first = {id(t.array): t.path for t in tied}
    aliases = {e.path: first[id(e.array)] for e in entries if e.path != first[id(e.array)]}
    return tensors, aliases


def _checksum(tensors: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for key in sorted(tensors):
        a = np.ascontiguousarray(tensors[key])
        h.update(f"{key}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _rules_description(state: OptimiserState) -> list[dict]:
    out = []
    for r in state.rule.rules():
        numbers = {k: v for k, v in r.hyperparameters().items() if isinstance(v, (int, float)) and not callable(v)}
        out.append({"rule": type(r).__name__, "settings": numbers})
    return out


_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process's file-creation mask, read without changing it where the system allows.

    Linux reports it in ``/proc/self/status``; elsewhere it is set and restored
    under a lock (``os.umask`` is the only portable way to read it).

    Example:
        >>> 0 <= current_umask() <= 0o777
        True
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def write_atomically(path: str | os.PathLike, data: bytes) -> None:
    """Replace ``path`` by ``data`` so that a crash leaves the old file or the new one, never a mix.

    The bytes go to a temporary file in the same folder, are flushed to disk,
    and the file is renamed over ``path``. The file gets the permissions that
    ``open(path, "w")`` would give it (``0o666`` less the umask).

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
        >>> write_atomically(path, b"hello")
        >>> open(path).read()
        'hello'
    """
    path = Path(path)
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes it 0o600
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def save(model, path: str | os.PathLike, state: OptimiserState | None = None, extra: dict | None = None) -> Path:
    """Write ``model``'s arrays (and the optimiser ``state``) to ``path`` atomically; returns the path.

    ``extra`` is any JSON-serialisable dict kept with the checkpoint (``read_extra``).

    Example:
        >>> import numpy as np, tempfile, os, zymo
        >>> model = {"w": np.arange(3.0)}
        >>> path = zymo.save(model, os.path.join(tempfile.mkdtemp(), "m.safetensors"))
        >>> zymo.load(path, into={"w": np.zeros(3)})["w"]
        array([0., 1., 2.])
    """
    from safetensors.numpy import save as st_save

    path = Path(path)
    model_tensors, aliases = _model_tensors(model)
    model_tensors = {k: to_numpy(v) for k, v in model_tensors.items()}  # arrays on a GPU are copied to the host
    tensors = {_MODEL + k: v for k, v in model_tensors.items()}
    meta: dict[str, str] = {"format": FORMAT, "version": VERSION, "aliases": json.dumps(aliases)}
    if state is not None:
        slot_keys: dict[str, dict[str, str]] = {}
        for i, (p, slots) in enumerate(state.slots.items()):
            if p not in model_tensors:
                raise CheckpointError(f"the optimiser state has an array `{p}` that the model does not have")
            slot_keys[p] = {}
            for name, a in slots.items():
                key = f"{_OPTIM}{i}/{name}"
                tensors[key] = to_numpy(a)
                slot_keys[p][name] = key
        meta["optimiser"] = json.dumps({"rules": _rules_description(state), "counts": state.counts, "slots": slot_keys})
    try:
        meta["extra"] = json.dumps(extra or {})
    except TypeError as e:
        raise CheckpointError(f"`extra` must be JSON-serialisable: {e}") from None
    for key, a in tensors.items():
        if a.dtype.kind == "c" or a.dtype == object:
            raise CheckpointError(f"cannot save `{key}`: dtype {a.dtype} is not supported by the safetensors format")
    tensors = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    meta["sha256"] = _checksum(tensors)
    write_atomically(path, st_save(tensors, metadata=meta))
    return path


def _sniff(data: bytes, path: Path) -> None:
    """Name the format of files that are clearly not safetensors."""
    if data[:1] == b"\x80" or data[:2] == b"PK":
        raise CheckpointError(
            f"{path} looks like a pickle or a PyTorch/zip file; zymo never loads pickle (loading it can run "
            "arbitrary code). Save the model with zymo.save, which writes the safetensors format"
        )
    if data[:6] == b"\x93NUMPY":
        raise CheckpointError(f"{path} is a NumPy .npy file, not a zymo checkpoint; save with zymo.save")
    if data[:4] == b"\x89HDF":
        raise CheckpointError(f"{path} is an HDF5 file, not a zymo checkpoint; save with zymo.save")


def _read(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The tensors and metadata of a zymo checkpoint, fully checked."""
    from safetensors import SafetensorError
    from safetensors.numpy import load as st_load

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint at {path}") from None
    except IsADirectoryError:
        raise CheckpointError(f"{path} is a directory, not a checkpoint file") from None
    _sniff(data, path)
    if len(data) < 8:
        raise CheckpointError(f"{path} is truncated or empty ({len(data)} bytes): not a safetensors checkpoint")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > len(data) - 8:
        raise CheckpointError(
            f"{path} is truncated or not a safetensors file: its header claims {header_len} bytes, "
            f"the file has {len(data) - 8} after the length field"
        )
    try:
        header = json.loads(data[8 : 8 + header_len])
        tensors = st_load(data)
    except (ValueError, SafetensorError) as e:
        raise CheckpointError(f"{path} is corrupted or truncated ({e})") from None
    meta = header.get("__metadata__") or {}
    if meta.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is a safetensors file but not a zymo checkpoint (no zymo metadata); "
            f"it holds {len(tensors)} arrays. Save with zymo.save"
        )
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path} has checkpoint version {meta.get('version')!r}; this zymo reads {VERSION}")
    if _checksum(tensors) != meta.get("sha256"):
        raise CheckpointError(f"{path} is corrupted: its arrays do not match the checksum written with them")
    for key in ("aliases", "optimiser", "extra"):  # not covered by the checksum
        try:
            json.loads(meta.get(key, "{}"))
        except ValueError:
            raise CheckpointError(f"{path} is corrupted: its `{key}` metadata is not valid JSON") from None
    return tensors, meta


def _castable(stored: np.dtype, target: np.dtype) -> bool:
    return np.can_cast(stored, target, casting="same_kind")


def _check_model(path: Path, tensors: dict, meta: dict, model, cast: bool = False) -> dict[str, np.ndarray]:
    """``{first path: target array}`` after checking the file's structure, shapes and dtypes against ``model``."""
    targets, aliases = _model_tensors(model)
    stored = {k[len(_MODEL) :] for k in tensors if k.startswith(_MODEL)}
    missing, unexpected = sorted(set(targets) - stored), sorted(stored - set(targets))
    if missing or unexpected:
        raise CheckpointError(
            f"{path} does not fit this model: structure mismatch"
            + (f"; missing from the file: {', '.join(missing)}" if missing else "")
            + (f"; in the file but not in the model: {', '.join(unexpected)}" if unexpected else "")
        )
    if json.loads(meta.get("aliases", "{}")) != aliases:
        raise CheckpointError(
            f"{path} does not fit this model: the model's tied (shared) arrays differ from the file's"
        )
    problems = []
    for p, a in targets.items():
        t = tensors[_MODEL + p]
        if t.shape != a.shape:
            problems.append(f"`{p}` has shape {t.shape} in the file, {a.shape} in the model")
        elif t.dtype != a.dtype and not (cast and _castable(t.dtype, a.dtype)):
            problems.append(f"`{p}` has dtype {t.dtype} in the file, {a.dtype} in the model")
    if problems:
        hint = ""
        if not cast and all("dtype" in m for m in problems):
            hint = " (pass cast=True to convert the file's arrays to the model's dtypes)"
        raise CheckpointError(f"{path} does not fit this model: " + "; ".join(problems) + hint)
    for p, a in targets.items():
        if not a.flags.writeable:
            raise CheckpointError(f"cannot load into `{p}`: the model's array is read-only")
    return targets


def _check_state(path: Path, tensors: dict, meta: dict, state: OptimiserState, targets: dict, cast: bool = False):
    """The optimiser's new slots and counts, after checking them against ``state``'s rule and the model."""
    if "optimiser" not in meta:
        raise CheckpointError(f"{path} holds no optimiser state; save it with zymo.save(model, path, state=state)")
    info = json.loads(meta["optimiser"])
    names = [d["rule"] for d in info["rules"]]
    ours = [type(r).__name__ for r in state.rule.rules()]
    if names != ours:
        raise CheckpointError(f"{path} holds the state of {' + '.join(names)}, not of {' + '.join(ours)}")
    slots: dict[str, dict[str, np.ndarray]] = {}
    for p, keys in info["slots"].items():
        if p not in targets:
            raise CheckpointError(f"{path}: optimiser state for `{p}`, which the model does not have")
        fresh = state.rule.init(targets[p])
        if set(fresh) != set(keys):
            raise CheckpointError(
                f"{path}: optimiser state of `{p}` has {sorted(keys)}, the rule keeps {sorted(fresh)}"
            )
        for name, key in keys.items():
            t = tensors[key]
            same_dtype = t.dtype == fresh[name].dtype or (cast and _castable(t.dtype, fresh[name].dtype))
            if t.shape != fresh[name].shape or not same_dtype:
                raise CheckpointError(
                    f"{path}: optimiser state `{name}` of `{p}` is {t.dtype}{list(t.shape)}, "
                    f"expected {fresh[name].dtype}{list(fresh[name].shape)}"
                )
            np.copyto(fresh[name], t)
        slots[p] = fresh
    return slots, {p: int(n) for p, n in info["counts"].items()}, info["rules"]


def load(path: str | os.PathLike, into=None, state: OptimiserState | None = None, *, cast: bool = False, device=None):
    """Read a checkpoint into ``into``'s arrays in place (and into ``state``); returns ``into``.

    Everything is checked before anything is written: a file of the wrong
    format, a truncated or corrupted file, or one whose structure, shapes or
    dtypes differ from ``into`` raises ``CheckpointError`` and changes nothing.
    ``cast=True`` converts arrays stored in another floating dtype (a float32
    file into a float64 model) instead. With ``state``, the optimiser's
    per-array state, update counts and numeric settings are restored too.
    Without ``into``, the model's arrays are returned as a dict ``{path: array}``
    (paths as in ``zymo.nn.named_parameters``), so a file can be inspected
    without the model it was saved from.

    Arrays on a GPU (CuPy) or of another array library are loaded in place on their device.
    ``device`` (``"cpu"``, ``"cuda"``, a library's device object) puts the result there instead:
    the returned model (a moved copy when it moves) and ``state``'s slots.

    Example:
        >>> import numpy as np, tempfile, os, zymo
        >>> path = zymo.save({"w": np.ones(2)}, os.path.join(tempfile.mkdtemp(), "m.safetensors"))
        >>> zymo.load(path, into={"w": np.zeros(3)})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        zymo.io.CheckpointError: ... `['w']` has shape (2,) in the file, (3,) in the model
        >>> zymo.load(path)
        {"['w']": array([1., 1.])}
        >>> zymo.load(path, into={"w": np.zeros(2, np.float32)}, cast=True)["w"]
        array([1., 1.], dtype=float32)
    """
    if device is not None:
        loaded = load(path, into, state, cast=cast)
        if state is not None:
            state.slots = to_device(state, device).slots
        return to_device(loaded, device)
    if into is not None and any(is_foreign(e.array) for e in arrays_by_path(into)):
        return _load_on_device(path, into, state, cast)
    path = Path(path)
    tensors, meta = _read(path)
    if into is None:
        if state is not None:
            raise CheckpointError("optimiser state is loaded with its model: zymo.load(path, into=model, state=state)")
        arrays = {k[len(_MODEL) :]: v for k, v in tensors.items() if k.startswith(_MODEL)}
        for alias, first in json.loads(meta.get("aliases", "{}")).items():
            arrays[alias] = arrays[first]
        return arrays
    targets = _check_model(path, tensors, meta, into, cast)
    restored = _check_state(path, tensors, meta, state, targets, cast) if state is not None else None
    for p, a in targets.items():
        np.copyto(a, tensors[_MODEL + p], casting="same_kind")
    if restored is not None:
        slots, counts, rules = restored
        state.slots, state.counts = slots, counts
        for r, d in zip(state.rule.rules(), rules):
            for k, v in d["settings"].items():
                setattr(r, k, v)
    return into


def _load_on_device(path, into, state: OptimiserState | None, cast: bool):
    """``load`` into a model whose arrays are on another device: checked and read on the host, then copied over."""
    host = to_device(into, "cpu")
    host_state = to_device(state, "cpu") if state is not None else None
    load(path, host, host_state, cast=cast)
    device = None
    for target, value in zip(arrays_by_path(into), arrays_by_path(host)):
        a = target.array
        if is_foreign(a):
            xp = foreign_namespace(a)
            device = a.device
            a[...] = xp.asarray(value.array, dtype=a.dtype, device=a.device)
        else:
            np.copyto(a, value.array, casting="same_kind")
    if state is not None:
        state.slots = to_device(host_state, device if device is not None else "cpu").slots
        state.counts = host_state.counts
    return into


def read_extra(path: str | os.PathLike) -> dict[str, Any]:
    """The ``extra`` dict saved with a checkpoint (after checking the file).

    Example:
        >>> import numpy as np, tempfile, os, zymo
        >>> path = zymo.save({"w": np.ones(1)}, os.path.join(tempfile.mkdtemp(), "m.safetensors"), extra={"epoch": 3})
        >>> read_extra(path)
        {'epoch': 3}
    """
    _, meta = _read(Path(path))
    return json.loads(meta.get("extra", "{}"))
