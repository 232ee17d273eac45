"""Shared check: a converted layer matches its PyTorch module in outputs and in every gradient."""

from __future__ import annotations

import numpy as np

import zymo
from zymo.nn import to_torch

TOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}


def close(got, want, tol: float, what: str) -> None:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} vs {want.shape}"
    err = np.abs(got - want).max(initial=0) / max(np.abs(want).max(initial=0), 1e-30)
    assert err <= tol, f"{what}: relative error {err:.2e}"


def check_layer_parity(module, layer, inputs, *, kwargs=None, output=lambda out: out, seed: int = 7) -> None:
    """Outputs, input gradients and parameter gradients of ``layer(*inputs)`` against ``module(*inputs)``.

    Only the floating inputs are differentiated. ``output`` picks the array compared
    from what the call returns. Parameter gradients of the zymo layer are
    converted with ``to_torch`` and compared by PyTorch's parameter names.
    """
    import torch

    kwargs = kwargs or {}
    module.zero_grad(set_to_none=True)
    dtype = next(np.asarray(a).dtype for a in inputs if np.asarray(a).dtype.kind == "f")
    tol = TOL[np.dtype(dtype)]
    diff = [i for i, a in enumerate(inputs) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    t_in = [torch.tensor(a, requires_grad=i in diff) if isinstance(a, np.ndarray) else a for i, a in enumerate(inputs)]
    t_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    y_t = output(module(*t_in, **t_kw))
    u = np.random.default_rng(seed).standard_normal(tuple(y_t.shape)).astype(dtype)
    (y_t * torch.tensor(u)).sum().backward()

    y = output(layer(*inputs, **kwargs))
    close(y, y_t.detach().numpy(), tol, "output")

    def loss(layer, *xs):
        args = list(inputs)
        for i, x in zip(diff, xs):
            args[i] = x
        return (output(layer(*args, **kwargs)) * u).sum()

    grads = zymo.grad(loss, argnums=tuple(range(1 + len(diff))))(layer, *[inputs[i] for i in diff])
    for i, g in zip(diff, grads[1:]):
        close(g, _grad(t_in[i]), tol, f"gradient of input {i}")
    want = {n: _grad(p) for n, p in module.named_parameters()}
    if want:
        got = dict(to_torch(grads[0]).named_parameters())
        assert set(got) == set(want), f"parameters {sorted(got)} vs {sorted(want)}"
        for name, g in want.items():
            close(got[name].detach().numpy(), g, tol, f"gradient of {name}")


def _grad(t) -> np.ndarray:
    """A tensor's gradient; zeros where the output does not depend on it (PyTorch leaves ``None``)."""
    return np.zeros(tuple(t.shape)) if t.grad is None else t.grad.numpy()
