"""Video: frame-accurate reading of video files (PyAV, OpenCV as the fallback) and folders of
frames behind one reader, H.264 writing, clips, contact sheets and frame extraction.

    >>> from oculi.video import CODECS
    >>> CODECS[".mp4"]
    ('libx264', 'yuv420p')

Frames are HxWx3 uint8 RGB numpy arrays (docs/conventions.md). ``import oculi.video`` imports no
torch.
"""

from oculi.video.reader import (
    FRAME_SUFFIXES,
    FolderReader,
    OpenCVReader,
    PyAVReader,
    VideoInfo,
    VideoReader,
    iter_video_frames,
    open_video,
    read_frames,
    video_info,
)
from oculi.video.sheet import contact_sheet, extract_frames, sample_indices
from oculi.video.writer import CODECS, VideoWriter, write_video

__all__ = [
    "CODECS",
    "FRAME_SUFFIXES",
    "FolderReader",
    "OpenCVReader",
    "PyAVReader",
    "VideoInfo",
    "VideoReader",
    "VideoWriter",
    "contact_sheet",
    "extract_frames",
    "iter_video_frames",
    "open_video",
    "read_frames",
    "sample_indices",
    "video_info",
    "write_video",
]
