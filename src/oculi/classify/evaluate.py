"""Classification metrics: top-1/top-5, per-class precision/recall, confusion matrix, and the
evaluation of a run folder or checkpoint on an ImageFolder split."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from oculi.core.atomic import atomic_path, write_json_atomic
from oculi.core.errors import DataError


def classification_metrics(logits: torch.Tensor, targets: torch.Tensor,
                           class_names: Sequence[str] | None = None) -> dict[str, Any]:
    """Metrics of (N, K) logits against (N,) integer targets.

    Returns:
        ``val_loss`` (cross-entropy), ``val_top1``, ``val_top5`` (fractions in [0, 1]),
        ``confusion`` (K x K int, rows = true class, columns = predicted),
        ``precision``/``recall`` (per class, NaN-free: 0 where undefined), ``classes``, ``n``.
    """
    logits = logits.float()
    k = logits.shape[1]
    pred = logits.argmax(1)
    top = logits.topk(min(5, k), dim=1).indices
    conf = torch.zeros(k, k, dtype=torch.long)
    conf.index_put_((targets.long(), pred.long()), torch.ones_like(targets, dtype=torch.long),
                    accumulate=True)
    c = conf.numpy()
    tp = np.diag(c).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(c.sum(0) > 0, tp / np.maximum(c.sum(0), 1), 0.0)
        recall = np.where(c.sum(1) > 0, tp / np.maximum(c.sum(1), 1), 0.0)
    return {
        "val_loss": float(nn.functional.cross_entropy(logits, targets.long())),
        "val_top1": float((pred == targets).float().mean()),
        "val_top5": float((top == targets[:, None]).any(1).float().mean()),
        "confusion": c.tolist(),
        "precision": precision.tolist(),
        "recall": recall.tolist(),
        "classes": list(class_names) if class_names else [str(i) for i in range(k)],
        "n": int(targets.numel()),
    }


@torch.no_grad()
def predict_loader(model: nn.Module, loader: DataLoader,
                   device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits, targets) over a loader of (images, targets) batches, model in eval mode."""
    was = model.training
    model.eval()
    outs, ts = [], []
    for batch in loader:
        if batch is None:  # every image of the batch was unreadable
            continue
        images, targets = batch
        outs.append(model(images.to(device, non_blocking=True)).float().cpu())
        ts.append(torch.as_tensor(targets))
    model.train(was)
    return torch.cat(outs), torch.cat(ts)


def plot_confusion(result: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the confusion matrix (counts, rows = true) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = np.asarray(result["confusion"])
    names = result["classes"]
    k = len(names)
    fig, ax = plt.subplots(figsize=(2.5 + 0.45 * k, 2.2 + 0.45 * k))
    ax.imshow(c, cmap="Blues")
    ax.set_xticks(range(k), names, rotation=45, ha="right")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if k <= 30:
        for i in range(k):
            for j in range(k):
                ax.text(j, i, str(c[i, j]), ha="center", va="center",
                        color="white" if c[i, j] > c.max() / 2 else "black", fontsize=8)
    ax.set_title(f"top-1 {result['val_top1']:.3f} (n={result['n']})")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90)
    plt.close(fig)
    return Path(path)


def evaluate_split(
    run_or_checkpoint: str | os.PathLike[str],
    folder: str | os.PathLike[str],
    *,
    batch_size: int = 32,
    workers: int = 0,
    device: str = "auto",
) -> dict[str, Any]:
    """Evaluate a trained classifier on an ImageFolder split (``folder/<class>/<image>``).

    Args:
        run_or_checkpoint: a run folder (its best checkpoint) or an oculi ``.safetensors``.
        folder: the split to evaluate (e.g. ``data/val``); its class folders must be among the
            model's classes.

    Returns:
        :func:`classification_metrics` plus ``skipped`` (unreadable files) and ``checkpoint``.
    """
    from oculi.classify.data import (
        EvalTransform,
        ImageFolderDataset,
        collate_readable,
        scan_folder,
    )
    from oculi.models import load_model
    from oculi.train.checkpoint import resolve_checkpoint

    ckpt = resolve_checkpoint(run_or_checkpoint)
    model = load_model(ckpt)
    dev = torch.device("cuda" if (device == "auto" and torch.cuda.is_available())
                       or device == "cuda" else "cpu")
    model.to(dev)
    classes = model.class_names or [str(i) for i in range(model.num_classes)]
    index = scan_folder(folder, classes)
    if not index.samples:
        raise DataError(f"{folder}: no readable images in the class folders {classes}")
    ds = ImageFolderDataset(index, EvalTransform(model.spec),
                            decode_short_side=model.spec.resize_short_side, substitute=False)
    loader = DataLoader(ds, batch_size=batch_size, num_workers=workers,
                        collate_fn=collate_readable)
    logits, targets = predict_loader(model, loader, dev)
    result = classification_metrics(logits, targets, classes)
    # files whose header is broken (found by the scan) and files that fail to decode: left out
    result["skipped"] = [{"path": str(p), "reason": r} for p, r in index.skipped] + [
        {"path": p, "reason": r} for p, r in ds.failed.items()]
    result["checkpoint"] = str(ckpt)
    return result


def write_evaluation(result: dict[str, Any], out_dir: str | os.PathLike[str]) -> None:
    """confusion_matrix.json and confusion_matrix.png in ``out_dir``."""
    out = Path(out_dir)
    write_json_atomic(out / "confusion_matrix.json",
                      {k: result[k] for k in ("classes", "confusion", "precision", "recall",
                                              "val_top1", "val_top5", "n")})
    plot_confusion(result, out / "confusion_matrix.png")


def print_report(report: Any, echo: Any) -> None:
    """Per-class precision/recall and the confusion matrix of
    :func:`~oculi.classify.evaluate_classifier`, one line each."""
    names = report["classes"]
    width = max(len(c) for c in names)
    echo(f"{report['n']} images")
    echo(f"  {'class':<{width}}  precision  recall")
    for c, p, rc in zip(names, report["precision"], report["recall"], strict=True):
        echo(f"  {c:<{width}}  {p:9.3f}  {rc:6.3f}")
    echo("confusion (rows true, columns predicted):")
    for c, row in zip(names, report["confusion"], strict=True):
        echo(f"  {c:<{width}}  " + " ".join(f"{v:5d}" for v in row))
    if report["skipped"]:
        echo(f"skipped {len(report['skipped'])} unreadable file(s)")
