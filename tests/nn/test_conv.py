"""Conv and ConvTranspose: exact derivatives, PyTorch parity, printing and shape errors."""

import numpy as np
import pytest

import zymo
from zymo.nn import ChannelsFirst, Conv, ConvTranspose, from_torch, relu, to_torch
from zymo.nn._conv import ConvGeometry, conv, conv_input_grad, conv_weight_grad
from zymo.testing import check_grads

from .torch_parity import check_layer_parity, close

GEOMETRIES = [
    pytest.param(1, ConvGeometry((2,), ((1, 2),), (1,), 1), 2, 4, id="1d-stride-pad"),
    pytest.param(1, ConvGeometry((1,), ((2, 0),), (1,), 1), 2, 3, id="1d-padding-beyond-kernel"),
    pytest.param(2, ConvGeometry((1, 2), ((1, 0), (2, 1)), (2, 1), 1), 3, 2, id="2d-dilated-per-side"),
    pytest.param(2, ConvGeometry((1, 1), ((1, 1), (1, 1)), (1, 1), 2), 4, 6, id="2d-groups"),
    pytest.param(2, ConvGeometry((2, 1), ((0, 0), (1, 1)), (1, 1), 3), 3, 3, id="2d-depthwise"),
    pytest.param(3, ConvGeometry((1, 2, 1), ((1, 1), (0, 0), (0, 1)), (1, 1, 2), 1), 2, 2, id="3d"),
]


def _operands(nd, geo, cin, cout):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2,) + (5,) * nd + (cin,))
    w = rng.standard_normal((cout,) + (2,) * nd + (cin // geo.groups,))
    return x, w, rng.standard_normal(cout)


@pytest.mark.parametrize("nd,geo,cin,cout", GEOMETRIES)
def test_conv_derivatives_match_finite_differences_to_second_order(nd, geo, cin, cout):
    x, w, b = _operands(nd, geo, cin, cout)
    check_grads(lambda x, w, b: conv(x, w, b, geometry=geo), (x, w, b), order=2)


@pytest.mark.parametrize("nd,geo,cin,cout", GEOMETRIES)
def test_conv_adjoints_match_finite_differences_to_second_order(nd, geo, cin, cout):
    x, w, _ = _operands(nd, geo, cin, cout)
    g = np.random.default_rng(1).standard_normal(conv(x, w, geometry=geo).shape)
    check_grads(lambda g, w: conv_input_grad(g, w, geometry=geo, x_shape=x.shape), (g, w), order=2)
    check_grads(lambda x, g: conv_weight_grad(x, g, geometry=geo, w_shape=w.shape), (x, g), order=2)


def test_conv_value_equals_a_direct_sum_over_windows():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 6, 5, 4)), rng.standard_normal((6, 3, 2, 2)), rng.standard_normal(6)
    geo = ConvGeometry((2, 1), ((1, 1), (0, 1)), (1, 2), 2)
    y = conv(x, w, b, geometry=geo)
    xp = np.pad(x, ((0, 0), (1, 1), (0, 1), (0, 0)))
    want = np.zeros(y.shape)
    for i in range(y.shape[1]):
        for j in range(y.shape[2]):
            patch = xp[:, 2 * i : 2 * i + 3, j : j + 3 : 2, :]
            for g in range(2):
                want[:, i, j, 3 * g : 3 * g + 3] = np.einsum(
                    "bhwc,ohwc->bo", patch[..., 2 * g : 2 * g + 2], w[3 * g : 3 * g + 3]
                )
    close(y, want + b, 1e-12, "conv value")


torch = pytest.importorskip("torch")
tnn = torch.nn

