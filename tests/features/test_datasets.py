"""Reading the three pair layouts (built in tmp folders) and the shared sets."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import DataError
from oculi.features import load_pairs, read_homography
from oculi.io import write_image
from tests.conftest import shared_set

H = np.array([[1.1, 0.02, 3.0], [0.01, 0.95, -2.0], [1e-5, 2e-5, 1.0]])


def _img(path):
    write_image(path, np.zeros((8, 8), np.uint8))


def test_hpatches_layout(tmp_path):
    for i in range(1, 4):
        _img(tmp_path / f"{i}.png")
    for j in (2, 3):
        np.savetxt(tmp_path / f"H_1_{j}", H * j)
    pairs = load_pairs(tmp_path)
    assert [p.name.split("/")[-1] for p in pairs] == ["1-2", "1-3"]
    np.testing.assert_allclose(pairs[1].homography, H * 3)


def test_oxford_layout_with_xml(tmp_path):
    _img(tmp_path / "graf1.png")
    _img(tmp_path / "graf3.png")
    data = " ".join(f"{v:.8e}" for v in H.ravel())
    (tmp_path / "H1to3p.xml").write_text(
        '<?xml version="1.0"?>\n<opencv_storage>\n<H13 type_id="opencv-matrix"><rows>3</rows>'
        f"<cols>3</cols><dt>d</dt><data>{data}</data></H13>\n</opencv_storage>\n")
    (pair,) = load_pairs(tmp_path)
    assert pair.image2.name == "graf3.png"
    np.testing.assert_allclose(pair.homography, H)


def test_pairs_layout_and_errors(tmp_path):
    for sub in ("1", "2", "h"):
        (tmp_path / sub).mkdir()
    _img(tmp_path / "1" / "a.png")
    _img(tmp_path / "2" / "a.png")
    np.savetxt(tmp_path / "h" / "a.txt", H)
    assert [p.name for p in load_pairs(tmp_path)] == [f"{tmp_path.name}/a"]
    (tmp_path / "h" / "bad.txt").write_text("1 2 3")
    with pytest.raises(DataError, match="9 numbers"):
        read_homography(tmp_path / "h" / "bad.txt")
    with pytest.raises(DataError, match="no image pairs"):
        load_pairs(tmp_path / "1")


def test_shared_sets():
    assert len(load_pairs(shared_set("hpatches_v_dogman"))) == 5
    (graf,) = load_pairs(shared_set("oxford_graf_1to3"))
    assert graf.homography[0, 2] == pytest.approx(225.67123)
    assert len(load_pairs(shared_set("homography_pairs_evd"))) == 5
