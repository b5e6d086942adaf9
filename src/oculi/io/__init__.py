"""Image and DICOM input/output. Arrays are RGB (or gray) at this edge; BGR stays inside.
Video lives in :mod:`oculi.video` (its old names here still work, deprecated)."""

from oculi.core.deprecation import moved_names
from oculi.io.dicom import DicomImage, read_dicom
from oculi.io.image import (
    DEFAULT_MAX_PIXELS,
    decode_image,
    encode_image,
    read_image,
    set_max_pixels,
    write_image,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DicomImage",
    "decode_image",
    "encode_image",
    "read_dicom",
    "read_image",
    "set_max_pixels",
    "write_image",
]

#: names that moved to :mod:`oculi.video` (deprecated here)
__getattr__ = moved_names(__name__, dict.fromkeys(
    ("VideoWriter", "iter_video_frames", "video_info"), "oculi.video"))
