"""The ``restore`` trainable task: SRCNN / FSRCNN / ESPCN / EDSR super-resolution, SRMD
multi-degradation super-resolution and DnCNN blind denoising (clean or Noise2Noise targets),
trained with :func:`oculi.train.fit` on crops of photos (``oculi train restore``), evaluated per
image with PSNR/SSIM (``oculi eval restore``).

Validation PSNR (``val_psnr``, selecting ``best.safetensors``): SR on the Y channel with
``scale`` pixels shaved, denoising on the network's planes, both on fixed central crops.
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

from oculi.restore.config import RestoreConfig
from oculi.restore.patches import Patches, ValCrops, image_sources
from oculi.restore.trained import CHECKPOINT_KEY
from oculi.train.task import Step, StepOutput, Task, TaskData

DataArg = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


def _psnr(a: torch.Tensor, b: torch.Tensor, shave: int) -> torch.Tensor:
    """Per-item PSNR (dB, peak 1) of N x C x H x W tensors, ``shave`` border pixels removed."""
    if shave:
        a, b = a[..., shave:-shave, shave:-shave], b[..., shave:-shave, shave:-shave]
    mse = ((a - b) ** 2).flatten(1).mean(1).clamp_min(1e-12)
    return -10.0 * torch.log10(mse)


def _y(x: torch.Tensor) -> torch.Tensor:
    """The MATLAB Y of N x 3 x H x W RGB in [0, 1] (N x 1 x H x W; identity for one plane)."""
    if x.shape[1] == 1:
        return x
    w = x.new_tensor([65.481, 128.553, 24.966]).view(1, 3, 1, 1) / 255.0
    return (x * w).sum(1, keepdim=True) + 16.0 / 255.0


class RestoreTask(Task):
    """Image-to-image restoration training (see the module doc)."""

    name = "restore"
    checkpoint_key = CHECKPOINT_KEY
    #: exact resume of the training samples (see Task.rng_state)
    rng_state: ClassVar[dict[str, str]] = {"rng": "patches.rng"}

    def __init__(self, data: DataArg = None) -> None:
        self.data = data
        self.cfg = RestoreConfig()

    def build_model(self, cfg: RestoreConfig) -> nn.Module:
        from oculi.restore.nets import build_network

        self.cfg = cfg
        scale = cfg.scale if cfg.problem == "sr" else 1
        extra = ({"kernel_size": cfg.kernel_size, "components": cfg.components} if cfg.srmd
                 else {})
        return build_network(cfg.model_name, scale, cfg.planes, cfg.features, cfg.depth, **extra)

    def build_data(self, cfg: RestoreConfig, model: nn.Module, info: Any) -> TaskData:
        train, val = image_sources(self.data, cfg)
        val_set = ValCrops(val or train, cfg)
        seed = cfg.seed + 7919 * info.rank
        summary = {"problem": cfg.problem, "model": cfg.model_name, "target": cfg.target,
                   **val_set.summary()}
        if cfg.pairs is not None:
            from oculi.restore.pairs import NoisyPairs

            self.patches = NoisyPairs(cfg.pairs, cfg, seed)
            summary.update(self.patches.summary())
        else:
            self.patches = Patches(train, cfg, seed)
            summary["train_images"] = len(train)
        summary["crops_per_epoch"] = len(self.patches)
        return TaskData(self.patches, val_set, summary)

    def train_step(self, step: Step, batch: Any) -> StepOutput:
        """One batch: ``(input, target)`` — the target is the clean crop, or another noisy copy
        of it (``target noisy``) — or SRMD's ``(lr, degradation, clean)``."""
        *inputs, target = step.to_device(batch)
        out = step.model(*inputs)
        loss_fn = nn.functional.l1_loss if self.cfg.loss == "l1" else nn.functional.mse_loss
        loss = loss_fn(out, target)
        return StepOutput(loss, {}, target.shape[0])

    @torch.no_grad()
    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        shave = self.cfg.scale if self.cfg.problem == "sr" else 0
        total, loss, n = 0.0, 0.0, 0
        for *inputs, clean in loader:
            out = model(*(x.to(device) for x in inputs)).clamp(0, 1).cpu()
            loss += float(nn.functional.l1_loss(out, clean, reduction="sum")) / clean[0].numel()
            a, b = (_y(out), _y(clean)) if self.cfg.problem == "sr" else (out, clean)
            total += float(_psnr(a, b, shave).sum())
            n += clean.shape[0]
        return {"val_psnr": total / n, "val_loss": loss / n}


def train_restorer(data: DataArg, cfg: RestoreConfig | None = None,
                   out: str | os.PathLike[str] = "runs/restore", *, resume: bool = False,
                   progress: bool | None = None):
    """Train a restoration network with :func:`oculi.train.fit`.

    Args:
        data: a folder of photos (``train/`` + ``val/``, or any images: the last ``val_split``
            held out), several folders, or None: the embedded photos.
        cfg: the settings (:class:`RestoreConfig`).
        out: the run folder.
        resume: continue from ``out/last.safetensors``.
        progress: show a progress bar (None: when attached to a terminal).

    Returns:
        :class:`~oculi.train.FitResult`; the run folder loads with
        ``upscale(image, scale, run=out)`` / ``denoise(image, run=out)``.
    """
    from oculi.train.loop import fit

    return fit(RestoreTask(data), cfg or RestoreConfig(), out, resume=resume, progress=progress)


