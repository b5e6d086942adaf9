"""The ``embed`` trainable task: an :class:`~oculi.embed.networks.EmbeddingNet` trained with the
triplet or contrastive loss on P x K batches (:class:`~oculi.embed.sampler.ClassBalancedSampler`;
Loc2Vec: groups of nearby city tiles), validated by retrieval metrics.

    >>> from oculi.embed import EmbedConfig, train_embedder
    >>> train_embedder("mnist", EmbedConfig(epochs=10), "runs/mnist")  # doctest: +SKIP

The run folder gets ``projection.png`` (validation embeddings in 2-D, coloured by class) and
``neighbours.png`` (validation queries and their nearest neighbours) besides the engine's files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Subset

from oculi.embed import data as D
from oculi.embed.config import EmbedConfig
from oculi.embed.losses import contrastive_loss, triplet_loss
from oculi.embed.networks import SMALL_CNN, EmbeddingNet
from oculi.embed.sampler import ClassBalancedSampler
from oculi.train.task import Step, StepOutput, Task, TaskData

#: Loc2Vec validation/evaluation: the held-out city's seed is the training seed plus this
HELD_OUT_CITY = 1000
#: Loc2Vec validation: tile groups in the held-out city
VAL_GROUPS = 100


def input_setup(source: D.Source, cfg: EmbedConfig) -> tuple[str, int, int]:
    """(backbone, input channels, image size) for ``source`` under ``cfg``."""
    from oculi.core.constants import DEFAULT_BACKBONE

    channels = {"digits": 1, "loc2vec": 4, "folder": 3}[source.kind]
    backbone = cfg.backbone
    if backbone == "auto":
        backbone = DEFAULT_BACKBONE if source.kind == "folder" else SMALL_CNN
    size = cfg.image_size or {"digits": 28, "loc2vec": cfg.tile_size,
                              "folder": D.FOLDER_SIZE}[source.kind]
    if source.kind == "digits" and size != 28:
        from oculi.core.errors import ParameterError

        raise ParameterError(f"image_size {size}: the 28x28 sets are used at 28")
    return backbone, channels, size


@torch.no_grad()
def embed_dataset(model: nn.Module, dataset: Any, device: torch.device,
                  batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings ``float32 (N, dim)`` and labels ``int64 (N,)`` of a dataset's items."""
    model.eval()
    embs, labels = [], []
    for x, y in DataLoader(dataset, batch_size=batch_size, shuffle=False):
        embs.append(model(x.to(device)).float().cpu())
        labels.append(torch.as_tensor(y))
    return torch.cat(embs).numpy(), torch.cat(labels).numpy().astype(np.int64)


def score_embeddings(emb: np.ndarray, labels: np.ndarray, dataset: Any,
                     knn_k: int = 5) -> dict[str, float]:
    """``val_*`` retrieval metrics (leave-one-out; recall@k only for k up to the gallery size)
    and, for city tiles, the mix scores."""
    from oculi.embed.loc2vec import mix_scores
    from oculi.embed.metrics import RECALL_KS, retrieval_metrics

    gallery = len(emb) - 1  # leave-one-out; a k beyond the gallery is left out
    ks = [k for k in RECALL_KS if k <= gallery] or [1]
    metrics = retrieval_metrics(emb, labels, ks=ks, knn_k=min(knn_k, max(gallery, 1)))
    out = {f"val_{k}": v for k, v in metrics.items() if k != "queries"}
    if hasattr(dataset, "mixes"):
        tile = dataset.tiles.shape[-1]
        out.update({f"val_{k}": v for k, v in
                    mix_scores(emb, dataset.mixes, dataset.centres, tile).items()})
    return out


def dataset_images(dataset: Any, indices: np.ndarray) -> np.ndarray:
    """``uint8`` pictures of some items (digits gray, photos and tiles RGB)."""
    from oculi.embed.city import colorize

    base, idx = dataset, np.asarray(indices)
    if isinstance(base, Subset):
        idx, base = np.asarray(base.indices)[idx], base.dataset
    if hasattr(base, "tiles"):
        return colorize(base.tiles[idx])
    if hasattr(base, "images"):
        return base.images[idx]
    return np.stack([base.image(int(i)) for i in idx])


