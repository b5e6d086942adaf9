"""Volume segmentation as a trainer task: NIfTI pairs, random patches, sliding-window validation.

Data: a folder of NIfTI files where each label's name is its image's name plus a ``_seg...`` /
``_label...`` suffix (``ct.nii.gz`` + ``ct_seg-manual.nii.gz``), or the MSD layout
``imagesTr/`` + ``labelsTr/`` with equal names. With one volume, ``val_slices`` (a fraction of the
slice axis, default 0.3, taken from the end) is held out: patches are drawn from the rest and the
metrics are reported on the held-out slab and on the whole volume.

Settings: :class:`~oculi.segment.VolumeSegmentationConfig`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from oculi.core.errors import DataError
from oculi.segment.config import VolumeSegmentationConfig
from oculi.segment.volume import PatchSampler, Volume, check_label, read_volume, window
from oculi.train import Step, Task, TaskData


def find_volume_pairs(root: str | os.PathLike[str]) -> list[tuple[Path, Path]]:
    """``(image, label)`` NIfTI paths under ``root`` (see the module docstring)."""
    root = Path(root)
    if (root / "imagesTr").is_dir() and (root / "labelsTr").is_dir():
        labels = {p.name: p for p in (root / "labelsTr").glob("*.nii*")}
        pairs = [
            (p, labels[p.name])
            for p in sorted((root / "imagesTr").glob("*.nii*"))
            if p.name in labels
        ]
    else:
        files = sorted(root.glob("*.nii*"))
        stem = {p: p.name.split(".nii")[0] for p in files}
        labels = [
            p for p in files if any(t in stem[p].lower() for t in ("_seg", "_label", "_mask"))
        ]
        images = [p for p in files if p not in labels]
        pairs = []
        for im in images:
            match = [lab for lab in labels if stem[lab].startswith(stem[im] + "_")]
            if match:
                pairs.append((im, match[0]))
    if not pairs:
        raise DataError(
            f"{root}: no NIfTI image/label pairs (NAME.nii.gz + NAME_seg*.nii.gz, or "
            "imagesTr/ + labelsTr/)"
        )
    return pairs


def prepare_volume(vol: Volume, win: tuple[float, float] | None) -> np.ndarray:
    """Intensities to float32 [0, 1]: a CT window, or min-max scaling when ``win`` is None."""
    if win is not None:
        return window(vol.data, *win)
    d = vol.data.astype(np.float32)
    lo, hi = float(d.min()), float(d.max())
    return (d - lo) / max(hi - lo, 1e-6)


class _VolumeVal(Dataset):
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.items[i]


class VolumeTask(Task):
    """3-D segmentation with V-Net / 3-D U-Net on NIfTI volumes."""

    name = "segment3d"
    checkpoint_key = "oculi_segment"

    def __init__(self, data: str | os.PathLike[str]) -> None:
        self.root = Path(data)
        self.loss_fn: nn.Module | None = None
        self.opts: dict[str, Any] = {}

    def _load(self, cfg: VolumeSegmentationConfig) -> None:
        o = {k: getattr(cfg, k) for k in ("loss", "patch", "window", "val_slices",
                                          "arch_options", "repeat", "num_classes",
                                          "val_overlap")}
        self.opts = o
        pairs = find_volume_pairs(self.root)
        self.volumes, self.labels, self.arrays = [], [], []
        for im, lab in pairs:
            v = read_volume(im)
            t = check_label(v, read_volume(lab), int(o["num_classes"]))
            self.volumes.append(v)
            self.labels.append(t)
            self.arrays.append(prepare_volume(v, tuple(o["window"]) if o["window"] else None))

    def build_model(self, cfg: Any) -> nn.Module:
        from oculi.segment.models import create_segmenter

        self._load(cfg)
        model = create_segmenter(
            cfg.model,
            num_classes=int(self.opts["num_classes"]),
            pretrained=False,
            **self.opts["arch_options"],
        )
        if model.dims != 3:
            raise DataError(f"{cfg.model}: a 2-D architecture; volumes need vnet or unet3d")
        return model

    def build_data(self, cfg: VolumeSegmentationConfig, model: nn.Module, info: Any) -> TaskData:
        from oculi.train.losses import create_loss

        o = self.opts
        n = len(self.volumes)

        def val_item(i: int, held_out_from: int) -> dict[str, Any]:
            v = self.volumes[i]
            name = (v.path.name if v.path else "0") if n == 1 else str(i)
            return {"image": self.arrays[i], "label": self.labels[i], "spacing": v.spacing,
                    "held_out_from": held_out_from, "name": name}  # fmt: skip

        if n == 1:  # train on the first slices, validate on the whole volume and its last slab
            cut = round(self.arrays[0].shape[0] * (1 - float(o["val_slices"])))
            train_imgs, train_labs = [self.arrays[0][:cut]], [self.labels[0][:cut]]
            val_items = [val_item(0, cut)]
        else:  # the last volumes are held out whole
            k = max(1, round(n * (cfg.val_split or 0.2)))
            train_imgs, train_labs = self.arrays[: n - k], self.labels[: n - k]
            val_items = [val_item(i, 0) for i in range(n - k, n)]
        stride = model.stride
        patch = [int(np.ceil(p / s) * s) for p, s in zip(o["patch"], stride, strict=True)]
        o["patch"] = patch
        train = PatchSampler(train_imgs, train_labs, patch, length=int(o["repeat"]), seed=cfg.seed)
        self.loss_fn = create_loss(o["loss"])
        summary = {
            "task": self.name,
            "volumes": len(self.volumes),
            "patch": patch,
            "spacing": [v.spacing for v in self.volumes],
            "options": o,
        }
        return TaskData(train, _VolumeVal(val_items), summary, collate_fn=_collate)

    def train_step(self, step: Step, batch: Any):
        x, y = step.to_device(batch)
        loss = self.loss_fn(step.model(x).float(), y)
        return loss, {}, int(x.shape[0])

    def evaluate(
        self, model: nn.Module, loader: DataLoader, device: torch.device
    ) -> dict[str, Any]:
        return evaluate_volumes(
            model,
            loader.dataset.items,
            patch=self.opts["patch"],
            loss_fn=self.loss_fn,
            overlap=float(self.opts["val_overlap"]),
        )

    def write_artifacts(self, run_dir: Path, evaluation: dict[str, Any]) -> None:
        from oculi.core.atomic import write_json_atomic

        write_json_atomic(run_dir / "evaluation.json", evaluation)

    def checkpoint_metadata(self, model: nn.Module) -> dict[str, str]:
        cfg = model.config()
        cfg["patch"] = list(self.opts.get("patch", ()))
        cfg["window"] = list(self.opts["window"]) if self.opts.get("window") else None
        return {"oculi_segment": json.dumps(cfg), "task": self.name}


def _collate(batch):
    if isinstance(batch[0], dict):
        return batch
    xs, ys = zip(*batch, strict=True)
    return torch.stack(xs), torch.stack(ys)


@torch.no_grad()
def evaluate_volumes(
    model: nn.Module,
    items: list[dict[str, Any]],
    *,
    patch: Any,
    loss_fn: nn.Module | None = None,
    overlap: float = 0.5,
) -> dict[str, Any]:
    """Sliding-window prediction of each full volume; Dice and HD95 (mm) on the whole volume and
    on its held-out slab (slices from ``held_out_from`` on)."""
    from oculi.segment.infer import labels_from_logits, sliding_window
    from oculi.train.metrics import dice_score, hausdorff_distance

    model.eval()
    device = next(model.parameters()).device
    rows, losses = [], []
    for it in items:
        x = torch.from_numpy(it["image"])[None, None].to(device)
        logits = sliding_window(model, x, patch, overlap=overlap, batch_size=2)
        t = torch.from_numpy(it["label"])[None].to(device)
        if loss_fn is not None:
            losses.append(float(loss_fn(logits, t)))
        pred = labels_from_logits(logits)[0].cpu().numpy()
        lab = it["label"]
        cut = int(it.get("held_out_from", 0))
        row = {
            "name": it["name"],
            "dice": dice_score(pred > 0, lab > 0),
            "hd95_mm": hausdorff_distance(pred > 0, lab > 0, it["spacing"]),
        }
        if cut > 0:
            row["held_out_dice"] = dice_score(pred[cut:] > 0, lab[cut:] > 0)
            row["held_out_hd95_mm"] = hausdorff_distance(
                pred[cut:] > 0, lab[cut:] > 0, it["spacing"]
            )
            row["train_part_dice"] = dice_score(pred[:cut] > 0, lab[:cut] > 0)
        rows.append(row)
    key = "held_out_dice" if all("held_out_dice" in r for r in rows) else "dice"
    out: dict[str, Any] = {
        "val_dice": float(np.mean([r[key] for r in rows])),
        "val_dice_full": float(np.mean([r["dice"] for r in rows])),
        "volumes": rows,
    }
    hd = [r.get("held_out_hd95_mm", r["hd95_mm"]) for r in rows]
    finite = [h for h in hd if np.isfinite(h)]
    out["val_hd95_mm"] = float(np.mean(finite)) if finite else float("inf")
    if losses:
        out["val_loss"] = float(np.mean(losses))
    return out


def train_volume_segmenter(
    data: str | os.PathLike[str],
    cfg: VolumeSegmentationConfig | None = None,
    out: str | os.PathLike[str] = "runs/segment3d",
    *,
    resume: bool = False,
    progress: bool | None = None,
):
    """Train V-Net / 3-D U-Net (``cfg.model``) on NIfTI pairs with :func:`oculi.train.fit`."""
    from oculi.train import fit

    return fit(VolumeTask(data), cfg or VolumeSegmentationConfig(), out, resume=resume,
               progress=progress)


def volume_settings(run: str | os.PathLike[str]) -> tuple[tuple[float, float] | None, list[int]]:
    """``(intensity window, patch)`` a 3-D run was trained with, from its checkpoint."""
    from oculi.models.weights import read_metadata
    from oculi.segment.task import find_checkpoint

    cfg = json.loads(read_metadata(find_checkpoint(run))["oculi_segment"])
    win = tuple(cfg["window"]) if cfg.get("window") else None
    return win, cfg.get("patch") or [16, 96, 96]


def segment_volume_file(model: nn.Module, settings: tuple, path: str | os.PathLike[str],
                        out: str | os.PathLike[str] | None = None) -> np.ndarray:
    """Label volume (D, H, W) uint8 of a NIfTI file with a 3-D model; ``out`` writes it as NIfTI
    with the input's affine and spacing. ``settings``: :func:`volume_settings` of the run."""
    from oculi.segment.infer import predict_volume
    from oculi.segment.volume import write_volume

    win, patch = settings
    vol = read_volume(path)
    mask = predict_volume(model, prepare_volume(vol, win), patch=patch)
    if out is not None:
        write_volume(out, mask, vol)
    return mask


