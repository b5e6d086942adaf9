"""COCO evaluation against hand-computed average precision.

pycocotools interpolates precision at 101 recall points r = 0, 0.01, ..., 1 (precision made
monotone from the right) and averages AP over the IoU thresholds 0.50, 0.55, ..., 0.95.
"""

from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import DataError
from oculi.detect import coco_evaluate, plot_pr_curve, prediction_grid


def _box_with_iou(iou: float, size: float = 100.0) -> np.ndarray:
    """A box of the same size as [0, 0, size, size] shifted right so that the IoU is ``iou``:
    overlap (s - d) s / ((s + d) s) = iou  =>  d = s (1 - iou) / (1 + iou)."""
    d = size * (1 - iou) / (1 + iou)
    return np.array([[d, 0, size + d, size]])


def _gt(n_images: int = 2):
    return [{"boxes": np.array([[0.0, 0.0, 100.0, 100.0]]), "labels": np.array([1])}
            for _ in range(n_images)]


def test_ground_truth_as_predictions_gives_one():
    gt = [{"boxes": np.array([[10.0, 20, 60, 90], [100, 100, 180, 150]]),
           "labels": np.array([1, 2])},
          {"boxes": np.array([[5.0, 5, 25, 40]]), "labels": np.array([2])}]
    preds = [dict(g, scores=np.linspace(0.9, 0.5, len(g["boxes"]))) for g in gt]
    r = coco_evaluate(gt, preds, ["cat", "dog"])
    assert r["map"] == pytest.approx(1.0)
    assert r["map50"] == pytest.approx(1.0)
    assert r["recall"] == pytest.approx(1.0)
    assert r["per_class"]["dog"]["ap"] == pytest.approx(1.0)
    assert r["per_class"]["dog"]["gt"] == 2


def test_shifted_box_hand_computed():
    # image 1 exact (score 0.9), image 2 shifted to IoU 0.62 (score 0.8):
    # thresholds 0.50, 0.55, 0.60 -> both true positives -> AP 1
    # thresholds 0.65 .. 0.95 (7) -> TP then FP: precision 1 up to recall 0.5 -> 51/101
    assert _box_with_iou(0.62)[0, 0] == pytest.approx(100 * 0.38 / 1.62)
    preds = [{"boxes": np.array([[0.0, 0, 100, 100]]), "scores": [0.9], "labels": [1]},
             {"boxes": _box_with_iou(0.62), "scores": [0.8], "labels": [1]}]
    r = coco_evaluate(_gt(), preds, ["raccoon"])
    expected = (3 * 1.0 + 7 * 51 / 101) / 10
    assert r["map"] == pytest.approx(expected, abs=1e-9)
    assert r["map50"] == pytest.approx(1.0)
    assert r["map75"] == pytest.approx(51 / 101)


def test_false_positive_ranked_first_hand_computed():
    # the shifted box now scores higher: at thresholds above 0.62 the ranked list is FP, TP:
    # precision 0 then 0.5 at recall 0.5; interpolated precision is 0.5 for r <= 0.5
    preds = [{"boxes": np.array([[0.0, 0, 100, 100]]), "scores": [0.5], "labels": [1]},
             {"boxes": _box_with_iou(0.62), "scores": [0.9], "labels": [1]}]
    r = coco_evaluate(_gt(), preds, ["raccoon"])
    assert r["map"] == pytest.approx((3 * 1.0 + 7 * 0.5 * 51 / 101) / 10, abs=1e-9)


def test_wrong_class_and_missed_box():
    preds = [{"boxes": np.array([[0.0, 0, 100, 100]]), "scores": [0.9], "labels": [2]},
             {"boxes": np.zeros((0, 4)), "scores": [], "labels": []}]
    r = coco_evaluate(_gt(), preds, ["raccoon", "dog"])
    assert r["map"] == 0.0
    assert r["per_class"]["dog"]["ap"] == -1.0  # no ground truth: left out of the mean
    assert r["per_class"]["raccoon"]["recall50"] == 0.0


def test_bad_inputs():
    with pytest.raises(DataError, match="no boxes"):
        coco_evaluate([{"boxes": np.zeros((0, 4)), "labels": []}],
                      [{"boxes": np.zeros((0, 4)), "scores": [], "labels": []}], ["a"])
    with pytest.raises(DataError, match="1 ground-truth"):
        coco_evaluate(_gt(1), [], ["a"])


def test_plots(tmp_path):
    preds = [{"boxes": np.array([[0.0, 0, 100, 100]]), "scores": [0.9], "labels": [1]},
             {"boxes": _box_with_iou(0.62), "scores": [0.8], "labels": [1]}]
    r = coco_evaluate(_gt(), preds, ["raccoon"])
    assert plot_pr_curve(r, tmp_path / "pr.png").stat().st_size > 1000
    images = [np.zeros((120, 200, 3), np.uint8)] * 2
    grid = prediction_grid(images, _gt(), preds, ["raccoon"], tile=64, cols=2)
    assert grid.shape == (64, 128, 3)
    # ground truth drawn in green, the prediction in red on the first tile
    assert (grid[..., 1] > 150).any() and (grid[..., 0] > 200).any()
