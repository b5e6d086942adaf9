"""Noise-level estimation: the standard deviation of additive white Gaussian noise in an image.

Two estimators, both in 8-bit grey levels (0..255) whatever the input dtype:

- ``"mad"`` (default) — the wavelet median estimator (Donoho & Johnstone 1994): the finest
  diagonal Haar detail coefficients ``(a - b - c + d) / 2`` of 2x2 blocks have the noise's
  standard deviation and little image content; ``sigma = median(|HH|) / 0.6745``. Robust to
  edges and texture.
- ``"immerkaer"`` — Immerkær (1996), "Fast noise variance estimation": the image convolved with
  the difference of two Laplacians ``[[1, -2, 1], [-2, 4, -2], [1, -2, 1]]``;
  ``sigma = sqrt(pi / 2) / (6 (W - 2) (H - 2)) * sum |I * N|``. Fast, but textured images read
  as noisier than they are.

Colour images average the per-channel estimates (as ``skimage.restoration.estimate_sigma(...,
average_sigmas=True)`` does).

    >>> import numpy as np
    >>> from oculi.restore import estimate_noise
    >>> rng = np.random.default_rng(0)
    >>> noisy = np.clip(128 + rng.normal(0, 10, (256, 256)), 0, 255).astype(np.uint8)
    >>> round(estimate_noise(noisy), 0)
    10.0
"""

from __future__ import annotations

import numpy as np

from oculi.core.checks import check_choice
from oculi.restore._common import split

_LAPLACE_DIFF = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float64)


def _mad(channel: np.ndarray) -> float:
    h, w = (channel.shape[0] // 2) * 2, (channel.shape[1] // 2) * 2
    c = channel[:h, :w]
    hh = (c[0::2, 0::2] - c[0::2, 1::2] - c[1::2, 0::2] + c[1::2, 1::2]) / 2.0
    return float(np.median(np.abs(hh)) / 0.6745)


def _immerkaer(channel: np.ndarray) -> float:
    from scipy.signal import convolve2d

    h, w = channel.shape
    total = np.abs(convolve2d(channel, _LAPLACE_DIFF, mode="valid")).sum()
    return float(np.sqrt(np.pi / 2.0) * total / (6.0 * (w - 2) * (h - 2)))


def estimate_noise(image: np.ndarray, method: str = "mad") -> float:
    """The standard deviation of the image's Gaussian noise, in 8-bit grey levels.

    Args:
        image: HxW or HxWx3(x4: alpha ignored); uint8, uint16 or float in [0, 1]; >= 4x4 pixels.
        method: ``"mad"`` or ``"immerkaer"`` (module docstring).

    Returns:
        sigma on the 0..255 scale (a float image's estimate times 255).
    """
    check_choice(method, ("mad", "immerkaer"), "method")
    work, _ = split(image)
    values = work.astype(np.float64) * 255.0
    fn = _mad if method == "mad" else _immerkaer
    if values.ndim == 2:
        return fn(values)
    return float(np.mean([fn(values[..., c]) for c in range(values.shape[2])]))
