"""Tiled inference: run an image-to-image function on overlapping tiles and blend the results,
so large images fit in memory (a network's activations grow with the tile, not the image).

Tiles of ``tile x tile`` input pixels start every ``tile - overlap`` pixels (the last one flush
with the border). Each output tile is weighted by a ramp that rises linearly over the overlap band
(``overlap * scale`` output pixels) from each side, and the weighted sum is divided by the summed
weights — a cross-fade in every overlap, plain copies elsewhere.

    >>> import numpy as np
    >>> from oculi.restore.tiles import tiled
    >>> image = np.random.default_rng(0).random((50, 70)).astype(np.float32)
    >>> out = tiled(lambda t: np.repeat(np.repeat(t, 2, 0), 2, 1), image, 2, tile=16, overlap=4)
    >>> out.shape, bool(np.allclose(out, np.repeat(np.repeat(image, 2, 0), 2, 1)))
    ((100, 140), True)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from oculi.core.errors import ParameterError, ShapeError


def tile_starts(n: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of length ``tile`` overlapping by ``overlap`` that cover ``n``."""
    if n <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, n - tile, step))
    return [*starts, n - tile]


def _ramp(n: int, band: int) -> np.ndarray:
    """1-D weights rising linearly over ``band`` samples at both ends (never zero)."""
    if band <= 0:
        return np.ones(n, np.float32)
    i = np.arange(n, dtype=np.float32)
    return np.minimum(1.0, np.minimum(i + 0.5, n - i - 0.5) / band).astype(np.float32)


def tiled(fn: Callable[[np.ndarray], np.ndarray], image: np.ndarray, scale: int, *,
          tile: int = 256, overlap: int = 16) -> np.ndarray:
    """Apply ``fn`` tile by tile and blend.

    Args:
        fn: maps an hxw(xC) float32 tile to an (h*scale)x(w*scale)(xC) float32 result.
        image: HxW or HxWxC float32.
        scale: the output/input size ratio of ``fn`` (1 for denoising, enhancement).
        tile: tile side in input pixels.
        overlap: input pixels shared by neighbouring tiles (``0 <= overlap < tile``).

    Returns:
        (H*scale)x(W*scale)(xC) float32.

    Raises:
        ParameterError: a bad tile/overlap; ShapeError: ``fn`` returned the wrong size.
    """
    if not (isinstance(tile, int) and tile >= 8):
        raise ParameterError(f"tile: expected an int >= 8 (pixels), got {tile!r}")
    if not (isinstance(overlap, int) and 0 <= overlap < tile):
        raise ParameterError(f"overlap: expected an int in [0, tile), got {overlap!r}")
    h, w = image.shape[:2]
    out = np.zeros((h * scale, w * scale, *image.shape[2:]), np.float32)
    weight = np.zeros((h * scale, w * scale), np.float32)
    for y in tile_starts(h, tile, overlap):
        for x in tile_starts(w, tile, overlap):
            piece = image[y:y + tile, x:x + tile]
            result = np.asarray(fn(piece), np.float32)
            ph, pw = piece.shape[0] * scale, piece.shape[1] * scale
            if result.shape[:2] != (ph, pw):
                raise ShapeError(f"tiled: the function returned {result.shape[:2]} for a "
                                 f"{piece.shape[:2]} tile at scale {scale}, expected {(ph, pw)}")
            wt = np.outer(_ramp(ph, overlap * scale), _ramp(pw, overlap * scale))
            ys, xs = slice(y * scale, y * scale + ph), slice(x * scale, x * scale + pw)
            out[ys, xs] += result * (wt if result.ndim == 2 else wt[..., None])
            weight[ys, xs] += wt
    return out / (weight if out.ndim == 2 else weight[..., None])
