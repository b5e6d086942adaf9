from __future__ import annotations

import json
import math

import numpy as np
import pytest

from oculi.core.errors import DataError, ShapeError
from oculi.io import read_image, write_image
from oculi.track.datasets import Sequence
from oculi.track.evaluate import (
    SUCCESS_THRESHOLDS,
    box_iou,
    centre_error,
    evaluate_sequence,
    evaluate_trackers,
    run_sequence,
    success_plot,
)
from oculi.track.synthetic import synthetic_sequence

GT = np.array([[0, 0, 10, 10]] * 4, np.float32)
#: frame 0 exact; frame 1 shifted 5 px right; frame 2 the top half; frame 3 elsewhere
PRED = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [0, 0, 10, 5], [20, 20, 30, 30]], np.float32)


def test_hand_computed_case():
    iou = box_iou(PRED, GT)
    # intersections 100, 50, 50, 0; unions 100, 150, 100, 200
    assert iou.tolist() == pytest.approx([1.0, 1 / 3, 0.5, 0.0])
    err = centre_error(PRED, GT)
    assert err.tolist() == pytest.approx([0.0, 5.0, 2.5, math.sqrt(800)])
    rep = evaluate_sequence(PRED, GT, times=[0.01, 0.02, 0.03, 0.04], name="toy")
    # success = share of IoU > t over t = 0, 0.05, ..., 1:
    # 3/4 for t = 0..0.30 (7 thresholds), 2/4 for 0.35..0.45 (3), 1/4 for 0.5..0.95 (10), 0 at 1
    assert rep["success_curve"][:8] == pytest.approx([0.75] * 7 + [0.5])
    assert rep["val_auc"] == pytest.approx((0.75 * 7 + 0.5 * 3 + 0.25 * 10) / 21)  # 0.440476
    # centre errors 0, 5, 2.5, 28.3 px: three of four within 20 px
    assert rep["val_precision_20"] == pytest.approx(0.75)
    assert rep["precision_curve"][0] == pytest.approx(0.25)
    assert rep["precision_curve"][5] == pytest.approx(0.75)
    # normalised errors 0, 0.5, 0.25, 2.83 against thresholds 0, 0.01, ..., 0.5 (51):
    # frame 0 always, frame 2 from 0.25 (26 thresholds), frame 1 at 0.5 only
    assert rep["val_norm_precision"] == pytest.approx(0.25 * (51 + 26 + 1) / 51)  # 0.382353
    assert rep["val_mean_iou"] == pytest.approx((1 + 1 / 3 + 0.5) / 4)
    assert rep["fps"] == pytest.approx(4 / 0.1)
    assert rep.task == "track" and rep["frames"] == 4 and rep["sequence"] == "toy"
    assert "iou" not in rep.json_dict() and json.dumps(rep.json_dict())
    assert len(SUCCESS_THRESHOLDS) == 21


def test_absent_ground_truth_is_left_out():
    gt = np.vstack([GT, [[np.nan] * 4], [[5, 5, 5, 9]]])  # NaN row, zero-width row
    pred = np.vstack([PRED, [[0, 0, 1, 1]] * 2])
    iou = box_iou(pred, gt)
    assert np.isnan(iou[4:]).all()
    rep = evaluate_sequence(pred, gt)
    assert rep["scored_frames"] == 4
    assert rep["val_auc"] == pytest.approx((0.75 * 7 + 0.5 * 3 + 0.25 * 10) / 21)


def test_invalid_prediction_scores_zero_and_errors():
    pred = PRED.copy()
    pred[1] = [np.nan] * 4
    iou = box_iou(pred, GT)
    assert iou[1] == 0.0 and np.isinf(centre_error(pred, GT)[1])
    with pytest.raises(ShapeError):
        box_iou(PRED[:3], GT)
    with pytest.raises(DataError, match="no frame has a ground-truth box"):
        evaluate_sequence(PRED, np.full((4, 4), np.nan))


def test_run_sequence_skips_an_undecodable_frame(tmp_path):
    syn = synthetic_sequence(10, size=(120, 160), target_size=(32, 28), scale_range=(1, 1),
                             max_rotation=0, seed=3)
    paths = []
    for i in range(10):
        paths.append(tmp_path / f"{i:03d}.png")
        write_image(paths[-1], syn.read(i))
    paths[4].write_bytes(paths[4].read_bytes()[:60])  # truncated mid-sequence
    seq = Sequence("disk", paths, syn.boxes)
    res = run_sequence("medianflow", seq)
    assert list(res.skipped) == [4] and "000.png" not in res.skipped[4]
    assert "004.png" in res.skipped[4]
    assert res.boxes[4].tolist() == res.boxes[3].tolist() and np.isnan(res.times[4])
    assert np.isfinite(np.delete(res.times, 4)).all()
    # the tracker goes on after the gap (medianflow measured 0.97 mean IoU without it)
    assert float(box_iou(res.boxes, seq.boxes).mean()) > 0.85
    assert res.as_dict()["skipped"] == {"4": res.skipped[4]}
    assert read_image(paths[5]).shape == (120, 160, 3)


def test_first_frame_needs_a_box():
    syn = synthetic_sequence(3, size=(120, 160), target_size=(32, 28), seed=0)
    syn.boxes[0] = np.nan
    with pytest.raises(DataError, match="first frame has no ground-truth box"):
        run_sequence("mosse", syn)


def test_evaluate_trackers_and_plot(tmp_path):
    seqs = [synthetic_sequence(20, size=(120, 160), target_size=(32, 28), scale_range=(1, 1),
                               max_rotation=0, seed=s) for s in (0, 1)]
    seqs[1].name = "synthetic-1"
    comp = evaluate_trackers(["mosse", "medianflow"], seqs)
    assert comp.sequences == ["synthetic", "synthetic-1"]
    for name in ("mosse", "medianflow"):
        over = comp.overall(name)
        per = [comp.reports[name][s]["val_auc"] for s in comp.sequences]
        assert over["auc"] == pytest.approx(np.mean(per))  # OTB: curves averaged over sequences
        assert over["auc"] > 0.6 and over["precision_20"] == pytest.approx(1.0)
        assert over["fps"] > 0
    d = comp.as_dict()
    json.dumps(d)
    assert set(d["trackers"]) == {"mosse", "medianflow"}
    assert "medianflow" in comp.format_table().splitlines()[1] + comp.format_table()
    png = tmp_path / "success.png"
    fig = success_plot(comp, png)
    assert len(fig.axes) == 2 and read_image(png).shape[2] == 3
    with pytest.raises(DataError):
        evaluate_trackers([], seqs)


def test_tour_section_quick(tmp_path):
    import re
    import time

    from oculi.report import Report
    from oculi.track.tour import section

    report = Report("t")
    t0 = time.perf_counter()
    section(report, tmp_path, quick=True)
    assert time.perf_counter() - t0 < 20  # a few seconds on an idle machine
    html = report.render()
    assert "Single-object tracking" in html
    rows = dict(re.findall(r"<tr><td>(\w+)</td><td>([0-9.]+)</td>", html))
    assert set(rows) == {"mosse", "medianflow", "kcf"}
    assert float(rows["medianflow"]) > 0.6  # AUC; measured 0.70 on this sequence
