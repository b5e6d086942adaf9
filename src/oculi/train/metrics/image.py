"""Image-quality metrics: PSNR, SSIM and MS-SSIM, on NCHW float tensors in [0, data_range].

SSIM follows Wang et al. 2004 as torchmetrics and scikit-image (``gaussian_weights=True``) compute
it: an 11-tap Gaussian window with σ = 1.5, K1 = 0.01, K2 = 0.03, the mean over the "valid" region
(no padding), per image then averaged. MS-SSIM (Wang et al. 2003) uses 5 scales with weights
(0.0448, 0.2856, 0.3001, 0.2363, 0.1333), 2x2 average pooling between scales, contrast-structure
terms at the first four and SSIM at the last; the coarsest scale must still hold one whole
window, so the image needs a short side of at least 11 * 2^4 = 176 pixels
(:data:`MS_SSIM_MIN_SIDE`; torchmetrics, which reflect-pads, takes 161).

The Gaussian filtering is separable; on CPU tensors outside autograd it runs through OpenCV's
``sepFilter2D`` plane by plane (far faster than a float64 ``conv2d``), elsewhere (CUDA, or a
tensor that needs a gradient) through two 1-D grouped ``conv2d``.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import torch
import torch.nn.functional as F

from oculi.core.checks import check_positive
from oculi.core.errors import ShapeError

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
#: the smallest image side :func:`ms_ssim` takes with its defaults (five scales of an 11-pixel
#: window: 11 * 2^4)
MS_SSIM_MIN_SIDE = 11 * 2 ** (len(MS_SSIM_WEIGHTS) - 1)


def _pair(pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.shape != target.shape or pred.ndim != 4:
        raise ShapeError(
            f"prediction and target: expected the same NxCxHxW shape, got {tuple(pred.shape)} "
            f"and {tuple(target.shape)}"
        )


def psnr(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB per image ``(N,)``: ``10 log10(R² / MSE)``, inf if equal."""
    _pair(pred, target)
    check_positive(data_range, "data_range")
    mse = ((pred.double() - target.double()) ** 2).flatten(1).mean(1)
    return (10 * torch.log10(data_range**2 / mse)).float()


@cache
def _gauss(size: int, sigma: float) -> np.ndarray:
    """The normalised 1-D Gaussian of ``size`` taps, float64 (read-only: cached)."""
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    g = np.exp(-(x**2) / (2 * sigma**2))
    g /= g.sum()
    g.flags.writeable = False
    return g


def _blur(x: torch.Tensor, size: int, sigma: float) -> torch.Tensor:
    """Separable Gaussian correlation of an NxCxHxW tensor over the window positions inside
    the image ("valid"): Nx C x (H - size + 1) x (W - size + 1), same dtype and device."""
    g = _gauss(size, sigma)
    if x.device.type == "cpu" and not x.requires_grad and x.dtype == torch.float64:
        import cv2

        n, c, h, w = x.shape
        oh, ow, lo = h - size + 1, w - size + 1, size // 2  # OpenCV centres on tap size // 2
        out = np.empty((n * c, oh, ow))
        for i, plane in enumerate(x.reshape(n * c, h, w).contiguous().numpy()):
            full = cv2.sepFilter2D(plane, cv2.CV_64F, g, g, borderType=cv2.BORDER_CONSTANT)
            out[i] = full[lo:lo + oh, lo:lo + ow]
        return torch.from_numpy(out).view(n, c, oh, ow)
    c = x.shape[1]
    w = torch.tensor(g, dtype=x.dtype, device=x.device)
    x = F.conv2d(x, w.view(1, 1, 1, size).expand(c, 1, 1, size), groups=c)
    return F.conv2d(x, w.view(1, 1, size, 1).expand(c, 1, size, 1), groups=c)


def _out_dtype(x: torch.Tensor) -> torch.dtype:
    return torch.promote_types(x.dtype, torch.float32)


