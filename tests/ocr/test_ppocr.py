"""The ppocr engine (PP-OCR ONNX models from the rapidocr-onnxruntime wheel)."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.ocr import cer, ocr_engines, recognize
from tests.conftest import shared_set


def test_reads_all_ocr_numbers_exactly() -> None:
    import csv

    from oculi.io import read_image

    root = shared_set("ocr_numbers")
    with (root / "labels.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6
    eng = ocr_engines.create("ppocr")
    for row in rows:
        res = recognize(read_image(root / row["file"], mode="unchanged"), engine=eng)
        assert res.text == row["text"], row["file"]


def test_scene_text_on_a_photo() -> None:
    from oculi.data import load
    from oculi.ocr.synth import paste_sign

    photo, corners = paste_sign(load("coffee", mode="rgb"), "OPEN 24 HOURS", center=(300, 120))
    res = recognize(photo, engine="ppocr")
    assert cer("OPEN 24 HOURS", res.text) <= 1 / 13
    assert [w.text for w in res.words][-1] == "HOURS"
    # the words lie inside the sign's bounding box (a few pixels of slack)
    x0, y0 = corners.min(axis=0) - 4
    x1, y1 = corners.max(axis=0) + 4
    for w in res.words:
        assert x0 <= w.box[0] < w.box[2] <= x1 and y0 <= w.box[1] < w.box[3] <= y1


def test_blank_image_is_empty() -> None:
    res = recognize(np.full((120, 200, 3), 230, np.uint8), engine="ppocr")
    assert res.lines == [] and res.text == ""


def test_unknown_engine_lists_names() -> None:
    from oculi.core.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="ppocr"):
        recognize(np.zeros((10, 10), np.uint8), engine="ppocrr")
