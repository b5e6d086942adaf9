"""Panoptic quality: hand-computed cases (exact fractions), the IoU-0.5 and void/crowd rules,
torchmetrics' PanopticQuality on random maps, and a brute-force per-segment implementation."""

from fractions import Fraction

import numpy as np
import pytest
from scipy import ndimage

from oculi.core.errors import ParameterError, ShapeError, ValueRangeError
from oculi.segment.panoptic import (
    CAMVID_CLASSES,
    CAMVID_STUFF,
    CAMVID_THINGS,
    PanopticQuality,
    camvid_panoptic,
    panoptic_from_semantic,
    panoptic_map,
    panoptic_quality_score,
)


def close(value, fraction):
    return value == pytest.approx(float(fraction), abs=1e-12)


def test_hand_case_stuff_and_things():
    # stuff 0 and 2, thing 1; truth 1002 half covered by pred 1002 (IoU exactly 1/2: no match)
    true = np.array([[0, 0, 0, 0, 1001, 1001, 1002, 1002],
                     [2000, 2000, 2000, 2000, 1001, 1001, 1002, 1002]])
    pred = np.array([[0, 0, 0, 2000, 1001, 1001, 1001, 1002],
                     [2000, 2000, 2000, 2000, 1001, 1001, 1003, 1002]])
    r = panoptic_quality_score(true, pred, things=[1], stuff=[0, 2],
                               class_names={0: "sky", 1: "car", 2: "road"})
    sky, car, road = (r["per_class"][k] for k in ("sky", "car", "road"))
    assert (sky["tp"], sky["fp"], sky["fn"]) == (1, 0, 0)
    assert close(sky["pq"], Fraction(3, 4))                   # 3 shared of a 4-pixel union
    assert close(road["pq"], Fraction(4, 5))                  # 4 of 5
    assert (car["tp"], car["fp"], car["fn"]) == (1, 2, 1)     # 1002 unmatched both sides, 1003
    assert close(car["sq"], Fraction(4, 5))
    assert close(car["rq"], Fraction(1) / (1 + Fraction(2, 2) + Fraction(1, 2)))
    assert close(car["pq"], Fraction(4, 5) / Fraction(5, 2))
    assert close(r["stuff"]["pq"], (Fraction(3, 4) + Fraction(4, 5)) / 2)
    assert close(r["things"]["pq"], Fraction(8, 25))
    assert close(r["pq"], (Fraction(3, 4) + Fraction(4, 5) + Fraction(8, 25)) / 3)
    assert close(r["sq"], (Fraction(3, 4) + Fraction(4, 5) + Fraction(4, 5)) / 3)
    assert (r["n"], r["things"]["n"], r["stuff"]["n"]) == (3, 1, 2)


def test_iou_just_above_half_matches():
    true = np.array([[1001, 1001, 1001, 1001, 1001, 0, 0]])
    pred = np.array([[1001, 1001, 1001, 0, 0, 0, 0]])        # IoU 3/5
    r = panoptic_quality_score(true, pred, things=[1], stuff=[0])
    car = r["per_class"]["1"]
    assert (car["tp"], car["fp"], car["fn"]) == (1, 0, 0)
    assert close(car["pq"], Fraction(3, 5))
    pred_half = np.array([[1001, 1001, 0, 0, 0, 0, 0]])      # 2/5 < 1/2
    car = panoptic_quality_score(true, pred_half, things=[1], stuff=[0])["per_class"]["1"]
    assert (car["tp"], car["fp"], car["fn"], car["pq"]) == (0, 1, 1, 0.0)


def test_void_left_out_of_union_and_mostly_void_predictions_not_false_positives():
    true = np.array([[1001, 1001, -1, -1, -1, -1, 0, 0, 0, 0]])
    # 1005 covers the car and two void pixels: IoU 2 / (4 + 2 - 2 - 2) = 1;
    # 1006 lies 2/3 on void: ignored; 0 covers two void pixels of its four: still matched
    pred = np.array([[1005, 1005, 1005, 1005, 1006, 1006, 1006, 0, 0, 0]])
    r = panoptic_quality_score(true, pred, things=[1], stuff=[0])
    car = r["per_class"]["1"]
    assert (car["tp"], car["fp"], car["fn"]) == (1, 0, 0)
    assert close(car["sq"], 1)
    sky = r["per_class"]["0"]
    assert (sky["tp"], sky["fp"], sky["fn"]) == (1, 0, 0)
    assert close(sky["sq"], Fraction(3, 4))                   # 3 / (3 + 4 - 3 - 0)


