"""The ``capsnet`` trainable task: CapsNet (or the CNN of the same parameter count) trained with
:func:`oculi.train.fit` on 28x28 digits (``oculi train capsnet mnist -o RUN``), evaluated on a
test split and on its affine-distorted copy (``oculi eval capsnet RUN mnist``).

Validation (``val_accuracy``, selecting ``best.safetensors``) uses ``val_count`` training digits
held out after a seeded shuffle; with ``val_count`` 0 every digit is trained on and validation
only monitors the first :data:`MONITOR_DIGITS` of them (a fixed-epoch run then uses
``last.safetensors``: nothing is selected on held-out, let alone test, digits). Training
batches get the paper's random shifts and, when configured, the random affine and elastic
distortions of :mod:`oculi.capsule.augment`. A CapsNet run folder also gets
``reconstructions.png`` (inputs over their reconstructions) and ``perturbations.png`` (one row
per class-capsule dimension).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from oculi.capsule.augment import random_distortion
from oculi.capsule.config import CapsNetConfig
from oculi.capsule.data import random_shift, read_split, split_train, to_tensor
from oculi.capsule.layers import margin_loss
from oculi.capsule.nets import CapsNet, build_network, count_parameters, rebuild
from oculi.train.task import Step, StepOutput, Task, TaskData

CHECKPOINT_KEY = "oculi_capsnet"
#: digits shown in the reconstruction figure
FIGURE_DIGITS = 10
#: training digits that validation monitors when none are held out (val_count 0)
MONITOR_DIGITS = 500


def capsnet_losses(model: CapsNet, x: torch.Tensor, y: torch.Tensor | None,
                   target: torch.Tensor, cfg: CapsNetConfig) -> tuple[torch.Tensor, ...]:
    """Margin loss, reconstruction sum of squares per image (mean over the batch; the decoder
    masked by ``y``, or by the prediction when None) and the capsule lengths ``(B, K)``. The
    model is called once (a DDP wrapper sees every parameter used)."""
    lengths, recon = model(x, y)
    sse = ((recon - x) ** 2).flatten(1).sum(1).mean()
    margin = margin_loss(lengths, target, m_pos=cfg.m_pos, m_neg=cfg.m_neg,
                         absent_weight=cfg.absent_weight)
    return margin, sse, lengths


class CapsNetTask(Task):
    """Digit classification with CapsNet or the baseline CNN (see the module doc)."""

    name = "capsnet"
    checkpoint_key = CHECKPOINT_KEY
    #: exact resume of the torch generator (see Task.rng_state)
    rng_state: ClassVar[dict[str, str]] = {"shift_rng": "generator"}

    def __init__(self, data: str | os.PathLike[str] = "mnist") -> None:
        self.data = data
        self.cfg = CapsNetConfig()
        self.generator = torch.Generator()

    def build_model(self, cfg: CapsNetConfig) -> nn.Module:
        self.cfg = cfg
        return build_network(cfg.model, 10, cfg.conv_channels, cfg.primary_channels,
                             cfg.routing_iterations, cfg.cnn_width)

    def build_data(self, cfg: CapsNetConfig, model: nn.Module, info: Any) -> TaskData:
        train, val, summary = split_train(self.data, cfg.val_count, cfg.seed, cfg.train_limit,
                                          monitor=MONITOR_DIGITS)
        self.generator.manual_seed(cfg.seed + 7919 * info.rank)
        summary.update(model=cfg.model, parameters=count_parameters(model), shift=cfg.shift,
                       rotation=cfg.rotation, shear=cfg.shear, scale=cfg.scale,
                       elastic_alpha=cfg.elastic_alpha, elastic_sigma=cfg.elastic_sigma)
        return TaskData(train, val, summary)

    def train_step(self, step: Step, batch: Any) -> StepOutput:
        cfg = self.cfg
        x, y = batch
        x = random_distortion(random_shift(x, cfg.shift, self.generator), self.generator,
                              rotation=cfg.rotation, shear=cfg.shear, scale=cfg.scale,
                              elastic_alpha=cfg.elastic_alpha, elastic_sigma=cfg.elastic_sigma)
        x, y = step.to_device((x, y))
        stats: dict[str, float] = {}
        if cfg.model == "capsnet":
            margin, sse, scores = capsnet_losses(step.model, x, y, y, cfg)
            loss = margin + cfg.reconstruction_weight * sse
            stats["margin_loss"] = float(margin.detach()) * len(y)
            stats["reconstruction_sse"] = float(sse.detach()) * len(y)
        else:
            scores = step.model(x)
            loss = nn.functional.cross_entropy(scores, y)
        stats["train_accuracy"] = float((scores.detach().argmax(1) == y).sum())
        return StepOutput(loss, stats, len(y))

    @torch.no_grad()
    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        cfg = self.cfg
        loss = correct = n = 0.0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            if cfg.model == "capsnet":
                margin, sse, scores = capsnet_losses(model, x, None, y, cfg)
                batch_loss = margin + cfg.reconstruction_weight * sse
            else:
                scores = model(x)
                batch_loss = nn.functional.cross_entropy(scores, y)
            loss += float(batch_loss) * len(y)
            correct += float((scores.argmax(1) == y).sum())
            n += len(y)
        out: dict[str, Any] = {"val_accuracy": correct / n, "val_loss": loss / n}
        if isinstance(model, CapsNet):
            out.update(capsnet_figures(model, loader.dataset.x[:FIGURE_DIGITS].to(device)))
        return out

    def write_artifacts(self, run_dir: Path, evaluation: dict[str, Any]) -> None:
        write_figures(evaluation, run_dir)


def capsnet_figures(model: CapsNet, x: torch.Tensor) -> dict[str, np.ndarray]:
    """``reconstructions`` and ``perturbations`` pictures (uint8) of digits ``x``
    ``(B, 1, 28, 28)`` (the strips of the first digit)."""
    from oculi.capsule.figures import perturbation_strips, reconstructions

    return {"reconstructions": reconstructions(model, x),
            "perturbations": perturbation_strips(model, x[:1])}


def write_figures(evaluation: Any, folder: str | os.PathLike[str]) -> list[Path]:
    """Write the picture entries of an evaluation (``reconstructions``, ``perturbations``,
    ``affine_reconstructions``) as PNGs into ``folder``, each enlarged x3; their paths."""
    from oculi.io import write_image

    written = []
    for key in ("reconstructions", "perturbations", "affine_reconstructions"):
        picture = evaluation.get(key) if hasattr(evaluation, "get") else None
        if picture is None:
            continue
        path = Path(folder) / f"{key}.png"
        write_image(path, np.kron(picture, np.ones((3, 3), np.uint8)))
        written.append(path)
    return written


def train_capsnet(data: str | os.PathLike[str] = "mnist", cfg: CapsNetConfig | None = None,
                  out: str | os.PathLike[str] = "runs/capsnet", *, resume: bool = False,
                  progress: bool | None = None):
    """Train CapsNet (or the baseline CNN, ``cfg.model``) with :func:`oculi.train.fit`.

    Args:
        data: ``mnist``, ``fashion-mnist`` or a folder of official IDX files; its training
            split is used (``val_count`` digits held out).
        cfg: the settings (:class:`CapsNetConfig`).
        out: the run folder.
        resume: continue from ``out/state.pt``.
        progress: show a progress bar (None: when attached to a terminal).

    Returns:
        :class:`~oculi.train.FitResult`.
    """
    from oculi.train.loop import fit

    return fit(CapsNetTask(data), cfg or CapsNetConfig(), out, resume=resume, progress=progress)


def load_capsnet(run: str | os.PathLike[str]) -> nn.Module:
    """The trained network (CapsNet or CNN) of a run folder or checkpoint, in eval mode.

    Raises:
        DataError: no checkpoint, or one of another task.
    """
    from oculi.train.checkpoint import load_run_model

    return load_run_model(run, CHECKPOINT_KEY, "capsnet", rebuild)


@torch.no_grad()
def class_scores(model: nn.Module, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class scores ``float32 (N, K)`` in [0, 1] of ``uint8 (N, 28, 28)`` digits (capsule
    lengths for CapsNet, softmax probabilities for the CNN)."""
    x = to_tensor(images)
    return torch.cat([model.classify(x[i:i + batch_size])
                      for i in range(0, len(x), batch_size)]).numpy()


