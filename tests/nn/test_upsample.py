"""Upsample: exact derivatives, PyTorch parity, printing and shape errors."""

import numpy as np
import pytest

import zymo
from zymo.nn import ChannelsFirst, Upsample, from_torch, to_torch
from zymo.testing import check_grads

from .torch_parity import check_layer_parity, close


@pytest.mark.parametrize(
    "layer,shape",
    [
        pytest.param(Upsample(scale_factor=2), (2, 3, 2, 2), id="nearest"),
        pytest.param(Upsample(size=(5, 3), mode="bilinear"), (2, 3, 2, 2), id="bilinear"),
        pytest.param(Upsample(scale_factor=3, mode="linear", align_corners=True), (2, 3, 2), id="linear-corners"),
    ],
)
def test_upsample_derivatives_match_finite_differences_to_second_order(layer, shape):
    check_grads(layer, (np.random.default_rng(0).standard_normal(shape),), order=2)


torch = pytest.importorskip("torch")
tnn = torch.nn


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(
    "make,shape",
    [
        pytest.param(lambda: tnn.Upsample(scale_factor=2), (2, 3, 3, 4), id="nearest-x2"),
        pytest.param(lambda: tnn.Upsample(size=(7, 5)), (2, 3, 3, 4), id="nearest-size"),
        pytest.param(lambda: tnn.Upsample(scale_factor=2, mode="bilinear"), (2, 3, 3, 4), id="bilinear"),
        pytest.param(
            lambda: tnn.Upsample(size=(5, 9), mode="bilinear", align_corners=True), (2, 2, 3, 4), id="corners"
        ),
        pytest.param(lambda: tnn.Upsample(scale_factor=3, mode="linear"), (2, 3, 4), id="linear"),
    ],
)
def test_converted_upsample_matches_pytorch(make, shape, dtype):
    m = make()
    layer = from_torch(m)
    assert isinstance(layer, ChannelsFirst)
    check_layer_parity(m, layer, [np.random.default_rng(1).standard_normal(shape).astype(dtype)])


def test_upsample_to_torch_round_trip():
    layer = Upsample(scale_factor=2, mode="bilinear")
    x = np.random.default_rng(3).standard_normal((1, 2, 3, 3))
    with torch.no_grad():
        y_t = to_torch(layer)(torch.tensor(x)).numpy()
    close(ChannelsFirst(layer)(x), y_t, 1e-12, "to_torch")


def test_upsample_prints_its_mode():
    assert repr(Upsample(size=(4, 4), mode="bilinear")) == "Upsample(size=(4, 4), mode='bilinear')"


def test_bilinear_needs_two_spatial_axes():
    with pytest.raises(zymo.ShapeError, match=r"2 spatial axes, got shape \(1, 4, 3\)"):
        Upsample(scale_factor=2, mode="bilinear")(np.ones((1, 4, 3)))
