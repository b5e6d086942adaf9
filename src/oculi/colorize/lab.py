"""CIE L*a*b* (D65 white, sRGB primaries) on torch tensors, for losses and critics that need the
colour image of a predicted ``ab``: the same formulas as :func:`skimage.color.rgb2lab` /
:func:`skimage.color.lab2rgb` (tested against them), differentiable, NCHW.

Ranges: ``L`` in [0, 100]; ``a``, ``b`` roughly in [-110, 110] for sRGB colours.
"""

from __future__ import annotations

import numpy as np
import torch

from oculi.core.checks import check_image
from oculi.core.convert import ensure_float01

#: sRGB (linear) -> XYZ, D65
_RGB2XYZ = ((0.412453, 0.357580, 0.180423),
            (0.212671, 0.715160, 0.072169),
            (0.019334, 0.119193, 0.950227))
#: XYZ -> sRGB (linear), its inverse (computed once, not per call)
_XYZ2RGB = np.linalg.inv(np.array(_RGB2XYZ)).tolist()
#: the D65 reference white of skimage (2-degree observer)
_WHITE = (0.95047, 1.0, 1.08883)
_EPS = 216.0 / 24389.0  # (6/29)^3
_KAPPA = 24389.0 / 27.0


def _matrix(m, x: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,njhw->nihw", x.new_tensor(m), x)


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """sRGB ``N x 3 x H x W`` float in [0, 1] -> Lab ``N x 3 x H x W`` (L 0..100)."""
    lin = torch.where(rgb > 0.04045, ((rgb.clamp_min(0.04045) + 0.055) / 1.055) ** 2.4,
                      rgb / 12.92)
    xyz = _matrix(_RGB2XYZ, lin) / lin.new_tensor(_WHITE).view(1, 3, 1, 1)
    f = torch.where(xyz > _EPS, xyz.clamp_min(_EPS) ** (1.0 / 3.0), (_KAPPA * xyz + 16) / 116)
    return torch.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])],
                       1)


def lab_to_rgb(lab: torch.Tensor, clip: bool = True) -> torch.Tensor:
    """Lab ``N x 3 x H x W`` -> sRGB ``N x 3 x H x W`` float, clipped to [0, 1] when ``clip``
    (as skimage: a negative Z is set to 0, then out-of-gamut channels are clipped)."""
    fy = (lab[:, 0] + 16) / 116
    f = torch.stack([fy + lab[:, 1] / 500, fy, (fy - lab[:, 2] / 200).clamp_min(0)], 1)
    xyz = torch.where(f > 6.0 / 29.0, f ** 3, (116 * f - 16) / _KAPPA)
    xyz = xyz * lab.new_tensor(_WHITE).view(1, 3, 1, 1)
    lin = _matrix(_XYZ2RGB, xyz)
    rgb = torch.where(lin > 0.0031308, 1.055 * lin.clamp_min(0.0031308) ** (1 / 2.4) - 0.055,
                      12.92 * lin)
    return rgb.clamp(0, 1) if clip else rgb


def image_to_lab(image: np.ndarray, name: str = "image") -> np.ndarray:
    """An RGB (or gray) uint8 / float [0, 1] ``H x W [x 3]`` image -> float32 Lab ``H x W x 3``."""
    from skimage.color import rgb2lab

    from oculi.core.convert import to_rgb

    check_image(image, name)
    return rgb2lab(ensure_float01(to_rgb(image))).astype(np.float32)


def lab_to_image(lab: np.ndarray) -> np.ndarray:
    """Float Lab ``H x W x 3`` -> uint8 RGB ``H x W x 3`` (out-of-gamut colours clipped)."""
    import warnings

    from skimage.color import lab2rgb

    from oculi.core.convert import ensure_uint8

    with warnings.catch_warnings():  # skimage warns about the negative Z values it clips
        warnings.simplefilter("ignore")
        return ensure_uint8(np.clip(lab2rgb(lab.astype(np.float64)), 0, 1).astype(np.float32))
