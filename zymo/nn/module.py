"""``Module``: the base class of layers. A module is a pytree.

Attributes holding arrays (or sub-modules, or lists/tuples/dicts of them) are
the tree's children; every other attribute (sizes, activation functions,
flags) is static configuration carried in the tree structure. So
``zymo.grad(loss)(model, ...)`` returns a module of the same class whose
arrays are gradients.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from ..core.pytree import register_pytree_node, tree_flatten
from ..core.tracer import Tracer

__all__ = ["Module", "parameters", "named_parameters", "trainmode", "testmode"]


def _holds_arrays(v) -> bool:
    t = type(v)
    if t is np.ndarray or t is Tracer or isinstance(v, Module):
        return True
    if t in (list, tuple):
        return any(_holds_arrays(e) for e in v)
    if t is dict:
        return any(_holds_arrays(e) for e in v.values())
    return False


class _Static:
    """Static configuration in a tree structure: compared by value, hashed by type and repr."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        if not isinstance(other, _Static):
            return False
        try:
            return bool(self.value == other.value)
        except Exception:
            return self.value is other.value

    def __hash__(self):
        try:
            return hash(self.value)
        except TypeError:
            return hash((type(self.value).__name__, repr(self.value)))


def _flatten_module(m: "Module"):
    names, children, static = [], [], []
    for k, v in vars(m).items():
        if _holds_arrays(v):
            names.append(k)
            children.append(v)
        else:
            static.append((k, _Static(v)))
    return children, (tuple(names), tuple(static)), tuple(names)


def _unflatten_module(cls, aux, children):
    names, static = aux
    obj = object.__new__(cls)
    d = obj.__dict__
    for k, s in static:
        d[k] = s.value
    for k, v in zip(names, children):
        d[k] = v
    return obj


class Module:
    """Base class of layers and models (a pytree of its arrays).

    Subclasses set attributes in ``__init__``; arrays become parameters.
    ``frozen`` names fields that optimisers leave alone (see ``freeze``);
    ``training`` switches layers such as ``Dropout`` between modes.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.nn import Module
        >>> class Scale(Module):
        ...     def __init__(self, n):
        ...         self.w = np.ones(n)
        ...     def __call__(self, x):
        ...         return self.w * x
        >>> g = zymo.grad(lambda m: (m(np.arange(3.0)) ** 2).sum())(Scale(3))
        >>> type(g).__name__, g.w
        ('Scale', array([0., 2., 8.]))
    """

    frozen: frozenset = frozenset()
    training: bool = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        register_pytree_node(cls, _flatten_module, lambda aux, ch, _cls=cls: _unflatten_module(_cls, aux, ch))

    def freeze(self, *names: str) -> "Module":
        """Mark fields (all array fields when none given) as not trainable; returns ``self``."""
        if not names:
            names = tuple(k for k, v in vars(self).items() if _holds_arrays(v))
        self.frozen = frozenset(self.frozen) | set(names)
        return self

    def unfreeze(self, *names: str) -> "Module":
        """Undo ``freeze`` (all fields when none given); returns ``self``."""
        self.frozen = frozenset() if not names else frozenset(self.frozen) - set(names)
        return self

    def children(self) -> Iterator[tuple[str, Any]]:
        """``(name, value)`` of the fields that hold arrays or modules."""
        for k, v in vars(self).items():
            if _holds_arrays(v):
                yield k, v


def _walk(obj, prefix: str, trainable_only: bool, frozen: bool):
    if isinstance(obj, Module):
        for k, v in obj.children():
            yield from _walk(v, f"{prefix}.{k}" if prefix else k, trainable_only, frozen or k in obj.frozen)
    elif type(obj) in (list, tuple):
        for i, v in enumerate(obj):
            yield from _walk(v, f"{prefix}[{i}]", trainable_only, frozen)
    elif type(obj) is dict:
        for k, v in obj.items():
            yield from _walk(v, f"{prefix}[{k!r}]", trainable_only, frozen)
    elif type(obj) is np.ndarray and obj.dtype.kind in "fc":
        if not (trainable_only and frozen):
            yield prefix, obj


def named_parameters(model, trainable_only: bool = True) -> list[tuple[str, np.ndarray]]:
    """``(path, array)`` for every floating array of ``model`` (trainable ones by default).

    Example:
        >>> import numpy as np
        >>> from zymo.nn import Module, named_parameters
        >>> class Affine(Module):
        ...     def __init__(self):
        ...         self.w, self.b = np.ones((2, 2)), np.zeros(2)
        >>> [name for name, _ in named_parameters(Affine())]
        ['w', 'b']
    """
    return list(_walk(model, "", trainable_only, False))


def parameters(model, trainable_only: bool = True) -> list[np.ndarray]:
    """The floating arrays of ``model`` (trainable ones by default), each once even if shared."""
    seen, out = set(), []
    for _, a in named_parameters(model, trainable_only):
        if id(a) not in seen:
            seen.add(id(a))
            out.append(a)
    return out


def _set_mode(model, training: bool):
    leaves_and_modules = [model]
    while leaves_and_modules:
        obj = leaves_and_modules.pop()
        if isinstance(obj, Module):
            obj.training = training
            leaves_and_modules.extend(v for _, v in obj.children())
        elif type(obj) in (list, tuple):
            leaves_and_modules.extend(obj)
        elif type(obj) is dict:
            leaves_and_modules.extend(obj.values())
    return model


def trainmode(model):
    """Put ``model`` and its sub-modules in training mode (in place); returns it."""
    return _set_mode(model, True)


def testmode(model):
    """Put ``model`` and its sub-modules in evaluation mode (in place); returns it."""
    return _set_mode(model, False)


_ = tree_flatten