def test_prediction_exactly_half_on_void_is_a_false_positive():
    true = np.array([[0, 0, -1, -1, 0, 0]])
    pred = np.array([[0, 0, 1007, 1007, 1007, 1007]])         # half on void: counted
    r = panoptic_quality_score(true, pred, things=[1], stuff=[0])
    assert r["per_class"]["1"]["fp"] == 1
    assert r["per_class"]["0"]["fn"] == 1                     # sky 2/4 covered: IoU 1/2


def test_crowd_regions():
    # truth: a crowd of class 1 (instance 0) and one class-1 car; class 3 is another thing
    true = np.array([[1000, 1000, 1000, 1000, 1001, 1001, 0, 0]])
    pred = np.array([[1009, 1009, 1009, 3001, 1001, 1001, 0, 0]])
    r = panoptic_quality_score(true, pred, things=[1, 3], stuff=[0])
    car, other = r["per_class"]["1"], r["per_class"]["3"]
    # 1009 lies on its own class's crowd: not a false positive; the crowd is no false negative
    assert (car["tp"], car["fp"], car["fn"]) == (1, 0, 0)
    # a class-3 prediction on class 1's crowd is a false positive
    assert (other["tp"], other["fp"], other["fn"]) == (0, 1, 0)
    assert close(r["things"]["pq"], Fraction(1, 2))           # (1 + 0) / 2
    # a prediction cannot match a crowd even when it equals it
    assert panoptic_quality_score(true[:, :4], true[:, :4], things=[1], stuff=[0])["n"] == 0


def test_stuff_is_one_segment_per_category_and_absent_categories_are_nan():
    true = np.array([[0, 0, 0, 0]])
    pred = np.array([[3, 4, 5, 6]])                           # stuff 0, instance parts ignored
    r = panoptic_quality_score(true, pred, things=[1], stuff=[0])
    assert r["per_class"]["0"]["pq"] == 1.0
    assert np.isnan(r["per_class"]["1"]["pq"])
    assert np.isnan(r["things"]["pq"]) and r["things"]["n"] == 0


def test_streaming_adds_counts_and_never_matches_across_images():
    a_true = np.array([[1001, 1001, 0, 0]])
    a_pred = np.array([[0, 0, 1001, 1001]])
    m = PanopticQuality([1], [0])
    first = m.update(a_true, a_pred)
    m.update(a_true, a_true)
    r = m.compute()
    assert first["tp"].tolist() == [0, 0] and first["fp"].tolist() == [1, 1]
    assert (r["per_class"]["1"]["tp"], r["per_class"]["1"]["fp"],
            r["per_class"]["1"]["fn"]) == (1, 1, 1)
    assert r["images"] == 2
    both = panoptic_quality_score([a_true, a_true], [a_pred, a_true], things=[1], stuff=[0])
    assert both["pq"] == r["pq"]


def test_errors_name_the_input():
    with pytest.raises(ValueRangeError, match="pred: categories \\[7\\]"):
        panoptic_quality_score(np.zeros((2, 2), int), np.full((2, 2), 7000), things=[1],
                               stuff=[0])
    with pytest.raises(ShapeError, match="pred"):
        panoptic_quality_score(np.zeros((2, 2), int), np.zeros((2, 3), int), things=[1],
                               stuff=[0])
    with pytest.raises(ParameterError, match="also things"):
        PanopticQuality([1], [1, 0])
    with pytest.raises(ValueRangeError, match="instances"):
        panoptic_map(np.ones((1, 2), int), np.array([[1, 1000]]), things=[1])