def evaluate_restorer(run: str | os.PathLike[str], data: str | os.PathLike[str], *,
                      sigma: float = 25.0, crop: int = 0, seed: int = 0, tile: int = 0,
                      blur: float = 0.0, noise: float = 0.0):
    """PSNR and SSIM per image of a trained restore run on a folder of clean reference images.

    SR: each reference cropped to a multiple of the scale, blurred with a Gaussian of ``blur``
    (none by default), shrunk with MATLAB bicubic and given noise of ``noise`` grey levels
    (rounded and clipped to 8 bits; :func:`oculi.restore.kernels.synthesize_lr`); scored on the
    Y channel with ``scale`` pixels shaved, beside bicubic. An SRMD run is given the true
    ``blur`` and ``noise``. Denoising: Gaussian noise of ``sigma`` added (rounded and clipped
    to 8 bits); scored on RGB, beside the noisy input.

    Args:
        run: run folder or checkpoint.
        data: a folder of reference images.
        sigma: denoising: the noise standard deviation in grey levels.
        crop: score the central crop of this many pixels per side (0: whole images).
        seed: the noise seed.
        tile: tile side in input pixels (0: whole images).
        blur: SR: the Gaussian blur width of the degradation, HR pixels (0: plain bicubic).
        noise: SR: the noise standard deviation of the LR images, grey levels.

    Returns:
        An :class:`~oculi.core.results.EvaluationReport`: ``val_psnr``, ``val_ssim`` (means),
        ``val_psnr_baseline`` (bicubic or noisy input); details ``images`` (per image: name,
        psnr, ssim, baseline psnr).
    """
    from oculi.core.checks import check_positive
    from oculi.core.errors import DataError
    from oculi.core.results import EvaluationReport
    from oculi.io import read_image
    from oculi.restore import denoise, psnr, ssim, upscale
    from oculi.restore.kernels import gaussian_kernel, synthesize_lr
    from oculi.restore.patches import evaluation_crop, image_files
    from oculi.restore.trained import run_config

    conf = run_config(run)
    files = image_files(Path(data)) if Path(data).is_dir() else []
    if not files:
        raise DataError(f"{data}: no images to evaluate on")
    rng = np.random.default_rng(seed)
    sr = conf["model"] != "dncnn"
    s = conf["scale"]
    check_positive(blur, "blur", allow_zero=True)
    check_positive(noise, "noise", allow_zero=True)
    if not sr and (blur or noise):
        from oculi.core.errors import ParameterError

        name = "blur" if blur else "noise"
        raise ParameterError(f"{name}: a super-resolution degradation; {run} is a denoising "
                             "run, scored with noise of --sigma")
    kernel = gaussian_kernel(conf.get("kernel_size", 15), blur)
    given = {"blur": blur, "noise": noise} if conf["model"] == "srmd" else {}
    rows = []
    for f in files:
        ref = evaluation_crop(read_image(f, mode="rgb"), crop, s if sr else 1)
        if sr:
            low = synthesize_lr(ref, s, kernel, noise, rng)
            out = upscale(low, s, run=run, tile=tile, **given)
            base = upscale(low, s, "bicubic")
            kw: dict[str, Any] = {"y_channel": True, "shave": s}
        else:
            base = np.clip(np.rint(ref + rng.normal(0, sigma, ref.shape)), 0, 255).astype(
                np.uint8)
            out = denoise(base, sigma, run=run, tile=tile)
            kw = {}
        rows.append({"image": Path(f).name, "psnr": psnr(ref, out, **kw),
                     "ssim": ssim(ref, out, **kw), "psnr_baseline": psnr(ref, base, **kw)})
    metrics = {"val_psnr": float(np.mean([r["psnr"] for r in rows])),
               "val_ssim": float(np.mean([r["ssim"] for r in rows])),
               "val_psnr_baseline": float(np.mean([r["psnr_baseline"] for r in rows]))}
    details = {"model": conf["model"], "scale": s if sr else 1, "baseline":
               "bicubic" if sr else "noisy", "images": rows}
    if sr:
        details.update(blur=blur, noise=noise)
    else:
        details["sigma"] = sigma
    return EvaluationReport("restore", metrics, details)


def print_report(report: Any, echo: Any) -> None:
    """One line per image of :func:`evaluate_restorer`."""
    base = report["baseline"]
    for r in report["images"]:
        echo(f"  {r['image']:<24} PSNR {r['psnr']:.2f} dB  SSIM {r['ssim']:.4f}  "
             f"({base} {r['psnr_baseline']:.2f} dB)")


def write_evaluation(report: Any, folder: str | os.PathLike[str]) -> None:
    """``per_image.csv`` (image, psnr, ssim, baseline psnr) and ``report.json`` in ``folder``."""
    from oculi.core.atomic import write_json_atomic, write_text_atomic

    lines = ["image,psnr,ssim,psnr_baseline"] + [
        f"{r['image']},{r['psnr']:.4f},{r['ssim']:.5f},{r['psnr_baseline']:.4f}"
        for r in report["images"]]
    write_text_atomic(Path(folder) / "per_image.csv", "\n".join(lines) + "\n")
    write_json_atomic(Path(folder) / "report.json", report.json_dict())
