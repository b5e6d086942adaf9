"""An offline 3-D point-cloud viewer for reports, and a static picture of the same scene.

:func:`viewer_html` returns an HTML fragment: a ``<canvas>``, a few buttons and a small
hand-written script (no library, no network; it works from ``file://``). The points travel in
the page as base64 little-endian ``Float32`` (``x y z``) and ``Uint8`` (``r g b``) arrays inside
a ``<script type="application/json">`` block, relative to the scene's centre (``offset`` in
that block, so far-from-origin coordinates keep float32 precision); camera frusta as ``Float32``
``(C, 5, 3)`` (apex, then the image corners top-left, top-right, bottom-right, bottom-left).
The script draws each point as a small square with a z-buffer (nearest point wins) and the
frusta as red line pyramids. Mouse: drag to orbit, shift- or right-drag to pan, wheel to zoom;
buttons reset the view and change the point size. Every fragment has its own random id, so
several viewers can share a page.

:func:`plot_scene` draws the same scene with matplotlib (3-D or top view) for pages read
without JavaScript; :meth:`oculi.report.Section.scene3d` puts both in a report.

``points`` may be an ``(N, 3)`` array or a reconstruction (anything with ``points3d``,
``colors``, ``poses``, ``cameras`` and ``image_sizes``, such as
:class:`oculi.sfm.Reconstruction`): its colours and camera frusta are then used by default.

    >>> import numpy as np, json, base64
    >>> frag = viewer_html(np.random.default_rng(0).normal(size=(500, 3)), max_points=100)
    >>> data = json.loads(frag.split('type="application/json"')[1].split(">", 1)[1]
    ...                   .split("</script>")[0])
    >>> len(base64.b64decode(data["points"])) // 12, data["total"]
    (100, 500)
"""

from __future__ import annotations

import base64
import html
import json
import uuid
from typing import Any

import numpy as np

from oculi.core.checks import check_choice
from oculi.core.errors import ParameterError, ShapeError
from oculi.report._viewer3d_js import SCRIPT

#: points drawn without colours
DEFAULT_COLOR = (220, 220, 220)



def _xyz(a: Any, name: str) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.size == 0:
        return np.zeros((0, 3))
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ShapeError(f"{name}: expected (N, 3) points, got shape {arr.shape}")
    return arr


def camera_frusta(rec: Any, size: float | None = None) -> np.ndarray:
    """Frusta of a reconstruction's registered cameras, for drawing.

    Args:
        rec: a reconstruction: ``poses`` {image id: world-to-camera ``(R, t)``}, ``cameras``
            (with ``fx, fy, cx, cy``; distortion is ignored) and ``image_sizes`` ``(h, w)``.
        size: depth of each pyramid in world units (default: 5 % of the scene's extent).

    Returns:
        ``(C, 5, 3)`` float64 world points per registered image (sorted ids): the camera
        centre, then the image corners top-left, top-right, bottom-right, bottom-left.
    """
    ids = sorted(rec.poses)
    if not ids:
        return np.zeros((0, 5, 3))
    poses = [tuple(np.asarray(a, dtype=np.float64) for a in rec.poses[i]) for i in ids]
    centres = np.array([-r.T @ t.reshape(3) for r, t in poses])
    if size is None:
        pts = _xyz(rec.points3d, "rec.points3d")
        size = 0.05 * _extent(pts[np.isfinite(pts).all(axis=1)], centres[:, None])
    out = np.empty((len(ids), 5, 3))
    for k, (i, (r, _t)) in enumerate(zip(ids, poses, strict=True)):
        cam, (h, w) = rec.cameras[i], rec.image_sizes[i]
        u = np.array([-0.5, w - 0.5, w - 0.5, -0.5])
        v = np.array([-0.5, -0.5, h - 0.5, h - 0.5])
        rays = np.stack([(u - cam.cx) / cam.fx, (v - cam.cy) / cam.fy, np.ones(4)], axis=1)
        out[k, 0] = centres[k]
        out[k, 1:] = centres[k] + size * rays @ r  # R^T ray, for each row
    return out


