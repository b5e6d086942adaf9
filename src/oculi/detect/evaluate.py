"""COCO-style evaluation with pycocotools: mAP@[.5:.95], mAP@.5, mAP@.75, per-class AP, recall;
the precision-recall plot and a grid of predictions against ground truth.

    >>> import numpy as np
    >>> gt = [{"boxes": np.array([[10., 10, 50, 50]]), "labels": np.array([1])}]
    >>> round(coco_evaluate(gt, [dict(gt[0], scores=np.array([0.9]))], ["cat"])["map"], 6)
    1.0
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.errors import DataError


def _arr(x: Any, shape: tuple[int, ...], dtype) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype).reshape(shape)


def coco_evaluate(
    ground_truth: Sequence[dict[str, Any]],
    predictions: Sequence[dict[str, Any]],
    class_names: Sequence[str],
    *,
    max_dets: int = 100,
) -> dict[str, Any]:
    """Evaluate detections with pycocotools' ``COCOeval`` (bbox).

    Args:
        ground_truth: per image ``{"boxes": (n, 4) xyxy, "labels": (n,) 1..K}``.
        predictions: per image (same order) ``{"boxes", "scores", "labels"}``.
        class_names: names of labels ``1..K``.
        max_dets: detections per image considered (COCO: 100).

    Returns:
        ``map`` (AP@[.5:.95]), ``map50``, ``map75``, ``map_small/medium/large``, ``recall``
        (AR@max_dets), ``per_class`` (name -> ``ap``, ``ap50``, ``recall50``, ``gt``),
        ``pr_curve`` (IoU .5: ``recall`` grid and per-class ``precision``), ``images``.
        Classes without ground truth have AP -1 in COCO and are left out of the means.

    Raises:
        DataError: lengths differ or there is no ground-truth box at all.
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    if len(ground_truth) != len(predictions):
        raise DataError(f"predictions: {len(predictions)} images for {len(ground_truth)} "
                        "ground-truth images")
    k = len(class_names)
    images, anns, dets = [], [], []
    aid = 1
    for i, (g, p) in enumerate(zip(ground_truth, predictions, strict=True)):
        images.append({"id": i + 1, "width": 1, "height": 1})
        gb = _arr(g["boxes"], (-1, 4), np.float64)
        gl = _arr(g["labels"], (-1,), np.int64)
        for b, lab in zip(gb, gl, strict=True):
            w, h = b[2] - b[0], b[3] - b[1]
            anns.append({"id": aid, "image_id": i + 1, "category_id": int(lab),
                         "bbox": [b[0], b[1], w, h], "area": w * h, "iscrowd": 0})
            aid += 1
        pb = _arr(p["boxes"], (-1, 4), np.float64)
        ps = _arr(p["scores"], (-1,), np.float64)
        pl = _arr(p["labels"], (-1,), np.int64)
        for b, s, lab in zip(pb, ps, pl, strict=True):
            dets.append({"image_id": i + 1, "category_id": int(lab), "score": float(s),
                         "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]]})
    if not anns:
        raise DataError("ground truth: no boxes — mAP is undefined")
    gt = COCO()
    gt.dataset = {"images": images, "annotations": anns,
                  "categories": [{"id": j + 1, "name": n} for j, n in enumerate(class_names)]}
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
        dt = gt.loadRes(dets) if dets else COCO()
        if not dets:
            dt.dataset = {"images": images, "annotations": [], "categories": gt.dataset[
                "categories"]}
            dt.createIndex()
        ev = COCOeval(gt, dt, "bbox")
        ev.params.maxDets = [1, 10, max_dets]
        ev.evaluate()
        ev.accumulate()
        summary = io.StringIO()
        with contextlib.redirect_stdout(summary):
            ev.summarize()
    s = ev.stats
    prec = ev.eval["precision"]  # (T iou, R recall, K class, A area, M maxdets)
    rec = ev.eval["recall"]  # (T, K, A, M)
    counts = np.bincount([a["category_id"] for a in anns], minlength=k + 1)[1:]
    per_class: dict[str, Any] = {}
    curves = {}
    for j, name in enumerate(class_names):
        pj = prec[:, :, j, 0, -1]
        ok = pj > -1
        ap = float(pj[ok].mean()) if ok.any() else -1.0
        p50 = prec[0, :, j, 0, -1]
        ap50 = float(p50[p50 > -1].mean()) if (p50 > -1).any() else -1.0
        per_class[name] = {"ap": ap, "ap50": ap50, "recall50": float(rec[0, j, 0, -1]),
                           "gt": int(counts[j])}
        curves[name] = np.where(p50 > -1, p50, 0.0).tolist()

    def _f(v: float) -> float:
        return float(v) if v > -1 else 0.0

    return {
        "map": _f(s[0]), "map50": _f(s[1]), "map75": _f(s[2]), "map_small": float(s[3]),
        "map_medium": float(s[4]), "map_large": float(s[5]), "recall": _f(s[8]),
        "per_class": per_class,
        "pr_curve": {"recall": ev.params.recThrs.tolist(), "precision": curves},
        "images": len(ground_truth), "boxes": len(anns), "detections": len(dets),
        "coco_summary": summary.getvalue(),
    }


def plot_pr_curve(result: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Precision-recall curves at IoU 0.5, one per class, with AP@.5 in the legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from oculi.core.atomic import atomic_path

    fig, ax = plt.subplots(figsize=(5, 4))
    r = result["pr_curve"]["recall"]
    for name, p in result["pr_curve"]["precision"].items():
        ax.plot(r, p, label=f"{name} (AP50 {result['per_class'][name]['ap50']:.3f})")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02),
           title=f"IoU 0.5  mAP50 {result['map50']:.3f}  mAP {result['map']:.3f}")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90)
    plt.close(fig)
    return Path(path)


