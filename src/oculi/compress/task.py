"""The ``compress`` trainable task: a learned codec trained for one rate-distortion trade-off
(``oculi train compress DATA --quality q``), evaluated per image on real bit streams
(``oculi eval compress RUN DATA``).

Training minimises ``λ·255²·MSE + bpp`` with the main optimizer (bpp from the likelihoods of the
noisy latents) and the factorized densities' quantile loss with the auxiliary one. Validation
encodes each crop to a real bit stream: ``val_bpp`` counts its bytes, ``val_psnr`` scores the
decoded crop, ``val_loss`` (the monitor) is ``λ·255²·MSE + bpp`` of the two.

``gan: true`` trains the GAN codec (:mod:`oculi.compress.gan`): a third optimizer, ``critic``,
for the discriminator; validation adds ``val_perceptual`` (the Lite0 perceptual distance of the
decoded crops) and ``val_loss`` adds ``perceptual_weight`` times it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from oculi.compress.config import CompressConfig
from oculi.compress.data import CentralCrops, Crops
from oculi.compress.gan import GanStep, check_init, init_summary
from oculi.compress.models import FactorizedPrior, build_codec
from oculi.core.errors import ParameterError
from oculi.train.task import Step, StepOutput, Task, TaskData

#: checkpoint metadata keys: the architecture, and the quality/λ of the run
CHECKPOINT_KEY = "oculi_compress"
RD_KEY = "oculi_compress_rd"
DataArg = str | os.PathLike[str] | list[str | os.PathLike[str]] | None


def rd_terms(x: torch.Tensor, x_hat: torch.Tensor,
             likelihoods: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(bpp, mse)`` of a batch: bits of all likelihoods per image pixel, and the MSE of
    [0, 1] images."""
    pixels = x.shape[0] * x.shape[2] * x.shape[3]
    bits = sum(-torch.log2(lik).sum() for lik in likelihoods)
    return bits / pixels, nn.functional.mse_loss(x_hat, x)


def load_state_matching(model: nn.Module, run: str | os.PathLike[str]) -> int:
    """Load the weights of a run (or checkpoint) whose names and shapes match ``model``'s;
    returns how many tensors were loaded.

    Raises:
        ParameterError: no tensor of the transforms g_a / g_s matches (another size).
    """
    from oculi.models.weights import read_state_dict
    from oculi.train.checkpoint import resolve_checkpoint

    source = read_state_dict(resolve_checkpoint(run, "compress"))
    own = model.state_dict()
    keep = {k: v for k, v in source.items() if k in own and own[k].shape == v.shape}
    if not any(k.startswith(("g_a.", "g_s.")) and v.ndim > 1 for k, v in keep.items()):
        raise ParameterError(f"init: no weight of {run}'s transforms fits this codec (other "
                             "channels / latent_channels)")
    model.load_state_dict(keep, strict=False)
    return len(keep)


class CompressTask(Task):
    """Rate-distortion training of a learned codec (see the module doc)."""

    name = "compress"
    checkpoint_key = CHECKPOINT_KEY
    #: exact resume of the training samples (see Task.rng_state)
    rng_state: ClassVar[dict[str, str]] = {"rng": "crops.rng"}

    def __init__(self, data: DataArg = None) -> None:
        self.data = data
        self.cfg = CompressConfig()
        self.initialised = 0
        self.gan: GanStep | None = None

    def build_model(self, cfg: CompressConfig) -> nn.Module:
        self.cfg = cfg
        conf = {"model": cfg.model, "channels": cfg.channels,
                "latent_channels": cfg.latent_channels}
        if cfg.gan:
            conf["critic"] = cfg.critic_width
            if cfg.init:
                check_init(cfg.init, cfg)
            self.gan = GanStep(cfg)
        model = build_codec(conf)
        if cfg.init:
            self.initialised = load_state_matching(model, cfg.init)
        return model

    def build_data(self, cfg: CompressConfig, model: nn.Module, info: Any) -> TaskData:
        from oculi.restore.patches import image_sources

        train, val = image_sources(self.data, cfg)
        val_set = CentralCrops(val or train, cfg)
        self.crops = Crops(train, cfg, cfg.seed + 7919 * info.rank)
        summary = {"model": cfg.model, "lmbda": cfg.rd_lambda, "quality": cfg.quality,
                   "train_images": len(train), "crops_per_epoch": len(self.crops),
                   "init": cfg.init, "init_tensors": self.initialised, **val_set.summary()}
        if cfg.gan:
            summary["gan"] = init_summary(cfg)
        return TaskData(self.crops, val_set, summary)

    def build_optimizers(self, cfg: CompressConfig, model: nn.Module) -> dict[str, Any]:
        aux = [p for n, p in model.named_parameters() if n.endswith("quantiles")]
        main = [p for n, p in model.named_parameters()
                if not n.endswith("quantiles") and not n.startswith("critic.")]
        optimizers = {"main": torch.optim.AdamW(main, lr=cfg.lr, weight_decay=cfg.weight_decay),
                      "aux": torch.optim.Adam(aux, lr=cfg.aux_lr)}
        if cfg.gan:  # HiFiC's Adam settings for the discriminator
            optimizers["critic"] = torch.optim.Adam(model.critic.parameters(), lr=cfg.critic_lr,
                                                    betas=(0.5, 0.999))
        return optimizers

    def checkpoint_metadata(self, model: nn.Module) -> dict[str, str]:
        meta = super().checkpoint_metadata(model)
        meta[RD_KEY] = json.dumps({"quality": self.cfg.quality, "lmbda": self.cfg.rd_lambda})
        return meta

    def train_step(self, step: Step, batch: Any) -> StepOutput:
        x = step.to_device(batch)
        if self.gan is not None:
            return self.gan(step, x)
        x_hat, likelihoods = step.model(x)
        bpp, mse = rd_terms(x, x_hat, likelihoods)
        loss = self.cfg.rd_lambda * 255.0 ** 2 * mse + bpp
        step.optimize(loss, "main")
        aux = getattr(step.model, "module", step.model).aux_loss()
        step.optimize(aux, "aux")
        n = x.shape[0]
        return StepOutput(loss.detach(), {"bpp": float(bpp.detach()) * n,
                                          "psnr": float(-10 * torch.log10(mse.detach())) * n,
                                          "aux_loss": float(aux.detach()) * n}, n)

    @torch.no_grad()
    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        model = model.cpu() if device.type != "cpu" else model
        for density in model.densities():  # the quantiles the aux loss is converging to
            density.fit_quantiles()
        bpps, mses, dists = [], [], []
        for batch in loader:
            for x in batch:
                x = x[None]
                streams = model.encode(x)
                x_hat = model.decode(streams, x.shape[2], x.shape[3])
                bpps.append(8.0 * sum(map(len, streams)) / (x.shape[2] * x.shape[3]))
                mses.append(float(((x_hat - x) ** 2).mean()))
                if self.gan is not None:
                    dists.append(float(self.gan.distance(x_hat, x)))
        model.to(device)
        bpp, mse = float(np.mean(bpps)), float(np.mean(mses))
        psnr = float(np.mean([-10 * np.log10(max(m, 1e-12)) for m in mses]))
        out = {"val_loss": self.cfg.rd_lambda * 255.0 ** 2 * mse + bpp, "val_bpp": bpp,
               "val_psnr": psnr}
        if self.gan is not None:
            out["val_perceptual"] = float(np.mean(dists))
            out["val_loss"] += self.cfg.perceptual_weight * out["val_perceptual"]
        return out


