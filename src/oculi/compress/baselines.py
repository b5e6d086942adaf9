"""The classic codecs the learned ones are measured against: JPEG, WebP and AVIF (through
Pillow; AVIF only where Pillow was built with it), each at a chosen quality or at the quality
whose bit rate is closest to a target (a binary search on the integer quality setting).

    data = encode("jpeg", image, 50)                 # bytes
    image2 = decode(data)                            # HxWx3 uint8
    point = at_bpp("webp", image, 0.5)               # MatchedPoint: quality, bpp, data, image

Bits per pixel count every byte of the file (headers included) over H·W pixels.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from oculi.core.checks import check_choice
from oculi.core.convert import ensure_uint8, to_rgb
from oculi.core.errors import DataError, ParameterError

#: Pillow format and quality range of each classic codec
_FORMATS = {"jpeg": ("JPEG", 1, 95), "webp": ("WEBP", 0, 100), "avif": ("AVIF", 0, 100)}


def available() -> list[str]:
    """The classic codecs this Pillow can write (``jpeg`` and ``webp`` always, ``avif`` when
    ``PIL.features.check("avif")``)."""
    from PIL import features

    return [c for c in _FORMATS if c == "jpeg" or features.check(c)]


def _rgb(image: np.ndarray) -> np.ndarray:
    """HxW / HxWx1|3|4, uint8 or float [0, 1] -> HxWx3 uint8 RGB (alpha dropped)."""
    return ensure_uint8(to_rgb(image))


def quality_range(codec: str) -> tuple[int, int]:
    """The lowest and highest quality setting of ``codec``."""
    check_choice(codec, tuple(_FORMATS), "codec")
    return _FORMATS[codec][1:]


def encode(codec: str, image: np.ndarray, quality: int) -> bytes:
    """``image`` (HxW[x3], uint8 or float [0, 1]) compressed by ``codec`` at ``quality``
    (JPEG: baseline with 4:2:0 chroma, Pillow's default; WebP and AVIF: lossy)."""
    from PIL import Image

    check_choice(codec, tuple(_FORMATS), "codec")
    if codec not in available():
        raise ParameterError(f"codec: this Pillow has no {codec} encoder; use one of "
                             f"{', '.join(available())}")
    fmt, lo, hi = _FORMATS[codec]
    try:
        ok = not isinstance(quality, bool) and float(quality).is_integer() and (
            lo <= quality <= hi)
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ParameterError(f"quality: expected {lo}..{hi} for {codec}, got {quality!r}")
    buf = io.BytesIO()
    Image.fromarray(_rgb(image)).save(buf, fmt, quality=int(quality))
    return buf.getvalue()


def decode(data: bytes) -> np.ndarray:
    """Decode JPEG/WebP/AVIF bytes to HxWx3 uint8 RGB.

    Raises:
        DataError: bytes Pillow cannot read.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert("RGB")).copy()
    except (UnidentifiedImageError, OSError) as exc:
        raise DataError(f"compressed image: cannot be decoded ({exc})") from exc


@dataclass
class MatchedPoint:
    """One codec's result at a target rate.

    Attributes:
        codec: the codec name.
        quality: the quality setting chosen.
        bpp: bits per pixel of the file.
        data: the file's bytes.
        image: the decoded HxWx3 uint8 image.
    """

    codec: str
    quality: int
    bpp: float
    data: bytes
    image: np.ndarray


def at_bpp(codec: str, image: np.ndarray, target_bpp: float) -> MatchedPoint:
    """The quality setting of ``codec`` whose file is closest to ``target_bpp`` bits per pixel
    (binary search over the integer qualities: the bit rate grows with the quality).

    Raises:
        ParameterError: a target that is not a positive number.
    """
    if isinstance(target_bpp, bool) or not isinstance(target_bpp, (int, float)) or not (
            np.isfinite(target_bpp) and target_bpp > 0):
        raise ParameterError(f"target_bpp: expected a positive number, got {target_bpp!r}")
    rgb = _rgb(image)
    pixels = rgb.shape[0] * rgb.shape[1]
    lo, hi = quality_range(codec)
    cache: dict[int, bytes] = {}

    def bpp(q: int) -> float:
        if q not in cache:
            cache[q] = encode(codec, rgb, q)
        return 8.0 * len(cache[q]) / pixels

    a, b = lo, hi
    while b - a > 1:  # invariant: the answer lies in [a, b]
        mid = (a + b) // 2
        if bpp(mid) <= target_bpp:
            a = mid
        else:
            b = mid
    q = min((a, b), key=lambda v: abs(bpp(v) - target_bpp))
    return MatchedPoint(codec, q, bpp(q), cache[q], decode(cache[q]))