def draw_detections(image: np.ndarray, boxes: np.ndarray, *, labels: Sequence[str] = (),
                    color: tuple[int, int, int] = (255, 40, 40), thickness: int = 2
                    ) -> np.ndarray:
    """A copy of an RGB uint8 image with boxes (and their labels) drawn."""
    import cv2

    from oculi.core.convert import ensure_uint8, to_rgb

    out = np.ascontiguousarray(ensure_uint8(to_rgb(image))).copy()
    for i, b in enumerate(np.asarray(boxes).reshape(-1, 4)):
        x0, y0, x1, y1 = (round(float(v)) for v in b)
        cv2.rectangle(out, (x0, y0), (x1, y1), color, thickness)
        if i < len(labels) and labels[i]:
            cv2.putText(out, labels[i], (x0 + 2, max(12, y0 + 12)), cv2.FONT_HERSHEY_SIMPLEX,
                        0.45, color, 1, cv2.LINE_AA)
    return out


def prediction_grid(images: Sequence[np.ndarray], ground_truth: Sequence[dict[str, Any]],
                    predictions: Sequence[dict[str, Any]], class_names: Sequence[str], *,
                    score: float = 0.5, tile: int = 256, cols: int = 4) -> np.ndarray:
    """Tiles of images with ground truth (green) and predictions above ``score`` (red)."""
    import cv2

    tiles = []
    for im, g, p in zip(images, ground_truth, predictions, strict=True):
        out = draw_detections(im, _arr(g["boxes"], (-1, 4), np.float32), color=(40, 200, 40))
        ps = _arr(p["scores"], (-1,), np.float32)
        keep = ps >= score
        lab = _arr(p["labels"], (-1,), np.int64)[keep]
        names = [f"{class_names[k - 1] if 0 < k <= len(class_names) else k} {s:.2f}"
                 for k, s in zip(lab, ps[keep], strict=True)]
        out = draw_detections(out, _arr(p["boxes"], (-1, 4), np.float32)[keep], labels=names)
        h, w = out.shape[:2]
        r = tile / max(h, w)
        small = cv2.resize(out, (max(1, round(w * r)), max(1, round(h * r))),
                           interpolation=cv2.INTER_AREA)
        canvas = np.full((tile, tile, 3), 255, np.uint8)
        canvas[: small.shape[0], : small.shape[1]] = small
        tiles.append(canvas)
    if not tiles:
        return np.full((tile, tile, 3), 255, np.uint8)
    rows = [tiles[i:i + cols] for i in range(0, len(tiles), cols)]
    rows[-1] = rows[-1] + [np.full_like(tiles[0], 255)] * (cols - len(rows[-1]))
    return np.concatenate([np.concatenate(r, 1) for r in rows], 0) if len(tiles) > 1 else tiles[0]