def write_pictures(folder: Path, emb: np.ndarray, labels: np.ndarray, dataset: Any,
                   class_names: list[str] | None, title: str, *, k: int = 8,
                   rows: int = 10, projection: str = "auto", max_points: int = 2000) -> list[str]:
    """Write ``projection.png`` and ``neighbours.png`` into ``folder``; their names."""
    from oculi.core.atomic import save_figure
    from oculi.embed.loc2vec import allowed_pairs
    from oculi.embed.metrics import nearest
    from oculi.embed.plots import neighbour_grid, project_2d, projection_figure
    from oculi.io import write_image

    g = np.random.default_rng(0)
    pick = np.sort(g.permutation(len(emb))[:max_points])
    coords, method = project_2d(emb[pick], projection)
    save_figure(projection_figure(coords, labels[pick], class_names,
                                  f"{title} ({method.upper()}, {len(pick)} points)"),
                folder / "projection.png")
    base = dataset.dataset if isinstance(dataset, Subset) else dataset
    queries = g.permutation(len(emb))[:rows]
    e = torch.as_tensor(emb)
    if hasattr(base, "centres"):  # tiles: skip neighbours that overlap the query
        ok = torch.as_tensor(allowed_pairs(base.centres, base.tiles.shape[-1]))
        d = torch.cdist(e[queries], e).masked_fill(~ok[queries], torch.inf)
        nbrs = d.topk(min(k, len(e) - 1), 1, largest=False).indices.numpy()
        correct = None
    else:
        _, idx = nearest(e, e, min(k, len(e) - 1), exclude_self=True)
        nbrs = idx.numpy()[queries]
        correct = labels[nbrs] == labels[queries][:, None]
    used = np.unique(np.concatenate([queries, nbrs.ravel()]))
    remap = {int(v): i for i, v in enumerate(used)}
    pics = dataset_images(dataset, used)
    grid = neighbour_grid(pics, [remap[int(q)] for q in queries],
                          np.vectorize(remap.get)(nbrs), correct, scale=2 if pics.shape[1] <= 64
                          else 1)
    write_image(folder / "neighbours.png", grid)
    return ["projection.png", "neighbours.png"]


