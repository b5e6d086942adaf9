"""The ``stylize`` trainable task: a Johnson et al. (2016) feed-forward network per style, or an
AdaIN (Huang & Belongie 2017) decoder, trained with :func:`oculi.train.fit` on random crops of
content photos (``oculi train stylize CONTENT --style STYLE.jpg``), evaluated with the style and
content losses (``oculi eval stylize RUN CONTENT``).

Losses on the frozen feature network (:mod:`oculi.stylize.losses`): johnson — content (feature
MSE at the content layers) + Gram style loss + total variation; adain — content (the decoded
image's encoder features against the AdaIN target) + mean/std style loss. ``val_loss`` (the
weighted total on fixed central crops) selects ``best.safetensors``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from oculi.core.errors import DataError, ParameterError
from oculi.stylize.config import StylizeConfig
from oculi.stylize.data import (
    CenterCrops,
    ContentCrops,
    content_sources,
    image_files,
    style_batch,
    style_images,
)
from oculi.stylize.features import StyleFeatures
from oculi.stylize.losses import StyleObjective, total_variation
from oculi.stylize.nets import AdaINNet, TransformerNet
from oculi.train.task import Step, StepOutput, Task, TaskData

DataArg = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None
#: checkpoint metadata key of stylize runs
CHECKPOINT_KEY = "oculi_stylize"


def build_objective(cfg: StylizeConfig, features: StyleFeatures) -> StyleObjective:
    """The task's losses (no style set for adain: it changes per batch)."""
    return StyleObjective(features, None, content_layers=cfg.layer_list("content"),
                          style_layers=cfg.layer_list("style"),
                          content_weight=cfg.content_weight,
                          style_weight=cfg.style_weight_value, tv_weight=cfg.tv_weight,
                          kind="gram" if cfg.model == "johnson" else "mean_std")


class StylizeTask(Task):
    """Feed-forward style-network training (see the module doc)."""

    name = "stylize"
    checkpoint_key = CHECKPOINT_KEY
    #: exact resume of the training samples (see Task.rng_state)
    rng_state: ClassVar[dict[str, str]] = {"rng": "crops.rng", "style_rng": "style_rng"}

    def __init__(self, data: DataArg = None) -> None:
        self.data = data
        self.cfg = StylizeConfig()

    def build_model(self, cfg: StylizeConfig) -> nn.Module:
        self.cfg = cfg
        if not cfg.style:
            raise ParameterError("style: required — pass --style STYLE.jpg (adain: an image or "
                                 "a folder of style images)")
        self.features = StyleFeatures(cfg.backbone, weights=cfg.vgg_weights)
        self.objective = build_objective(cfg, self.features)
        size = cfg.style_size if cfg.model == "johnson" else None
        self.styles = style_images(cfg.style, size)
        if cfg.model == "johnson":
            from oculi.core.convert import to_tensor_batch

            self.objective.set_style(to_tensor_batch([self.styles[0]]))
            return TransformerNet(cfg.width, cfg.blocks)
        return AdaINNet(self.features, cfg.adain_layer, cfg.width)

    def build_data(self, cfg: StylizeConfig, model: nn.Module, info: Any) -> TaskData:
        train, val = content_sources(self.data, cfg)
        skipped: dict[str, str] = {}
        try:
            val_set = CenterCrops(val or train, cfg.image_size, cfg.val_images, skipped)
        except DataError:  # every held-out image unreadable: validate on training images
            val_set = CenterCrops(train, cfg.image_size, cfg.val_images, skipped)
        self.crops = ContentCrops(train, cfg.image_size, cfg.repeat, cfg.seed + 7919 * info.rank)
        self.style_rng = np.random.default_rng(cfg.seed + 17)
        summary = {"model": cfg.model, "style": cfg.style, "style_images": len(self.styles),
                   "train_images": len(train), "crops_per_epoch": len(self.crops),
                   "val_images": len(val_set), "val_skipped": val_set.skipped}
        return TaskData(self.crops, val_set, summary)

    def _adain_losses(self, model: AdaINNet, content: torch.Tensor,
                      style: torch.Tensor) -> dict[str, torch.Tensor]:
        obj = self.objective
        obj.set_style(style)
        out, t = model.stylize(content, style)
        layers = list(dict.fromkeys([model.layer, *obj.style_layers]))
        feats = self.features(out, layers)
        c = ((feats[model.layer] - t) ** 2).mean()
        s = obj.style_term(feats)
        tv = total_variation(out) if obj.tv_weight else out.new_zeros(())
        total = obj.content_weight * c + obj.style_weight * s
        return {"total": total, "content": c, "style": s, "tv": tv}

    def _losses(self, model: nn.Module, content: torch.Tensor,
                rng: np.random.Generator) -> dict[str, torch.Tensor]:
        """The losses of a content batch; ``rng`` picks the style crops (AdaIN)."""
        self.features.to(content.device)
        if self.cfg.model == "johnson":
            return self.objective(model(content), content)
        style = style_batch(self.styles, content.shape[0], self.cfg.image_size,
                            rng).to(content.device)
        return self._adain_losses(model, content, style)

    def train_step(self, step: Step, batch: Any) -> StepOutput:
        content = step.to_device(batch)
        losses = self._losses(step.model, content, self.style_rng)
        n = content.shape[0]
        stats = {f"{k}_loss": float(v.detach()) * n for k, v in losses.items() if k != "total"}
        return StepOutput(losses["total"], stats, n)

    def checkpoint_metadata(self, model: nn.Module) -> dict[str, str]:
        """The network's config plus the training style's path."""
        import json

        config = {**model.config(), "style": self.cfg.style}
        return {self.checkpoint_key: json.dumps(config), "task": self.name}

    @torch.no_grad()
    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        sums: dict[str, float] = {}
        n = 0
        rng = np.random.default_rng(12345)  # the same style crops every evaluation
        for content in loader:
            content = content.to(device)
            for k, v in self._losses(model, content, rng).items():
                sums[k] = sums.get(k, 0.0) + float(v) * content.shape[0]
            n += content.shape[0]
        return {"val_loss": sums["total"] / n, "val_style_loss": sums["style"] / n,
                "val_content_loss": sums["content"] / n}


