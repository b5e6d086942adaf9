"""MOTChallenge files: ground truth of the MOT17 excerpts, result files round trip, errors."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import DataError
from oculi.track.mot_io import MOTRows, read_mot, read_sequence, write_mot
from tests.conftest import shared_set


def test_read_sequence_mot17_02():
    seq = read_sequence(shared_set("mot17_mini") / "MOT17-02-FRCNN")
    assert seq.name == "MOT17-02-FRCNN"
    assert len(seq.images) == 4 and seq.num_frames == 4
    assert seq.length == 600  # seqinfo's full length; only 4 frames are present
    assert seq.size == (1080, 1920) and seq.frame_rate == 30.0
    gt = seq.gt
    assert len(gt) == 156
    np.testing.assert_array_equal(gt.frame_numbers(), [1, 2, 3, 4])
    # first line: 1,1,912,484,97,109,0,7,1.0  (left, top, width, height -> xyxy)
    np.testing.assert_allclose(gt.boxes[0], [912, 484, 1009, 593])
    assert (gt.ids[0], gt.scores[0], gt.classes[0], gt.visibility[0]) == (1, 0.0, 7, 1.0)
    evaluated = (gt.scores == 1) & (gt.classes == 1)
    assert evaluated.sum() == 88  # 22 pedestrians x 4 frames


def test_results_round_trip(tmp_path):
    rows = MOTRows(frames=[2, 1, 1], ids=[5, 9, 5],
                   boxes=[[10.5, 20.25, 30.0, 60.0], [0, 0, 1, 1], [100, 100, 150, 250]],
                   scores=[0.9, 0.5, 0.25])
    path = write_mot(tmp_path / "sub" / "res.txt", rows)
    lines = path.read_text().splitlines()
    assert lines[0] == "1,5,100.00,100.00,50.00,150.00,0.2500,-1,-1,-1"  # sorted by frame, id
    back = read_mot(path)
    np.testing.assert_array_equal(back.frames, [1, 1, 2])
    np.testing.assert_array_equal(back.ids, [5, 9, 5])
    np.testing.assert_allclose(back.boxes[2], [10.5, 20.25, 30.0, 60.0], atol=0.005)
    np.testing.assert_allclose(back.scores, [0.25, 0.5, 0.9])
    assert (back.classes == -1).all()


def test_by_frame_yields_empty_frames():
    rows = MOTRows(frames=[1, 3], ids=[1, 1], boxes=np.zeros((2, 4)))
    got = [(t, len(r)) for t, r in rows.by_frame(np.arange(1, 5))]
    assert got == [(1, 1), (2, 0), (3, 1), (4, 0)]


def test_empty_and_short_files(tmp_path):
    (tmp_path / "empty.txt").write_text("\n")
    assert len(read_mot(tmp_path / "empty.txt")) == 0
    (tmp_path / "six.txt").write_text("3, 7, 1, 2, 3, 4\n")  # spaces and 6 columns accepted
    six = read_mot(tmp_path / "six.txt")
    np.testing.assert_allclose(six.boxes, [[1, 2, 4, 6]])
    assert six.scores[0] == 1.0


@pytest.mark.parametrize(("text", "match"), [("1,2,3\n", "expected at least 6 columns"),
                                             ("1,2,a,4,5,6\n", "expected numbers"),
                                             ("1,2,nan,4,5,6\n", "expected finite numbers"),
                                             ("1,2,3,4,-5,6\n", "negative box width")])
def test_bad_lines_name_file_and_line(tmp_path, text, match):
    path = tmp_path / "bad.txt"
    path.write_text("1,1,0,0,1,1,1,-1,-1,-1\n" + text)
    with pytest.raises(DataError, match=rf"bad.txt:2: {match}"):
        read_mot(path)


def test_binary_file_is_a_data_error(tmp_path):
    path = tmp_path / "bin.txt"
    path.write_bytes(b"\xd1\xff\x00\x80" * 10)
    with pytest.raises(DataError, match="not UTF-8 text"):
        read_mot(path)


def test_bad_seqinfo_number_is_a_data_error(tmp_path):
    (tmp_path / "gt").mkdir()
    (tmp_path / "gt" / "gt.txt").write_text("1,1,0,0,1,1,1,-1,-1,-1\n")
    (tmp_path / "seqinfo.ini").write_text("[Sequence]\nframeRate=abc\n")
    with pytest.raises(DataError, match="framerate must be a positive number"):
        read_sequence(tmp_path)


def test_not_a_sequence(tmp_path):
    with pytest.raises(DataError, match="not a MOTChallenge sequence"):
        read_sequence(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_sequence(tmp_path / "missing")
