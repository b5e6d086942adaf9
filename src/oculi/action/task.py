"""The ``action`` trainable task: clip classifiers (:mod:`oculi.action.models`) trained with
:func:`oculi.train.fit` on labelled clips (``oculi train action``), evaluated with top-1, mean
class accuracy and the confusion matrix (``oculi eval action``).

Validation holds out the clips of ``holdout_groups`` (leave-actors-out) or ``val_split`` of the
clips; ``val_accuracy`` selects ``best.safetensors``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from oculi.action.clipdata import ClipTensors, clip_sampler
from oculi.action.clips import ClipDataset, clip_dataset
from oculi.action.config import ActionConfig
from oculi.action.evaluate import classification_scores
from oculi.action.models import ActionNet
from oculi.action.splits import group_split
from oculi.core.checks import check_positive
from oculi.core.errors import DataError
from oculi.train.hooks import HookBase
from oculi.train.task import Step, StepOutput, Task, TaskData

PathLike = str | os.PathLike[str]
#: checkpoint metadata key holding :meth:`ActionNet.config`
CHECKPOINT_KEY = "oculi_action"


def _split(ds: ClipDataset, cfg: ActionConfig) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) clip indices: the held-out groups, or ``val_split`` drawn by seed."""
    if cfg.holdout_groups:
        fold = group_split(ds.groups, list(cfg.holdout_groups))
        return fold.train, fold.test
    order = np.random.default_rng(cfg.seed).permutation(len(ds))
    n_val = max(1, round(cfg.val_split * len(ds)))
    if n_val >= len(ds):
        raise DataError(f"{len(ds)} clip(s): too few to hold out {n_val} for validation")
    return np.sort(order[n_val:]), np.sort(order[:n_val])


class _SayWeights(HookBase):
    """Prints one line when training starts."""

    def __init__(self, line: str) -> None:
        self.line = line

    def before_train(self) -> None:
        self.trainer.say(self.line)


