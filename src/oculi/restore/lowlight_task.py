"""The ``lowlight`` trainable task: Zero-DCE and Zero-DCE++ (the networks of
:mod:`oculi.restore.zero_dce`) trained with no reference image (``oculi train lowlight``), used
with ``enhance(image, "zero-dce", run=RUN)`` / ``oculi enhance IMAGE --method zero-dce --run RUN``
and scored on low/normal-light pairs such as LOL (``oculi eval lowlight RUN DATA``).

Training items and the loss: :mod:`oculi.restore.lowlight_data`,
:mod:`oculi.restore.lowlight_losses`. Validation (held-out photos re-exposed by
``val_exposure``): ``val_loss`` (the zero-reference loss, selecting ``best.safetensors`` by
default: no reference is needed to pick the checkpoint), ``val_psnr`` against the unchanged
crops, ``val_brightness`` (the mean of the enhanced crops).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from oculi.core.errors import DataError, ParameterError
from oculi.restore.lowlight_config import LowlightConfig
from oculi.restore.lowlight_losses import ZeroReferenceLoss
from oculi.restore.zero_dce import DCENet
from oculi.train.metrics.image import psnr as image_psnr
from oculi.train.task import Step, StepOutput, Task, TaskData

#: checkpoint metadata key of low-light runs
CHECKPOINT_KEY = "oculi_lowlight"

DataArg = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


def loss_of(cfg: LowlightConfig) -> ZeroReferenceLoss:
    """The zero-reference loss with the weights of ``cfg``."""
    return ZeroReferenceLoss(cfg.spatial_weight, cfg.exposure_weight, cfg.color_weight,
                             cfg.smoothness_weight, cfg.exposure_level, cfg.exposure_patch)


class LowlightTask(Task):
    """Zero-reference Zero-DCE / Zero-DCE++ training (see the module doc)."""

    name = "lowlight"
    checkpoint_key = CHECKPOINT_KEY
    #: exact resume of the crops, flips and exposures (see Task.rng_state)
    rng_state: ClassVar[dict[str, str]] = {"rng": "crops.rng"}

    def __init__(self, data: DataArg = None) -> None:
        self.data = data
        self.cfg = LowlightConfig()
        self.loss = loss_of(self.cfg)

    def build_model(self, cfg: LowlightConfig) -> nn.Module:
        self.cfg, self.loss = cfg, loss_of(cfg)
        return DCENet(plus=cfg.plus, scale_factor=cfg.train_scale_factor)

    def checkpoint_metadata(self, model: nn.Module) -> dict[str, str]:
        """The network's rebuild arguments (Zero-DCE++: the inference ``scale_factor``)."""
        config = {"plus": self.cfg.plus, "scale_factor": self.cfg.scale_factor}
        return {self.checkpoint_key: json.dumps(config), "task": self.name}

    def build_data(self, cfg: LowlightConfig, model: nn.Module, info: Any) -> TaskData:
        from oculi.restore.lowlight_data import DarkCrops, ExposureCrops
        from oculi.restore.patches import image_sources

        train, val = image_sources(self.data, cfg)
        val_set = DarkCrops(val or train, cfg)
        self.crops = ExposureCrops(train, cfg, cfg.seed + 7919 * info.rank)
        summary = {"model": cfg.model, "train_images": len(train),
                   "crops_per_epoch": len(self.crops), "exposures_ev": list(cfg.exposures),
                   "val_exposure_ev": cfg.val_exposure, **val_set.summary()}
        return TaskData(self.crops, val_set, summary)

    def train_step(self, step: Step, batch: Any) -> StepOutput:
        low = step.to_device(batch)
        enhanced, curves = step.model(low)
        total, parts = self.loss(low, enhanced, curves)
        n = low.shape[0]
        stats = {f"loss_{k}": float(v.detach()) * n for k, v in parts.items()}
        stats["brightness"] = float(enhanced.detach().mean()) * n
        return StepOutput(total, stats, n)

    @torch.no_grad()
    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        total, psnr, bright, n = 0.0, 0.0, 0.0, 0
        for dark, clean in loader:
            enhanced, curves = model(dark.to(device))
            enhanced = enhanced.cpu()
            k = clean.shape[0]
            total += float(self.loss(dark, enhanced, curves.cpu())[0]) * k
            psnr += float(image_psnr(enhanced, clean).sum())
            bright += float(enhanced.mean()) * k
            n += k
        return {"val_loss": total / n, "val_psnr": psnr / n, "val_brightness": bright / n}


def train_lowlight(data: DataArg, cfg: LowlightConfig | None = None,
                   out: str | os.PathLike[str] = "runs/lowlight", *, resume: bool = False,
                   progress: bool | None = None):
    """Train Zero-DCE / Zero-DCE++ without references with :func:`oculi.train.fit`.

    Args:
        data: a folder of photos (``train/`` + ``val/``, or any images: the last ``val_split``
            held out), several folders, or None / ``-``: the embedded photos.
        cfg: the settings (:class:`LowlightConfig`).
        out: the run folder.
        resume: continue from ``out/last.safetensors``.
        progress: show a progress bar (None: when attached to a terminal).

    Returns:
        :class:`~oculi.train.FitResult`; the run loads with
        ``oculi.restore.enhance(image, "zero-dce", run=out)``.
    """
    from oculi.train.loop import fit

    return fit(LowlightTask(data), cfg or LowlightConfig(), out, resume=resume,
               progress=progress)


def load_lowlight(run: str | os.PathLike[str]) -> DCENet:
    """The trained :class:`DCENet` of a lowlight run folder (or checkpoint), eval mode, CPU.

    Raises:
        DataError: no checkpoint, or the checkpoint of another task.
    """
    from oculi.train.checkpoint import load_run_model

    return load_run_model(run, CHECKPOINT_KEY, "lowlight", lambda c: DCENet(**c))


