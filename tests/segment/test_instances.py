"""Instances from masks (components, distance-transform watershed), from Mask R-CNN masks, and the
classical nuclei pipeline on the DSB 2018 image, scored with oculi.train.metrics."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import DataError, ShapeError, ValueRangeError
from oculi.detect.types import Detections
from oculi.segment import (
    classical_instances,
    colorize_instances,
    instances_from_probability,
    label_components,
    labels_from_detections,
    labels_from_masks,
    overlay_instances,
    relabel_sequential,
    split_instances,
)
from oculi.train.metrics import InstanceMetrics, match_instances


def _discs(centres, radius, shape=(64, 96)):
    """A label image of discs (later ids win where discs overlap)."""
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    lab = np.zeros(shape, np.int32)
    for k, (cy, cx) in enumerate(centres, 1):
        lab[(yy - cy) ** 2 + (xx - cx) ** 2 < radius**2] = k
    return lab


def test_two_touching_discs_components_merge_watershed_splits():
    true = _discs([(32, 30), (32, 52)], 12)  # centres 22 px apart, radius 12: they overlap
    fg = true > 0
    assert label_components(fg).max() == 1
    lab = split_instances(fg, min_distance=5)
    m = match_instances(true, lab, 0.5)
    assert (m.tp, m.fp, m.fn) == (2, 0, 0)
    assert m.mean_iou > 0.9


def test_watershed_on_a_cluster_of_touching_discs():
    rng = np.random.default_rng(3)
    centres = [(16 + 20 * i + rng.integers(-2, 3), 14 + 20 * j + rng.integers(-2, 3))
               for i in range(3) for j in range(4)]  # fmt: skip
    true = _discs(centres, 11, shape=(72, 92))  # neighbours overlap by a few pixels
    im_ws, im_cc = InstanceMetrics(), InstanceMetrics()
    im_ws.update(true, split_instances(true > 0, min_distance=5))
    im_cc.update(true, label_components(true > 0))
    ws, cc = im_ws.compute(), im_cc.compute()
    assert ws["f1"] >= 0.95 and ws["pq"] > 0.85
    assert cc["f1"] < 0.3  # the components merge the cluster


def test_h_maxima_keeps_a_shallow_waist_whole():
    # an ellipse-ish blob with a slight waist: a large h does not split it, h = 0 does
    true = _discs([(32, 40), (32, 50)], 12)
    one = split_instances(true > 0, min_distance=2, h=4.0)
    assert one.max() == 1
    assert split_instances(true > 0, min_distance=2, h=0.0).max() == 2


def test_min_size_fill_holes_and_seedless_components():
    m = np.zeros((40, 40), bool)
    m[5:20, 5:20] = True
    m[10:14, 10:14] = False  # a hole
    m[30, 30] = True  # a 1-pixel speck
    m[30:32, 5:7] = True  # a 4-pixel object
    lab = split_instances(m, min_size=3, fill_holes=True)
    assert lab.max() == 2
    big = lab[8, 8]
    assert (lab[10:14, 10:14] == big).all()  # hole filled
    assert lab[30, 30] == 0 and lab[30, 5] > 0
    cc = label_components(m, min_size=3)
    assert cc.max() == 2 and cc[11, 11] == 0  # no filling asked


def test_relabel_and_probability_input():
    lab = np.array([[0, 7, 7, 0, 40]])
    assert relabel_sequential(lab).tolist() == [[0, 1, 1, 0, 2]]
    assert relabel_sequential(np.array([[5, 5, 9]])).tolist() == [[1, 1, 2]]
    prob = np.array([[0.1, 0.9, 0.8, 0.2, 0.7, 0.6]])
    out = instances_from_probability(prob, method="components")
    assert out.tolist() == [[0, 1, 1, 0, 2, 2]]
    assert out.dtype == np.int32
    with pytest.raises(ValueRangeError, match="logits"):
        instances_from_probability(np.array([[-3.0, 4.0]]))
    with pytest.raises(ShapeError):
        split_instances(np.zeros((2, 2, 2), bool))


def test_labels_from_masks_overlap_goes_to_the_higher_score():
    masks = np.zeros((3, 6, 6), np.float32)
    masks[0, 0:4, 0:4] = 0.9  # score 0.6
    masks[1, 2:6, 2:6] = 0.8  # score 0.95: wins the 2x2 overlap
    masks[2, 0:2, 4:6] = 0.9  # score 0.3: below the score cut
    lab = labels_from_masks(masks, [0.6, 0.95, 0.3], score=0.5)
    assert lab.max() == 2
    assert (lab[2:6, 2:6] == 1).all()  # id 1 = highest score
    assert (lab[0:2, 0:4] == 2).all() and lab[3, 0] == 2 and lab[3, 3] == 1
    assert (lab[0:2, 4:6] == 0).all()
    # Detections from Mask R-CNN carry the masks; box-only ones do not
    det = Detections(np.zeros((3, 4), np.float32), np.array([0.6, 0.95, 0.3], np.float32),
                     np.ones(3, np.int64), ["a"] * 3, masks)  # fmt: skip
    assert (labels_from_detections(det) == lab).all()
    with pytest.raises(DataError, match="Mask R-CNN"):
        labels_from_detections(Detections(det.boxes, det.scores, det.labels, det.names))
    with pytest.raises(ShapeError):
        labels_from_masks(masks, [0.5])


def test_colours_and_overlay():
    lab = np.array([[0, 1, 2], [3, 3, 0]])
    col = colorize_instances(lab)
    assert col.shape == (2, 3, 3) and col.dtype == np.uint8
    assert (col[0, 0] == 0).all() and (col[0, 1] != col[0, 2]).any()
    assert (col[1, 0] == col[1, 1]).all()
    img = np.full((2, 3), 100, np.uint8)
    ov = overlay_instances(img, lab, outline=False)
    assert (ov[0, 0] == 100).all() and (ov[0, 1] != 100).any()
    with pytest.raises(ShapeError):
        overlay_instances(img, lab[:, :2])


def test_classical_pipeline_on_dsb_nuclei(shared_data):
    from oculi.io import read_image

    root = shared_data / "seg_nuclei_dsb"
    if not root.is_dir():
        pytest.skip("seg_nuclei_dsb not in the shared data")
    image = read_image(root / "img2d.tif", mode="unchanged")
    true = read_image(root / "mask2d.tif", mode="unchanged").astype(np.int64)
    assert image.shape == (512, 512) and len(np.unique(true)) - 1 == 125
    kw = {"min_distance": 4, "h": 0.5, "sigma": 1.0}
    ws, cc = InstanceMetrics(), InstanceMetrics()
    for rows in (slice(0, 256), slice(256, 512)):  # two images: the halves
        ws.update(true[rows], classical_instances(image[rows], **kw))
        cc.update(true[rows], classical_instances(image[rows], method="components"))
    r, c = ws.compute(), cc.compute()
    # measured: F1@0.5 0.75, DSB 0.33, PQ 0.59; components alone F1 0.56
    assert 0.68 <= r["f1"] <= 0.85
    assert 0.27 <= r["dsb"] <= 0.42
    assert 0.5 <= r["pq"] <= 0.68
    assert r["f1"] > c["f1"] + 0.1  # splitting touching nuclei matters on this image


def test_maskrcnn_detections_carry_masks_for_the_label_image():
    import torch

    from oculi.detect import create_detector

    torch.manual_seed(0)
    det = create_detector("maskrcnn", num_classes=1, pretrained=False, image_size=128)
    image = np.random.default_rng(0).integers(0, 255, (96, 128, 3), dtype=np.uint8)
    d = det.detect([image], score_threshold=0.0)[0]
    assert d.masks is not None and d.masks.shape == (len(d), 96, 128)
    assert d.masks.dtype == np.float32 and np.all((d.masks >= 0) & (d.masks <= 1))
    lab = labels_from_detections(d, score=0.0)
    assert lab.shape == (96, 128) and lab.max() <= len(d)
    # a box-only detector gives no masks
    box = create_detector("fasterrcnn", num_classes=1, pretrained=False, image_size=128)
    assert box.detect([image], score_threshold=0.0)[0].masks is None