def evaluate_capsnet(run: str | os.PathLike[str], data: str | os.PathLike[str] = "mnist", *,
                     affine: bool = True, seed: int = 0, rotation: float = 20.0,
                     shear: float = 20.0, limit: int = 0):
    """Test accuracy of a trained capsnet run on ``data``'s test split, and on its
    affine-distorted copy (:func:`oculi.capsule.affine.affine_digits`).

    Args:
        run: run folder or checkpoint.
        data: ``mnist``, ``fashion-mnist`` or a folder of official IDX files (test split).
        affine: also score the affine-distorted copy of the test digits.
        seed: seed of the affine transforms.
        rotation: largest rotation of the affine copy, degrees.
        shear: largest shear angle of the affine copy, degrees (scale 0.8-1.2 per axis).
        limit: score the first ``limit`` test digits (0: all).

    Returns:
        An :class:`~oculi.core.results.EvaluationReport`: ``val_accuracy`` (and
        ``val_affine_accuracy``); details ``model``, ``parameters``, ``test_digits``,
        ``per_class`` accuracy, the affine settings, and (CapsNet) the figures.
    """
    from oculi.capsule.affine import SCALE_RANGE, affine_digits
    from oculi.core.results import EvaluationReport

    model = load_capsnet(run)
    x, y, name = read_split(data, "test", limit=limit or None)
    pred = class_scores(model, x).argmax(1)
    metrics = {"val_accuracy": float((pred == y).mean())}
    per_class = {int(k): float((pred[y == k] == k).mean()) for k in np.unique(y)}
    details: dict[str, Any] = {"model": model.config()["model"], "data": name,
                               "parameters": count_parameters(model), "test_digits": len(y),
                               "per_class": per_class}
    shown = to_tensor(x[:FIGURE_DIGITS])
    if isinstance(model, CapsNet):
        details.update(capsnet_figures(model, shown))
    if affine:
        xa = affine_digits(x, seed=seed, rotation=rotation, shear=shear)
        metrics["val_affine_accuracy"] = float((class_scores(model, xa).argmax(1) == y).mean())
        details["affine"] = {"seed": seed, "rotation_deg": rotation, "shear_deg": shear,
                             "scale": list(SCALE_RANGE)}
        if isinstance(model, CapsNet):
            from oculi.capsule.figures import reconstructions

            details["affine_reconstructions"] = reconstructions(
                model, to_tensor(xa[:FIGURE_DIGITS]))
    return EvaluationReport("capsnet", metrics, details)


def print_report(report: Any, echo: Any) -> None:
    """Per-class accuracy lines of :func:`evaluate_capsnet`."""
    echo(f"  {report['model']} ({report['parameters']:,} parameters) on "
         f"{report['test_digits']} test digits of {report['data']}")
    echo("  per class: " + "  ".join(f"{k}: {100 * v:.1f}%"
                                     for k, v in report["per_class"].items()))


def write_evaluation(report: Any, folder: str | os.PathLike[str]) -> None:
    """``report.json`` and the CapsNet figures (PNG) in ``folder``."""
    from oculi.core.atomic import write_json_atomic

    Path(folder).mkdir(parents=True, exist_ok=True)
    write_json_atomic(Path(folder) / "report.json", report.json_dict())
    write_figures(report, folder)
