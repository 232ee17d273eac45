"""Each rule follows ``torch.optim``'s numbers for 20 steps on the same problem (float64)."""

from __future__ import annotations

import numpy as np
import pytest

import zymo
import zymo.numpy as znp
from zymo import optim
from zymo.nn import Module

NEEDS_TORCH = (
    "PyTorch parity test: needs torch "
    "(CPU build: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu)"
)

torch = pytest.importorskip("torch", reason=NEEDS_TORCH)

STEPS = 20


class TinyNet(Module):
    def __init__(self, rng):
        self.w1 = rng.standard_normal((3, 4))
        self.b1 = rng.standard_normal(4) * 0.1
        self.w2 = rng.standard_normal((4, 2))

    def __call__(self, x):
        return znp.tanh(x @ self.w1 + self.b1) @ self.w2


def _data():
    rng = np.random.default_rng(1)
    return rng.standard_normal((8, 3)), rng.standard_normal((8, 2))


def _zymo_run(rule, steps=STEPS):
    model = TinyNet(np.random.default_rng(0))
    x, y = _data()
    state = optim.setup(rule, model)
    loss = lambda m: znp.mean((m(x) - y) ** 2)
    for _ in range(steps):
        optim.update(state, model, zymo.grad(loss)(model))
    return [model.w1, model.b1, model.w2]


def _torch_run(make_opt, steps=STEPS, before_step=None, after_step=None):
    init = TinyNet(np.random.default_rng(0))
    params = [torch.tensor(a, requires_grad=True) for a in (init.w1, init.b1, init.w2)]
    x, y = (torch.tensor(a) for a in _data())
    opt = make_opt(params)
    sched = after_step(opt) if after_step else None
    for _ in range(steps):
        opt.zero_grad()
        w1, b1, w2 = params
        loss = ((torch.tanh(x @ w1 + b1) @ w2 - y) ** 2).mean()
        loss.backward()
        if before_step:
            before_step(params)
        opt.step()
        if sched:
            sched.step()
    return [p.detach().numpy() for p in params]


def _assert_same(ours, theirs):
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def _moved(params):
    init = TinyNet(np.random.default_rng(0))
    return max(np.abs(p - q).max() for p, q in zip(params, (init.w1, init.b1, init.w2)))


CASES = {
    "Descent": (lambda: optim.Descent(0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    "Momentum": (lambda: optim.Momentum(0.05, 0.9), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    "Nesterov": (
        lambda: optim.Nesterov(0.05, 0.8),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True),
    ),
    "RMSProp": (lambda: optim.RMSProp(0.01, alpha=0.9), lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9)),
    "Adam": (lambda: optim.Adam(0.01, 0.8, 0.99), lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99))),
    "AdamW": (
        lambda: optim.AdamW(0.01, weight_decay=0.1),
        lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1),
    ),
    "RAdam": (lambda: optim.RAdam(0.01, beta2=0.9), lambda p: torch.optim.RAdam(p, lr=0.01, betas=(0.9, 0.9))),
    "AdaGrad": (lambda: optim.AdaGrad(0.1), lambda p: torch.optim.Adagrad(p, lr=0.1)),
    "WeightDecay+Descent": (
        lambda: optim.chain(optim.WeightDecay(0.1), optim.Descent(0.1)),
        lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.1),
    ),
    "WeightDecay+Adam": (
        lambda: optim.chain(optim.WeightDecay(0.05), optim.Adam(0.01)),
        lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.05),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_matches_torch_over_twenty_steps(name):
    ours, theirs = CASES[name]
    result = _zymo_run(ours())
    _assert_same(result, _torch_run(theirs))
    assert _moved(result) > 1e-3


def test_radam_passes_its_rectification_threshold_within_the_run():
    # beta2 = 0.9 makes rho_t exceed 5 at step 6, so both branches of RAdam are compared.
    beta2, rho_inf = 0.9, 2 / (1 - 0.9) - 1
    rho = [rho_inf - 2 * t * beta2**t / (1 - beta2**t) for t in range(1, STEPS + 1)]
    assert min(rho) <= 5 < max(rho)
    assert _zymo_run(optim.RAdam(0.01, beta2=beta2)) is not None


def _clip_value(params):
    torch.nn.utils.clip_grad_value_(params, 0.05)


def _clip_global_norm(params):
    torch.nn.utils.clip_grad_norm_(params, 0.1)


def _clip_each_norm(params):
    for p in params:
        torch.nn.utils.clip_grad_norm_([p], 0.05)


@pytest.mark.parametrize(
    "ours, hook",
    [
        (lambda: optim.ClipGrad(0.05), _clip_value),
        (lambda: optim.ClipNorm(0.1), _clip_global_norm),
        (lambda: optim.ClipNorm(0.05, per_array=True), _clip_each_norm),
    ],
    ids=["ClipGrad", "ClipNorm-global", "ClipNorm-per-array"],
)
def test_clipping_matches_torch_utils(ours, hook):
    result = _zymo_run(optim.chain(ours(), optim.Momentum(0.5, 0.9)))
    _assert_same(result, _torch_run(lambda p: torch.optim.SGD(p, lr=0.5, momentum=0.9), before_step=hook))


def test_clipping_is_active_in_the_parity_problem():
    model = TinyNet(np.random.default_rng(0))
    x, y = _data()
    g = zymo.grad(lambda m: znp.mean((m(x) - y) ** 2))(model)
    norms = [np.linalg.norm(a) for a in (g.w1, g.b1, g.w2)]
    assert np.sqrt(sum(n * n for n in norms)) > 0.1 and min(norms) > 0.05


@pytest.mark.parametrize(
    "schedule, scheduler",
    [
        (optim.StepDecay(0.1, step_size=5, gamma=0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 5, 0.5)),
        (optim.ExponentialDecay(0.1, gamma=0.9), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9)),
        (
            optim.CosineDecay(0.1, total=STEPS, min_lr=0.01),
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, STEPS, eta_min=0.01),
        ),
    ],
    ids=["step", "exponential", "cosine"],
)
def test_schedules_match_torch_lr_schedulers(schedule, scheduler):
    result = _zymo_run(optim.Momentum(schedule, 0.9))
    _assert_same(result, _torch_run(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), after_step=scheduler))


def test_lion_matches_the_published_algorithm():
    # torch.optim has no Lion; this is Algorithm 2 of Chen et al. (2023), written out independently.
    lr, b1, b2, wd = 0.01, 0.9, 0.99, 0.1
    model = TinyNet(np.random.default_rng(0))
    x, y = _data()
    params = [model.w1.copy(), model.b1.copy(), model.w2.copy()]
    moments = [np.zeros_like(p) for p in params]
    for _ in range(STEPS):
        probe = TinyNet(np.random.default_rng(0))
        probe.w1, probe.b1, probe.w2 = params
        g = zymo.grad(lambda m: znp.mean((m(x) - y) ** 2))(probe)
        for i, gi in enumerate((g.w1, g.b1, g.w2)):
            c = b1 * moments[i] + (1 - b1) * gi
            params[i] = params[i] - lr * (np.sign(c) + wd * params[i])
            moments[i] = b2 * moments[i] + (1 - b2) * gi
    _assert_same(_zymo_run(optim.Lion(lr, b1, b2, weight_decay=wd)), params)
