"""Middlebury ``.flo`` files: read and write dense flow fields.

Format (Baker et al., IJCV 2011): the float32 tag 202021.25 (the bytes ``PIEH``), int32 width,
int32 height, then ``width*height`` interleaved ``(u, v)`` float32 pairs, row-major,
little-endian. Components with a magnitude above 1e9 mean "unknown".

    >>> import numpy as np, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "f.flo"
    >>> flow = np.zeros((2, 3, 2), np.float32); flow[0, 0] = (1.5, -2.0)
    >>> _ = write_flo(path, flow)
    >>> read_flo(path)[0, 0].tolist()
    [1.5, -2.0]
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from oculi.core.atomic import atomic_path
from oculi.core.errors import DataError, ImageReadError
from oculi.flow._base import check_flow

#: The magic number that starts every .flo file.
FLO_TAG = 202021.25
#: Flow components whose magnitude exceeds this are "unknown" in Middlebury ground truth.
UNKNOWN_THRESHOLD = 1e9
_MAX_SIDE = 1 << 16


def read_flo(path: str | os.PathLike[str], *, unknown: str = "nan") -> np.ndarray:
    """Read a Middlebury ``.flo`` file.

    Args:
        path: the file.
        unknown: what to do with unknown components (magnitude > 1e9): ``"nan"`` replaces both
            components of such a pixel with NaN, ``"keep"`` leaves the stored values.

    Returns:
        HxWx2 float32 flow ``(u, v)`` in pixels.

    Raises:
        ImageReadError: the file is missing or unreadable.
        DataError: wrong tag, an impossible size, or a truncated or over-long payload.
    """
    p = Path(path)
    if not p.is_file():
        raise ImageReadError(f"{p}: no such file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ImageReadError(f"{p}: cannot read: {exc.strerror or exc}") from exc
    if len(data) < 12:
        raise DataError(f"{p}: not a .flo file: {len(data)} bytes, shorter than the 12-byte header")
    tag = float(np.frombuffer(data, "<f4", 1, 0)[0])
    if tag != FLO_TAG:
        raise DataError(
            f"{p}: not a .flo file: header tag {tag!r} (bytes {data[:4]!r}), expected 202021.25 "
            "(b'PIEH')"
        )
    width, height = (int(x) for x in np.frombuffer(data, "<i4", 2, 4))
    if not (0 < width < _MAX_SIDE and 0 < height < _MAX_SIDE):
        raise DataError(f"{p}: malformed .flo header: size {width}x{height}")
    expected = 12 + 8 * width * height
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "has trailing data"
        raise DataError(
            f"{p}: .flo file {what}: {len(data)} bytes, expected {expected} for {width}x{height}"
        )
    flow = np.frombuffer(data, "<f4", 2 * width * height, 12).reshape(height, width, 2)
    flow = flow.astype(np.float32)
    if unknown == "nan":
        bad = ~(np.abs(flow) <= UNKNOWN_THRESHOLD).all(axis=2)
        flow[bad] = np.nan
    elif unknown != "keep":
        from oculi.core.checks import check_choice

        check_choice(unknown, ("nan", "keep"), "unknown")
    return flow


def write_flo(path: str | os.PathLike[str], flow: np.ndarray) -> Path:
    """Write ``flow`` (HxWx2 float, pixels) as a ``.flo`` file, atomically.

    NaN components (unknown flow) are stored as 1e10, which readers treat as unknown.

    Returns:
        The path written.

    Raises:
        ShapeError: ``flow`` is not HxWx2.
    """
    f = check_flow(flow)
    h, w = f.shape[:2]
    payload = np.where(np.isfinite(f), f, np.float32(1e10)).astype("<f4")
    header = np.array([FLO_TAG], "<f4").tobytes() + np.array([w, h], "<i4").tobytes()
    with atomic_path(path) as tmp:
        tmp.write_bytes(header + payload.tobytes())
    return Path(path)


def known_mask(flow: np.ndarray) -> np.ndarray:
    """HxW bool: pixels whose two components are finite and at most 1e9 in magnitude."""
    f = check_flow(flow)
    with np.errstate(invalid="ignore"):
        return (np.abs(f) <= UNKNOWN_THRESHOLD).all(axis=2)
