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
    run_batch("detect", photos, out, local=True, options={"model": "lbp-face"})
    detector = get_detector("lbp-face")
    for stem in ("astronaut", "coffee"):
        image = read_image(photos / f"{stem}.png")
        want = detector([image])[0]
        got = _record(out, stem)["result"]["detections"]
        np.testing.assert_allclose(np.reshape([d["box"] for d in got], (-1, 4)),
                                   np.reshape(want.boxes, (-1, 4)))
        assert read_image(out / f"{stem}.overlay.png").shape == image.shape
    assert len(_record(out, "astronaut")["result"]["detections"]) >= 1  # her face


def test_explain_job_explains_the_top_class_and_writes_an_overlay(photos, tmp_path):
    from oculi.classify import classify_files

    out = tmp_path / "out"
    run_batch("explain", photos, out, local=True, options={"method": "gradcam"})
    top, _ = classify_files(sorted(photos.glob("*.png")), top=1, allow_download=False)
    for path, preds in top.items():
        stem = path.rsplit("/", 1)[-1][:-4]
        rec = _record(out, stem)["result"]
        assert rec["target"] == preds[0].index and rec["label"] == preds[0].label
        assert rec["prob"] == pytest.approx(preds[0].probability, abs=1e-4)
        overlay = read_image(out / f"{stem}.overlay.png")
        assert overlay.ndim == 3 and overlay.dtype == np.uint8


def test_ocr_job_records_the_engines_text(tmp_path):
    import shutil

    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    from oculi.ocr import recognize

    page = load("page", mode="rgb")
    write_image(tmp_path / "in" / "text.png", page)
    out = tmp_path / "out"
    run_batch("ocr", tmp_path / "in", out, local=True)
    rec = _record(out, "text")["result"]
    want = recognize(read_image(tmp_path / "in" / "text.png", mode="unchanged"))
    assert rec["text"] == want.text and len(want.text.split()) >= 3
