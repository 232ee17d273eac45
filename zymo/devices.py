"""Moving models, optimiser states and arrays between devices: ``zymo.to_device(tree, "cuda" | "cpu")``.

``"cpu"`` gives NumPy arrays; ``"cuda"`` (or ``"cuda:N"``) gives CuPy arrays on that GPU. A device
object of another array library (for example ``array_api_strict.Device("device1")``) gives that
library's arrays on it. Every array leaf of the tree moves; Python numbers, strings and other leaves
stay as they are. ``zymo.nn`` modules and ``OptimiserState`` objects move as a whole (a moved copy is
returned; the original is unchanged).

Asking for ``cuda`` on a machine without CuPy or without a GPU raises ``DeviceError`` with the install
command.

Example:
    >>> import numpy as np, zymo
    >>> zymo.to_device({"w": np.ones(2)}, "cpu")
    {'w': array([1., 1.])}
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import numpy as np

from .core.errors import ZymoError, user_location
from .core.namespace import device_name, is_foreign, library_name
from .core.pytree import tree_map
from .core.tracer import Tracer

__all__ = ["to_device", "to_numpy", "DeviceError", "CUPY_INSTALL", "cupy_or_error", "device_of"]

CUPY_INSTALL = "pip install cupy-cuda12x"


class DeviceError(ZymoError, RuntimeError):
    """A device that cannot be used here (no CuPy, no GPU, an unknown name)."""


def _where() -> str:
    location = user_location()
    return "asked for on the command line" if location.startswith("<") else f"at {location}"


def cupy_or_error(device: str = "cuda"):
    """The ``cupy`` module if it is installed and sees a GPU; else ``DeviceError`` saying what is missing.

    Example:
        >>> from zymo.devices import cupy_or_error, DeviceError
        >>> try:
        ...     cupy_or_error()
        ... except DeviceError as e:
        ...     "pip install cupy-cuda12x" in str(e)
        True
    """
    try:
        import cupy
    except ImportError:
        raise DeviceError(
            f"device {device!r} needs CuPy, which is not installed ({_where()}). Fix: `{CUPY_INSTALL}` "
            "(for CUDA 12; `pip install cupy-cuda11x` for CUDA 11) on a machine with an NVIDIA GPU, or use "
            "device 'cpu'."
        ) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CuPy raises its own CUDA errors when there is no driver
        raise DeviceError(
            f"device {device!r}: CuPy is installed but finds no CUDA GPU ({e}) ({_where()}). "
            "Fix: run on a machine with an NVIDIA GPU and its driver, or use device 'cpu'."
        ) from None
    if count == 0:
        raise DeviceError(f"device {device!r}: CuPy finds no CUDA GPU ({_where()}). Fix: use device 'cpu'.")
    return cupy


def _cuda_index(device: str) -> int:
    if device == "cuda":
        return 0
    try:
        return int(device.split(":", 1)[1])
    except ValueError:
        raise DeviceError(f"unknown device {device!r}: use 'cpu', 'cuda' or 'cuda:N'") from None


def to_numpy(x: Any) -> np.ndarray:
    """An array of any library as a NumPy array on the host (NumPy arrays are returned as they are)."""
    if type(x) is np.ndarray:
        return x
    if isinstance(x, (np.generic, int, float, complex)):
        return np.asarray(x)
    library = library_name(x)
    if library == "cupy":
        return x.get()
    if library == "array_api_strict":
        import array_api_strict

        return np.from_dlpack(x.to_device(array_api_strict.Device("CPU_DEVICE")))
    if library == "torch":
        return x.detach().cpu().numpy()
    return np.from_dlpack(x)


def _move(x: Any, device: Any) -> Any:
    if type(x) is Tracer:
        raise DeviceError(
            f"a traced value cannot change device inside differentiated code (at {user_location()}). "
            "Fix: move the model and data with zymo.to_device before calling zymo.grad."
        )
    if not (type(x) is np.ndarray or is_foreign(x)):
        return x
    if isinstance(device, str):
        if device == "cpu":
            return to_numpy(x)
        if device == "cuda" or device.startswith("cuda:"):
            cupy = cupy_or_error(device)
            with cupy.cuda.Device(_cuda_index(device)):
                return cupy.asarray(x if library_name(x) == "cupy" else to_numpy(x))
        raise DeviceError(f"unknown device {device!r} (at {user_location()}): use 'cpu', 'cuda' or 'cuda:N'")
    library = import_module(type(device).__module__.split(".")[0])
    if is_foreign(x) and getattr(x, "device", None) == device:
        return x
    if library.__name__ == "cupy":  # CuPy's asarray takes no device: the device is a context
        with device:
            return library.asarray(to_numpy(x))
    return library.asarray(to_numpy(x), device=device, copy=True)  # never a view of the source's memory


def _move_state(state, device):
    from .optim.state import OptimiserState

    moved = OptimiserState(state.rule, state.mask)
    moved.slots = {p: {k: _move(v, device) for k, v in slots.items()} for p, slots in state.slots.items()}
    moved.counts = dict(state.counts)
    return moved


def to_device(tree: Any, device: Any) -> Any:
    """``tree`` (arrays, a model, an optimiser state, or containers of them) with its arrays on ``device``.

    ``device`` is ``"cpu"`` (NumPy), ``"cuda"``/``"cuda:N"`` (CuPy), or a device object of an array
    library. Returns the tree with its arrays moved (copied; arrays already on ``device`` are kept as
    they are); leaves that are not arrays are kept.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.optim import Adam, setup
        >>> model = {"w": np.ones(3)}
        >>> model, state = zymo.to_device((model, setup(Adam(), model)), "cpu")
        >>> type(model["w"]).__name__
        'ndarray'
    """
    from .optim.state import OptimiserState

    if isinstance(device, str) and (device == "cuda" or device.startswith("cuda:")):
        cupy_or_error(device)

    def move(x):
        if isinstance(x, OptimiserState):
            return _move_state(x, device)
        return _move(x, device)

    if isinstance(tree, OptimiserState):
        return _move_state(tree, device)
    return tree_map(move, tree)  # an OptimiserState is not a container, so it reaches ``move`` whole


def device_of(tree: Any) -> str:
    """The device of the first array in ``tree``, in words (``"cpu"`` when it holds NumPy arrays or none)."""
    from .core.pytree import tree_leaves

    for leaf in tree_leaves(tree):
        if type(leaf) is np.ndarray or is_foreign(leaf):
            return device_name(leaf)
    return "cpu"


Tracer.to_device = lambda self, device, /, *, stream=None: to_device(self, device)
