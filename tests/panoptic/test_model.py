"""Panoptic FPN's model: the semantic head's stages, the losses and output shapes on a tiny
input, the semantic-only baseline."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.panoptic.scenes import THINGS, scene, targets


@pytest.fixture(scope="module")
def tiny_model():
    from oculi.panoptic.model import PanopticFPN

    torch.manual_seed(0)
    return PanopticFPN(num_classes=4, things=THINGS, pretrained=False, image_size=64,
                       fpn_channels=16, semantic_channels=16, class_names=["sky", "road", "car",
                                                                             "person"])


def test_semantic_head_and_losses_on_a_tiny_input(tiny_model):
    from oculi.panoptic.model import IGNORE, SemanticFPNHead

    head = SemanticFPNHead(8, [8, 16, 32], 5, channels=8)
    out = head([torch.rand(2, 8, 12, 16), torch.rand(2, 8, 6, 8), torch.rand(2, 8, 3, 4)])
    assert out.shape == (2, 5, 12, 16)
    assert [len(s) for s in head.stages] == [3, 4, 8]    # conv-GN-ReLU (+ up) per stage
    cat = torch.tensor([[0, 1, 2, 3, -1]])
    assert tiny_model.semantic_target(cat).tolist() == [[0, 1, 2, 2, IGNORE]]

    ds = targets([scene(0)[1], scene(1)[1]])
    x, t = zip(*(ds[i] for i in range(2)), strict=True)
    assert t[0]["masks"].shape[1:] == (48, 64) and t[0]["labels"].min() >= 1
    tiny_model.train()
    losses = tiny_model(list(x), list(t))
    assert {"loss_semantic", "loss_mask", "loss_classifier", "loss_objectness"} <= set(losses)
    # the semantic term is semantic_weight x the mean CE: ln(3) at chance, finite, positive
    assert 0 < float(losses["loss_semantic"].detach()) < 5
    sum(losses.values()).backward()
    assert tiny_model.semantic.classifier.weight.grad is not None
    tiny_model.eval()
    with torch.no_grad():
        out = tiny_model([torch.rand(3, 40, 56), torch.rand(3, 48, 64)])
    assert out[0]["semantic"].shape == (3, 40, 56) and out[1]["semantic"].shape == (3, 48, 64)
    assert out[0]["masks"].shape[-2:] == (40, 56)
    maps = tiny_model.panoptic([torch.rand(3, 40, 56)])
    assert maps[0].shape == (40, 56) and maps[0].dtype == np.int64


def test_baseline_model_has_no_instance_branch():
    from oculi.panoptic.model import PanopticFPN

    m = PanopticFPN(num_classes=4, things=THINGS, pretrained=False, image_size=64,
                    fpn_channels=16, semantic_channels=16, instances=False)
    assert m.net.rpn is None and m.semantic_classes == 4
    ds = targets([scene(0)[1]])
    x, t = ds[0]
    losses = m.train()([x], [t])
    assert set(losses) == {"loss_semantic"}
    pred = m.panoptic([x])[0]
    assert pred.shape == (48, 64)


def test_panoptic_asks_the_roi_heads_only_for_boxes_the_merge_keeps(tiny_model, monkeypatch):
    heads = tiny_model.net.roi_heads
    seen = []
    original = heads.postprocess_detections

    def spy(*args, **kw):
        seen.append(heads.score_thresh)
        return original(*args, **kw)

    monkeypatch.setattr(heads, "postprocess_detections", spy)
    before = heads.score_thresh
    tiny_model.panoptic([torch.rand(3, 40, 56)], score_threshold=0.7)
    assert seen == [0.7] and heads.score_thresh == before
