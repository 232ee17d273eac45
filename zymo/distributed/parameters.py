"""Every rank starts from the same model: ``check_same_structure`` compares the ranks' trees, ``broadcast_parameters``
copies rank 0's values to the others."""

from __future__ import annotations

import json

import numpy as np

from ..core.errors import ZymoError
from ..io import named_arrays
from ..optim.state import OptimiserState
from .collectives import allgather_bytes, broadcast_array, broadcast_json
from .faults import raised_on_every_rank

__all__ = ["ParameterMismatchError", "check_same_structure", "broadcast_parameters", "broadcast_optimiser_state"]

_MAX_LISTED = 10


class ParameterMismatchError(ZymoError, ValueError):
    """The ranks' models (or optimiser states) differ in structure, shape or dtype, so they cannot train together."""


def _distinct_arrays(model) -> list[tuple[str, np.ndarray]]:
    seen: set[int] = set()
    out = []
    for path, a in named_arrays(model):
        if id(a) not in seen:
            seen.add(id(a))
            out.append((path, a))
    return out


def _describe(model, state: OptimiserState | None) -> dict[str, str]:
    """``{name: "shape dtype"}`` for every array of the model and of the optimiser state."""
    out = {f"model `{path}`": f"shape {a.shape} {a.dtype}" for path, a in named_arrays(model)}
    if state is not None:
        for path in sorted(state.slots):
            for name, a in sorted(state.slots[path].items()):
                out[f"optimiser state `{path}` {name}"] = f"shape {np.shape(a)} {np.asarray(a).dtype}"
    return out


def _differences(reference: dict[str, str], other: dict[str, str], rank: int) -> list[str]:
    lines = []
    for name, description in reference.items():
        if name not in other:
            lines.append(f"{name}: rank 0 has it ({description}), rank {rank} does not")
        elif other[name] != description:
            lines.append(f"{name}: {description} on rank 0, {other[name]} on rank {rank}")
    lines += [
        f"{name}: rank {rank} has it ({d}), rank 0 does not" for name, d in other.items() if name not in reference
    ]
    return lines


def check_same_structure(model, state: OptimiserState | None = None) -> None:
    """Raise ``ParameterMismatchError`` on every rank, naming the arrays, if the ranks' trees differ.

    Compares the paths, shapes and dtypes of ``model``'s arrays (and of the
    optimiser ``state``'s) across the ranks; call it on every rank.

    Example:
        >>> import numpy as np
        >>> from zymo import distributed
        >>> distributed.check_same_structure({"w": np.zeros(3)})  # one rank: nothing to compare
    """
    mine = json.dumps(_describe(model, state)).encode()
    everyone = allgather_bytes(mine, "check_same_structure")
    if all(d == everyone[0] for d in everyone):
        return
    reference = json.loads(everyone[0])
    lines = []
    for rank, data in enumerate(everyone[1:], start=1):
        lines += _differences(reference, json.loads(data), rank)
    listed = "\n  ".join(lines[:_MAX_LISTED]) + (
        f"\n  ... and {len(lines) - _MAX_LISTED} more" if lines[_MAX_LISTED:] else ""
    )
    raise raised_on_every_rank(
        ParameterMismatchError(
            f"the ranks built different models, so their gradients cannot be averaged:\n  {listed}\n"
            "Every rank must build the same model (same layers, sizes and dtype) and the same optimiser; "
            "only the values may differ (rank 0's are copied to the others)."
        )
    )


def broadcast_parameters(model, root: int = 0) -> None:
    """Overwrite every array of ``model`` (in place) with its values on rank ``root``.

    Call it on every rank, after ``check_same_structure``.

    Example:
        >>> import numpy as np
        >>> from zymo import distributed
        >>> model = {"w": np.arange(3.0)}
        >>> distributed.broadcast_parameters(model); model["w"]
        array([0., 1., 2.])
    """
    for path, a in _distinct_arrays(model):
        broadcast_array(a, root, f"broadcast_parameters (`{path}`)")


def broadcast_optimiser_state(state: OptimiserState, root: int = 0) -> None:
    """Give every rank rank ``root``'s optimiser state (per-array state and update counts), in place.

    Example:
        >>> import numpy as np
        >>> from zymo import distributed, optim
        >>> state = optim.setup(optim.Momentum(), {"w": np.zeros(2)})
        >>> distributed.broadcast_optimiser_state(state); state.step
        0
    """
    for path in sorted(state.slots):
        for name in sorted(state.slots[path]):
            slot = state.slots[path][name]
            if isinstance(slot, np.ndarray):
                broadcast_array(slot, root, f"broadcast_optimiser_state (`{path}` {name})")
    state.counts = {k: int(v) for k, v in broadcast_json(state.counts, root, "broadcast_optimiser_state").items()}
