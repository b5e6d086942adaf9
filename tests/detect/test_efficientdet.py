"""EfficientDet: compound scaling against the paper's table, the model's parts at D0 and D1,
a few training steps that lower the focal loss (fusion weights stay non-negative and
normalised), and a run through the detection task that rebuilds from its checkpoint."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from oculi.detect import create_detector
from oculi.detect.efficientdet import compound_scaling


def _squares(n: int, seed: int, size: int = 96) -> tuple[list[torch.Tensor], list[dict]]:
    """Noise images with one red square each, as (3, H, W) floats and torchvision targets."""
    rng = np.random.default_rng(seed)
    images, targets = [], []
    for _ in range(n):
        im = rng.integers(0, 256, (size, size, 3)).astype(np.uint8)
        s = int(rng.integers(28, 48))
        y, x = (int(v) for v in rng.integers(0, size - s, 2))
        im[y:y + s, x:x + s] = (230, 30, 30)
        images.append(torch.from_numpy(im).permute(2, 0, 1).float() / 255)
        targets.append({"boxes": torch.tensor([[x, y, x + s, y + s]], dtype=torch.float32),
                        "labels": torch.tensor([1])})
    return images, targets


def test_compound_scaling_matches_the_paper():
    from oculi.core.errors import ParameterError

    # EfficientDet paper, Table 1: D0 64/3/3/512, D1 88/4/3/640, D3 160/6/4/896
    assert tuple(compound_scaling(0)) == (64, 3, 3, 512)
    assert tuple(compound_scaling(1)) == (88, 4, 3, 640)
    assert tuple(compound_scaling(3)) == (160, 6, 4, 896)
    for bad in (-1, 1.5, True):
        with pytest.raises(ParameterError, match="phi"):
            compound_scaling(bad)


@pytest.mark.parametrize(("phi", "width", "layers", "head"), [(0, 64, 3, 3), (1, 88, 4, 3)])
def test_model_parts_follow_phi(phi, width, layers, head):
    from oculi.detect.necks import BiFPN, SeparableConv

    m = create_detector("efficientdet", num_classes=2, pretrained=False, image_size=128,
                        phi=phi)
    neck = m.net.backbone.neck
    assert isinstance(neck, BiFPN) and neck.width == width and len(neck.layers) == layers
    assert neck.levels == 5                                          # P3-P7
    tower = m.net.head.classification_head.conv
    assert len(tower) == head and all(isinstance(t, SeparableConv) for t in tower)
    assert m.net.head.classification_head.num_classes == 3          # K + background slot


def test_training_steps_lower_the_loss_and_keep_fusion_weights_normalised():
    images, targets = _squares(4, 0)
    torch.manual_seed(0)
    m = create_detector("efficientdet", num_classes=1, image_size=96)
    m.train()
    opt = torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], 3e-3)
    losses = []
    for _ in range(10):
        loss = sum(m(images, targets).values())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert sorted(losses[-3:])[1] < 0.7 * losses[0], losses
    fusions = m.net.backbone.neck.fusions()
    assert len(fusions) == 3 * 8
    moved = 0
    for f in fusions:
        w = f.normalised().detach()
        assert (w >= 0).all() and float(w.sum()) == pytest.approx(1.0, abs=1e-3)
        moved += int(not torch.allclose(f.weight.detach(), torch.ones_like(f.weight)))
    assert moved > 0                                                  # the weights are learned


def test_trains_through_the_detection_task(tmp_path):
    from oculi.detect import DetectionConfig, load_detector, train_detector
    from oculi.io import write_image
    from oculi.train import read_metrics

    images, targets = _squares(10, 3)
    for name, part in (("train", slice(0, 8)), ("val", slice(8, 10))):
        rows = ["filename,width,height,class,xmin,ymin,xmax,ymax"]
        (tmp_path / name).mkdir()
        for i, (im, t) in enumerate(zip(images[part], targets[part], strict=True)):
            write_image(tmp_path / name / f"{i}.png",
                        (im.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))
            x0, y0, x1, y1 = t["boxes"][0].tolist()
            rows.append(f"{i}.png,96,96,square,{x0},{y0},{x1},{y1}")
        (tmp_path / name / "labels.csv").write_text("\n".join(rows) + "\n")
    cfg = DetectionConfig(model="efficientdet", image_size=96, epochs=3, batch_size=4, lr=3e-3,
                          warmup_epochs=0.0, augment=False, threads=1, grid_images=0,
                          arch_options={"phi": 0, "width": 48, "score_thresh": 0.0},
                          val_data=str(tmp_path / "val" / "labels.csv"))
    train_detector(tmp_path / "train" / "labels.csv", cfg, tmp_path / "run", progress=False)
    hist = read_metrics(tmp_path / "run")
    assert hist[-1]["train_loss"] < hist[0]["train_loss"]
    model = load_detector(tmp_path / "run")
    assert model.arch == "efficientdet" and model.net.backbone.neck.width == 48
    det = model.detect([images[0].permute(1, 2, 0).numpy()], score_threshold=0.0)[0]
    assert det.boxes.shape[1] == 4 and len(det.boxes) > 0
    assert (det.boxes[:, 2:] <= 96 + 1e-3).all() and set(det.labels.tolist()) == {1}


def test_evaluation_mode_maps_match_training_mode_after_a_short_run():
    """BatchNorm running statistics settle within the steps of a short run (150 here): the maps
    the head sees in evaluation mode have the scale of training mode's (with the paper's
    momentum 0.01 they were several times smaller after a 300 s run, and every score sat at the
    0.01 prior)."""
    torch.manual_seed(0)
    m = create_detector("efficientdet", num_classes=1, pretrained=False, image_size=64)
    body = m.net.backbone
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        body.train()
        for _ in range(150):
            body(x)
        train_std = [float(v.std()) for v in body(x).values()]
        body.eval()
        eval_std = [float(v.std()) for v in body(x).values()]
    for t, e in zip(train_std, eval_std, strict=True):
        assert 0.5 < e / t < 2.0, (train_std, eval_std)


@pytest.mark.parametrize("arch", ["retinanet", "efficientdet"])
def test_focal_detectors_never_return_the_background_label(arch):
    """The focal-loss head scores its background slot 0 too (low, but above a zero threshold):
    detections keep labels 1..K only."""
    torch.manual_seed(0)
    m = create_detector(arch, num_classes=2, pretrained=False, image_size=64, frozen_stages=0,
                        score_thresh=0.0).eval()
    with torch.no_grad():
        out = m([torch.rand(3, 64, 64)])[0]
    assert len(out["labels"]) > 0
    assert set(out["labels"].tolist()) <= {1, 2}


def test_box_loss_is_l1_by_default_and_giou_can_be_chosen():
    import torch.nn.functional as F
    from torchvision.ops import generalized_box_iou_loss

    from oculi.core.errors import ParameterError

    head = create_detector("efficientdet", num_classes=1, pretrained=False, image_size=64,
                           box_loss="giou").net.head.regression_head
    assert head._loss_type == "giou"
    # with "giou" the head computes torchvision's GIoU of the decoded boxes, summed over the
    # foreground anchors (here: every anchor matched to one box), not L1 of the deltas
    anchors = [torch.tensor([[0.0, 0.0, 20.0, 20.0], [10.0, 10.0, 40.0, 30.0]])]
    deltas = torch.tensor([[[0.1, -0.2, 0.05, 0.3], [0.0, 0.1, -0.2, 0.0]]])
    target = [{"boxes": torch.tensor([[2.0, 1.0, 25.0, 22.0]])}]
    loss = head.compute_loss(target, {"bbox_regression": deltas}, anchors,
                             [torch.tensor([0, 0])])
    boxes = head.box_coder.decode_single(deltas[0], anchors[0])
    want = generalized_box_iou_loss(boxes, target[0]["boxes"].expand(2, 4), reduction="sum") / 2
    assert float(loss) == pytest.approx(float(want), rel=1e-5)
    l1 = create_detector("efficientdet", num_classes=1, pretrained=False,
                         image_size=64).net.head.regression_head
    assert l1._loss_type == "l1"
    enc = l1.box_coder.encode_single(target[0]["boxes"].expand(2, 4), anchors[0])
    got = l1.compute_loss(target, {"bbox_regression": deltas}, anchors, [torch.tensor([0, 0])])
    assert float(got) == pytest.approx(float(F.l1_loss(deltas[0], enc, reduction="sum")) / 2)
    with pytest.raises(ParameterError, match="box_loss"):
        create_detector("efficientdet", num_classes=1, pretrained=False, image_size=64,
                        box_loss="huber")
