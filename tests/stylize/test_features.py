"""Named feature layers: Lite0 from the registry, VGG from a weights file the user supplies."""

from __future__ import annotations

import pytest
import torch

from oculi.core.errors import DataError, ParameterError, UnknownNameError
from oculi.stylize import StyleFeatures


def test_lite0_layers_by_name():
    f = StyleFeatures(pretrained=False)
    out = f(torch.rand(1, 3, 64, 64), ["stem", "blocks.2"])
    assert set(out) == {"stem", "blocks.2"}
    assert out["stem"].shape == (1, 32, 32, 32) and out["blocks.2"].shape == (1, 40, 8, 8)
    with pytest.raises(UnknownNameError, match="relu1_1"):
        f(torch.rand(1, 3, 32, 32), ["relu1_1"])


def test_user_vgg_weights_file_loads(tmp_path):
    import torchvision

    body = torchvision.models.vgg16(weights=None).features.eval()
    path = tmp_path / "vgg16.pth"
    torch.save({f"features.{k}": v for k, v in body.state_dict().items()}, path)
    f = StyleFeatures("vgg16", weights=path)
    x = torch.rand(1, 3, 32, 32)
    got = f(x, ["relu2_2"])["relu2_2"]
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        ref = body[:9]((x - mean) / std)  # conv1_1 .. relu2_2
    torch.testing.assert_close(got, ref)
    assert "relu4_3" in f.names and "pool5" in f.names


def test_vgg_needs_a_good_file(tmp_path):
    with pytest.raises(ParameterError, match="weights"):
        StyleFeatures("vgg19")
    bad = tmp_path / "bad.pth"
    bad.write_text("not a state dict")
    with pytest.raises(DataError, match=r"bad\.pth"):
        StyleFeatures("vgg19", weights=bad)
    with pytest.raises(DataError, match="no such"):
        StyleFeatures("vgg19", weights=tmp_path / "missing.pth")


def test_vgg_weights_read_as_safetensors(tmp_path):
    import torchvision
    from safetensors.torch import save_file

    body = torchvision.models.vgg16(weights=None).features.eval()
    path = tmp_path / "vgg16.safetensors"
    save_file({k: v.contiguous() for k, v in body.state_dict().items()}, str(path))
    f = StyleFeatures("vgg16", weights=path)
    x = torch.rand(1, 3, 32, 32)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        ref = body[:4]((x - mean) / std)  # conv1_1 .. relu1_2
    torch.testing.assert_close(f(x, ["relu1_2"])["relu1_2"], ref)
