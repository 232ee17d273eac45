"""The differential check of one program: traced values, reverse and forward mode against plain NumPy."""

from __future__ import annotations

import warnings

import numpy as onp

import zymo
from zymo.testing import max_relative_error, numerical_grad

GRAD_RTOL = 1e-5
# A gradient whose every entry is below this is compared as if it had this size: finite differences carry
# noise of about 1e-16 / 1e-6 times the size of the values computed on the way (1e-12 and more, whatever
# the size of the loss), so a gradient of 1e-19 (of a function that is identically 0, evaluated with
# rounding) cannot be told from one of 1e-13. An error above 1e-11 is still caught.
GRAD_FLOOR = 1e-6
DIRECTIONAL_RTOL = 1e-7


def _copies(xs):
    return tuple(x if type(x) is float else onp.array(x, copy=True) for x in xs)


def _same_value(got, want, what: str) -> None:
    g, w = onp.asarray(got), onp.asarray(want)
    assert g.shape == w.shape and g.dtype == w.dtype, f"{what}: {g.dtype}{g.shape} != NumPy's {w.dtype}{w.shape}"
    assert onp.array_equal(g, w, equal_nan=True), f"{what}: {g} != NumPy's {w}"
    if type(got) is onp.ndarray and type(want) is onp.ndarray:
        assert _layout(got) == _layout(want), f"{what}: memory layout {got.strides} != NumPy's {want.strides}"
    assert onp.isscalar(got) == onp.isscalar(want), f"{what}: {type(got)} where NumPy gives {type(want)}"


def _layout(a: onp.ndarray) -> tuple:
    """The strides that decide how later operations walk ``a`` (those of axes longer than 1)."""
    return tuple(s if n > 1 else None for s, n in zip(a.strides, a.shape))


def _moved(x, step):
    """``x + step`` of ``x``'s kind: a Python float stays one, a 0-d array stays an array."""
    return float(x + step) if type(x) is float else onp.asarray(x + step)


def _random_like(x, rng):
    return onp.asarray(rng.standard_normal(onp.shape(x)))


def _fd_size(fd) -> float:
    return max([1e-300] + [float(onp.max(onp.abs(g), initial=0.0)) for g in fd if g is not None])


def _dot(a, b) -> float:
    return float(onp.sum(onp.asarray(a, dtype=onp.float64) * onp.asarray(b, dtype=onp.float64)))


def _gradient_error(grads, fd) -> float:
    return max_relative_error(grads, fd) * _fd_size(fd) / max(_fd_size(fd), GRAD_FLOOR)


def _nudged(inputs, k: int, i: int, step: float) -> tuple:
    """``inputs`` with entry ``i`` of input ``k`` moved by ``step`` (a Python float stays one)."""
    xs = list(_copies(inputs))
    if type(xs[k]) is float:
        xs[k] += step
    else:
        xs[k].reshape(-1)[i] += step
    return tuple(xs)


def _smooth(values: list, eps: float, mismatch: float) -> bool:
    """Whether the slopes between neighbouring ``values`` (``eps`` apart) agree more closely than a
    derivative and the central difference disagree.

    Where a program is smooth they differ by about ``eps`` times its second derivative; where a kink or
    a jump lies within reach (``np.where(a > b, ...)`` with ``a`` and ``b`` equal up to rounding, a
    tie in ``max``) they differ by the change of slope (or the jump over ``eps``), which is at least
    what the central difference is off from either side's derivative: it averages the two sides.
    Where rounding alone decides a branch, each value takes a side at random: the seven values of
    ``_unjudged_at_kinks`` all fall on one side once in 64 programs, three did once in 4.
    """
    slopes = onp.diff(onp.asarray(values, dtype=onp.float64)) / eps
    return bool(slopes.max() - slopes.min() < mismatch)


