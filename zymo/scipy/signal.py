"""``scipy.signal`` for differentiable code: ``from zymo.scipy import signal``.

``convolve``, ``correlate`` and ``fftconvolve``, N-D, modes ``full``,
``same`` and ``valid``: SciPy's values, differentiable in both inputs in both
modes, to any order. (Rules: ``zymo._rules.scipy_signal``.)

Example:
    >>> import numpy as np, zymo
    >>> from zymo.scipy import signal
    >>> zymo.grad(lambda k: signal.convolve(np.arange(3.0), k).sum())(np.ones(2))
    array([3., 3.])
"""

from .._rules.scipy_signal import convolve, correlate, fftconvolve

__all__ = ["convolve", "correlate", "fftconvolve"]
