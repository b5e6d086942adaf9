"""Colourisation: lightness in, ab out (CIE Lab). Zhang et al. 2016's classification over the
in-gamut ab bins (soft encoding, class rebalancing, annealed mean), its regression baseline and
a DeOldify-style U-Net trained with the NoGAN recipe; ``oculi train colorize``,
``oculi eval colorize``, ``oculi colorize IMAGE -o out.png --run RUN``. See docs/colorize.md.
"""

from oculi.colorize.api import colorize, load_colorizer, predict_ab
from oculi.colorize.bins import (
    ab_bins,
    annealed_mean,
    bin_colors,
    rebalance_weights,
    smooth_prior,
    soft_encode,
)
from oculi.colorize.config import ColorizeConfig
from oculi.colorize.evaluate import evaluate_colorizer
from oculi.colorize.lab import image_to_lab, lab_to_image, lab_to_rgb, rgb_to_lab
from oculi.colorize.metrics import ab_auc, ab_error_curve, colourfulness
from oculi.colorize.nets import build_colorizer
from oculi.colorize.task import ColorizeTask, train_colorizer

__all__ = [
    "ColorizeConfig",
    "ColorizeTask",
    "ab_auc",
    "ab_bins",
    "ab_error_curve",
    "annealed_mean",
    "bin_colors",
    "build_colorizer",
    "colorize",
    "colourfulness",
    "evaluate_colorizer",
    "image_to_lab",
    "lab_to_image",
    "lab_to_rgb",
    "load_colorizer",
    "predict_ab",
    "rebalance_weights",
    "rgb_to_lab",
    "smooth_prior",
    "soft_encode",
    "train_colorizer",
]
