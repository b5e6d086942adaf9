"""Image, video and DICOM input/output. Arrays are RGB (or gray) at this edge; BGR stays inside."""

from oculi.io.dicom import DicomImage, read_dicom
from oculi.io.image import (
    DEFAULT_MAX_PIXELS,
    decode_image,
    encode_image,
    read_image,
    set_max_pixels,
    write_image,
)
from oculi.io.video import VideoWriter, iter_video_frames, video_info

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DicomImage",
    "VideoWriter",
    "decode_image",
    "encode_image",
    "iter_video_frames",
    "read_dicom",
    "read_image",
    "set_max_pixels",
    "video_info",
    "write_image",
]
