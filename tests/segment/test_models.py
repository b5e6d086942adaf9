"""Model builders: shapes, the offline encoder weights really loaded, the hand-written nets."""

from __future__ import annotations

import pytest
import torch

from oculi.core.errors import ParameterError, UnknownNameError
from oculi.segment import create_segmenter, rebuild, segmenters
from oculi.segment._volumetric import total_stride


def test_registry_lists_all_families():
    names = set(segmenters.names())
    assert {
        "unet",
        "unetplusplus",
        "fpn",
        "linknet",
        "pspnet",
        "deeplabv3",
        "deeplabv3plus",
        "pan",
        "fcn",
        "segnet",
        "enet",
        "vnet",
        "unet3d",
    } <= names
    with pytest.raises(UnknownNameError, match="unet"):
        create_segmenter("unte", pretrained=False)
    with pytest.raises(ParameterError, match=r"num_classes: expected 2 or more .* got 1"):
        create_segmenter("unet", num_classes=1, pretrained=False)


def test_pretrained_encoder_holds_the_registry_weights():
    from oculi.models import create_model

    model = create_segmenter("unet", num_classes=2, pretrained=True)
    ref = create_model("efficientnet_lite0", pretrained=True).body.state_dict()
    enc = model.net.encoder.model.state_dict()
    assert torch.equal(enc["conv_stem.weight"], ref["conv_stem.weight"])
    assert torch.equal(enc["blocks.6.0.conv_pwl.weight"], ref["blocks.6.0.conv_pwl.weight"])
    scratch = create_segmenter("unet", num_classes=2, pretrained=False)
    assert not torch.equal(
        scratch.net.encoder.model.state_dict()["conv_stem.weight"], ref["conv_stem.weight"]
    )
    # the packaged weights' input spec (mean = std = 0.5) travels with the model
    assert model.mean.flatten().tolist() == [0.5, 0.5, 0.5]


@pytest.mark.parametrize(
    ("arch", "opts"), [("fpn", {}), ("segnet", {"width": 0.125}), ("enet", {"width": 0.5})]
)
def test_2d_output_shapes(arch, opts):
    m = create_segmenter(arch, num_classes=5, pretrained=False, **opts).eval()
    with torch.no_grad():
        y = m(torch.rand(1, 3, 64, 96))
    assert y.shape == (1, 5, 64, 96)


def test_binary_models_have_one_channel_and_rebuild_from_config():
    m = create_segmenter("linknet", num_classes=2, pretrained=False)
    assert m.out_channels == 1
    r = rebuild(m.config())
    r.load_state_dict(m.state_dict())
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(m.eval()(x), r.eval()(x))


def test_volumetric_nets_with_anisotropic_strides():
    strides = [(1, 2, 2), (1, 2, 2), (2, 2, 2)]
    u = create_segmenter("unet3d", num_classes=2, features=(4, 8, 8, 16), strides=strides).eval()
    assert u.stride == total_stride(strides) == (2, 8, 8)
    v = create_segmenter(
        "vnet", num_classes=3, base=2, strides=[(1, 2, 2), (1, 2, 2), (2, 2, 2), (2, 2, 2)]
    ).eval()
    x = torch.rand(1, 1, 8, 32, 32)
    with torch.no_grad():
        assert u(x).shape == (1, 1, 8, 32, 32)
        assert v(x).shape == (1, 3, 8, 32, 32)
