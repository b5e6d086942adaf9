"""Features for correlation-filter tracking: HOG, a low-dimensional colour code, colour models.

:func:`hog` and :func:`colour_cells` take an image patch and return one feature vector per
``cell_size`` x ``cell_size`` cell, so their outputs stack along the channel axis.
:class:`ColourHistogram` learns object and background colour histograms and gives every pixel
an object likelihood (the colour model of Staple-style trackers).

    >>> import numpy as np
    >>> from oculi.track.features import hog, colour_cells
    >>> patch = np.random.default_rng(0).integers(0, 256, (64, 48, 3), dtype=np.uint8)
    >>> hog(patch, cell_size=4).shape, colour_cells(patch, cell_size=4).shape
    ((16, 12, 31), (16, 12, 3))
"""

from __future__ import annotations

import numpy as np

from oculi.core.checks import check_image
from oculi.core.errors import ParameterError, ShapeError
from oculi.track._dcf_kernels import (
    box_histograms,
    colour_bins,
    normalise_histograms,
    orientation_histograms,
)

HOG_CHANNELS = 31
COLOUR_CHANNELS = 3

# grey, red-green and yellow-blue opponent axes (rows), applied to RGB in [0, 1]
_OPPONENT = np.array(
    [[1 / 3, 1 / 3, 1 / 3], [0.5, -0.5, 0.0], [0.25, 0.25, -0.5]], np.float32
)


def _as_float_patch(image: np.ndarray, cell_size: int, name: str) -> np.ndarray:
    image = check_image(image, name)
    if not isinstance(cell_size, (int, np.integer)) or cell_size < 1:
        raise ParameterError(f"cell_size: expected a positive integer, got {cell_size!r}")
    h, w = image.shape[:2]
    if h < cell_size or w < cell_size:
        raise ShapeError(
            f"{name}: expected at least one {cell_size}x{cell_size} cell, got {h}x{w} pixels"
        )
    if image.ndim == 2:
        image = image[:, :, None]
    if image.shape[2] == 4:
        image = image[:, :, :3]
    if image.dtype == np.uint8:
        return image.astype(np.float32) * np.float32(1.0 / 255.0)
    if image.dtype == np.uint16:
        return image.astype(np.float32) * np.float32(1.0 / 65535.0)
    return np.ascontiguousarray(image, dtype=np.float32)


