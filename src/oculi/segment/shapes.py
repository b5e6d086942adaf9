"""A synthetic shapes data set with exact masks (tests, the tour, smoke runs).

Each image holds a few discs (class 1) and axis-aligned rectangles (class 2) in random colours on
a smooth noisy background; the mask is drawn from the same geometry, so it is exact.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

SHAPE_CLASSES = ("background", "disc", "rectangle")


def make_shapes(
    n: int, size: int | tuple[int, int] = 64, *, seed: int = 0, max_shapes: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """``(images, masks)``: ``(n, H, W, 3)`` uint8 RGB and ``(n, H, W)`` uint8 class indices."""
    h, w = (size, size) if isinstance(size, int) else size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    images = np.empty((n, h, w, 3), np.uint8)
    masks = np.zeros((n, h, w), np.uint8)
    for i in range(n):
        base = rng.uniform(40, 120, 3)
        grad = rng.uniform(-30, 30, 3)[:, None, None] * (xx / w)[None]
        img = base[:, None, None] + grad + rng.normal(0, 8, (3, h, w))
        m = masks[i]
        for _ in range(int(rng.integers(1, max_shapes + 1))):
            colour = rng.uniform(130, 255, 3)
            if rng.random() < 0.5:
                r = rng.uniform(0.08, 0.2) * min(h, w)
                cy, cx = rng.uniform(r, h - r), rng.uniform(r, w - r)
                sel = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
                cls = 1
            else:
                bh, bw = rng.uniform(0.15, 0.4) * h, rng.uniform(0.15, 0.4) * w
                y0, x0 = rng.uniform(0, h - bh), rng.uniform(0, w - bw)
                sel = (yy >= y0) & (yy < y0 + bh) & (xx >= x0) & (xx < x0 + bw)
                cls = 2
            img[:, sel] = colour[:, None] + rng.normal(0, 6, (3, int(sel.sum())))
            m[sel] = cls
        images[i] = np.clip(img, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    return images, masks


def write_shapes(root: str | os.PathLike[str], n: int, size: int = 64, *, seed: int = 0) -> Path:
    """Write ``n`` shapes as ``root/image/*.png`` + ``root/label/*.png`` (class-index masks)."""
    from oculi.io import write_image

    root = Path(root)
    images, masks = make_shapes(n, size, seed=seed)
    for i, (im, m) in enumerate(zip(images, masks, strict=True)):
        write_image(root / "image" / f"{i:03d}.png", im)
        write_image(root / "label" / f"{i:03d}.png", m)
    return root
