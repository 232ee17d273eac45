"""GroupNorm, InstanceNorm and RMSNorm: exact derivatives, PyTorch parity, printing and shape errors."""

import numpy as np
import pytest

import zymo
from zymo.nn import ChannelsFirst, GroupNorm, InstanceNorm, RMSNorm, from_torch
from zymo.testing import check_grads

from .torch_parity import check_layer_parity


def _randomised(layer):
    rng = np.random.default_rng(4)
    for name in ("weight", "bias"):
        if getattr(layer, name, None) is not None:
            setattr(layer, name, rng.standard_normal(getattr(layer, name).shape))
    return layer


@pytest.mark.parametrize(
    "layer,shape",
    [
        pytest.param(GroupNorm(2, 4, dtype=np.float64), (2, 3, 4), id="group"),
        pytest.param(InstanceNorm(3, affine=True, dtype=np.float64), (2, 3, 2, 3), id="instance"),
        pytest.param(RMSNorm(4, dtype=np.float64), (2, 3, 4), id="rms"),
    ],
)
def test_norm_derivatives_match_finite_differences_to_second_order(layer, shape):
    layer = _randomised(layer)
    x = np.random.default_rng(0).standard_normal(shape)
    check_grads(lambda x, w: zymo.nn.Chain(layer)(x) * w, (x, np.ones(shape)), order=2)
    check_grads(lambda lay, x: lay(x), (layer, x), order=1)


torch = pytest.importorskip("torch")
tnn = torch.nn

TORCH_NORMS = [
    pytest.param(lambda dt: tnn.GroupNorm(2, 6, dtype=dt), (2, 6, 3, 4), id="groupnorm"),
    pytest.param(lambda dt: tnn.GroupNorm(3, 3, affine=False, dtype=dt), (2, 3, 5), id="groupnorm-plain"),
    pytest.param(lambda dt: tnn.InstanceNorm2d(3, affine=True, dtype=dt), (2, 3, 4, 5), id="instancenorm2d"),
    pytest.param(lambda dt: tnn.InstanceNorm1d(3, dtype=dt), (2, 3, 6), id="instancenorm1d"),
    pytest.param(lambda dt: tnn.RMSNorm((3, 4), dtype=dt), (2, 5, 3, 4), id="rmsnorm"),
    pytest.param(lambda dt: tnn.RMSNorm(4, eps=1e-3, dtype=dt), (2, 4), id="rmsnorm-eps"),
]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("make,shape", TORCH_NORMS)
def test_converted_norms_match_pytorch(make, shape, dtype):
    m = make(dtype)
    with torch.no_grad():
        for p in m.parameters():
            p.uniform_(-1, 1)
    layer = from_torch(m)
    assert isinstance(layer, RMSNorm) or isinstance(layer, ChannelsFirst)
    npdt = np.float64 if dtype is torch.float64 else np.float32
    check_layer_parity(m, layer, [np.random.default_rng(1).standard_normal(shape).astype(npdt)])


def test_running_statistics_of_instance_norm_are_refused():
    with pytest.raises(zymo.ZymoError, match="track_running_stats"):
        from_torch(tnn.InstanceNorm2d(3, track_running_stats=True))


def test_norms_print_flux_style():
    assert repr(GroupNorm(4, 8)) == "GroupNorm(4, 8)"
    assert repr(InstanceNorm(3, affine=True)) == "InstanceNorm(3, affine=True)"
    assert repr(RMSNorm(16, eps=1e-6)) == "RMSNorm(16, eps=1e-06)"


def test_wrong_channel_count_raises_shape_error_naming_the_layer():
    with pytest.raises(zymo.ShapeError, match=r"GroupNorm\(2, 4\) expects .*4\) .*got shape \(2, 3, 5\)"):
        GroupNorm(2, 4)(np.ones((2, 3, 5), np.float32))
