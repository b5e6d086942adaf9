"""Sniffing image formats from their first bytes (never from the file name)."""

from __future__ import annotations

#: file-name suffixes (lower case) that folder searches take as images (the content decides
#: the format when a file is read; this only picks candidates out of a folder)
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif",
                            ".ppm", ".pgm"})

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


def declared_image(fmt: str, data: bytes) -> tuple[int, int, int, float | None] | None:
    """What a header promises, before any decoder allocates it: ``(height, width, raw_bytes,
    max_ratio)``, where ``raw_bytes`` is the least decoded size (bytes) the pixels take and
    ``max_ratio`` the most that format's coding can expand one stored byte (deflate 1032, LZW
    under 3641, PackBits 64, uncompressed 1, Huffman JPEG 512 pixels per byte; ``None`` when
    it is unbounded: WebP, GIF, arithmetic-coded JPEG, RLE BMP). A file shorter than
    ``raw_bytes / max_ratio`` cannot hold its image: it is truncated or lies about its size.

        >>> declared_image("pnm", b"P6\\n4000 3000\\n255\\n")
        (3000, 4000, 36000000, 1.0)
        >>> declared_image("png", b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8)) is None
        True
    """
    import struct

    parse = _PARSERS.get(fmt)
    if parse is None:
        return None
    try:
        return parse(data)
    except (struct.error, ValueError, IndexError, ZeroDivisionError):
        return None


def _png(data: bytes) -> tuple[int, int, int, float | None] | None:
    import struct

    if data[12:16] != b"IHDR":
        return None
    w, h, depth, colour = struct.unpack(">IIBB", data[16:26])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour, 1)
    return h, w, h * (1 + -(-w * channels * depth // 8)), 1032.0


def _bmp(data: bytes) -> tuple[int, int, int, float | None] | None:
    import struct

    if len(data) < 26:
        return None
    dib = struct.unpack("<I", data[14:18])[0]
    if dib == 12:  # OS/2 BITMAPCOREHEADER: 16-bit sizes
        w, h, _, bpp = struct.unpack("<HHHH", data[18:26])
        compression = 0
    else:
        w, h = struct.unpack("<ii", data[18:26])
        h = abs(h)
        bpp, compression = struct.unpack("<HI", data[28:34]) if len(data) >= 34 else (0, -1)
    if compression in (0, 3, 6) and bpp:  # stored rows, padded to 4 bytes
        return h, w, -(-w * bpp // 32) * 4 * h, 1.0
    return h, w, h * w // 8, None  # RLE, embedded JPEG/PNG: no bound from the data


def _gif(data: bytes) -> tuple[int, int, int, float | None] | None:
    import struct

    if len(data) < 10:
        return None
    w, h = struct.unpack("<HH", data[6:10])
    return h, w, h * w, None  # the screen may be far larger than its frames: no bound


def _pnm(data: bytes) -> tuple[int, int, int, float | None] | None:
    import re

    text = re.sub(rb"#[^\n]*", b" ", data[:512])
    fields = text.split()
    kind = fields[0][1:2]
    w, h = int(fields[1]), int(fields[2])
    if kind in (b"1", b"4"):  # bitmaps: a character or a bit per pixel
        return h, w, w * h if kind == b"1" else -(-w // 8) * h, 1.0
    sample = 2 if int(fields[3]) > 255 and kind in (b"5", b"6") else 1
    channels = 3 if kind in (b"3", b"6") else 1
    return h, w, w * h * channels * sample, 1.0  # plain text: >= 1 character per sample


_TIFF_RATIO = {1: 1.0, 5: 4096 * 8 / 9, 8: 1032.0, 32946: 1032.0, 32773: 64.0}


def _tiff(data: bytes) -> tuple[int, int, int, float | None] | None:
    import struct

    end = "<" if data[:2] == b"II" else ">"
    if struct.unpack(end + "H", data[2:4])[0] != 42:  # BigTIFF: left to the decoder
        return None
    ifd = struct.unpack(end + "I", data[4:8])[0]
    count = struct.unpack(end + "H", data[ifd:ifd + 2])[0]
    tags: dict[int, int] = {}
    for i in range(min(count, 512)):
        entry = data[ifd + 2 + 12 * i: ifd + 14 + 12 * i]
        tag, typ, n = struct.unpack(end + "HHI", entry[:8])
        code = {3: "H", 4: "I"}.get(typ)
        if code is None:
            continue
        size = struct.calcsize(code)
        if n * size <= 4:
            value = struct.unpack(end + code, entry[8:8 + size])[0]
        else:  # an array stored elsewhere: its first value
            at = struct.unpack(end + "I", entry[8:12])[0]
            value = struct.unpack(end + code, data[at:at + size])[0]
        tags[tag] = value
    if 256 not in tags or 257 not in tags:
        return None
    w, h = tags[256], tags[257]
    bits = tags.get(258, 1) * tags.get(277, 1)
    return h, w, -(-w * h * bits // 8), _TIFF_RATIO.get(tags.get(259, 1))


def _jpeg(data: bytes) -> tuple[int, int, int, float | None] | None:
    import struct

    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if 0xD0 <= marker <= 0xD9 or marker == 0x01:  # markers without a length
            pos += 2
            continue
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w, n = struct.unpack(">HHB", data[pos + 5:pos + 10])
            # Huffman coding spends >= 1 bit on each 8x8 block's DC: <= 512 pixels per byte
            arithmetic = marker >= 0xC9
            return h, w, h * w * n, None if arithmetic else 512.0 * n
        pos += 2 + length
    return None


def _webp(data: bytes) -> tuple[int, int, int, float | None] | None:
    import struct

    chunk = data[12:16]
    if chunk == b"VP8X":
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
    elif chunk == b"VP8L" and data[20] == 0x2F:
        bits = struct.unpack("<I", data[21:25])[0]
        w, h = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    elif chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        w, h = (v & 0x3FFF for v in struct.unpack("<HH", data[26:30]))
    else:
        return None
    return h, w, h * w * 3, None  # both codecs can code a flat image in almost nothing


_PARSERS = {"png": _png, "bmp": _bmp, "gif": _gif, "pnm": _pnm, "tiff": _tiff, "jpeg": _jpeg,
            "webp": _webp}
