"""MOT metrics: hand-computed cases, and agreement with motmetrics (MOTA, MOTP, IDF1, IDSW,
MT/ML) and TrackEval (HOTA, DetA, AssA; its official MOTChallenge pipeline for the distractor
rule) to 1e-3 on the MOT17 excerpts with ground truth perturbed by known noise."""

from __future__ import annotations

import numpy as np
import pytest
from bench.mot import (
    SEQUENCES,
    motmetrics_reference,
    perturbed_results,
    trackeval_in_memory,
    trackeval_official,
)

from oculi.core.errors import DataError, ParameterError
from oculi.track.mot_io import MOTRows, read_sequence
from oculi.track.mot_metrics import (
    HOTA_ALPHAS,
    MOTMetrics,
    evaluate_mot,
    iou_matrix,
    motchallenge_filter,
)
from tests.conftest import shared_set

A = [0.0, 0.0, 10.0, 20.0]
B = [100.0, 0.0, 110.0, 20.0]
FAR = [500.0, 500.0, 520.0, 540.0]


def _hand_case() -> tuple[MOTRows, MOTRows]:
    """GT 1 at A and GT 2 at B in frames 1-4. Tracker: id 10 on A in frames 1-2, id 11 on A in
    3-4 (a switch), id 20 on B in 1-3 (a miss in 4), id 30 a false positive in frames 2 and 4."""
    gt = MOTRows(frames=[1, 2, 3, 4] * 2, ids=[1] * 4 + [2] * 4, boxes=[A] * 4 + [B] * 4)
    res = MOTRows(frames=[1, 2, 3, 4, 1, 2, 3, 2, 4], ids=[10, 10, 11, 11, 20, 20, 20, 30, 30],
                  boxes=[A] * 4 + [B] * 3 + [FAR] * 2)
    return gt, res


def test_hand_case_by_hand():
    m = evaluate_mot(*_hand_case())
    assert (m.num_gt, m.num_pred, m.tp, m.fp, m.fn, m.idsw) == (8, 9, 7, 2, 1, 1)
    assert m.mota == pytest.approx(1 - (1 + 2 + 1) / 8)  # 0.5
    assert m.motp == pytest.approx(1.0)
    # trajectory overlaps: (1,10) 2, (1,11) 2, (2,20) 3 -> IDTP = 2 + 3
    assert m.idtp == 5
    assert m.idf1 == pytest.approx(2 * 5 / (8 + 9))
    # HOTA with perfect boxes: DetA = 7 / (7 + 1 + 2) at every alpha; AssA = mean over TPs of
    # the pair Jaccard: (1,10) 2/(4+2-2), (1,11) the same, (2,20) 3/(4+3-3)
    assert m.deta == pytest.approx(0.7)
    assert m.assa == pytest.approx((2 * 0.5 + 2 * 0.5 + 3 * 0.75) / 7)
    assert m.hota == pytest.approx(np.sqrt(0.7 * 4.25 / 7))
    assert (m.mt, m.pt, m.ml) == (1, 1, 0)  # GT 2 matched in 3 of 4 frames: < 80 %


def test_hand_case_matches_references():
    gt, res = _hand_case()
    m = evaluate_mot(gt, res).summary()
    mm_ref = motmetrics_reference([(gt, res)])
    te_ref = trackeval_in_memory(gt, res)
    for key in ("MOTA", "MOTP", "IDF1", "IDSW", "FP", "FN"):
        assert m[key] == pytest.approx(mm_ref[key], abs=1e-9), key
    for key in ("HOTA", "DetA", "AssA", "MOTA", "IDF1"):
        assert m[key] == pytest.approx(te_ref[key], abs=1e-9), key


def test_iou_matrix_by_hand():
    a = np.array([[0.0, 0, 10, 10], [0, 0, 0, 0]])
    b = np.array([[5.0, 0, 15, 10], [20, 20, 30, 30]])
    np.testing.assert_allclose(iou_matrix(a, b), [[50 / 150, 0], [0, 0]])


def test_localisation_thresholds_in_hota():
    # one object, box shifted to IoU 0.6: a TP for alpha <= 0.6 only
    gt = MOTRows(frames=[1], ids=[1], boxes=[[0.0, 0, 10, 10]])
    res = MOTRows(frames=[1], ids=[1], boxes=[[2.5, 0, 12.5, 10]])
    m = evaluate_mot(gt, res)
    iou = 75 / 125
    hit = iou + 1e-12 >= HOTA_ALPHAS  # alphas 0.05 .. 0.60: 12 of 19
    assert hit.sum() == 12
    np.testing.assert_array_equal(m.hota_tp, hit.astype(float))
    assert m.hota == pytest.approx(12 / 19)  # DetA = AssA = 1 where a TP, 0 elsewhere
    assert m.motp == pytest.approx(iou)


def test_empty_inputs():
    gt, res = _hand_case()
    none = MOTRows.empty()
    m = evaluate_mot(gt, none)
    assert (m.fn, m.fp, m.mota, m.hota, m.idf1) == (8, 0, 0.0, 0.0, 0.0)
    m = evaluate_mot(none, res)
    assert (m.fp, m.hota) == (9, 0.0)


def test_errors():
    gt, res = _hand_case()
    twice = MOTRows(frames=[1, 1], ids=[3, 3], boxes=[A, B])
    with pytest.raises(DataError, match="results: an id appears twice in frame 1"):
        evaluate_mot(gt, twice)
    with pytest.raises(ParameterError, match="iou_threshold"):
        evaluate_mot(gt, res, iou_threshold=0)


