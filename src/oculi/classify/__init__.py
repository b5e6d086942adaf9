"""Image classification: predict with a zoo CNN or a trained run, train on an ImageFolder with
the fine-tuning recipe (label smoothing, CutMix/MixUp, cosine schedule; EMA on request), evaluate
top-1/5,
per-class precision/recall and the confusion matrix; Noisy Student self-training on unlabelled
images (:mod:`oculi.classify.selftrain`).

    >>> from oculi.classify import ClassifyConfig
    >>> ClassifyConfig().model, ClassifyConfig().monitor
    ('efficientnet_lite0', 'val_top1')

``import oculi.classify`` imports torch (a deep-learning topic).
"""

from oculi.classify.api import (
    create_classifier,
    evaluate_classifier,
    load_classifier,
    train_classifier,
)
from oculi.classify.config import ClassifyConfig
from oculi.classify.data import (
    ClassificationData,
    EvalTransform,
    FolderIndex,
    ImageFolderDataset,
    TrainTransform,
    collate_readable,
    load_image_folder,
    scan_folder,
    scan_unlabeled,
)
from oculi.classify.evaluate import classification_metrics, plot_confusion, predict_loader
from oculi.classify.predict import (
    DEFAULT_MODEL,
    Prediction,
    classify,
    classify_files,
    get_model,
    predict_proba,
)
from oculi.classify.task import ClassificationTask, soft_cross_entropy

__all__ = [
    "DEFAULT_MODEL",
    "ClassificationData",
    "ClassificationTask",
    "ClassifyConfig",
    "EvalTransform",
    "FolderIndex",
    "ImageFolderDataset",
    "Prediction",
    "TrainTransform",
    "classification_metrics",
    "classify",
    "classify_files",
    "collate_readable",
    "create_classifier",
    "evaluate_classifier",
    "get_model",
    "load_classifier",
    "load_image_folder",
    "plot_confusion",
    "predict_loader",
    "predict_proba",
    "scan_folder",
    "scan_unlabeled",
    "soft_cross_entropy",
    "train_classifier",
]
