"""Noisy Student self-training (Xie et al., "Self-training with Noisy Student improves ImageNet
classification", CVPR 2020) on an ImageFolder plus a folder of unlabelled images.

1. A teacher is trained on the labelled images (or given as a run folder / checkpoint).
2. The teacher, in evaluation mode and without noise, labels the unlabelled images: soft labels
   (its class probabilities) or hard ones (one-hot of its top class); images whose top
   probability is below ``pseudo_threshold`` are left out, and with ``pseudo_balance`` every
   class gets the same number of images (the most confident ones, or duplicates).
3. A student of equal or larger size learns from the labelled and the pseudo-labelled images
   with noise: RandAugment, dropout and stochastic depth (``student_*`` fields).
4. The student becomes the teacher; ``iterations`` rounds in all.

The run folder ``out`` holds one ordinary run folder per round (``teacher/``, ``student1/``,
...), ``metrics.jsonl`` with one line per round (final and best validation top-1, pseudo-label
counts, time), the last student's ``best.safetensors`` (``oculi eval classify out ...`` reads
it), ``config.yaml`` and ``summary.json``; each student folder also holds
``pseudo_labels.csv`` (every unlabelled image's teacher class, confidence and the number of
copies the student saw). Pseudo-labels come from a round's final weights (the
EMA weights when EMA is on), not from its best checkpoint, so the validation labels never choose
the teacher that labels the pool. A resumed run skips finished rounds and resumes the round that
was cut short.

    >>> from oculi.classify import ClassifyConfig, train_classifier
    >>> cfg = ClassifyConfig(unlabeled="pool", iterations=2, pseudo_labels="hard")
    >>> train_classifier("data", cfg, "runs/ns")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from oculi.classify.config import ClassifyConfig
from oculi.classify.data import (
    ClassificationData,
    EvalTransform,
    FolderIndex,
    ImageFolderDataset,
    collate_readable,
    scan_unlabeled,
)
from oculi.classify.evaluate import classification_metrics, predict_loader
from oculi.classify.task import ClassificationTask
from oculi.core.atomic import atomic_path, write_json_atomic, write_jsonl_atomic, write_text_atomic
from oculi.core.errors import DataError

__all__ = [
    "PseudoLabelTask",
    "PseudoLabels",
    "pseudo_label",
    "select_pseudo_labels",
    "student_config",
    "train_noisy_student",
]


def select_pseudo_labels(probs: torch.Tensor, *, mode: str = "soft", threshold: float = 0.3,
                         balance: bool = True,
                         per_class: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Choose the pseudo-labelled training images from a teacher's probabilities.

    Args:
        probs: (M, K) float class probabilities of M unlabelled images (rows sum to 1).
        mode: ``soft`` (targets = the probabilities) or ``hard`` (one-hot of the top class).
        threshold: images whose top probability is below this are left out.
        balance: give every class that has an image ``per_class`` of them: its most confident
            ones, or all of them repeated in order of confidence until there are enough.
        per_class: images per class with ``balance`` (0: the largest class's count).

    Returns:
        ``(indices, targets)``: (S,) int64 rows of ``probs`` (an image can repeat when
        balancing) and (S, K) float32 training targets.
    """
    probs = probs.float()
    conf, top = probs.max(1) if len(probs) else (probs.new_zeros(0), probs.new_zeros(0).long())
    keep = torch.nonzero(conf >= threshold).flatten()
    if balance and len(keep):
        members = [keep[top[keep] == c] for c in range(probs.shape[1])]
        members = [m[torch.argsort(conf[m], descending=True, stable=True)] for m in members]
        n = per_class or max(len(m) for m in members)
        keep = torch.cat([m[torch.arange(n) % len(m)] for m in members if len(m)])
    if mode == "soft":
        targets = probs[keep]
    else:
        targets = nn.functional.one_hot(top[keep], probs.shape[1]).float()
    return keep, targets


