"""Stereo methods behind one registry: oculi's SGM, OpenCV's StereoSGBM and SGBM + WLS filter.

Every method takes a rectified pair (left, right: HxW or HxWx3, same size) and returns the
left image's disparity as HxW float32 pixels, NaN where invalid.
"""

from __future__ import annotations

import math

import numpy as np

from oculi.stereo._base import check_max_disparity, methods, uint8_pair
from oculi.stereo.sgm import semi_global_matching


def round_disparities(max_disparity: int) -> tuple[int, str]:
    """``max_disparity`` rounded up to OpenCV's multiple of 16, and a note when it changed."""
    n = int(math.ceil(max_disparity / 16) * 16)
    note = "" if n == max_disparity else (
        f"max_disparity {max_disparity} rounded up to {n} (OpenCV SGBM needs a multiple of 16)")
    return n, note


def _sgbm_matcher(nd: int, block_size: int, channels: int, uniqueness: int,
                  speckle_size: int, speckle_range: int, mode: str):
    import cv2

    area = channels * block_size * block_size
    modes = {"hh": cv2.STEREO_SGBM_MODE_HH, "sgbm": cv2.STEREO_SGBM_MODE_SGBM,
             "3way": cv2.STEREO_SGBM_MODE_SGBM_3WAY}
    return cv2.StereoSGBM_create(
        minDisparity=0, numDisparities=nd, blockSize=block_size, P1=8 * area, P2=32 * area,
        disp12MaxDiff=1, uniquenessRatio=uniqueness, speckleWindowSize=speckle_size,
        speckleRange=speckle_range, preFilterCap=63, mode=modes[mode])


def sgbm(left: np.ndarray, right: np.ndarray, max_disparity: int = 64, *, block_size: int = 5,
         uniqueness: int = 10, speckle_size: int = 100, speckle_range: int = 2,
         mode: str = "hh", fill: bool = False) -> np.ndarray:
    """OpenCV's StereoSGBM (Hirschmüller's SGM with Birchfield-Tomasi block costs).

    Args:
        left, right: rectified HxW or HxWx3 images (uint8/uint16 or float in [0, 1]).
        max_disparity: disparities searched; rounded up to a multiple of 16 (OpenCV's rule).
        block_size: odd matching block side in pixels.
        uniqueness: OpenCV's uniqueness ratio in percent.
        speckle_size: OpenCV's speckle window (0: off); ``speckle_range`` its disparity range.
        mode: ``"hh"`` (8 paths), ``"sgbm"`` (5 paths) or ``"3way"``.
        fill: fill invalid pixels along rows with the farther valid neighbour (as oculi's SGM).

    Returns:
        HxW float32 disparity in pixels, NaN where OpenCV marks it invalid.
    """
    from oculi.core.checks import check_choice

    check_choice(mode, ("hh", "sgbm", "3way"), "mode")
    a, b = uint8_pair(left, right)
    nd, _ = round_disparities(check_max_disparity(max_disparity, a.shape[1]))
    ch = 1 if a.ndim == 2 else 3
    m = _sgbm_matcher(nd, block_size, ch, uniqueness, speckle_size, speckle_range, mode)
    raw = m.compute(_bgr(a), _bgr(b))
    disp = raw.astype(np.float32) / 16.0
    disp[raw < 0] = np.nan
    if not fill:
        return disp
    from oculi.stereo._sgm_kernels import fill_holes  # numba: imported on first use

    return fill_holes(disp)


def sgbm_wls(left: np.ndarray, right: np.ndarray, max_disparity: int = 64, *,
             block_size: int = 5, lambda_: float = 8000.0, sigma_color: float = 1.5,
             uniqueness: int = 10) -> np.ndarray:
    """OpenCV's StereoSGBM with a right matcher and the ximgproc WLS (fast global) filter.

    Args:
        left, right: rectified HxW or HxWx3 images.
        max_disparity: disparities searched; rounded up to a multiple of 16.
        block_size: odd SGBM block side in pixels.
        lambda_: WLS smoothness weight.
        sigma_color: WLS edge sensitivity to the left image's colour.
        uniqueness: SGBM uniqueness ratio in percent.

    Returns:
        HxW float32 dense disparity in pixels (the filter fills invalid pixels); NaN where
        still negative.

    Raises:
        MissingDependencyError: this OpenCV build has no ``cv2.ximgproc`` (opencv-contrib).
    """
    import cv2

    from oculi.core.errors import MissingDependencyError

    if not hasattr(cv2, "ximgproc"):
        raise MissingDependencyError("sgbm-wls: cv2.ximgproc is missing — install the "
                                     "opencv-contrib build")
    a, b = uint8_pair(left, right)
    nd, _ = round_disparities(check_max_disparity(max_disparity, a.shape[1]))
    ch = 1 if a.ndim == 2 else 3
    lm = _sgbm_matcher(nd, block_size, ch, uniqueness, 100, 2, "hh")
    rm = cv2.ximgproc.createRightMatcher(lm)
    la, lb = _bgr(a), _bgr(b)
    dl = lm.compute(la, lb)
    dr = rm.compute(lb, la)
    wls = cv2.ximgproc.createDisparityWLSFilter(lm)
    wls.setLambda(lambda_)
    wls.setSigmaColor(sigma_color)
    out = wls.filter(dl, la, disparity_map_right=dr)
    disp = out.astype(np.float32) / 16.0
    disp[out < 0] = np.nan
    return disp


def _bgr(image: np.ndarray) -> np.ndarray:
    """RGB -> BGR for OpenCV (grey unchanged)."""
    return image if image.ndim == 2 else np.ascontiguousarray(image[..., ::-1])


methods.register("sgm", semi_global_matching,
                 help="oculi's semi-global matcher (census, 8 paths, LR check, fill)")
methods.register("sgbm", sgbm, help="OpenCV StereoSGBM (8 paths, BT cost on 5x5 blocks)")
methods.register("sgbm-wls", sgbm_wls, help="OpenCV StereoSGBM + ximgproc WLS filter")


def compute_disparity(left: np.ndarray, right: np.ndarray, method: str = "sgm",
                      max_disparity: int = 64, **params: object) -> np.ndarray:
    """Disparity of ``left`` against ``right`` with the registered ``method``.

    Args:
        left, right: rectified HxW or HxWx3 images, same size.
        method: a name of :data:`oculi.stereo.methods` (``sgm``, ``sgbm``, ``sgbm-wls``).
        max_disparity: disparities searched (0..max_disparity-1 pixels).
        **params: the method's settings.

    Returns:
        HxW float32 disparity in pixels, NaN where invalid.

    Raises:
        UnknownNameError: unknown method; ParameterError: a setting it does not take.
    """
    return methods.create(method, left=left, right=right, max_disparity=max_disparity, **params)
