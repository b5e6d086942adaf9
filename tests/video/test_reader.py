"""Frame-accurate reading: random access equals a sequential decode on several containers;
counts, rates, timestamps; folders; bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oculi.core.errors import DataError, ImageReadError, ParameterError
from oculi.video import FolderReader, open_video, read_frames, write_video


def _frames(n: int = 48, h: int = 64, w: int = 80) -> list[np.ndarray]:
    """Frames that differ everywhere: a moving bar, a ramp and the frame number in intensity."""
    yy, xx = np.mgrid[0:h, 0:w]
    out = []
    for i in range(n):
        f = np.zeros((h, w, 3), np.uint8)
        f[..., 0] = (xx * 3 + i * 5) % 256
        f[..., 1] = (yy * 4) % 256
        f[..., 2] = i * 5
        f[:, (i * 3) % w] = 255
        out.append(f)
    return out


@pytest.fixture(scope="module", params=[".mp4", ".mkv", ".avi", ".webm"])
def video(request, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("v") / f"clip{request.param}"
    write_video(path, _frames(), fps=24)
    return path


def test_random_access_equals_a_sequential_decode(video: Path) -> None:
    with open_video(video) as r:
        sequential = list(r)
        assert len(sequential) == len(r) == 48
        order = np.random.default_rng(0).permutation(48)
        for i in [*order[:20].tolist(), 47, 0, 12, 13, 11, -1]:
            np.testing.assert_array_equal(r.read(i), sequential[i], err_msg=f"frame {i}")
        assert r.size == (64, 80) and r.fps == pytest.approx(24.0)
    picked = read_frames(video, [30, 3, 30])
    np.testing.assert_array_equal(picked[0], sequential[30])
    np.testing.assert_array_equal(picked[1], sequential[3])


def test_h264_keeps_the_pixels_close(tmp_path: Path) -> None:
    frames = _frames(12)
    write_video(tmp_path / "a.mp4", frames, fps=12, quality=0)  # crf 0: lossless luma
    with open_video(tmp_path / "a.mp4") as r:
        back = list(r)
    luma = np.array([0.299, 0.587, 0.114])
    err = np.abs(np.stack(back) @ luma - np.stack(frames) @ luma).mean()
    # crf 0 is lossless in YUV: what is left is limited-range (16-235) rounding and the
    # half-resolution chroma of yuv420p (measured 1.40 grey levels)
    assert err < 2.0
    write_video(tmp_path / "b.mp4", frames, fps=12, quality=40)
    with open_video(tmp_path / "b.mp4") as r:
        rough = np.abs(np.stack(list(r)) @ luma - np.stack(frames) @ luma).mean()
    assert rough > err + 1.0  # the quality knob reaches the encoder


def test_timestamps_duration_and_a_fractional_rate(tmp_path: Path) -> None:
    write_video(tmp_path / "ntsc.mp4", _frames(30), fps=30000 / 1001)
    with open_video(tmp_path / "ntsc.mp4") as r:
        assert r.fps == pytest.approx(29.97, abs=1e-3)
        t = r.timestamps()
        assert t[0] == 0.0
        np.testing.assert_allclose(np.diff(t), 1001 / 30000, atol=2e-3)
        info = r.info.as_dict()
    assert info["frames"] == 30 and info["duration_s"] == pytest.approx(30 / 29.97, rel=1e-3)


def test_clip_with_a_stride_and_past_the_end(video: Path) -> None:
    with open_video(video) as r:
        seq = list(r)
        clip = r.clip(4, 5, stride=3)
        assert clip.shape == (5, 64, 80, 3)
        for k in range(5):
            np.testing.assert_array_equal(clip[k], seq[4 + 3 * k])
        with pytest.raises(ParameterError, match="past the last frame"):
            r.clip(40, 5, stride=3)
        with pytest.raises(ParameterError, match="past the end"):
            r.read(48)


def test_the_opencv_fallback_reads_the_same_frames_count(video: Path) -> None:
    if video.suffix == ".webm":
        pytest.skip("OpenCV's FFmpeg build may lack VP9")
    with open_video(video, backend="opencv") as r:
        assert len(r) == 48 and r.read(10).shape == (64, 80, 3)


def test_folder_of_frames_in_natural_order(tmp_path: Path) -> None:
    from oculi.io import write_image

    frames = _frames(11, 24, 32)
    for i, f in enumerate(frames):
        write_image(tmp_path / f"f{i}.png", f)
    (tmp_path / "notes.txt").write_text("not a frame")
    r = open_video(tmp_path, fps=10)
    assert isinstance(r, FolderReader) and len(r) == 11 and r.fps == 10.0
    np.testing.assert_array_equal(r.read(10), frames[10])  # f10 after f9, not after f1
    np.testing.assert_array_equal(np.stack(list(r)), np.stack(frames))
    write_image(tmp_path / "f11.png", np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(DataError, match="8x8"):
        open_video(tmp_path).read(11)


def test_bad_inputs_are_clear_errors(tmp_path: Path, video: Path) -> None:
    with pytest.raises(ImageReadError, match="no such video"):
        open_video(tmp_path / "missing.mp4")
    (tmp_path / "text.mp4").write_text("hello, not a video")
    with pytest.raises(ImageReadError, match="not a"):
        open_video(tmp_path / "text.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises((ImageReadError, DataError)):
        open_video(tmp_path / "empty.mp4")
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(DataError, match="no frames"):
        open_video(tmp_path / "empty_dir")
    with pytest.raises(ParameterError, match="backend"):
        open_video(video, backend="gstreamer")


def test_a_truncated_file_reads_what_is_there(tmp_path: Path, video: Path) -> None:
    if video.suffix != ".mkv":
        pytest.skip("one container is enough")
    data = video.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) // 2])
    with open_video(cut) as r:
        n = len(r)
        assert 0 < n < 48
        got = []
        for i in range(n):
            try:
                got.append(r.read(i))
            except DataError:  # a damaged last frame is a clear error, not a crash
                break
    assert len(got) >= n - 2


def test_avi_with_packed_b_frames_reads_in_display_order(shared_data):
    """MPEG-4 part 2 in AVI with packed B-frames: the decoder labels frames 1, 2, 4, 3, ...;
    oculi counts decoded frames instead (as OpenCV does) and gets every frame, equal to
    OpenCV's, sequentially and by random access."""
    import cv2

    from oculi.video import open_video

    path = shared_data / "action_arms" / "PS7A1P1T1.avi"
    if not path.exists():
        pytest.skip("action_arms absent")
    cap = cv2.VideoCapture(str(path))
    ref = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        ref.append(f[:, :, ::-1])
    with open_video(path) as v:
        frames = list(v)
        assert len(frames) == len(v) == len(ref)
        assert all(np.array_equal(a, b) for a, b in zip(frames, ref, strict=True))
        for i in (7, 3, 40, 41, 2):
            assert np.array_equal(v.read(i), ref[i])


