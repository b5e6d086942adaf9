from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import DataError, ImageReadError, ShapeError
from oculi.io import write_image
from oculi.track.datasets import (
    Sequence,
    load_otb,
    load_sequence,
    load_vot,
    polygon_to_box,
    read_box_file,
)
from tests.conftest import shared_set


def _frames(folder, n, size=(24, 32)):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        write_image(folder / f"{i + 1:04d}.png", np.full((*size, 3), 10 * i, np.uint8))


def test_otb_is_read_zero_based(tmp_path):
    seq_dir = tmp_path / "Toy"
    _frames(seq_dir / "img", 3)
    # OTB files mix separators: tab, comma, spaces
    (seq_dir / "groundtruth_rect.txt").write_text("1\t1\t10\t5\n3,4,10,5\n5  6 10 5\n\n")
    seq = load_otb(seq_dir)
    assert seq.name == "Toy" and len(seq) == 3 and seq.meta["format"] == "otb"
    assert seq.boxes.dtype == np.float32
    # (1, 1) is the first pixel in OTB's 1-based coordinates: (0, 0) here
    assert seq.boxes.tolist() == [[0, 0, 10, 5], [2, 3, 12, 8], [4, 5, 14, 10]]
    assert seq.polygons is None
    assert seq.read(2).shape == (24, 32, 3) and int(seq.read(2)[0, 0, 0]) == 20
    assert load_sequence(seq_dir).boxes.tolist() == seq.boxes.tolist()


def test_vot_polygons_and_rectangles(tmp_path):
    seq_dir = tmp_path / "bag"
    _frames(seq_dir / "color", 2)
    (seq_dir / "groundtruth.txt").write_text("10,2,14,6,10,10,6,6\n1.5,2.5,3.5,4.5,5.5,6.5,7.5,8.5\n")
    seq = load_vot(seq_dir)
    # a diamond: its axis-aligned box is min/max of the corners (VOT toolkit's rule)
    assert seq.boxes.tolist() == [[6, 2, 14, 10], [1.5, 2.5, 7.5, 8.5]]
    assert seq.polygons.shape == (2, 8) and seq.polygons[0].tolist() == [10, 2, 14, 6, 10, 10, 6, 6]
    rect_dir = tmp_path / "rect"
    _frames(rect_dir, 2)  # frames in the folder itself (VOT 2013-2019 layout)
    (rect_dir / "groundtruth.txt").write_text("1,2,3,4\n2,3,4,5\n")
    rect = load_sequence(rect_dir)
    assert rect.meta["format"] == "vot"
    assert rect.boxes.tolist() == [[1, 2, 4, 6], [2, 3, 6, 8]]
    assert rect.polygons[0].tolist() == [1, 2, 4, 2, 4, 6, 1, 6]


def test_polygon_to_box():
    p = np.array([[0, 0, 4, 0, 4, 3, 0, 3]])
    assert polygon_to_box(p).tolist() == [[0, 0, 4, 3]]


def test_bad_folders(tmp_path):
    with pytest.raises(DataError, match="no such sequence folder"):
        load_sequence(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="not a tracking sequence"):
        load_sequence(tmp_path / "empty")
    seq_dir = tmp_path / "short"
    _frames(seq_dir / "img", 3)
    (seq_dir / "groundtruth_rect.txt").write_text("1 1 5 5\n1 1 5 5\n")
    with pytest.raises(DataError, match="3 frames but 2 lines"):
        load_otb(seq_dir)
    (seq_dir / "groundtruth_rect.txt").write_text("1 1 5 5\n1 1 five 5\n1 1 5 5\n")
    with pytest.raises(DataError, match=r"groundtruth_rect.txt:2: expected numbers"):
        load_otb(seq_dir)
    (seq_dir / "groundtruth.txt").write_text("1 1 5\n")
    with pytest.raises(DataError, match=r"8 \(polygon\) or 4"):
        load_vot(seq_dir)
    with pytest.raises(DataError, match="no such ground-truth file"):
        read_box_file(tmp_path / "none.txt")


def test_sequence_checks_and_lazy_reads(tmp_path):
    with pytest.raises(DataError, match="2 frames but 1"):
        Sequence("s", ["a.png", "b.png"], np.zeros((1, 4)))
    with pytest.raises(ShapeError):
        Sequence("s", ["a.png"], np.zeros((1, 5)))
    seq = Sequence("s", [tmp_path / "gone.png"], np.zeros((1, 4)))  # nothing read yet
    with pytest.raises(ImageReadError, match=r"gone\.png"):
        seq.read(0)


def test_shared_otb_crossing():
    seq = load_sequence(shared_set("track_otb_crossing"))
    assert len(seq) == 120 and seq.name == "track_otb_crossing"
    # first line of groundtruth_rect.txt: 205 151 17 50 (1-based x, y, w, h)
    assert seq.boxes[0].tolist() == [204, 150, 221, 200]
    assert seq.read(0).shape == (240, 360, 3)


def test_shared_vot_bag_matches_its_aabb_file():
    folder = shared_set("track_vot_bag")
    seq = load_sequence(folder)
    assert len(seq) == 150 and seq.meta["format"] == "vot" and seq.polygons.shape == (150, 8)
    aabb = read_box_file(folder / "groundtruth_rect_aabb.txt")  # x, y, w, h written by SOURCES
    xyxy = np.concatenate([aabb[:, :2], aabb[:, :2] + aabb[:, 2:]], axis=1)
    assert np.abs(seq.boxes - xyxy).max() < 0.02  # the aabb file is rounded to 0.01
    assert seq.read(0).shape == (360, 480, 3)