def test_distractor_rule():
    # GT: a pedestrian (class 1), a static person (7, a distractor), a car (3, consider 0)
    gt = MOTRows(frames=[1, 1, 1], ids=[1, 2, 3], boxes=[A, B, FAR], scores=[1, 0, 0],
                 classes=[1, 7, 3])
    res = MOTRows(frames=[1, 1, 1], ids=[1, 2, 3], boxes=[A, B, FAR])
    kept_gt, kept_res = motchallenge_filter(gt, res)
    np.testing.assert_array_equal(kept_gt.ids, [1])
    np.testing.assert_array_equal(kept_res.ids, [1, 3])  # the car is no distractor: an FP
    m = evaluate_mot(gt, res, motchallenge=True)
    assert (m.tp, m.fp, m.fn) == (1, 1, 0)
    te = trackeval_in_memory(kept_gt, kept_res)
    assert m.mota == pytest.approx(te["MOTA"]) and m.hota == pytest.approx(te["HOTA"])


def test_random_scenes_match_references():
    rng = np.random.default_rng(7)
    for _ in range(3):
        n_obj, n_frames = 6, 12
        start = rng.uniform(0, 200, (n_obj, 2))
        vel = rng.normal(0, 4, (n_obj, 2))
        frames, ids, boxes = [], [], []
        for t in range(1, n_frames + 1):
            for k in range(n_obj):
                if rng.random() < 0.9:
                    xy = start[k] + t * vel[k]
                    frames.append(t)
                    ids.append(k + 1)
                    boxes.append([xy[0], xy[1], xy[0] + 30, xy[1] + 60])
        gt = MOTRows(frames, ids, boxes)
        res = perturbed_results(gt, rng, jitter=0.15, drop=0.2, swaps=3, fp_per_frame=1.5)
        _assert_agree(gt, res)


def _assert_agree(gt: MOTRows, res: MOTRows) -> None:
    m = evaluate_mot(gt, res).summary()
    mm_ref = motmetrics_reference([(gt, res)])
    te_ref = trackeval_in_memory(gt, res)
    for key in ("MOTA", "MOTP", "IDF1", "IDSW", "MT", "ML", "FP", "FN"):
        assert m[key] == pytest.approx(mm_ref[key], abs=1e-3), key
    for key in ("HOTA", "DetA", "AssA", "LocA"):
        assert m[key] == pytest.approx(te_ref[key], abs=1e-3), key


@pytest.fixture(scope="module")
def mot17():
    root = shared_set("mot17_mini")
    return [read_sequence(root / name) for name in SEQUENCES]


@pytest.mark.parametrize("seed", [0, 1])
def test_mot17_perturbed_matches_references(mot17, seed):
    """Per sequence, MOTChallenge-filtered: oculi vs motmetrics and TrackEval's HOTA."""
    rng = np.random.default_rng(seed)
    for seq in mot17:
        res = perturbed_results(seq.gt, rng, jitter=0.08, drop=0.15, swaps=3)
        _assert_agree(*motchallenge_filter(seq.gt, res))


def test_mot17_official_trackeval_pipeline(mot17):
    """Result files through TrackEval's own MOTChallenge evaluation (its reader, its distractor
    filtering) vs oculi with the MOTChallenge rules, per sequence and pooled."""
    rng = np.random.default_rng(3)
    results = {s.name: perturbed_results(s.gt, rng, jitter=0.08, drop=0.15, swaps=3)
               for s in mot17}
    # score what the file holds (2 decimals), as TrackEval does
    rounded = {n: MOTRows(r.frames, r.ids, np.round(r.xywh(), 2), r.scores) for n, r in
               results.items()}
    for r in rounded.values():
        r.boxes[:, 2:] += r.boxes[:, :2]
    official = trackeval_official(mot17, results)
    ours = {s.name: evaluate_mot(s.gt, rounded[s.name], motchallenge=True) for s in mot17}
    ours["COMBINED_SEQ"] = MOTMetrics.combine(list(ours.values()))
    for name, ref in official.items():
        got = ours[name].summary()
        for key in ("HOTA", "DetA", "AssA", "MOTA", "MOTP", "IDF1", "IDSW"):
            assert got[key] == pytest.approx(ref[key], abs=1e-3), (name, key)
    assert ours["COMBINED_SEQ"].idsw > 0 and ours["COMBINED_SEQ"].fp > 0  # errors were scored


def test_combined_matches_motmetrics_overall(mot17):
    rng = np.random.default_rng(11)
    pairs = [motchallenge_filter(s.gt, perturbed_results(s.gt, rng)) for s in mot17]
    got = MOTMetrics.combine([evaluate_mot(g, r) for g, r in pairs]).summary()
    ref = motmetrics_reference(pairs)
    for key in ("MOTA", "MOTP", "IDF1", "IDSW", "MT", "ML"):
        assert got[key] == pytest.approx(ref[key], abs=1e-3), key


def test_people_boxes_score_perfectly_with_distractors_ignored(mot17):
    """Every person box of the ground truth (pedestrians and the distractor classes) as the
    result: perfect under the MOTChallenge rules; the distractors become FPs without them, and
    so do the boxes of other classes (cars, occluders) even with them."""
    for seq in mot17:
        people = seq.gt.select(np.isin(seq.gt.classes, [1, 2, 7, 8, 12]))
        m = evaluate_mot(seq.gt, people, motchallenge=True)
        assert (m.mota, m.idf1, m.hota, m.motp, m.fp) == (1.0, 1.0, 1.0, 1.0, 0)
        pedestrians = seq.gt.select((seq.gt.classes == 1) & (seq.gt.scores == 1))
        plain = evaluate_mot(pedestrians, people)
        assert plain.fp == len(people) - len(pedestrians) > 0
        everything = evaluate_mot(seq.gt, seq.gt, motchallenge=True)
        assert everything.fp == np.isin(seq.gt.classes, [1, 2, 7, 8, 12], invert=True).sum()
