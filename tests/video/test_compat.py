import numpy as np
import pytest

from oculi.core.errors import ImageReadError, ShapeError
from oculi.video import VideoWriter, iter_video_frames, video_info


def test_video_round_trip(tmp_path):
    frames = []
    for i in range(12):
        f = np.zeros((64, 96, 3), np.uint8)
        f[:, :, 0] = 20 * i  # red ramps up over time
        f[10:30, 5 + 4 * i : 25 + 4 * i] = 255
        frames.append(f)
    path = tmp_path / "v.avi"
    with VideoWriter(path, fps=10) as vw:
        for f in frames:
            vw.write(f)
    info = video_info(path)
    assert info["frames"] == 12 and info["width"] == 96 and info["height"] == 64
    back = list(iter_video_frames(path))
    assert len(back) == 12
    # colour order survives (RGB in, RGB out): red channel dominates late frames
    assert back[-1][40:, :, 0].mean() > 150 and back[-1][40:, :, 2].mean() < 40
    assert np.abs(back[5].astype(int) - frames[5]).mean() < 10
    assert len(list(iter_video_frames(path, step=3))) == 4


def test_video_errors(tmp_path):
    with pytest.raises(ImageReadError, match="no such video file"):
        list(iter_video_frames(tmp_path / "none.mp4"))
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video" * 10)
    with pytest.raises(ImageReadError):
        list(iter_video_frames(bad))
    vw = VideoWriter(tmp_path / "o.avi")
    vw.write(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ShapeError):
        vw.write(np.zeros((9, 8, 3), np.uint8))
    vw.close()
    # an exception inside the block leaves no file behind
    with pytest.raises(RuntimeError), VideoWriter(tmp_path / "x.avi") as vw2:
        vw2.write(np.zeros((8, 8, 3), np.uint8))
        raise RuntimeError
    assert not (tmp_path / "x.avi").exists()


def test_the_old_io_names_still_work_with_a_warning():
    import oculi.io
    import oculi.video

    with pytest.warns(DeprecationWarning, match="moved to oculi.video"):
        assert oculi.io.VideoWriter is oculi.video.VideoWriter
