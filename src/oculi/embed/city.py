"""A synthetic city rendered as a map raster, the data of Loc2Vec (spatially close map tiles
have close embeddings). Seeded: the same seed gives the same city, pixel for pixel.

The city is a label map ``uint8 (H, W)``: 0 ground and one label per layer of :data:`LAYERS`
(water, park, road, building). Land use varies over the map: a density field with one to three
centres sets how many streets subdivide the main road grid and how densely buildings fill the
blocks; parks are ellipses, the water a meandering river and a lake, roads lines of three widths
(avenues, a main grid and streets; main roads cross the water as bridges). One pixel stands for
about 2 m.

>>> city = render_city(256, seed=0)
>>> tile = city.tile(128, 128, 32)
>>> tile.shape, layer_mix(tile).shape
((32, 32), (4,))
>>> bool(layer_mix(tile).sum() <= 1)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from oculi.core.errors import ParameterError

#: the map layers, label = index + 1 (label 0 is bare ground)
LAYERS = ("water", "park", "road", "building")
#: RGB colour of ground and of each layer (index = label)
PALETTE = np.array([(236, 230, 214), (110, 165, 225), (140, 200, 120), (105, 105, 110),
                    (205, 120, 90)], np.uint8)
WATER, PARK, ROAD, BUILDING = 1, 2, 3, 4


@dataclass
class City:
    """A rendered city.

    Attributes:
        labels: ``uint8 (H, W)`` label map (0 ground, 1..4 the :data:`LAYERS`).
        density: ``float32 (H, W)`` in [0, 1], the built-up density field it was drawn from.
        seed: the seed it was rendered with.
    """

    labels: np.ndarray
    density: np.ndarray
    seed: int

    @property
    def size(self) -> int:
        return self.labels.shape[0]

    def tile(self, cx: float, cy: float, size: int) -> np.ndarray:
        """The ``uint8 (size, size)`` labels of the tile centred at pixel ``(cx, cy)``; the
        centre is clamped so the tile stays inside the city."""
        half = size // 2
        x0 = int(np.clip(round(cx) - half, 0, self.size - size))
        y0 = int(np.clip(round(cy) - half, 0, self.size - size))
        return self.labels[y0:y0 + size, x0:x0 + size]

    def rgb(self) -> np.ndarray:
        """The whole map as ``uint8 (H, W, 3)`` RGB."""
        return PALETTE[self.labels]


def layer_mix(labels: np.ndarray) -> np.ndarray:
    """Land-use mix: ``float64 (4,)`` fraction of pixels of each layer (sums to <= 1; the rest
    is ground). ``labels`` is a label map ``(H, W)`` or a batch ``(N, H, W)`` (then ``(N, 4)``)."""
    labels = np.asarray(labels)
    flat = labels.reshape(-1, labels.shape[-2] * labels.shape[-1])
    mix = np.stack([(flat == k + 1).mean(1) for k in range(len(LAYERS))], 1)
    return mix if labels.ndim == 3 else mix[0]


def one_hot_layers(labels: np.ndarray) -> np.ndarray:
    """``float32 (4, H, W)`` (or ``(N, 4, H, W)``): one channel per layer, 1 where it is."""
    labels = np.asarray(labels)
    onehot = np.stack([labels == k + 1 for k in range(len(LAYERS))], -3)
    return onehot.astype(np.float32)


def colorize(labels: np.ndarray) -> np.ndarray:
    """Labels ``(..., H, W)`` as ``uint8 (..., H, W, 3)`` RGB map pictures."""
    return PALETTE[np.asarray(labels)]


def _density(size: int, rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    d = np.zeros((size, size), np.float32)
    for _ in range(int(rng.integers(1, 4))):
        cx, cy = rng.uniform(0.15, 0.85, 2) * size
        sigma = rng.uniform(0.12, 0.25) * size
        d += rng.uniform(0.7, 1.2) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma**2))
    return np.clip(d, 0, 1)


def _grid_lines(size: int, spacing: int, rng: np.random.Generator) -> list[int]:
    n = max(2, size // spacing)
    lines = np.linspace(0, size, n + 1)[1:-1] + rng.uniform(-spacing / 6, spacing / 6, n - 1)
    return [0, *sorted(int(v) for v in lines), size]


def _blocks_and_streets(labels: np.ndarray, density: np.ndarray, xs: list[int], ys: list[int],
                        rng: np.random.Generator) -> list[tuple[int, int, int, int]]:
    """Streets inside each main block (more where denser) and the resulting small blocks."""
    import cv2

    blocks = []
    for x0, x1 in pairwise(xs):
        for y0, y1 in pairwise(ys):
            d = float(density[(y0 + y1) // 2, (x0 + x1) // 2])
            cuts = 4 if d > 0.6 else 2 if d > 0.3 else 1
            sx = np.linspace(x0, x1, cuts + 1).astype(int)
            sy = np.linspace(y0, y1, cuts + 1).astype(int)
            for v in sx[1:-1]:
                cv2.line(labels, (int(v), y0), (int(v), y1), ROAD, 2)
            for v in sy[1:-1]:
                cv2.line(labels, (x0, int(v)), (x1, int(v)), ROAD, 2)
            blocks += [(int(a), int(c), int(b), int(e)) for a, b in pairwise(sx)
                       for c, e in pairwise(sy)]
    return blocks


def _buildings(labels: np.ndarray, density: np.ndarray, blocks: list[tuple[int, int, int, int]],
               rng: np.random.Generator) -> None:
    for x0, y0, x1, y1 in blocks:
        d = float(density[(y0 + y1) // 2, (x0 + x1) // 2])
        lot = 12 if d > 0.6 else 9
        for ly in range(y0 + 3, y1 - 3, lot):
            for lx in range(x0 + 3, x1 - 3, lot):
                if rng.random() > 0.08 + 0.9 * d:
                    continue
                inset = int(rng.integers(1, 3)) if d > 0.5 else int(rng.integers(2, 4))
                bx0, by0 = lx + inset, ly + inset
                bx1 = min(lx + lot - inset, x1 - 3)
                by1 = min(ly + lot - inset, y1 - 3)
                if bx1 > bx0 and by1 > by0:
                    labels[by0:by1, bx0:bx1] = BUILDING


def _water(labels: np.ndarray, rng: np.random.Generator) -> None:
    import cv2

    size = labels.shape[0]
    x = np.linspace(-10, size + 10, 200)
    y0 = rng.uniform(0.25, 0.75) * size
    phase = rng.uniform(0, 2 * np.pi, 2)
    y = (y0 + 0.08 * size * np.sin(2 * np.pi * x / (0.6 * size) + phase[0])
         + 0.03 * size * np.sin(2 * np.pi * x / (0.17 * size) + phase[1]))
    pts = np.stack([x, y], 1).astype(np.int32)
    if rng.random() < 0.5:
        pts = pts[:, ::-1].copy()  # a north-south river
    cv2.polylines(labels, [pts], False, WATER, int(rng.integers(12, 22)))
    theta = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    radius = rng.uniform(0.04, 0.08) * size * (1 + 0.25 * np.sin(3 * theta + rng.uniform(0, 6)))
    cx, cy = rng.uniform(0.15, 0.85, 2) * size
    lake = np.stack([cx + radius * np.cos(theta), cy + 0.7 * radius * np.sin(theta)], 1)
    cv2.fillPoly(labels, [lake.astype(np.int32)], WATER)


def _parks(labels: np.ndarray, rng: np.random.Generator) -> None:
    import cv2

    size = labels.shape[0]
    for _ in range(max(2, int(size * size / 90_000))):
        cx, cy = (int(v) for v in rng.uniform(0, size, 2))
        axes = (int(rng.uniform(15, 70)), int(rng.uniform(15, 70)))
        cv2.ellipse(labels, (cx, cy), axes, float(rng.uniform(0, 180)), 0, 360, PARK, -1)


def render_city(size: int = 1024, seed: int = 0) -> City:
    """Render a ``size`` x ``size`` pixel city (see the module doc).

    Raises:
        ParameterError: ``size`` below 128.
    """
    import cv2

    if not isinstance(size, (int, np.integer)) or size < 128:
        raise ParameterError(f"size: expected an int >= 128 pixels, got {size!r}")
    size = int(size)
    rng = np.random.default_rng([seed, 20201])
    density = _density(size, rng)
    labels = np.zeros((size, size), np.uint8)
    xs, ys = _grid_lines(size, 96, rng), _grid_lines(size, 96, rng)
    streets = np.zeros_like(labels)
    blocks = _blocks_and_streets(streets, density, xs, ys, rng)
    _buildings(labels, density, blocks, rng)
    _parks(labels, rng)
    labels[streets == ROAD] = ROAD
    _water(labels, rng)
    for v in xs[1:-1]:  # the main grid and avenues, over the water as bridges
        cv2.line(labels, (v, 0), (v, size), ROAD, 4)
    for v in ys[1:-1]:
        cv2.line(labels, (0, v), (size, v), ROAD, 4)
    for _ in range(int(rng.integers(1, 3))):
        a, b = rng.uniform(0, size, 2), rng.uniform(0, size, 2)
        p0, p1 = (int(a[0]), 0), (int(b[0]), size)
        if rng.random() < 0.5:
            p0, p1 = (0, int(a[1])), (size, int(b[1]))
        cv2.line(labels, p0, p1, ROAD, 6)
    return City(labels, density, seed)


__all__ = ["LAYERS", "PALETTE", "City", "colorize", "layer_mix", "one_hot_layers",
           "render_city"]