def _bounds(pts: np.ndarray, frusta: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Robust box ``(lo, hi)``: the 2nd-98th percentiles of ``pts``, grown to hold every
    frustum vertex; ``(-1, 1)`` for an empty scene."""
    box = [np.percentile(pts, [2, 98], axis=0)] if len(pts) else []
    if frusta is not None and len(frusta):
        f = frusta.reshape(-1, 3)
        box.append(np.stack([f.min(axis=0), f.max(axis=0)]))
    if not box:
        return -np.ones(3), np.ones(3)
    return np.min([b[0] for b in box], axis=0), np.max([b[1] for b in box], axis=0)


def _extent(pts: np.ndarray, frusta: np.ndarray | None = None) -> float:
    """Robust diameter: the largest side of :func:`_bounds` (1 when flat)."""
    lo, hi = _bounds(pts, frusta)
    ext = float((hi - lo).max())
    return ext if ext > 0 else 1.0


def _scene(points: Any, colors: Any, frusta: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(N, 3)`` finite points, ``(N, 3)`` uint8 colours, ``(C, 5, 3)`` frusta."""
    if hasattr(points, "points3d"):  # a reconstruction
        colors = points.colors if colors is None else colors
        frusta = camera_frusta(points) if frusta is None else frusta
        points = points.points3d
    pts = _xyz(points, "points")
    if colors is None:
        cols = np.tile(np.uint8(DEFAULT_COLOR), (len(pts), 1))
    else:
        cols = np.asarray(colors)
        if cols.shape != pts.shape:
            raise ShapeError(f"colors: expected {pts.shape} uint8 RGB, got shape {cols.shape}")
        if cols.dtype != np.uint8:  # floats in [0, 1] as elsewhere in oculi
            scale = 255.0 if cols.dtype.kind == "f" else 1.0
            cols = np.clip(np.round(cols * scale), 0, 255).astype(np.uint8)
    fr = np.zeros((0, 5, 3)) if frusta is None else np.asarray(frusta, dtype=np.float64)
    if fr.size and (fr.ndim != 3 or fr.shape[1:] != (5, 3)):
        raise ShapeError(f"frusta: expected (C, 5, 3) apex + 4 corners, got shape {fr.shape}")
    keep = np.isfinite(pts).all(axis=1)
    return pts[keep], cols[keep], fr.reshape(-1, 5, 3)


def _subsample(n: int, max_points: int, seed: int) -> np.ndarray:
    """Sorted indices of at most ``max_points`` of ``n`` points (a seeded random subset)."""
    if max_points < 1:
        raise ParameterError(f"max_points: expected >= 1, got {max_points}")
    if n <= max_points:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, max_points, replace=False))


def _b64(a: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).tobytes()).decode("ascii")


def viewer_html(
    points: Any,
    colors: Any = None,
    *,
    frusta: Any = None,
    caption: str = "",
    max_points: int = 50_000,
    width: int = 800,
    height: int = 500,
    point_size: int = 2,
    fallback: str | None = None,
    seed: int = 0,
) -> str:
    """A self-contained interactive 3-D view of a point cloud, as an HTML fragment.

    Args:
        points: ``(N, 3)`` float points (rows with NaN/inf are dropped), or a reconstruction.
        colors: ``(N, 3)`` uint8 RGB (or float in [0, 1]); default light grey (or the
            reconstruction's colours).
        frusta: ``(C, 5, 3)`` camera pyramids (see :func:`camera_frusta`; default: none, or the
            reconstruction's registered cameras).
        caption: text under the view (the point count is appended).
        max_points: larger clouds are cut to this many points (a seeded random subset) to keep
            the page small: about 20 bytes of HTML per point.
        width, height: canvas size in CSS pixels.
        point_size: initial side of a point's square, pixels (1..9).
        fallback: ``src`` of an image shown instead of the canvas without JavaScript.
        seed: seed of the subsampling.

    Returns:
        The fragment (``<figure>`` with a ``<canvas>``, buttons, a JSON data block and a script).
    """
    pts, cols, fr = _scene(points, colors, frusta)
    keep = _subsample(len(pts), max_points, seed)
    sub = pts[keep]
    lo, hi = _bounds(sub, fr)
    centre, radius = (lo + hi) / 2, 0.5 * _extent(sub, fr)
    uid = f"oculi3d-{uuid.uuid4().hex[:12]}"
    data = {"points": _b64(sub - centre, "<f4"), "colors": _b64(cols[keep], "u1"),
            "frusta": _b64(fr.reshape(-1, 3) - centre, "<f4"),
            "offset": centre.tolist(), "radius": radius, "total": len(pts),
            "size": int(np.clip(point_size, 1, 9))}
    shown = (f"{len(keep):,} points" if len(keep) == len(pts)
             else f"{len(keep):,} of {len(pts):,} points (random subset)")
    shown += f", {len(fr)} cameras" if len(fr) else ""
    cap = html.escape(f"{caption} ({shown})" if caption else shown)
    img = (f'<img src="{html.escape(fallback)}" alt="{cap}" width="{int(width)}">'
           if fallback else "3-D view: needs JavaScript")
    style = f"max-width:100%;background:#1b1b1b;cursor:grab;width:{int(width)}px"
    return (
        f'<figure class="oculi3d" id="{uid}">'
        f'<canvas id="{uid}-canvas" width="{int(width)}" height="{int(height)}" '
        f'style="{style}">{img}</canvas><div class="note">'
        f'<button type="button" id="{uid}-reset">reset view</button> '
        f'<button type="button" id="{uid}-smaller">points −</button> '
        f'<button type="button" id="{uid}-bigger">points +</button> '
        "drag: orbit · shift/right-drag: pan · wheel: zoom</div>"
        f"<figcaption>{cap}</figcaption>"
        f'<script type="application/json" id="{uid}-data">{json.dumps(data)}</script>'
        f"<script>{SCRIPT}oculiView3d({json.dumps(uid)});</script></figure>"
    )


