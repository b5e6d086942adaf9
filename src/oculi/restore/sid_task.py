"""The ``sid`` trainable task: the see-in-the-dark U-Net (:mod:`oculi.restore.sid_net`) trained
with :func:`oculi.train.fit` on synthetic short exposures of clean photos (``oculi train sid``),
evaluated per image with PSNR/SSIM beside the plain pipeline (``oculi eval sid``).

Training pairs are made on the fly (:class:`DarkCrops`): a random crop (flips, 90-degree
rotations) is unprocessed to a camera raw (:mod:`oculi.restore.unprocess`), made ``ratio`` times
darker with Poisson-Gaussian noise, packed and amplified; the target is the crop itself. The
validation crops (:class:`DarkValCrops`) are made once, seed 0, at ``val_ratio``. ``val_psnr``
(sRGB, peak 1) selects ``best.safetensors``.
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

from oculi.core.errors import DataError
from oculi.restore.patches import (
    Patches,
    ValCrops,
    central_crops,
    image_sources,
    random_view,
    read_source,
)
from oculi.restore.sid_config import SidConfig
from oculi.restore.sid_net import CHECKPOINT_KEY, SidUNet, network_input
from oculi.restore.unprocess import pack, sample_isp, short_exposure
from oculi.train.metrics.image import psnr as image_psnr
from oculi.train.task import Step, StepOutput, Task, TaskData

DataArg = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


def dark_pair(crop: np.ndarray, cfg: SidConfig, rng: np.random.Generator,
              ratio: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(input, target)`` of a uint8 RGB crop (sides multiples of 32): the 4 x h/2 x w/2
    amplified packed raw and the 3 x h x w sRGB float32 crop. ``ratio`` None: drawn from
    ``cfg.ratios``."""
    if ratio is None:
        ratio = float(cfg.ratios[int(rng.integers(0, len(cfg.ratios)))])
    srgb = crop.astype(np.float32) / np.float32(255.0)
    isp = sample_isp(rng, cfg.random_isp)
    raw = short_exposure(srgb, ratio, rng, tuple(cfg.shot_noise), isp)
    x = network_input(pack(raw), ratio)
    return torch.from_numpy(x), torch.from_numpy(np.ascontiguousarray(srgb.transpose(2, 0, 1)))