def hog_float(patch: np.ndarray, cell_size: int, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`hog` without validation, for a C-contiguous HxWxC float32 patch in [0, 1].

    Args:
        patch: HxWxC float32, C-contiguous.
        cell_size: cell side, pixels.
        out: optional (H // cell_size, W // cell_size, >= 31) float32 array to fill.

    Returns:
        ``out`` (or a new array) with HOG in channels 0..30.
    """
    hist = orientation_histograms(patch, cell_size)
    if out is None:
        out = np.empty((*hist.shape[:2], HOG_CHANNELS), np.float32)
    normalise_histograms(hist, out)
    return out


def hog(image: np.ndarray, cell_size: int = 4) -> np.ndarray:
    """Histograms of oriented gradients in the 31-channel layout of Felzenszwalb et al.

    Per cell: 18 contrast-sensitive orientation bins, 9 contrast-insensitive bins (both
    normalised by the four 2x2-cell blocks around the cell, clipped at 0.2 and summed) and 4
    gradient-energy (texture) features. Gradients take the colour channel with the largest
    magnitude; votes are interpolated linearly in orientation and bilinearly between cells.

    Args:
        image: HxW or HxWx3 RGB patch, uint8 or float in [0, 1].
        cell_size: cell side in pixels.

    Returns:
        (H // cell_size, W // cell_size, 31) float32 features, each roughly in [0, 0.5].

    Raises:
        ShapeError: the patch is smaller than one cell.
        ParameterError: ``cell_size`` is not a positive integer.
    """
    return hog_float(_as_float_patch(image, cell_size, "image"), int(cell_size))


def colour_float(patch: np.ndarray, cell_size: int, out: np.ndarray | None = None
                 ) -> np.ndarray:
    """:func:`colour_cells` without validation, for an HxWxC float32 patch in [0, 1].

    Args:
        patch: HxWx1 or HxWx3 float32.
        cell_size: cell side, pixels.
        out: optional (H // cell_size, W // cell_size, 3) float32 array (a view is fine).

    Returns:
        ``out`` (or a new array).
    """
    import cv2

    hc, wc = patch.shape[0] // cell_size, patch.shape[1] // cell_size
    crop = patch[: hc * cell_size, : wc * cell_size]
    means = cv2.resize(crop, (wc, hc), interpolation=cv2.INTER_AREA).reshape(hc, wc, -1)
    if means.shape[2] == 1:
        means = np.repeat(means, 3, axis=2)
    if out is None:
        out = np.empty((hc, wc, COLOUR_CHANNELS), np.float32)
    np.matmul(means, _OPPONENT.T, out=out)
    out[..., 0] -= np.float32(0.5)
    return out


def colour_cells(image: np.ndarray, cell_size: int = 4) -> np.ndarray:
    """Mean colour of each cell on three opponent axes: grey - 0.5, red-green and yellow-blue.

    Args:
        image: HxW or HxWx3 RGB patch, uint8 or float in [0, 1].
        cell_size: cell side in pixels.

    Returns:
        (H // cell_size, W // cell_size, 3) float32; grey in [-0.5, 0.5], the opponent axes in
        [-0.5, 0.5]. A grey image has zero opponent channels.

    Raises:
        ShapeError: the patch is smaller than one cell.
        ParameterError: ``cell_size`` is not a positive integer.
    """
    return colour_float(_as_float_patch(image, cell_size, "image"), int(cell_size))


class ColourHistogram:
    """Object and background colour histograms and the object likelihood of every colour.

    The object histogram counts the pixels inside the target box less a border of
    ``inner_padding`` times its mean side; the background histogram counts the pixels of the
    patch outside the target box. Both are normalised and averaged over frames at ``rate``.
    A colour's object likelihood is ``p_obj / (p_obj + p_bg + 1e-3)`` (0 for colours never
    seen).

    Args:
        bits: bits per RGB channel (``2 ** (3 * bits)`` bins).
        rate: update rate per call of :meth:`fit` after the first.
        inner_padding: the object region's border, as a fraction of the target's mean side.
    """

    def __init__(self, bits: int = 5, rate: float = 0.04, inner_padding: float = 0.2) -> None:
        self.bits = int(bits)
        self.rate = float(rate)
        self.inner_padding = float(inner_padding)
        self.object: np.ndarray | None = None
        self.background: np.ndarray | None = None
        #: (2 ** (3 * bits),) float32 object likelihood per colour bin, in [0, 1)
        self.table = np.zeros(1 << (3 * self.bits), np.float32)

    def fit(self, patch: np.ndarray, centre: tuple[float, float], size: tuple[float, float]
            ) -> None:
        """Add one observation: the target of ``size`` (h, w) at ``centre`` (y, x) in ``patch``.

        Args:
            patch: HxWx3 uint8 RGB, C-contiguous.
            centre: the target's centre, patch pixel coordinates (y, x).
            size: the target's height and width, patch pixels.
        """
        (cy, cx), (h, w) = centre, size
        pad = self.inner_padding * (h + w) / 2

        def box(bh: float, bw: float) -> np.ndarray:
            return np.array([round(cy - bh / 2 + 0.5), round(cy + bh / 2 + 0.5),
                             round(cx - bw / 2 + 0.5), round(cx + bw / 2 + 0.5)], np.int64)

        outer = np.array([0, patch.shape[0], 0, patch.shape[1]], np.int64)
        inner = box(max(h - pad, 2.0), max(w - pad, 2.0))
        obj, bg = box_histograms(colour_bins(patch, self.bits), outer, box(h, w), inner,
                                 self.table.size)
        if self.object is None or self.background is None:
            self.object, self.background = obj, bg
        else:
            self.object += self.rate * (obj - self.object)
            self.background += self.rate * (bg - self.background)
        self.table = (self.object / (self.object + self.background + 1e-3)).astype(np.float32)

    def likelihood(self, patch: np.ndarray) -> np.ndarray:
        """(H, W) float32 object likelihood of every pixel of an HxWx3 uint8 RGB patch."""
        return self.table[colour_bins(np.ascontiguousarray(patch), self.bits)]