def _unjudged_at_kinks(loss, inputs, grads, fd, eps: float = 1e-6) -> tuple:
    """``fd`` with each entry where the program is not smooth within ``eps`` replaced by ``grads``'s.

    There the derivative is a convention (or the slope on one side of a tie that rounding decided)
    and finite differences cannot judge it; every other entry still is judged.
    """
    at = loss(*inputs)
    out = []
    for k, (g, d) in enumerate(zip(grads, fd)):
        if d is None:
            out.append(d)
            continue
        d = onp.array(d, dtype=onp.float64)
        flat_g, flat_d = onp.asarray(g, dtype=onp.float64).reshape(-1), d.reshape(-1)
        for i in onp.flatnonzero(flat_g != flat_d):
            mismatch = abs(flat_g[i] - flat_d[i])
            values = [at if s == 0 else loss(*_nudged(inputs, k, i, s * eps)) for s in range(-3, 4)]
            if not _smooth(values, eps, mismatch):
                flat_d[i] = flat_g[i]
        out.append(d)
    return tuple(out)


def check_program(program, inputs, seed: int = 1) -> None:
    """Assert that ``program`` (returning a list of arrays) differentiates correctly at ``inputs``.

    Traced forward values equal plain NumPy's bit for bit (under ``vjp`` and
    under ``jvp``); the reverse-mode gradient of ``sum(c_i * out_i)`` for
    random ``c`` equals central finite differences in float64; the forward
    mode's directional derivative equals the reverse mode's.
    """
    rng = onp.random.default_rng(seed)
    want = program(*_copies(inputs))
    cts = [_random_like(o, rng) for o in want]

    args = _copies(inputs)
    out, back = zymo.vjp(program, *args)
    for k, (o, w) in enumerate(zip(out, want)):
        _same_value(o, w, f"register {k} under vjp")
    for a, x in zip(args, inputs):
        _same_value(a, x, "an input after vjp")
    grads = back(cts)

    def loss(*xs):  # numerical_grad passes 0-d arrays for Python floats: give the program floats back
        xs = [float(x) if type(x0) is float else x for x, x0 in zip(xs, inputs)]
        return sum(_dot(c, o) for c, o in zip(cts, program(*_copies(xs))))

    fd = numerical_grad(loss, inputs)
    if _gradient_error(grads, fd) > GRAD_RTOL:
        fd = _unjudged_at_kinks(loss, inputs, grads, fd)
    err = _gradient_error(grads, fd)
    assert err <= GRAD_RTOL, f"reverse mode differs from finite differences (relative error {err:.2e}):\n{grads}\n{fd}"

    tangents = tuple(_random_like(x, rng) for x in inputs)
    outj, tans = zymo.jvp(program, _copies(inputs), tangents)
    for k, (o, w) in enumerate(zip(outj, want)):
        _same_value(o, w, f"register {k} under jvp")
    fwd = sum(_dot(c, t) for c, t in zip(cts, tans))
    rev = sum(_dot(g, t) for g, t in zip(grads, tangents))
    scale = max(1.0, abs(fwd), abs(rev))
    assert abs(fwd - rev) <= DIRECTIONAL_RTOL * scale, f"forward mode {fwd} != reverse mode {rev}"


def runs_in_numpy(program, xs) -> bool:
    """Whether the plain NumPy program runs on (copies of) ``xs`` without raising."""
    try:
        program(*_copies(xs))
    except Exception:
        return False
    return True


def check_second_order(program, inputs, seed: int = 2) -> None:
    """Assert that forward-over-reverse and reverse-over-reverse agree with differences of the gradient.

    ``G(x) = vjp(program, x)(c)`` is the gradient of ``sum(c_i * out_i)``;
    its directional derivative along ``t`` (a Hessian-vector product) is
    compared with ``(G(x + eps t) - G(x - eps t)) / (2 eps)``.
    """
    rng = onp.random.default_rng(seed)
    cts = [_random_like(o, rng) for o in program(*_copies(inputs))]
    tangents = tuple(_random_like(x, rng) for x in inputs)

    def gradient(*xs):
        return zymo.vjp(program, *xs)[1](cts)

    eps = 1e-6
    after = [_moved(x, eps * t) for x, t in zip(inputs, tangents)]
    before = [_moved(x, -eps * t) for x, t in zip(inputs, tangents)]
    if not (runs_in_numpy(program, after) and runs_in_numpy(program, before)):
        return  # within eps of inputs NumPy itself refuses (bins of a range a rounding wide): no derivative
    plus, minus = gradient(*after), gradient(*before)
    hv_fd = [(onp.asarray(p) - onp.asarray(m)) / (2 * eps) for p, m in zip(plus, minus)]
    scale = max([1.0] + [float(onp.max(onp.abs(h), initial=0.0)) for h in hv_fd])

    _, hv = zymo.jvp(gradient, _copies(inputs), tangents)
    if any(_hvp_error(h, want, scale) > 1e-4 for h, want in zip(hv, hv_fd)):  # a kink of the gradient within eps?
        at = gradient(*_copies(inputs))
        hv_fd = [_smooth_hvp(*parts, eps) for parts in zip(hv, minus, at, plus, hv_fd)]
        scale = max([1.0] + [float(onp.max(onp.abs(h), initial=0.0)) for h in hv_fd])
    for k, (got, want) in enumerate(zip(hv, hv_fd)):
        err = _hvp_error(got, want, scale)
        assert err <= 1e-4, f"forward-over-reverse, input {k}: {got} != differences of the gradient {want}"

    w = tuple(_random_like(x, rng) for x in inputs)
    _, back2 = zymo.vjp(gradient, *_copies(inputs))
    rr = back2(w)
    lhs = sum(_dot(a, b) for a, b in zip(rr, tangents))
    rhs = sum(_dot(a, b) for a, b in zip(w, hv_fd))
    assert abs(lhs - rhs) <= 1e-4 * max(1.0, abs(rhs), scale), f"reverse-over-reverse: {lhs} != {rhs}"


