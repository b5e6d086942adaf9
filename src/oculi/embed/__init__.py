"""Metric learning: embedding networks trained with triplet / contrastive losses on P x K
class-balanced batches (batch-all, batch-hard, semi-hard mining), retrieval metrics (recall@k,
mAP@R, k-NN accuracy), and Loc2Vec, embeddings of map tiles rendered from a synthetic city.

``oculi train embed mnist -o RUN`` / ``oculi eval embed RUN mnist`` (docs/embed.md).
"""

from oculi.embed.city import LAYERS, City, layer_mix, render_city
from oculi.embed.config import EmbedConfig
from oculi.embed.evaluate import evaluate_embedder, load_embedder
from oculi.embed.loc2vec import mix_scores
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
from oculi.embed.networks import EmbeddingNet
from oculi.embed.sampler import ClassBalancedSampler
from oculi.embed.task import EmbedTask, train_embedder

__all__ = [
    "LAYERS",
    "RECALL_KS",
    "City",
    "ClassBalancedSampler",
    "EmbedConfig",
    "EmbedTask",
    "EmbeddingNet",
    "batch_all_triplets",
    "batch_hard_triplets",
    "contrastive_loss",
    "evaluate_embedder",
    "layer_mix",
    "load_embedder",
    "miners",
    "mix_scores",
    "pairwise_distances",
    "render_city",
    "retrieval_metrics",
    "semi_hard_triplets",
    "train_embedder",
    "triplet_loss",
]