def plot_scene(
    points: Any,
    colors: Any = None,
    *,
    frusta: Any = None,
    view: str = "3d",
    max_points: int = 20_000,
    seed: int = 0,
    figsize: tuple[float, float] = (7.0, 5.5),
) -> Any:
    """A static matplotlib picture of a point cloud with camera frusta.

    Args:
        points, colors, frusta: as for :func:`viewer_html` (a reconstruction works too).
        view: ``"3d"`` (perspective axes, camera ``y`` down drawn as up = ``-y``) or ``"top"``
            (``x`` against ``z``, the ground plane of a forward-looking camera).
        max_points: larger clouds are cut to this many points (seeded random subset).
        seed: seed of the subsampling.
        figsize: figure size in inches.

    Returns:
        A :class:`matplotlib.figure.Figure` (not registered with pyplot); axes limits cover the
        2nd-98th percentiles of the points, so far outliers do not shrink the scene.
    """
    from matplotlib.figure import Figure

    check_choice(view, ("3d", "top"), "view")
    pts, cols, fr = _scene(points, colors, frusta)
    keep = _subsample(len(pts), max_points, seed)
    pts, rgb = pts[keep], cols[keep] / 255.0
    edges = [(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (2, 3), (3, 4), (4, 1)]
    lo, hi = _bounds(pts, fr)
    pad = 0.05 * _extent(pts, fr)
    fig = Figure(figsize=figsize)
    if view == "top":
        ax = fig.add_subplot()
        ax.scatter(pts[:, 0], pts[:, 2], c=rgb, s=1, linewidths=0)
        for f in fr:
            for a, b in edges:
                ax.plot(f[[a, b], 0], f[[a, b], 2], color="red", lw=0.8)
        ax.set_xlim(lo[0] - pad, hi[0] + pad)
        ax.set_ylim(lo[2] - pad, hi[2] + pad)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel("x")
        ax.set_ylabel("z")
    else:
        ax = fig.add_subplot(projection="3d")
        ax.scatter(pts[:, 0], pts[:, 2], -pts[:, 1], c=rgb, s=1, linewidths=0, depthshade=False)
        for f in fr:
            for a, b in edges:
                ax.plot(f[[a, b], 0], f[[a, b], 2], -f[[a, b], 1], color="red", lw=0.8)
        ax.set_xlim(lo[0] - pad, hi[0] + pad)
        ax.set_ylim(lo[2] - pad, hi[2] + pad)
        ax.set_zlim(-hi[1] - pad, -lo[1] + pad)
        ax.set_box_aspect((hi - lo + 2 * pad)[[0, 2, 1]])
        ax.set_xlabel("x")
        ax.set_ylabel("z")
        ax.set_zlabel("-y")
    ax.set_title(f"{len(pts):,} points, {len(fr)} cameras")
    return fig
