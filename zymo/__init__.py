"""zymo: differentiate any NumPy program — loops, lists, concatenation, in-place writes.

Example:
    >>> import zymo, zymo.numpy as znp
    >>> zymo.grad(lambda x: znp.sum(x ** 2))(znp.array([1.0, 2.0]))
    array([2., 4.])
"""

from .core.tracer_methods import install as _install

_install()

from .core.errors import (  # noqa: E402
    ZymoError,
    UnsupportedOperationError,
    TracerConversionError,
    EscapedTracerError,
    NonScalarOutputError,
    MutationError,
    ShapeError,
    ZymoWarning,
)
from .core.errors import repoint_warnings as _repoint_warnings  # noqa: E402

_repoint_warnings()
from .core.primitive import Primitive, primitive  # noqa: E402
from .core.reverse import defvjp, defvjp_all  # noqa: E402
from .core.forward import defjvp, defjvp_all  # noqa: E402
from .core.api import grad, value_and_grad, withgradient, vjp, jvp, stop_gradient  # noqa: E402
from .core.jit import jit  # noqa: E402
from .core.tracer import Tracer, is_tracer  # noqa: E402
from .core.custom import custom_vjp  # noqa: E402
from .checkpointing import checkpoint, checkpoint_scan  # noqa: E402
from .transforms import (  # noqa: E402
    jacobian,
    jacfwd,
    jacrev,
    hessian,
    hvp,
    elementwise_grad,
    make_jvp,
    make_vjp,
)
from .core.pytree import register_pytree_node, tree_map, tree_flatten, tree_unflatten, tree_leaves  # noqa: E402
from . import numpy  # noqa: E402,F401
from . import nn  # noqa: E402,F401
from . import optim  # noqa: E402,F401
from .io import save, load, CheckpointError  # noqa: E402
from .devices import to_device, DeviceError  # noqa: E402
from . import array_api  # noqa: E402,F401  (gives traced values their __array_namespace__)
from .core.namespace import DeviceMismatchError  # noqa: E402
from . import data  # noqa: E402,F401
from . import testing  # noqa: E402,F401
from .seeding import seed  # noqa: E402
from . import models  # noqa: E402,F401
from .runs import Run, load_run  # noqa: E402
from . import distributed  # noqa: E402,F401
from .training import train, EarlyStopping, NonFiniteLossError  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "seed",
    "load_run",
    "Run",
    "save",
    "load",
    "CheckpointError",
    "to_device",
    "DeviceError",
    "DeviceMismatchError",
    "train",
    "EarlyStopping",
    "NonFiniteLossError",
    "grad",
    "value_and_grad",
    "jit",
    "ZymoWarning",
    "withgradient",
    "vjp",
    "jvp",
    "stop_gradient",
    "custom_vjp",
    "checkpoint",
    "checkpoint_scan",
    "jacobian",
    "jacfwd",
    "jacrev",
    "hessian",
    "hvp",
    "elementwise_grad",
    "make_jvp",
    "make_vjp",
    "primitive",
    "Primitive",
    "defvjp",
    "defvjp_all",
    "defjvp",
    "defjvp_all",
    "Tracer",
    "register_pytree_node",
    "tree_map",
    "tree_flatten",
    "tree_unflatten",
    "tree_leaves",
    "is_tracer",
    "ZymoError",
    "UnsupportedOperationError",
    "TracerConversionError",
    "EscapedTracerError",
    "NonScalarOutputError",
    "MutationError",
    "ShapeError",
]
