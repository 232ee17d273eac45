"""Parity with PyTorch: same weights give the same outputs and gradients (float64 1e-10, float32 1e-5)."""

import numpy as np
import pytest

import zymo
from zymo.nn import GRU, LSTM, RNN, GRUv3, LSTMCell, from_torch, to_torch

NEEDS_TORCH = (
    "PyTorch parity test: needs torch "
    "(CPU build: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu)"
)

torch = pytest.importorskip("torch", reason=NEEDS_TORCH)
tnn = torch.nn

TOL = {torch.float64: 1e-10, torch.float32: 1e-5}
NP_DTYPE = {torch.float64: np.float64, torch.float32: np.float32}


def _close(got, want, tol, what):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} vs {want.shape}"
    err = np.abs(got - want).max() / max(np.abs(want).max(), 1e-30)
    assert err <= tol, f"{what}: relative error {err:.2e}"


def _torch_module(kind, dtype, num_layers, bidirectional, nonlinearity="tanh"):
    torch.manual_seed(0)
    kw = {"nonlinearity": nonlinearity} if kind is tnn.RNN else {}
    m = kind(3, 5, num_layers=num_layers, bidirectional=bidirectional, batch_first=True, dtype=dtype, **kw)
    with torch.no_grad():
        for p in m.parameters():
            p.uniform_(-0.6, 0.6)  # biases non-zero and distinct
    return m


