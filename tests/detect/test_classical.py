"""OpenCV's HOG people detector and the Viola–Jones face cascade, with NMS."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from oculi.data import load
from oculi.detect import detect, detect_faces, detect_people, nms

# the astronaut's face, read off the image (x0, y0, x1, y1)
ASTRONAUT_FACE = (170, 60, 280, 175)


def _iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_nms_matches_torchvision(rng):
    from torchvision.ops import nms as tv_nms

    xy = rng.uniform(0, 100, (200, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(5, 40, (200, 2))], 1)
    scores = rng.uniform(0, 1, 200)
    for thr in (0.3, 0.5, 0.7):
        ref = tv_nms(torch.as_tensor(boxes), torch.as_tensor(scores), thr).numpy()
        np.testing.assert_array_equal(nms(boxes, scores, thr), ref)


def test_face_on_astronaut():
    d = detect_faces(load("astronaut"))
    assert len(d) == 1 and d.names == ["face"]
    assert _iou(d.boxes[0], ASTRONAUT_FACE) > 0.6
    assert len(detect_faces(load("coffee"))) == 0  # a coffee cup has no face
    gray = detect_faces(load("astronaut", mode="gray"))
    np.testing.assert_allclose(gray.boxes, d.boxes)


def test_hog_people_on_otb_crossing():
    """The pedestrian of OTB "Crossing" (ground-truth boxes of the tracking benchmark), frames
    upscaled x3 so that the 17x50-pixel walker fills the 64x128 HOG window."""
    import cv2

    from oculi.io import read_image
    from tests.conftest import shared_set

    root = shared_set("track_otb_crossing")
    gt = np.loadtxt(root / "groundtruth_rect.txt")
    for frame in (1, 80, 120):
        image = read_image(root / "img" / f"{frame:04d}.jpg")
        image = cv2.resize(image, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
        x, y, w, h = gt[frame - 1] * 3
        d = detect_people(image, score_threshold=None)
        assert max(_iou(b, (x, y, x + w, y + h)) for b in d.boxes) > 0.35, frame
    blank = detect_people(np.full((256, 192, 3), 200, np.uint8), score_threshold=None)
    assert len(blank) == 0


def test_registry_entry_points():
    out = detect([load("astronaut")], "lbp-face")
    assert out[0].names == ["face"]
    from oculi.core.errors import ParameterError, UnknownNameError

    with pytest.raises(ParameterError, match="needs training first"):
        detect([load("astronaut")], "fcos")
    with pytest.raises(UnknownNameError, match="did you mean"):
        detect([load("astronaut")], "haar-fase")


def test_entry_point_scores_match_the_detectors():
    image = load("rocket")  # one HOG box, SVM margin 0.61
    for score in (None, 0.65):  # None: the detector's default (margin 0.5)
        got = detect([image], "hog-people", score_threshold=score)[0]
        want = detect_people(image) if score is None else detect_people(image, score_threshold=score)
        np.testing.assert_allclose(got.boxes, want.boxes)
        assert len(got) == (1 if score is None else 0)
    astronaut = load("astronaut")
    assert len(detect([astronaut], "lbp-face", score_threshold=None)[0]) == len(detect_faces(astronaut))


def test_hog_people_on_images_smaller_than_its_window():
    """OpenCV's HOG detectMultiScale corrupted the heap on a 1x1 image (the process died with
    'malloc(): invalid size'); images no window fits in give no detections, in a subprocess so
    a regression cannot take the test run down."""
    import subprocess
    import sys

    code = ("import numpy as np\nfrom oculi.detect.classical import detect_people\n"
            "for s in [(1, 1), (2, 3), (50, 40), (111, 47)]:\n"
            "    assert len(detect_people(np.zeros(s + (3,), np.uint8)).boxes) == 0\n"
            "print('ok')")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-500:]
