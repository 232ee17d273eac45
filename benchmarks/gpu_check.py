"""zymo on an NVIDIA GPU through CuPy: correctness against NumPy and PyTorch, and speed beside cuDNN and JAX.

    python benchmarks/gpu_check.py            # at most about 5 minutes; prints each result as it is measured
    python benchmarks/gpu_check.py --quick    # fewer timing rows

Needs an NVIDIA GPU, CuPy (``pip install cupy-cuda12x``), and for the comparisons PyTorch and JAX built
for CUDA. Without CuPy or a GPU it prints why and exits with status 0 having checked nothing; a
missing PyTorch or JAX skips only their rows. Sections, in order:

0. zymo on the GPU: initialisers and ``Dropout`` drawing on the device (reproducibly), an Adam step
   against NumPy's, ``zymo.jit`` replay against ``value_and_grad`` (bit for bit), save from the GPU
   and load into the host and the GPU, and the recurrent layers' sequence kernel (fused gate
   arithmetic) against NumPy's gradients in float64;
1. the acceptance cases (``zymo.acceptance``) on CuPy arrays: each gradient against NumPy's, or the
   clear error the NumPy-only styles (buffers made with ``zymo.numpy.zeros``) must raise;
2. the recurrent layers' outputs and gradients on CuPy against PyTorch's on CUDA;
3. the main job: ``python -m zymo train --device cuda`` (two short epochs);
4. the gradient of the recurrent layers (loss = sum of outputs) at hidden 512/1024, T=100, batch
   64/256: zymo on CuPy, PyTorch (cuDNN), and JAX's jit of a Python-loop LSTM; medians of a few
   synchronised calls, milliseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import _launch  # noqa: E402

if __name__ == "__main__":
    _launch.restart_clean()

BUDGET_S = 290.0
_start = time.perf_counter()


def say(*parts) -> None:
    print(*parts, flush=True)


def elapsed() -> float:
    return time.perf_counter() - _start


def cupy_or_none():
    """``cupy`` when it is installed and sees a GPU; else print why and return None."""
    try:
        import cupy
    except ImportError:
        say("gpu_check: skipped, CuPy is not installed (pip install cupy-cuda12x on a machine with an NVIDIA GPU)")
        return None
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CuPy's own CUDA errors when no driver is present
        say(f"gpu_check: skipped, CuPy finds no CUDA GPU ({e})")
        return None
    if n == 0:
        say("gpu_check: skipped, CuPy finds no CUDA GPU")
        return None
    return cupy


def _report(results: dict, name: str, ok: bool, detail: str = "") -> None:
    results[name] = bool(ok)
    say(f"  {name}: {'ok' if ok else 'FAILED'}{'  ' + detail if detail else ''}")


def _tree_close(got, want, rtol: float) -> bool:
    import numpy as np

    import zymo
    from zymo.devices import to_numpy

    pairs = list(zip(zymo.tree_leaves(got), zymo.tree_leaves(want)))
    return all(np.allclose(to_numpy(g), to_numpy(w), rtol=rtol, atol=rtol) for g, w in pairs if w is not None)


def _same_bits(got, want) -> bool:
    import numpy as np

    import zymo
    from zymo.devices import to_numpy

    pairs = list(zip(zymo.tree_leaves(got), zymo.tree_leaves(want)))
    return all(np.array_equal(to_numpy(g), to_numpy(w)) for g, w in pairs if w is not None)


def _check_random_on_device(results: dict, device) -> None:
    import numpy as np

    import zymo
    from zymo import nn
    from zymo.core.namespace import device_name
    from zymo.nn import init

    w = init.glorot_uniform(np.random.default_rng(0), 8, 4, device=device)
    again = init.glorot_uniform(np.random.default_rng(0), 8, 4, device=device)
    _report(results, "initialiser drawn on the device, reproducible", device_name(w) != "cpu" and _same_bits(w, again))
    drop = nn.Dropout(0.5, rng=np.random.default_rng(1))
    x = zymo.to_device(np.ones((64, 32), np.float32), device)
    y = drop(x)
    twin = nn.Dropout(0.5, rng=np.random.default_rng(1))
    _report(
        results,
        "Dropout masks on the device, reproducible",
        device_name(y) == device_name(x) and _same_bits(y, twin(x)),
    )


def _check_training_step(results: dict, device) -> None:
    import numpy as np

    import zymo
    import zymo.numpy as znp
    from zymo import nn, optim
    from zymo.core.namespace import device_name

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 4)).astype(np.float32), rng.normal(size=(16, 1)).astype(np.float32)
    zymo.seed(0)
    model = nn.Chain(nn.Dense(4, 8, nn.tanh), nn.Dense(8, 1))
    state = optim.setup(optim.Adam(1e-2), model)
    dmodel, dstate = zymo.to_device((model, state), device)
    dx, dy = zymo.to_device((x, y), device)
    loss = lambda m, x, y: znp.mean((m(x) - y) ** 2)
    optim.update(state, model, zymo.grad(loss)(model, x, y))
    optim.update(dstate, dmodel, zymo.grad(loss)(dmodel, dx, dy))
    on_device = all(device_name(v) != "cpu" for s in dstate.slots.values() for v in s.values())
    _report(results, "Adam step on the device matches NumPy", on_device and _tree_close(dmodel, model, 1e-4))
    vg = zymo.value_and_grad(loss)
    jitted = zymo.jit(vg)
    same = all(_same_bits(jitted(dmodel, dx, dy), vg(dmodel, dx, dy)) for _ in range(4))
    replayed = same and jitted.stats["replays"] >= 2
    _report(results, "zymo.jit replays on the device, bit for bit", replayed, str(jitted.stats))


def _check_save_load(results: dict, device) -> None:
    import numpy as np

    import zymo
    from zymo import nn
    from zymo.core.namespace import device_name

    zymo.seed(0)
    model = nn.Dense(4, 3)
    with tempfile.TemporaryDirectory() as d:
        path = zymo.save(zymo.to_device(model, device), os.path.join(d, "m.safetensors"))
        host = zymo.load(path, into=nn.Dense(4, 3, rng=np.random.default_rng(5)))
        back = zymo.load(path, into=nn.Dense(4, 3, rng=np.random.default_rng(6)), device=device)
    ok = _same_bits(host, model) and _same_bits(back, model) and device_name(back.weight) != "cpu"
    _report(results, "save from the device, load into the host and into the device", ok)


def _check_recurrent_kernel(results: dict, device) -> None:
    import numpy as np

    import zymo
    import zymo.numpy as znp
    from zymo import nn
    from zymo.nn.recurrent import namespace_sequence

    ran = []
    backward = namespace_sequence.sequence_backward

    def counted(*args, **kwargs):
        ran.append(1)
        return backward(*args, **kwargs)

    x = np.random.default_rng(2).normal(size=(3, 7, 5))
    loss = lambda m, x: znp.sum(m(x) ** 2)
    for make in (nn.RNN, nn.LSTM, nn.GRU, nn.GRUv3):
        zymo.seed(0)
        layer = nn.f64(make(5, 6, bidirectional=True))
        want = zymo.grad(loss, argnums=(0, 1))(layer, x)
        ran.clear()
        namespace_sequence.sequence_backward = counted
        try:
            got = zymo.grad(loss, argnums=(0, 1))(*zymo.to_device((layer, x), device))
        finally:
            namespace_sequence.sequence_backward = backward
        name = f"{make.__name__} sequence kernel on the device (float64) matches NumPy's gradients"
        _report(results, name, len(ran) == 2 and _tree_close(got, want, 1e-9))


def check_device_plumbing(device) -> dict:
    """Section 0: random numbers, an optimiser step, zymo.jit, save/load and the recurrent kernels on ``device``.

    Runs on any device zymo.to_device accepts (``"cuda"`` here; the tests run it on array_api_strict's).
    Returns ``{check: passed}``.
    """
    say(f"== 0. zymo on {device}: random numbers, training step, zymo.jit, save/load, recurrent kernels")
    results: dict = {}
    for check in (_check_random_on_device, _check_training_step, _check_save_load, _check_recurrent_kernel):
        try:
            check(results, device)
        except Exception as e:
            _report(results, check.__name__.strip("_"), False, f"{type(e).__name__}: {str(e)[:160]}")
    say(f"  {sum(results.values())}/{len(results)} passed  ({elapsed():.0f} s)")
    return results


def check_acceptance(cupy) -> None:
    import numpy as np

    import zymo
    from zymo.acceptance import all_cases
    from zymo.devices import to_numpy

    say("== 1. acceptance cases on CuPy, gradients against NumPy's")
    counts = {"match": 0, "clear error": 0, "MISMATCH": 0, "OTHER ERROR": 0}
    for case in all_cases():
        nums = tuple(range(len(case.args)))
        want = zymo.grad(case.loss, argnums=nums)(*case.args)
        try:
            got = zymo.grad(case.loss, argnums=nums)(*zymo.to_device(case.args, "cuda"))
        except zymo.ZymoError as e:
            counts["clear error"] += 1
            say(f"  {case.name}: clear error: {str(e)[:120]}")
            continue
        except Exception as e:
            counts["OTHER ERROR"] += 1
            say(f"  {case.name}: OTHER ERROR {type(e).__name__}: {str(e)[:160]}")
            continue
        worst = 0.0
        for a, b in zip(zymo.tree_leaves(want), zymo.tree_leaves(got)):
            a, b = np.asarray(a, dtype=np.float64), to_numpy(b).astype(np.float64)
            worst = max(worst, float(np.max(np.abs(a - b) / (np.abs(a) + 1e-6))) if a.size else 0.0)
        ok = worst <= 10 * case.tolerance
        counts["match" if ok else "MISMATCH"] += 1
        if not ok:
            say(f"  {case.name}: MISMATCH, largest relative difference {worst:.2e}")
    say(f"  {counts}  ({elapsed():.0f} s)")


def check_recurrent_parity(cupy) -> None:
    import numpy as np

    import zymo
    import zymo.numpy as znp
    from zymo import nn
    from zymo.devices import to_numpy

    say("== 2. recurrent layers on CuPy against PyTorch on CUDA")
    try:
        import torch
    except ImportError:
        say("  skipped: PyTorch is not installed")
        return
    if not torch.cuda.is_available():
        say("  skipped: this PyTorch has no CUDA")
        return
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 20, 16)).astype(np.float32)
    for make in (nn.RNN, nn.LSTM, nn.GRUv3):
        layer = make(16, 32, rng=np.random.default_rng(1))
        tlayer = nn.to_torch(layer).cuda()
        tx = torch.tensor(x, device="cuda", requires_grad=True)
        ty = tlayer(tx)[0]
        ty.sum().backward()
        glayer = zymo.to_device(layer, "cuda")
        y, (gl, gx) = zymo.value_and_grad(lambda m, x: znp.sum(m(x)), argnums=(0, 1))(glayer, zymo.to_device(x, "cuda"))
        out = glayer(zymo.to_device(x, "cuda"))
        dy = float(np.max(np.abs(to_numpy(out) - ty.detach().cpu().numpy())))
        dx = float(np.max(np.abs(to_numpy(gx) - tx.grad.cpu().numpy())))
        say(f"  {type(layer).__name__}: max |output diff| {dy:.2e}, max |input-gradient diff| {dx:.2e}")


def check_main_job() -> None:
    say("== 3. python -m zymo train --device cuda")
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "zymo", "train", "--device", "cuda", "--epochs", "2", "--max-samples", "512"]
        cmd += ["--out", os.path.join(out, "run"), "--no-progress"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=150)
        for line in (proc.stdout + proc.stderr).strip().splitlines()[-6:]:
            say(f"  {line}")
        say(f"  exit status {proc.returncode}, {time.perf_counter() - t0:.1f} s")


def _median_ms(fn, sync, repeats: int = 5) -> float:
    fn()
    sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def _zymo_call(kind, hidden, T, batch, cupy):
    import numpy as np

    import zymo
    import zymo.numpy as znp
    from zymo import nn

    layer = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRUv3}[kind](hidden, hidden, rng=np.random.default_rng(0))
    layer = zymo.to_device(layer, "cuda")
    x = cupy.asarray(np.random.default_rng(1).normal(size=(batch, T, hidden)).astype(np.float32))
    grad = zymo.grad(lambda m, x: znp.sum(m(x)))
    return lambda: grad(layer, x)


def _torch_call(kind, hidden, T, batch):
    import torch

    layer = {"RNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[kind](hidden, hidden, batch_first=True)
    layer = layer.cuda()
    x = torch.randn(batch, T, hidden, device="cuda", requires_grad=True)

    def call():
        for p in layer.parameters():
            p.grad = None
        layer(x)[0].sum().backward()

    return call, torch.cuda.synchronize


def _jax_lstm_call(hidden, T, batch):
    import jax
    import jax.numpy as jnp

    key = jax.random.PRNGKey(0)
    k1, k2, k3 = jax.random.split(key, 3)
    params = (
        jax.random.normal(k1, (4 * hidden, hidden)) * 0.05,
        jax.random.normal(k2, (4 * hidden, hidden)) * 0.05,
        jnp.zeros(4 * hidden),
    )
    x = jax.random.normal(k3, (T, batch, hidden))

    def loss(params, x):
        wi, wh, b = params
        h = jnp.zeros((batch, hidden))
        c = jnp.zeros((batch, hidden))
        total = 0.0
        for t in range(T):  # a Python loop, unrolled by jit
            z = x[t] @ wi.T + h @ wh.T + b
            i, f, g, o = jnp.split(z, 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            total = total + h.sum()
        return total

    step = jax.jit(jax.grad(loss))
    holder = {}

    def call():
        holder["g"] = step(params, x)

    def sync():
        if "g" in holder:
            jax.block_until_ready(holder["g"])

    return call, sync


def time_recurrent(cupy, quick: bool) -> None:
    say("== 4. gradient of a recurrent layer, T=100, ms per call (median of 5; sum of outputs as loss)")
    sizes = [(512, 64)] if quick else [(512, 64), (512, 256), (1024, 64), (1024, 256)]
    try:
        import torch

        have_torch = torch.cuda.is_available()
    except ImportError:
        have_torch = False
    try:
        import jax

        have_jax = any(d.platform == "gpu" for d in jax.devices())
    except Exception:
        have_jax = False
    say(f"  peers: PyTorch CUDA {'yes' if have_torch else 'no'}, JAX GPU {'yes' if have_jax else 'no'}")
    for hidden, batch in sizes:
        for kind in ("RNN", "LSTM", "GRU"):
            if elapsed() > BUDGET_S:
                say("  time budget reached: remaining rows not measured")
                return
            row = f"  {kind:4s} hidden {hidden:4d} batch {batch:3d}:"
            z = _median_ms(_zymo_call(kind, hidden, 100, batch, cupy), cupy.cuda.Device().synchronize)
            row += f" zymo {z:8.1f}"
            if have_torch:
                call, sync = _torch_call(kind, hidden, 100, batch)
                t = _median_ms(call, sync)
                verdict = "within" if z <= 2 * t else "OUTSIDE"
                row += f"  torch {t:7.1f}  zymo/torch {z / t:5.1f}x ({verdict} the 2x target)"
            if have_jax and kind == "LSTM":
                call, sync = _jax_lstm_call(hidden, 100, batch)
                j = _median_ms(call, sync, repeats=3)
                row += f"  jax-loop {j:7.1f}  zymo/jax {z / j:5.1f}x ({'ahead' if z < j else 'NOT ahead'})"
            say(row)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one timing size only")
    args = ap.parse_args(argv)
    cupy = cupy_or_none()
    if cupy is None:
        return 0
    say(f"gpu_check: CuPy {cupy.__version__}, {cupy.cuda.runtime.getDeviceProperties(0)['name'].decode()}")
    check_device_plumbing("cuda")
    check_acceptance(cupy)
    check_recurrent_parity(cupy)
    check_main_job()
    time_recurrent(cupy, args.quick)
    say(f"gpu_check: done in {elapsed():.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