@dataclass
class PseudoLabels:
    """A teacher's labels for the unlabelled pool and the images chosen for the student.

    Attributes:
        paths: the M unlabelled images the teacher read.
        probs: (M, K) float32 teacher probabilities.
        selected: (S,) int64 indices into ``paths`` (repeats where classes were balanced).
        targets: (S, K) float32 the student's targets for them (soft or one-hot).
        classes: the K class names.
        skipped: (path, reason) of unlabelled files that could not be read.
    """

    paths: list[Path]
    probs: torch.Tensor
    selected: torch.Tensor
    targets: torch.Tensor
    classes: list[str]
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def write_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write one row per unlabelled image: ``path``, the teacher's ``class`` and
        ``confidence`` (its top probability) and ``copies`` (times it was selected; 0: left
        out)."""
        import csv
        import io

        copies = torch.bincount(self.selected, minlength=len(self.paths)).tolist()
        conf, top = (self.probs.max(1) if len(self.probs)
                     else (torch.zeros(0), torch.zeros(0, dtype=torch.long)))
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["path", "class", "confidence", "copies"])
        for p, c, k, n in zip(self.paths, top.tolist(), conf.tolist(), copies, strict=True):
            w.writerow([str(p), self.classes[c], f"{k:.4f}", n])
        return write_text_atomic(path, buf.getvalue())

    def summary(self) -> dict[str, Any]:
        """Counts for ``data.json`` and the round records (JSON-able)."""
        top = self.targets.argmax(1) if len(self.targets) else self.targets.new_zeros(0).long()
        return {"unlabeled": len(self.paths), "selected": len(self.selected),
                "unique": len(set(self.selected.tolist())),
                "per_class": {c: int((top == i).sum()) for i, c in enumerate(self.classes)},
                "mean_confidence": float(self.probs.max(1).values.mean()) if len(self.probs)
                else float("nan"),
                "skipped": [{"path": str(p), "reason": r} for p, r in self.skipped]}


def pseudo_label(model: nn.Module, pool: FolderIndex, cfg: ClassifyConfig,
                 device: torch.device | str = "cpu") -> PseudoLabels:
    """Label the images of ``pool`` (from :func:`scan_unlabeled`) with ``model`` in evaluation
    mode (no augmentation: the model spec's resize and centre crop) and select the student's
    images by ``cfg.pseudo_labels``, ``pseudo_threshold``, ``pseudo_balance`` and
    ``pseudo_per_class``. Files that fail to decode are added to the pool's skipped list."""
    device = torch.device(device)
    spec = model.spec
    ds = ImageFolderDataset(pool, EvalTransform(spec), decode_short_side=spec.resize_short_side,
                            substitute=False)
    loader = DataLoader(ds, batch_size=cfg.batch_size, shuffle=False, collate_fn=collate_readable)
    model.to(device)
    logits, rows = predict_loader(model, loader, device)
    probs = torch.softmax(logits.float(), 1)
    paths = [pool.samples[int(r)][0] for r in rows]
    skipped = list(pool.skipped) + [(Path(p), r) for p, r in ds.failed.items()]
    sel, targets = select_pseudo_labels(probs, mode=cfg.pseudo_labels,
                                        threshold=cfg.pseudo_threshold,
                                        balance=cfg.pseudo_balance,
                                        per_class=cfg.pseudo_per_class)
    classes = list(getattr(model, "class_names", None) or range(probs.shape[1]))
    return PseudoLabels(paths, probs, sel, targets, [str(c) for c in classes], skipped)


class PseudoLabelTask(ClassificationTask):
    """Classification on the labelled training images plus pseudo-labelled ones: every sample's
    label is its row in a (N, K) target table (one-hot rows for the labelled images, the
    teacher's targets for the others), so soft labels travel through the usual dataset,
    sampler, MixUp/CutMix and unreadable-file handling."""

    def __init__(self, data: str | os.PathLike[str], pseudo: PseudoLabels) -> None:
        super().__init__(data)
        self.pseudo = pseudo
        self.table = torch.zeros(0)
        self.labels: list[int] = []

    def train_index(self, data: ClassificationData) -> FolderIndex:
        labelled = data.train
        k = len(data.classes)
        if self.pseudo.classes != [str(c) for c in data.classes]:
            raise DataError(f"teacher classes {self.pseudo.classes} differ from the data's "
                            f"{data.classes} ({labelled.root})")
        n = len(labelled.samples)
        hard = torch.tensor(labelled.targets, dtype=torch.long)
        self.table = torch.cat([nn.functional.one_hot(hard, k).float(), self.pseudo.targets])
        self.labels = hard.tolist() + self.pseudo.targets.argmax(1).tolist()
        samples = [(p, i) for i, (p, _) in enumerate(labelled.samples)]
        samples += [(self.pseudo.paths[int(j)], n + r)
                    for r, j in enumerate(self.pseudo.selected)]
        return FolderIndex(labelled.root, list(data.classes), samples, list(labelled.skipped))

    def train_labels(self, index: FolderIndex) -> list[int]:
        return self.labels

    def targets_of(self, labels: torch.Tensor) -> torch.Tensor:
        return self.table.to(labels.device)[labels]

    def build_data(self, cfg: ClassifyConfig, model: nn.Module, info: Any) -> Any:
        out = super().build_data(cfg, model, info)
        out.summary["pseudo"] = self.pseudo.summary()
        out.summary["train_images"] = len(out.train)  # labelled + pseudo-labelled
        return out


def student_config(cfg: ClassifyConfig) -> ClassifyConfig:
    """A student round's config: ``cfg`` with the student's model and noise (dropout,
    stochastic depth, RandAugment) and no self-training fields."""
    return dataclasses.replace(
        cfg, unlabeled=None, teacher=None, student_model=None, iterations=1,
        model=cfg.student_model or cfg.model,
        drop_rate=cfg.student_drop_rate, drop_path_rate=cfg.student_drop_path_rate,
        randaugment_ops=cfg.student_randaugment_ops)


def _final_weights(run_dir: Path, cfg: ClassifyConfig) -> Path:
    ema = run_dir / "last_ema.safetensors"
    return ema if cfg.ema_decay > 0 and ema.is_file() else run_dir / "last.safetensors"


def _device(cfg: ClassifyConfig) -> torch.device:
    cuda = torch.cuda.is_available() and cfg.device != "cpu"
    return torch.device("cuda" if cuda else "cpu")


def _round(task: ClassificationTask, cfg: ClassifyConfig, run_dir: Path, resume: bool,
           progress: bool | None, name: str, index: int, log: Callable[[str], None]) -> dict:
    from oculi.train import fit

    t0 = time.perf_counter()
    again = resume and (run_dir / "state.pt").is_file()
    result = fit(task, cfg, run_dir, resume=again, overwrite=not again, progress=progress,
                 log=log)
    last = result.history[-1] if result.history else {}
    return {"epoch": index, "round": name, "run_dir": str(run_dir), "model": cfg.model,
            "val_top1": last.get("val_top1"), "best_val_top1": result.best_metric,
            "best_epoch": result.best_epoch, "epochs": len(result.history),
            "wall_s": time.perf_counter() - t0, "skipped": result.skipped}


def _given_teacher(cfg: ClassifyConfig, data: ClassificationData, device: torch.device) -> dict:
    from oculi.classify.api import load_classifier

    model = load_classifier(cfg.teacher).to(device)
    names = [str(c) for c in getattr(model, "class_names", None) or []]
    if names != list(data.classes):
        raise DataError(f"{cfg.teacher}: the teacher's classes {names} differ from the data's "
                        f"{data.classes}")
    ds = ImageFolderDataset(data.val, EvalTransform(model.spec),
                            decode_short_side=model.spec.resize_short_side, substitute=False)
    logits, targets = predict_loader(model, DataLoader(ds, batch_size=cfg.batch_size,
                                                       collate_fn=collate_readable), device)
    top1 = classification_metrics(logits, targets)["val_top1"]
    return {"epoch": 0, "round": "teacher", "run_dir": str(cfg.teacher), "model": model.name,
            "val_top1": top1, "best_val_top1": top1, "given": True}


def train_noisy_student(data: str | os.PathLike[str], cfg: ClassifyConfig,
                        out: str | os.PathLike[str], *, resume: bool = False,
                        progress: bool | None = None,
                        log: Callable[[str], None] | None = None):
    """Noisy Student self-training (see the module doc); :func:`train_classifier` calls it when
    ``cfg.unlabeled`` is set.

    Args:
        data: ImageFolder root (``train/<class>/*``, ``val/<class>/*``).
        cfg: the config; ``unlabeled`` names the pool folder.
        out: the run folder (rounds in subfolders).
        resume: continue an interrupted run (finished rounds are kept).
        log: receives progress lines (default: stderr).

    Returns:
        The last student's :class:`~oculi.train.FitResult` with ``run_dir`` = ``out`` and
        ``best_checkpoint`` = ``out/best.safetensors``; unreadable unlabelled files are added to
        ``skipped``.

    Raises:
        DataError: the labelled data's errors (see :func:`load_image_folder`), an unlabelled
            folder without readable images, a teacher of other classes, ``out`` holding a run
            without ``resume``.
    """
    from oculi.classify.api import load_classifier
    from oculi.train import open_run_dir, read_metrics

    if cfg.unlabeled is None:
        raise DataError("train_noisy_student: cfg.unlabeled is not set (the unlabelled folder)")
    say = log or (lambda s: print(s, file=sys.stderr, flush=True))
    out = Path(out)
    lock = open_run_dir(out, resume=resume, overwrite=False)
    try:
        records = read_metrics(out) if resume and (out / "metrics.jsonl").is_file() else []
        write_jsonl_atomic(out / "metrics.jsonl", records)
        import yaml

        write_text_atomic(out / "config.yaml", "# task: classify (Noisy Student; reusable: oculi "
                          "train classify DATA --config this file)\n"
                          + yaml.safe_dump(cfg.to_dict(), sort_keys=False))
        done = {r["round"]: r for r in records}
        labelled = ClassificationTask(data)._scan(cfg)
        pool = scan_unlabeled(cfg.unlabeled)
        if pool.skipped:
            say(f"unlabeled: skipped {len(pool.skipped)} unreadable file(s): "
                + "; ".join(f"{p} ({r})" for p, r in pool.skipped))
        device = _device(cfg)

        def finish(record: dict) -> None:
            records[:] = [r for r in records if r["round"] != record["round"]] + [record]
            write_jsonl_atomic(out / "metrics.jsonl", records)
            say(f"{record['round']}: val_top1 {record['val_top1']:.4f}")

        teacher_cfg = dataclasses.replace(cfg, unlabeled=None, teacher=None, student_model=None,
                                          iterations=1)
        if "teacher" not in done:
            if cfg.teacher is not None:
                finish(_given_teacher(cfg, labelled, device))
            else:
                finish(_round(ClassificationTask(data), teacher_cfg, out / "teacher", resume,
                              progress, "teacher", 0, say))
        weights = (Path(cfg.teacher) if cfg.teacher is not None
                   else _final_weights(out / "teacher", teacher_cfg))
        scfg = student_config(cfg)
        for i in range(1, cfg.iterations + 1):
            name = f"student{i}"
            if name not in done:
                pseudo = pseudo_label(load_classifier(weights), pool, cfg, device)
                pseudo.write_csv(out / name / "pseudo_labels.csv")
                record = _round(PseudoLabelTask(data, pseudo), scfg, out / name, resume,
                                progress, name, i, say)
                record["pseudo"] = {k: v for k, v in pseudo.summary().items() if k != "skipped"}
                finish(record)
            weights = _final_weights(out / name, scfg)
        last_dir = out / f"student{cfg.iterations}"
        best = out / "best.safetensors"
        with atomic_path(best) as tmp:
            shutil.copyfile(last_dir / "best.safetensors", tmp)
        result = _result(last_dir, out, best, records, pool.skipped)
        write_json_atomic(out / "summary.json", result.as_dict() | {"rounds": records})
        return result
    finally:
        lock.release()


def _result(student_dir: Path, out: Path, best: Path, records: list[dict],
            pool_skipped: list[tuple[Path, str]]):
    import json

    from oculi.train import FitResult, read_metrics

    summary = json.loads((student_dir / "summary.json").read_text())
    result = FitResult(out, int(summary["best_epoch"]), float(summary["best_metric"]),
                       summary["monitor"], read_metrics(student_dir), best,
                       bool(summary.get("stopped_early")))
    result.skipped = dict(summary.get("skipped") or {})
    result.skipped.update({str(p): r for p, r in pool_skipped})
    return result
