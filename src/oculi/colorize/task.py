"""The ``colorize`` trainable task: Zhang et al.'s classification colouriser, its regression
baseline and the DeOldify-style U-Net (NoGAN / GAN / pixel recipes), trained with
:func:`oculi.train.fit` on crops of colour photos (``oculi train colorize``).

Losses (the Zhang-style network predicts at stride 4):

- ``classification``: multinomial cross-entropy of every pixel's soft-encoded ab (5 nearest
  bins, σ = 5) against the prediction of its stride-4 cell, each pixel weighted by the
  rebalancing weight of its nearest bin (:func:`classification_loss`); the weights come from
  the training images' bin histogram (``class_weights`` in the checkpoint).
- ``regression``: L2 (or Huber, δ = 10) on ab / 100 against each cell's average ab.
- ``unet``: content = L1 on ab / 110 + ``perceptual_weight`` x the perceptual loss of the
  recoloured RGB (:class:`oculi.train.losses.PerceptualLoss`); the recipe's phases and the
  critic (PatchGAN on Lab) run through :class:`oculi.train.adversarial.AdversarialSchedule`.

Validation (each epoch, central squares of the held-out photos): ``val_ab_auc``,
``val_psnr`` (dB, RGB) and ``val_colourfulness``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from oculi.colorize.bins import rebalance_weights, smooth_prior, soft_encode_sparse
from oculi.colorize.config import ColorizeConfig
from oculi.colorize.lab import lab_to_rgb
from oculi.colorize.nets import AB_SCALE, TINY, Encoder, build_colorizer
from oculi.train.task import Step, StepOutput, Task, TaskData

DataArg = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None
CHECKPOINT_KEY = "oculi_colorize"


def _core(model: nn.Module) -> nn.Module:
    return getattr(model, "module", model)


def classification_loss(logits: torch.Tensor, ab: torch.Tensor, centres: torch.Tensor,
                        weights: torch.Tensor) -> torch.Tensor:
    """Rebalanced soft cross-entropy (Zhang et al. eq. 2) of every ground-truth pixel against
    the prediction of the output cell it falls in.

    Each pixel's ab is soft-encoded on its own (5 nearest bins, σ = 5) and weighted by the
    rebalancing weight of its nearest bin; the loss is the mean over all pixels. It equals the
    cross-entropy of each cell against the weighted average of its pixels' encodings, so a cell
    half red and half green asks for red and green, not for the grey their mean ab would be
    (the reference implementation takes every 4th pixel: the same loss in expectation over
    the crop offset).

    Args:
        logits: ``N x Q x h x w``.
        ab: ``N x 2 x H x W`` ground truth, ``H = s·h`` and ``W = s·w`` for an integer ``s``
            (4 for the Zhang-style network; 1: one pixel per cell).
        centres: ``Q x 2`` bin centres.
        weights: ``Q`` rebalancing weights.

    Returns:
        The scalar loss (nats).

    Raises:
        ShapeError: ``ab`` is not an integer multiple of the logits' size.
    """
    from oculi.core.errors import ShapeError

    n, q, h, w = logits.shape
    big_h, big_w = ab.shape[-2:]
    if ab.ndim != 4 or ab.shape[:2] != (n, 2) or big_h % h or big_w % w or big_h // h != big_w // w:
        raise ShapeError(f"ab: expected N x 2 x (s·{h}) x (s·{w}) for the {n} x {q} x {h} x {w} "
                         f"logits, got {tuple(ab.shape)}")
    s = big_h // h
    idx, z = soft_encode_sparse(ab.permute(0, 2, 3, 1).reshape(-1, 2), centres)
    # each pixel's cell, as a row of the N·h·w x Q log-probabilities
    rows = torch.arange(n * h * w, device=ab.device).view(n, h, 1, w, 1)
    rows = rows.expand(n, h, s, w, s).reshape(-1)
    logp = F.log_softmax(logits, 1).permute(0, 2, 3, 1).reshape(-1, q)
    return -(weights[idx[:, 0]] * (z * logp[rows[:, None], idx]).sum(1)).mean()


class ColorizeTask(Task):
    """Colourisation training (see the module doc)."""

    name = "colorize"
    checkpoint_key = CHECKPOINT_KEY
    #: exact resume of the training samples (see Task.rng_state)
    rng_state: ClassVar[dict[str, str]] = {"rng": "crops.rng"}

    def __init__(self, data: DataArg = None) -> None:
        self.data = data
        self.cfg = ColorizeConfig()
        self.schedule = None
        self.perceptual: nn.Module | None = None

    def build_model(self, cfg: ColorizeConfig) -> nn.Module:
        from oculi.train.adversarial import AdversarialSchedule, recipe_phases

        self.cfg = cfg
        model = build_colorizer(cfg.model, cfg.backbone, cfg.width, cfg.critic_width,
                                cfg.pretrained, cfg.short_side, cfg.temperature)
        if cfg.model == "unet":
            self.schedule = AdversarialSchedule(
                recipe_phases(cfg.recipe, cfg.epochs, cfg.critic_epochs, cfg.adversarial_epochs),
                cfg.gan_loss, cfg.adversarial_weight)
            if cfg.perceptual_weight > 0:
                from oculi.train.losses import PerceptualLoss

                net = Encoder(TINY).net if cfg.backbone == TINY else cfg.backbone
                self.perceptual = PerceptualLoss(net, pretrained=cfg.pretrained)
        return model

    def build_data(self, cfg: ColorizeConfig, model: nn.Module, info: Any) -> TaskData:
        from oculi.colorize import data as d

        train, val = d.colour_sources(self.data, cfg)
        self.crops = d.LabCrops(train, cfg, cfg.seed + 7919 * info.rank)
        val_set = d.LabCentres(val or train[-1:], cfg)
        skipped: dict[str, str] = {}
        if cfg.model == "classification":
            centres = model.centres.cpu().numpy()
            counts, skipped = d.bin_counts(self.crops, centres)
            if counts.sum() == 0:
                from oculi.core.errors import DataError

                raise DataError(f"{self.data}: no readable colour photo to build the prior")
            prior = smooth_prior(counts, centres)
            model.class_weights.copy_(torch.from_numpy(rebalance_weights(prior, cfg.rebalance)))
        return TaskData(self.crops, val_set, d.summary(self.crops, val_set, skipped))

    def build_optimizers(self, cfg: ColorizeConfig, model: nn.Module) -> dict[str, Any]:
        if cfg.model != "unet":
            return super().build_optimizers(cfg, model)
        critic = set(map(id, model.critic.parameters()))
        gen = [p for p in model.parameters() if id(p) not in critic]
        opts = {"generator": torch.optim.AdamW(gen, lr=cfg.lr, weight_decay=cfg.weight_decay)}
        if self.schedule is not None and self.schedule.uses_critic:
            opts["critic"] = torch.optim.Adam(model.critic.parameters(), lr=cfg.critic_lr,
                                              betas=(0.5, 0.999))
        return opts

    def _content(self, grey: torch.Tensor, ab: torch.Tensor):
        cfg = self.cfg
        real_rgb = lab_to_rgb(torch.cat([grey * 100, ab], 1)) if self.perceptual else None

        def content(fake: torch.Tensor) -> torch.Tensor:
            loss = F.l1_loss(fake / AB_SCALE, ab / AB_SCALE)
            if self.perceptual is not None:
                rgb = lab_to_rgb(torch.cat([grey * 100, fake], 1))
                loss = loss + cfg.perceptual_weight * self.perceptual(rgb, real_rgb)
            return loss
        return content

    def train_step(self, step: Step, batch: Any) -> StepOutput:
        grey, ab = step.to_device(batch)
        model, n = _core(step.model), grey.shape[0]
        if self.schedule is not None:
            if self.perceptual is not None:
                self.perceptual.to(step.device)

            def critic(x: torch.Tensor) -> torch.Tensor:
                return model.critic(torch.cat([grey * 100, x], 1))

            return self.schedule.step(step, generate=lambda: step.model(grey), critic=critic,
                                      content=self._content(grey, ab), real=ab, n=n)
        out = step.model(grey)
        if self.cfg.model == "classification":
            return StepOutput(classification_loss(out, ab, model.centres, model.class_weights),
                              {}, n)
        ab4 = F.adaptive_avg_pool2d(ab, out.shape[-2:])  # L2 to the mean: to the pixels + const
        if self.cfg.regression_loss == "huber":
            loss = F.smooth_l1_loss(out / 10.0, ab4 / 10.0)
        else:
            loss = F.mse_loss(out / 100.0, ab4 / 100.0)
        return StepOutput(loss, {}, n)

    @torch.no_grad()
    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        from oculi.colorize.metrics import ab_auc, colourfulness
        from oculi.train.metrics.image import psnr

        auc, db, colour, n = 0.0, 0.0, 0.0, 0
        for grey, ab in loader:
            pred = _core(model).predict_ab(grey.to(device), self.cfg.temperature).cpu()
            fake = lab_to_rgb(torch.cat([grey * 100, pred], 1))
            real = lab_to_rgb(torch.cat([grey * 100, ab], 1))
            db += float(psnr(fake, real).sum())
            for i in range(grey.shape[0]):
                auc += ab_auc(pred[i].permute(1, 2, 0).numpy(), ab[i].permute(1, 2, 0).numpy())
                image = (fake[i].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
                colour += colourfulness(image)
            n += grey.shape[0]
        return {"val_ab_auc": auc / n, "val_psnr": db / n, "val_colourfulness": colour / n}


def train_colorizer(data: DataArg, cfg: ColorizeConfig | None = None,
                    out: str | os.PathLike[str] = "runs/colorize", *, resume: bool = False,
                    progress: bool | None = None):
    """Train a colouriser with :func:`oculi.train.fit`.

    Args:
        data: a folder of colour photos (``train/`` + ``val/``, or any images: the last
            ``val_split`` held out), several folders, or None / ``-``: the embedded photos.
        cfg: the settings (:class:`ColorizeConfig`).
        out: the run folder.
        resume: continue from ``out/state.pt``.
        progress: show a progress bar (None: when attached to a terminal).

    Returns:
        :class:`~oculi.train.FitResult`; the run loads with ``colorize(image, run=out)``.
    """
    from oculi.train.loop import fit

    return fit(ColorizeTask(data), cfg or ColorizeConfig(), out, resume=resume,
               progress=progress)
