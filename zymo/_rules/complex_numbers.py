"""Rules for the parts of complex numbers: real, imag, conj, angle (JAX's convention, see ``elementwise``)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..core.dispatch import implements
from ..core.forward import defjvp
from ..core.mutation import inplace_setitem
from ..core.primitive import Primitive
from ..core.recording import observe
from ..core.reverse import defvjp
from .elementwise import register_ufunc, ufunc_entry
from .helpers import is_complex, linear, zeros_for


def _copy_of(part):
    return part.copy() if type(part) is np.ndarray else part


def _with_part_impl(z, part, which):
    out = np.copy(z)
    setattr(out, which, part)
    return out


# ``z`` with its real or imaginary part replaced by ``part``: what a write through ``z.real`` or ``z.imag`` does
with_part_p = Primitive(_with_part_impl, "write to a part of a complex array")
linear(
    with_part_p,
    lambda g, ans, z, part, which: 1j * np.imag(g) if which == "real" else np.real(g) + 0j,
    lambda g, ans, z, part, which: np.real(g) if which == "real" else -np.imag(g),
)

# Of a complex array, ``real`` and ``imag`` are views that can be written through, as in NumPy.
real_p = Primitive(np.real, "real", aliases=True)
defvjp(real_p, lambda g, ans, x: g, saves=())
defjvp(real_p, lambda t, ans, x: _copy_of(np.real(t)))  # a view would alias x's tangent
real_p.unview = lambda base, new: inplace_setitem(base, Ellipsis, with_part_p(base, new, which="real"))

imag_p = Primitive(np.imag, "imag", aliases=True)
defvjp(imag_p, lambda g, ans, x: -1j * g if is_complex(x) else zeros_for(x), saves=(0,))
defjvp(imag_p, lambda t, ans, x: _copy_of(np.imag(t)))
imag_p.unview = lambda base, new: inplace_setitem(base, Ellipsis, with_part_p(base, new, which="imag"))

conjugate_p = register_ufunc(np.conjugate, Primitive(np.conjugate, "conjugate"))
defvjp(conjugate_p, lambda g, ans, x: np.conjugate(g) if is_complex(x) else np.real(g), saves=(0,))
defjvp(conjugate_p, lambda t, ans, x: np.conjugate(t))
conj = conjugate = ufunc_entry["conjugate"]
ufunc_entry["conj"] = conj


@implements(np.real)
def real(val: ArrayLike) -> np.ndarray:
    """``numpy.real``: a real array itself, the real part of a complex one (a view, as in NumPy).

    Its cotangent is the real cotangent itself.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> complex(zymo.grad(lambda z: znp.real(z * z))(1.0 + 2.0j))  # d/dx - i d/dy of x^2 - y^2
        (2+4j)
    """
    if not is_complex(val):
        return val if type(val) is not list and type(val) is not tuple else real_p(val)
    return real_p(val)


@implements(np.imag)
def imag(val: ArrayLike) -> np.ndarray:
    """``numpy.imag``: of a complex array a view, as in NumPy; of a real one read-only zeros.

    A cotangent ``g`` becomes ``-1j * g``.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> complex(zymo.grad(znp.imag)(1.0 + 2.0j))
        -1j
    """
    return imag_p(val)


@implements(np.angle)
def angle(z: ArrayLike, deg: bool = False) -> np.ndarray:
    """``numpy.angle``: ``arctan2(imag(z), real(z))``, differentiated through that formula.

    Example:
        >>> import zymo, zymo.numpy as znp
        >>> complex(zymo.grad(znp.angle)(1.0j))  # -i * conj(z) / |z|^2
        (-1+0j)
    """
    if is_complex(z):
        a = np.arctan2(imag_p(z), real_p(z))
    else:
        a = np.arctan2(0, z)
    if deg:
        a = a * (180 / np.pi)
    return a


@implements(np.real_if_close)
def real_if_close(a: ArrayLike, tol: float = 100) -> np.ndarray:
    """``numpy.real_if_close``: the real part when every imaginary part is within ``tol`` machine epsilons of 0.

    The choice reads the values (so ``zymo.jit`` replays only while it stays the same); the derivative is
    ``real``'s when the imaginary parts are dropped, the identity otherwise.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.real_if_close(znp.array([2.0 + 1e-16j, 1.0]))
        array([2., 1.])
    """
    if not is_complex(a):
        return a
    plain = np.asarray(observe(a))
    tol = tol * np.finfo(plain.dtype).eps if tol > 1 else tol
    return real_p(a) if np.all(np.absolute(plain.imag) < tol) else a
