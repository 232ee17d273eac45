"""Rules behind ``zymo.scipy.integrate``: ``odeint`` and ``solve_ivp`` by the adjoint method.

One primitive solves ``dy/dt = f(y, t, *params)`` with SciPy's solver and
returns the state at every time point (the first row is ``y0``).

Reverse mode is the adjoint method: between consecutive time points, from the
last to the first, SciPy's solver (the same one, same tolerances) integrates
backward the augmented system

    dy/dt = f,    da/dt = -a^T df/dy,    dp/dt = -a^T df/dparams,

seeded with the output cotangent at each time point. The time points get
``g_i . f(y_i, t_i)``, and the initial time ``-a(t_0) . f(y_0, t_0)``. Forward
mode solves the forward sensitivity system ``dv/dt = df/dy v + df/dparams dp``
alongside ``y``. Both solve through ``_integrate`` itself, so they differentiate
again. Derivatives are as accurate as the solver's tolerances make them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ..core.api import jvp as _jvp
from ..core.api import vjp as _vjp
from ..core.errors import ZymoError, user_location
from ..core.forward import defjvp_all
from ..core.primitive import Primitive
from ..core.reverse import defvjp_all
from ..core.tracer import Tracer, bottom
from .helpers import has_tracer, shape_of

__all__ = ["odeint", "solve_ivp"]


@dataclasses.dataclass(frozen=True)
class Solver:
    """Which SciPy solver runs, with its options (``t_end``: ``solve_ivp``'s ``t_span[1]``)."""

    kind: str  # "odeint" or "solve_ivp"
    options: tuple = ()  # keyword arguments passed on, as sorted (name, value) pairs
    t_end: float | None = None


def _untraced(value, what: str):
    """``value`` itself, or zymo's error if it is traced (the derivative function captured a traced value)."""
    if type(value) is Tracer:
        raise ZymoError(
            f"the derivative function given to {what} (called at {user_location()}) reads a traced value that "
            "is not one of its arguments (a captured variable). Fix: pass it through args=(...) so that the "
            "solver can differentiate with respect to it."
        )
    return value


def _plain(value, what: str):
    return np.asarray(_untraced(value, what), dtype=float).ravel()


def _checked(func: Callable, what: str) -> Callable:
    return lambda *a: _untraced(func(*a), what)


def _impl(y0, ts, *params, func, solver):
    shape = np.shape(y0)
    y0 = np.asarray(y0, dtype=float).ravel()

    if solver.kind == "odeint":
        import scipy.integrate as si

        def rhs(y, t):
            return _plain(func(y.reshape(shape), t, *params), "scipy.integrate.odeint")

        ys = si.odeint(rhs, y0, ts, **dict(solver.options))
        return ys.reshape((len(ts),) + shape)
    return _solve_ivp_rows(func, y0, shape, ts, params, solver)


def _solve_ivp_rows(func, y0, shape, ts, params, solver):
    import scipy.integrate as si

    def rhs(t, y):
        return _plain(func(y.reshape(shape), t, *params), "scipy.integrate.solve_ivp")

    t_end = ts[-1] if solver.t_end is None else solver.t_end
    rows = [y0[None, :]]
    if len(ts) > 1:
        if ts[0] == t_end:  # nothing to integrate (SciPy's solvers need a non-empty interval)
            rows.append(np.repeat(y0[None, :], len(ts) - 1, axis=0))
        else:
            sol = si.solve_ivp(rhs, (ts[0], t_end), y0, t_eval=ts[1:], **dict(solver.options))
            if sol.status < 0:
                raise ZymoError(f"scipy.integrate.solve_ivp failed (called at {user_location()}): {sol.message}")
            rows.append(sol.y.T)
    return np.concatenate(rows).reshape((len(ts),) + shape)


def _rhs_at(func, ys, ts, params):
    return np.stack([func(ys[i], ts[i], *params) for i in range(shape_of(ts)[0])])


def _flat(parts):
    return np.concatenate([np.reshape(p, (-1,)) for p in parts])


def _split(flat, shapes):
    out, start = [], 0
    for s in shapes:
        n = int(np.prod(s))
        out.append(np.reshape(flat[start : start + n], s))
        start += n
    return out


def _zeros_if_none(gs, like):
    return [np.zeros_like(bottom(x), dtype=float) if g is None else g for g, x in zip(gs, like)]


def _adjoint_vjp(g, ys, y0, ts, *params, func, solver):
    """Cotangents of ``y0``, ``ts`` and each parameter (the adjoint method)."""
    shape = shape_of(y0)
    pshapes = [shape_of(p) for p in params]
    n = int(np.prod(shape))

    def augmented(state, tau, *params):  # in reversed time tau = -t
        y, a, _ = _split_state(state, shape, n)
        ydot, back = _vjp(lambda y, *p: func(y, -tau, *p), y, *params)
        grads = _zeros_if_none(back(a), (y, *params))
        return _flat([-ydot, *grads])

    m = shape_of(ts)[0]
    backward = dataclasses.replace(solver, t_end=None)
    a = g[m - 1]
    p_bar = [np.zeros(s) for s in pshapes]
    t_bars = []
    for i in range(m - 1, 0, -1):
        t_bars.append(np.sum(func(ys[i], ts[i], *params) * g[i]))
        state = _flat([ys[i], a, *p_bar])
        out = _integrate(augmented, state, np.stack([-ts[i], -ts[i - 1]]), params, backward)[1]
        _, a, *p_bar = _split(out, [shape, shape, *pshapes])
        a = a + g[i - 1]
    t0_bar = -np.sum((a - g[0]) * func(ys[0], ts[0], *params))
    ts_bar = np.stack([t0_bar, *t_bars[::-1]]) if m > 1 else np.reshape(t0_bar, (1,))
    return [a, ts_bar, *p_bar]


def _split_state(state, shape, n):
    return np.reshape(state[:n], shape), np.reshape(state[n : 2 * n], shape), state[2 * n :]


def _sensitivity_jvp(tangents, ys, y0, ts, *params, func, solver):
    """The output tangent from the forward sensitivity system."""
    ty0, tts, *tparams = tangents
    shape = shape_of(y0)
    n = int(np.prod(shape))
    ty0 = np.zeros(shape) if ty0 is None else ty0
    tparams = [np.zeros(shape_of(p)) if t is None else t for t, p in zip(tparams, params)]
    k = len(params)

    def sensitivity(state, t, *pt):
        y, v = np.reshape(state[:n], shape), np.reshape(state[n:], shape)
        ydot, vdot = _jvp(lambda y, *p: func(y, t, *p), (y, *pt[:k]), (v, *pt[k:]))
        return _flat([ydot, vdot])

    f0 = func(y0, ts[0], *params)
    v0 = ty0 if tts is None else ty0 - f0 * tts[0]
    out = _integrate(sensitivity, _flat([y0, v0]), ts, (*params, *tparams), solver)
    v = np.reshape(out[:, n:], shape_of(ys))
    if tts is None:
        return v
    f = _rhs_at(func, ys, ts, params)
    return v + f * np.reshape(tts, (-1,) + (1,) * len(shape))


ode_p = Primitive(_impl, "scipy.integrate (ODE solve)")
defvjp_all(
    ode_p, lambda g, ys, y0, ts, *params, func, solver: _adjoint_vjp(g, ys, y0, ts, *params, func=func, solver=solver)
)
defjvp_all(ode_p, _sensitivity_jvp)


def integrate(func: Callable, y0, ts, params: tuple, solver: Solver):
    """The solution of ``dy/dt = func(y, t, *params)`` at every time of ``ts`` (the first row is ``y0``)."""
    if not has_tracer([y0, ts, *params]):
        return _impl(np.asarray(y0, dtype=float), np.asarray(ts, dtype=float), *params, func=func, solver=solver)
    return ode_p(y0, ts, *params, func=func, solver=solver)


_integrate = integrate


# --- the public functions -----------------------------------------------------------------------
_ODEINT_OPTIONS = ("rtol", "atol", "h0", "hmax", "hmin", "mxstep", "mxhnil", "mxordn", "mxords")


def odeint(func: Callable, y0, t, args: tuple = (), Dfun=None, col_deriv=0, full_output=0, tfirst=False, **options):
    """``scipy.integrate.odeint``: the solution of ``dy/dt = func(y, t, *args)`` at the times ``t``.

    Differentiable in ``y0``, every array in ``args`` and the times ``t``, in
    both modes and to any order: reverse mode by the adjoint method (SciPy's
    ``odeint`` integrates the adjoint system backward), forward mode by the
    forward sensitivity system. ``func`` must be written with NumPy operations
    on its arguments; values it captures from outside are not differentiated
    (pass them in ``args``). Derivatives are as accurate as ``rtol`` and
    ``atol`` make the solution. On traced values ``Dfun`` and
    ``full_output`` are not available; the options ``rtol``, ``atol``, ``h0``,
    ``hmax``, ``hmin``, ``mxstep``, ``mxhnil``, ``mxordn``, ``mxords`` are.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy.integrate import odeint
        >>> decay = lambda y, t, k: -k * y
        >>> g = zymo.grad(lambda k: odeint(decay, np.ones(1), np.array([0.0, 1.0]), args=(k,), rtol=1e-10)[-1, 0])
        >>> round(float(g(1.0)), 6)  # d/dk exp(-k) at k = 1
        -0.367879
    """
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    if not has_tracer([y0, t, *args]):
        import scipy.integrate as si

        return si.odeint(
            _checked(func, "scipy.integrate.odeint"),
            y0,
            t,
            args=args,
            Dfun=Dfun,
            col_deriv=col_deriv,
            full_output=full_output,
            tfirst=tfirst,
            **options,
        )
    unknown = set(options) - set(_ODEINT_OPTIONS)
    if Dfun is not None or full_output or unknown:
        raise ZymoError(
            f"scipy.integrate.odeint on traced values (called at {user_location()}) takes no Dfun, full_output "
            f"or {sorted(unknown) or 'other options'}: the adjoint method needs only func. Fix: leave them out."
        )
    rhs = (lambda y, t, *a: func(t, y, *a)) if tfirst else func
    solver = Solver("odeint", tuple(sorted(options.items())))
    return integrate(rhs, y0, t, args, solver)


def solve_ivp(fun: Callable, t_span, y0, method: str = "RK45", t_eval=None, dense_output=False, events=None,
              vectorized=False, args=None, **options):  # fmt: skip
    """``scipy.integrate.solve_ivp``: the solution of ``dy/dt = fun(t, y, *args)``, differentiable with ``t_eval``.

    On traced values ``t_eval`` is needed (the times whose states are
    differentiated); ``sol.y`` is differentiable in ``y0``, every array in
    ``args``, ``t_eval`` and the initial time ``t_span[0]``: reverse mode by the
    adjoint method (``solve_ivp`` with the same ``method`` integrates the adjoint
    system backward), forward mode by the forward sensitivity system. Values
    ``fun`` captures from outside are not differentiated (pass them in ``args``).
    The result has ``t``, ``y``, ``status``, ``message`` and ``success``;
    ``dense_output``, ``events`` and ``vectorized`` are not available on traced values.

    Example:
        >>> import numpy as np, zymo
        >>> from zymo.scipy.integrate import solve_ivp
        >>> f = lambda y0: solve_ivp(lambda t, y: -y, (0.0, 1.0), y0, t_eval=[1.0], rtol=1e-10, atol=1e-10).y[0, -1]
        >>> round(float(zymo.grad(f)(np.ones(1))[0]), 6)  # exp(-1)
        0.367879
    """
    args = () if args is None else tuple(args) if isinstance(args, (tuple, list)) else (args,)
    t0, t1 = t_span
    if not has_tracer([y0, t0, t_eval, *args]):
        import scipy.integrate as si

        checked = _checked(fun, "scipy.integrate.solve_ivp")
        return si.solve_ivp(
            checked, (t0, t1), y0, method=method, t_eval=t_eval, dense_output=dense_output, events=events,
            vectorized=vectorized, args=args or None, **options,
        )  # fmt: skip
    if t_eval is None or dense_output or events is not None or vectorized:
        raise ZymoError(
            f"scipy.integrate.solve_ivp on traced values (called at {user_location()}) needs t_eval, the times "
            "whose states are differentiated, and takes no dense_output, events or vectorized. Fix: pass "
            "t_eval=... and leave the others out."
        )
    if len(shape_of(y0)) != 1:
        raise ValueError("`y0` must be 1-dimensional.")
    solver = Solver("solve_ivp", tuple(sorted({"method": method, **options}.items())), float(bottom(t1)))
    times = np.concatenate([np.reshape(t0, (1,)), np.reshape(t_eval, (-1,))])
    ys = integrate(lambda y, t, *a: fun(t, y, *a), y0, times, args, solver)
    import scipy.integrate as si

    return si._ivp.ivp.OdeResult(
        t=np.asarray(bottom(t_eval), dtype=float), y=np.swapaxes(ys[1:], 0, 1), sol=None, t_events=None,
        y_events=None, status=0, message="The solver successfully reached the end of the integration interval.",
        success=True,
    )  # fmt: skip
