"""Fused activations, losses and normalisation against the same formulas composed from zymo.numpy, and PyTorch.

For each function, the median time of value-and-gradient of ``sum(f(x) * w)``
(``x`` of shape (batch, features), float32) with zymo's fused primitive, with
the same mathematics written as separate zymo.numpy operations, and with
PyTorch eager (forward plus ``backward``), all in one process with the same
thread settings. Ratios are composed / fused and PyTorch / fused (above 1:
the fused primitive is faster).

    python benchmarks/nn_activations.py [--threads 2] [--shape 256 512]
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import _launch  # noqa: E402

if __name__ == "__main__":
    _launch.restart_clean()

import numpy as np  # noqa: E402

import zymo  # noqa: E402
from benchmarks import _common  # noqa: E402
from zymo.nn import LayerNorm, losses  # noqa: E402
from zymo.nn import activations as act  # noqa: E402

_C = float(np.sqrt(2 / np.pi))


def _composed_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _composed_log_softmax(x):
    z = x - np.max(x, axis=-1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


COMPOSED = {
    "sigmoid": _composed_sigmoid,
    "softplus": lambda x: np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0),
    "silu": lambda x: x * _composed_sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + np.tanh(_C * (x + 0.044715 * x * x * x))),
    "softmax": lambda x: np.exp(_composed_log_softmax(x)),
    "log_softmax": _composed_log_softmax,
}
FUSED = {
    "sigmoid": act.sigmoid,
    "softplus": act.softplus,
    "silu": act.silu,
    "gelu": act.gelu,
    "softmax": act.softmax,
    "log_softmax": act.log_softmax,
}


def _composed_layer_norm(x):
    xc = x - np.mean(x, axis=-1, keepdims=True)
    return xc / np.sqrt(np.mean(xc * xc, axis=-1, keepdims=True) + 1e-5)


def torch_functions(torch):
    F = torch.nn.functional
    return {
        "sigmoid": torch.sigmoid,
        "softplus": F.softplus,
        "silu": F.silu,
        "gelu": lambda x: F.gelu(x, approximate="tanh"),
        "softmax": lambda x: F.softmax(x, -1),
        "log_softmax": lambda x: F.log_softmax(x, -1),
        "logitcrossentropy": None,
        "layer_norm": lambda x: F.layer_norm(x, x.shape[-1:]),
    }


def zymo_step(f, x, w):
    vg = zymo.value_and_grad(lambda x: np.sum(f(x) * w))
    return lambda: vg(x)


def torch_step(torch, f, x, w):
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w)

    def step():
        xt.grad = None
        (f(xt) * wt).sum().backward()
        return xt.grad

    return step


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="threads for both engines (2: informational)")
    parser.add_argument("--shape", type=int, nargs=2, default=[256, 512])
    args = parser.parse_args(argv)
    _common.limit_threads(args.threads)
    torch = _common.optional("torch")
    rng = np.random.default_rng(0)
    x = (3 * rng.standard_normal(args.shape)).astype(np.float32)
    w = rng.standard_normal(args.shape).astype(np.float32)
    labels = rng.integers(0, args.shape[1], args.shape[0])
    onehot = np.eye(args.shape[1], dtype=np.float32)[labels]

    cases = [(name, FUSED[name], COMPOSED[name]) for name in FUSED]
    cases.append(
        (
            "logitcrossentropy",
            lambda z: losses.logitcrossentropy(z, onehot, agg=None),
            lambda z: -np.sum(onehot * _composed_log_softmax(z), axis=-1),
        )
    )
    cases.append(("layer_norm", LayerNorm(args.shape[1], affine=False), _composed_layer_norm))
    peers = torch_functions(torch) if torch is not None else {}
    if torch is not None:
        y = torch.tensor(labels)
        peers["logitcrossentropy"] = lambda z: torch.nn.functional.cross_entropy(z, y, reduction="none")

    rows = []
    for name, fused, composed in cases:
        weights = w if name != "logitcrossentropy" else w[:, 0]
        fns = {"fused": zymo_step(fused, x, weights), "composed": zymo_step(composed, x, weights)}
        peer = peers.get(name)
        if peer is not None:
            fns["torch"] = torch_step(torch, peer, x, weights)
        t = _common.interleaved_timings(fns)
        t_torch = t["torch"].wall if "torch" in t else None
        rows.append(
            [
                name,
                _common.fmt_ms(t["fused"].wall),
                _common.fmt_ms(t["composed"].wall),
                _common.fmt_ms(t_torch),
                _common.fmt_ratio(t["composed"].wall, t["fused"].wall),
                _common.fmt_ratio(t_torch, t["fused"].wall),
                " / ".join(f"{t[k].cpu_per_wall:.2f}" for k in fns),
            ]
        )
    print(f"value and gradient, x {tuple(args.shape)} float32; {_common.header(args.threads)}")
    header = ["function", "fused ms", "composed ms", "torch ms", "composed/fused", "torch/fused", "cpu/wall"]
    print(_common.table(rows, header))


if __name__ == "__main__":
    main()
