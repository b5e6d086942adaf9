"""OpenCV's dense flow methods behind the oculi interface: Farneback, DIS and TV-L1.

Each takes two frames (HxW or HxWx3 RGB, uint8 or float in [0, 1]), converts them to 8-bit grey
and returns HxWx2 float32 flow in pixels from frame 1 to frame 2.
"""

from __future__ import annotations

import numpy as np

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import MissingDependencyError, ParameterError, ShapeError
from oculi.flow._base import methods, uint8_gray_pair


def farneback(
    image1: np.ndarray,
    image2: np.ndarray,
    *,
    pyramid_scale: float = 0.5,
    levels: int = 5,
    window: int = 21,
    iterations: int = 5,
    poly_n: int = 5,
    poly_sigma: float = 1.1,
    gaussian: bool = True,
) -> np.ndarray:
    """Farnebäck's polynomial-expansion flow (``cv2.calcOpticalFlowFarneback``).

    Args:
        image1, image2: frames of the same size and channel count.
        pyramid_scale: size ratio between pyramid levels, in (0, 1).
        levels: pyramid levels (1 = single scale).
        window: averaging window, pixels (odd is customary).
        iterations: iterations per level.
        poly_n: neighbourhood of the polynomial expansion, 5 or 7 pixels.
        poly_sigma: Gaussian sigma of the expansion (1.1 for ``poly_n=5``, 1.5 for 7).
        gaussian: Gaussian instead of box averaging window (slower, more accurate).

    Returns:
        HxWx2 float32 flow, pixels.
    """
    import cv2

    if not 0.0 < pyramid_scale < 1.0:
        raise ParameterError(f"pyramid_scale: expected a number in (0, 1), got {pyramid_scale!r}")
    if poly_n not in (5, 7):
        raise ParameterError(f"poly_n: expected 5 or 7, got {poly_n!r}")
    for value, name in ((levels, "levels"), (window, "window"), (iterations, "iterations")):
        check_positive(value, name)
    a, b = uint8_gray_pair(image1, image2)
    flags = cv2.OPTFLOW_FARNEBACK_GAUSSIAN if gaussian else 0
    flow = cv2.calcOpticalFlowFarneback(a, b, None, pyramid_scale, int(levels), int(window),
                                        int(iterations), int(poly_n), float(poly_sigma), flags)
    return flow.astype(np.float32, copy=False)


_DIS_PRESETS = {"ultrafast": 0, "fast": 1, "medium": 2}


def dis(image1: np.ndarray, image2: np.ndarray, *, preset: str = "medium",
        variational_iterations: int | None = None) -> np.ndarray:
    """Dense Inverse Search (Kroeger et al. 2016, ``cv2.DISOpticalFlow``).

    Args:
        image1, image2: frames of the same size and channel count.
        preset: ``"ultrafast"``, ``"fast"`` or ``"medium"`` (OpenCV's presets).
        variational_iterations: override the preset's variational refinement iterations.

    Returns:
        HxWx2 float32 flow, pixels.
    """
    import cv2

    check_choice(preset, _DIS_PRESETS, "preset")
    a, b = uint8_gray_pair(image1, image2)
    if max(a.shape) < 12:
        raise ShapeError(f"image1: dis needs a side of at least 12 pixels, got {a.shape[0]}x"
                         f"{a.shape[1]} — use hs or lk for tiny frames")
    algo = cv2.DISOpticalFlow_create(_DIS_PRESETS[preset])
    if variational_iterations is not None:
        check_positive(variational_iterations, "variational_iterations", allow_zero=True)
        algo.setVariationalRefinementIterations(int(variational_iterations))
    return algo.calc(a, b, None).astype(np.float32, copy=False)


def tvl1(image1: np.ndarray, image2: np.ndarray, *, lambda_: float = 0.15, tau: float = 0.25,
         theta: float = 0.3, scales: int = 5, scale_step: float = 0.5, warps: int = 5,
         epsilon: float = 0.01,
         inner_iterations: int = 30, outer_iterations: int = 10) -> np.ndarray:
    """Dual TV-L1 (Zach, Pock & Bischof 2007; ``cv2.optflow.DualTVL1OpticalFlow``).

    Args:
        image1, image2: frames of the same size and channel count.
        lambda_: data-term weight (larger: less smooth).
        tau: time step of the numerical scheme.
        theta: coupling between the two sub-problems.
        scales: pyramid levels.
        scale_step: size ratio between levels (OpenCV's default 0.8 with 5 levels cannot follow
            the ~20 px motions of Middlebury's Urban2).
        warps: warps per level.
        epsilon: stopping tolerance.
        inner_iterations, outer_iterations: iteration caps.

    Returns:
        HxWx2 float32 flow, pixels.

    Raises:
        MissingDependencyError: the installed OpenCV lacks the contrib ``optflow`` module.
    """
    import cv2

    if not hasattr(cv2, "optflow"):
        raise MissingDependencyError(
            "tvl1 needs OpenCV's contrib module cv2.optflow — install "
            "opencv-contrib-python-headless"
        )
    check_positive(lambda_, "lambda_")
    a, b = uint8_gray_pair(image1, image2)
    algo = cv2.optflow.DualTVL1OpticalFlow_create(
        tau=float(tau), lambda_=float(lambda_), theta=float(theta), nscales=int(scales),
        warps=int(warps), epsilon=float(epsilon), innnerIterations=int(inner_iterations),
        outerIterations=int(outer_iterations), scaleStep=float(scale_step),
    )
    return algo.calc(a, b, None).astype(np.float32, copy=False)


methods.register("farneback", farneback, help="Farnebäck polynomial expansion (OpenCV)")
methods.register("dis", dis, help="Dense Inverse Search, medium preset (OpenCV)")
methods.register("tvl1", tvl1, help="Dual TV-L1 (OpenCV contrib)", aliases=("tv-l1",))
