"""Metric learning: embedding networks trained with triplet / contrastive losses on P x K
class-balanced batches (batch-all, batch-hard, semi-hard mining), retrieval metrics (recall@k,
mAP@R, k-NN accuracy), and Loc2Vec, embeddings of map tiles rendered from a synthetic city.

``oculi train embed mnist -o RUN`` / ``oculi eval embed RUN mnist`` (docs/embed.md).
"""

from oculi.embed.config import EmbedConfig
from oculi.embed.losses import (
    batch_all_triplets,
    batch_hard_triplets,
    contrastive_loss,
    miners,
    pairwise_distances,
    semi_hard_triplets,
    triplet_loss,
)
from oculi.embed.metrics import RECALL_KS, retrieval_metrics
from oculi.embed.sampler import ClassBalancedSampler

__all__ = [
    "RECALL_KS",
    "ClassBalancedSampler",
    "EmbedConfig",
    "batch_all_triplets",
    "batch_hard_triplets",
    "contrastive_loss",
    "miners",
    "pairwise_distances",
    "retrieval_metrics",
    "semi_hard_triplets",
    "triplet_loss",
]
