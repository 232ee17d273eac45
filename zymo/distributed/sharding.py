"""Each rank takes its own part of every batch: ``shard(loader)`` splits the batches of a ``DataLoader``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from ..core.errors import ZymoError
from ..data import DataLoader
from .runtime import rank as _rank
from .runtime import size as _size

__all__ = ["Shard", "ShardedLoader", "shard", "part"]


@dataclass(frozen=True)
class Shard:
    """This rank's part of one batch: the batch (``None`` when the part is empty), its samples, the batch's samples."""

    batch: Any
    count: int
    total: int

    @property
    def weight(self) -> float:
        """This part's share of the batch, ``count / total``: the weight of its gradient in the average."""
        return self.count / self.total


def part(indices: np.ndarray, rank: int, size: int) -> np.ndarray:
    """Rank ``rank``'s contiguous part of ``indices`` split into ``size`` parts (the first ones one longer if uneven).

    Example:
        >>> [part(np.arange(5), r, 2).tolist() for r in range(2)]
        [[0, 1, 2], [3, 4]]
    """
    base, extra = divmod(len(indices), size)
    start = rank * base + min(rank, extra)
    return indices[start : start + base + (1 if rank < extra else 0)]


class ShardedLoader:
    """A ``DataLoader`` seen from one rank: each batch of the epoch, cut into one part per rank.

    Every rank draws the same epoch order (the loaders' ``rng`` must agree;
    ``zymo.train(..., distributed=True)`` copies rank 0's), so the parts are
    disjoint and together make up the batch. ``batch_size`` is the batch of all
    ranks together: with the same settings, 1 or N ranks train on the same batches.
    """

    def __init__(self, loader: DataLoader, rank: int, size: int):
        if not isinstance(loader, DataLoader):
            raise ZymoError(
                f"distributed training splits a zymo.data.DataLoader across the ranks, got {type(loader).__name__}; "
                "wrap the arrays in zymo.data.DataLoader(arrays, batch_size, rng=seed)"
            )
        smallest = min(loader.batch_size, loader.n)
        if smallest < size:
            raise ZymoError(
                f"a batch of {smallest} samples cannot give each of the {size} ranks at least one; "
                f"use a batch size of at least {size} (it is the batch of all ranks together)"
            )
        self.loader, self.rank, self.size = loader, rank, size

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[Shard]:
        for indices in self.loader.batch_indices():
            mine = part(indices, self.rank, self.size)
            batch = self.loader.batch(mine) if len(mine) else None
            yield Shard(batch, len(mine), len(indices))


def shard(loader: DataLoader, rank: int | None = None, size: int | None = None) -> ShardedLoader:
    """This rank's parts of ``loader``'s batches (``rank`` and ``size`` default to this process's).

    Example:
        >>> import numpy as np
        >>> from zymo.data import DataLoader
        >>> loader = DataLoader(np.arange(5.0), batch_size=4, shuffle=False)
        >>> [(s.count, s.weight) for s in shard(loader, rank=1, size=2)]  # the last batch has one sample
        [(2, 0.5), (0, 0.0)]
    """
    return ShardedLoader(loader, _rank() if rank is None else rank, _size() if size is None else size)
