"""Panoptic segmentation: Panoptic FPN (Mask R-CNN's instance branch and a semantic FPN head on
one FPN, merged by the paper's heuristic) and its semantic-only baseline, trained as the
``panoptic`` task and scored by panoptic quality (:mod:`oculi.segment.panoptic`).

It lives apart from :mod:`oculi.detect` and :mod:`oculi.segment` because it joins them: the
instance branch is the ``maskrcnn`` detector, the metric, the merge and the data reading are
segmentation's.
"""

from oculi.panoptic.config import PANOPTIC_ARCHS, PanopticConfig
from oculi.panoptic.model import PanopticFPN, SemanticFPNHead, rebuild
from oculi.panoptic.task import (
    PanopticFolder,
    PanopticTask,
    evaluate_dataset,
    evaluate_panoptic,
    load_panoptic,
    train_panoptic,
)

__all__ = [
    "PANOPTIC_ARCHS",
    "PanopticConfig",
    "PanopticFPN",
    "PanopticFolder",
    "PanopticTask",
    "SemanticFPNHead",
    "evaluate_dataset",
    "evaluate_panoptic",
    "load_panoptic",
    "rebuild",
    "train_panoptic",
]
