"""The image-to-image trainable tasks ``pix2pix`` (paired) and ``cyclegan`` (unpaired).

pix2pix (Isola et al. 2017): the generator G maps A to B; its loss is
``l1_weight · |G(a) − b|₁ + adv(D(a, G(a)))``, the conditional PatchGAN critic D scoring (input,
output) pairs. The recipe (``gan``, ``pixel`` = L1 only, ``nogan``) runs through
:class:`oculi.train.adversarial.AdversarialSchedule`, the same schedule as the colouriser's.

CycleGAN (Zhu et al. 2017): generators G: A -> B and F: B -> A, critics D_B, D_A. Each step the
generators minimise ``adv(D_B(G(a))) + adv(D_A(F(b))) + λ·(|F(G(a)) − a| + |G(F(b)) − b|)
+ identity·λ·(|G(b) − b| + |F(a) − a|)`` (the identity term only when A and B have the same
channels), then the critics minimise their loss on real images against fakes drawn from
:class:`ImageHistory` (50 past fakes each). Both ``generator`` and ``critic`` optimizers, the
history buffers and their random generators, the unpaired B draw and the EMA (``ema_decay``) are
in ``state.pt``: a resumed run continues exactly.

Validation each epoch: ``val_l1_error`` (mean |G(a) − b| of the true pairs, pixels in [0, 1]),
``val_psnr`` (dB) and, for CycleGAN, ``val_cycle_error`` (|F(G(a)) − a|, which needs no pairs:
CycleGAN's default ``monitor``). ``examples.png``: input | output | truth rows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from oculi.generate.img2img_config import CycleGanConfig, Pix2PixConfig
from oculi.generate.img2img_data import (
    Domains,
    PairImages,
    load_domains,
    summary,
    to_image,
    validation_set,
)
from oculi.generate.img2img_nets import Img2ImgModel
from oculi.train.losses.gan import GANLoss
from oculi.train.task import Step, StepOutput, Task, TaskData

CHECKPOINT_KEY = "oculi_img2img"


class ImageHistory:
    """The image history buffer of Shrivastava et al. (2017) as CycleGAN uses it: the critic
    sees, for each new fake, the fake itself while the buffer fills; once ``size`` fakes are
    stored, with probability ½ a stored fake chosen at random (the new one takes its place),
    else the new one.

    Args:
        size: fakes kept (0: always the new fakes).
        seed: seed of the buffer's own random generator (in :meth:`state_dict`).
    """

    def __init__(self, size: int = 50, seed: int = 0) -> None:
        self.size = int(size)
        self.images: list[torch.Tensor] = []
        self.rng = torch.Generator().manual_seed(seed)

    def query(self, fakes: torch.Tensor) -> torch.Tensor:
        """The batch the critic sees for the new ``fakes`` ``N x C x H x W`` (same shape)."""
        if self.size == 0:
            return fakes.detach()
        out = []
        for img in fakes.detach().cpu():
            if len(self.images) < self.size:
                self.images.append(img.clone())
                out.append(img)
            elif float(torch.rand(1, generator=self.rng)) < 0.5:
                j = int(torch.randint(self.size, (1,), generator=self.rng))
                out.append(self.images[j])
                self.images[j] = img.clone()
            else:
                out.append(img)
        return torch.stack(out).to(fakes.device)

    def state_dict(self) -> dict[str, Any]:
        stored = torch.stack(self.images) if self.images else torch.zeros(0)
        return {"images": stored, "rng": self.rng.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.images = [img.clone() for img in state["images"]] if len(state["images"]) else []
        self.rng.set_state(state["rng"])


def _core(model: nn.Module) -> Img2ImgModel:
    return getattr(model, "module", model)


def _swap(d: Domains) -> Domains:
    """The same data with A and B exchanged (``direction: b2a``)."""
    d.pairs = [(n, rb, ra) for n, ra, rb in d.pairs]
    d.val_pairs = [(n, rb, ra) for n, ra, rb in d.val_pairs]
    d.in_channels, d.out_channels = d.out_channels, d.in_channels
    return d


class _Img2ImgTask(Task):
    """What both tasks share: data, model, optimizers, evaluation (see the module doc)."""

    checkpoint_key = CHECKPOINT_KEY
    paired: ClassVar[bool] = True
    rng_state: ClassVar[dict[str, str]] = {"draw": "train_set.rng"}

    def __init__(self, data: str | os.PathLike[str] | None = None) -> None:
        self.data = data

    def _uses_critic(self, cfg: Any) -> bool:
        return True

    def build_model(self, cfg: Any) -> nn.Module:
        cfg.validate()
        self.cfg = cfg
        d = load_domains(self.data, derive=cfg.derive, val_images=cfg.val_images,
                         limit=cfg.train_images, paired=self.paired, seed=cfg.seed)
        self.domains = _swap(d) if cfg.direction == "b2a" else d
        return Img2ImgModel(
            "paired" if self.paired else "unpaired", self.domains.in_channels,
            self.domains.out_channels, generator=cfg.generator, width=cfg.width,
            depth=cfg.depth, res_blocks=cfg.res_blocks, dropout=cfg.dropout, norm=cfg.norm,
            patch=cfg.patch, critic_width=cfg.critic_width, spectral_norm=cfg.spectral_norm,
            image_size=cfg.image_size, critic=self._uses_critic(cfg))

    def build_data(self, cfg: Any, model: nn.Module, info: Any) -> TaskData:
        val = validation_set(self.domains, cfg.image_size)
        self.train_set = PairImages(self.domains, cfg.image_size, paired=self.paired,
                                    seed=cfg.seed + 7919 * info.rank)
        self.val_truth = self.domains.val_truth
        return TaskData(self.train_set, val, summary(self.domains, val, self.paired))

    def build_optimizers(self, cfg: Any, model: nn.Module) -> dict[str, Any]:
        betas = (cfg.beta1, cfg.beta2)
        m = _core(model)
        gen = [p for g in m.generators() for p in g.parameters()]
        opts = {"generator": torch.optim.Adam(gen, lr=cfg.lr, betas=betas)}
        if m.critics():
            crit = [p for c in m.critics() for p in c.parameters()]
            opts["critic"] = torch.optim.Adam(crit, lr=cfg.lr, betas=betas)
        return opts

    @torch.no_grad()
    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        out = score_batches(_core(model), loader, device, truth=getattr(self, "val_truth", True))
        out.pop("outputs")
        return out

    def write_artifacts(self, run_dir: Path, evaluation: dict[str, Any]) -> None:
        if "examples" in evaluation:
            from oculi.io import write_image

            write_image(Path(run_dir) / "examples.png", evaluation["examples"])


def examples_strip(a: torch.Tensor, fake: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    """Rows ``input | output | truth`` of up to 8 items as one uint8 RGB picture (grey sides
    repeated to 3 channels); 2-pixel white gaps."""
    def rgb(x: torch.Tensor) -> torch.Tensor:
        return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x

    k = min(8, len(a))
    cols = [rgb(t[:k].cpu()) for t in (a, fake, b)]
    gap = torch.ones(k, 3, a.shape[-2], 2)
    row = torch.cat([cols[0], gap, cols[1], gap, cols[2]], 3)
    pad = torch.ones(k, 3, 2, row.shape[-1])
    strip = torch.cat([torch.cat([r, p], 1) for r, p in zip(row, pad, strict=True)], 1)
    return to_image(strip[None])[0]


@torch.no_grad()
def score_batches(model: Img2ImgModel, loader: Any, device: torch.device | str = "cpu", *,
                  truth: bool = True) -> dict[str, Any]:
    """``val_l1_error`` and ``val_psnr`` of ``model.generator`` against the true B (when
    ``truth``), ``val_cycle_error`` for a CycleGAN model, ``examples`` (a picture) and
    ``outputs`` (the generated B, ``N x C x H x W`` in [-1, 1], CPU) over batches
    ``(a, b, ...)``."""
    from oculi.train.metrics.image import psnr

    model.eval()
    l1 = cyc = 0.0
    ps: list[torch.Tensor] = []
    outs = []
    first = None
    for batch in loader:
        a, b = batch[0].to(device), batch[1].to(device)
        fake = model.generator(a)
        outs.append(fake.cpu())
        if first is None:
            first = (a, fake, b)
        l1 += float((fake - b).abs().mean((1, 2, 3)).sum()) / 2
        ps.append(psnr((fake + 1) / 2, (b + 1) / 2).cpu())
        if model.generator_ba is not None:
            cyc += float((model.generator_ba(fake) - a).abs().mean((1, 2, 3)).sum()) / 2
    n = sum(len(o) for o in outs)
    out: dict[str, Any] = {"outputs": torch.cat(outs)}
    if truth:
        p = torch.cat(ps)
        out["val_l1_error"] = l1 / n
        out["val_psnr"] = float(p[torch.isfinite(p)].mean()) if torch.isfinite(p).any() else 99.0
    if model.generator_ba is not None:
        out["val_cycle_error"] = cyc / n
    if first is not None:
        out["examples"] = examples_strip(*first)
    return out


class Pix2PixTask(_Img2ImgTask):
    """pix2pix (see the module doc)."""

    name = "pix2pix"
    paired = True

    def _uses_critic(self, cfg: Pix2PixConfig) -> bool:
        return cfg.recipe != "pixel"

    def build_model(self, cfg: Pix2PixConfig) -> nn.Module:
        from oculi.train.adversarial import AdversarialSchedule, recipe_phases

        model = super().build_model(cfg)
        self.schedule = AdversarialSchedule(
            recipe_phases(cfg.recipe, cfg.epochs, cfg.critic_epochs, cfg.adversarial_epochs),
            cfg.gan_loss, 1.0)
        return model

    def train_step(self, step: Step, batch: Any) -> StepOutput:
        a, b = step.to_device(batch)
        model, weight = _core(step.model), self.cfg.l1_weight

        def critic(x: torch.Tensor) -> torch.Tensor:
            return model.critic(torch.cat([a, x], 1))

        def content(fake: torch.Tensor) -> torch.Tensor:
            return weight * F.l1_loss(fake, b)

        return self.schedule.step(step, generate=lambda: model.generator(a), critic=critic,
                                  content=content, real=b, n=a.shape[0])


class CycleGanTask(_Img2ImgTask):
    """CycleGAN (see the module doc)."""

    name = "cyclegan"
    paired = False

    def build_model(self, cfg: CycleGanConfig) -> nn.Module:
        model = super().build_model(cfg)
        self.gan = GANLoss(cfg.gan_loss)
        self.history_a = ImageHistory(cfg.history, cfg.seed + 1)
        self.history_b = ImageHistory(cfg.history, cfg.seed + 2)
        return model

    def losses(self, model: Img2ImgModel, a: torch.Tensor, b: torch.Tensor
               ) -> tuple[torch.Tensor, dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
        """The generators' loss, its terms (``adversarial``, ``cycle``, ``identity``, unweighted)
        and the fakes ``G(a)``, ``F(b)``."""
        cfg, g, f = self.cfg, model.generator, model.generator_ba
        fake_b, fake_a = g(a), f(b)
        adv = (self.gan.generator(model.critic(fake_b))
               + self.gan.generator(model.critic_a(fake_a)))
        cycle = F.l1_loss(f(fake_b), a) + F.l1_loss(g(fake_a), b)
        terms = {"adversarial": adv, "cycle": cycle}
        loss = adv + cfg.cycle_weight * cycle
        if cfg.identity > 0 and a.shape[1] == b.shape[1]:
            terms["identity"] = F.l1_loss(g(b), b) + F.l1_loss(f(a), a)
            loss = loss + cfg.identity * cfg.cycle_weight * terms["identity"]
        return loss, terms, fake_b, fake_a

    def train_step(self, step: Step, batch: Any) -> StepOutput:
        a, b = step.to_device(batch)
        model, n = _core(step.model), a.shape[0]
        g_loss, terms, fake_b, fake_a = self.losses(model, a, b)
        step.optimize(g_loss, "generator")
        old_b, old_a = self.history_b.query(fake_b), self.history_a.query(fake_a)
        d_loss = 0.5 * (self.gan.critic(model.critic(b), model.critic(old_b))
                        + self.gan.critic(model.critic_a(a), model.critic_a(old_a)))
        step.optimize(d_loss, "critic")
        stats = {f"{k}_loss": float(v.detach()) * n for k, v in terms.items()}
        stats["critic_loss"] = float(d_loss.detach()) * n
        return StepOutput(g_loss.detach(), stats, n)

    def state_dict(self) -> dict[str, Any]:
        out = super().state_dict()
        if hasattr(self, "history_a"):
            out["history_a"] = self.history_a.state_dict()
            out["history_b"] = self.history_b.state_dict()
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        if "history_a" in state:
            self.history_a.load_state_dict(state["history_a"])
            self.history_b.load_state_dict(state["history_b"])


def _fit(task: Task, cfg: Any, out: Any, resume: bool, progress: bool | None,
         overwrite: bool) -> Any:
    from oculi.train.loop import fit

    return fit(task, cfg, out, resume=resume, progress=progress, overwrite=overwrite)


def train_pix2pix(data: str | os.PathLike[str] | None, cfg: Pix2PixConfig | None = None,
                  out: str | os.PathLike[str] = "runs/pix2pix", *, resume: bool = False,
                  progress: bool | None = None, overwrite: bool = False):
    """Train pix2pix with :func:`oculi.train.fit`.

    Args:
        data: ``edges2fashion``, ``edges2mnist`` or a folder (see
            :mod:`oculi.generate.img2img_data`).
        cfg: the settings (:class:`~oculi.generate.img2img_config.Pix2PixConfig`).
        out: the run folder.
        resume: continue the run in ``out`` exactly where its last epoch ended.
        progress: show a progress bar (None: when attached to a terminal).
        overwrite: replace a previous run in ``out``.

    Returns:
        :class:`~oculi.train.FitResult`; translate images with ``oculi generate RUN --input``.
    """
    return _fit(Pix2PixTask(data), cfg or Pix2PixConfig(), out, resume, progress, overwrite)


def train_cyclegan(data: str | os.PathLike[str] | None, cfg: CycleGanConfig | None = None,
                   out: str | os.PathLike[str] = "runs/cyclegan", *, resume: bool = False,
                   progress: bool | None = None, overwrite: bool = False):
    """Train CycleGAN with :func:`oculi.train.fit` (arguments as :func:`train_pix2pix`, the
    settings a :class:`~oculi.generate.img2img_config.CycleGanConfig`)."""
    return _fit(CycleGanTask(data), cfg or CycleGanConfig(), out, resume, progress, overwrite)
