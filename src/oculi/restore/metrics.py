"""Full-reference image quality: PSNR and SSIM, on RGB or on the luma (Y) channel, with a border
shaved (the super-resolution convention: ``shave = scale``).

Both images are compared in [0, 1] units: uint8 is divided by 255, uint16 by 65535, float must
already lie in [0, 1]. ``y_channel=True`` scores the Y of YCbCr as MATLAB's ``rgb2ycbcr`` defines
it (ITU-R BT.601, studio range): ``Y = (16 + 65.481 R + 128.553 G + 24.966 B) / 255`` for R, G, B
in [0, 1]; Y is not rounded to 8 bits. The peak of the PSNR is then 1 (= 255 on the 8-bit scale),
as in the SR literature's MATLAB scripts.

SSIM (:func:`oculi.train.metrics.image.ssim` on the float64 planes) follows Wang et al.
(2004): an 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03,
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
    import torch

    from oculi.train.metrics.image import ssim as batch_ssim

    fa, fb = _prepare(image1, image2, y_channel, shave)
    if min(fa.shape[:2]) < 11:
        raise ShapeError("image1: SSIM needs at least 11x11 pixels (after shaving), got "
                         f"{fa.shape[0]}x{fa.shape[1]}")
    a, b = (torch.from_numpy(np.atleast_3d(f).transpose(2, 0, 1)[None]) for f in (fa, fb))
    return float(batch_ssim(a, b)[0])
