"""Explainability for CNNs: CAM family, gradient methods, SmoothGrad and faithfulness metrics."""

from oculi.explain._base import Explanation, methods, normalize_maps
from oculi.explain.cam import cam, features, gradcam, gradcampp, hirescam, layercam, scorecam

__all__ = [
    "Explanation",
    "cam",
    "features",
    "gradcam",
    "gradcampp",
    "hirescam",
    "layercam",
    "methods",
    "normalize_maps",
    "scorecam",
]
