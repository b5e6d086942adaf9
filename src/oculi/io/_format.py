"""Sniffing image formats from their first bytes (never from the file name)."""

from __future__ import annotations

_MAGIC: list[tuple[bytes, int, str]] = [
    (b"\xff\xd8\xff", 0, "jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "png"),
    (b"II*\x00", 0, "tiff"),
    (b"MM\x00*", 0, "tiff"),
    (b"II+\x00", 0, "tiff"),  # BigTIFF
    (b"MM\x00+", 0, "tiff"),
    (b"BM", 0, "bmp"),
    (b"GIF87a", 0, "gif"),
    (b"GIF89a", 0, "gif"),
]


def sniff_format(head: bytes) -> str | None:
    """The image format of data starting with ``head`` (at least 16 bytes), or ``None``.

    Returns one of ``jpeg png tiff bmp gif webp pnm``.

        >>> sniff_format(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8))
        'png'
        >>> sniff_format(b"hello world, not an image") is None
        True
    """
    for magic, offset, name in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if len(head) >= 3 and head[0:1] == b"P" and head[1:2] in b"123456" and head[2:3].isspace():
        return "pnm"
    return None


EXTENSIONS = {
    "jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "png": (".png",),
    "tiff": (".tif", ".tiff"),
    "bmp": (".bmp",),
    "webp": (".webp",),
    "pnm": (".ppm", ".pgm", ".pbm", ".pnm"),
    "gif": (".gif",),
}


def format_from_suffix(suffix: str) -> str | None:
    """The format written for a file name suffix such as ``.JPG`` (``None`` if unknown)."""
    s = suffix.lower()
    for fmt, exts in EXTENSIONS.items():
        if s in exts:
            return fmt
    return None


def header_size(fmt: str, data: bytes) -> tuple[int, int] | None:
    """(height, width) read from a PNG, BMP, GIF or PNM header without decoding; else ``None``.

        >>> header_size("pnm", b"P5\\n3 2\\n255\\n")
        (2, 3)
        >>> header_size("png", b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8)) is None
        True
    """
    import re
    import struct

    try:
        if fmt == "png" and data[12:16] == b"IHDR":
            w, h = struct.unpack(">II", data[16:24])
            return h, w
        if fmt == "bmp" and len(data) >= 26:
            w, h = struct.unpack("<ii", data[18:26])
            return abs(h), w
        if fmt == "gif" and len(data) >= 10:
            w, h = struct.unpack("<HH", data[6:10])
            return h, w
        if fmt == "pnm":
            text = re.sub(rb"#[^\n]*", b" ", data[:256])
            fields = text.split()
            if len(fields) >= 3:
                return int(fields[2]), int(fields[1])
    except (struct.error, ValueError):
        return None
    return None
