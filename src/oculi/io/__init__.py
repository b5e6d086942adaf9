"""Image and DICOM input/output. Arrays are RGB (or gray) at this edge; BGR stays inside.
Video lives in :mod:`oculi.video` (its old names here still work, deprecated)."""

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
_MOVED = {"VideoWriter", "iter_video_frames", "video_info"}


def __getattr__(name: str):
    if name in _MOVED:
        import importlib
        import warnings

        warnings.warn(f"oculi.io.{name} moved to oculi.video.{name}", DeprecationWarning,
                      stacklevel=2)
        return getattr(importlib.import_module("oculi.video"), name)
    raise AttributeError(f"module 'oculi.io' has no attribute {name!r}")
