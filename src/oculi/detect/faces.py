"""Face detectors: YuNet (``cv2.FaceDetectorYN``, a small CNN; ONNX file by path) and OpenCV's
boosted cascades (Viola–Jones Haar or LBP XML by path, or the LBP frontal-face cascade that
scikit-image ships, built in). Each returns :class:`Detections` named ``face``.

No model file is bundled with oculi: YuNet and the Haar cascades are loaded from the path the
caller gives (``weights=``; CLI ``--weights``), e.g. opencv_zoo's
``face_detection_yunet_2023mar.onnx`` or OpenCV's ``haarcascade_frontalface_default.xml``.

    >>> from oculi.data import load
    >>> dets = detect_faces(load("astronaut"))     # built-in LBP cascade
    >>> len(dets), dets.names[0]
    (1, 'face')
"""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path

import numpy as np

from oculi.core.checks import check_image
from oculi.core.convert import ensure_uint8, to_gray, to_rgb
from oculi.core.deprecation import renamed_parameters
from oculi.core.errors import DataError, MissingDependencyError
from oculi.detect.classical import _result
from oculi.detect.types import Detections

#: the frontal-face cascade ``cv2.data`` ships in OpenCV builds that have data files
HAAR_FRONTAL = "haarcascade_frontalface_default.xml"


def _model_file(weights: str | os.PathLike[str], what: str) -> Path:
    path = Path(weights)
    if not path.is_file():
        raise DataError(f"weights: {path}: no such {what} file")
    return path


def builtin_cascade() -> Path:
    """The built-in cascade: scikit-image's LBP frontal-face cascade (OpenCV's
    ``lbpcascade_frontalface.xml`` in OpenCV's format; one misspelt key repaired, written once
    to the temp folder)."""
    import tempfile

    from skimage.data import lbp_frontal_face_cascade_filename

    out = Path(tempfile.gettempdir()) / "oculi_lbpcascade_frontalface.xml"
    if not out.is_file():
        from oculi.core.atomic import write_text_atomic

        text = Path(lbp_frontal_face_cascade_filename()).read_text()
        write_text_atomic(out, text.replace("featuhreParams", "featureParams"))
    return out


def opencv_haar_file() -> Path | None:
    """OpenCV's own Haar frontal-face file when this cv2 build ships ``cv2.data`` files (the
    opencv-contrib 5 wheels do not), else None."""
    import cv2

    folder = getattr(getattr(cv2, "data", None), "haarcascades", "")
    path = Path(folder) / HAAR_FRONTAL
    return path if folder and path.is_file() else None


@functools.lru_cache(maxsize=8)
def _cascade(path: str, mtime_ns: int):
    import cv2

    try:
        clf = cv2.CascadeClassifier(path)
    except (cv2.error, SystemError):  # a file that is not XML at all
        clf = None
    if clf is None or clf.empty():
        raise DataError(f"weights: {path}: not an OpenCV cascade XML (Haar or LBP)")
    return clf


@renamed_parameters(score="score_threshold", iou="iou_threshold", cascade="weights")
def detect_faces(image: np.ndarray, *, weights: str | os.PathLike[str] | None = None,
                 score_threshold: float | None = None, iou_threshold: float = 0.3,
                 scale: float = 1.1, min_neighbors: int = 5, min_size: int = 24) -> Detections:
    """Frontal faces with an OpenCV boosted cascade (Viola–Jones), then NMS.

    Args:
        image: HxWx3 RGB or HxW gray, uint8 or float in [0, 1].
        weights: path to an OpenCV cascade XML (Haar, e.g.
            ``haarcascade_frontalface_default.xml``, or LBP); None: the built-in LBP cascade
            (:func:`builtin_cascade`).
        score_threshold: minimum cascade level weight kept (None keeps all).
        iou_threshold: NMS overlap threshold.
        scale, min_neighbors, min_size: ``detectMultiScale`` parameters (pyramid step, votes
            needed, smallest face in pixels).

    Returns:
        :class:`Detections` (label 1, name ``face``; scores are the last stage's level weight).

    Raises:
        DataError: ``weights`` is missing or not a cascade XML.
    """
    import cv2

    if weights is None or str(weights) == "face":  # "face": the old built-in key
        path = builtin_cascade()
    else:
        path = _model_file(weights, "cascade XML")
    clf = _cascade(str(path), path.stat().st_mtime_ns)
    gray = cv2.equalizeHist(ensure_uint8(to_gray(check_image(image))))
    rects, _, levels = clf.detectMultiScale3(gray, scaleFactor=scale,
                                             minNeighbors=min_neighbors,
                                             minSize=(min_size, min_size),
                                             outputRejectLevels=True)
    return _result(np.asarray(rects), np.asarray(levels), "face", score_threshold,
                   iou_threshold)