def train_codec(data: DataArg, cfg: CompressConfig | None = None,
                out: str | os.PathLike[str] = "runs/compress", *, resume: bool = False,
                progress: bool | None = None):
    """Train a learned codec with :func:`oculi.train.fit`.

    Args:
        data: a folder of photos (``train/`` + ``val/``, or any images: the last ``val_split``
            held out), several folders, or None: the embedded photos.
        cfg: the settings (:class:`CompressConfig`).
        out: the run folder.
        resume: continue from ``out/state.pt``.
        progress: show a progress bar (None: when attached to a terminal).

    Returns:
        :class:`~oculi.train.FitResult`; the run loads with :func:`load_codec` and compresses
        with ``oculi compress IMAGE --run out``.
    """
    from oculi.train.loop import fit

    return fit(CompressTask(data), cfg or CompressConfig(), out, resume=resume,
               progress=progress)


def load_codec(run: str | os.PathLike[str]) -> FactorizedPrior:
    """The codec of a ``compress`` run folder (or checkpoint), in eval mode, with attributes
    ``quality``, ``lmbda`` and ``source`` (the checkpoint path).

    Raises:
        DataError: no checkpoint, or the checkpoint of another task.
    """
    from oculi.models.weights import read_metadata
    from oculi.train.checkpoint import load_run_model, resolve_checkpoint

    ckpt = resolve_checkpoint(run, "compress")
    model = load_run_model(ckpt, CHECKPOINT_KEY, "compress", build_codec)
    rd = json.loads(read_metadata(ckpt).get(RD_KEY, "{}"))
    model.quality, model.lmbda = int(rd.get("quality", 0)), float(rd.get("lmbda", 0.0))
    model.source = Path(ckpt)
    return model


#: environment variable naming the default folder of per-quality runs (``q1`` ... ``q8``)
RUNS_ENV = "OCULI_COMPRESS_RUNS"


def find_codec(run: str | os.PathLike[str] | None, quality: int | None = None
               ) -> FactorizedPrior:
    """The codec to compress or decompress with.

    Args:
        run: a ``compress`` run folder or checkpoint, or a folder of runs named ``q1`` ... ``q8``
            (one per quality level); None: the folder named by ``$OCULI_COMPRESS_RUNS``.
        quality: the quality level to pick from a folder of runs (required there); for a single
            run, it must match the run's quality when given.

    Raises:
        DataError: no run given or found, or no run of that quality.
        ParameterError: a quality out of 1..8, or one the single run was not trained for.
    """
    from oculi.compress.config import LAMBDAS, quality_lambda
    from oculi.core.errors import DataError, ParameterError

    if quality is not None:
        quality_lambda(quality)
    if run is None:
        run = os.environ.get(RUNS_ENV)
        if not run:
            raise DataError("no codec: pass --run FOLDER (a run of 'oculi train compress', or a "
                            f"folder of runs q1..q{len(LAMBDAS)}) or set {RUNS_ENV}")
    p = Path(run)
    levels = sorted(int(d.name[1:]) for d in p.glob("q*") if d.is_dir() and d.name[1:].isdigit()
                    ) if p.is_dir() else []
    if levels and not any((p / f).is_file() for f in ("best.safetensors", "last.safetensors")):
        if quality is None:
            raise DataError(f"{p}: holds runs for qualities {levels} — pick one with --quality")
        if quality not in levels:
            raise DataError(f"{p}: no run for quality {quality} (it has {levels})")
        return load_codec(p / f"q{quality}")
    model = load_codec(p)
    if quality is not None and model.quality and quality != model.quality:
        raise ParameterError(f"quality: {p} is a quality-{model.quality} run, not {quality} "
                             "— drop --quality or pass the folder of all quality runs")
    return model
