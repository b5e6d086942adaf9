"""Metric learning's training configuration: the engine's fields plus the embedding recipe
(network, loss, mining, the P x K batch, and the Loc2Vec city tiles).

>>> cfg = EmbedConfig(loss="contrastive", epochs=3)
>>> EmbedConfig.from_dict(cfg.to_dict()) == cfg
True
>>> EmbedConfig(batch_size=64, samples_per_class=8).classes_per_batch
8
"""

from __future__ import annotations

from dataclasses import dataclass

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import ParameterError
from oculi.train.config import TrainConfig, check_fraction

#: the loss functions of :mod:`oculi.embed.losses`
LOSSES = ("triplet", "contrastive")
#: how triplets are picked from a P x K batch (``oculi.embed.losses.MINERS``)
MININGS = ("batch_all", "batch_hard", "semi_hard")
#: how a loss over the mined triplets/pairs is averaged
REDUCTIONS = ("nonzero", "mean")


@dataclass
class EmbedConfig(TrainConfig):
    """Training an embedding network with a metric-learning loss on P x K class-balanced batches.

    Attributes:
        backbone: ``auto`` (``small_cnn`` for 28x28 sets and Loc2Vec tiles, ``efficientnet_lite0``
            for photo folders), ``small_cnn`` (a 4-layer CNN trained from scratch), or a timm
            model of the registry (``oculi models list``) started from its ImageNet weights.
        pretrained: start a registry backbone from its offline ImageNet weights.
        dim: embedding dimension; outputs are L2-normalised (unit length).
        loss: ``triplet`` (max(d(a,p) - d(a,n) + margin, 0)) or ``contrastive`` (d(a,p) -
            pos_margin for positive pairs, neg_margin - d(a,n) for negative pairs, each clipped
            at 0; every pair of the batch).
        mining: triplets the triplet loss uses: ``batch_all`` (every valid triplet),
            ``batch_hard`` (per anchor its farthest positive and nearest negative, Hermans et
            al. 2017) or ``semi_hard`` (d(a,p) < d(a,n) <= d(a,p) + margin, Schroff et al. 2015).
        margin: triplet margin in embedding distance (unit vectors: distances in [0, 2]).
        squared: use squared Euclidean distances in the triplet loss.
        pos_margin: contrastive loss: positive pairs closer than this cost nothing.
        neg_margin: contrastive loss: negative pairs farther than this cost nothing.
        reduction: ``nonzero`` (mean over the triplets/pairs with a positive loss, as
            pytorch-metric-learning's default) or ``mean`` (over all mined ones).
        samples_per_class: K, images of each class in a batch; a batch holds
            ``batch_size // K`` classes (P). With fewer classes than that, every class is in each
            batch and K grows to fill ``batch_size``.
        image_size: network input size in pixels (None: 28 for 28x28 sets, ``tile_size`` for
            Loc2Vec, 128 for photo folders).
        augment: random shifts/rotations (28x28 sets), crops and flips (photos), 90-degree
            rotations and flips (tiles) during training.
        val_split: fraction of the training images held out for validation (selects
            ``best.safetensors``); the test split is never used in training.
        limit: use at most this many training images (0: all).
        projection: the 2-D plot of the run folder: ``auto`` (t-SNE when scikit-learn is
            installed, else PCA), ``tsne`` or ``pca``.
        city_size: Loc2Vec: side of the synthetic city in pixels (one pixel ~ 2 m).
        tile_size: Loc2Vec: side of a tile in pixels.
        tiles_per_epoch: Loc2Vec: tiles drawn per epoch (groups of ``samples_per_class`` tiles
            around one location).
        positive_radius: Loc2Vec: tiles of one group have centres within this many pixels of
            the group's location (spatially close = positives).
        negative_distance: Loc2Vec: group locations of a batch are at least this many pixels
            apart (far = negatives).
    """

    backbone: str = "auto"
    pretrained: bool = True
    dim: int = 64
    loss: str = "triplet"
    mining: str = "batch_hard"
    margin: float = 0.2
    squared: bool = False
    pos_margin: float = 0.0
    neg_margin: float = 0.5
    reduction: str = "nonzero"
    samples_per_class: int = 6
    image_size: int | None = None
    augment: bool = True
    val_split: float = 0.1
    limit: int = 0
    projection: str = "auto"
    city_size: int = 1024
    tile_size: int = 32
    tiles_per_epoch: int = 4096
    positive_radius: float = 8.0
    negative_distance: float = 64.0
    epochs: int = 15
    batch_size: int = 60
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_epochs: float = 0.5
    monitor: str = "val_recall_at_1"

    @property
    def classes_per_batch(self) -> int:
        """P: classes in one batch (before the cap by the number of classes)."""
        return self.batch_size // self.samples_per_class

    def validate(self) -> None:
        super().validate()
        check_choice(self.loss, LOSSES, "loss")
        check_choice(self.mining, MININGS, "mining")
        check_choice(self.reduction, REDUCTIONS, "reduction")
        check_choice(self.projection, ("auto", "tsne", "pca"), "projection")
        for name in ("dim", "tile_size", "city_size", "tiles_per_epoch", "negative_distance",
                     "positive_radius"):
            check_positive(getattr(self, name), name)
        for name in ("margin", "pos_margin", "neg_margin", "limit"):
            check_positive(getattr(self, name), name, allow_zero=True)
        check_fraction(self, "val_split", upper_inclusive=False)
        if self.samples_per_class < 2:
            raise ParameterError(f"samples_per_class: expected >= 2 (a class needs a positive "
                                 f"pair), got {self.samples_per_class}")
        if self.classes_per_batch < 2:
            raise ParameterError(
                f"batch_size {self.batch_size} / samples_per_class {self.samples_per_class}: "
                "a batch needs at least 2 classes (negatives) — raise batch_size")
        if self.image_size is not None:
            check_positive(self.image_size, "image_size")
        if self.tile_size * 2 > self.city_size:
            raise ParameterError(f"tile_size {self.tile_size}: expected at most half of "
                                 f"city_size {self.city_size}")
