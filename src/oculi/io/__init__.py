"""Image, DICOM and PLY point-cloud input/output. Arrays are RGB (or gray) at this edge; BGR
stays inside. Video lives in :mod:`oculi.video` (its old names here still work, deprecated)."""

from oculi.core.deprecation import moved_names
from oculi.io._format import IMAGE_SUFFIXES
from oculi.io.dicom import DicomImage, read_dicom
from oculi.io.image import (
    DEFAULT_MAX_PIXELS,
    decode_image,
    encode_image,
    output_format,
    read_image,
    set_max_pixels,
    write_image,
)
from oculi.io.ply import PointCloud, read_ply, write_ply

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_SUFFIXES",
    "DicomImage",
    "PointCloud",
    "decode_image",
    "encode_image",
    "output_format",
    "read_dicom",
    "read_image",
    "read_ply",
    "set_max_pixels",
    "write_image",
    "write_ply",
]

#: names that moved to :mod:`oculi.video` (deprecated here)
__getattr__ = moved_names(__name__, dict.fromkeys(
    ("VideoWriter", "iter_video_frames", "video_info"), "oculi.video"))
