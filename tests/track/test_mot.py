"""SORT and ByteTrack: identities on scripted scenes (the ground truth is the script), the
behaviours that tell them apart, and tracking simulated detections on the MOT17 excerpts."""

from __future__ import annotations

import numpy as np
import pytest
from bench.mot import SEQUENCES, simulated_detections

from oculi.core.errors import ParameterError, ShapeError, UnknownNameError
from oculi.track.mot import (
    ByteTracker,
    SortTracker,
    Track,
    frame_detector,
    mot_trackers,
    track_detections,
    track_video,
)
from oculi.track.mot_io import MOTRows, read_sequence
from oculi.track.mot_metrics import evaluate_mot
from tests.conftest import shared_set


def _walkers(n_frames: int = 20) -> tuple[list[np.ndarray], MOTRows]:
    """Three boxes walking (two of them cross paths at frame ~10): per-frame boxes and the
    ground truth."""
    starts = np.array([[0.0, 100], [200, 100], [50, 300]])
    vel = np.array([[10.0, 0], [-10, 0], [5, 2]])
    per_frame, frames, ids, boxes = [], [], [], []
    for t in range(n_frames):
        xy = starts + t * vel
        b = np.concatenate([xy, xy + np.array([40, 100])], axis=1)
        b[1, 1] += 30  # the crossing pair is offset vertically (partial overlap)
        b[1, 3] += 30
        per_frame.append(b)
        frames += [t + 1] * 3
        ids += [1, 2, 3]
        boxes.append(b)
    return per_frame, MOTRows(frames, ids, np.concatenate(boxes))


@pytest.mark.parametrize("name", ["sort", "bytetrack"])
def test_crossing_walkers_keep_their_ids(name):
    per_frame, gt = _walkers()
    res = track_detections([(b, np.full(3, 0.9)) for b in per_frame], name,
                           **({"min_hits": 1} if name == "sort" else {}))
    m = evaluate_mot(gt, res)
    assert (m.mota, m.idf1, m.idsw) == (1.0, 1.0, 0)
    assert sorted(set(res.ids.tolist())) == [1, 2, 3]  # ids numbered from 1


def test_sort_min_hits_and_max_age():
    box = np.array([[0.0, 0, 20, 40]])
    trk = SortTracker(min_hits=3, max_age=1)
    shown = [len(trk.update(box if t != 4 else np.zeros((0, 4)))) for t in range(10)]
    # frames 1-3: reported (the first min_hits frames); frame 5: missed; after the gap the same
    # track comes back (max_age 1) but needs 3 new consecutive matches to be reported again
    assert shown == [1, 1, 1, 1, 0, 0, 0, 1, 1, 1]
    ids = {t.id for t in trk.update(box)}
    assert ids == {1}
    late = SortTracker(min_hits=3, max_age=1)
    for _ in range(5):
        late.update(np.zeros((0, 4)))
    assert [len(late.update(box)) for _ in range(5)] == [0, 0, 0, 1, 1]  # born after frame 3


def test_sort_forgets_after_max_age():
    box = np.array([[0.0, 0, 20, 40]])
    trk = SortTracker(min_hits=1, max_age=2)
    first = trk.update(box)[0].id
    for _ in range(3):  # longer than max_age
        trk.update(np.zeros((0, 4)))
    trk.update(box)
    assert trk.update(box)[0].id != first


def _occluded(scores: list[float]) -> list[tuple[np.ndarray, np.ndarray]]:
    """One box moving right whose score follows ``scores`` (dips = occlusion)."""
    return [(np.array([[5.0 * t, 0, 5.0 * t + 30, 80]]), np.array([s]))
            for t, s in enumerate(scores)]


def test_bytetrack_follows_low_score_detections_of_a_track():
    scores = [0.9] * 4 + [0.3] * 4 + [0.9] * 4
    byte = track_detections(_occluded(scores), "bytetrack")
    assert len(byte) == 12 and set(byte.ids.tolist()) == {1}  # tracked through the dip
    np.testing.assert_allclose(byte.scores[4:8], 0.3)
    sort = track_detections(_occluded(scores), "sort", min_hits=1, score_threshold=0.5)
    assert len(sort) < 12  # SORT at the same threshold loses the occluded frames


