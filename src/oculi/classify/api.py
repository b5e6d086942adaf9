"""The verbs of image classification: create, train, load, classify files, evaluate.

    >>> from oculi.classify import ClassifyConfig, train_classifier, evaluate_classifier
    >>> result = train_classifier("data", ClassifyConfig(epochs=3), "runs/a")  # doctest: +SKIP
    >>> evaluate_classifier("runs/a", "data/val")["val_top1"]  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Any

from oculi.classify.config import ClassifyConfig
from oculi.core.results import EvaluationReport


def create_classifier(model: str = "efficientnet_lite0", *, num_classes: int | None = None,
                      pretrained: bool = True, **kwargs: Any):
    """A zoo :class:`~oculi.models.Classifier` (ImageNet head, or a new ``num_classes`` head);
    see :func:`oculi.models.create_model` for the other keywords."""
    from oculi.models import create_model

    return create_model(model, num_classes=num_classes, pretrained=pretrained, **kwargs)


def train_classifier(data: str | os.PathLike[str], cfg: ClassifyConfig | None = None,
                     out: str | os.PathLike[str] = "runs/classify", *, resume: bool = False,
                     progress: bool | None = None, save_all_ranks: bool = False):
    """Fine-tune (or train) a zoo model on ``data/train`` and validate on ``data/val``.

    Args:
        data: ImageFolder root with ``train/<class>/*`` and ``val/<class>/*`` (or only
            ``train/`` and ``cfg.val_split``).
        cfg: the :class:`ClassifyConfig` (None: its defaults).
        out: the run folder (see :mod:`oculi.train.loop`).
        resume: continue an interrupted run in ``out``.

    With ``cfg.unlabeled`` set this is Noisy Student self-training
    (:func:`oculi.classify.selftrain.train_noisy_student`).

    Returns:
        :class:`~oculi.train.FitResult` (best epoch and metric, history, best checkpoint path).

    Raises:
        DataError: missing folders, one class, an empty class, no validation images.
    """
    from oculi.classify.task import ClassificationTask
    from oculi.train import fit

    if cfg is not None and cfg.unlabeled is not None:
        from oculi.classify.selftrain import train_noisy_student
        from oculi.core.errors import ParameterError

        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            raise ParameterError(cfg.single_process_reason())

        return train_noisy_student(data, cfg, out, resume=resume, progress=progress)
    return fit(ClassificationTask(data), cfg or ClassifyConfig(), out, resume=resume,
               progress=progress, save_all_ranks=save_all_ranks)


def load_classifier(run: str | os.PathLike[str]):
    """The trained :class:`~oculi.models.Classifier` of a run folder (its best checkpoint) or an
    oculi ``.safetensors`` file, in eval mode."""
    from oculi.models import load_model
    from oculi.train.checkpoint import resolve_checkpoint

    return load_model(resolve_checkpoint(run, "classification")).eval()


def evaluate_classifier(run: str | os.PathLike[str], data: str | os.PathLike[str], *,
                        batch_size: int = 32, workers: int = 0,
                        device: str = "auto") -> EvaluationReport:
    """Top-1/top-5, loss, per-class precision/recall and the confusion matrix of a trained run
    on an ImageFolder split (``data/<class>/<image>``).

    Returns:
        An :class:`~oculi.core.results.EvaluationReport`: metrics ``val_top1``, ``val_top5``,
        ``val_loss``; details ``confusion``, ``precision``, ``recall``, ``classes``, ``n``,
        ``skipped`` (unreadable files), ``checkpoint``.
    """
    from oculi.classify.evaluate import evaluate_split

    flat = evaluate_split(run, data, batch_size=batch_size, workers=workers, device=device)
    return EvaluationReport.from_flat("classify", flat)
