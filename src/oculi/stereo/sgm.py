"""oculi's semi-global matcher (Hirschmüller 2008) for rectified pairs, compiled with numba.

Pipeline: census transform (9x7 window, 62 bits) + a small horizontal-gradient term as the
matching cost on an HxWxD cost volume; 8-path aggregation (in two sweeps of the volume) with
penalties P1 and an intensity-adaptive P2; winner-take-all with a uniqueness ratio; parabola
sub-pixel refinement; left-right consistency check on the same aggregated volume; small-speckle
removal; optional scanline hole filling (occlusions take the farther neighbour); a 3x3 median.
"""

from __future__ import annotations

import numpy as np

from oculi.stereo._base import check_max_disparity, gray_pair

#: Largest cost volume (pixels x disparities) accepted: 6 bytes a cell, about 1.1 GiB.
_MAX_CELLS = 2e8


def semi_global_matching(
    left: np.ndarray,
    right: np.ndarray,
    max_disparity: int = 64,
    *,
    p1: int = 10,
    p2: int = 120,
    p2_gamma: float = 20.0,
    paths: int = 8,
    census_size: tuple[int, int] = (7, 9),
    gradient_weight: float = 0.5,
    uniqueness: float = 0.05,
    lr_max_diff: float = 1.0,
    speckle_size: int = 100,
    speckle_range: float = 1.0,
    fill: bool = True,
    median: bool = True,
) -> np.ndarray:
    """Disparity of the left image of a rectified pair with oculi's semi-global matcher.

    Args:
        left, right: HxW or HxWx3 images (uint8, uint16 or float in [0, 1]), same size,
            rectified (corresponding points on the same row, the right one ``d`` px to the left).
        max_disparity: number of disparities searched, 0..max_disparity-1 pixels.
        p1: penalty for a disparity change of one pixel along a path (census-bit units).
        p2: penalty for a larger change, divided by ``1 + |grey step| / p2_gamma`` across edges.
        p2_gamma: grey-level step (0..255) that halves P2; 0 keeps P2 constant.
        paths: 8 (horizontal, vertical, diagonals) or 4 (horizontal and vertical).
        census_size: census window (height, width), odd, at most 64 pixels.
        gradient_weight: weight of the absolute difference of horizontal gradients (capped at
            30 grey levels) added to the census cost; 0: census only.
        uniqueness: the best aggregated cost must beat the best at a disparity more than one
            pixel away by this fraction, else the pixel is invalid.
        lr_max_diff: left-right check tolerance in pixels (negative: no check).
        speckle_size: regions of similar disparity of at most this many pixels are invalidated.
        speckle_range: disparity step (pixels) that still joins two neighbours in a region.
        fill: fill invalid pixels along the row with the farther valid neighbour.
        median: apply a 3x3 median filter at the end.

    Returns:
        HxW float32 disparity in pixels; NaN where invalid (only when ``fill`` is False or a
        whole row is invalid).

    Raises:
        ShapeError, DTypeError: bad images (see :func:`oculi.stereo.check_stereo_pair`).
        ParameterError: a setting out of range, or a cost volume above 2e8 cells (6 bytes
            each: the int16 costs and the int32 sums).
    """
    from oculi.core.checks import check_choice, check_positive
    from oculi.core.errors import ParameterError
    from oculi.stereo import _sgm_kernels as _k  # numba: imported (and compiled) on first use

    nd = check_max_disparity(max_disparity, left.shape[1] if hasattr(left, "shape") else 0)
    check_choice(str(paths), ("4", "8"), "paths")
    check_positive(p1, "p1")
    if p2 <= p1:
        raise ParameterError(f"p2: expected a penalty above p1={p1}, got {p2}")
    ch, cw = census_size
    if ch % 2 == 0 or cw % 2 == 0 or ch * cw > 65:
        raise ParameterError(f"census_size: expected odd (height, width) with at most 65 pixels, "
                             f"got {census_size}")
    if not 0 <= uniqueness < 1:
        raise ParameterError(f"uniqueness: expected a ratio in [0, 1), got {uniqueness}")
    gl, gr = gray_pair(left, right)
    cells = gl.size * nd
    if cells > _MAX_CELLS:
        h, w = gl.shape
        raise ParameterError(
            f"left: {w}x{h} pixels x {nd} disparities needs {cells * 6 / 2**30:.1f} GiB of cost "
            f"volume; downscale the pair (e.g. oculi.stereo.rescale_pair) or search fewer "
            f"disparities (limit {_MAX_CELLS:.0e} cells)")
    cost = _cost_volume(gl, gr, nd, (ch // 2, cw // 2), gradient_weight)
    total = _k.aggregate_two_pass(cost, gl, int(p1), int(p2), float(p2_gamma), paths == 8)
    del cost
    disp, disp_right = _k.winner_take_all(total, float(uniqueness))
    del total
    if lr_max_diff >= 0:
        disp = _k.lr_check(disp, disp_right, float(lr_max_diff))
    if speckle_size > 0:
        disp = _k.remove_speckles(disp, int(speckle_size), float(speckle_range))
    if fill:
        disp = _k.fill_holes(disp)
    if median:
        disp = _median3(disp)
    return disp


def _cost_volume(gl: np.ndarray, gr: np.ndarray, nd: int, radii: tuple[int, int],
                 gradient_weight: float) -> np.ndarray:
    """HxWxD int16 census (+ gradient) cost of two float32 grey images."""
    import cv2

    from oculi.stereo import _sgm_kernels as _k

    cl = _k.census(gl, radii[0], radii[1])
    cr = _k.census(gr, radii[0], radii[1])
    dl = np.ascontiguousarray(cv2.Sobel(gl, cv2.CV_32F, 1, 0, ksize=3) / 4)
    dr = np.ascontiguousarray(cv2.Sobel(gr, cv2.CV_32F, 1, 0, ksize=3) / 4)
    return _k.census_cost(cl, cr, dl, dr, nd, float(gradient_weight), 30.0)


def _median3(disp: np.ndarray) -> np.ndarray:
    """3x3 median that leaves NaN pixels NaN (valid pixels use their valid neighbours' median)."""
    import cv2

    nan = np.isnan(disp)
    if not nan.any():
        return cv2.medianBlur(disp, 3)
    filled = np.where(nan, np.float32(0), disp).astype(np.float32)
    out = cv2.medianBlur(filled, 3)
    out[nan] = np.nan
    return out