TORCH_CONVS = [
    pytest.param(lambda dt: tnn.Conv1d(3, 4, 3, stride=2, padding=1, dtype=dt), (2, 3, 9), id="conv1d"),
    pytest.param(
        lambda dt: tnn.Conv2d(4, 6, (3, 2), padding="same", dilation=2, groups=2, dtype=dt),
        (2, 4, 7, 6),
        id="conv2d-same-groups",
    ),
    pytest.param(
        lambda dt: tnn.Conv2d(3, 6, 3, stride=(2, 1), groups=3, bias=False, dtype=dt),
        (2, 3, 8, 7),
        id="conv2d-depthwise",
    ),
    pytest.param(lambda dt: tnn.Conv3d(2, 3, 2, padding=(1, 0, 1), dtype=dt), (1, 2, 4, 5, 3), id="conv3d"),
    pytest.param(
        lambda dt: tnn.ConvTranspose1d(3, 2, 4, stride=3, padding=1, output_padding=2, dtype=dt),
        (2, 3, 5),
        id="convT1d",
    ),
    pytest.param(
        lambda dt: tnn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, dtype=dt),
        (2, 4, 4, 5),
        id="convT2d-groups",
    ),
    pytest.param(lambda dt: tnn.ConvTranspose3d(2, 2, 2, stride=2, dtype=dt), (1, 2, 2, 3, 2), id="convT3d"),
]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("make,shape", TORCH_CONVS)
def test_converted_convolutions_match_pytorch(make, shape, dtype):
    torch.manual_seed(0)
    m = make(dtype)
    layer = from_torch(m)
    assert isinstance(layer, ChannelsFirst)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float64 if dtype is torch.float64 else np.float32)
    check_layer_parity(m, layer, [x])


def test_to_torch_round_trip_keeps_the_function():
    layer = Conv(3, 5, (3, 3), stride=2, padding=1, dtype=np.float64, rng=np.random.default_rng(0))
    layer.bias = np.linspace(-1, 1, 5)
    m = to_torch(layer)
    x = np.random.default_rng(2).standard_normal((2, 9, 8, 3))
    with torch.no_grad():
        y_t = m(torch.tensor(np.moveaxis(x, -1, 1))).numpy()
    close(layer(x), np.moveaxis(y_t, 1, -1), 1e-12, "to_torch output")


def test_unequal_padding_has_no_pytorch_layer():
    with pytest.raises(zymo.ZymoError, match="unequally"):
        to_torch(Conv(2, 2, (3,), padding=((1, 0),)))


def test_same_padding_with_stride_gives_ceil_of_size_over_stride():
    layer = Conv(2, 3, (3, 3), stride=2, padding="same", rng=np.random.default_rng(0))
    assert layer(np.ones((1, 7, 8, 2), np.float32)).shape == (1, 4, 4, 3)


def test_conv_prints_flux_style():
    layer = Conv(3, 16, (3, 3), relu, stride=2, padding="same", groups=1, bias=False, rng=np.random.default_rng(0))
    assert repr(layer) == "Conv(3 => 16, (3, 3), relu, stride=2, padding='same', bias=False)"
    assert repr(ConvTranspose(4, 2, 2, stride=2, groups=2)) == "ConvTranspose(4 => 2, (2,), stride=2, groups=2)"


def test_float32_layer_keeps_float32():
    layer = Conv(2, 3, (2, 2), rng=np.random.default_rng(0))
    y = layer(np.ones((1, 4, 4, 2), np.float32))
    assert y.dtype == np.float32
    g = zymo.grad(lambda m: m(np.ones((1, 4, 4, 2), np.float32)).sum())(layer)
    assert g.weight.dtype == np.float32 and g.weight.shape == layer.weight.shape


@pytest.mark.parametrize(
    "shape,match",
    [
        ((2, 8, 8), r"expects an input \(batch, \.\.\., \.\.\., 3\).*got shape \(2, 8, 8\)"),
        ((2, 8, 8, 4), r"3 channels.*\(2, 8, 8, 4\)"),
    ],
    ids=["rank", "channels"],
)
def test_wrong_input_shape_raises_shape_error_naming_the_layer(shape, match):
    layer = Conv(3, 4, (3, 3))
    with pytest.raises(zymo.ShapeError, match=match) as info:
        layer(np.ones(shape, np.float32))
    assert "Conv(3 => 4, (3, 3))" in str(info.value)


def test_kernel_larger_than_input_raises_shape_error():
    with pytest.raises(zymo.ShapeError, match="does not fit"):
        Conv(1, 1, (5,))(np.ones((1, 3, 1), np.float32))
