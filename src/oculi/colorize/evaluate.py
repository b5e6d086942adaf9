"""``oculi eval colorize RUN FOLDER``: score a colouriser on held-out colour photos.

Protocol, per photo (every image under FOLDER, name order): resized so its short side is
``size / 0.875`` and centre-cropped to ``size`` pixels (the ImageNet evaluation crop) — the
**true-colour** image; its lightness with a = b = 0 is the **grey** image; the run colourises
the grey image (:func:`oculi.colorize.colorize`) — the **recoloured** image. Scores:

- PSNR (dB) and SSIM of the recoloured against the true-colour image (RGB,
  :mod:`oculi.train.metrics.image`);
- ab error AUC (Zhang et al.: fraction of pixels within t of the true ab, t = 0..150, area
  normalised), for the recoloured image and for the grey image (predicting a = b = 0);
- colourfulness (Hasler & Süsstrunk 2003) of the recoloured and of the true-colour images;
- the **classifier test** (Zhang et al.'s "semantic interpretability"): oculi's ImageNet
  classifier (``classifier``, EfficientNet-Lite0 by default) labels all three versions.
  ``top1_agreement``: its top-1 on the recoloured (grey) image equals its top-1 on the
  true-colour image (the pseudo-label). ``class_accuracy``: when the parent folder of every
  image names an ImageNet class (singular or plural: ``ants/`` -> ``ant``, ``bees/`` ->
  ``bee``) and there are at least two, the fraction whose logit of the true class is the
  highest among those classes (a two-way ant-vs-bee decision for hymenoptera), for each of
  the three versions.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from oculi.colorize.lab import image_to_lab, lab_to_image
from oculi.colorize.metrics import ab_auc, colourfulness
from oculi.core.errors import DataError, OculiError


def _photos(folder: Path) -> list[Path]:
    from oculi.restore.patches import SUFFIXES, image_files

    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder of photos")
    files = [Path(f) for f in image_files(folder)]
    if not files:
        raise DataError(f"{folder}: no images ({', '.join(SUFFIXES)})")
    return files


@functools.cache
def _class_indexes() -> dict[str, int]:
    """Lower-case ImageNet class name -> index (built once: it is looked up per photo)."""
    from oculi.models import imagenet_classes

    return {n.lower(): i for i, n in enumerate(imagenet_classes())}


def folder_class(folder: str) -> int | None:
    """The ImageNet class index a folder name gives (singular or plural: ``ants`` -> ``ant``),
    or None."""
    names = _class_indexes()
    folder = folder.lower()
    return names.get(folder, names.get(folder[:-1]) if folder.endswith("s") else None)


def _class_index(files: list[Path]) -> list[int] | None:
    """The ImageNet class of each file's parent folder, or None when one is not a class."""
    out = [folder_class(f.parent.name) for f in files]
    return None if any(i is None for i in out) else out  # type: ignore[return-value]


def centre_crop(image: np.ndarray, size: int) -> np.ndarray:
    """Resize to a short side of ``size / 0.875`` (area) and cut the central ``size`` square."""
    import cv2

    h, w = image.shape[:2]
    k = round(size / 0.875) / min(h, w)
    image = cv2.resize(image, (max(size, round(w * k)), max(size, round(h * k))),
                       interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC)
    y, x = (image.shape[0] - size) // 2, (image.shape[1] - size) // 2
    return np.ascontiguousarray(image[y:y + size, x:x + size])