def test_not_a_video_is_one_clear_error_without_ffmpeg_noise(tmp_path):
    """A text file named .png made FFmpeg (inside OpenCV) print its own lines, and PyAV took it
    for a one-frame 0x0 video; a truncated PNG made PyAV's rewind fail with a bare
    'Operation not permitted'. Each is now an oculi error naming the file."""
    import subprocess
    import sys

    (tmp_path / "text.png").write_text("not an image at all\n")
    code = ("import sys\nfrom oculi.video import open_video\n"
            "try:\n    open_video(sys.argv[1])\nexcept Exception as e:\n"
            "    print(type(e).__name__, e)\n")
    res = subprocess.run([sys.executable, "-c", code, str(tmp_path / "text.png")],
                         capture_output=True, text=True, timeout=120)
    assert "text.png" in res.stdout and "Error" in res.stdout
    assert "[png @" not in res.stderr


def test_truncated_image_file_opens_without_a_bare_os_error(tmp_path):
    import cv2

    cv2.imwrite(str(tmp_path / "g.png"), (np.arange(64 * 64 * 3) % 251).reshape(64, 64, 3)
                .astype(np.uint8))
    raw = (tmp_path / "g.png").read_bytes()
    (tmp_path / "t.png").write_bytes(raw[: len(raw) // 3])
    with pytest.raises((DataError, ImageReadError), match=r"t\.png"):
        open_video(tmp_path / "t.png")
