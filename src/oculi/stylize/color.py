"""Colour preservation for style transfer (Gatys, Bethge, Hertzmann & Shechtman 2016,
"Preserving colour in neural artistic style transfer"):

- ``luminance``: transfer on luminance only (YUV, BT.601) and put back the content's chroma;
  :func:`luminance_only` prepares the two grey inputs (the style's luminance matched to the
  content's mean and standard deviation), :func:`keep_chroma` recombines;
- ``histogram``: recolour the style image so its colour mean and covariance equal the content's
  before the transfer (:func:`match_colors`).

Images are HxWx3 RGB, uint8 or float32 in [0, 1]; results are float32 in [0, 1].
"""

from __future__ import annotations

import numpy as np

from oculi.core.checks import check_image
from oculi.core.convert import ensure_float01

#: the colour preservation choices (None: off)
COLOR_MODES = ("luminance", "histogram")

_RGB2YUV = np.array([[0.299, 0.587, 0.114],
                     [-0.14713, -0.28886, 0.436],
                     [0.615, -0.51499, -0.10001]], np.float32)
_YUV2RGB = np.linalg.inv(_RGB2YUV).astype(np.float32)


def rgb_to_yuv(image: np.ndarray) -> np.ndarray:
    """HxWx3 RGB -> float32 YUV (BT.601: Y in [0, 1], U in ±0.436, V in ±0.615)."""
    x = ensure_float01(check_image(image, channels=(3,)))
    return x @ _RGB2YUV.T


def yuv_to_rgb(yuv: np.ndarray) -> np.ndarray:
    """Float YUV (BT.601) -> float32 RGB clipped to [0, 1]."""
    return np.clip(yuv.astype(np.float32) @ _YUV2RGB.T, 0.0, 1.0)


def _resize(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    import cv2

    if image.shape[:2] == shape:
        return image
    return cv2.resize(image, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def keep_chroma(stylized: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The stylised image's luminance with the content's chroma (U, V), float32 RGB.

    The content is resized to the stylised image's size when they differ.
    """
    y = rgb_to_yuv(stylized)[..., :1]
    uv = rgb_to_yuv(_resize(ensure_float01(content), stylized.shape[:2]))[..., 1:]
    return yuv_to_rgb(np.concatenate([y, uv], axis=2))


def luminance_only(content: np.ndarray, style: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grey (3 equal channels) float32 versions of content and style for a luminance-only
    transfer; the style's luminance is shifted and scaled to the content's mean and std."""
    yc = rgb_to_yuv(content)[..., 0]
    ys = rgb_to_yuv(style)[..., 0]
    ys = (ys - ys.mean()) * (yc.std() / max(float(ys.std()), 1e-6)) + yc.mean()
    grey = [np.repeat(np.clip(y, 0, 1)[..., None], 3, axis=2).astype(np.float32)
            for y in (yc, ys)]
    return grey[0], grey[1]


def _sqrtm(cov: np.ndarray, inverse: bool = False) -> np.ndarray:
    vals, vecs = np.linalg.eigh(cov)
    vals = np.clip(vals, 1e-8, None) ** (-0.5 if inverse else 0.5)
    return (vecs * vals) @ vecs.T


def match_colors(style: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Recolour ``style`` linearly so its RGB mean and covariance equal ``content``'s.

    ``x' = A (x − μ_s) + μ_c`` with ``A = Σ_c^{1/2} Σ_s^{-1/2}`` (symmetric square roots).

    Returns:
        float32 HxWx3 RGB in [0, 1], the style's size.
    """
    s = ensure_float01(check_image(style, "style", channels=(3,))).reshape(-1, 3).astype(
        np.float64)
    c = ensure_float01(check_image(content, "content", channels=(3,))).reshape(-1, 3).astype(
        np.float64)
    eps = 1e-5 * np.eye(3)
    a = _sqrtm(np.cov(c.T) + eps) @ _sqrtm(np.cov(s.T) + eps, inverse=True)
    out = (s - s.mean(0)) @ a.T + c.mean(0)
    return np.clip(out, 0, 1).reshape((*style.shape[:2], 3)).astype(np.float32)


def chroma_error(image: np.ndarray, reference: np.ndarray) -> float:
    """Mean absolute difference of the U and V planes of two same-size RGB images."""
    a, b = rgb_to_yuv(image)[..., 1:], rgb_to_yuv(_resize(ensure_float01(reference),
                                                           image.shape[:2]))[..., 1:]
    return float(np.abs(a - b).mean())
