"""CAM family: parity with pytorch-grad-cam on the same model, layer, inputs and targets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from oculi.explain import cam, features, gradcam, gradcampp, hirescam, layercam, scorecam
from oculi.explain._base import normalize_maps

pgc = pytest.importorskip("pytorch_grad_cam")
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget  # noqa: E402


def _anchor(cls, model, layer, x, targets, **kw) -> torch.Tensor:
    with cls(model=model, target_layers=[layer], **kw) as c:
        out = c(input_tensor=x, targets=[ClassifierOutputTarget(int(t)) for t in targets])
    return normalize_maps(torch.from_numpy(out))


@pytest.mark.parametrize(
    ("ours", "name", "kw"),
    [
        (gradcam, "GradCAM", {}),
        (gradcampp, "GradCAMPlusPlus", {"variant": "pytorch-grad-cam"}),
        (layercam, "LayerCAM", {}),
        (hirescam, "HiResCAM", {}),
    ],
)
@pytest.mark.parametrize("arch", ["resnet18", "lite0_random"])
def test_parity_with_pytorch_grad_cam(ours, name, kw, arch, request) -> None:
    model = request.getfixturevalue(arch)
    torch.manual_seed(1)
    x = torch.rand(2, 3, 64, 96)
    targets = [3, 500]
    e = ours(model, x, targets, **kw)
    layer = model.layer4 if arch == "resnet18" else model.bn2
    assert e.layer == ("layer4" if arch == "resnet18" else "bn2")
    ref = _anchor(getattr(pgc, name), model, layer, x, targets)
    assert e.maps.shape == (2, 64, 96)
    assert float((e.maps - ref).abs().max()) <= 1e-4


def test_scorecam_parity(tiny) -> None:
    torch.manual_seed(2)
    x = torch.rand(2, 3, 20, 24)
    e = scorecam(tiny, x, [1, 4], layer="act2", batch_size=3)
    ref = _anchor(pgc.ScoreCAM, tiny, tiny.act2, x, [1, 4])
    assert float((e.maps - ref).abs().max()) <= 1e-4


def test_gradcampp_official_variant_by_hand(tiny) -> None:
    torch.manual_seed(3)
    x = torch.rand(1, 3, 16, 16)
    e = gradcampp(tiny, x, 2, layer="act2")
    # hand computation: A = relu6(conv2(...)), logits = W mean(A) + b => g = W[c] / (h w)
    with torch.no_grad():
        a = tiny.act2(tiny.conv2(tiny.act1(tiny.conv1(x))))[0]
    g = (tiny.fc.weight[2] / a[0].numel()).detach()[:, None, None].expand_as(a)
    s = a.sum((1, 2))[:, None, None]
    alpha = torch.where(g != 0, 1 / (2 + s * g), 0)
    alpha = alpha / alpha.sum((1, 2), keepdim=True)
    w = (F.relu(g) * alpha).sum((1, 2))
    raw = F.relu((w[:, None, None] * a).sum(0))
    assert torch.allclose(e.raw[0], raw, atol=1e-6)


def test_cam_uses_classifier_weights(resnet18) -> None:
    torch.manual_seed(4)
    x = torch.rand(1, 3, 64, 64)
    e = cam(resnet18, x, 7)
    feats = {}
    h = resnet18.layer4.register_forward_hook(lambda m, i, o: feats.setdefault("a", o))
    with torch.no_grad():
        resnet18(x)
    h.remove()
    ref = torch.einsum("c,chw->hw", resnet18.fc.weight[7], feats["a"][0])
    assert torch.allclose(e.raw[0], ref, atol=1e-5)
    # for a GAP + linear net Grad-CAM is ReLU(CAM) up to scale
    g = gradcam(resnet18, x, 7)
    assert torch.allclose(normalize_maps(F.relu(ref)), normalize_maps(g.raw[0]), atol=1e-5)


def test_features_is_channel_mean(tiny) -> None:
    x = torch.rand(1, 3, 16, 16)
    e = features(tiny, x, layer="conv1")
    with torch.no_grad():
        ref = tiny.conv1(x).mean(1)
    assert torch.allclose(e.raw, ref, atol=1e-6)
    assert e.maps.shape == (1, 16, 16) and float(e.maps.max()) == pytest.approx(1.0)


def test_several_targets_one_call_equal_separate_calls(lite0_random) -> None:
    torch.manual_seed(5)
    x = torch.rand(2, 3, 64, 64)  # a 2x2 last feature map
    t = torch.tensor([[1, 2, 3], [10, 20, 30]])
    for fn in (gradcam, gradcampp):
        many = fn(lite0_random, x, t)
        assert many.maps.shape == (2, 3, 64, 64)
        for k in range(3):
            one = fn(lite0_random, x, t[:, k])
            # Compare the raw (pre-normalisation) maps: on a 2x2 map of a random net, min-max
            # normalisation turns float-rounding differences of the batched backward (thread
            # count, reduction order) into large ones when a map is nearly flat.
            scale = float(one.raw.abs().max()) + 1e-12
            assert torch.allclose(many.raw[:, k], one.raw, rtol=1e-4, atol=1e-5 * scale), fn.__name__
            assert many.maps.shape[1:] == (3, 64, 64)


def test_vit_token_grid(request) -> None:
    timm = pytest.importorskip("timm")
    torch.manual_seed(6)
    vit = timm.create_model("vit_tiny_patch16_224", pretrained=False, img_size=64).eval()
    x = torch.rand(1, 3, 64, 64)
    e = gradcam(vit, x, 3)
    assert e.layer == "blocks.11.norm1" and e.raw.shape == (1, 4, 4)

    def reshape(t: torch.Tensor) -> torch.Tensor:
        return t[:, 1:, :].reshape(t.size(0), 4, 4, t.size(2)).permute(0, 3, 1, 2)

    with pgc.GradCAM(model=vit, target_layers=[vit.blocks[-1].norm1],
                     reshape_transform=reshape) as c:
        ref = c(input_tensor=x, targets=[ClassifierOutputTarget(3)])
    ref = normalize_maps(torch.from_numpy(ref))
    assert float((e.maps - ref).abs().max()) <= 1e-4


def test_output_selector(tiny) -> None:
    class Wrap(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = tiny

        def forward(self, x):
            return {"aux": x.mean(), "logits": self.net(x)}

    x = torch.rand(1, 3, 16, 16)
    a = gradcam(Wrap(), x, 1, layer="net.act2")
    b = gradcam(tiny, x, 1, layer="act2")
    assert torch.equal(a.maps, b.maps)
    assert np.isclose(float(a.scores[0]), float(tiny(x)[0, 1].detach()), atol=1e-5)


def test_default_layer_is_the_input_of_global_pooling(tiny, resnet18) -> None:
    x = torch.rand(1, 3, 16, 16)
    assert gradcam(tiny, x).layer == "act2"  # the activation module before `pool`
    assert gradcam(resnet18, torch.rand(1, 3, 64, 64)).layer == "layer4"
    seq = torch.nn.Sequential(tiny.conv1, torch.nn.ReLU(), tiny.conv2, torch.nn.ReLU(),
                              torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), tiny.fc)
    assert gradcam(seq, x).layer == "3"  # found by the probe forward: last map with H*W > 1
