"""A minimal JPEG EXIF reader: just the orientation tag, without decoding anything else.

Pillow's ``Image.open`` would do, but costs more than decoding a small thumbnail; this walks the
JPEG markers up to the first APP1 "Exif" segment and reads tag 0x0112 from IFD0.
"""

from __future__ import annotations

import struct

_SOS = 0xDA


def jpeg_orientation(data: bytes) -> int:
    """EXIF orientation (1..8) of a JPEG byte string; 1 when absent or malformed.

        >>> jpeg_orientation(b"\\xff\\xd8\\xff\\xd9")
        1
    """
    pos, n = 2, len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            return 1
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == _SOS or 0xD0 <= marker <= 0xD9:
            return 1
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker == 0xE1 and data[pos + 4 : pos + 10] == b"Exif\x00\x00":
            return _tiff_orientation(data[pos + 10 : pos + 2 + length])
        pos += 2 + length
    return 1


def _tiff_orientation(tiff: bytes) -> int:
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return 1
    end = "<" if tiff[:2] == b"II" else ">"
    try:
        (ifd,) = struct.unpack(end + "I", tiff[4:8])
        (count,) = struct.unpack(end + "H", tiff[ifd : ifd + 2])
        for i in range(count):
            entry = tiff[ifd + 2 + 12 * i : ifd + 14 + 12 * i]
            tag, typ, _num = struct.unpack(end + "HHI", entry[:8])
            if tag == 0x0112 and typ == 3:
                (value,) = struct.unpack(end + "H", entry[8:10])
                return value if 1 <= value <= 8 else 1
    except struct.error:
        return 1
    return 1
