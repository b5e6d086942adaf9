"""Full-reference image quality: PSNR and SSIM, on RGB or on the luma (Y) channel, with a border
shaved (the super-resolution convention: ``shave = scale``).

Both images are compared in [0, 1] units: uint8 is divided by 255, uint16 by 65535, float must
already lie in [0, 1]. ``y_channel=True`` scores the Y of YCbCr as MATLAB's ``rgb2ycbcr`` defines
it (ITU-R BT.601, studio range): ``Y = (16 + 65.481 R + 128.553 G + 24.966 B) / 255`` for R, G, B
in [0, 1]; Y is not rounded to 8 bits. The peak of the PSNR is then 1 (= 255 on the 8-bit scale),
as in the SR literature's MATLAB scripts.

SSIM follows Wang et al. (2004): an 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03,
statistics over the window with population (biased) variances, averaged over the window
positions that lie wholly inside the image (MATLAB's ``filter2(..., 'valid')``); colour images
average the per-channel scores. It equals
``skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5,
use_sample_covariance=False, data_range=1)``.

    >>> import numpy as np
    >>> from oculi.restore import psnr
    >>> a = np.zeros((8, 8), np.uint8); b = a.copy(); b[0, 0] = 255
    >>> round(psnr(a, b), 2)   # MSE = 1/64 of the peak squared
    18.06
"""

from __future__ import annotations

import numpy as np

from oculi.core.checks import check_image, check_same_size
from oculi.core.errors import ParameterError, ShapeError

#: BT.601 studio-range luma: Y = (16 + [65.481, 128.553, 24.966] . RGB) / 255, RGB in [0, 1]
_Y_WEIGHTS = np.array([65.481, 128.553, 24.966]) / 255.0
_Y_OFFSET = 16.0 / 255.0


def rgb_to_y(image: np.ndarray) -> np.ndarray:
    """The Y (luma) channel of YCbCr as MATLAB's ``rgb2ycbcr`` computes it, in [0, 1] units.

    Args:
        image: HxWx3 RGB (or HxWx4, alpha ignored), uint8, uint16 or float in [0, 1].

    Returns:
        HxW float64 in [16/255, 235/255] (not rounded).
    """
    check_image(image, "image", channels=(3, 4))
    rgb = _as_unit(image)[..., :3]
    return rgb @ _Y_WEIGHTS + _Y_OFFSET


def _as_unit(image: np.ndarray) -> np.ndarray:
    """float64 in [0, 1] by the dtype's range."""
    if image.dtype == np.uint8:
        return image.astype(np.float64) / 255.0
    if image.dtype == np.uint16:
        return image.astype(np.float64) / 65535.0
    return image.astype(np.float64)


def _prepare(a: np.ndarray, b: np.ndarray, y_channel: bool, shave: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """Both images as float64 [0, 1] HxWxC (or HxW for Y), border shaved."""
    check_image(a, "image1")
    check_image(b, "image2")
    check_same_size(a, b, ("image1", "image2"))
    if not (isinstance(shave, int | np.integer) and shave >= 0):
        raise ParameterError(f"shave: expected an int >= 0 (pixels), got {shave!r}")
    if y_channel and a.ndim == 3 and a.shape[2] in (3, 4):
        fa, fb = rgb_to_y(a), rgb_to_y(b)
    else:
        if y_channel and not (a.ndim == 2 or a.shape[2] == 1):
            raise ShapeError(f"image1: y_channel needs RGB or gray images, got {a.shape}")
        fa, fb = _as_unit(a), _as_unit(b)
    if shave:
        h, w = fa.shape[:2]
        if h <= 2 * shave or w <= 2 * shave:
            raise ShapeError(f"image1: a {h}x{w} image leaves nothing after shaving {shave} "
                             "pixels at each border")
        fa, fb = fa[shave:h - shave, shave:w - shave], fb[shave:h - shave, shave:w - shave]
    return fa, fb


def psnr(image1: np.ndarray, image2: np.ndarray, *, y_channel: bool = False,
         shave: int = 0) -> float:
    """Peak signal-to-noise ratio in dB, ``10 log10(1 / MSE)`` in [0, 1] units.

    Args:
        image1, image2: the same shape; HxW or HxWxC; uint8, uint16 or float in [0, 1]
            (compared after dividing by the dtype's range, so uint8 vs float works).
        y_channel: score the BT.601 Y channel of RGB images (module docstring).
        shave: pixels removed at each border before scoring.

    Returns:
        PSNR in dB; ``inf`` for identical images.
    """
    fa, fb = _prepare(image1, image2, y_channel, shave)
    mse = float(np.mean((fa - fb) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(1.0 / mse))


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-(x ** 2) / (2.0 * sigma ** 2))
    return g / g.sum()


def _filter_valid(image: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Separable correlation with ``g`` along both axes, keeping only full-window positions."""
    from numpy.lib.stride_tricks import sliding_window_view

    rows = sliding_window_view(image, g.size, axis=0) @ g
    return sliding_window_view(rows, g.size, axis=1) @ g


def _ssim_channel(a: np.ndarray, b: np.ndarray, g: np.ndarray) -> float:
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    mu_a, mu_b = _filter_valid(a, g), _filter_valid(b, g)
    var_a = _filter_valid(a * a, g) - mu_a ** 2
    var_b = _filter_valid(b * b, g) - mu_b ** 2
    cov = _filter_valid(a * b, g) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2)
    return float(np.mean(num / den))


def ssim(image1: np.ndarray, image2: np.ndarray, *, y_channel: bool = False,
         shave: int = 0) -> float:
    """Structural similarity (Wang et al. 2004; Gaussian 11x11 window, sigma 1.5).

    Args:
        image1, image2: as for :func:`psnr`; at least 11x11 pixels after shaving.
        y_channel: score the BT.601 Y channel of RGB images.
        shave: pixels removed at each border before scoring.

    Returns:
        Mean SSIM in [-1, 1] (1 = identical); colour: the mean over channels.

    Raises:
        ShapeError: fewer than 11x11 pixels left to score.
    """
    fa, fb = _prepare(image1, image2, y_channel, shave)
    g = _gaussian_window()
    if min(fa.shape[:2]) < g.size:
        raise ShapeError(f"image1: SSIM needs at least {g.size}x{g.size} pixels (after "
                         f"shaving), got {fa.shape[0]}x{fa.shape[1]}")
    if fa.ndim == 2:
        return _ssim_channel(fa, fb, g)
    return float(np.mean([_ssim_channel(fa[..., c], fb[..., c], g) for c in range(fa.shape[2])]))
