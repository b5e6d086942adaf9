"""Classical detectors: the Dalal–Triggs HOG people detector OpenCV ships, and the greedy
non-maximum suppression every classical detector ends with (the face detectors are in
:mod:`oculi.detect.faces`).

    >>> from oculi.data import load
    >>> dets = detect_people(load("rocket"))
    >>> len(dets), dets.names[0]
    (1, 'person')
"""

from __future__ import annotations

import numpy as np

from oculi.core.checks import check_image
from oculi.core.convert import ensure_uint8, to_rgb
from oculi.core.deprecation import renamed_parameters
from oculi.detect.types import Detections


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float = 0.5) -> np.ndarray:
    """Greedy non-maximum suppression.

    Args:
        boxes: ``(n, 4)`` xyxy pixels.
        scores: ``(n,)``.
        iou_threshold: a box overlapping a higher-scored kept box by more than this is dropped.

    Returns:
        Indices of the kept boxes, highest score first.

    >>> nms(np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], float),
    ...     np.array([0.9, 0.8, 0.7])).tolist()
    [0, 2]
    """
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    order = np.argsort(-np.asarray(scores, np.float64), kind="stable")
    area = (b[:, 2] - b[:, 0]).clip(0) * (b[:, 3] - b[:, 1]).clip(0)
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        xx0 = np.maximum(b[i, 0], b[rest, 0])
        yy0 = np.maximum(b[i, 1], b[rest, 1])
        xx1 = np.minimum(b[i, 2], b[rest, 2])
        yy1 = np.minimum(b[i, 3], b[rest, 3])
        inter = (xx1 - xx0).clip(0) * (yy1 - yy0).clip(0)
        iou = inter / np.maximum(area[i] + area[rest] - inter, 1e-12)
        order = rest[iou <= iou_threshold]
    return np.array(keep, np.int64)


def _result(rects: np.ndarray, scores: np.ndarray, name: str, score_threshold: float | None,
            iou_threshold: float) -> Detections:
    rects = np.asarray(rects, np.float32).reshape(-1, 4)
    boxes = np.concatenate([rects[:, :2], rects[:, :2] + rects[:, 2:]], 1)
    scores = np.asarray(scores, np.float32).reshape(-1)
    if score_threshold is not None:
        ok = scores >= score_threshold
        boxes, scores = boxes[ok], scores[ok]
    keep = nms(boxes, scores, iou_threshold)
    return Detections(boxes[keep], scores[keep], np.ones(len(keep), np.int64),
                      [name] * len(keep))


@renamed_parameters(score="score_threshold", iou="iou_threshold")
def detect_people(image: np.ndarray, *, score_threshold: float | None = 0.5,
                  iou_threshold: float = 0.3, scale: float = 1.05,
                  stride: int = 8) -> Detections:
    """Pedestrians with OpenCV's HOG + linear SVM (64x128 window, Dalal & Triggs 2005).

    Args:
        image: HxWx3 RGB or HxW gray, uint8 or float in [0, 1].
        score_threshold: minimum SVM margin kept (None keeps all).
        iou_threshold: NMS overlap threshold.
        scale: pyramid scale step; stride: window step in pixels.

    Returns:
        :class:`Detections` (label 1, name ``person``; scores are SVM margins); none for an
        image smaller than the 64x128 window plus its 8-pixel padding (OpenCV's
        ``detectMultiScale`` corrupted the heap on a 1x1 image and killed the process).
    """
    import cv2

    img = ensure_uint8(to_rgb(check_image(image)))
    if img.shape[0] < 128 - 16 or img.shape[1] < 64 - 16:  # no window fits, even padded
        return _result(np.zeros((0, 4)), np.zeros(0), "person", score_threshold, iou_threshold)
    hog = cv2.HOGDescriptor()
    hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    rects, weights = hog.detectMultiScale(img, winStride=(stride, stride), padding=(8, 8),
                                          scale=scale)
    return _result(np.asarray(rects), np.asarray(weights), "person", score_threshold,
                   iou_threshold)
