"""Classical detectors with the models OpenCV ships: Dalal–Triggs HOG people detector and
Viola–Jones Haar cascades (``cv2.data``), each followed by non-maximum suppression.

    >>> from oculi.data import load
    >>> dets = detect_faces(load("astronaut"))
    >>> len(dets), dets.names[0]
    (1, 'face')
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from oculi.core.checks import check_image
from oculi.core.convert import ensure_uint8, to_gray, to_rgb
from oculi.core.deprecation import renamed_parameters
from oculi.core.errors import MissingDependencyError
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
        :class:`Detections` (label 1, name ``person``; scores are SVM margins).
    """
    import cv2

    img = ensure_uint8(to_rgb(check_image(image)))
    hog = cv2.HOGDescriptor()
    hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    rects, weights = hog.detectMultiScale(img, winStride=(stride, stride), padding=(8, 8),
                                          scale=scale)
    return _result(np.asarray(rects), np.asarray(weights), "person", score_threshold,
                   iou_threshold)


_CASCADES = {"face": "haarcascade_frontalface_default.xml"}


def cascade_path(cascade: str = "face") -> Path:
    """The cascade XML for ``cascade``: OpenCV's Haar file from ``cv2.data`` when the OpenCV
    build ships it; otherwise (the opencv-contrib 5 wheels ship no data files) the LBP
    frontal-face cascade that scikit-image ships, in OpenCV's format (one misspelt key
    repaired, written once to the temp folder). Any other value is a path to a cascade XML."""
    import tempfile

    import cv2

    if cascade not in _CASCADES:
        return Path(cascade)
    haar = Path(getattr(cv2, "data", None).haarcascades if hasattr(cv2, "data") else "")
    if (haar / _CASCADES[cascade]).is_file():
        return haar / _CASCADES[cascade]
    from skimage.data import lbp_frontal_face_cascade_filename

    out = Path(tempfile.gettempdir()) / "oculi_lbpcascade_frontalface.xml"
    if not out.is_file():
        text = Path(lbp_frontal_face_cascade_filename()).read_text()
        from oculi.core.atomic import write_text_atomic

        write_text_atomic(out, text.replace("featuhreParams", "featureParams"))
    return out


@renamed_parameters(score="score_threshold", iou="iou_threshold")
def detect_faces(image: np.ndarray, *, score_threshold: float | None = None,
                 iou_threshold: float = 0.3,
                 scale: float = 1.1, min_neighbors: int = 5, min_size: int = 24,
                 cascade: str = "face") -> Detections:
    """Frontal faces with OpenCV's Viola–Jones cascade (see :func:`cascade_path` for the file).

    Args:
        image: HxWx3 RGB or HxW gray, uint8 or float in [0, 1].
        score_threshold: minimum cascade level weight kept (None keeps all).
        iou_threshold: NMS overlap threshold.
        scale, min_neighbors, min_size: ``detectMultiScale`` parameters (pyramid step, votes
            needed, smallest face in pixels).
        cascade: a key of the shipped cascades (``face``) or a path to a cascade XML.

    Returns:
        :class:`Detections` (label 1, name ``face``; scores are the last stage's level weight).
    """
    import cv2

    path = cascade_path(cascade)
    clf = cv2.CascadeClassifier(str(path))
    if clf.empty():
        raise MissingDependencyError(f"cascade: cannot load {path} — is opencv-contrib "
                                     "installed with its data files?")
    gray = cv2.equalizeHist(ensure_uint8(to_gray(check_image(image))))
    rects, _, weights = clf.detectMultiScale3(gray, scaleFactor=scale,
                                              minNeighbors=min_neighbors,
                                              minSize=(min_size, min_size),
                                              outputRejectLevels=True)
    return _result(np.asarray(rects), np.asarray(weights), "face", score_threshold,
                   iou_threshold)
