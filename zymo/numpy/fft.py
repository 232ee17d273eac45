"""``zymo.numpy.fft``: NumPy's ``numpy.fft`` for differentiable code.

Exactly NumPy's public names: zymo's versions where it has rules (rules in
``fft_rules``), NumPy's own otherwise (on traced values those reach zymo's
error through dispatch).

Example:
    >>> import zymo, zymo.numpy as znp
    >>> x = znp.array([1.0, 2.0, 0.0, -1.0])
    >>> zymo.grad(lambda x: znp.abs(znp.fft.fft(x)[1]) ** 2)(x)
    array([ 2.,  6., -2., -6.])
"""

import numpy as _np

from .fft_rules import fft, fft2, fftn, fftshift, ifft, ifft2, ifftn, ifftshift, irfft, rfft

__all__ = list(_np.fft.__all__)

globals().update({_name: getattr(_np.fft, _name) for _name in __all__ if _name not in globals()})

_ = (fft, fft2, fftn, fftshift, ifft, ifft2, ifftn, ifftshift, irfft, rfft)
del _