class EmbedTask(Task):
    """The metric-learning task (see the module doc)."""

    name = "embed"
    checkpoint_key = "oculi_embed"

    def __init__(self, data: str | os.PathLike[str] | None = None) -> None:
        self.source = D.resolve_data(data)
        self.cfg = EmbedConfig()
        self.class_names: list[str] | None = None

    def build_model(self, cfg: EmbedConfig) -> nn.Module:
        self.cfg = cfg
        backbone, channels, size = input_setup(self.source, cfg)
        return EmbeddingNet(backbone, cfg.dim, channels, pretrained=cfg.pretrained,
                            image_size=size, data=self.source.kind)

    def build_data(self, cfg: EmbedConfig, model: nn.Module, info: Any) -> TaskData:
        src, size = self.source, model.image_size
        summary: dict[str, Any] = {"data": src.name, "kind": src.kind}
        if src.kind == "loc2vec":
            city = D.city_for(cfg.seed, cfg.city_size)
            train = D.CityTileGroups(city, size, cfg.tiles_per_epoch, cfg.batch_size,
                                     cfg.samples_per_class, cfg.positive_radius,
                                     cfg.negative_distance, cfg.seed, cfg.augment)
            self.val = D.CityTiles(D.city_for(cfg.seed + HELD_OUT_CITY, cfg.city_size), size,
                                   VAL_GROUPS, cfg.samples_per_class, cfg.positive_radius,
                                   cfg.negative_distance, cfg.seed)
            sampler = D.EpochBlocks(len(train), info.rank, info.world, cfg.batch_size)
            summary.update(city_seed=cfg.seed, val_city_seed=cfg.seed + HELD_OUT_CITY,
                           tiles_per_epoch=len(train), groups_per_batch=train.groups,
                           val_tiles=len(self.val))
            return TaskData(train, self.val, summary, sampler=sampler)
        if src.kind == "digits":
            x, y = D.digits_split(src.name, "train", cfg.limit)
            self.class_names = D.digit_classes(src.name)
            tr, va = D.stratified_split(y, cfg.val_split, cfg.seed)
            train = D.DigitImages(x[tr], y[tr], cfg.augment)
            val_idx = va if len(va) else tr[:1000]
            self.val = D.DigitImages(x[val_idx], y[val_idx])
        else:
            paths, labels, self.class_names, skipped = D.scan_class_folder(src.name)
            if cfg.limit:
                keep = np.random.default_rng(cfg.seed).permutation(len(paths))[:cfg.limit]
                paths, labels = [paths[i] for i in np.sort(keep)], labels[np.sort(keep)]
            tr, va = D.stratified_split(labels, cfg.val_split, cfg.seed)
            val_idx = va if len(va) else tr
            train = D.FolderImages([paths[i] for i in tr], labels[tr], size, cfg.augment)
            self.val = D.FolderImages([paths[i] for i in val_idx], labels[val_idx], size)
            summary["skipped"] = skipped
        sampler = ClassBalancedSampler(train.labels, cfg.batch_size, cfg.samples_per_class,
                                       cfg.seed, info.rank, info.world)
        summary.update(classes=self.class_names, train=len(train), val=len(self.val),
                       val_is_held_out=bool(len(va)), classes_per_batch=sampler.classes_per_batch,
                       samples_per_class=sampler.samples_per_class)
        return TaskData(train, self.val, summary, sampler=sampler)

    def train_step(self, step: Step, batch: Any) -> StepOutput:
        cfg = self.cfg
        x, y = step.to_device(batch)
        emb = step.model(x)
        if cfg.loss == "triplet":
            loss, stats = triplet_loss(emb.float(), y, margin=cfg.margin, mining=cfg.mining,
                                       squared=cfg.squared, reduction=cfg.reduction)
        else:
            loss, stats = contrastive_loss(emb.float(), y, pos_margin=cfg.pos_margin,
                                           neg_margin=cfg.neg_margin, reduction=cfg.reduction)
        n = len(y)
        return StepOutput(loss, {"train_active": stats["active"] * n}, n)

    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        emb, labels = embed_dataset(model, loader.dataset, device)
        return {**score_embeddings(emb, labels, loader.dataset), "embeddings": emb,
                "labels": labels}

    def write_artifacts(self, run_dir: Path, evaluation: dict[str, Any]) -> None:
        write_pictures(run_dir, evaluation["embeddings"], evaluation["labels"], self.val,
                       self.class_names, f"validation embeddings ({self.source.name})",
                       projection=self.cfg.projection)


def train_embedder(data: str | os.PathLike[str], cfg: EmbedConfig | None = None,
                   out: str | os.PathLike[str] = "runs/embed", *, resume: bool = False,
                   progress: bool | None = None):
    """Train an embedding network with :func:`oculi.train.fit`.

    Args:
        data: ``mnist`` or ``fashion-mnist`` (their training split), ``loc2vec`` (tiles of a
            synthetic city rendered with ``cfg.seed``), or a folder with a sub-folder of
            images per class.
        cfg: the settings (:class:`EmbedConfig`).
        out: the run folder.
        resume: continue the run in ``out``.
        progress: show a progress bar (None: when attached to a terminal).

    Returns:
        :class:`~oculi.train.FitResult`.

    Raises:
        DataError: unknown data, a folder with fewer than two classes or a class with one
            image.
    """
    from oculi.train.loop import fit

    return fit(EmbedTask(data), cfg or EmbedConfig(), out, resume=resume, progress=progress)


__all__ = ["EmbedTask", "embed_dataset", "score_embeddings", "train_embedder",
           "write_pictures"]