def _hvp_error(got, want, scale: float) -> float:
    return float(onp.max(onp.abs(onp.asarray(got) - want), initial=0.0)) / scale


def _smooth_hvp(got, before, at, after, fd, eps: float):
    """``fd`` with the entries where the gradient is not smooth within ``eps`` (see ``_smooth``) replaced by ``got``."""
    got, fd = onp.asarray(got, dtype=onp.float64), onp.array(fd, dtype=onp.float64)
    before, at, after = (onp.asarray(v, dtype=onp.float64) for v in (before, at, after))
    spread = onp.abs((after - at) / eps - (at - before) / eps)
    return onp.where(spread >= onp.abs(got - fd), got, fd)


def check_float32(program, inputs) -> None:
    """Assert that traced values equal NumPy's bit for bit in float32 too, with float32 gradients."""
    xs = tuple(x if type(x) is float else onp.asarray(x, dtype=onp.float32) for x in inputs)
    want = program(*_copies(xs))
    out, back = zymo.vjp(program, *_copies(xs))
    for k, (o, w) in enumerate(zip(out, want)):
        _same_value(o, w, f"float32 register {k} under vjp")
    grads = back([onp.ones(onp.shape(w), onp.asarray(w).dtype) for w in want])
    for g, x in zip(grads, xs):
        assert type(g) is float if type(x) is float else (g.dtype == onp.float32 and g.shape == x.shape)


def with_nonfinite(inputs, seed: int):
    """``inputs`` with some entries replaced by NaN, +inf or -inf."""
    rng = onp.random.default_rng(seed)
    out = []
    for x in inputs:
        a = onp.array(x, dtype=onp.float64)
        flat = a.reshape(-1)
        for i in range(flat.size):
            if rng.random() < 0.4:
                flat[i] = rng.choice([onp.nan, onp.inf, -onp.inf])
        out.append(float(a) if type(x) is float else a)
    return tuple(out)


def check_nonfinite(program, inputs) -> None:
    """With NaN and infinite inputs: traced values equal NumPy's (NaN where NumPy has NaN); nothing crashes."""
    rng = onp.random.default_rng(3)
    with warnings.catch_warnings(), onp.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            want = program(*_copies(inputs))
        except Exception as exc:  # NumPy refuses these inputs (an SVD that does not converge): so must zymo
            try:
                zymo.vjp(program, *_copies(inputs))
            except type(exc):
                return
            raise AssertionError(f"NumPy raises {type(exc).__name__} ({exc}) with non-finite inputs, zymo does not")
        out, back = zymo.vjp(program, *_copies(inputs))
        for k, (o, w) in enumerate(zip(out, want)):
            _same_value(o, w, f"register {k} with non-finite inputs")
        grads = back([_random_like(o, rng) for o in want])
        outj, _ = zymo.jvp(program, _copies(inputs), tuple(_random_like(x, rng) for x in inputs))
        for k, (o, w) in enumerate(zip(outj, want)):
            _same_value(o, w, f"register {k} with non-finite inputs under jvp")
    for g, x in zip(grads, inputs):
        assert onp.shape(g) == onp.shape(x)
