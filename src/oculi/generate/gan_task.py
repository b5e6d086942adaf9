"""The ``gan`` trainable task: one GAN training recipe whose architecture (MLP, DCGAN,
StyleGAN-style), conditioning (classes, InfoGAN codes), critic regularisers (spectral norm,
gradient penalty, R1), loss (non-saturating, LSGAN, WGAN-GP, hinge, RaGAN) and tricks (two
time-scales, critic steps, generator EMA, feature matching, ProGAN growing) are options of
:class:`~oculi.generate.gan_config.GanConfig`.

Each step: the critic is updated on a batch of real and fake images; every ``critic_steps``
batches the generator is updated against the critic just updated. Both optimizers, their
schedules, the EMA, the growing stage and the divergence counter are in ``state.pt``: a resumed
run continues exactly like an uninterrupted one. A non-finite loss stops the run with the step
and the loss named (the engine's check); a critic that separates every real from every fake
image for ``divergence_steps`` steps stops it as collapsed.

The run folder gets, besides the engine's files, ``samples/epoch_NNN.png`` (a grid of the
evaluation model's samples, fixed noise) and ``losses.png`` (critic and generator loss per step).
Validation: ``val_swd_error``, the sliced Wasserstein distance between held-out real images and
as many samples (pixels in [0, 1], 128 fixed random directions; lower is better).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from oculi.core.errors import DataError
from oculi.generate.gan_config import GanConfig
from oculi.generate.gan_data import GanImages, load_source, to_model_range, to_uint8
from oculi.generate.gan_nets import GanModel
from oculi.generate.gan_sample import CHECKPOINT_KEY, grid, info_codes, sample_model
from oculi.train.hooks import HookBase
from oculi.train.losses.gan import (
    discriminator_loss,
    feature_matching_loss,
    generator_loss,
    gradient_penalty,
    r1_penalty,
)
from oculi.train.task import Step, StepOutput, Task, TaskData


def sliced_distance(a: torch.Tensor, b: torch.Tensor, *, projections: int = 128,
                    seed: int = 0) -> float:
    """Sliced Wasserstein-1 distance between two point sets ``(N, D)`` and ``(M, D)``: the mean
    over ``projections`` random unit directions of the 1-D Wasserstein distance of the projected
    sets (the first ``min(N, M)`` points of each)."""
    n = min(len(a), len(b))
    g = torch.Generator().manual_seed(seed)
    d = torch.randn(a.shape[1], projections, generator=g)
    d = d / d.norm(dim=0, keepdim=True)
    pa = torch.sort(a[:n].float() @ d, dim=0).values
    pb = torch.sort(b[:n].float() @ d, dim=0).values
    return float((pa - pb).abs().mean())


def separation(real: torch.Tensor, fake: torch.Tensor) -> float:
    """Fraction of (real, fake) score pairs the critic orders right (real higher): 1.0 when it
    separates every real from every fake image."""
    return float((real.detach()[:, None] > fake.detach()[None, :]).float().mean())


class GanTask(Task):
    """The GAN family as one task (see the module doc)."""

    name = "gan"
    checkpoint_key = CHECKPOINT_KEY

    def __init__(self, data: str | os.PathLike[str] | None = None) -> None:
        self.data = data
        self.cfg = GanConfig()
        self.log: list[tuple[int, float, float]] = []  # (step, critic loss, generator loss)
        self.separated = 0

    def build_model(self, cfg: GanConfig) -> nn.Module:
        cfg.validate()
        self.cfg = cfg
        self.source = load_source(self.data, val_images=cfg.val_images, limit=cfg.train_images,
                                  seed=cfg.seed)
        classes = 0
        if cfg.conditional:
            if not self.source.classes or (self.source.train_labels < 0).any():
                raise DataError(f"{self.source.name}: conditional needs labelled images "
                                "(a set name, IDX files or CLASS/ sub-folders)")
            classes = len(self.source.classes)
        return GanModel(cfg.arch, cfg.size, cfg.latent, cfg.width, classes, cfg.info_categorical,
                        cfg.info_continuous, cfg.attention, cfg.spectral_norm)

    def build_data(self, cfg: GanConfig, model: nn.Module, info: Any) -> TaskData:
        src = self.source
        if len(src.val_images) == 0:
            raise DataError(f"{src.name}: no validation images could be held out")
        val = TensorDataset(to_model_range(src.val_images, cfg.size),
                            torch.from_numpy(src.val_labels))
        return TaskData(GanImages(src, cfg.size), val, src.summary())

    def build_optimizers(self, cfg: GanConfig, model: nn.Module) -> dict[str, Any]:
        betas = (cfg.beta1, cfg.beta2)
        gen = list(model.generator.parameters())
        if model.class_embed is not None:
            gen += list(model.class_embed.parameters())
        return {"critic": torch.optim.Adam(model.critic.parameters(), lr=cfg.lr, betas=betas),
                "generator": torch.optim.Adam(gen, lr=cfg.generator_lr, betas=betas)}

    # -- one step ----------------------------------------------------------------------------
    def _info_loss(self, model: GanModel, feats: torch.Tensor, codes: torch.Tensor,
                   idx: torch.Tensor) -> torch.Tensor:
        q = model.critic.q_head(feats)
        cat = model.info_categorical
        loss = F.cross_entropy(q[:, :cat], idx) if cat else q.new_zeros(())
        if model.info_continuous:
            loss = loss + F.mse_loss(q[:, cat:], codes[:, cat:])
        return self.cfg.info_weight * loss

    def train_step(self, step: Step, batch: Any) -> StepOutput:
        cfg, model = self.cfg, step.model
        real, labels = step.to_device(batch)
        n, dev = real.shape[0], step.device
        stage, alpha = int(model.stage), float(model.alpha)
        side = model.generator.base * 2 ** stage if cfg.arch != "mlp" else cfg.size
        if real.shape[-1] != side:
            real = F.adaptive_avg_pool2d(real, side)
        y = labels if model.classes else None
        codes, idx = info_codes(model, n)
        codes = None if codes is None else codes.to(dev)
        code = model.code(torch.randn(n, cfg.latent, device=dev), y, codes)
        fake = model.generator(code, stage, alpha)

        def critic(x: torch.Tensor) -> torch.Tensor:
            return model.critic(x, y, stage, alpha)[0]

        r_score, r_feat = model.critic(real, y, stage, alpha)
        f_score, f_feat = model.critic(fake.detach(), y, stage, alpha)
        d_loss = discriminator_loss(cfg.loss, r_score, f_score)
        if cfg.loss == "wgan-gp":
            d_loss = d_loss + gradient_penalty(critic, real, fake.detach(), weight=cfg.gp_weight)
        if cfg.r1_weight:
            d_loss = d_loss + r1_penalty(critic, real, weight=cfg.r1_weight)
        if codes is not None:
            d_loss = d_loss + self._info_loss(model, f_feat, codes, idx.to(dev))
        d_value = step.optimize(d_loss, "critic")
        sep = separation(r_score, f_score)
        stats = {"critic_separation": sep * n}
        g_value = float("nan")
        if (step.index + 1) % cfg.critic_steps == 0:
            f_score, f_feat = model.critic(fake, y, stage, alpha)
            real_for_g = None
            if cfg.loss == "ragan" or cfg.feature_matching:
                with torch.no_grad():
                    r_score, r_feat = model.critic(real, y, stage, alpha)
                real_for_g = r_score
            g_loss = generator_loss(cfg.loss, f_score, real_for_g)
            if cfg.feature_matching:
                g_loss = g_loss + cfg.feature_matching * feature_matching_loss(r_feat, f_feat)
            if codes is not None:
                g_loss = g_loss + self._info_loss(model, f_feat, codes, idx.to(dev))
            g_value = step.optimize(g_loss, "generator")
            stats["generator_loss"] = g_value * n * cfg.critic_steps
        self._watch(step, sep, d_value, g_value)
        return StepOutput(d_loss.detach(), stats, n)

    def _watch(self, step: Step, sep: float, d_value: float, g_value: float) -> None:
        """Log the losses; stop a run whose critic has separated every pair for too long."""
        self.log.append((step.index, d_value, g_value))
        self.separated = self.separated + 1 if sep >= 1.0 else 0
        limit = self.cfg.divergence_steps
        if limit and self.separated >= limit:
            raise DataError(
                f"epoch {step.epoch + 1}, step {step.index}: the critic has separated every real "
                f"from every fake image for {self.separated} steps (critic loss {d_value:.4g}, "
                f"generator loss {g_value:.4g}) — the generator collapsed; lower lr, use "
                "spectral_norm, or loss wgan-gp/hinge")

    # -- evaluation and artifacts ------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        real = torch.cat([x for x, _ in loader])
        labels = torch.cat([y for _, y in loader]).tolist() if model.classes else None
        fake = sample_model(model, len(real), seed=12345, labels=labels)
        a, b = to_uint8(real), to_uint8(fake)
        swd = sliced_distance(torch.from_numpy(a).flatten(1) / 255.0,
                              torch.from_numpy(b).flatten(1) / 255.0)
        return {"val_swd_error": swd}

    def hooks(self, cfg: GanConfig) -> list[HookBase]:
        hooks: list[HookBase] = [_SampleHook()]
        if cfg.grow_epochs:
            hooks.insert(0, _GrowHook())
        return hooks

    def state_dict(self) -> dict[str, Any]:
        return {"log": torch.tensor(self.log, dtype=torch.float64).reshape(-1, 3),
                "separated": self.separated}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "log" in state:
            self.log = [(int(s), float(d), float(g)) for s, d, g in state["log"].tolist()]
            self.separated = int(state["separated"])


class _GrowHook(HookBase):
    """Sets the model's ProGAN stage and fade-in alpha before each step (from the step count,
    so a resumed run finds the same schedule)."""

    def before_step(self) -> None:
        from oculi.generate.gan_blocks import grow_schedule

        t = self.trainer
        per_stage = max(1, round(t.cfg.grow_epochs * t.steps_per_epoch))
        stage, alpha = grow_schedule(t.step.index, per_stage, t.model.generator.stages)
        t.model.stage.fill_(stage)
        t.model.alpha.fill_(alpha)


class _SampleHook(HookBase):
    """``samples/epoch_NNN.png`` (fixed noise, the evaluation model) and ``losses.png``."""

    def after_epoch(self) -> None:
        t = self.trainer
        if not t.info.main:
            return
        from oculi.io import write_image

        n = t.cfg.grid
        if n:
            model = t.eval_model
            labels = None
            if model.classes:
                labels = [i % model.classes for i in range(n)]
            imgs = to_uint8(sample_model(model, n, seed=0, labels=labels))
            cols = model.classes or None  # conditional: one column per class
            write_image(Path(t.run_dir) / "samples" / f"epoch_{t.epoch + 1:03d}.png",
                        grid(imgs, cols))
        plot_losses(t.task.log, Path(t.run_dir) / "losses.png")


def plot_losses(log: list[tuple[int, float, float]], path: Path) -> None:
    """Critic and generator loss per step (a running mean over ~1 % of the steps) as a PNG."""
    if not log:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from oculi.core.atomic import save_figure

    arr = np.array(log, dtype=float)
    k = max(1, len(arr) // 100)
    fig, ax = plt.subplots(figsize=(7, 3.4))
    for col, name in ((1, "critic"), (2, "generator")):
        v = arr[:, col]
        ok = np.isfinite(v)
        if ok.sum() >= 1:
            s, v = arr[ok, 0], v[ok]
            if len(v) >= k:
                v = np.convolve(v, np.ones(k) / k, mode="valid")
                s = s[k - 1:]
            ax.plot(s, v, label=f"{name} loss")
    ax.set_xlabel("step")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path)


def train_gan(data: str | os.PathLike[str] | None, cfg: GanConfig | None = None,
              out: str | os.PathLike[str] = "runs/gan", *, resume: bool = False,
              progress: bool | None = None, overwrite: bool = False):
    """Train a GAN with :func:`oculi.train.fit`.

    Args:
        data: ``mnist``, ``fashion-mnist``, a folder of IDX files, or a folder of grey images
            (``CLASS/`` sub-folders give labels).
        cfg: the settings (:class:`~oculi.generate.gan_config.GanConfig`).
        out: the run folder.
        resume: continue the run in ``out`` exactly where its last epoch ended.
        progress: show a progress bar (None: when attached to a terminal).
        overwrite: replace a previous run in ``out``.

    Returns:
        :class:`~oculi.train.FitResult`; draw from the run with
        :func:`oculi.generate.generate` or ``oculi generate RUN``.
    """
    from oculi.train.loop import fit

    return fit(GanTask(data), cfg or GanConfig(), out, resume=resume, progress=progress,
               overwrite=overwrite)