def true_and_grey(path: str | os.PathLike[str], size: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A photo's evaluation versions: the **true-colour** ``size`` x ``size`` centre crop
    (:func:`centre_crop`, uint8 RGB), its Lab (float32) and the **grey** image (its lightness
    with a = b = 0, uint8 RGB).

    Raises:
        DataError: a grey photo (no pixel with chroma of 2 ab units or more).
        ImageReadError: an unreadable file.
    """
    from oculi.io import read_image

    true = centre_crop(read_image(path, mode="rgb"), size)
    lab = image_to_lab(true)
    if float(np.hypot(lab[..., 1], lab[..., 2]).max()) < 2.0:
        raise DataError(f"{path}: a grey image: no true colour to compare with")
    grey = lab.copy()
    grey[..., 1:] = 0
    return true, lab, lab_to_image(grey)


@torch.no_grad()
def class_logits(classifier: torch.nn.Module, images: list[np.ndarray]) -> torch.Tensor:
    """The classifier's ``(len(images), classes)`` logits of uint8 RGB images, 16 at a time."""
    from oculi.core.convert import to_tensor_batch

    return torch.cat([classifier(to_tensor_batch(images[i:i + 16]))
                      for i in range(0, len(images), 16)])


def evaluate_colorizer(run: str | os.PathLike[str], data: str | os.PathLike[str], *,
                       size: int = 224, images: int = 0, classifier: str = "efficientnet_lite0",
                       temperature: float | None = None):
    """Score a colorize run on a folder of colour photos (protocol in the module doc).

    Args:
        run: run folder or checkpoint.
        data: a folder of colour photos (searched recursively), e.g. hymenoptera ``val/``.
        size: the evaluation crop side in pixels.
        images: score only the first this many photos (0: all).
        classifier: registry name of the ImageNet classifier of the classifier test.
        temperature: annealed-mean T of a classification run (None: the run's).

    Returns:
        An :class:`~oculi.core.results.EvaluationReport` with ``val_psnr``, ``val_ssim``,
        ``val_ab_auc``, ``val_ab_auc_grey``, ``val_colourfulness``, ``val_colourfulness_true``,
        ``val_top1_agreement``, ``val_top1_agreement_grey`` and, when the folders name ImageNet
        classes, ``val_class_accuracy`` (recoloured), ``_grey`` and ``_true``; details
        ``images`` (per photo) and ``skipped`` (unreadable or grey photos).
    """
    from oculi.colorize.api import colorize, load_colorizer
    from oculi.core.checks import check_positive
    from oculi.core.results import EvaluationReport
    from oculi.models import create_model
    from oculi.train.metrics.image import psnr, ssim

    check_positive(size, "size")
    check_positive(images, "images", allow_zero=True)
    model = load_colorizer(run)
    files = _photos(Path(data))[:images or None]
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    versions: dict[str, list[np.ndarray]] = {"true": [], "grey": [], "recoloured": []}
    kept: list[Path] = []
    for f in files:
        try:
            true, lab, grey = true_and_grey(f, size)
        except (OculiError, OSError) as exc:
            skipped[f.name] = " ".join(str(exc).split())
            continue
        out = colorize(grey, model, temperature=temperature)
        a, b = (torch.from_numpy(x).permute(2, 0, 1)[None].float() / 255 for x in (out, true))
        rows.append({"image": f"{f.parent.name}/{f.name}", "psnr": float(psnr(a, b)[0]),
                     "ssim": float(ssim(a, b)[0]),
                     "ab_auc": ab_auc(image_to_lab(out)[..., 1:], lab[..., 1:]),
                     "ab_auc_grey": ab_auc(np.zeros_like(lab[..., 1:]), lab[..., 1:]),
                     "colourfulness": colourfulness(out), "colourfulness_true":
                     colourfulness(true)})
        for k, v in (("true", true), ("grey", grey), ("recoloured", out)):
            versions[k].append(v)
        kept.append(f)
    if not rows:
        raise DataError(f"{data}: none of {len(files)} image(s) is a readable colour photo")
    net = create_model(classifier, pretrained=True).eval()
    logits = {k: class_logits(net, v) for k, v in versions.items()}
    top1 = {k: v.argmax(1) for k, v in logits.items()}
    metrics = {f"val_{k}": float(np.mean([r[k] for r in rows])) for k in rows[0] if k != "image"}
    metrics["val_top1_agreement"] = float((top1["recoloured"] == top1["true"]).float().mean())
    metrics["val_top1_agreement_grey"] = float((top1["grey"] == top1["true"]).float().mean())
    labels = _class_index(kept)
    details: dict[str, Any] = {"classifier": classifier, "size": size, "skipped": skipped,
                               "images": rows}
    if labels is not None and len(set(labels)) > 1:
        classes = sorted(set(labels))
        target = torch.tensor([classes.index(i) for i in labels])
        for k, suffix in (("recoloured", ""), ("grey", "_grey"), ("true", "_true")):
            pick = logits[k][:, classes].argmax(1)
            metrics[f"val_class_accuracy{suffix}"] = float((pick == target).float().mean())
        details["classes"] = classes
    for k, t in top1.items():
        for r, c in zip(rows, t.tolist(), strict=True):
            r[f"top1_{k}"] = c
    return EvaluationReport("colorize", metrics, details)


def print_report(report: Any, echo: Any) -> None:
    """The three versions side by side."""
    m = report.metrics
    echo(f"  colourfulness  recoloured {m['val_colourfulness']:.1f}  true "
         f"{m['val_colourfulness_true']:.1f}")
    echo(f"  ab AUC         recoloured {m['val_ab_auc']:.4f}  grey {m['val_ab_auc_grey']:.4f}")
    echo(f"  top-1 = true-colour top-1: recoloured {m['val_top1_agreement']:.3f}  grey "
         f"{m['val_top1_agreement_grey']:.3f}")
    if "val_class_accuracy" in m:
        echo(f"  class accuracy: recoloured {m['val_class_accuracy']:.3f}  grey "
             f"{m['val_class_accuracy_grey']:.3f}  true {m['val_class_accuracy_true']:.3f}")


def write_evaluation(report: Any, folder: str | os.PathLike[str]) -> None:
    """``per_image.csv`` and ``report.json`` in ``folder``."""
    from oculi.core.atomic import write_json_atomic, write_text_atomic

    keys = ["image", "psnr", "ssim", "ab_auc", "ab_auc_grey", "colourfulness",
            "colourfulness_true", "top1_true", "top1_grey", "top1_recoloured"]
    lines = [",".join(keys)] + [",".join(str(r[k]) for k in keys) for r in report["images"]]
    write_text_atomic(Path(folder) / "per_image.csv", "\n".join(lines) + "\n")
    write_json_atomic(Path(folder) / "report.json", report.json_dict())
