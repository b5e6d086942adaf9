"""Instance metrics (oculi.train.metrics.instance) against hand-computed cases and a brute-force
reference."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oculi.core.errors import DTypeError, ShapeError, ValueRangeError
from oculi.train.metrics import (
    DSB_THRESHOLDS,
    InstanceMetrics,
    dsb_score,
    instance_overlaps,
    match_instances,
    panoptic_quality,
)


def test_dsb_thresholds():
    assert DSB_THRESHOLDS == (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def test_perfect_match_with_non_contiguous_ids():
    true = np.zeros((6, 8), np.uint16)
    true[1:3, 1:4] = 3
    true[4:6, 5:8] = 17
    pred = np.zeros((6, 8), np.int32)
    pred[true == 3] = 200
    pred[true == 17] = 1
    m = match_instances(true, pred)
    assert (m.tp, m.fp, m.fn) == (2, 0, 0)
    assert sorted(zip(m.true_ids.tolist(), m.pred_ids.tolist(), strict=True)) == [(3, 200), (17, 1)]
    assert m.f1 == 1.0 and m.mean_iou == 1.0 and m.pq == 1.0
    assert dsb_score(true, pred) == 1.0


def test_partial_overlap_hand_case():
    # true 3x3 = 9 px, prediction its 3x2 left part = 6 px: IoU 6/9
    true = np.zeros((5, 5), np.int64)
    true[1:4, 1:4] = 1
    pred = np.zeros((5, 5), np.int64)
    pred[1:4, 1:3] = 9
    m = match_instances(true, pred, 0.5)
    assert m.ious == pytest.approx([2 / 3])
    # matched at 0.50, 0.55, 0.60, 0.65 (2/3 > 0.65), not at 0.70..0.95: 4 of 10 thresholds
    assert dsb_score(true, pred) == pytest.approx(0.4)
    q = panoptic_quality(true, pred)
    assert q["pq"] == pytest.approx(2 / 3) and q["sq"] == pytest.approx(2 / 3) and q["rq"] == 1.0


def test_docstring_case_half_found():
    true = np.array([[1, 1, 0, 2, 2]])
    pred = np.array([[5, 5, 0, 0, 7]])  # object 2 half found: IoU 1/2 is not above 0.5
    m = match_instances(true, pred, 0.5)
    assert (m.tp, m.fp, m.fn) == (1, 1, 1)
    assert m.precision == 0.5 and m.recall == 0.5 and m.f1 == 0.5
    # PQ = 1 / (1 + 0.5 + 0.5)
    assert m.pq == pytest.approx(0.5)
    assert dsb_score(true, pred) == pytest.approx(1 / 3)


def test_touching_objects_merged_by_the_prediction():
    true = np.array([[1, 1, 2, 2], [1, 1, 2, 2]])
    pred = np.array([[5, 5, 5, 5], [5, 5, 5, 5]])  # one blob over both: IoU 4/8 each
    m = match_instances(true, pred, 0.5)
    assert (m.tp, m.fp, m.fn) == (0, 1, 2)
    assert m.f1 == 0.0 and m.pq == 0.0 and math.isnan(m.mean_iou)
    low = match_instances(true, pred, 0.4)  # below 0.5 one of the two may match, not both
    assert (low.tp, low.fp, low.fn) == (1, 0, 1)
    assert low.ious == pytest.approx([0.5])
    # split correctly: both found
    assert match_instances(true, true * 10).f1 == 1.0


def test_empty_prediction():
    true = np.array([[1, 1, 0, 2]])
    m = match_instances(true, np.zeros_like(true))
    assert (m.tp, m.fp, m.fn) == (0, 0, 2)
    assert math.isnan(m.precision) and m.recall == 0.0 and m.f1 == 0.0 and m.pq == 0.0
    assert dsb_score(true, np.zeros_like(true)) == 0.0


def test_empty_truth():
    pred = np.array([[0, 3, 3, 0]])
    m = match_instances(np.zeros_like(pred), pred)
    assert (m.tp, m.fp, m.fn) == (0, 1, 0)
    assert m.precision == 0.0 and math.isnan(m.recall) and m.f1 == 0.0
    assert dsb_score(np.zeros_like(pred), pred) == 0.0


def test_both_empty_is_left_out():
    z = np.zeros((3, 3), np.uint8)
    assert math.isnan(dsb_score(z, z))
    im = InstanceMetrics()
    im.update(z, z)
    im.update(np.array([[1, 1]]), np.array([[2, 2]]))
    r = im.compute()
    assert r["images"] == 2 and r["dsb"] == 1.0 and r["tp"] == 1


def test_assignment_below_half_maximises_matches():
    # A = 0..9, B = 20..29; X = 0..5 + 20..24 (IoU A 6/15 = 0.4, B 5/16), Y = 6..11 (IoU A 4/12)
    true = np.zeros((1, 30), np.int32)
    true[0, 0:10], true[0, 20:30] = 1, 2
    pred = np.zeros((1, 30), np.int32)
    pred[0, 0:6], pred[0, 20:25], pred[0, 6:12] = 7, 7, 8
    m = match_instances(true, pred, 0.3)
    # greedy by IoU would take X-A (0.4) and leave Y and B alone; one-to-one optimum: X-B, Y-A
    assert m.tp == 2
    got = dict(zip(m.true_ids.tolist(), m.pred_ids.tolist(), strict=True))
    assert got == {1: 8, 2: 7}
    assert sorted(m.ious.tolist()) == pytest.approx([5 / 16, 4 / 12])


def test_overlaps_against_brute_force():
    rng = np.random.default_rng(0)
    true = rng.choice([0, 2, 5, 9, 40], size=(20, 24), p=[0.4, 0.15, 0.15, 0.15, 0.15])
    pred = rng.choice([0, 1, 3, 77], size=(20, 24))
    ov = instance_overlaps(true, pred)
    assert ov.true_ids.tolist() == [2, 5, 9, 40] and ov.pred_ids.tolist() == [1, 3, 77]
    dense = ov.iou_matrix().toarray()
    for a, ta in enumerate(ov.true_ids):
        for b, pb in enumerate(ov.pred_ids):
            inter = np.sum((true == ta) & (pred == pb))
            union = np.sum((true == ta) | (pred == pb))
            assert dense[a, b] == pytest.approx(inter / union)
    assert ov.true_area.tolist() == [int(np.sum(true == i)) for i in ov.true_ids]


def test_streaming_adds_counts():
    a_true = np.array([[1, 1, 0, 2, 2]])
    a_pred = np.array([[5, 5, 0, 0, 7]])  # TP1 FP1 FN1, DSB 1/3
    b_true = np.array([[1, 1, 1, 0, 0]])
    b_pred = np.array([[1, 1, 1, 0, 4]])  # TP1 FP1 FN0, DSB 1/2
    im = InstanceMetrics()
    im.update(a_true, a_pred)
    im.update(b_true, b_pred)
    r = im.compute()
    assert (r["tp"], r["fp"], r["fn"]) == (2, 2, 1)
    assert r["precision"] == 0.5 and r["recall"] == pytest.approx(2 / 3)
    assert r["f1"] == pytest.approx(4 / 7)
    assert r["dsb"] == pytest.approx((1 / 3 + 1 / 2) / 2)
    assert r["dsb_pooled"] == pytest.approx(2 / 5)  # 2 / (2 + 2 + 1) at every threshold
    assert r["pq"] == pytest.approx(2 / (2 + 1.5))
    # a batch (N, H, W) gives the same as image by image
    im2 = InstanceMetrics()
    im2.update(np.stack([a_true, b_true]), np.stack([a_pred, b_pred]))
    assert im2.compute()["f1"] == r["f1"]


def test_extra_threshold_and_bad_inputs():
    im = InstanceMetrics(0.3)
    assert im.thresholds[0] == 0.3 and len(im.thresholds) == 11
    with pytest.raises(ShapeError):
        match_instances(np.zeros((2, 2), int), np.zeros((2, 3), int))
    with pytest.raises(DTypeError):
        match_instances(np.zeros((2, 2), float), np.zeros((2, 2), int))
    with pytest.raises(ValueRangeError):
        match_instances(np.full((2, 2), -1), np.zeros((2, 2), int))
    with pytest.raises(ValueRangeError):
        match_instances(np.zeros((2, 2), int), np.zeros((2, 2), int), threshold=1.0)
