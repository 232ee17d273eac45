"""``zymo.numpy.fft``: NumPy's ``numpy.fft`` for differentiable code.

Exactly NumPy's public names: zymo's versions where it has rules, NumPy's
own otherwise (on traced values those reach zymo's error through dispatch).

Example:
    >>> import zymo, zymo.numpy as znp
    >>> x = znp.array([1.0, 2.0, 0.0, -1.0])
    >>> zymo.grad(lambda x: znp.abs(znp.fft.fft(x)[1]) ** 2)(x)
    array([ 2.,  6., -2., -6.])
"""

from numpy.fft import *  # noqa: F403  (NumPy's names without a rule)
from numpy.fft import __all__

from .._rules.fft import (
    fft,
    fft2,
    fftn,
    fftshift,
    ifft,
    ifft2,
    ifftn,
    ifftshift,
    irfft,
    irfft2,
    irfftn,
    rfft,
    rfft2,
    rfftn,
)
from .._rules.numpy_python import fftfreq, hfft, ihfft, rfftfreq
