"""The losses and miners equal pytorch-metric-learning's on the same embeddings."""

from __future__ import annotations

import pytest
import torch

from oculi.embed.losses import contrastive_loss, pairwise_distances, triplet_loss

pml_losses = pytest.importorskip("pytorch_metric_learning.losses")
pml_miners = pytest.importorskip("pytorch_metric_learning.miners")
pml_distances = pytest.importorskip("pytorch_metric_learning.distances")


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(6).repeat_interleave(4)  # P=6 x K=4
    emb = torch.randn(24, 16, generator=g) + 0.8 * torch.randn(6, 16, generator=g)[labels]
    return emb, labels


def _distance(squared: bool):
    return pml_distances.LpDistance(normalize_embeddings=True, p=2, power=2 if squared else 1)


@pytest.mark.parametrize(("squared", "reduction"), [(False, "nonzero"), (True, "nonzero"),
                                                     (False, "mean")])
@pytest.mark.parametrize("mining", ["batch_all", "batch_hard", "semi_hard"])
def test_triplet_equals_pml(batch, mining, squared, reduction):
    from pytorch_metric_learning.reducers import AvgNonZeroReducer, MeanReducer

    emb, labels = batch
    margin = 0.3
    dist = _distance(squared)
    reducer = AvgNonZeroReducer() if reduction == "nonzero" else MeanReducer()
    ref_loss = pml_losses.TripletMarginLoss(margin=margin, distance=dist, reducer=reducer)
    miner = {"batch_all": None, "batch_hard": pml_miners.BatchHardMiner(distance=dist),
             "semi_hard": pml_miners.TripletMarginMiner(margin, "semihard", distance=dist)}[mining]
    x = emb.clone().requires_grad_(True)
    ref = ref_loss(x, labels, miner(x, labels) if miner else None).detach()
    ours, stats = triplet_loss(emb, labels, margin=margin, mining=mining, squared=squared,
                               reduction=reduction)
    assert float(ref) > 0
    assert float(ours) == pytest.approx(float(ref), rel=1e-5, abs=1e-6)
    if miner is not None:
        assert stats["triplets"] == len(miner(emb, labels)[0])
    else:
        assert stats["triplets"] == 24 * 3 * 20  # anchors x positives x negatives


def test_triplet_gradients_equal_pml(batch):
    emb, labels = batch
    dist = _distance(False)
    a = emb.clone().requires_grad_(True)
    b = emb.clone().requires_grad_(True)
    miner = pml_miners.BatchHardMiner(distance=dist)
    pml_losses.TripletMarginLoss(margin=0.2, distance=dist)(a, labels, miner(a, labels)).backward()
    triplet_loss(b, labels, margin=0.2, mining="batch_hard")[0].backward()
    torch.testing.assert_close(b.grad, a.grad, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("reduction", ["nonzero", "mean"])
def test_contrastive_equals_pml(batch, reduction):
    from pytorch_metric_learning.reducers import AvgNonZeroReducer, MeanReducer

    emb, labels = batch
    reducer = AvgNonZeroReducer() if reduction == "nonzero" else MeanReducer()
    ref = pml_losses.ContrastiveLoss(pos_margin=0.1, neg_margin=1.2, distance=_distance(False),
                                     reducer=reducer)(emb, labels)
    ours, _ = contrastive_loss(emb, labels, pos_margin=0.1, neg_margin=1.2, reduction=reduction)
    assert float(ref) > 0
    assert float(ours) == pytest.approx(float(ref), rel=1e-5)


def test_distances_match_cdist(batch):
    emb, _ = batch
    e = torch.nn.functional.normalize(emb, dim=1)
    off = ~torch.eye(len(emb), dtype=torch.bool)
    torch.testing.assert_close(pairwise_distances(emb)[off], torch.cdist(e, e)[off], atol=1e-5,
                               rtol=0)
    assert float(pairwise_distances(emb).diagonal().abs().max()) == 0


def test_nothing_mined_gives_zero_with_graph():
    emb = torch.nn.functional.one_hot(torch.arange(4)).float().requires_grad_(True)
    labels = torch.tensor([0, 0, 1, 1])
    loss, stats = triplet_loss(emb, labels, margin=0.01, mining="semi_hard")
    loss.backward()
    assert float(loss.detach()) == 0 and stats["triplets"] == 0 and emb.grad is not None