def haar_faces(image: np.ndarray, *, weights: str | os.PathLike[str] | None = None,
               **options) -> Detections:
    """:func:`detect_faces` with a Haar cascade: ``weights`` is its XML. Without ``weights``
    the ``cv2.data`` Haar file when this OpenCV ships one; otherwise a
    :class:`DeprecationWarning` and the built-in LBP cascade (what ``haar-face`` ran before
    it took a path: that detector is now ``lbp-face``)."""
    if weights is None:
        weights = opencv_haar_file()
        if weights is None:
            warnings.warn("haar-face without weights is deprecated: it runs the built-in LBP "
                          "cascade (use lbp-face), or pass weights=haarcascade_frontalface_"
                          "default.xml (CLI --weights) for Haar", DeprecationWarning,
                          stacklevel=2)
    return detect_faces(image, weights=weights, **options)


@functools.lru_cache(maxsize=4)
def _yunet(path: str, mtime_ns: int):
    import cv2

    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # backend-target chatter
    try:
        return cv2.FaceDetectorYN.create(path, "", (320, 320), 0.5, 0.3, 5000)
    except cv2.error as exc:
        raise DataError(f"weights: {path}: OpenCV cannot load it as a YuNet ONNX model "
                        f"({' '.join(str(exc).split())[:160]})") from None
    finally:
        cv2.utils.logging.setLogLevel(level)


def detect_faces_yunet(image: np.ndarray, *, weights: str | os.PathLike[str] | None = None,
                       score_threshold: float | None = 0.6, iou_threshold: float = 0.3,
                       top_k: int = 5000) -> Detections:
    """Faces with YuNet (Wu et al. 2023), the CNN behind ``cv2.FaceDetectorYN``, run at the
    image's own size by OpenCV's DNN module.

    Args:
        image: HxWx3 RGB or HxW gray, uint8 or float in [0, 1].
        weights: path to a YuNet ONNX file (opencv_zoo ``face_detection_yunet_2023mar.onnx``).
        score_threshold: minimum face score in [0, 1] (None keeps every candidate).
        iou_threshold: NMS overlap threshold.
        top_k: candidates kept before NMS.

    Returns:
        :class:`Detections` (label 1, name ``face``; scores in [0, 1]).

    Raises:
        MissingDependencyError: no ``weights`` given, or this cv2 has no ``FaceDetectorYN``.
        DataError: ``weights`` is missing or not a YuNet model.
    """
    import cv2

    if not hasattr(cv2, "FaceDetectorYN"):
        raise MissingDependencyError("yunet: this OpenCV has no cv2.FaceDetectorYN (OpenCV >= "
                                     "4.5.4 with the dnn module is needed)")
    if weights is None:
        raise MissingDependencyError(
            "yunet: needs its ONNX file; pass weights=PATH (CLI --weights PATH), e.g. "
            "face_detection_yunet_2023mar.onnx from opencv_zoo models/face_detection_yunet")
    path = _model_file(weights, "YuNet ONNX")
    rgb = ensure_uint8(to_rgb(check_image(image)))
    net = _yunet(str(path), path.stat().st_mtime_ns)
    net.setInputSize((rgb.shape[1], rgb.shape[0]))
    net.setScoreThreshold(0.0 if score_threshold is None else float(score_threshold))
    net.setNMSThreshold(float(iou_threshold))
    net.setTopK(int(top_k))
    _, faces = net.detect(np.ascontiguousarray(rgb[..., ::-1]))
    faces = np.zeros((0, 15), np.float32) if faces is None else np.asarray(faces, np.float32)
    return _result(faces[:, :4], faces[:, 14], "face", score_threshold, iou_threshold)
