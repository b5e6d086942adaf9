from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from oculi.core.errors import DataError, MissingDependencyError, ParameterError, ShapeError
from oculi.track import create_tracker, single_trackers, xyxy_to_xywh
from oculi.track.datasets import load_vot
from oculi.track.evaluate import box_iou, run_sequence
from oculi.track.opencv import available
from oculi.track.synthetic import synthetic_sequence
from tests.conftest import SHARED_DATA, shared_set

NANOTRACK_V2 = SHARED_DATA.parent / "models" / "nanotrack" / "v2"

#: mean IoU on the translation-only synthetic sequence below (30 frames, 240x180, seed 0):
#: measured boosting 0.923, csrt 0.883, kcf 0.821, medianflow 0.964, mosse 0.944 (the same
#: every run); MIL and TLD draw random samples that OpenCV's seed does not fix: over 13 runs
#: MIL gave 0.77-0.95 and TLD 0.51-0.58
SHIFT_FLOOR = {"boosting": 0.85, "csrt": 0.8, "kcf": 0.72, "medianflow": 0.9, "mil": 0.68,
               "mosse": 0.85, "tld": 0.42}


@pytest.fixture(scope="module")
def shift_sequence():
    return synthetic_sequence(30, size=(180, 240), target_size=(40, 36), scale_range=(1, 1),
                              max_rotation=0, seed=0)


@pytest.fixture(scope="module")
def full_sequence():
    return synthetic_sequence(30, size=(180, 240), target_size=(40, 36), seed=0)


def test_the_contrib_build_has_every_tracker():
    # opencv-contrib-python-headless 5.0: all the wrapped trackers exist (a plain opencv-python
    # wheel installed over it would remove CSRT, KCF and cv2.legacy)
    assert all(available().values()), available()
    assert set(available()) <= set(single_trackers.names())


@pytest.mark.parametrize("name", sorted(SHIFT_FLOOR))
def test_tracker_follows_the_synthetic_target(name, shift_sequence):
    res = run_sequence(name, shift_sequence)
    iou = box_iou(res.boxes, shift_sequence.boxes)
    assert iou[0] == pytest.approx(1.0)
    assert float(iou.mean()) > SHIFT_FLOOR[name]
    assert res.boxes.dtype == np.float32 and res.boxes.shape == (30, 4)
    assert np.isnan(res.scores).all()  # OpenCV's classic trackers give no score
    assert np.isfinite(res.times).all() and res.fps > 0


@pytest.mark.parametrize(("name", "floor"), [("csrt", 0.72), ("medianflow", 0.75)])
def test_tracker_follows_scale_and_rotation(name, floor, full_sequence):
    # measured on this sequence: csrt 0.825, medianflow 0.819
    res = run_sequence(name, full_sequence)
    assert float(box_iou(res.boxes, full_sequence.boxes).mean()) > floor


@pytest.mark.parametrize(("name", "direct"), [
    ("kcf", cv2.TrackerKCF_create),
    ("mosse", cv2.legacy.TrackerMOSSE_create),
])
def test_wrapper_equals_opencv_on_bgr_frames(name, direct, shift_sequence):
    frames = [shift_sequence.read(i) for i in range(12)]
    box = shift_sequence.boxes[0]
    ours = create_tracker(name)
    ours.init(frames[0], box)
    ref = direct()
    ref.init(cv2.cvtColor(frames[0], cv2.COLOR_RGB2BGR),
             tuple(round(float(v)) for v in xyxy_to_xywh(box)))
    for frame in frames[1:]:
        res = ours.update(frame)
        ok, (x, y, w, h) = ref.update(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        assert ok and not res.lost
        assert res.box.tolist() == pytest.approx([x, y, x + w, y + h])


def test_lost_keeps_the_last_box(shift_sequence):
    first = shift_sequence.read(0)
    tracker = create_tracker("mosse")
    tracker.init(first, shift_sequence.boxes[0])
    ok = tracker.update(shift_sequence.read(1))
    noise = np.random.default_rng(0).integers(0, 256, first.shape, dtype=np.uint8)
    res = tracker.update(noise)  # the target is gone: MOSSE's peak-to-sidelobe ratio collapses
    assert res.lost
    assert res.box.tolist() == ok.box.tolist()
    assert math.isnan(res.score)


def test_errors(shift_sequence):
    tracker = create_tracker("kcf")
    frame = shift_sequence.read(0)
    with pytest.raises(ParameterError, match="before init"):
        tracker.update(frame)
    with pytest.raises(ParameterError, match="outside"):
        tracker.init(frame, [300, 10, 340, 50])
    with pytest.raises(ParameterError, match="zero-size"):
        tracker.init(frame, [30, 10, 30, 50])
    tracker.init(frame, shift_sequence.boxes[0])
    with pytest.raises(ShapeError, match="like the first frame"):
        tracker.update(frame[:100])


def test_nanotrack_needs_its_model_files(tmp_path):
    with pytest.raises(MissingDependencyError, match="model_dir=FOLDER"):
        create_tracker("nanotrack")
    with pytest.raises(DataError, match="not a folder"):
        create_tracker("nanotrack", model_dir=tmp_path / "none")
    with pytest.raises(DataError, match="expected one"):
        create_tracker("nanotrack", model_dir=tmp_path)
    with pytest.raises(DataError, match="no such ONNX file"):
        create_tracker("nanotrack", backbone=tmp_path / "b.onnx", neckhead=tmp_path / "h.onnx")


def _nanotrack_dir() -> Path:
    if not NANOTRACK_V2.is_dir():
        pytest.skip(f"NanoTrack models not found at {NANOTRACK_V2}")
    return NANOTRACK_V2


def test_nanotrack_on_the_vot_bag():
    seq = load_vot(shared_set("track_vot_bag"))
    res = run_sequence("nanotrack", seq, model_dir=_nanotrack_dir())
    iou = box_iou(res.boxes, seq.boxes)
    # SOURCES.md: NanoTrack follows the bag at mean IoU 0.75 (measured here: 0.79)
    assert 0.72 < float(iou.mean()) < 0.85
    scores = res.scores[1:]
    assert ((scores >= 0) & (scores <= 1)).all() and float(scores.mean()) > 0.5


def test_nanotrack_explicit_files_follow_the_synthetic_target(full_sequence):
    d = _nanotrack_dir()
    res = run_sequence("nano", full_sequence, backbone=next(d.glob("*backbone*.onnx")),
                       neckhead=next(d.glob("*head_sim*.onnx")))
    # measured 0.813
    assert float(box_iou(res.boxes, full_sequence.boxes).mean()) > 0.75
