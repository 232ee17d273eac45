"""``ChannelsFirst``: run a channels-last layer on PyTorch's ``(batch, channels, *spatial)`` layout."""

from __future__ import annotations

import numpy as np

from .._rules.helpers import shape_of
from ..core.errors import ShapeError, user_location
from .module import Module, _layout, describe

__all__ = ["ChannelsFirst"]


class ChannelsFirst(Module):
    """``layer`` applied to inputs whose channels are on axis 1, as PyTorch's convolution and pooling layers.

    The input ``(batch, channels, *spatial)`` is moved to ``(batch, *spatial,
    channels)``, ``layer`` runs, and its output is moved back. ``nn.from_torch``
    wraps the layers it converts from ``torch.nn.Conv2d``, ``MaxPool2d`` and
    the like in it, so converted code runs unchanged.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import ChannelsFirst, Conv
        >>> layer = ChannelsFirst(Conv(3, 8, (3, 3), rng=np.random.default_rng(0)))
        >>> layer
        ChannelsFirst(Conv(3 => 8, (3, 3)))
        >>> layer(np.ones((2, 3, 10, 10), np.float32)).shape
        (2, 8, 8, 8)
    """

    def __init__(self, layer):
        self.layer = layer

    def __call__(self, x):
        nd = len(shape_of(x))
        if nd < 3:
            raise ShapeError(
                f"{self!r} expects an input (batch, channels, *spatial), got shape {shape_of(x)} (at {user_location()})"
            )
        y = self.layer(np.moveaxis(x, 1, -1))
        return np.moveaxis(y, -1, 1)

    def __repr__(self) -> str:
        return _layout("ChannelsFirst", [describe(self.layer)])
