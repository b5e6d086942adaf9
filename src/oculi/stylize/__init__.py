"""Neural style transfer: Gatys et al. optimisation, Johnson et al. feed-forward networks and
AdaIN arbitrary-style decoders (trained with ``oculi train stylize``), colour preservation, and
video style transfer with a temporal-consistency loss on :mod:`oculi.flow`.

Feature network: the registry's ImageNet EfficientNet-Lite0 (offline), or VGG-16/19 from a
weights file the user supplies (:class:`StyleFeatures`, layers chosen by name). Images are HxWx3
RGB uint8 / float [0, 1] at the edges, NCHW float [0, 1] tensors inside.
"""

from oculi.stylize._common import StyleResult
from oculi.stylize.api import load_stylizer, stylize
from oculi.stylize.color import COLOR_MODES, chroma_error, keep_chroma, match_colors
from oculi.stylize.config import StylizeConfig
from oculi.stylize.features import BACKBONES, DEFAULT_LAYERS, StyleFeatures, load_vgg_features
from oculi.stylize.gatys import make_objective, measure_losses, stylize_gatys
from oculi.stylize.losses import StyleObjective, gram_matrix, mean_std, total_variation
from oculi.stylize.nets import AdaINNet, TransformerNet, adain
from oculi.stylize.task import evaluate_stylizer, train_stylizer
from oculi.stylize.video import (
    VideoStyleResult,
    frame_links,
    occlusion_mask,
    stylize_video,
    temporal_warping_error,
)

__all__ = [
    "BACKBONES",
    "COLOR_MODES",
    "DEFAULT_LAYERS",
    "AdaINNet",
    "StyleFeatures",
    "StyleObjective",
    "StyleResult",
    "StylizeConfig",
    "TransformerNet",
    "VideoStyleResult",
    "adain",
    "chroma_error",
    "evaluate_stylizer",
    "frame_links",
    "gram_matrix",
    "keep_chroma",
    "load_stylizer",
    "load_vgg_features",
    "make_objective",
    "match_colors",
    "mean_std",
    "measure_losses",
    "occlusion_mask",
    "stylize",
    "stylize_gatys",
    "stylize_video",
    "temporal_warping_error",
    "total_variation",
    "train_stylizer",
]
