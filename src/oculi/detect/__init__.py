"""Object detection: classical OpenCV detectors (HOG people; YuNet and cascade faces) and trainable
region-based (Faster/Mask R-CNN) and single-shot (RetinaNet, FCOS, SSDlite, oculi's YOLO)
detectors on a registry backbone; VOC/COCO/CSV data, box-aware augmentation and mosaic,
training on :func:`oculi.train.fit` and COCO evaluation with pycocotools.

    >>> from oculi.detect import detectors
    >>> detectors.names()
    ['fasterrcnn', 'fcos', 'haar-face', 'hog-people', 'lbp-face', 'maskrcnn', 'retinanet',
     'ssdlite', 'yolo', 'yunet']

``import oculi.detect`` imports torch (a deep-learning topic).
"""

from oculi.detect.api import detect, detect_files, get_detector
from oculi.detect.augment import DetectionAugment, Mosaic
from oculi.detect.classical import detect_people, nms
from oculi.detect.config import DetectionConfig
from oculi.detect.data import (
    DetectionDataset,
    DetectionSplits,
    Sample,
    collate,
    load_splits,
    read_coco,
    read_csv,
    read_detection,
    read_voc,
)
from oculi.detect.evaluate import (
    coco_evaluate,
    draw_detections,
    plot_pr_curve,
    prediction_grid,
)
from oculi.detect.faces import detect_faces, detect_faces_yunet
from oculi.detect.models import (
    DEFAULT_BACKBONE,
    TRAINABLE,
    Detector,
    create_detector,
    detectors,
    rebuild,
)
from oculi.detect.task import (
    DetectionTask,
    evaluate_dataset,
    evaluate_detector,
    load_detector,
    predict_dataset,
    train_detector,
    write_evaluation,
)
from oculi.detect.types import Detections
from oculi.detect.yolo import YOLO, ciou, kmeans_anchors

__all__ = [
    "DEFAULT_BACKBONE",
    "TRAINABLE",
    "YOLO",
    "DetectionAugment",
    "DetectionConfig",
    "DetectionDataset",
    "DetectionSplits",
    "DetectionTask",
    "Detections",
    "Detector",
    "Mosaic",
    "Sample",
    "ciou",
    "coco_evaluate",
    "collate",
    "create_detector",
    "detect",
    "detect_faces",
    "detect_faces_yunet",
    "detect_files",
    "detect_people",
    "detectors",
    "draw_detections",
    "evaluate_dataset",
    "evaluate_detector",
    "get_detector",
    "kmeans_anchors",
    "load_detector",
    "load_splits",
    "nms",
    "plot_pr_curve",
    "predict_dataset",
    "prediction_grid",
    "read_coco",
    "read_csv",
    "read_detection",
    "read_voc",
    "rebuild",
    "train_detector",
    "write_evaluation",
]