class ActionTask(Task):
    """Clip classification training (see the module doc)."""

    name = "action"
    checkpoint_key = CHECKPOINT_KEY
    #: exact resume of the training samples (see Task.rng_state)
    rng_state: ClassVar[dict[str, str]] = {"rng": "train_set.rng"}

    def __init__(self, data: PathLike) -> None:
        self.data = data
        self.cfg = ActionConfig()
        self.dataset: ClipDataset | None = None
        self.loaded = None  # the LoadedWeights of cfg.weights

    def _index(self, cfg: ActionConfig) -> ClipDataset:
        if self.dataset is None:
            sampler = clip_sampler(cfg.sampling, cfg.clip_len, cfg.stride, False)
            self.dataset = clip_dataset(self.data, group=cfg.group, key=cfg.key,
                                        min_frames=sampler.min_frames)
            if len(self.dataset.classes) < 2:
                raise DataError(f"{self.data}: expected clips of at least two classes, got "
                                f"{self.dataset.classes}")
        return self.dataset

    def build_model(self, cfg: ActionConfig) -> nn.Module:
        self.cfg = cfg
        ds = self._index(cfg)
        net = ActionNet(cfg.model, ds.classes, clip_len=cfg.clip_len, sampling=cfg.sampling,
                         stride=cfg.stride, size=cfg.size, channels=cfg.channels,
                         width=cfg.width, dropout=cfg.dropout, key=cfg.key, group=cfg.group,
                         backbone=cfg.backbone, pretrained=cfg.pretrained,
                         freeze_stages=cfg.freeze_stages, frozen_bn=cfg.frozen_bn,
                         test_clips=cfg.test_clips, flow=cfg.flow, flow_grid=cfg.flow_grid,
                         flow_bins=cfg.flow_bins, flow_orientations=cfg.flow_orientations)
        self.loaded = None
        if cfg.weights:
            from oculi.action.videoweights import load_video_weights

            self.loaded = load_video_weights(net.net, cfg.weights)
        return net

    def hooks(self, cfg: ActionConfig) -> list[HookBase]:
        """The run's output states the checkpoint it starts from (and a replaced classifier)."""
        return [] if self.loaded is None else [_SayWeights(self.loaded.describe())]

    def build_data(self, cfg: ActionConfig, model: nn.Module, info: Any) -> TaskData:
        ds = self._index(cfg)
        train, val = _split(ds, cfg)
        common = {"sampling": cfg.sampling, "clip_len": cfg.clip_len, "stride": cfg.stride,
                  "size": cfg.size, "channels": cfg.channels, "cache": cfg.cache}
        self.train_set = ClipTensors(ds.subset(train).items, ds.classes, train=True,
                                     repeat=cfg.repeat, crop_scale=cfg.crop_scale,
                                     flip=cfg.flip, jitter=cfg.jitter,
                                     seed=cfg.seed + 7919 * info.rank, **common)
        val_set = ClipTensors(ds.subset(val).items, ds.classes, clips=cfg.test_clips, **common)
        summary = {**ds.summary(), "model": cfg.model, "train_clips": len(train),
                   "val_clips": len(val), "holdout_groups": list(cfg.holdout_groups)}
        if self.loaded is not None:
            summary["weights"] = self.loaded.as_dict()
        return TaskData(self.train_set, val_set, summary)

    def build_optimizers(self, cfg: ActionConfig,
                         model: nn.Module) -> dict[str, torch.optim.Optimizer]:
        """One optimizer; the classifier learns ``head_lr_scale`` times faster and alone for
        the first ``freeze_backbone_epochs`` (the other groups held at learning rate 0)."""
        from oculi.train.optim import build_optimizer

        net = model.module if hasattr(model, "module") else model
        head = net.head_parameters()
        opt = build_optimizer(model, cfg.optimizer, cfg.lr, cfg.weight_decay,
                              momentum=cfg.momentum, decay_norm_bias=cfg.decay_norm_bias,
                              head_params=head, head_lr_scale=cfg.head_lr_scale)
        ids = {id(p) for p in head}
        for g in opt.param_groups:
            if g["params"] and id(g["params"][0]) not in ids:
                g["hold_epochs"] = cfg.freeze_backbone_epochs
        return {"main": opt}

    def train_step(self, step: Step, batch: Any) -> StepOutput:
        clips, labels = step.to_device(batch)
        logits = step.model(clips)
        net = step.model.module if hasattr(step.model, "module") else step.model
        # two-stream: a loss per stream (one stream cannot lean on the other), the sum predicts
        streams = net.last_streams if len(net.last_streams) > 1 else [logits]
        loss = sum(nn.functional.cross_entropy(s, labels,
                                               label_smoothing=self.cfg.label_smoothing)
                   for s in streams)
        correct = float((logits.argmax(1) == labels).sum())
        return StepOutput(loss, {"accuracy": correct}, labels.shape[0])

    @torch.no_grad()
    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        return _scores(model, loader, device)

    def write_artifacts(self, run_dir: Path, evaluation: dict[str, Any]) -> None:
        """``confusion.json``: the best validation's confusion matrix and classes."""
        from oculi.core.atomic import write_json_atomic

        write_json_atomic(run_dir / "confusion.json",
                          {k: evaluation[k] for k in ("classes", "confusion") if k in evaluation})


@torch.no_grad()
def _scores(model: nn.Module, loader: DataLoader, device: torch.device) -> dict[str, Any]:
    """``val_accuracy``, ``val_mean_class_accuracy``, ``val_loss``, the confusion matrix and the
    predicted class index per clip (multi-clip batches: the mean of the clips' softmax)."""
    from oculi.action.predict import clip_probabilities

    model.eval()
    truth, pred, loss = [], [], 0.0
    for clips, labels in loader:
        prob = clip_probabilities(model, clips.to(device)).float().cpu()
        loss += float(nn.functional.nll_loss(prob.clamp_min(1e-12).log(), labels,
                                             reduction="sum"))
        truth.append(labels)
        pred.append(prob.argmax(1))
    if not truth:
        raise DataError("validation: no clips to evaluate")
    t, p = torch.cat(truth).numpy(), torch.cat(pred).numpy()
    names = getattr(model, "classes", None) or getattr(getattr(model, "module", None),
                                                        "classes", None)
    s = classification_scores(t, p, list(range(len(names))))
    return {"val_accuracy": s["accuracy"], "val_mean_class_accuracy": s["mean_class_accuracy"],
            "val_loss": loss / len(t), "confusion": s["confusion"], "classes": list(names),
            "predicted": p.tolist(), "true": t.tolist()}


