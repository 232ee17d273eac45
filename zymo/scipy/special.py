"""``scipy.special`` for differentiable code: ``from zymo.scipy import special``.

SciPy's ufuncs (``xlogy``, ``expit``, ``gammaln``, the Bessel functions, ...)
differentiate when called directly on traced values; they are also exported
here. The functions SciPy writes in Python (``logsumexp``, ``softmax``,
``log_softmax``, ``polygamma``, ``multigammaln``, ``zeta``) convert their
inputs to plain arrays, so on traced values use these versions. On plain
arrays every function returns SciPy's values. (Rules: ``zymo._rules.scipy_special``
and ``zymo._rules.scipy_special_ufuncs``.)

Example:
    >>> import zymo, zymo.numpy as znp
    >>> from zymo.scipy import special
    >>> zymo.grad(lambda x: special.logsumexp(x, b=znp.array([1.0, 3.0])))(znp.zeros(2))
    array([0.25, 0.75])
"""

from .._rules.scipy_special import (  # noqa: F401  (exported)
    log_softmax,
    logsumexp,
    multigammaln,
    polygamma,
    softmax,
    zeta,
)
from .._rules.scipy_special_ufuncs import ENTRIES as _ENTRIES

# The ufunc entries, less private ones and ``round`` (it would shadow the builtin in star imports).
_UFUNCS = {name: entry for name, entry in _ENTRIES.items() if not name.startswith("_") and name != "round"}
globals().update(_UFUNCS)
__all__ = sorted({*_UFUNCS, "logsumexp", "softmax", "log_softmax", "polygamma", "multigammaln", "zeta"})
