"""Face detectors: YuNet and the Haar cascade loaded by path from ../shared/models (skipped when
absent), the built-in LBP cascade, the deprecated ``haar-face`` without a file, and the
hand-annotated face set of :mod:`oculi.detect.face_eval`."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from oculi.core.errors import DataError, MissingDependencyError, ParameterError
from oculi.data import load
from oculi.detect import detect, detect_faces, detect_faces_yunet, detectors
from oculi.detect.face_eval import (
    FACE_TRUTH,
    NO_FACE,
    face_detectors,
    face_images,
    match_faces,
    score_detectors,
)
from tests.conftest import SHARED_DATA, shared_set

MODELS = SHARED_DATA.parent / "models"
YUNET = MODELS / "face" / "face_detection_yunet_2026may.onnx"
HAAR = MODELS / "cascades" / "haarcascade_frontalface_default.xml"
LBP = MODELS / "cascades" / "lbpcascade_frontalface.xml"


def _model(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"shared model {path.name} not found at {path.parent}")
    return path


@pytest.fixture(scope="module")
def faces():
    shared_set("sr_set5")
    shared_set("compress_kodak")
    return face_images(SHARED_DATA)


def test_match_faces_counts_hits_misses_and_false_positives():
    truth = np.array([[0, 0, 10, 10], [100, 100, 120, 120]], float)
    # two boxes on the first face (the second is a false positive), none on the second face
    boxes = np.array([[0, 0, 10, 9], [1, 0, 10, 10], [200, 200, 210, 210]], float)
    assert match_faces(boxes, truth) == (1, 1, 2)
    assert match_faces(np.zeros((0, 4)), truth) == (0, 2, 0)
    assert match_faces(boxes[:1], np.zeros((0, 4))) == (0, 0, 1)
    # IoU 0.5 exactly is a hit (10x10 against 10x5 inside it)
    assert match_faces(np.array([[0, 0, 10, 5]]), truth[:1]) == (1, 0, 0)


def test_builtin_lbp_face_on_the_embedded_astronaut():
    d = detect([load("astronaut")], "lbp-face")[0]
    assert match_faces(d.boxes, np.array(FACE_TRUTH["astronaut"])) == (1, 0, 0)
    assert len(detect([load("coffee")], "lbp-face")[0]) == 0


def test_haar_face_without_a_file_is_a_deprecated_lbp_face():
    image = load("astronaut")
    with pytest.warns(DeprecationWarning, match="use lbp-face"):
        old = detect([image], "haar-face")[0]
    np.testing.assert_array_equal(old.boxes, detect([image], "lbp-face")[0].boxes)
    with pytest.warns(DeprecationWarning, match="cascade= is deprecated"):
        np.testing.assert_array_equal(detect_faces(image, cascade="face").boxes, old.boxes)


def test_model_files_are_checked_once_before_any_image():
    image = load("astronaut")
    with pytest.raises(MissingDependencyError, match="yunet: needs its ONNX file"):
        detect([image], "yunet")
    with pytest.raises(DataError, match="no such YuNet ONNX file"):
        detect([image], "yunet", weights="missing.onnx")
    with pytest.raises(ParameterError, match="hog-people takes no weights"):
        detect([image], "hog-people", weights="x.xml")
    bad = Path(__file__)  # a Python file is not a cascade
    with pytest.raises(DataError, match="not an OpenCV cascade XML"):
        detect([image], "lbp-face", weights=bad)
    assert {"yunet", "haar-face", "lbp-face"} <= set(detectors.names())


def test_yunet_and_haar_by_path_on_the_astronaut():
    image = load("astronaut")
    truth = np.array(FACE_TRUTH["astronaut"])
    yunet = detect_faces_yunet(image, weights=_model(YUNET))
    assert match_faces(yunet.boxes, truth) == (1, 0, 0)
    assert 0.6 <= float(yunet.scores[0]) <= 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a file given: no deprecation
        haar = detect([image], "haar-face", weights=_model(HAAR))[0]
    assert match_faces(haar.boxes, truth) == (1, 0, 0)
    # the LBP file OpenCV ships and the copy scikit-image ships are the same cascade
    np.testing.assert_array_equal(detect_faces(image, weights=_model(LBP)).boxes,
                                  detect_faces(image).boxes)


def test_truth_boxes_hold_yunets_eyes_nose_and_mouth(faces):
    """An independent check of the hand-drawn boxes: YuNet's five landmarks (eyes, nose tip,
    mouth corners) of the best face in each annotated image lie inside its box."""
    import cv2

    net = cv2.FaceDetectorYN.create(str(_model(YUNET)), "", (320, 320), 0.5, 0.3, 10)
    for name, (image, truth) in faces.items():
        if not len(truth):
            continue
        net.setInputSize((image.shape[1], image.shape[0]))
        _, found = net.detect(np.ascontiguousarray(image[..., ::-1]))
        marks = found[np.argmax(found[:, 14]), 4:14].reshape(5, 2)
        x0, y0, x1, y1 = truth[0]
        inside = (marks[:, 0] >= x0) & (marks[:, 0] <= x1) & (marks[:, 1] >= y0) & \
                 (marks[:, 1] <= y1)
        if name == "sr_set5/head.png":  # a profile: the far eye and mouth corner are hidden
            inside = inside[[0, 2]]
        assert inside.all(), (name, marks.round().tolist(), truth[0].tolist())


def test_three_detectors_on_the_shared_faces(faces):
    """5 annotated faces (astronaut, Set5 baby/head/woman, Kodak kodim04) and 7 images without
    people: YuNet finds all five (the profile too) with no false positive; OpenCV's Haar
    cascade misses the profile and fires once on kodim07's shutters; the built-in LBP cascade
    also misses kodim04 and fires nowhere."""
    _model(YUNET)
    _model(HAAR)
    assert len(faces) == len(FACE_TRUTH) + len(NO_FACE)
    scores = {s.detector: s for s in score_detectors(face_detectors(MODELS), faces, repeat=0)}
    counts = {k: (s.hits, s.misses, s.false_positives) for k, s in scores.items()}
    assert counts == {"yunet": (5, 0, 0), "haar-face": (4, 1, 1), "lbp-face": (3, 2, 0)}
    assert scores["haar-face"].per_image["compress_kodak/kodim07.png"] == (0, 0, 1)
    assert scores["lbp-face"].per_image["compress_kodak/kodim04.png"] == (0, 1, 0)