def test_bytetrack_births_only_from_high_scores():
    low_only = track_detections(_occluded([0.4] * 6), "bytetrack")
    assert len(low_only) == 0
    # a new track after frame 1 is confirmed by its second match
    late = track_detections([(np.zeros((0, 4)), np.zeros(0)), *_occluded([0.9] * 3)],
                            "bytetrack")
    np.testing.assert_array_equal(late.frames, [3, 4])
    clutter = [(np.array([[0.0, 0, 10, 10]]) + 200 * t, np.array([0.55])) for t in range(5)]
    assert len(track_detections(clutter, "bytetrack")) == 0  # below new_track_threshold 0.6


@pytest.mark.parametrize(("buffer", "same_id"), [(30, True), (2, False)])
def test_bytetrack_lost_track_buffer(buffer, same_id):
    box = np.array([[100.0, 100, 140, 200]])
    trk = ByteTracker(track_buffer=buffer)
    first = trk.update(box, [0.9])[0].id
    for _ in range(5):
        assert trk.update(np.zeros((0, 4)), np.zeros(0)) == []
    again = trk.update(box, [0.9]) or trk.update(box, [0.9])
    assert (again[0].id == first) is same_id


def test_classes_are_never_mixed():
    a = np.array([[0.0, 0, 40, 100]])
    trk = SortTracker(min_hits=0)  # report tracks from their first frame
    trk.update(a, [0.9], [1])
    out = trk.update(a + 2, [0.9], [2])  # same place, another class: a new track
    assert [(t.id, t.class_id) for t in out] == [(2, 2)]


def test_update_returns_tracks():
    out = ByteTracker().update(np.array([[1.0, 2, 11, 22]]), np.array([0.8]))
    assert isinstance(out[0], Track) and out[0].score == pytest.approx(0.8)
    np.testing.assert_allclose(out[0].box, [1, 2, 11, 22])


def test_input_errors():
    trk = SortTracker()
    with pytest.raises(ShapeError, match="boxes"):
        trk.update(np.zeros((2, 3)))
    with pytest.raises(ShapeError, match="scores"):
        trk.update(np.zeros((2, 4)), np.ones(3))
    with pytest.raises(ParameterError, match="boxes/scores"):
        trk.update(np.array([[0, 0, np.nan, 1]]))
    with pytest.raises(ParameterError, match="low_score_threshold"):
        ByteTracker(score_threshold=0.3, low_score_threshold=0.5)
    with pytest.raises(ParameterError, match="iou_threshold"):
        SortTracker(iou_threshold=1.5)
    with pytest.raises(UnknownNameError, match="bytetrack"):
        mot_trackers.create("bytetrak")


def test_track_video_with_a_frame_detector():
    per_frame, gt = _walkers(8)
    frames = [np.zeros((8, 8, 3), np.uint8) + k for k in range(8)]

    def batch_detector(images, score_threshold=None):  # what oculi.detect.get_detector returns
        from types import SimpleNamespace

        k = int(images[0][0, 0, 0])
        return [SimpleNamespace(boxes=per_frame[k], scores=np.full(3, 0.9),
                                labels=np.ones(3, np.int64))]

    seen = []
    res = track_video(frames, frame_detector(batch_detector), "bytetrack", progress=seen.append)
    assert seen == list(range(1, 9))
    assert evaluate_mot(gt, res).mota == 1.0
    assert (res.classes == 1).all()


@pytest.fixture(scope="module")
def mot17():
    root = shared_set("mot17_mini")
    return [read_sequence(root / name) for name in SEQUENCES]


@pytest.mark.parametrize(("name", "options", "floor"), [
    ("sort", {"min_hits": 1}, 0.75),
    ("bytetrack", {}, 0.75),
])
def test_mot17_simulated_detections(mot17, name, options, floor):
    """Clean scores, 5 % jitter, 10 % dropped, low-score clutter: MOTA and IDF1 against the
    MOT17 ground truth (MOTChallenge rules)."""
    scored = []
    for k, seq in enumerate(mot17):
        dets = simulated_detections(seq.gt, seq.num_frames, np.random.default_rng([0, k]),
                                    scores="clean", image_size=seq.size)
        scored.append(evaluate_mot(seq.gt, track_detections(dets, name, **options),
                                   motchallenge=True))
    from oculi.track.mot_metrics import MOTMetrics

    total = MOTMetrics.combine(scored)
    assert total.mota > floor and total.idf1 > 0.85
    # 10 % of the boxes are dropped: recall cannot exceed ~0.9 plus what the filter bridges
    assert total.recall < 0.95
