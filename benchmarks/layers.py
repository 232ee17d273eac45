"""Convolution, pooling, normalisation and attention layers against PyTorch's, forward plus backward.

For each case, the median time of value-and-gradient of ``mean(layer(x) ** 2)``
with respect to the input and every parameter, float32, zymo (channels last)
and PyTorch eager (channels first, ``backward``) timed in turns in one process
with the same thread settings. The ratio is zymo / PyTorch (below 1: zymo is
faster). Targets: conv 2-D on 32x32 images, 3->64 and 64->64 channels, batch
64 at most 1.5x; attention at sequence 128, width 256, 8 heads, batch 32 at
most 1.0x. The transformer encoder layer (pre-norm, feed-forward width 1024)
is timed at the attention case's size.

    python benchmarks/layers.py [--threads 2] [--quick] [--min-time 2]
    python benchmarks/compare.py main . --bench layers --threads 2   # before/after, zymo and torch rows
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
from zymo import nn  # noqa: E402


def _cases(quick: bool):
    b = 4 if quick else 64
    ab, t = (2, 16) if quick else (32, 128)
    return [
        (
            "conv2d 3->64 32x32",
            nn.Conv(3, 64, (3, 3), padding=1),
            lambda tnn: tnn.Conv2d(3, 64, 3, padding=1),
            (b, 32, 32, 3),
        ),
        (
            "conv2d 64->64 32x32",
            nn.Conv(64, 64, (3, 3), padding=1),
            lambda tnn: tnn.Conv2d(64, 64, 3, padding=1),
            (b, 32, 32, 64),
        ),
        ("maxpool 2x2 64ch", nn.MaxPool((2, 2)), lambda tnn: tnn.MaxPool2d(2), (b, 32, 32, 64)),
        ("groupnorm 8x64ch", nn.GroupNorm(8, 64), lambda tnn: tnn.GroupNorm(8, 64), (b, 32, 32, 64)),
        (
            "attention T128 d256 h8",
            nn.MultiHeadAttention(256, 8),
            lambda tnn: tnn.MultiheadAttention(256, 8, batch_first=True),
            (ab, t, 256),
        ),
        (
            "transformer layer T128 d256 h8",
            nn.testmode(nn.TransformerEncoderLayer(256, 8, 1024, 0.0, norm_first=True)),
            lambda tnn: tnn.TransformerEncoderLayer(256, 8, 1024, 0.0, batch_first=True, norm_first=True),
            (ab, t, 256),
        ),
    ]


def _zymo_step(layer, x):
    def loss(layer, x):
        y = layer(x)
        return (y * y).mean()

    step = zymo.value_and_grad(loss, argnums=(0, 1))
    return lambda: step(layer, x)


def _torch_step(torch, module, x, layer):
    """PyTorch's step: images channels first; sequences batch first as they are; attention as self-attention."""
    attention = isinstance(layer, nn.MultiHeadAttention)
    sequence = attention or isinstance(layer, nn.TransformerEncoderLayer)
    xt = torch.tensor(np.ascontiguousarray(np.moveaxis(x, -1, 1)) if not sequence else x, requires_grad=True)

    def step():
        module.zero_grad(set_to_none=True)
        xt.grad = None
        y = module(xt, xt, xt, need_weights=False)[0] if attention else module(xt)
        (y * y).mean().backward()

    return step


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="threads for both engines")
    parser.add_argument("--quick", action="store_true", help="small shapes (a smoke run)")
    parser.add_argument("--min-time", type=float, default=2.0, help="seconds of timing per case")
    parser.add_argument("--serve", action="store_true", help="answer timing requests on stdin (used by compare.py)")
    args = parser.parse_args(argv)
    _common.limit_threads(args.threads)
    torch = _common.optional("torch")
    if args.serve:
        calls = {}
        for name, layer, make_torch, shape in _cases(args.quick):
            x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
            calls[f"{name} zymo"] = _zymo_step(layer, x)
            if torch is not None:
                calls[f"{name} torch"] = _torch_step(torch, make_torch(torch.nn), x, layer)
        _common.serve(calls, args.threads)
        return
    rows = []
    for name, layer, make_torch, shape in _cases(args.quick):
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        fns = {"zymo": _zymo_step(layer, x)}
        if torch is not None:
            fns["torch"] = _torch_step(torch, make_torch(torch.nn), x, layer)
        t = _common.interleaved_timings(fns, min_time=args.min_time, min_reps=3)
        tt = t.get("torch")
        rows.append(
            [
                name,
                _common.fmt_ms(t["zymo"].wall),
                _common.fmt_ms(tt.wall if tt else None),
                _common.fmt_ratio(t["zymo"].wall, tt.wall if tt else None),
                f"{t['zymo'].cpu_per_wall:.2f}",
            ]
        )
        print(f"{name}: done", file=sys.stderr)
    print(f"value and gradient of mean(layer(x) ** 2), float32; {_common.header(args.threads)}")
    print(_common.table(rows, ["case", "zymo ms", "torch ms", "zymo/torch", "cpu/wall"]))


if __name__ == "__main__":
    main()
