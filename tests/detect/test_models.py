"""Every architecture, on the real EfficientNet-Lite0 backbone, trains a few iterations on a tiny
crop of the raccoon data (four images at 128 pixels) and its loss falls; eval mode returns boxes
in the input image's pixels. The region-based models and RetinaNet are slower: marked slow (R-CNN,
Fast R-CNN and EfficientDet learn in test_rcnn.py and test_efficientdet.py)."""

from __future__ import annotations

import pytest
import torch

from oculi.core.errors import ParameterError, UnknownNameError
from oculi.detect import TRAINABLE, create_detector, rebuild

# R-CNN, Fast R-CNN and EfficientDet learn in their own test files
SLOW = {"fasterrcnn", "maskrcnn", "retinanet", "rcnn", "fastrcnn", "efficientdet"}
LR = {"yolo": 1e-2, "ssdlite": 3e-3, "retinanet": 2e-4}
STEPS = {"yolo": 16}  # cheap steps; its CIoU + objectness loss moves slowly at first


def _with_masks(targets, images):
    out = []
    for t, x in zip(targets, images, strict=True):
        m = torch.zeros(len(t["boxes"]), *x.shape[-2:], dtype=torch.uint8)
        for k, b in enumerate(t["boxes"].round().int().tolist()):
            m[k, b[1]:b[3], b[0]:b[2]] = 1
        out.append({**t, "masks": m})
    return out


@pytest.mark.parametrize("arch", [pytest.param(a, marks=pytest.mark.slow) if a in SLOW else a
                                  for a in TRAINABLE])
def test_loss_falls_on_tiny_crop(arch, tiny_raccoon):
    images, targets, _ = tiny_raccoon
    if arch == "maskrcnn":
        targets = _with_masks(targets, images)
    torch.manual_seed(0)
    model = create_detector(arch, num_classes=1, class_names=["raccoon"], image_size=128)
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                            LR.get(arch, 1e-3))
    losses = []
    for _ in range(STEPS.get(arch, 8)):
        loss = sum(model(images, targets).values())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert all(torch.isfinite(torch.tensor(losses)))
    # the median of the last three steps (robust to one focal-loss spike) against the start
    assert sorted(losses[-3:])[1] < 0.8 * sum(losses[:2]) / 2, losses
    model.eval()
    with torch.no_grad():
        out = model(images[:1])[0]
    h, w = images[0].shape[-2:]
    b = out["boxes"]
    assert b.shape[1] == 4 and (b[:, 0::2] <= w + 1e-3).all() and (b[:, 1::2] <= h + 1e-3).all()
    assert set(out["labels"].tolist()) <= {1}


def test_rebuild_from_config():
    m = create_detector("yolo", num_classes=3, class_names=["a", "b", "c"], pretrained=False,
                        image_size=160, anchors=[[i + 4, i + 6] for i in range(9)])
    r = rebuild(m.config())
    assert r.config() == m.config()
    assert r.net.anchors.view(-1, 2)[0].tolist() == [4.0, 6.0]
    assert set(r.state_dict()) == set(m.state_dict())


def test_bad_names():
    with pytest.raises(ParameterError, match="not trainable"):
        create_detector("hog-people")
    with pytest.raises(UnknownNameError, match="did you mean 'retinanet'"):
        create_detector("retinnet")
