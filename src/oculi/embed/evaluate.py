"""``oculi eval embed RUN DATA``: retrieval metrics of a trained embedding on held-out data.

* ``mnist`` / ``fashion-mnist``: the test split (never seen in training); every test image is
  a query against all the others (leave-one-out).
* a folder with a sub-folder per class: all its images, leave-one-out.
* ``loc2vec``: tiles of a held-out city (seed ``city_seed``): recall@k with groups of nearby
  tiles as classes, and the land-use mix scores of :mod:`oculi.embed.loc2vec`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from oculi.core.errors import DataError
from oculi.embed import data as D
from oculi.embed.networks import EmbeddingNet
from oculi.embed.task import EmbedTask, embed_dataset, score_embeddings, write_pictures

_CHANNELS = {"digits": 1, "loc2vec": 4, "folder": 3}


def load_embedder(run: str | os.PathLike[str]) -> EmbeddingNet:
    """The embedding network of a run folder (its best checkpoint) or checkpoint file."""
    from oculi.train.checkpoint import load_run_model

    return load_run_model(run, EmbedTask.checkpoint_key, "embed", lambda c: EmbeddingNet(**c))


def evaluate_embedder(run: str | os.PathLike[str], data: str | os.PathLike[str], *,
                      limit: int = 0, knn_k: int = 5, city_seed: int = 1000,
                      city_size: int = 1024, groups: int = 250, per_group: int = 4,
                      positive_radius: float = 8.0, projection: str = "auto"):
    """Recall@1/2/4/8, mAP@R and k-NN accuracy (and Loc2Vec's mix scores) of a trained run.

    Args:
        run: run folder or checkpoint.
        data: ``mnist``, ``fashion-mnist`` (test split), ``loc2vec``, or a class folder.
        limit: score only N images (0: all): the first N of a digit test split, N drawn at
            random (seed 0) from a class folder.
        knn_k: neighbours voting in the k-NN accuracy.
        city_seed: loc2vec: seed of the held-out city (training used its own ``seed``).
        city_size: loc2vec: side of the held-out city in pixels.
        groups: loc2vec: tile locations drawn in the held-out city (at least two tile sides
            apart where the city's area allows).
        per_group: loc2vec: tiles around each location (the positives of recall@k).
        positive_radius: loc2vec: tiles of a location lie within this many pixels of it.
        projection: ``auto`` (t-SNE when scikit-learn is installed), ``tsne`` or ``pca``
            for the 2-D plot written with ``-o``.

    Returns:
        :class:`~oculi.core.results.EvaluationReport` (``val_*`` metrics, fractions in [0, 1]).

    Raises:
        DataError: unknown data, or data of another kind than the run was trained on.
    """
    from oculi.core.checks import check_choice
    from oculi.core.results import EvaluationReport

    check_choice(projection, ("auto", "tsne", "pca"), "projection")
    source = D.resolve_data(data)
    model = load_embedder(run)
    if source.kind == "loc2vec" and _training_city_seed(run) == city_seed:
        raise DataError(f"city_seed: {city_seed} is the city the run in {run} was trained on — "
                        "score a held-out city (another seed)")
    if _CHANNELS[source.kind] != model.in_channels:
        raise DataError(f"{data}: {source.kind} data has {_CHANNELS[source.kind]} channel(s), "
                        f"the run in {run} was trained on {model.data} with "
                        f"{model.in_channels}")
    details: dict[str, Any] = {
        "data": str(data), "kind": source.kind, "limit": limit, "image_size": model.image_size,
        "projection": projection}
    if source.kind == "loc2vec":
        details.update(city_seed=city_seed, city_size=city_size, groups=groups,
                       per_group=per_group, positive_radius=positive_radius)
    dataset, class_names = _dataset(details)
    emb, labels = embed_dataset(model, dataset, torch.device("cpu"))
    metrics = score_embeddings(emb, labels, dataset, knn_k=knn_k)
    details.update(images=len(labels), classes=len(np.unique(labels)), embeddings=emb,
                   labels=labels, class_names=class_names,
                   skipped=getattr(dataset, "skipped", []))
    return EvaluationReport("embed", metrics, details)


def _training_city_seed(run: str | os.PathLike[str]) -> int | None:
    """The seed of the city a Loc2Vec run folder trained on (its ``data.json``), if known."""
    import json

    path = Path(run) / "data.json"
    try:
        seed = json.loads(path.read_text()).get("city_seed") if path.is_file() else None
    except (OSError, ValueError, AttributeError):
        return None
    return seed if isinstance(seed, int) else None


def _dataset(d: dict[str, Any]) -> tuple[Any, list[str] | None]:
    """The evaluation dataset the details ``d`` describe, and its class names."""
    source, limit = D.resolve_data(d["data"]), d["limit"]
    if source.kind == "digits":
        x, y = D.digits_split(source.name, "test", limit)
        return D.DigitImages(x, y), D.digit_classes(source.name)
    if source.kind == "folder":
        paths, labels, class_names, skipped = D.scan_class_folder(source.name)
        if limit:  # a seeded random subset: the paths come class by class
            keep = np.sort(np.random.default_rng(0).permutation(len(paths))[:limit])
            paths, labels = [paths[i] for i in keep], labels[keep]
        dataset = D.FolderImages(paths, labels, d["image_size"])
        dataset.skipped = skipped
        return dataset, class_names
    city = D.city_for(d["city_seed"], d["city_size"])
    return D.CityTiles(city, d["image_size"], d["groups"], d["per_group"], d["positive_radius"],
                       2.0 * d["image_size"], d["city_seed"]), None


def print_report(report: Any, echo: Any) -> None:
    """The counts behind the metrics."""
    echo(f"{report['images']} images, {report['classes']} classes ({report['kind']}: "
         f"{report['data']}), leave-one-out retrieval")


def write_evaluation(report: Any, folder: str | os.PathLike[str]) -> None:
    """``metrics.json``, ``projection.png`` and ``neighbours.png`` into ``folder``."""
    from oculi.core.atomic import write_json_atomic

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / "metrics.json", report.json_dict())
    dataset, _ = _dataset(report.details)
    write_pictures(folder, report["embeddings"], report["labels"], dataset,
                   report["class_names"], f"{report['data']} embeddings",
                   projection=report["projection"])


__all__ = ["evaluate_embedder", "load_embedder", "print_report", "write_evaluation"]
