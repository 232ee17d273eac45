"""Rules of the discrete Fourier transforms, with derivatives in every mode.

Every transform is linear, so its forward rule is the transform of the
tangent. Its reverse rule is its transpose under JAX's pairing
``Re(sum(c * t))`` (see ``zymo._rules.elementwise``): ``fft``'s is ``fft``
(the DFT matrix is symmetric), ``rfft``'s and ``irfft``'s are written out
below. Inputs are cropped or zero-padded to ``n``/``s`` as in NumPy, and the
cotangent is padded or cropped back. The public namespace is
``zymo.numpy.fft``.

Example:
    >>> import zymo, zymo.numpy as znp
    >>> x = znp.array([1.0, 2.0, 0.0, -1.0])
    >>> zymo.grad(lambda x: znp.abs(znp.fft.fft(x)[1]) ** 2)(x)
    array([ 2.,  6., -2., -6.])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .. import numpy as znp
from ..core.dispatch import implements
from ..core.forward import defjvp
from ..core.primitive import Primitive
from ..core.reverse import defvjp
from ..core.tracer import Tracer
from .helpers import dtype_of, is_complex, shape_of

# irfft's scale 1/n (or 1/sqrt(n), or 1) is rfft's under this norm.
_SAME_SCALE_FOR_RFFT = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def _real_if_real(g, x):
    """A real input's cotangent is the real part (JAX's convention)."""
    return g if is_complex(x) else np.real(g)


def _fit(x, axis: int, length: int):
    """``x`` cropped or zero-padded to ``length`` along ``axis`` (as NumPy does with ``n``)."""
    shape = shape_of(x)
    have = shape[axis]
    if have == length:
        return x
    if have > length:
        idx = [slice(None)] * len(shape)
        idx[axis] = slice(0, length)
        return x[tuple(idx)]

    pad = list(shape)
    pad[axis] = length - have
    return znp.concatenate([x, np.zeros(tuple(pad), dtype_of(x))], axis=axis)


def _nd_axes(shape, s, axes):
    """NumPy's defaults for ``s`` and ``axes`` of the n-dimensional transforms."""
    if axes is None:
        axes = list(range(len(shape))) if s is None else list(range(len(shape) - len(s), len(shape)))
    axes = [a % len(shape) for a in axes]
    s = [shape[a] for a in axes] if s is None else list(s)
    return s, axes


# --- complex-to-complex: fft, ifft and their n-dimensional forms -------------------------
def _one_axis(np_fn, name):
    prim = Primitive(lambda x, n=None, axis=-1, norm=None: np_fn(x, n=n, axis=axis, norm=norm), name)

    def vjp(g, ans, x, n=None, axis=-1, norm=None):
        back = _fit(prim(g, axis=axis, norm=norm), axis, shape_of(x)[axis])
        return _real_if_real(back, x)

    defvjp(prim, vjp, saves=())
    defjvp(prim, lambda t, ans, x, n=None, axis=-1, norm=None: prim(t, n=n, axis=axis, norm=norm))
    return prim


def _many_axes(np_fn, name):
    prim = Primitive(lambda x, s=None, axes=None, norm=None: np_fn(x, s=s, axes=axes, norm=norm), name)

    def vjp(g, ans, x, s=None, axes=None, norm=None):
        shape = shape_of(x)
        _, axes = _nd_axes(shape, s, axes)
        back = prim(g, axes=axes, norm=norm)
        for a in axes:
            back = _fit(back, a, shape[a])
        return _real_if_real(back, x)

    defvjp(prim, vjp, saves=())
    defjvp(prim, lambda t, ans, x, s=None, axes=None, norm=None: prim(t, s=s, axes=axes, norm=norm))
    return prim


fft_p = _one_axis(np.fft.fft, "fft.fft")
ifft_p = _one_axis(np.fft.ifft, "fft.ifft")
fftn_p = _many_axes(np.fft.fftn, "fft.fftn")
ifftn_p = _many_axes(np.fft.ifftn, "fft.ifftn")


@implements(np.fft.fft)
def fft(
    a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None, out: np.ndarray | None = None
) -> np.ndarray:
    """``numpy.fft.fft``; its cotangent rule is ``fft`` itself (the DFT matrix is symmetric).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.fft(znp.array([1.0, 0.0]))
        array([1.+0.j, 1.+0.j])
    """
    _no_out(out)
    return fft_p(a, n=n, axis=axis, norm=norm)


@implements(np.fft.ifft)
def ifft(
    a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None, out: np.ndarray | None = None
) -> np.ndarray:
    """``numpy.fft.ifft``; its cotangent rule is ``ifft`` itself.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.ifft(znp.array([2.0, 0.0]))
        array([1.+0.j, 1.+0.j])
    """
    _no_out(out)
    return ifft_p(a, n=n, axis=axis, norm=norm)


