"""Pooling layers: exact derivatives, PyTorch parity (ties included), printing and shape errors."""

import numpy as np
import pytest

import zymo
from zymo.nn import (
    AdaptiveMaxPool,
    AdaptiveMeanPool,
    ChannelsFirst,
    GlobalMaxPool,
    GlobalMeanPool,
    MaxPool,
    MeanPool,
    from_torch,
    to_torch,
)
from zymo.testing import check_grads

from .torch_parity import check_layer_parity, close

LAYERS = [
    pytest.param(MaxPool((2, 2), stride=1, padding=1), (2, 4, 5, 3), id="max-overlapping-padded"),
    pytest.param(MaxPool((3,), stride=2, dilation=2), (2, 9, 2), id="max-dilated-1d"),
    pytest.param(MeanPool((2, 3), stride=(1, 2), padding=(1, 1), count_include_pad=False), (2, 4, 6, 2), id="mean"),
    pytest.param(AdaptiveMaxPool((2, 3)), (2, 5, 7, 2), id="adaptive-max"),
    pytest.param(AdaptiveMeanPool((3, None)), (2, 5, 4, 2), id="adaptive-mean"),
    pytest.param(GlobalMaxPool(), (2, 3, 4, 2), id="global-max"),
    pytest.param(GlobalMeanPool(), (2, 3, 2, 2, 3), id="global-mean"),
]


@pytest.mark.parametrize("layer,shape", LAYERS)
def test_pool_derivatives_match_finite_differences_to_second_order(layer, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    check_grads(layer, (x,), order=2)


def test_max_pool_value_is_the_window_maximum():
    x = np.random.default_rng(1).standard_normal((2, 6, 4, 3))
    y = MaxPool((2, 2))(x)
    want = x.reshape(2, 3, 2, 2, 2, 3).max(axis=(2, 4))
    close(y, want, 0, "max pool")


def test_tied_maxima_give_the_gradient_to_the_first_in_row_major_order():
    x = np.zeros((1, 2, 2, 1))
    g = zymo.grad(lambda x: MaxPool((2, 2))(x).sum())(x)
    assert g[0, :, :, 0].tolist() == [[1.0, 0.0], [0.0, 0.0]]


torch = pytest.importorskip("torch")
tnn = torch.nn

TORCH_POOLS = [
    pytest.param(lambda: tnn.MaxPool2d(3, stride=2, padding=1), (2, 3, 7, 6), id="maxpool2d"),
    pytest.param(lambda: tnn.MaxPool1d(2, stride=1, dilation=2), (2, 3, 7), id="maxpool1d-dilated"),
    pytest.param(lambda: tnn.MaxPool3d(2), (1, 2, 4, 4, 4), id="maxpool3d"),
    pytest.param(lambda: tnn.AvgPool2d(3, stride=2, padding=1), (2, 3, 7, 6), id="avgpool2d"),
    pytest.param(lambda: tnn.AvgPool1d(3, stride=2, padding=1, count_include_pad=False), (2, 3, 8), id="avgpool1d"),
    pytest.param(lambda: tnn.AdaptiveMaxPool2d((3, 2)), (2, 3, 7, 5), id="adaptivemax2d"),
    pytest.param(lambda: tnn.AdaptiveAvgPool2d((3, None)), (2, 3, 7, 5), id="adaptiveavg2d"),
    pytest.param(lambda: tnn.AdaptiveAvgPool1d(4), (2, 3, 10), id="adaptiveavg1d"),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("make,shape", TORCH_POOLS)
def test_converted_pools_match_pytorch(make, shape, dtype):
    m = make()
    layer = from_torch(m)
    assert isinstance(layer, ChannelsFirst)
    check_layer_parity(m, layer, [np.random.default_rng(1).standard_normal(shape).astype(dtype)])


@pytest.mark.parametrize(
    "make",
    [lambda: tnn.MaxPool2d(2, stride=1), lambda: tnn.AdaptiveMaxPool2d((2, 2)), lambda: tnn.MaxPool1d(3, stride=2)],
    ids=["overlapping", "adaptive", "strided"],
)
def test_tied_maxima_follow_pytorch(make):
    m = make()
    shape = (1, 2, 5) if isinstance(m, tnn.MaxPool1d) else (1, 2, 5, 5)
    x = np.round(np.random.default_rng(2).standard_normal(shape)).clip(0, 1)  # many ties
    check_layer_parity(m, from_torch(m), [x])


def test_pool_to_torch_round_trip():
    layer = MeanPool((3, 3), stride=2, padding=1)
    x = np.random.default_rng(3).standard_normal((2, 3, 6, 6))
    with torch.no_grad():
        y_t = to_torch(layer)(torch.tensor(x)).numpy()
    close(ChannelsFirst(layer)(x), y_t, 1e-12, "to_torch")


def test_unsupported_pool_options_are_refused():
    with pytest.raises(zymo.ZymoError, match="ceil_mode"):
        from_torch(tnn.MaxPool2d(2, ceil_mode=True))


def test_pools_print_flux_style():
    assert repr(MaxPool((2, 2))) == "MaxPool((2, 2))"
    assert repr(MeanPool((3, 3), stride=2, padding=1)) == "MeanPool((3, 3), stride=2, padding=1)"
    assert repr(AdaptiveMeanPool((1, 1))) == "AdaptiveMeanPool((1, 1))"
    assert repr(GlobalMaxPool()) == "GlobalMaxPool()"


def test_wrong_rank_raises_shape_error_naming_the_layer():
    with pytest.raises(zymo.ShapeError, match=r"MaxPool\(\(2, 2\)\) expects .* 2 spatial axes, got shape \(4, 4, 3\)"):
        MaxPool((2, 2))(np.ones((4, 4, 3)))
