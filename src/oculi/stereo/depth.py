"""Disparity -> depth -> 3-D points, PLY writing and colourised disparity images.

Camera frame: x right, y down, z forward (metres if the baseline is in metres). A left pixel
``(u, v)`` with disparity ``d`` lies at depth ``z = f * B / d`` and at
``x = (u - cx) * z / f``, ``y = (v - cy) * z / f`` (OpenCV's ``reprojectImageTo3D`` with
``Q`` from :func:`disparity_to_depth_matrix` gives the same points).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from oculi.core.checks import check_positive
from oculi.core.errors import ShapeError


def _check_map(a: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 2:
        raise ShapeError(f"{name}: expected an HxW map, got shape {a.shape}")
    return a.astype(np.float32, copy=False)


def disparity_to_depth(disparity: np.ndarray, focal: float, baseline: float,
                       *, min_disparity: float = 1e-6) -> np.ndarray:
    """Depth ``f * B / d`` of an HxW disparity map.

    Args:
        disparity: HxW float disparity in pixels; NaN or values <= ``min_disparity`` invalid.
        focal: focal length in pixels.
        baseline: distance between the camera centres (its unit is the depth's unit).
        min_disparity: disparities at or below this are invalid (infinite depth).

    Returns:
        HxW float32 depth, NaN where invalid.
    """
    d = _check_map(disparity, "disparity")
    check_positive(focal, "focal")
    check_positive(baseline, "baseline")
    out = np.full(d.shape, np.nan, np.float32)
    ok = np.isfinite(d) & (d > min_disparity)
    out[ok] = np.float32(focal * baseline) / d[ok]
    return out


def disparity_to_depth_matrix(focal: float, baseline: float, cx: float, cy: float) -> np.ndarray:
    """OpenCV's 4x4 ``Q`` for a rectified pair with equal principal points (float64)."""
    return np.array([[1, 0, 0, -cx], [0, 1, 0, -cy], [0, 0, 0, focal], [0, 0, 1 / baseline, 0]],
                    dtype=np.float64)


def depth_to_points(depth: np.ndarray, fx: float, fy: float | None = None,
                    cx: float | None = None, cy: float | None = None) -> np.ndarray:
    """Back-project an HxW depth map to an HxWx3 float32 map of camera-frame points.

    Args:
        depth: HxW depth (metres or the baseline's unit); NaN or <= 0 invalid.
        fx, fy: focal lengths in pixels (``fy`` defaults to ``fx``).
        cx, cy: principal point in pixels (defaults: the image centre ``(W-1)/2, (H-1)/2``).

    Returns:
        HxWx3 float32 ``(x, y, z)``; NaN at invalid pixels.
    """
    z = _check_map(depth, "depth").copy()
    h, w = z.shape
    fy = fx if fy is None else fy
    cx = (w - 1) / 2 if cx is None else cx
    cy = (h - 1) / 2 if cy is None else cy
    check_positive(fx, "fx")
    check_positive(fy, "fy")
    z[~(np.isfinite(z) & (z > 0))] = np.nan
    u = np.arange(w, dtype=np.float32)[None, :]
    v = np.arange(h, dtype=np.float32)[:, None]
    x = (u - np.float32(cx)) * z / np.float32(fx)
    y = (v - np.float32(cy)) * z / np.float32(fy)
    return np.stack([x, y, z], axis=-1).astype(np.float32)


def disparity_to_points(disparity: np.ndarray, focal: float, baseline: float,
                        cx: float | None = None, cy: float | None = None) -> np.ndarray:
    """HxWx3 float32 camera-frame points of a disparity map (NaN where invalid)."""
    return depth_to_points(disparity_to_depth(disparity, focal, baseline), focal, focal, cx, cy)


def write_ply(path: str | Path, points: np.ndarray, colors: np.ndarray | None = None) -> Path:
    """Write points (and RGB colours) as a binary little-endian PLY file, atomically.

    Args:
        path: output ``.ply`` path.
        points: Nx3 or HxWx3 float points; rows with a NaN are skipped.
        colors: matching Nx3 or HxWx3 uint8 RGB, optional.

    Returns:
        The path written.
    """
    from oculi.core.atomic import atomic_path

    pts = np.asarray(points, dtype=np.float32)
    if pts.ndim not in (2, 3) or pts.shape[-1] != 3:
        raise ShapeError(f"points: expected Nx3 or HxWx3, got {pts.shape}")
    pts = pts.reshape(-1, 3)
    keep = np.isfinite(pts).all(axis=1)
    props = [("x", "<f4"), ("y", "<f4"), ("z", "<f4")]
    cols = None
    if colors is not None:
        cols = np.asarray(colors)
        if cols.shape[-1:] != (3,) or cols.size != pts.size:
            raise ShapeError(f"colors: expected {pts.shape[0]} RGB rows, got shape {cols.shape}")
        cols = cols.reshape(-1, 3)
        props += [("red", "u1"), ("green", "u1"), ("blue", "u1")]
    rec = np.empty(int(keep.sum()), dtype=props)
    for i, axis in enumerate("xyz"):
        rec[axis] = pts[keep, i]
    if cols is not None:
        for i, c in enumerate(("red", "green", "blue")):
            rec[c] = cols[keep, i].astype(np.uint8)
    names = {"<f4": "float", "u1": "uchar"}
    header = ["ply", "format binary_little_endian 1.0", f"element vertex {rec.size}"]
    header += [f"property {names[t]} {n}" for n, t in props] + ["end_header", ""]
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write("\n".join(header).encode("ascii"))
        fh.write(rec.tobytes())
    return Path(path)


def read_ply_points(path: str | Path) -> np.ndarray:
    """Read the x, y, z of a PLY written by :func:`write_ply` (Nx3 float32; for checks)."""
    data = Path(path).read_bytes()
    end = data.index(b"end_header\n") + len(b"end_header\n")
    header = data[:end].decode("ascii").split("\n")
    n = int(next(h for h in header if h.startswith("element vertex")).split()[-1])
    props = [h.split()[1:] for h in header if h.startswith("property")]
    dtype = [(name, "<f4" if kind == "float" else "u1") for kind, name in props]
    rec = np.frombuffer(data[end:], dtype=dtype, count=n)
    return np.stack([rec["x"], rec["y"], rec["z"]], axis=1)


def colorize_disparity(disparity: np.ndarray, max_disparity: float | None = None,
                       colormap: str = "turbo") -> np.ndarray:
    """HxWx3 uint8 RGB picture of a disparity map (near = warm); invalid pixels black.

    Args:
        disparity: HxW float disparity in pixels, NaN invalid.
        max_disparity: value mapped to the top of the colormap (default: the map's maximum).
        colormap: an OpenCV colormap name (``turbo``, ``jet``, ``inferno``, ``magma`` ...).
    """
    import cv2

    from oculi.core.checks import check_choice

    d = _check_map(disparity, "disparity")
    check_choice(colormap, ("turbo", "jet", "inferno", "magma", "viridis", "plasma"), "colormap")
    valid = np.isfinite(d)
    top = float(max_disparity) if max_disparity else (float(d[valid].max()) if valid.any()
                                                      else 1.0)
    scaled = np.zeros(d.shape, np.uint8)
    scaled[valid] = np.clip(d[valid] / max(top, 1e-6) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    cmap = getattr(cv2, f"COLORMAP_{colormap.upper()}")
    rgb = cv2.applyColorMap(scaled, cmap)[..., ::-1].copy()
    rgb[~valid] = 0
    return rgb


def disparity_to_png16(disparity: np.ndarray, scale: float = 256.0) -> np.ndarray:
    """HxW uint16 image of ``round(disparity * scale)`` (0 = invalid; KITTI uses 256)."""
    d = _check_map(disparity, "disparity")
    out = np.zeros(d.shape, np.uint16)
    ok = np.isfinite(d) & (d > 0)
    out[ok] = np.clip(np.round(d[ok] * scale), 1, 65535).astype(np.uint16)
    return out