def _ssim_maps(pred, target, data_range, size, sigma, k1, k2):
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    x = torch.cat([pred, target, pred * pred, target * target, pred * target])
    mu = _blur(x, size, sigma)
    n = pred.shape[0]
    mx, my, sxx, syy, sxy = mu.split(n)
    vx, vy, cov = sxx - mx * mx, syy - my * my, sxy - mx * my
    cs = (2 * cov + c2) / (vx + vy + c2)
    lum = (2 * mx * my + c1) / (mx * mx + my * my + c1)
    return lum * cs, cs


def ssim(
    pred: torch.Tensor,
    target: torch.Tensor,
    data_range: float = 1.0,
    *,
    kernel_size: int = 11,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> torch.Tensor:
    """Structural similarity per image, ``(N,)`` (mean over channels and valid pixels), computed
    in float64 and returned as float32 (float64 for float64 inputs)."""
    _pair(pred, target)
    if min(pred.shape[-2:]) < kernel_size:
        raise ShapeError(
            f"images: SSIM needs at least {kernel_size} pixels a side, got {tuple(pred.shape[-2:])}"
        )
    p, t = pred.double(), target.double()
    s, _ = _ssim_maps(p, t, data_range, kernel_size, sigma, k1, k2)
    return s.flatten(1).mean(1).to(_out_dtype(pred))


def ms_ssim(
    pred: torch.Tensor,
    target: torch.Tensor,
    data_range: float = 1.0,
    *,
    kernel_size: int = 11,
    sigma: float = 1.5,
    weights: tuple[float, ...] = MS_SSIM_WEIGHTS,
) -> torch.Tensor:
    """Multi-scale SSIM per image, ``(N,)``, float32 (float64 for float64 inputs); negative
    contrast terms are clamped at 0.

    Raises:
        ShapeError: different shapes, or a side shorter than ``kernel_size * 2^(scales - 1)``
            (:data:`MS_SSIM_MIN_SIDE` with the defaults): the coarsest scale needs a window.
    """
    _pair(pred, target)
    need = kernel_size * 2 ** (len(weights) - 1)
    if min(pred.shape[-2:]) < need:
        raise ShapeError(
            f"images: MS-SSIM with {len(weights)} scales needs at least {need} pixels a side, "
            f"got {tuple(pred.shape[-2:])}"
        )
    p, t = pred.double(), target.double()
    vals = []
    for i in range(len(weights)):
        s, cs = _ssim_maps(p, t, data_range, kernel_size, sigma, 0.01, 0.03)
        last = i == len(weights) - 1
        vals.append((s if last else cs).flatten(1).mean(1).clamp_min(0))
        if not last:
            p, t = F.avg_pool2d(p, 2), F.avg_pool2d(t, 2)
    w = torch.tensor(weights, dtype=torch.float64)
    out = torch.stack(vals, 1) ** w
    return out.prod(1).to(_out_dtype(pred))


class ImageQuality:
    """Streaming mean PSNR / SSIM / MS-SSIM over batches (per-image values summed, not stored)."""

    def __init__(self, data_range: float = 1.0, *, ms: bool = False) -> None:
        self.data_range, self.ms = data_range, ms
        self.reset()

    def reset(self) -> None:
        self.n = 0
        self.sums = {"psnr": 0.0, "ssim": 0.0, "ms_ssim": 0.0}
        self.inf = 0

    def update(self, pred: torch.Tensor, target: torch.Tensor) -> None:
        p = psnr(pred, target, self.data_range)
        finite = torch.isfinite(p)
        self.inf += int((~finite).sum())
        self.sums["psnr"] += float(p[finite].sum())
        self.sums["ssim"] += float(ssim(pred, target, self.data_range).sum())
        if self.ms:
            self.sums["ms_ssim"] += float(ms_ssim(pred, target, self.data_range).sum())
        self.n += pred.shape[0]

    def compute(self) -> dict[str, float]:
        n = max(self.n, 1)
        out = {
            "psnr": self.sums["psnr"] / max(self.n - self.inf, 1)
            if self.n > self.inf
            else math.inf,
            "ssim": self.sums["ssim"] / n,
            "images": self.n,
        }
        if self.ms:
            out["ms_ssim"] = self.sums["ms_ssim"] / n
        return out