def _torch_run(m, x, h0, lengths):
    """Outputs (zeros at padding), final states, and every gradient of a random-weighted sum."""
    xt = torch.tensor(x, requires_grad=True)
    h0t = [torch.tensor(a, requires_grad=True) for a in h0]
    hx = tuple(h0t) if isinstance(m, tnn.LSTM) else h0t[0]
    if lengths is None:
        y, hn = m(xt, hx)
    else:
        packed = tnn.utils.rnn.pack_padded_sequence(xt, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        y, hn = m(packed, hx)
        y, _ = tnn.utils.rnn.pad_packed_sequence(y, batch_first=True, total_length=x.shape[1])
    hn = list(hn) if isinstance(m, tnn.LSTM) else [hn]
    rng = np.random.default_rng(5)
    weights = [torch.tensor(rng.standard_normal(tuple(t.shape)), dtype=t.dtype) for t in [y] + hn]
    loss = sum((t * w).sum() for t, w in zip([y] + hn, weights))
    loss.backward()
    grads = {n: p.grad.numpy() for n, p in m.named_parameters()}
    return (
        y.detach().numpy(),
        [t.detach().numpy() for t in hn],
        grads,
        xt.grad.numpy(),
        [t.grad.numpy() for t in h0t],
        [w.numpy() for w in weights],
    )


def _to_zymo_state(h0, is_lstm, n):
    """PyTorch's stacked (L*D, B, H) states as zymo's list (one per layer and direction)."""
    states = [(h0[0][k], h0[1][k]) if is_lstm else h0[0][k] for k in range(n)]
    return states[0] if n == 1 else states


def _from_zymo_state(states, is_lstm, n):
    states = [states] if n == 1 else states
    if is_lstm:
        return [np.stack([s[0] for s in states]), np.stack([s[1] for s in states])]
    return [np.stack(states)]


def _check_layer(kind, dtype, num_layers, bidirectional, lengths, nonlinearity="tanh"):
    m = _torch_module(kind, dtype, num_layers, bidirectional, nonlinearity)
    layer = from_torch(m)
    layer.return_state = True
    tol = TOL[dtype]
    is_lstm = kind is tnn.LSTM
    n = num_layers * (2 if bidirectional else 1)
    rng = np.random.default_rng(1)
    npdt = NP_DTYPE[dtype]
    x = rng.standard_normal((3, 4, 3)).astype(npdt)
    h0 = [rng.standard_normal((n, 3, 5)).astype(npdt) * 0.5 for _ in range(2 if is_lstm else 1)]
    y_t, hn_t, g_t, gx_t, gh0_t, (wy, *whn) = _torch_run(m, x, h0, lengths)

    def loss(layer, x, state):
        y, last = layer(x, state, lengths=lengths)
        hn = _from_zymo_state(last, is_lstm, n)
        return (y * wy).sum() + sum((a * w).sum() for a, w in zip(hn, whn))

    state = _to_zymo_state(h0, is_lstm, n)
    y, last = layer(x, state, lengths=lengths)
    _close(y, y_t, tol, "outputs")
    for a, b in zip(_from_zymo_state(last, is_lstm, n), hn_t):
        _close(a, b, tol, "final state")
    g_layer, gx, gstate = zymo.grad(loss, argnums=(0, 1, 2))(layer, x, state)
    assert gx.dtype == npdt
    _close(gx, gx_t, tol, "input gradient")
    for a, b in zip(_from_zymo_state(gstate, is_lstm, n), gh0_t):
        _close(a, b, tol, "initial state gradient")
    H = 5
    for suffix, cells in (("", g_layer.cells), ("_reverse", g_layer.cells_reverse or [])):
        for k, c in enumerate(cells):
            _close(c.Wi, g_t[f"weight_ih_l{k}{suffix}"], tol, f"weight_ih_l{k}{suffix}")
            _close(c.Wh, g_t[f"weight_hh_l{k}{suffix}"], tol, f"weight_hh_l{k}{suffix}")
            _close(c.b, g_t[f"bias_ih_l{k}{suffix}"], tol, f"bias_ih_l{k}{suffix}")
            bhh = g_t[f"bias_hh_l{k}{suffix}"]
            if kind is tnn.GRU:
                _close(c.b[: 2 * H], bhh[: 2 * H], tol, "bias_hh (r, z)")
                _close(c.bh, bhh[2 * H :], tol, "bias_hh (n)")
            else:
                _close(c.b, bhh, tol, f"bias_hh_l{k}{suffix}")


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("kind", [tnn.RNN, tnn.LSTM, tnn.GRU], ids=["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize(
    "num_layers,bidirectional,lengths",
    [(1, False, None), (2, True, None), (2, False, [4, 2, 1]), (1, True, [3, 4, 1])],
    ids=["single", "stacked-bidirectional", "stacked-variable-length", "bidirectional-variable-length"],
)
def test_layers_match_pytorch(kind, dtype, num_layers, bidirectional, lengths):
    _check_layer(kind, dtype, num_layers, bidirectional, lengths)


def test_relu_rnn_matches_pytorch():
    _check_layer(tnn.RNN, torch.float64, 2, True, [4, 3, 2], nonlinearity="relu")


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("kind", [tnn.RNNCell, tnn.LSTMCell, tnn.GRUCell], ids=["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_pytorch(kind, dtype):
    torch.manual_seed(0)
    m = kind(3, 5, dtype=dtype)
    with torch.no_grad():
        for p in m.parameters():
            p.uniform_(-0.6, 0.6)
    cell = from_torch(m)
    tol, npdt = TOL[dtype], NP_DTYPE[dtype]
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3)).astype(npdt)
    h = rng.standard_normal((4, 5)).astype(npdt)
    c = rng.standard_normal((4, 5)).astype(npdt)
    u, v = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    xt, ht, ct = (torch.tensor(a, requires_grad=True) for a in (x, h, c))
    lstm = isinstance(cell, LSTMCell)
    if lstm:
        h2, c2 = m(xt, (ht, ct))
        (h2 * torch.tensor(u, dtype=dtype)).sum().add((c2 * torch.tensor(v, dtype=dtype)).sum()).backward()
    else:
        h2 = m(xt, ht)
        (h2 * torch.tensor(u, dtype=dtype)).sum().backward()

    def loss(cell, x, h, c):
        y, s = cell(x, (h, c) if lstm else h)
        return (y * u.astype(npdt)).sum() + ((s[1] * v.astype(npdt)).sum() if lstm else 0)

    _close(cell(x, (h, c) if lstm else h)[0], h2.detach().numpy(), tol, "output")
    g_cell, gx, gh, gc = zymo.grad(loss, argnums=(0, 1, 2, 3))(cell, x, h, c)
    _close(gx, xt.grad.numpy(), tol, "input gradient")
    _close(gh, ht.grad.numpy(), tol, "state gradient")
    if lstm:
        _close(gc, ct.grad.numpy(), tol, "cell-state gradient")
    _close(g_cell.Wi, m.weight_ih.grad.numpy(), tol, "weight_ih")
    _close(g_cell.Wh, m.weight_hh.grad.numpy(), tol, "weight_hh")
    _close(g_cell.b, m.bias_ih.grad.numpy(), tol, "bias_ih")


@pytest.mark.parametrize(
    "make",
    [
        lambda: RNN(3, 5, num_layers=2, bidirectional=True, rng=np.random.default_rng(0)),
        lambda: LSTM(3, 5, num_layers=2, rng=np.random.default_rng(0), dtype=np.float64),
        lambda: GRUv3(3, 5, bidirectional=True, time_major=True, rng=np.random.default_rng(0)),
    ],
    ids=["RNN", "LSTM", "GRUv3"],
)
def test_to_torch_computes_the_same_function(make):
    layer = make()
    for c in layer._all_cells():
        c.b = c.b + np.linspace(-0.5, 0.5, c.b.size).astype(c.b.dtype)
        if hasattr(c, "bh"):
            c.bh = c.bh + 0.3
    m = to_torch(layer)
    x = np.random.default_rng(3).standard_normal((4, 3, 3)).astype(layer.cells[0].Wi.dtype)
    with torch.no_grad():
        y_t = m(torch.tensor(x))[0].numpy()
    tol = 1e-10 if x.dtype == np.float64 else 1e-5
    _close(layer(x), y_t, tol, "outputs")
    back = from_torch(m)
    _close(back(x), layer(x), tol, "round trip")


def test_gru_without_a_pytorch_counterpart_is_refused():
    with pytest.raises(zymo.ZymoError, match="GRUv3"):
        to_torch(GRU(3, 5))


def test_unsupported_modules_are_refused():
    with pytest.raises(zymo.ZymoError, match="from_torch converts"):
        from_torch(tnn.Linear(3, 5))
    with pytest.raises(zymo.ZymoError, match="proj_size"):
        from_torch(tnn.LSTM(3, 5, proj_size=2))
