"""PLY point clouds: ``x y z`` float32 vertices with optional ``red green blue`` uchar colours.

One writer and one reader for every topic (stereo depth maps, SfM models). The writer writes
binary little-endian (default) or ASCII PLY, atomically; camera centres may ride along as extra
vertices, marked in the header (``comment oculi camera_vertices C``) so that :func:`read_ply`
hands them back apart while other tools (MeshLab, CloudCompare, Open3D) show them as red points.

    >>> import numpy as np, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "cloud.ply"
    >>> pts = np.array([[0.0, 0.0, 1.0], [1.0, 2.0, 3.0]])
    >>> _ = write_ply(path, pts, np.array([[255, 0, 0], [0, 255, 0]], np.uint8),
    ...               cameras=np.zeros((1, 3)))
    >>> cloud = read_ply(path)
    >>> cloud.points.tolist(), cloud.colors[1].tolist(), cloud.cameras.shape
    ([[0.0, 0.0, 1.0], [1.0, 2.0, 3.0]], [0, 255, 0], (1, 3))
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from oculi.core.atomic import atomic_path
from oculi.core.errors import DataError, ShapeError

#: PLY scalar type names -> numpy type codes (without byte order)
_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1",
    "short": "i2", "int16": "i2", "ushort": "u2", "uint16": "u2",
    "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}
_ORDER = {"binary_little_endian": "<", "binary_big_endian": ">", "ascii": "ascii"}
_CAMERA_TAG = "oculi camera_vertices"
#: colour of camera-centre vertices, and of points written without colours beside cameras
CAMERA_COLOR = (255, 0, 0)
POINT_COLOR = (200, 200, 200)


class PointCloud(NamedTuple):
    """What :func:`read_ply` returns.

    Attributes:
        points: ``(N, 3)`` float64 ``x, y, z``.
        colors: ``(N, 3)`` uint8 RGB, or None when the file has no ``red green blue``.
        cameras: ``(C, 3)`` float64 camera centres written by :func:`write_ply` (``(0, 3)``
            when none).
    """

    points: np.ndarray
    colors: np.ndarray | None
    cameras: np.ndarray


def _as_rows(a: Any, name: str, rows: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim not in (2, 3) or arr.shape[-1] != 3:
        raise ShapeError(f"{name}: expected {rows}, got shape {arr.shape}")
    return arr.reshape(-1, 3)


def write_ply(
    path: str | Path,
    points: Any,
    colors: Any = None,
    *,
    cameras: Any = None,
    binary: bool = True,
) -> Path:
    """Write a point cloud as PLY, atomically (the file gets the user's umask).

    Args:
        path: output ``.ply`` path (folders are created).
        points: ``(N, 3)`` or ``(H, W, 3)`` float points (an ``(H, W, 3)`` map is flattened);
            rows with a NaN or inf are skipped. Written as float32.
        colors: matching ``(N, 3)`` or ``(H, W, 3)`` uint8 RGB, optional.
        cameras: optional ``(C, 3)`` camera centres, written after the points as
            :data:`CAMERA_COLOR` vertices (points without ``colors`` are then
            :data:`POINT_COLOR`).
        binary: binary little-endian (default) or ASCII.

    Returns:
        The path written.

    Raises:
        ShapeError: ``points``, ``colors`` or ``cameras`` of the wrong shape.
    """
    pts = _as_rows(points, "points", "Nx3 or HxWx3").astype(np.float32)
    cols = None
    if colors is not None:
        cols = np.asarray(colors)
        if cols.shape[-1:] != (3,) or cols.size != pts.size:
            raise ShapeError(f"colors: expected {len(pts)} RGB rows, got shape {cols.shape}")
        cols = np.clip(cols.reshape(-1, 3), 0, 255).astype(np.uint8)
    keep = np.isfinite(pts).all(axis=1)
    pts = pts[keep]
    cams = np.zeros((0, 3), np.float32)
    if cameras is not None and np.size(cameras):
        cams = np.asarray(cameras, dtype=np.float32)
        if cams.ndim != 2 or cams.shape[1] != 3:
            raise ShapeError(f"cameras: expected (C, 3) camera centres, got shape {cams.shape}")
    if cols is not None:
        cols = cols[keep]
    elif len(cams):
        cols = np.tile(np.uint8(POINT_COLOR), (len(pts), 1))
    if len(cams):
        pts = np.concatenate([pts, cams])
        cols = np.concatenate([cols, np.tile(np.uint8(CAMERA_COLOR), (len(cams), 1))])
    props = [("x", "<f4"), ("y", "<f4"), ("z", "<f4")]
    if cols is not None:
        props += [("red", "u1"), ("green", "u1"), ("blue", "u1")]
    rec = np.empty(len(pts), dtype=props)
    for i, axis in enumerate("xyz"):
        rec[axis] = pts[:, i]
    if cols is not None:
        for i, c in enumerate(("red", "green", "blue")):
            rec[c] = cols[:, i]
    header = ["ply", f"format {'binary_little_endian' if binary else 'ascii'} 1.0",
              "comment written by oculi"]
    if len(cams):
        header.append(f"comment {_CAMERA_TAG} {len(cams)}")
    names = {"<f4": "float", "u1": "uchar"}
    header += [f"element vertex {len(rec)}"]
    header += [f"property {names[t]} {n}" for n, t in props] + ["end_header", ""]
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write("\n".join(header).encode("ascii"))
        if binary:
            fh.write(rec.tobytes())
        elif len(pts):  # 9 significant digits give float32 back exactly
            table = pts.astype(np.float64) if cols is None else np.column_stack([pts, cols])
            np.savetxt(fh, table, fmt=["%.9g"] * 3 + ["%d"] * (len(props) - 3))
    return Path(path)


class _Header(NamedTuple):
    order: str  # "ascii" or "<" / ">"
    elements: list[tuple[str, int, list[tuple[str, str, str | None]]]]  # name, count, props
    cameras: int
    size: int  # bytes up to and including end_header's newline


def _parse_header(path: Path, data: bytes) -> _Header:
    end = data.find(b"end_header")
    if not data.startswith(b"ply") or end < 0:
        raise DataError(f"{path}: not a PLY file (no 'ply' magic or no 'end_header')")
    size = data.find(b"\n", end) + 1 or len(data)
    fmt, cameras = None, 0
    elements: list[tuple[str, int, list[tuple[str, str, str | None]]]] = []
    for no, line in enumerate(data[:size].decode("ascii", "replace").splitlines(), 1):
        tok = line.split()
        try:
            if not tok or tok[0] in ("ply", "end_header", "obj_info"):
                continue
            if tok[0] == "comment":
                if line.partition("comment ")[2].startswith(_CAMERA_TAG):
                    cameras = int(tok[-1])
            elif tok[0] == "format":
                fmt = _ORDER[tok[1]]
            elif tok[0] == "element":
                elements.append((tok[1], int(tok[2]), []))
            elif tok[0] == "property" and tok[1] == "list":
                elements[-1][2].append((tok[4], _TYPES[tok[3]], _TYPES[tok[2]]))
            elif tok[0] == "property":
                elements[-1][2].append((tok[2], _TYPES[tok[1]], None))
            else:
                raise ValueError
        except (KeyError, IndexError, ValueError) as err:
            raise DataError(f"{path}: header line {no} {line[:60]!r} is not valid PLY") from err
    if fmt is None:
        raise DataError(f"{path}: the PLY header has no 'format' line")
    return _Header(fmt, elements, cameras, size)


def _ascii_vertices(path: Path, data: bytes, head: _Header) -> np.ndarray:
    """ASCII PLY: one line per element item; the items before the vertices are skipped."""
    lines = data[head.size:].decode("ascii", "replace").splitlines()
    offset = 0
    for name, count, props in head.elements:
        if name != "vertex":
            offset += count
            continue
        rows = [ln.split() for ln in lines[offset:offset + count]]
        bad = next((i for i, r in enumerate(rows) if len(r) != len(props)), None)
        if len(rows) < count or bad is not None:
            first = data[:head.size].count(b"\n") + offset + 1  # file line of the first vertex
            line = first + (len(rows) if bad is None else bad)
            raise DataError(f"{path}: line {line}: expected {count} vertex lines of "
                            f"{len(props)} numbers")
        try:
            table = np.array(rows, dtype=np.float64).reshape(count, len(props))
        except ValueError as err:
            raise DataError(f"{path}: a vertex line is not numeric") from err
        out = np.empty(count, [(p[0], "<" + p[1]) for p in props])
        for i, p in enumerate(props):
            out[p[0]] = table[:, i]
        return out
    raise DataError(f"{path}: no 'element vertex' in the PLY header")


def _binary_vertices(path: Path, data: bytes, head: _Header) -> np.ndarray:
    """Binary PLY: fixed-size records; elements before the vertices may not have lists."""
    offset = head.size
    for name, count, props in head.elements:
        if any(p[2] for p in props):
            raise DataError(f"{path}: element {name!r} has list properties before or in the "
                            "vertices (not supported in binary PLY)")
        dtype = np.dtype([(p[0], head.order + p[1]) for p in props])
        if name == "vertex":
            if len(data) < offset + count * dtype.itemsize:
                raise DataError(f"{path}: truncated: {count} vertices need "
                                f"{offset + count * dtype.itemsize} bytes, the file has "
                                f"{len(data)}")
            return np.frombuffer(data, dtype, count, offset)
        offset += count * dtype.itemsize
    raise DataError(f"{path}: no 'element vertex' in the PLY header")


def _colors(table: np.ndarray) -> np.ndarray | None:
    names = table.dtype.names or ()
    if not {"red", "green", "blue"} <= set(names):
        return None
    rgb = np.stack([table[c].astype(np.float64) for c in ("red", "green", "blue")], axis=1)
    if table.dtype["red"].kind == "f":  # float colours are in [0, 1]
        rgb = rgb * 255.0
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8)


def read_ply(path: str | Path) -> PointCloud:
    """Read the vertices of a PLY file (ASCII, binary little- or big-endian).

    Any scalar vertex properties are accepted; ``x y z`` are required, ``red green blue``
    optional (integer 0..255, or float in [0, 1]). Faces and other elements are ignored.

    Returns:
        A :class:`PointCloud`; the camera-centre vertices that :func:`write_ply` marked are
        returned in ``cameras`` and left out of ``points`` / ``colors``.

    Raises:
        DataError: the file is missing, not PLY, truncated, or has no ``x y z``.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise DataError(f"{path}: cannot read the PLY file ({err.strerror})") from err
    head = _parse_header(path, data)
    table = (_ascii_vertices if head.order == "ascii" else _binary_vertices)(path, data, head)
    if not {"x", "y", "z"} <= set(table.dtype.names or ()):
        raise DataError(f"{path}: vertices have no x, y, z properties "
                        f"(found {list(table.dtype.names or ())})")
    xyz = np.stack([table[a].astype(np.float64) for a in "xyz"], axis=1)
    cols = _colors(table)
    n = len(xyz) - min(head.cameras, len(xyz))
    return PointCloud(xyz[:n], None if cols is None else cols[:n], xyz[n:])
