"""Classification with a zoo model: top-k labels and probabilities for images or files.

    >>> from oculi.data import load
    >>> from oculi.classify import classify
    >>> classify(load("chelsea"), top=1)[0][0].label  # doctest: +SKIP
    'Egyptian cat'
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from oculi.core.checks import check_paths, check_positive
from oculi.core.errors import OculiError
from oculi.core.results import FileResults
from oculi.models.classifier import Classifier

DEFAULT_MODEL = "efficientnet_lite0"


@dataclass(frozen=True)
class Prediction:
    """One ranked class: ImageNet (or dataset) index, its name and the softmax probability."""

    index: int
    label: str
    probability: float

    def as_dict(self) -> dict[str, object]:
        return {"index": self.index, "label": self.label, "probability": self.probability}


def get_model(model: str | Classifier, weights: str | os.PathLike[str] | None = None, *,
              allow_download: bool = True) -> Classifier:
    """A :class:`Classifier` from an instance, an oculi checkpoint, or a zoo name (pretrained;
    ``allow_download=False`` fails at once, naming the file to supply, when no weights are
    offline)."""
    if isinstance(model, Classifier):
        return model.eval()
    from oculi.models.zoo import create_model, load_model

    if weights is not None and str(weights).endswith(".safetensors"):
        from oculi.models.weights import read_metadata

        if "oculi" in read_metadata(weights):
            return load_model(weights).eval()
    return create_model(model, pretrained=weights is None, weights=weights,
                        allow_download=allow_download)


@torch.no_grad()
def predict_proba(model: Classifier, images: torch.Tensor, *, batch_size: int = 32) -> torch.Tensor:
    """Softmax probabilities for a preprocessed batch: (N, 3, H, W) in [0, 1] -> (N, classes)."""
    from oculi.core.checks import check_tensor_images

    check_tensor_images(images, channels=3)
    check_positive(batch_size, "batch_size")
    model.eval()
    device = next(model.parameters()).device
    out = [model(images[i:i + batch_size].to(device)).float().softmax(1).cpu()
           for i in range(0, len(images), batch_size)]
    return torch.cat(out)


def _rank(probs: torch.Tensor, names: Sequence[str] | None, top: int) -> list[list[Prediction]]:
    k = min(top, probs.shape[1])
    values, indices = probs.topk(k, dim=1)
    return [[Prediction(int(i), names[int(i)] if names else str(int(i)), float(v))
             for v, i in zip(vs, ix, strict=True)]
            for vs, ix in zip(values, indices, strict=True)]


def classify(
    images: np.ndarray | Sequence[np.ndarray],
    model: str | Classifier = DEFAULT_MODEL,
    *,
    top: int = 5,
    weights: str | os.PathLike[str] | None = None,
    batch_size: int = 32,
    allow_download: bool = True,
) -> list[list[Prediction]]:
    """Top-``top`` predictions for each image.

    Args:
        images: one HxWx3 RGB image or a list (uint8, or float in [0, 1]; any sizes).
        model: a zoo name (created with its pretrained weights) or a :class:`Classifier`.
        top: number of classes per image, best first.
        weights: weights file for a named model (library state dict or oculi checkpoint).
        batch_size: images per forward pass.
        allow_download: without offline weights, fetch them from the library hub (False: fail
            at once naming the file to supply).

    Returns:
        One list of :class:`Prediction` per image, sorted by decreasing probability.
    """
    check_positive(top, "top")
    check_positive(batch_size, "batch_size")
    net = get_model(model, weights, allow_download=allow_download)
    batch = net.preprocess(images)
    return _rank(predict_proba(net, batch, batch_size=batch_size), net.class_names, top)


def classify_files(
    paths: Sequence[str | os.PathLike[str]],
    model: str | Classifier = DEFAULT_MODEL,
    *,
    top: int = 5,
    weights: str | os.PathLike[str] | None = None,
    batch_size: int = 32,
    allow_download: bool = True,
) -> FileResults[list[Prediction]]:
    """Classify image files in batches, going on past unreadable ones.

    Files are decoded with :func:`oculi.io.read_image` at the model's resize size (JPEGs are
    DCT-scaled while decoding, the fast path).

    Returns:
        :class:`~oculi.core.results.FileResults`: path -> predictions for the images read,
        path -> error message for the others (unpacks as ``results, failures``).
    """
    from oculi.io import read_image

    check_positive(top, "top")
    check_positive(batch_size, "batch_size")
    paths = check_paths(paths)
    net = get_model(model, weights, allow_download=allow_download)
    results: dict[str, list[Prediction]] = {}
    failures: dict[str, str] = {}
    pending: list[tuple[str, torch.Tensor]] = []

    def flush() -> None:
        if not pending:
            return
        probs = predict_proba(net, torch.stack([t for _, t in pending]), batch_size=batch_size)
        for (p, _), preds in zip(pending, _rank(probs, net.class_names, top), strict=True):
            results[p] = preds
        pending.clear()

    for path in paths:
        key = str(path)
        try:
            image = read_image(Path(path), short_side=net.spec.resize_short_side)
            pending.append((key, net.preprocess(image)[0]))
        except (OculiError, OSError) as exc:
            failures[key] = " ".join(str(exc).split())
        if len(pending) >= batch_size:
            flush()
    flush()
    return FileResults(results, failures)
