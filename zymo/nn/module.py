"""``Module``: the base class of layers. A module is a pytree.

Attributes holding arrays (or sub-modules, or lists/tuples/dicts of them) are
the tree's children; every other attribute (sizes, activation functions,
flags) is static configuration carried in the tree structure. So
``zymo.grad(loss)(model, ...)`` returns a module of the same class whose
arrays are gradients.
"""

from __future__ import annotations

from typing import Any, ClassVar, Iterator

import numpy as np
import optree

from ..core.namespace import is_foreign, numpy_dtype
from ..core.pytree import register_pytree_node
from ..core.tracer import Tracer, bottom
from ..pytree_paths import arrays_by_path, distinct_arrays
from .foreign_inputs import accepting_foreign_inputs

__all__ = ["Module", "parameters", "named_parameters", "num_parameters", "trainmode", "testmode", "describe"]


def _holds_arrays(v) -> bool:
    t = type(v)
    if t is np.ndarray or t is Tracer or isinstance(v, Module) or is_foreign(v):
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
    ``frozen`` names fields that optimisers leave alone (see ``freeze``); a
    class lists state fields that are never trained (running statistics) in
    ``nontrainable``; ``training`` switches layers such as ``Dropout`` between
    modes (see ``trainmode``/``testmode``). The default ``repr`` lists the
    fields, arrays by dtype and shape; layers override it with their own
    short form (``Dense(3 => 5, relu)``).

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
    #: Fields that hold state rather than parameters (e.g. running statistics): never trained.
    nontrainable: ClassVar[frozenset] = frozenset()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        call = cls.__dict__.get("__call__")
        if call is not None and not getattr(call, "_zymo_accepts_foreign", False):
            cls.__call__ = accepting_foreign_inputs(call)
        register_pytree_node(
            cls,
            _flatten_module,
            lambda aux, ch, _cls=cls: _unflatten_module(_cls, aux, ch),
            path_entry_type=optree.GetAttrEntry,
        )

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

    def parameters(self, trainable_only: bool = True) -> list[np.ndarray]:
        """``zymo.nn.parameters(self, trainable_only)``: the floating arrays, each once."""
        return parameters(self, trainable_only)

    def named_parameters(self, trainable_only: bool = True) -> list[tuple[str, np.ndarray]]:
        """``zymo.nn.named_parameters(self, trainable_only)``: ``(path, array)`` pairs."""
        return named_parameters(self, trainable_only)

    def num_parameters(self, trainable_only: bool = True) -> int:
        """``zymo.nn.num_parameters(self, trainable_only)``: the number of scalars."""
        return num_parameters(self, trainable_only)

    def train(self, mode: bool = True) -> "Module":
        """Training mode for this module and its sub-modules (evaluation mode with ``mode=False``), in place.

        Returns ``self``, as PyTorch's ``Module.train``; the same as ``zymo.nn.trainmode(self)``.
        """
        return _set_mode(self, bool(mode))

    def eval(self) -> "Module":
        """Evaluation mode for this module and its sub-modules, in place; returns ``self``.

        As PyTorch's ``Module.eval``; the same as ``zymo.nn.testmode(self)``.

        Example:
            >>> from zymo.nn import Dense, Dropout, Chain
            >>> model = Chain(Dense(2, 2), Dropout(0.5))
            >>> model.eval() is model, model[1].training, model.train()[1].training
            (True, False, True)
        """
        return _set_mode(self, False)

    def children(self) -> Iterator[tuple[str, Any]]:
        """``(name, value)`` of the fields that hold arrays or modules."""
        for k, v in vars(self).items():
            if _holds_arrays(v):
                yield k, v

    def is_trainable(self, name: str) -> bool:
        """Whether field ``name`` is trained: neither frozen nor declared ``nontrainable``."""
        return name not in self.frozen and name not in self.nontrainable

    def __repr__(self) -> str:
        fields = [f"{k}={describe(v)}" for k, v in vars(self).items() if k not in ("frozen", "training")]
        return _layout(type(self).__name__, fields)


def describe(v) -> str:
    """A short readable description of a field: arrays by dtype and shape, functions by name.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import describe
        >>> describe(np.zeros((3, 5), np.float32)), describe(np.tanh)
        ('float32[3, 5]', 'tanh')
    """
    b = bottom(v)
    if isinstance(b, np.ndarray):
        return f"{b.dtype}[{', '.join(map(str, b.shape))}]"
    if isinstance(v, Module):
        return repr(v)
    if type(v) in (list, tuple):
        inner = ", ".join(describe(e) for e in v)
        return f"[{inner}]" if type(v) is list else f"({inner}{',' if len(v) == 1 else ''})"
    if type(v) is dict:
        return "{" + ", ".join(f"{k!r}: {describe(e)}" for k, e in v.items()) + "}"
    name = getattr(v, "__name__", None)
    if name is not None and callable(v):
        return name
    return repr(v)


def _layout(name: str, items: list[str], multiline: bool = False) -> str:
    """``Name(a, b)`` on one line, or one item per indented line when asked, an item spans lines or it is long."""
    one_line = f"{name}({', '.join(items)})"
    if not multiline and "\n" not in one_line and len(one_line) <= 80:
        return one_line
    body = "".join("  " + item.replace("\n", "\n  ") + ",\n" for item in items)
    return f"{name}(\n{body})"


def _parameters_by_path(model, trainable_only: bool):
    """The floating arrays of ``model``, as ``ArrayAtPath`` entries (trainable ones only if asked)."""
    return [
        e
        for e in arrays_by_path(model)
        if numpy_dtype(e.array.dtype).kind in "fc" and (e.trainable or not trainable_only)
    ]


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
    return [(e.path, e.array) for e in _parameters_by_path(model, trainable_only)]


def parameters(model, trainable_only: bool = True) -> list[np.ndarray]:
    """The floating arrays of ``model`` (trainable ones by default), each once even if shared."""
    return [t.array for t in distinct_arrays(_parameters_by_path(model, trainable_only))]


def num_parameters(model, trainable_only: bool = True) -> int:
    """The number of scalars in ``parameters(model, trainable_only)``.

    Example:
        >>> import numpy as np
        >>> from zymo.nn import Module, num_parameters
        >>> class Affine(Module):
        ...     def __init__(self):
        ...         self.w, self.b = np.ones((2, 3)), np.zeros(2)
        >>> num_parameters(Affine())
        8
    """
    return sum(int(a.size) for a in parameters(model, trainable_only))


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
    """Put ``model`` and its sub-modules in training mode (in place); returns it.

    Example:
        >>> from zymo.nn import Module, testmode, trainmode
        >>> trainmode(testmode(Module())).training
        True
    """
    return _set_mode(model, True)


def testmode(model):
    """Put ``model`` and its sub-modules in evaluation mode (in place); returns it.

    Example:
        >>> from zymo.nn import Module, testmode
        >>> testmode(Module()).training
        False
    """
    return _set_mode(model, False)