def train_stylizer(data: DataArg, cfg: StylizeConfig | None = None,
                   out: str | os.PathLike[str] = "runs/stylize", *, resume: bool = False,
                   progress: bool | None = None):
    """Train a style network with :func:`oculi.train.fit`.

    Args:
        data: a folder of content photos (``train/`` + ``val/``, or any images: the last
            ``val_split`` held out), several folders, or None: the embedded photos.
        cfg: the settings (:class:`StylizeConfig`; ``style`` is required).
        out: the run folder.
        resume: continue from ``out/last.safetensors``.
        progress: show a progress bar (None: when attached to a terminal).

    Returns:
        :class:`~oculi.train.FitResult`; the run folder loads with
        ``stylize(image, run=out)``.
    """
    from oculi.train.loop import fit

    return fit(StylizeTask(data), cfg or StylizeConfig(), out, resume=resume, progress=progress)


def evaluate_stylizer(run: str | os.PathLike[str], data: str | os.PathLike[str], *,
                      style: str | None = None, image_size: int = 256):
    """Style and content losses of a trained stylize run on a folder of content images.

    Args:
        run: run folder or checkpoint.
        data: a folder of content images.
        style: the style image scored against (None: the run's training style; adain: the
            first image of its style folder).
        image_size: each content image's longer side in pixels.

    Returns:
        An :class:`~oculi.core.results.EvaluationReport`: ``val_style_loss``,
        ``val_content_loss`` (means; Gram loss for both models so they compare); details
        ``images`` (per image: name, style, content).
    """
    from oculi.core.errors import DataError
    from oculi.core.results import EvaluationReport
    from oculi.stylize._common import as_rgb01, fit_long_side
    from oculi.stylize.api import load_stylizer, stylize
    from oculi.stylize.gatys import make_objective, measure_losses

    model, conf = load_stylizer(run)
    style = style or conf.get("style", "")
    files = image_files(Path(data)) if Path(data).is_dir() else []
    if not files:
        raise DataError(f"{data}: no images to evaluate on")
    s = style_images(style, image_size)[0]
    objective = make_objective(s)
    rows = []
    for f in files:
        result = stylize(f, s, run=model, image_size=image_size)
        content = fit_long_side(as_rgb01(f, "content"), image_size)
        losses = measure_losses(objective, result.image, content)
        rows.append({"image": Path(f).name, "style": losses["style"],
                     "content": losses["content"]})
    metrics = {"val_style_loss": float(np.mean([r["style"] for r in rows])),
               "val_content_loss": float(np.mean([r["content"] for r in rows]))}
    return EvaluationReport("stylize", metrics, {"model": conf.get("model"), "style": str(style),
                                                 "images": rows})


def print_report(report: Any, echo: Any) -> None:
    """One line per image of :func:`evaluate_stylizer`."""
    for r in report["images"]:
        echo(f"  {r['image']:<24} style {r['style']:.5f}  content {r['content']:.3f}")
