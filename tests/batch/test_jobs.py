"""Jobs other than classify and convert give what their topic's own functions give."""

from __future__ import annotations

import json

import numpy as np
import pytest

from oculi.batch import run_batch
from oculi.data import load
from oculi.io import read_image, write_image


@pytest.fixture
def photos(tmp_path):
    for name in ("astronaut", "coffee"):
        write_image(tmp_path / "in" / f"{name}.png", load(name, mode="rgb")[::2, ::2])
    return tmp_path / "in"


def _record(out, stem):
    return json.loads((out / f"{stem}.json").read_text())


def test_features_job_records_the_librarys_keypoints(photos, tmp_path):
    from oculi.features import detect_and_describe

    out = tmp_path / "out"
    report = run_batch("features", photos, out, local=True, options={"method": "orb"})
    assert report.count("done") == 2
    for stem in ("astronaut", "coffee"):
        want = detect_and_describe(read_image(photos / f"{stem}.png"), "orb")
        rec = _record(out, stem)["result"]
        assert rec["keypoints"] == len(want) > 100
        np.testing.assert_allclose(rec["keypoints_list"]["x"], want.keypoints.as_dict()["x"])


def test_detect_job_records_the_detectors_boxes_and_an_overlay(photos, tmp_path):
    from oculi.detect import get_detector

    out = tmp_path / "out"
    run_batch("detect", photos, out, local=True, options={"model": "haar-face"})
    detector = get_detector("haar-face")
    for stem in ("astronaut", "coffee"):
        image = read_image(photos / f"{stem}.png")
        want = detector([image])[0]
        got = _record(out, stem)["result"]["detections"]
        np.testing.assert_allclose(np.reshape([d["box"] for d in got], (-1, 4)),
                                   np.reshape(want.boxes, (-1, 4)))
        assert read_image(out / f"{stem}.overlay.png").shape == image.shape
    assert len(_record(out, "astronaut")["result"]["detections"]) >= 1  # her face
