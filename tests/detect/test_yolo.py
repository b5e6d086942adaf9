"""oculi's YOLO pieces: CIoU against torchvision, k-means anchors, target assignment/decoding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from oculi.detect import ciou, kmeans_anchors
from oculi.detect.yolo import wh_iou


def test_ciou_matches_torchvision(rng):
    from torchvision.ops import complete_box_iou_loss

    xy = rng.uniform(0, 50, (64, 2))
    a = np.concatenate([xy, xy + rng.uniform(2, 30, (64, 2))], 1)
    xy2 = xy + rng.uniform(-10, 10, (64, 2))
    b = np.concatenate([xy2, xy2 + rng.uniform(2, 30, (64, 2))], 1)
    ta, tb = torch.as_tensor(a), torch.as_tensor(b)
    ref = 1 - complete_box_iou_loss(ta, tb, reduction="none")
    torch.testing.assert_close(ciou(ta, tb), ref, atol=1e-6, rtol=1e-6)
    same = ciou(ta, ta)
    torch.testing.assert_close(same, torch.ones_like(same), atol=1e-6, rtol=0)


def test_kmeans_recovers_three_shapes(rng):
    centres = np.array([[12.0, 20], [60, 40], [150, 200]])
    wh = np.concatenate([c * rng.uniform(0.95, 1.05, (50, 2)) for c in centres])
    anchors = kmeans_anchors(wh, 3, seed=1)
    np.testing.assert_allclose(anchors, centres, rtol=0.05)
    assert (np.diff(anchors.prod(1)) > 0).all()  # sorted by area
    assert wh_iou(anchors, centres).diagonal().min() > 0.9
    assert kmeans_anchors(wh[:2], 9).shape == (9, 2)  # fewer boxes than anchors


def test_decode_inverts_a_perfect_prediction():
    """Write the logits that encode one box into the head output; decoding gives the box."""
    from oculi.detect import create_detector

    m = create_detector("yolo", num_classes=2, pretrained=False, image_size=128).eval()
    net = m.net
    preds = [torch.full((1, 3, 128 // s, 128 // s, 7), -20.0) for s in net.strides]
    # box centre (52, 44), size 40x30 on level 1 (stride 16), class 2
    s, a = 16, 2  # anchor 2 of level 1 (12 x 24 pixels at 128): within the 4x range
    aw, ah = net.anchors[1, a].tolist()
    gx, gy = 3, 2
    ox, oy = 52 / s - gx, 44 / s - gy  # offsets in the cell: sigmoid*2 - 0.5
    p = preds[1][0, a, gy, gx]
    p[0] = torch.logit(torch.tensor((ox + 0.5) / 2))
    p[1] = torch.logit(torch.tensor((oy + 0.5) / 2))
    p[2] = torch.logit(torch.tensor((40 / aw) ** 0.5 / 2))
    p[3] = torch.logit(torch.tensor((30 / ah) ** 0.5 / 2))
    p[4], p[5], p[6] = 10.0, -10.0, 10.0
    out = net.decode(preds, [0.5], [(256, 256)])[0]  # the input had been scaled by 0.5
    torch.testing.assert_close(out["boxes"][0], torch.tensor([64.0, 58, 144, 118]),
                               atol=1e-3, rtol=0)
    assert int(out["labels"][0]) == 2 and float(out["scores"][0]) > 0.99


def test_training_mode_needs_targets():
    from oculi.core.errors import ParameterError
    from oculi.detect import create_detector

    m = create_detector("yolo", num_classes=1, pretrained=False, image_size=64).train()
    with pytest.raises(ParameterError, match="targets: required"):
        m([torch.rand(3, 64, 64)])
