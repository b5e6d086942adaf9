"""The result type every detector returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Detections:
    """Objects found in one image.

    Attributes:
        boxes: ``(n, 4)`` float32 ``xyxy`` pixels of the input image.
        scores: ``(n,)`` float32 confidences (classical detectors: their own margin/levels).
        labels: ``(n,)`` int64 class labels ``1..K``.
        names: ``n`` class names.
        masks: Mask R-CNN only: ``(n, H, W)`` float32 soft instance masks in [0, 1] on the input
            image's grid (None for box detectors); :func:`oculi.segment.labels_from_detections`
            turns them into one label image.
    """

    boxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    names: list[str] = field(default_factory=list)
    masks: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.boxes)

    def to_dict(self) -> list[dict[str, Any]]:
        """JSON-friendly list of ``{"box": [x0, y0, x1, y1], "score", "label", "name"}``."""
        return [{"box": [round(float(v), 2) for v in b], "score": round(float(s), 4),
                 "label": int(lab), "name": n}
                for b, s, lab, n in zip(self.boxes, self.scores, self.labels, self.names,
                                        strict=True)]