def train_action(data: PathLike, cfg: ActionConfig | None = None,
                 out: PathLike = "runs/action", *, resume: bool = False,
                 progress: bool | None = None):
    """Train a clip classifier with :func:`oculi.train.fit`.

    Args:
        data: a folder per class, a CSV ``file,label[,group]`` or a folder holding
            ``labels.csv`` (video files, frame folders or ``.npz`` clips).
        cfg: the settings (:class:`~oculi.action.config.ActionConfig`).
        out: the run folder.
        resume: continue from ``out/last.safetensors``.
        progress: show a progress bar (None: when attached to a terminal).

    Returns:
        :class:`~oculi.train.FitResult`; clips that could not be indexed are in the run's
        ``data.json`` (``skipped``), clips that failed to decode in its summary.
    """
    from oculi.train.loop import fit

    return fit(ActionTask(data), cfg or ActionConfig(), out, resume=resume, progress=progress)


def load_action_model(run: PathLike) -> ActionNet:
    """The trained network of an action run folder (or checkpoint), in eval mode on the CPU."""
    from oculi.train.checkpoint import load_run_model

    # the checkpoint holds every weight: an ImageNet backbone is not loaded twice
    return load_run_model(run, CHECKPOINT_KEY, "action",
                          lambda c: ActionNet(**{**c, "pretrained": False}))


def evaluate_action(run: PathLike, data: PathLike, *, groups: str = "",
                    batch_size: int = 8, clips: int = 0):
    """Top-1, mean class accuracy and the confusion matrix of a trained action run on clips.

    Args:
        run: run folder or checkpoint.
        data: clips as for training (folder per class, CSV, folder with ``labels.csv``).
        groups: comma-separated group names: score only their clips (e.g. the held-out actor);
            empty: every clip.
        batch_size: clips per forward pass.
        clips: clips per video, softmax scores averaged (multi-clip test); 0: the run's
            ``test_clips``.

    Returns:
        An :class:`~oculi.core.results.EvaluationReport`: ``val_accuracy``,
        ``val_mean_class_accuracy``, ``val_loss``; details ``classes``, ``confusion`` (row =
        true, column = predicted), ``clips`` (per clip: path, group, true and predicted label)
        and ``skipped`` (clips left out, with the reason).
    """
    from oculi.core.results import EvaluationReport

    model = load_action_model(run)
    info = model.info
    check_positive(clips, "clips", allow_zero=True)
    n_clips = clips or info.get("test_clips", 1)
    sampler = clip_sampler(info["sampling"], info["clip_len"], info["stride"], False)
    ds = clip_dataset(data, group=info["group"], key=info["key"], min_frames=sampler.min_frames)
    if groups:
        bad = ds.bad
        ds = ds.subset(group_split(ds.groups, [g.strip() for g in groups.split(",")]).test)
        ds.bad = bad
    unknown = sorted({it.label for it in ds} - set(model.classes))
    if unknown:
        raise DataError(f"{data}: classes {unknown} are not among the model's {model.classes}")
    test = ClipTensors(ds.items, model.classes, sampling=info["sampling"],
                       clip_len=info["clip_len"], stride=info["stride"], size=info["size"],
                       channels=info["channels"], clips=n_clips)
    s = _scores(model, DataLoader(test, batch_size=batch_size), torch.device("cpu"))
    per_clip = [{"path": it.path, "group": it.group, "label": it.label,
                 "predicted": model.classes[k]}
                for it, k in zip(ds.items, s["predicted"], strict=True)]
    metrics = {k: s[k] for k in ("val_accuracy", "val_mean_class_accuracy", "val_loss")}
    details = {"model": info["model"], "test_clips": n_clips, "classes": s["classes"],
               "confusion": s["confusion"], "clips": per_clip,
               "skipped": [{"path": b.path, "reason": b.reason} for b in ds.bad]}
    return EvaluationReport("action", metrics, details)


def print_report(report: Any, echo: Any) -> None:
    """Per class: recall and the count of clips."""
    conf = np.asarray(report["confusion"])
    for name, row, hit in zip(report["classes"], conf, np.diag(conf), strict=True):
        if row.sum():
            echo(f"  {name:<24} {hit}/{row.sum()} ({hit / row.sum():.0%})")
    for b in report["skipped"]:
        echo(f"  skipped {b['path']}: {b['reason']}")


def write_evaluation(report: Any, folder: PathLike) -> None:
    """``report.json`` (metrics, confusion matrix, per-clip predictions) in ``folder``."""
    from oculi.core.atomic import write_json_atomic

    write_json_atomic(Path(folder) / "report.json", report.json_dict())
