"""Panoptic segmentation as a task of oculi's trainer (:func:`oculi.train.fit`): Panoptic FPN
(or the semantic-only baseline) on ``image/`` + ``label/`` folders of class-index masks, the
thing instances being the connected components of each thing class (4-connected, as
:func:`~oculi.segment.panoptic_from_semantic` makes the ground truth). Validation is PQ / SQ / RQ
(:class:`~oculi.segment.PanopticQuality`) on the whole images; ``val_pq`` picks the best
checkpoint. Checkpoints carry the model's config (key ``oculi_panoptic``), so
:func:`load_panoptic` rebuilds the model from the run alone.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from oculi.core.errors import DataError
from oculi.core.results import EvaluationReport
from oculi.detect.data import collate
from oculi.panoptic.config import PanopticConfig
from oculi.segment.data import SegmentationFolder
from oculi.segment.panoptic import PanopticQuality, panoptic_from_semantic
from oculi.train import Step, Task, TaskData


class PanopticFolder(Dataset):
    """Items ``(image, target)`` for Panoptic FPN from a :class:`SegmentationFolder` of
    class-index masks.

    Args:
        base: the pairs, read (bad pairs skipped and listed in its ``skipped``).
        things: thing categories; ignore_index: the void label.
        flip: probability of a horizontal flip (training).
        min_instance_area: components smaller than this (pixels) are not instance targets.
        seed: seed of the flips' generator (:attr:`rng`).

    ``image`` is ``(3, H, W)`` float32 in [0, 1]; ``target`` holds ``boxes`` ``(n, 4)`` xyxy
    float32 pixels, ``labels`` ``(n,)`` int64 in ``1..len(things)`` (thing order),
    ``masks`` ``(n, H, W)`` uint8 and ``category`` ``(H, W)`` int64 (-1 void).
    """

    def __init__(self, base: SegmentationFolder, things: list[int], *,
                 ignore_index: int | None = None, flip: float = 0.0, min_instance_area: int = 0,
                 seed: int = 0) -> None:
        self.base, self.things = base, sorted(int(t) for t in things)
        self.ignore_index, self.flip = ignore_index, float(flip)
        self.min_instance_area = int(min_instance_area)
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.base.samples)

    def category(self, i: int) -> np.ndarray:
        """HxW int64 category map of item ``i`` (void -1)."""
        t = self.base.samples[i].target
        return np.where(t == self.ignore_index, -1, t) if self.ignore_index is not None else t

    def truth(self, i: int) -> np.ndarray:
        """The ground-truth panoptic map of item ``i`` (components of each thing class)."""
        return panoptic_from_semantic(self.base.samples[i].target, self.things,
                                      ignore_index=self.ignore_index)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        from oculi.segment.instances import label_components

        image, cat = self.base.samples[i].image, self.category(i)
        if self.flip > 0 and self.rng.random() < self.flip:
            image, cat = image[:, ::-1], cat[:, ::-1]
        boxes, labels, masks = [], [], []
        for k, t in enumerate(self.things):
            lab = label_components(cat == t, min_size=self.min_instance_area)
            for j in range(1, int(lab.max()) + 1):
                m = lab == j
                ys, xs = np.nonzero(m)
                boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
                labels.append(k + 1)
                masks.append(m)
        h, w = cat.shape
        target = {
            "boxes": torch.as_tensor(np.asarray(boxes, np.float32).reshape(-1, 4)),
            "labels": torch.as_tensor(np.asarray(labels, np.int64)),
            "masks": torch.from_numpy(np.asarray(masks, np.uint8).reshape(-1, h, w)),
            "category": torch.from_numpy(np.ascontiguousarray(cat, np.int64)),
        }
        x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div_(255.0)
        return x, target


def class_names_of(root: str | os.PathLike[str] | None, n: int) -> list[str]:
    """Names of classes ``0..n-1`` from ``root/classes.csv`` (columns ``index``, ``name``) when
    present (also one folder up), else the class numbers."""
    names = {c: str(c) for c in range(n)}
    if root is not None:
        for folder in (Path(root), Path(root).parent):
            path = folder / "classes.csv"
            if path.is_file():
                with path.open(newline="") as fh:
                    for row in csv.DictReader(fh):
                        if row.get("index", "").strip().isdigit():
                            names[int(row["index"])] = row.get("name") or row["index"]
                break
    return [names[c] for c in range(n)]


class PanopticTask(Task):
    """Panoptic FPN training on an ``image/`` + ``label/`` folder (``train/`` + ``val/``, or a
    ``val_split`` hold-out)."""

    name = "panoptic"
    checkpoint_key = "oculi_panoptic"
    rng_state: ClassVar[dict[str, str]] = {"flip_rng": "train_set.rng"}

    def __init__(self, data: str | os.PathLike[str] | None = None, *,
                 train_set: SegmentationFolder | None = None,
                 val_set: SegmentationFolder | None = None) -> None:
        self.root = Path(data) if data is not None else None
        self.base_train, self.base_val = train_set, val_set
        self.train_set: PanopticFolder | None = None
        self.val_set: PanopticFolder | None = None

    def _load(self, cfg: PanopticConfig) -> None:
        if self.base_train is None:
            if self.root is None:
                raise DataError("panoptic: no data given")
            from oculi.segment.task import resolve_split

            tr, va = resolve_split(self.root, cfg.val_split, cfg.seed)
            kw = dict(num_classes=cfg.num_classes, ignore_index=cfg.ignore_index)
            self.base_train = SegmentationFolder(tr, **kw)
            self.base_val = SegmentationFolder(va, **kw)
        self.num_classes = int(cfg.num_classes or max(
            self.base_train.num_classes, self.base_val.num_classes, max(cfg.things) + 1))
        self.class_names = cfg.class_names or class_names_of(self.root, self.num_classes)

    def build_model(self, cfg: PanopticConfig) -> nn.Module:
        from oculi.panoptic.model import PanopticFPN

        self._load(cfg)
        model = PanopticFPN(
            num_classes=self.num_classes, things=cfg.things, class_names=self.class_names,
            backbone=cfg.backbone, pretrained=cfg.pretrained and cfg.weights is None,
            image_size=cfg.image_size, frozen_stages=cfg.frozen_stages,
            fpn_channels=cfg.fpn_channels, semantic_channels=cfg.semantic_channels,
            semantic_weight=cfg.semantic_weight, instances=cfg.model == "panoptic_fpn",
            score_threshold=cfg.score_threshold, overlap_threshold=cfg.overlap_threshold,
            min_stuff_fraction=cfg.min_stuff_fraction, ignore_index=cfg.ignore_index,
            detector_options=cfg.arch_options)
        if cfg.weights:
            from oculi.models.weights import load_weights

            load_weights(model, cfg.weights)
        return model

    def build_data(self, cfg: PanopticConfig, model: nn.Module, info: Any) -> TaskData:
        self._load(cfg)
        rank = info.rank if info is not None else 0
        self.train_set = PanopticFolder(self.base_train, cfg.things,
                                        ignore_index=cfg.ignore_index,
                                        flip=0.5 if cfg.flip else 0.0,
                                        min_instance_area=cfg.min_instance_area,
                                        seed=cfg.seed + 7919 * rank)
        self.val_set = PanopticFolder(self.base_val, cfg.things, ignore_index=cfg.ignore_index)
        skipped = self.base_train.skipped + self.base_val.skipped
        summary = {"task": self.name, "arch": cfg.model, "num_classes": self.num_classes,
                   "class_names": self.class_names, "things": sorted(cfg.things),
                   "train_images": len(self.train_set), "val_images": len(self.val_set),
                   "image_size": cfg.image_size,
                   "skipped": [{"path": p, "reason": r} for p, r in skipped]}
        return TaskData(self.train_set, self.val_set, summary, collate_fn=collate)

    def train_step(self, step: Step, batch: Any):
        images, targets = step.to_device(batch)
        losses = step.model(images, targets)
        n = len(images)
        return sum(losses.values()), {k: float(v.detach()) * n for k, v in losses.items()}, n

    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        return evaluate_dataset(model, loader.dataset)

    def write_artifacts(self, run_dir: Path, evaluation: dict[str, Any]) -> None:
        from oculi.core.atomic import write_json_atomic

        write_json_atomic(run_dir / "evaluation.json", evaluation)


@torch.no_grad()
def evaluate_dataset(model: nn.Module, dataset: PanopticFolder, **merge: float | None
                     ) -> dict[str, Any]:
    """PQ / SQ / RQ of ``model`` over ``dataset``, one whole image at a time.

    Args:
        model: a :class:`~oculi.panoptic.model.PanopticFPN`.
        dataset: a :class:`PanopticFolder` (its flips are not applied).
        **merge: overrides of the model's merge settings (None: the model's).

    Returns:
        ``val_pq``, ``val_sq``, ``val_rq`` (all categories), ``val_pq_things``,
        ``val_pq_stuff`` (floats; NaN-free: 0 when a group has no segment), ``panoptic``
        (:meth:`PanopticQuality.compute`), ``images`` and ``ms_per_image`` (model and merge).
    """
    model.eval()
    device = next(model.parameters()).device
    metric = PanopticQuality(model.things, model.stuff, class_names=model.class_names)
    secs = 0.0
    for i in range(len(dataset)):
        image = dataset.base.samples[i].image
        x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div_(255.0)
        t0 = time.perf_counter()
        pred = model.panoptic([x.to(device)], **merge)[0]
        secs += time.perf_counter() - t0
        metric.update(dataset.truth(i), pred)
    r = metric.compute()

    def value(v: float) -> float:
        return 0.0 if v != v else float(v)

    return {"val_pq": value(r["pq"]), "val_sq": value(r["sq"]), "val_rq": value(r["rq"]),
            "val_pq_things": value(r["things"]["pq"]), "val_pq_stuff": value(r["stuff"]["pq"]),
            "panoptic": r, "images": len(dataset),
            "ms_per_image": 1000.0 * secs / max(len(dataset), 1)}


def load_panoptic(run: str | os.PathLike[str]):
    """Rebuild a trained :class:`~oculi.panoptic.model.PanopticFPN` from a run folder
    (or its ``.safetensors`` file)."""
    from oculi.panoptic.model import rebuild
    from oculi.train import load_run_model

    return load_run_model(run, "oculi_panoptic", "panoptic", rebuild)


def train_panoptic(data: str | os.PathLike[str] | None, cfg: PanopticConfig | None = None,
                   out: str | os.PathLike[str] = "runs/panoptic", *, resume: bool = False,
                   progress: bool | None = None, train_set: SegmentationFolder | None = None,
                   val_set: SegmentationFolder | None = None):
    """Train Panoptic FPN (or the ``semantic_cc`` baseline) with :func:`oculi.train.fit`.

    Args:
        data: folder with ``train/`` and ``val/`` (each ``image/`` + ``label/``), or one pair
            folder split by ``cfg.val_split``; or None with ``train_set``/``val_set``.
        cfg: :class:`~oculi.panoptic.config.PanopticConfig` (None: its defaults,
            CamVid's things and void).
        out: run folder.

    Returns:
        The trainer's :class:`~oculi.train.FitResult` (monitor ``val_pq``).
    """
    from oculi.train import fit

    task = PanopticTask(data, train_set=train_set, val_set=val_set)
    return fit(task, cfg or PanopticConfig(), out, resume=resume, progress=progress)


def evaluate_panoptic(run: str | os.PathLike[str], data: str | os.PathLike[str], *,
                      score_threshold: float | None = None,
                      overlap_threshold: float | None = None,
                      min_stuff_fraction: float | None = None) -> EvaluationReport:
    """PQ / SQ / RQ (things, stuff, all, per class) of a trained run on an ``image/`` +
    ``label/`` folder (or a data root holding ``val/``), with the run's classes, things and
    void label.

    Args:
        run: run folder (its best checkpoint) or ``.safetensors`` file.
        data: folder with ``image/`` and ``label/``, or with ``val/``.
        score_threshold: instances scored below this are left out (None: the run's).
        overlap_threshold: instances overlapping higher-scored ones by more than this
            fraction are left out (None: the run's).
        min_stuff_fraction: stuff regions below this fraction of the image become void
            (None: the run's).

    Returns:
        An :class:`~oculi.core.results.EvaluationReport` (metrics ``val_pq``, ``val_sq``,
        ``val_rq``, ``val_pq_things``, ``val_pq_stuff``; details ``panoptic``, ``images``,
        ``ms_per_image``, ``skipped``).
    """
    from oculi.core.checks import check_path

    model = load_panoptic(run)
    folder = Path(check_path(data, "data"))
    if (folder / "val").is_dir() and not (folder / "image").is_dir():
        folder = folder / "val"
    base = SegmentationFolder(folder, ignore_index=model.ignore_index)
    ds = PanopticFolder(base, model.things, ignore_index=model.ignore_index)
    r = evaluate_dataset(model, ds, score_threshold=score_threshold,
                         overlap_threshold=overlap_threshold,
                         min_stuff_fraction=min_stuff_fraction)
    r["skipped"] = [{"path": p, "reason": why} for p, why in base.skipped]
    return EvaluationReport.from_flat("panoptic", r)


def print_report(report: Any, echo: Any) -> None:
    """The things / stuff / all lines and the per-class lines of :func:`evaluate_panoptic`."""
    r = report["panoptic"]
    echo(f"{report['images']} images, {report['ms_per_image']:.0f} ms/image")
    echo(f"  {'':<14} {'PQ':>6} {'SQ':>6} {'RQ':>6}")
    for name, g in (("all", r), ("things", r["things"]), ("stuff", r["stuff"])):
        echo(f"  {name:<14} {g['pq']:6.3f} {g['sq']:6.3f} {g['rq']:6.3f}  ({g['n']} classes)")
    for name, c in r["per_class"].items():
        kind = "thing" if c["thing"] else "stuff"
        echo(f"  {name:<14} {c['pq']:6.3f} {c['sq']:6.3f} {c['rq']:6.3f}  {kind}  "
             f"TP {c['tp']} FP {c['fp']} FN {c['fn']}")
    for s in report.details.get("skipped", []):
        echo(f"skipped {s['path']}: {s['reason']}")
