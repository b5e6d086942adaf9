"""The ``.oculi`` file format: a small header, then the entropy-coded streams.

Layout (little-endian)::

    magic     4 bytes  b"OCUL"
    version   u8       1
    model     u8       0 factorized, 1 hyperprior
    quality   u8       the run's quality level (0: unknown)
    streams   u8       number of streams S
    model_id  u32      CRC-32 of the codec's weights (a file decodes only with its own model)
    height    u32      image height in pixels
    width     u32      image width in pixels
    lengths   S x u32  byte length of each stream
    checksum  u32      CRC-32 of every byte before it and of the streams
    streams   the S streams, one after the other

A file that is too short, has another magic, version or model, stream lengths that do not add
up, or a checksum that does not match raises :class:`~oculi.core.errors.DataError` naming the
file and the reason.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from oculi.core.errors import DataError

MAGIC = b"OCUL"
VERSION = 1
#: model kinds by their byte in the header
KINDS = ("factorized", "hyperprior")
_FIXED = struct.Struct("<4sBBBBIII")


@dataclass(frozen=True)
class Header:
    """What a ``.oculi`` header says (see the module doc)."""

    kind: str
    quality: int
    model_id: int
    height: int
    width: int


def pack(header: Header, streams: list[bytes]) -> bytes:
    """The bytes of a ``.oculi`` file."""
    if header.kind not in KINDS:
        raise DataError(f"model kind {header.kind!r}: not one of {', '.join(KINDS)}")
    head = _FIXED.pack(MAGIC, VERSION, KINDS.index(header.kind), header.quality, len(streams),
                       header.model_id, header.height, header.width)
    head += struct.pack(f"<{len(streams)}I", *map(len, streams))
    crc = zlib.crc32(b"".join(streams), zlib.crc32(head))
    return head + struct.pack("<I", crc) + b"".join(streams)


def unpack(data: bytes, name: str = "file") -> tuple[Header, list[bytes]]:
    """Parse and check a ``.oculi`` file: ``(header, streams)``.

    Raises:
        DataError: not an .oculi file, an unsupported version, truncated, extra bytes, or a
            checksum mismatch (corrupted).
    """
    if len(data) < len(MAGIC) and MAGIC.startswith(bytes(data)):
        raise DataError(f"{name}: truncated .oculi file ({len(data)} bytes)")
    if data[:4] != MAGIC:
        raise DataError(f"{name}: not an .oculi file (no OCUL magic at the start)")
    if len(data) < _FIXED.size:
        raise DataError(f"{name}: truncated .oculi file ({len(data)} bytes, the header alone "
                        f"has {_FIXED.size})")
    _, version, kind, quality, count, model_id, height, width = _FIXED.unpack_from(data)
    if version != VERSION:
        raise DataError(f"{name}: .oculi format version {version}; this oculi reads version "
                        f"{VERSION}")
    if kind >= len(KINDS) or count == 0 or height == 0 or width == 0:
        raise DataError(f"{name}: corrupted .oculi header (model {kind}, {count} streams, "
                        f"{width}x{height} pixels)")
    end = _FIXED.size + 4 * count
    if len(data) < end + 4:
        raise DataError(f"{name}: truncated .oculi file (the header ends early)")
    lengths = struct.unpack_from(f"<{count}I", data, _FIXED.size)
    (crc,) = struct.unpack_from("<I", data, end)
    body = data[end + 4:]
    if len(body) < sum(lengths):
        raise DataError(f"{name}: truncated .oculi file ({len(body)} of {sum(lengths)} stream "
                        "bytes)")
    if len(body) > sum(lengths):
        raise DataError(f"{name}: {len(body) - sum(lengths)} unexpected bytes after the streams")
    if zlib.crc32(body, zlib.crc32(data[:end])) != crc:
        raise DataError(f"{name}: corrupted .oculi file (checksum mismatch)")
    streams, at = [], 0
    for n in lengths:
        streams.append(bytes(body[at:at + n]))
        at += n
    return Header(KINDS[kind], quality, model_id, height, width), streams