def evaluate_volume_segmenter(run: str | os.PathLike[str], data: str | os.PathLike[str]):
    """Dice and HD95 (mm) per volume of a trained 3-D run on a folder of NIfTI pairs.

    Args:
        run: run folder (its best checkpoint) or ``.safetensors`` file.
        data: folder of NIfTI image/label pairs (:func:`find_volume_pairs`).

    Returns:
        An :class:`~oculi.core.results.EvaluationReport` (the
        :class:`~oculi.train.metrics.VolumeMetrics` means as metrics; details ``volumes``: name,
        Dice and HD95 per volume).
    """
    from oculi.core.results import EvaluationReport
    from oculi.segment.task import load_segmenter
    from oculi.train.metrics import VolumeMetrics

    net = load_segmenter(run)
    if net.dims != 3:
        raise DataError(f"{run}: a 2-D model; evaluate it with oculi eval segment")
    settings = volume_settings(run)
    vm = VolumeMetrics(net.num_classes)
    for img, lab in find_volume_pairs(data):
        vol = read_volume(img)
        truth = check_label(vol, read_volume(lab), net.num_classes)
        pred = segment_volume_file(net, settings, img)
        vm.update(pred, truth, vol.spacing, name=img.name)
    r = vm.compute()
    r["volumes"] = [{"name": row["name"], "dice": row["dice"][0], "hd95_mm": row["hd95"][0]}
                    for row in r.pop("rows")]
    flat = {("val_" + k if isinstance(v, float) else k): v for k, v in r.items()}
    return EvaluationReport.from_flat("segment3d", flat)


def print_report(report: Any, echo: Any) -> None:
    """One line per volume of :func:`evaluate_volume_segmenter`."""
    for row in report["volumes"]:
        echo(f"{row['name']}: Dice {row['dice']:.4f}  HD95 {row['hd95_mm']:.2f} mm")
