"""Pytrees (nested containers of arrays), via ``optree`` in zymo's own namespace.

Lists, tuples, dicts, namedtuples and ``None`` are containers. Other classes
become containers with ``register_pytree_node`` (``zymo.nn.Module`` does this
for every subclass).
"""

from __future__ import annotations

from typing import Any, Callable

import optree

__all__ = [
    "NAMESPACE",
    "tree_flatten",
    "tree_unflatten",
    "tree_map",
    "tree_leaves",
    "tree_structure",
    "register_pytree_node",
]

NAMESPACE = "zymo"


def tree_flatten(tree: Any):
    """``(leaves, treedef)``; ``None`` counts as a leaf."""
    return optree.tree_flatten(tree, none_is_leaf=True, namespace=NAMESPACE)


def tree_unflatten(treedef, leaves):
    """Rebuild a tree from ``treedef`` and ``leaves``."""
    return optree.tree_unflatten(treedef, leaves)


def tree_map(fn: Callable, tree: Any, *rest: Any):
    """Apply ``fn`` to every leaf (and the matching leaves of ``rest``)."""
    return optree.tree_map(fn, tree, *rest, none_is_leaf=True, namespace=NAMESPACE)


def tree_leaves(tree: Any) -> list:
    """The leaves of ``tree`` in order."""
    return optree.tree_leaves(tree, none_is_leaf=True, namespace=NAMESPACE)


def tree_structure(tree: Any):
    """The structure (treedef) of ``tree``."""
    return optree.tree_structure(tree, none_is_leaf=True, namespace=NAMESPACE)


def register_pytree_node(
    cls: type, flatten: Callable, unflatten: Callable, path_entry_type: type = optree.AutoEntry
) -> type:
    """Make ``cls`` a container: ``flatten(obj) -> (children, aux)``, ``unflatten(aux, children) -> obj``.

    ``flatten`` may return ``(children, aux, keys)``; ``path_entry_type`` (an
    ``optree`` entry class such as ``optree.GetAttrEntry``) says how a key is
    written in a path (``.weight`` rather than ``['weight']``).

    Example:
        >>> import zymo
        >>> class Pair:
        ...     def __init__(self, a, b):
        ...         self.a, self.b = a, b
        >>> _ = zymo.register_pytree_node(Pair, lambda p: ((p.a, p.b), None), lambda aux, ch: Pair(*ch))
    """
    return optree.register_pytree_node(cls, flatten, unflatten, path_entry_type=path_entry_type, namespace=NAMESPACE)