class DarkCrops(Patches):
    """Random training pairs (:func:`dark_pair`); item ``i`` is a crop of image ``i // repeat``.
    The sources, the image cache and the crop size check are :class:`Patches`' (``cfg.patch``,
    ``cfg.repeat``); only the pair made from a crop differs.

    Attributes:
        samples: ``(source,)`` of each item (what the engine names a skipped item by).
        rng: the generator of crops, ratios, cameras and noise (saved for exact resume).
    """

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = self._image(index // self.cfg.repeat)
        (crop,) = random_view(self.rng, image, size=self.cfg.patch)
        return dark_pair(crop, self.cfg, self.rng)


class DarkValCrops(ValCrops):
    """The central ``val_size`` crop of each validation image (at most ``val_images``) made dark
    once (seed 0, ``val_ratio``); unreadable or small images are listed in :attr:`skipped`
    (indexing and ``summary()`` are the restore task's :class:`ValCrops`')."""

    def __init__(self, sources: list[str], cfg: SidConfig) -> None:
        rng = np.random.default_rng(0)
        self.skipped: dict[str, str] = {}
        crops = central_crops(sources, cfg.val_size, cfg.val_images, self.skipped)
        self.names = [source for source, _ in crops]
        self.pairs = [dark_pair(crop, cfg, rng, cfg.val_ratio) for _, crop in crops]


class SidTask(Task):
    """See-in-the-dark training (see the module doc)."""

    name = "sid"
    checkpoint_key = CHECKPOINT_KEY
    #: exact resume of the training samples (see Task.rng_state)
    rng_state: ClassVar[dict[str, str]] = {"rng": "crops.rng"}

    def __init__(self, data: DataArg = None) -> None:
        self.data = data
        self.cfg = SidConfig()

    def build_model(self, cfg: SidConfig) -> nn.Module:
        self.cfg = cfg
        return SidUNet(cfg.features)

    def build_data(self, cfg: SidConfig, model: nn.Module, info: Any) -> TaskData:
        train, val = image_sources(self.data, cfg)  # type: ignore[arg-type]
        val_set = DarkValCrops(val or train, cfg)
        summary = {"train_images": len(train), "crops_per_epoch": len(train) * cfg.repeat,
                   "ratios": list(cfg.ratios), "val_ratio": cfg.val_ratio, **val_set.summary()}
        self.crops = DarkCrops(train, cfg, cfg.seed + 7919 * info.rank)  # type: ignore[arg-type]
        return TaskData(self.crops, val_set, summary)

    def train_step(self, step: Step, batch: Any) -> StepOutput:
        dark, clean = step.to_device(batch)
        out = step.model(dark)
        loss_fn = nn.functional.l1_loss if self.cfg.loss == "l1" else nn.functional.mse_loss
        return StepOutput(loss_fn(out, clean), {}, clean.shape[0])

    @torch.no_grad()
    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        total, loss, n = 0.0, 0.0, 0
        for dark, clean in loader:
            out = model(dark.to(device)).clamp(0, 1).cpu()
            loss += float(nn.functional.l1_loss(out, clean, reduction="sum")) / clean[0].numel()
            total += float(image_psnr(out, clean).sum())
            n += clean.shape[0]
        return {"val_psnr": total / n, "val_loss": loss / n}


def train_sid(data: DataArg, cfg: SidConfig | None = None,
              out: str | os.PathLike[str] = "runs/sid", *, resume: bool = False,
              progress: bool | None = None):
    """Train the see-in-the-dark U-Net with :func:`oculi.train.fit`.

    Args:
        data: a folder of clean photos (``train/`` + ``val/``, or any images: the last
            ``val_split`` held out), several folders, or None: the embedded photos.
        cfg: the settings (:class:`SidConfig`).
        out: the run folder.
        resume: continue from ``out/last.safetensors``.
        progress: show a progress bar (None: when attached to a terminal).

    Returns:
        :class:`~oculi.train.FitResult`; the run loads with
        :func:`oculi.restore.sid_net.sid_enhance` (``oculi enhance --method sid --run``).
    """
    from oculi.train.loop import fit

    return fit(SidTask(data), cfg or SidConfig(), out, resume=resume, progress=progress)


def simple_pipeline(raw: np.ndarray, ratio: float, denoiser: str | None = None) -> np.ndarray:
    """The baseline without a trained network: amplify an HxW Bayer raw in [0, 1] by ``ratio``
    (clipped to 1), the fixed camera's demosaic-free ISP at half size, optionally a
    :func:`oculi.restore.denoise` method (``nlm``, ``bm3d``; sigma estimated on the half-size
    sRGB), then bicubic x2: HxWx3 sRGB float32 in [0, 1]."""
    import cv2

    from oculi.restore.unprocess import process_packed

    half = process_packed(np.minimum(pack(raw) * np.float32(ratio), 1.0))
    if denoiser is not None:
        from oculi.restore import denoise, estimate_noise

        half = denoise(half, estimate_noise(half), denoiser)
    h, w = raw.shape
    return np.clip(cv2.resize(half, (w, h), interpolation=cv2.INTER_CUBIC), 0.0, 1.0)


def evaluate_sid(run: str | os.PathLike[str], data: str | os.PathLike[str], *,
                 ratio: float = 100.0, shot_noise: float = 5e-4, crop: int = 0,
                 seed: int = 0):
    """PSNR and SSIM per image of a sid run on clean reference photos made dark synthetically
    (fixed camera), beside the simple pipeline (amplify + ISP + bicubic x2).

    Args:
        run: run folder or checkpoint.
        data: a folder of reference images.
        ratio: the exposure ratio (e.g. 100 or 300).
        shot_noise: the shot-noise variance per unit signal (read noise from Brooks et al.'s
            relation, seeded).
        crop: score the central crop of this many pixels per side (0: whole images, cropped to
            even sides).
        seed: the noise seed.

    Returns:
        An :class:`~oculi.core.results.EvaluationReport`: ``val_psnr``, ``val_ssim`` (means),
        ``val_psnr_baseline``, ``val_ssim_baseline``; details ``images`` (per image).
    """
    from oculi.core.results import EvaluationReport
    from oculi.restore import psnr, ssim
    from oculi.restore.patches import evaluation_crop, image_files
    from oculi.restore.sid_net import load_sid, sid_enhance
    from oculi.restore.unprocess import check_ratio

    ratio = check_ratio(ratio)
    files = image_files(Path(data)) if Path(data).is_dir() else []
    if not files:
        raise DataError(f"{data}: no images to evaluate on")
    net = load_sid(run)
    rng = np.random.default_rng(seed)
    rows = []
    for f in files:
        ref = evaluation_crop(read_source(f), crop, 2)
        raw = short_exposure(ref.astype(np.float32) / 255.0, ratio, rng,
                             (shot_noise, shot_noise))
        out, base = sid_enhance(raw, net, ratio), simple_pipeline(raw, ratio)
        rows.append({"image": Path(f).name, "psnr": psnr(ref, out), "ssim": ssim(ref, out),
                     "psnr_baseline": psnr(ref, base), "ssim_baseline": ssim(ref, base)})
    metrics = {k: float(np.mean([r[k.removeprefix("val_")] for r in rows]))
               for k in ("val_psnr", "val_ssim", "val_psnr_baseline", "val_ssim_baseline")}
    details = {"ratio": ratio, "shot_noise": shot_noise, "baseline": "simple pipeline",
               "images": rows}
    return EvaluationReport("sid", metrics, details)


def print_report(report: Any, echo: Any) -> None:
    """One line per image of :func:`evaluate_sid`."""
    for r in report["images"]:
        echo(f"  {r['image']:<24} PSNR {r['psnr']:.2f} dB  SSIM {r['ssim']:.4f}  "
             f"(simple pipeline {r['psnr_baseline']:.2f} dB, {r['ssim_baseline']:.4f})")
