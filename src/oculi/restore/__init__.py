"""Image restoration: super-resolution, denoising and low-light enhancement, scored with PSNR and
SSIM against a reference.

    upscale(image, 4, "espcn", model_path="ESPCN_x4.pb")   # or "bicubic", "lanczos"
    denoise(image, sigma=None, method="nlm")                # sigma estimated; or "bm3d"
    enhance(image, "lime")                                  # gamma, clahe, msrcr, zero-dce(++)
    psnr(reference, result, y_channel=True, shave=4)

The methods of each problem live in one registry (``upscalers``, ``denoisers``, ``enhancers``).
Every function takes HxW / HxWx3 / HxWx4 images in uint8, uint16 or float [0, 1] and returns the
input's dtype (16-bit and alpha handling: :mod:`oculi.restore._common`). ``imresize`` is MATLAB's
antialiased bicubic resize, the degradation of the SR literature. Importing this package does not
import torch (the Zero-DCE networks in :mod:`oculi.restore.zero_dce` import it on first use).
"""

from oculi.restore._common import MIN_SIZE
from oculi.restore.denoise import denoise, denoisers, nlm_parameters
from oculi.restore.lowlight import enhance, enhancers
from oculi.restore.metrics import psnr, rgb_to_y, ssim
from oculi.restore.noise import estimate_noise
from oculi.restore.resize import imresize, resize_weights
from oculi.restore.sr import model_file_info, upscale, upscalers
from oculi.restore.tiles import tiled

__all__ = [
    "MIN_SIZE",
    "denoise",
    "denoisers",
    "enhance",
    "enhancers",
    "estimate_noise",
    "imresize",
    "model_file_info",
    "nlm_parameters",
    "psnr",
    "resize_weights",
    "rgb_to_y",
    "ssim",
    "tiled",
    "upscale",
    "upscalers",
]
