"""Writing: atomic, the frame rate kept, odd sizes padded, gray frames, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oculi.core.errors import ImageWriteError, ParameterError, ShapeError
from oculi.video import VideoWriter, contact_sheet, extract_frames, open_video, write_video


def test_odd_sizes_are_padded_and_gray_frames_accepted(tmp_path: Path) -> None:
    frames = [np.full((33, 45), 40 * i, np.uint8) for i in range(5)]
    with VideoWriter(tmp_path / "g.mp4", fps=5) as vw:
        for f in frames:
            vw.write(f)
    assert vw.padded and vw.frames == 5
    with open_video(tmp_path / "g.mp4") as r:
        assert r.size == (34, 46) and len(r) == 5 and r.fps == 5.0
        f3 = r.read(3)
    assert abs(float(f3[:33, :45].mean()) - 120) < 3


def test_a_failed_write_leaves_nothing_and_the_old_file_intact(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    write_video(target, [np.zeros((16, 16, 3), np.uint8)] * 3, fps=3)
    before = target.read_bytes()
    with pytest.raises(ShapeError, match="expected 16x16"), VideoWriter(target, fps=3) as vw:
        vw.write(np.zeros((16, 16, 3), np.uint8))
        vw.write(np.zeros((8, 8, 3), np.uint8))
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]  # no temporary file left


def test_bad_writer_arguments(tmp_path: Path) -> None:
    with pytest.raises(ImageWriteError, match="unknown video suffix"):
        VideoWriter(tmp_path / "a.gif")
    with pytest.raises(ParameterError, match="fps"):
        VideoWriter(tmp_path / "a.mp4", fps=0)
    with pytest.raises(ImageWriteError, match="no frames"):
        write_video(tmp_path / "a.mp4", [], fps=5)
    with pytest.raises(Exception, match="frame"):
        write_video(tmp_path / "b.mp4", [np.zeros((8, 8, 3), np.float32) + 2.0], fps=5)


def test_contact_sheet_and_frame_extraction(tmp_path: Path) -> None:
    frames = [np.full((40, 60, 3), 6 * i, np.uint8) for i in range(30)]
    write_video(tmp_path / "v.mkv", frames, fps=10)
    sheet = contact_sheet(tmp_path / "v.mkv", count=6, columns=3, width=60)
    assert sheet.shape == (2 * 42, 3 * 62, 3) and sheet.dtype == np.uint8
    written = extract_frames(tmp_path / "v.mkv", tmp_path / "frames", start=2, stop=12, step=5)
    assert [p.name for p in written] == ["000002.png", "000007.png"]
    with open_video(tmp_path / "frames") as r:
        assert len(r) == 2 and abs(float(r.read(1).mean()) - 42) < 3
