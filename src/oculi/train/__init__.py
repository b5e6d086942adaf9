"""Training: a task-agnostic loop (run folder, AdamW/SGD, cosine + warm-up, EMA, clipping, AMP,
DDP, early stopping, safetensors checkpoints and resume) and image classification on ImageFolder
trees with label smoothing and batch-level CutMix/MixUp.

Detection and segmentation plug into :func:`fit` with their own :class:`Task`.
"""

from oculi.train.classification import ClassificationTask, soft_cross_entropy, train_classifier
from oculi.train.config import TrainConfig
from oculi.train.data import (
    ClassificationData,
    EvalTransform,
    FolderIndex,
    ImageFolderDataset,
    ShardedSampler,
    TrainTransform,
    load_image_folder,
    scan_folder,
)
from oculi.train.distributed import DistInfo, setup
from oculi.train.engine import FitResult, Task, TaskData, fit, read_metrics, seed_everything
from oculi.train.evaluate import (
    classification_metrics,
    evaluate_classifier,
    plot_confusion,
    predict_loader,
)
from oculi.train.optim import ModelEma, build_optimizer, lr_factor, param_groups

__all__ = [
    "ClassificationData",
    "ClassificationTask",
    "DistInfo",
    "EvalTransform",
    "FitResult",
    "FolderIndex",
    "ImageFolderDataset",
    "ModelEma",
    "ShardedSampler",
    "Task",
    "TaskData",
    "TrainConfig",
    "TrainTransform",
    "build_optimizer",
    "classification_metrics",
    "evaluate_classifier",
    "fit",
    "load_image_folder",
    "lr_factor",
    "param_groups",
    "plot_confusion",
    "predict_loader",
    "read_metrics",
    "scan_folder",
    "seed_everything",
    "setup",
    "soft_cross_entropy",
    "train_classifier",
]