@functools.lru_cache(maxsize=4)
def _cached(path: str, mtime: float) -> DCENet:
    return load_lowlight(path)


def _run_network(run: str | os.PathLike[str]) -> tuple[DCENet, str]:
    """The network of ``run`` (loaded once per checkpoint version) and its model name."""
    from oculi.train.checkpoint import resolve_checkpoint

    ckpt = resolve_checkpoint(run, "lowlight")
    net = _cached(str(ckpt.resolve()), ckpt.stat().st_mtime)
    return net, "zero-dce++" if net.plus else "zero-dce"


def run_enhancer(run: str | os.PathLike[str], method: str | None = None
                 ) -> Callable[[np.ndarray], np.ndarray]:
    """A float32 [0, 1] HxW / HxWx3 image function running the network of ``run``.

    Args:
        run: a lowlight run folder or checkpoint.
        method: ``zero-dce`` / ``zero-dce++`` (must match the run's network) or None.

    Raises:
        ParameterError: ``method`` names the other network.
        DataError: not a lowlight run.
    """
    net, held = _run_network(run)
    if method is not None:
        from oculi.restore.lowlight import enhancers

        asked = enhancers.entry(method).name
        if asked != held:
            raise ParameterError(f"method: {run} holds a {held} network, method {asked!r} "
                                 f"asked — use --method {held}")

    @torch.no_grad()
    def apply(image: np.ndarray) -> np.ndarray:
        rgb = np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image
        x = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1), np.float32))[None]
        out = net(x)[0][0].numpy().transpose(1, 2, 0)
        return out.mean(axis=2) if image.ndim == 2 else out

    return apply


def _pairs(data: str | os.PathLike[str]) -> list[tuple[Path, Path]]:
    """``(low, reference)`` files: ``DATA/low/NAME`` with ``DATA/high/NAME``."""
    from oculi.restore.patches import image_files

    root = Path(data)
    if not (root / "low").is_dir() or not (root / "high").is_dir():
        raise DataError(f"{data}: expected low/ and high/ folders of paired images (e.g. LOL)")
    pairs = [(Path(f), root / "high" / Path(f).relative_to(root / "low"))
             for f in image_files(root / "low")]
    pairs = [(lo, hi) for lo, hi in pairs if hi.is_file()]
    if not pairs:
        raise DataError(f"{data}: no image in low/ has a same-named reference in high/")
    return pairs


def evaluate_lowlight(run: str | os.PathLike[str], data: str | os.PathLike[str], *,
                      compare: str = ""):
    """PSNR and SSIM (RGB, 8-bit output) of a trained lowlight run on low/normal-light pairs.

    Args:
        run: run folder or checkpoint.
        data: a folder with ``low/`` and ``high/`` holding same-named images (LOL's layout).
        compare: comma-separated :data:`oculi.restore.enhancers` names scored beside the run
            on the same pairs (e.g. ``lime,gamma``; Zero-DCE weights cannot be given here).

    Returns:
        An :class:`~oculi.core.results.EvaluationReport`: ``val_psnr``, ``val_ssim`` (means),
        ``val_psnr_input`` (the unenhanced input's), ``val_psnr_<method>`` /
        ``val_ssim_<method>`` per compared method; details ``images`` (per pair: ``image``,
        ``psnr``, ``ssim``, ``psnr_baseline`` = the input's PSNR), ``baseline`` (``input``),
        ``model``, ``pairs`` — the keys of the restore task's report, so
        :func:`oculi.restore.task.print_report` and ``write_evaluation`` serve both tasks.
    """
    from oculi.core.results import EvaluationReport
    from oculi.io import read_image
    from oculi.restore import enhance, enhancers, psnr, ssim
    from oculi.restore._common import to_uint8

    others = [m.strip() for m in compare.split(",") if m.strip()]
    for m in others:
        if enhancers.entry(m).meta.get("needs_model"):
            raise ParameterError(f"compare: {m} needs a weights file; compare it with "
                                 "oculi enhance --model, or in bench/lowlight_train.py")
    apply, model = run_enhancer(run), _run_network(run)[1]
    rows, scores = [], {m: ([], []) for m in others}
    for lo, hi in _pairs(data):
        low, ref = read_image(lo, mode="rgb"), read_image(hi, mode="rgb")
        if low.shape != ref.shape:
            raise DataError(f"{lo}: {low.shape[1]}x{low.shape[0]} differs from its reference "
                            f"{ref.shape[1]}x{ref.shape[0]}")
        out = to_uint8(apply(low.astype(np.float32) / np.float32(255.0)))
        rows.append({"image": lo.name, "psnr": psnr(ref, out), "ssim": ssim(ref, out),
                     "psnr_baseline": psnr(ref, low)})
        for m in others:
            other = enhance(low, m)
            scores[m][0].append(psnr(ref, other))
            scores[m][1].append(ssim(ref, other))
    metrics = {"val_psnr": float(np.mean([r["psnr"] for r in rows])),
               "val_ssim": float(np.mean([r["ssim"] for r in rows])),
               "val_psnr_input": float(np.mean([r["psnr_baseline"] for r in rows]))}
    for m, (p, s) in scores.items():
        key = m.replace("-", "_").replace("+", "p")
        metrics[f"val_psnr_{key}"] = float(np.mean(p))
        metrics[f"val_ssim_{key}"] = float(np.mean(s))
    return EvaluationReport("lowlight", metrics, {"model": model, "pairs": len(rows),
                                                  "baseline": "input", "images": rows})

