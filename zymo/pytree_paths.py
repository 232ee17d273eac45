"""The arrays of a pytree by path (``layers[0].weight``, ``['w']``): one walker for names, checkpoints and optimisers.

The walk follows optree's nodes, and a path writes each key as the path
entry type the node's class is registered with says: ``.name`` for a field
(``zymo.nn.Module`` registers ``optree.GetAttrEntry``, namedtuples and
dataclasses too), ``[i]`` for a sequence item, ``[key!r]`` for a mapping
entry or any other key; a leading ``.`` is dropped. Arrays are
the leaves of type ``numpy.ndarray``; every other leaf is passed over. Dicts
are walked in insertion order (optree sorts their keys), so the order of the
arrays is that of the containers as they were built.

A node may declare fields whose arrays are not trained: if it has a method
``is_trainable(name)`` (``zymo.nn.Module`` has), the arrays below a field it
answers ``False`` for are marked untrainable.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, NamedTuple

import numpy as np
import optree

from .core.namespace import is_foreign
from .core.pytree import NAMESPACE, tree_flatten, tree_unflatten

__all__ = ["ArrayAtPath", "TiedArray", "arrays_by_path", "distinct_arrays", "trainable_mask"]


class ArrayAtPath(NamedTuple):
    """One array leaf of a pytree: its path, the array, whether it is trained, its index among all leaves."""

    path: str
    array: np.ndarray
    trainable: bool
    leaf: int


class TiedArray(NamedTuple):
    """One distinct array and every path it appears at, the first (its name in checkpoints) first."""

    paths: tuple[str, ...]
    array: np.ndarray
    trainable: bool

    @property
    def path(self) -> str:
        """The first path the array appears at."""
        return self.paths[0]


_ENTRY_TYPES: dict[type, type] = {}


def _writer(node) -> Callable[[Any], str]:
    """How a key of ``node`` is written in a path, from the entry type ``node``'s class is registered with."""
    cls = type(node)
    if cls is list or cls is tuple:
        return _index
    entry_type = _ENTRY_TYPES.get(cls)
    if entry_type is None:
        entry_type = _ENTRY_TYPES[cls] = optree.register_pytree_node.get(cls, namespace=NAMESPACE).path_entry_type
    if issubclass(entry_type, optree.NamedTupleEntry):
        return lambda i: f".{optree.namedtuple_fields(node)[i]}"
    if issubclass(entry_type, optree.StructSequenceEntry):
        return lambda i: f".{optree.structseq_fields(node)[i]}"
    if issubclass(entry_type, (optree.GetAttrEntry, optree.DataclassEntry)):
        return _attribute
    if issubclass(entry_type, optree.SequenceEntry):
        return _index
    return _item


def _attribute(key) -> str:
    return f".{key}"


def _item(key) -> str:
    return f"[{key!r}]"


def _index(i: int) -> str:
    return f"[{i}]"


def _declares_frozen(node, key) -> bool:
    is_trainable = getattr(node, "is_trainable", None)
    return callable(is_trainable) and isinstance(key, str) and not is_trainable(key)


def _walk(node, path: str, trainable: bool, leaves: list[int], out: list) -> None:
    """Append ``node``'s array leaves to ``out``; ``leaves[0]`` counts the leaves seen, in optree's order."""
    if type(node) is np.ndarray or is_foreign(node):
        out.append(ArrayAtPath(path[1:] if path.startswith(".") else path, node, trainable, leaves[0]))
        leaves[0] += 1
        return
    if optree.tree_is_leaf(node, none_is_leaf=True, namespace=NAMESPACE):
        leaves[0] += 1
        return
    if type(node) is list or type(node) is tuple:
        children, keys = node, range(len(node))
    else:
        children, _, keys, _ = optree.tree_flatten_one_level(node, none_is_leaf=True, namespace=NAMESPACE)
    write = _writer(node)
    parts = {}
    for key, child in zip(keys, children):
        parts[key] = found = []
        _walk(child, path + write(key), trainable and not _declares_frozen(node, key), leaves, found)
    # optree sorts the keys of dicts; the arrays come in the order the dict was built
    for key in node if isinstance(node, dict) else keys:
        out.extend(parts[key])


def arrays_by_path(tree: Any) -> list[ArrayAtPath]:
    """Every ``numpy.ndarray`` leaf of ``tree`` with its path, in the containers' order.

    Example:
        >>> import numpy as np
        >>> from zymo.pytree_paths import arrays_by_path
        >>> [a.path for a in arrays_by_path({"w": np.ones(2), "layers": [np.zeros(1), 3.0]})]
        ["['w']", "['layers'][0]"]
    """
    out: list[ArrayAtPath] = []
    _walk(tree, "", True, [0], out)
    return out


def distinct_arrays(entries: Iterable[ArrayAtPath]) -> list[TiedArray]:
    """Each distinct array once (tied arrays share one object), with all its paths; trained if any path is.

    Example:
        >>> import numpy as np
        >>> from zymo.pytree_paths import arrays_by_path, distinct_arrays
        >>> w = np.ones(2)
        >>> [t.paths for t in distinct_arrays(arrays_by_path({"a": w, "b": np.zeros(1), "c": w}))]
        [("['a']", "['c']"), ("['b']",)]
    """
    paths: dict[int, list[str]] = {}
    arrays: dict[int, np.ndarray] = {}
    trainable: dict[int, bool] = {}
    for e in entries:
        key = id(e.array)
        paths.setdefault(key, []).append(e.path)
        arrays[key] = e.array
        trainable[key] = trainable.get(key, False) or e.trainable
    return [TiedArray(tuple(p), arrays[k], trainable[k]) for k, p in paths.items()]


def trainable_mask(tree: Any) -> Any:
    """A pytree of ``tree``'s structure: ``np.array(True)`` at arrays that are trained, ``np.array(False)`` elsewhere.

    The leaves are 0-d boolean arrays so that the mask of a ``zymo.nn.Module``
    is itself a module of the same structure. This is the mask the optimisers
    use when given none.

    Example:
        >>> import numpy as np
        >>> from zymo.pytree_paths import trainable_mask
        >>> trainable_mask({"w": np.ones(2), "n": 3})
        {'w': array(True), 'n': array(False)}
    """
    leaves, treedef = tree_flatten(tree)
    flags = [False] * len(leaves)
    for e in arrays_by_path(tree):
        flags[e.leaf] = e.trainable
    return tree_unflatten(treedef, [np.array(f) for f in flags])