def test_panoptic_map_and_components():
    sem = np.array([[1, 1, 0, 1], [0, 0, 0, 1], [2, 2, 9, 9]])
    pan = panoptic_from_semantic(sem, things=[1], ignore_index=9)
    assert pan.tolist() == [[1001, 1001, 0, 1002], [0, 0, 0, 1002], [2000, 2000, -1, -1]]
    # 8-connectivity joins diagonal neighbours
    diag = np.array([[1, 0], [0, 1]])
    assert len(np.unique(panoptic_from_semantic(diag, [1], connectivity=2))) == 2
    assert len(np.unique(panoptic_from_semantic(diag, [1], connectivity=1))) == 3
    ins = np.array([[4, 4, 0, 5], [0, 0, 0, 5], [0, 0, 0, 0]])
    assert panoptic_map(sem, ins, things=[1], ignore_index=9)[0].tolist() == [1004, 1004, 0,
                                                                              1005]


# --- references ---------------------------------------------------------------------------

def _random_pair(rng, things, stuff, void_truth=True, void_pred=True, crowd=True, size=(14, 18)):
    """A blocky truth (stuff background, thing rectangles, void and crowd patches) and a
    prediction made from it by shifting, relabelling and noise, so IoUs fall near 0.5."""
    h, w = size
    cats = np.array(stuff)[rng.integers(0, len(stuff), (h // 7 + 1, w // 6 + 1))]
    true = np.kron(cats, np.ones((7, 6), int))[:h, :w] * 1000
    for k in range(1, rng.integers(2, 7)):
        y, x = rng.integers(0, h - 2), rng.integers(0, w - 2)
        c = things[rng.integers(0, len(things))]
        inst = 0 if (crowd and rng.random() < 0.2) else k
        true[y:y + rng.integers(2, 6), x:x + rng.integers(2, 7)] = c * 1000 + inst
    if void_truth:
        y, x = rng.integers(0, h - 3), rng.integers(0, w - 3)
        true[y:y + 3, x:x + rng.integers(1, 5)] = -1
    pred = np.roll(true, (rng.integers(-1, 2), rng.integers(-1, 2)), (0, 1))
    pred = np.where((pred % 1000 == 0) & np.isin(pred // 1000, things) & (pred >= 0),
                    pred + 50, pred)                      # crowds are no prediction ids
    noise = rng.random(pred.shape) < 0.12
    all_ids = [c * 1000 + i for c in things for i in (1, 2, 3)] + [c * 1000 for c in stuff]
    pred[noise] = rng.choice(all_ids, noise.sum())
    if void_pred:
        pred[rng.random(pred.shape) < 0.05] = -1
    else:
        pred[pred < 0] = stuff[0] * 1000
    return true, pred


def _brute_force(trues, preds, things, stuff):
    """PQ read off the definition segment by segment with boolean masks (no contingency
    table): the reference the vectorised counts must equal."""
    stats = {c: [0, 0, 0, 0.0] for c in (*things, *stuff)}   # tp, fp, fn, iou_sum
    for true, pred in zip(trues, preds, strict=True):
        t = np.where((true >= 0) & np.isin(true // 1000, stuff), true // 1000 * 1000, true)
        p = np.where((pred >= 0) & np.isin(pred // 1000, stuff), pred // 1000 * 1000, pred)
        void = t == -1
        t_segs = [s for s in np.unique(t) if s >= 0]
        p_segs = [s for s in np.unique(p) if s >= 0]
        crowd = {s // 1000: t == s for s in t_segs if s // 1000 in things and s % 1000 == 0}
        matched_t, matched_p = set(), set()
        for ts in t_segs:
            if ts // 1000 in crowd and ts % 1000 == 0:
                continue
            for ps in p_segs:
                if ps // 1000 != ts // 1000:
                    continue
                tm, pm = t == ts, p == ps
                inter = int((tm & pm).sum())
                union = int((tm | pm).sum()) - int((pm & void).sum())
                if 2 * inter > union:
                    matched_t.add(ts)
                    matched_p.add(ps)
                    stats[ts // 1000][0] += 1
                    stats[ts // 1000][3] += inter / union
        for ts in t_segs:
            if ts not in matched_t and not (ts // 1000 in crowd and ts % 1000 == 0):
                stats[ts // 1000][2] += 1
        for ps in p_segs:
            if ps in matched_p:
                continue
            pm = p == ps
            ignored = (pm & void).sum() + (pm & crowd.get(ps // 1000, False)).sum()
            if 2 * ignored <= pm.sum():
                stats[ps // 1000][1] += 1
    return stats


def test_equals_brute_force_with_void_and_crowd():
    rng = np.random.default_rng(0)
    things, stuff = [1, 3], [0, 2, 5]
    checked_match = checked_ignore = 0
    for _ in range(40):
        trues, preds = zip(*[_random_pair(rng, things, stuff) for _ in range(2)], strict=True)
        r = panoptic_quality_score(list(trues), list(preds), things=things, stuff=stuff)
        ref = _brute_force(trues, preds, things, stuff)
        for c, (tp, fp, fn, iou) in ref.items():
            got = r["per_class"][str(c)]
            assert (got["tp"], got["fp"], got["fn"]) == (tp, fp, fn)
            assert got["iou_sum"] == pytest.approx(iou, abs=1e-12)
            checked_match += tp
        checked_ignore += sum(((p >= 0) & (t == -1)).any() for t, p in zip(trues, preds,
                                                                          strict=True))
    assert checked_match > 50 and checked_ignore > 20          # the cases did exercise the rules


def test_equals_torchmetrics_panoptic_quality():
    torchmetrics = pytest.importorskip("torchmetrics")
    import torch

    rng = np.random.default_rng(1)
    things, stuff = [1, 3], [0, 2, 5]
    for _ in range(15):
        # torchmetrics has no crowd and its own rule for void predictions: truth void only
        pairs = [_random_pair(rng, things, stuff, void_pred=False, crowd=False)
                 for _ in range(3)]
        trues, preds = [t for t, _ in pairs], [p for _, p in pairs]

        def split(maps):
            a = np.stack(maps)
            cat = np.where(a < 0, 99, a // 1000)              # 99: unknown, torchmetrics' void
            return torch.from_numpy(np.stack([cat, np.where(a < 0, 0, a % 1000)], -1))

        tm = torchmetrics.detection.PanopticQuality(things=set(things), stuffs=set(stuff),
                                                    return_sq_and_rq=True,
                                                    return_per_class=True)
        tm.update(split(preds), split(trues))
        ref = tm.compute().numpy()                          # (1, K, 3) or (K, 3): pq, sq, rq
        ref = ref.reshape(-1, 3)
        ours = panoptic_quality_score(trues, preds, things=things, stuff=stuff)
        # torchmetrics orders things first, then stuff, each sorted
        for row, c in zip(ref, [*sorted(things), *sorted(stuff)], strict=True):
            got = ours["per_class"][str(c)]
            if np.isnan(got["pq"]):
                assert row[0] == 0
                continue
            assert [got["pq"], got["sq"], got["rq"]] == pytest.approx(row.tolist(), abs=1e-6)
        tm_avg = torchmetrics.detection.PanopticQuality(things=set(things), stuffs=set(stuff))
        tm_avg.update(split(preds), split(trues))
        assert ours["pq"] == pytest.approx(float(tm_avg.compute()), abs=1e-6)


def test_camvid_ground_truth(shared_data):
    from oculi.io import read_image

    labels = sorted((shared_data / "seg_camvid" / "val" / "label").glob("*.png"))[:2]
    assert labels
    for path in labels:
        label = read_image(path, mode="unchanged")
        pan = camvid_panoptic(path)
        assert ((pan == -1) == (label == 11)).all()
        assert (pan[label != 11] // 1000 == label[label != 11]).all()
        stuff_pix = np.isin(label, CAMVID_STUFF)
        assert (pan[stuff_pix] % 1000 == 0).all()
        n_inst = 0
        for c in CAMVID_THINGS:
            ids = [s for s in np.unique(pan) if s // 1000 == c and s >= 0]
            assert all(s % 1000 > 0 for s in ids)             # no crowd: every blob is an id
            for s in ids:
                assert ndimage.label(pan == s)[1] == 1        # each instance is connected
            # distinct instances of a class never touch (4-neighbours)
            merged = ndimage.label(label == c)[1]
            assert merged == len(ids)
            n_inst += len(ids)
        assert n_inst > 3
        r = panoptic_quality_score(pan, pan, things=CAMVID_THINGS, stuff=CAMVID_STUFF,
                                   class_names=CAMVID_CLASSES)
        assert r["pq"] == 1.0 and r["things"]["n"] >= 1
        assert set(r["per_class"]) == set(CAMVID_CLASSES)
