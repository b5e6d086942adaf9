"""Flow visualisation: the Middlebury colour coding (Baker et al., IJCV 2011), its legend, arrows.

The colour of a pixel gives the direction of its motion (hue around the wheel) and its length
(saturation: white is no motion, full colour is the largest motion shown). The wheel has 55 hues
in six bands (red-yellow 15, yellow-green 6, green-cyan 4, cyan-blue 11, blue-magenta 13,
magenta-red 6), so that perceptually similar angles take similar space.

    >>> import numpy as np
    >>> flow = np.zeros((2, 2, 2), np.float32)
    >>> flow_to_color(flow)[0, 0].tolist()  # no motion is white
    [255, 255, 255]
"""

from __future__ import annotations

import numpy as np

from oculi.core.checks import check_image, check_positive
from oculi.flow._base import check_flow
from oculi.flow.flo import known_mask

_BANDS = ((15, (255, 0, 0), (255, 255, 0)),   # red -> yellow
          (6, (255, 255, 0), (0, 255, 0)),    # yellow -> green
          (4, (0, 255, 0), (0, 255, 255)),    # green -> cyan
          (11, (0, 255, 255), (0, 0, 255)),   # cyan -> blue
          (13, (0, 0, 255), (255, 0, 255)),   # blue -> magenta
          (6, (255, 0, 255), (255, 0, 0)))    # magenta -> red


def color_wheel() -> np.ndarray:
    """The 55x3 float32 table of wheel colours (RGB, 0..255), hue 0 = red = motion to the left."""
    rows = []
    for n, start, end in _BANDS:
        t = np.arange(n, dtype=np.float32)[:, None] / n
        rows.append(np.float32(start) * (1 - t) + np.float32(end) * t)
    return np.concatenate(rows).astype(np.float32)


def flow_to_color(flow: np.ndarray, *, max_flow: float | None = None,
                  legend: bool = False) -> np.ndarray:
    """Colour-code a flow field with the Middlebury wheel.

    Args:
        flow: HxWx2 float flow, pixels; NaN or > 1e9 marks unknown pixels (drawn black).
        max_flow: flow magnitude (pixels) drawn at full saturation; ``None`` uses the largest
            known magnitude. Longer vectors are drawn darker.
        legend: paste the colour-wheel legend (see :func:`flow_legend`) in the bottom-right corner.

    Returns:
        HxWx3 uint8 RGB image.
    """
    f = check_flow(flow)
    known = known_mask(f)
    u = np.where(known, f[..., 0], 0.0).astype(np.float32)
    v = np.where(known, f[..., 1], 0.0).astype(np.float32)
    rad = np.sqrt(u * u + v * v)
    if max_flow is None:
        max_flow = float(rad.max()) if rad.size else 0.0
    else:
        check_positive(max_flow, "max_flow")
    scale = np.float32(1.0 / max_flow) if max_flow > 0 else np.float32(0.0)
    u, v, rad = u * scale, v * scale, rad * scale
    wheel = color_wheel() / np.float32(255.0)
    ncols = len(wheel)
    angle = np.arctan2(-v, -u) / np.float32(np.pi)  # in [-1, 1]
    fk = (angle + 1) / 2 * (ncols - 1)
    k0 = np.floor(fk).astype(np.int32)
    k1 = (k0 + 1) % ncols
    t = (fk - k0)[..., None]
    col = (1 - t) * wheel[k0] + t * wheel[k1]
    r = rad[..., None]
    inside = r <= 1
    col = np.where(inside, 1 - r * (1 - col), col * np.float32(0.75))
    img = np.clip(np.floor(255 * col), 0, 255).astype(np.uint8)
    img[~known] = 0
    if legend:
        side = max(16, min(img.shape[0], img.shape[1]) // 4)
        key = flow_legend(side)
        img[-side:, -side:] = key
    return img


def flow_legend(size: int = 151) -> np.ndarray:
    """The colour key: the colour of a flow pointing from the centre to each pixel of a disc.

    Args:
        size: side of the square image, pixels.

    Returns:
        ``size x size x 3`` uint8 RGB: the wheel on a white background with grey axes through
        the centre (right = +u, down = +v, image convention).
    """
    check_positive(size, "size")
    size = int(size)
    c = (size - 1) / 2
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    flow = np.dstack([xs - c, ys - c]).astype(np.float32)
    img = flow_to_color(flow, max_flow=max(c, 1e-6))
    outside = np.hypot(xs - c, ys - c) > c
    img[outside] = 255
    mid = round(c)
    img[mid, :] = np.where(outside[mid, :, None], img[mid, :], 96)
    img[:, mid] = np.where(outside[:, mid, None], img[:, mid], 96)
    return img


def draw_flow_arrows(
    image: np.ndarray,
    flow: np.ndarray,
    *,
    step: int = 16,
    scale: float = 1.0,
    color: tuple[int, int, int] = (255, 0, 0),
    thickness: int = 1,
    min_length: float = 0.5,
) -> np.ndarray:
    """Draw the flow as arrows on a grid over (a copy of) ``image``.

    Args:
        image: HxW or HxWx3 frame, uint8 or float in [0, 1]; the result is RGB uint8.
        flow: HxWx2 flow in pixels, same height and width as ``image``.
        step: grid spacing, pixels.
        scale: arrow length per pixel of motion (1 draws true displacements).
        color: RGB arrow colour.
        thickness: line thickness, pixels.
        min_length: skip arrows shorter than this many pixels (after ``scale``).

    Returns:
        HxWx3 uint8 RGB image with arrows from each grid point ``p`` to ``p + scale * flow(p)``.
    """
    import cv2

    from oculi.core.convert import ensure_uint8, to_rgb

    check_image(image, "image")
    f = check_flow(flow, shape=image.shape[:2])
    check_positive(step, "step")
    out = np.array(to_rgb(ensure_uint8(image)), order="C", copy=True)  # never the caller's
    h, w = f.shape[:2]
    known = known_mask(f)
    for y in range(step // 2, h, int(step)):
        for x in range(step // 2, w, int(step)):
            if not known[y, x]:
                continue
            dx, dy = (float(c) * scale for c in f[y, x])
            if dx * dx + dy * dy < min_length * min_length:
                continue
            end = (round(x + dx), round(y + dy))
            cv2.arrowedLine(out, (x, y), end, tuple(int(c) for c in color), int(thickness),
                            cv2.LINE_AA, tipLength=0.3)
    return out


def error_map_image(error: np.ndarray, *, max_error: float = 3.0) -> np.ndarray:
    """Render an endpoint-error map (pixels) as an RGB image: dark blue 0 -> yellow ``max_error``.

    Args:
        error: HxW float error map, NaN where unknown (drawn black).
        max_error: error drawn at full scale, pixels; larger errors saturate.

    Returns:
        HxWx3 uint8 RGB (matplotlib's "viridis" colour map).
    """
    import matplotlib

    err = np.asarray(error, dtype=np.float32)
    if err.ndim != 2:
        from oculi.core.errors import ShapeError

        raise ShapeError(f"error: expected an HxW error map, got shape {err.shape}")
    check_positive(max_error, "max_error")
    known = np.isfinite(err)
    t = np.clip(np.where(known, err, 0) / max_error, 0, 1)
    rgb = (matplotlib.colormaps["viridis"](t)[..., :3] * 255).astype(np.uint8)
    rgb[~known] = 0
    return rgb
