"""Random numbers drawn where the arrays live: NumPy's generator on the host, CuPy's on a GPU.

Initialisers and ``Dropout`` hold a ``numpy.random.Generator``. For NumPy arrays they draw with it
directly. For CuPy arrays they draw on the GPU with a ``cupy.random.RandomState`` that is seeded once
from the NumPy generator (one integer drawn from it the first time that generator meets that GPU)
and kept for later draws, so a seeded generator still reproduces every draw and no random numbers
cross the bus. A library without a random number generator of its own (``array_api_strict``, whose
standard has none) gets the numbers drawn on the host with the NumPy generator and copied to its
device once per draw.

CuPy is imported only when an array or a device name asks for it.

Example:
    >>> import numpy as np
    >>> from zymo.nn.device_random import uniform
    >>> uniform(np.random.default_rng(0), 0.0, 1.0, (2,)).shape
    (2,)
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from ..core.namespace import is_foreign

__all__ = ["uniform", "normal", "device_of_array", "to_target"]

_MAX_GENERATORS = 64
# (id of the NumPy generator, GPU index) -> (that generator, kept so its id is not reused; CuPy's state)
_cupy_states: OrderedDict = OrderedDict()


def device_of_array(x) -> Any:
    """The device to draw for so the numbers meet ``x``: None for NumPy (and non-arrays), else ``x.device``."""
    return x.device if is_foreign(x) else None


def _cupy_target(device):
    """``(cupy, GPU index)`` when ``device`` is a CuPy device or a ``cuda`` name, else None."""
    if isinstance(device, str):
        if device == "cpu":
            return None
        from ..devices import _cuda_index, cupy_or_error

        return cupy_or_error(device), _cuda_index(device)
    if type(device).__module__.split(".")[0] == "cupy":
        import cupy

        return cupy, int(device.id)
    return None


def _cupy_state(rng: np.random.Generator, cupy, index: int):
    key = (id(rng), index)
    entry = _cupy_states.get(key)
    if entry is None or entry[0] is not rng:
        seed = int(rng.integers(2**63))
        with cupy.cuda.Device(index):
            entry = _cupy_states[key] = (rng, cupy.random.RandomState(seed))
        while len(_cupy_states) > _MAX_GENERATORS:
            _cupy_states.popitem(last=False)
    else:
        _cupy_states.move_to_end(key)
    return entry[1]


def to_target(host: np.ndarray, device) -> Any:
    """A host array on ``device`` (None: left as it is), copied once."""
    if device is None:
        return host
    from ..devices import to_device

    return to_device(host, device)


def _draw(rng: np.random.Generator, device, on_host, on_cupy, dtype):
    cupy_target = None if device is None else _cupy_target(device)
    if cupy_target is not None:
        cupy, index = cupy_target
        state = _cupy_state(rng, cupy, index)
        with cupy.cuda.Device(index):
            return on_cupy(state).astype(np.dtype(dtype), copy=False)
    return to_target(on_host().astype(dtype, copy=False), device)


def uniform(rng: np.random.Generator, low: float, high: float, shape: tuple, *, device=None, dtype=np.float64):
    """Uniform numbers on ``[low, high)`` of ``shape`` and ``dtype``, on ``device`` (None: NumPy).

    Example:
        >>> import numpy as np
        >>> from zymo.nn.device_random import uniform
        >>> bool(np.all(uniform(np.random.default_rng(0), -1.0, 1.0, (5,)) < 1))
        True
    """
    return _draw(
        rng,
        device,
        lambda: rng.uniform(low, high, shape),
        lambda state: state.uniform(low, high, shape, dtype=np.float64),
        dtype,
    )


def normal(rng: np.random.Generator, std: float, shape: tuple, *, device=None, dtype=np.float64):
    """``std`` times standard normal numbers, of ``shape`` and ``dtype``, on ``device`` (None: NumPy).

    Example:
        >>> import numpy as np
        >>> from zymo.nn.device_random import normal
        >>> normal(np.random.default_rng(0), 2.0, (2, 3)).shape
        (2, 3)
    """
    return _draw(
        rng,
        device,
        lambda: std * rng.standard_normal(shape),
        lambda state: std * state.standard_normal(shape, np.float64),
        dtype,
    )