@implements(np.fft.fftn)
def fftn(
    a: ArrayLike,
    s: Sequence[int] | None = None,
    axes: int | Sequence[int] | None = None,
    norm: str | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``numpy.fft.fftn``: the n-dimensional discrete Fourier transform over ``axes``.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.fftn(znp.ones((2, 2))).real
        array([[4., 0.],
               [0., 0.]])
    """
    _no_out(out)
    return fftn_p(a, s=s, axes=axes, norm=norm)


@implements(np.fft.ifftn)
def ifftn(
    a: ArrayLike,
    s: Sequence[int] | None = None,
    axes: int | Sequence[int] | None = None,
    norm: str | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``numpy.fft.ifftn``: the n-dimensional inverse discrete Fourier transform over ``axes``.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.ifftn(znp.ones((2, 2))).real
        array([[1., 0.],
               [0., 0.]])
    """
    _no_out(out)
    return ifftn_p(a, s=s, axes=axes, norm=norm)


@implements(np.fft.fft2)
def fft2(
    a: ArrayLike,
    s: Sequence[int] | None = None,
    axes: tuple[int, ...] = (-2, -1),
    norm: str | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``numpy.fft.fft2`` (``fftn`` over the last two axes).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.fft2(znp.ones((1, 2))).real
        array([[2., 0.]])
    """
    _no_out(out)
    return fftn_p(a, s=s, axes=axes, norm=norm)


@implements(np.fft.ifft2)
def ifft2(
    a: ArrayLike,
    s: Sequence[int] | None = None,
    axes: tuple[int, ...] = (-2, -1),
    norm: str | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``numpy.fft.ifft2`` (``ifftn`` over the last two axes).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.ifft2(znp.ones((1, 2))).real
        array([[1., 0.]])
    """
    _no_out(out)
    return ifftn_p(a, s=s, axes=axes, norm=norm)


# --- real transforms ---------------------------------------------------------------------
def _rfft_impl(x, n=None, axis=-1, norm=None):
    return np.fft.rfft(x, n=n, axis=axis, norm=norm)


def _rfft_vjp(g, ans, x, n=None, axis=-1, norm=None):
    length = shape_of(x)[axis]
    n = length if n is None else n
    # rfft keeps the first n//2 + 1 outputs of fft: pad the cotangent back to n, apply fft's transpose.
    back = np.real(fft_p(_fit(g, axis, n), axis=axis, norm=norm))
    return _fit(back, axis, length)


rfft_p = Primitive(_rfft_impl, "fft.rfft")
defvjp(rfft_p, _rfft_vjp, saves=())
defjvp(rfft_p, lambda t, ans, x, n=None, axis=-1, norm=None: rfft_p(np.real(t), n=n, axis=axis, norm=norm))


def _irfft_impl(x, n=None, axis=-1, norm=None):
    return np.fft.irfft(x, n=n, axis=axis, norm=norm)


def _irfft_vjp(g, ans, x, n=None, axis=-1, norm=None):
    length = shape_of(x)[axis]
    n = 2 * (length - 1) if n is None else n
    m = n // 2 + 1
    # out_j = scale * sum_k w_k Re(X_k e^{2 pi i jk/n}), w_k = 2 for 0 < k < n/2, else 1.
    weights = np.full(m, 2.0)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    wshape = [1] * len(shape_of(g))
    wshape[axis] = m
    spectrum = np.conjugate(rfft_p(g, n=n, axis=axis, norm=_SAME_SCALE_FOR_RFFT[norm]))
    back = spectrum * weights.reshape(wshape).astype(dtype_of(g))
    return _real_if_real(_fit(back, axis, length), x)


irfft_p = Primitive(_irfft_impl, "fft.irfft")
defvjp(irfft_p, _irfft_vjp, saves=())
defjvp(irfft_p, lambda t, ans, x, n=None, axis=-1, norm=None: irfft_p(t, n=n, axis=axis, norm=norm))


@implements(np.fft.rfft)
def rfft(
    a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None, out: np.ndarray | None = None
) -> np.ndarray:
    """``numpy.fft.rfft`` of real input (the imaginary part of a complex input is dropped, as NumPy does).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.rfft(znp.array([1.0, 1.0, 1.0, 1.0]))
        array([4.+0.j, 0.+0.j, 0.+0.j])
    """
    _no_out(out)
    if is_complex(a):
        a = np.real(a)
    return rfft_p(a, n=n, axis=axis, norm=norm)


@implements(np.fft.irfft)
def irfft(
    a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None, out: np.ndarray | None = None
) -> np.ndarray:
    """``numpy.fft.irfft``: a real signal from half a Hermitian spectrum.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.irfft(znp.array([4.0, 0.0, 0.0]))
        array([1., 1., 1., 1.])
    """
    _no_out(out)
    return irfft_p(a, n=n, axis=axis, norm=norm)


# --- shifts ------------------------------------------------------------------------------
def _shift(x, axes, sign):

    shape = shape_of(x)
    if axes is None:
        axes = tuple(range(len(shape)))
    elif isinstance(axes, (int, np.integer)):
        axes = (int(axes),)
    shift = [sign * (shape[a] // 2) for a in axes]
    return znp.roll(x, shift, axes)


@implements(np.fft.fftshift)
def fftshift(x: ArrayLike, axes: int | Sequence[int] | None = None) -> np.ndarray:
    """``numpy.fft.fftshift`` (a roll, so its gradient rolls back).

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.fftshift(znp.array([0.0, 1.0, 2.0, 3.0, 4.0]))
        array([3., 4., 0., 1., 2.])
    """
    if type(x) is not Tracer:
        return np.fft.fftshift(x, axes)
    return _shift(x, axes, 1)


@implements(np.fft.ifftshift)
def ifftshift(x: ArrayLike, axes: int | Sequence[int] | None = None) -> np.ndarray:
    """``numpy.fft.ifftshift``, the inverse of ``fftshift``.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.ifftshift(znp.array([3.0, 4.0, 0.0, 1.0, 2.0]))
        array([0., 1., 2., 3., 4.])
    """
    if type(x) is not Tracer:
        return np.fft.ifftshift(x, axes)
    return _shift(x, axes, -1)


def _no_out(out):
    if out is not None:
        raise TypeError("zymo.numpy.fft does not support `out=`; use the returned array")


# --- real N-D transforms: NumPy's sequence of 1-D transforms ------------------------------------
def _real_nd_args(a, s, axes, inverse: bool):
    shape = shape_of(a)
    if s is None:
        axes = list(range(len(shape))) if axes is None else list(axes)
        s = [shape[ax] for ax in axes]
        if inverse:
            s[-1] = (shape[axes[-1]] - 1) * 2
    else:
        s = list(s)
        axes = list(range(-len(s), 0)) if axes is None else list(axes)
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    s = [shape[ax] if n == -1 else n for n, ax in zip(s, axes)]
    return s, axes


@implements(np.fft.rfftn)
def rfftn(
    a: ArrayLike,
    s: Sequence[int] | None = None,
    axes: Sequence[int] | None = None,
    norm: str | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``numpy.fft.rfftn``: ``rfft`` over the last of ``axes``, then ``fft`` over the others, as NumPy does.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.rfftn(znp.ones((2, 2)))
        array([[4.+0.j, 0.+0.j],
               [0.+0.j, 0.+0.j]])
    """
    _no_out(out)
    s, axes = _real_nd_args(a, s, axes, inverse=False)
    a = rfft(a, s[-1], axes[-1], norm)
    for ii in range(len(axes) - 2, -1, -1):
        a = fft(a, s[ii], axes[ii], norm)
    return a


@implements(np.fft.irfftn)
def irfftn(
    a: ArrayLike,
    s: Sequence[int] | None = None,
    axes: Sequence[int] | None = None,
    norm: str | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``numpy.fft.irfftn``: ``ifft`` over all but the last of ``axes``, then ``irfft``, as NumPy does.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.irfftn(znp.array([[4.0, 0.0], [0.0, 0.0]]))
        array([[1., 1.],
               [1., 1.]])
    """
    _no_out(out)
    s, axes = _real_nd_args(a, s, axes, inverse=True)
    for ii in range(len(axes) - 1):
        a = ifft(a, s[ii], axes[ii], norm)
    return irfft(a, s[-1], axes[-1], norm)


@implements(np.fft.rfft2)
def rfft2(
    a: ArrayLike,
    s: Sequence[int] | None = None,
    axes: Sequence[int] = (-2, -1),
    norm: str | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``numpy.fft.rfft2``: ``rfftn`` over the last two axes.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.rfft2(znp.ones((2, 2))).shape
        (2, 2)
    """
    return rfftn(a, s, axes, norm, out)


@implements(np.fft.irfft2)
def irfft2(
    a: ArrayLike,
    s: Sequence[int] | None = None,
    axes: Sequence[int] = (-2, -1),
    norm: str | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``numpy.fft.irfft2``: ``irfftn`` over the last two axes.

    Example:
        >>> import zymo.numpy as znp
        >>> znp.fft.irfft2(znp.ones((2, 2))).shape
        (2, 2)
    """
    return irfftn(a, s, axes, norm, out)
