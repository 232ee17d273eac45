"""Mini-batches: ``DataLoader``, and padding of variable-length sequences with their lengths."""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from .core.errors import ShapeError
from .seeding import default_generator

__all__ = ["DataLoader", "pad_sequences", "length_mask"]


def pad_sequences(
    sequences: Sequence[np.ndarray], value: float = 0.0, maxlen: int | None = None, dtype=None
) -> tuple[np.ndarray, np.ndarray]:
    """Stack sequences of different lengths into ``(batch, time, ...)``, padded at the end with ``value``.

    Returns the padded array and the lengths (``int64``). Sequences longer than
    ``maxlen`` are cut to ``maxlen``. Every sequence must have the same trailing shape.

    Example:
        >>> import numpy as np
        >>> x, lengths = pad_sequences([np.array([1.0, 2.0, 3.0]), np.array([4.0])])
        >>> x
        array([[1., 2., 3.],
               [4., 0., 0.]])
        >>> lengths
        array([3, 1])
    """
    seqs = [np.asarray(s) for s in sequences]
    if not seqs:
        raise ShapeError("pad_sequences needs at least one sequence")
    for i, s in enumerate(seqs):
        if s.ndim == 0:
            raise ShapeError(f"sequence {i} is a scalar; each sequence needs a time axis first")
        if s.shape[1:] != seqs[0].shape[1:]:
            raise ShapeError(
                f"sequence {i} has feature shape {s.shape[1:]}, sequence 0 has {seqs[0].shape[1:]}; "
                "only the first (time) axis may differ"
            )
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    if maxlen is not None:
        lengths = np.minimum(lengths, maxlen)
    T = int(lengths.max()) if maxlen is None else maxlen
    dtype = dtype or np.result_type(*seqs)
    out = np.full((len(seqs), T) + seqs[0].shape[1:], value, dtype=dtype)
    for i, (s, n) in enumerate(zip(seqs, lengths)):
        out[i, :n] = s[:n]
    return out, lengths


def length_mask(lengths: np.ndarray, time: int | None = None, dtype=np.float64) -> np.ndarray:
    """``(batch, time)`` mask: 1 where a step is inside its sequence, 0 in the padding.

    Example:
        >>> length_mask(np.array([2, 1]), 3)
        array([[1., 1., 0.],
               [1., 0., 0.]])
    """
    lengths = np.asarray(lengths)
    T = int(lengths.max()) if time is None else time
    return (np.arange(T)[None, :] < lengths[:, None]).astype(dtype)


def _is_ragged(field) -> bool:
    return isinstance(field, (list, tuple)) and len(field) > 0 and all(hasattr(s, "shape") for s in field)


class DataLoader:
    """Iterate over mini-batches of one or more arrays that share their first axis.

    Each batch is a tuple with one entry per array (or the batch itself when a
    single array is given). A field given as a list of arrays of different
    lengths (variable-length sequences) comes out as ``(padded, lengths)``, see
    ``pad_sequences``. With ``shuffle`` the order is redrawn each epoch from
    ``rng`` (a seed or a ``numpy.random.Generator``; by default zymo's shared generator, which
    ``zymo.seed`` reseeds), so a seed fixes the order.

    Example:
        >>> import numpy as np
        >>> loader = DataLoader((np.arange(5.0), np.arange(5)), batch_size=2, shuffle=False)
        >>> [y.tolist() for _, y in loader]
        [[0, 1], [2, 3], [4]]
        >>> len(DataLoader(np.zeros((5, 3)), batch_size=2, drop_last=True))
        2
    """

    def __init__(self, arrays, batch_size: int = 32, shuffle: bool = True, rng=None, drop_last: bool = False):
        self.single = not isinstance(arrays, tuple)
        fields = (arrays,) if self.single else arrays
        if not fields:
            raise ShapeError("DataLoader needs at least one array")
        self.fields = [f if _is_ragged(f) else np.asarray(f) for f in fields]
        sizes = [len(f) for f in self.fields]
        if any(getattr(f, "ndim", 1) == 0 for f in self.fields):
            raise ShapeError("DataLoader arrays need a first (sample) axis; got a scalar")
        if len(set(sizes)) != 1:
            raise ShapeError(f"DataLoader arrays must have the same number of samples (first axis), got {sizes}")
        if sizes[0] == 0:
            raise ShapeError("DataLoader got no samples")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.n = sizes[0]
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        if rng is None:
            self.rng = default_generator()
        else:
            self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)

    def __len__(self) -> int:
        return self.n // self.batch_size if self.drop_last else -(-self.n // self.batch_size)

    def _take(self, field, idx):
        if isinstance(field, np.ndarray):
            return field[idx]
        return pad_sequences([field[i] for i in idx])

    def batch_indices(self) -> Iterator[np.ndarray]:
        """The sample indices of each batch of one epoch (the order is drawn from ``rng`` when iteration starts).

        Example:
            >>> [i.tolist() for i in DataLoader(np.zeros(5), batch_size=2, shuffle=False).batch_indices()]
            [[0, 1], [2, 3], [4]]
        """
        order = self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        for b in range(len(self)):
            yield order[b * self.batch_size : (b + 1) * self.batch_size]

    def batch(self, indices: np.ndarray):
        """The batch of the samples at ``indices``, as iteration gives it."""
        batch = tuple(self._take(f, indices) for f in self.fields)
        return batch[0] if self.single else batch

    def __iter__(self) -> Iterator:
        for indices in self.batch_indices():
            yield self.batch(indices)
