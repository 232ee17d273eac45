"""``scipy.integrate`` for differentiable code: ``from zymo.scipy import integrate``.

``odeint`` and ``solve_ivp`` differentiate their solution in the initial
state, the parameters passed in ``args`` and the time points, in both modes:
reverse mode by the adjoint method (SciPy's own solver integrates the adjoint
system backward, so memory does not grow with the number of steps), forward
mode by the forward sensitivity system. (Rules: ``zymo._rules.scipy_integrate``.)

Example:
    >>> import numpy as np, zymo
    >>> from zymo.scipy import integrate
    >>> f = lambda y0: integrate.odeint(lambda y, t: -y, y0, np.array([0.0, 1.0]), rtol=1e-10)[-1, 0]
    >>> round(float(zymo.grad(f)(np.ones(1))[0]), 6)
    0.367879
"""

from .._rules.scipy_integrate import odeint, solve_ivp

__all__ = ["odeint", "solve_ivp"]
