"""The synthetic city (deterministic, layer fractions) and Loc2Vec's mix scores."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from oculi.core.errors import ParameterError
from oculi.embed.city import LAYERS, layer_mix, one_hot_layers, render_city
from oculi.embed.data import CityTileGroups, EpochBlocks
from oculi.embed.loc2vec import allowed_pairs, mix_scores


def test_city_is_deterministic_and_has_every_layer():
    a, b, c = render_city(256, 3), render_city(256, 3), render_city(256, 4)
    assert np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.labels, c.labels)
    mix = layer_mix(a.labels)
    assert (mix > 0).all() and mix.sum() <= 1  # water, park, road, building all present
    counts = np.bincount(a.labels.ravel(), minlength=len(LAYERS) + 1)
    np.testing.assert_allclose(mix, counts[1:] / a.labels.size)


def test_tile_mix_and_one_hot():
    city = render_city(256, 0)
    tiles = np.stack([city.tile(x, y, 32) for x, y in [(16, 16), (100, 40), (250, 250)]])
    mixes = layer_mix(tiles)
    assert mixes.shape == (3, 4) and (mixes.sum(1) <= 1 + 1e-12).all()
    onehot = one_hot_layers(tiles)
    assert onehot.shape == (3, 4, 32, 32)
    np.testing.assert_allclose(onehot.mean((2, 3)), mixes)
    assert np.array_equal(tiles[2], city.labels[-32:, -32:])  # clamped inside the city
    with pytest.raises(ParameterError):
        render_city(64)


def test_training_groups_are_close_and_far_apart():
    city = render_city(512, 0)
    ds = CityTileGroups(city, 32, tiles=120, batch_size=12, per_group=4, positive_radius=6,
                        negative_distance=100, seed=0)
    sampler = EpochBlocks(len(ds), batch_size=12)
    sampler.set_epoch(2)
    block = list(sampler)[:12]
    where = [ds.locate(i) for i in block]
    centres = np.array([c for c, _ in where])
    labels = np.array([lab for _, lab in where])
    assert sorted(np.bincount(labels).tolist()) == [4, 4, 4]
    for g in range(3):
        pts = centres[labels == g]
        assert np.linalg.norm(pts - pts.mean(0), axis=1).max() <= 12
    means = np.array([centres[labels == g].mean(0) for g in range(3)])
    assert min(np.linalg.norm(means[i] - means[j]) for i in range(3) for j in range(i)) > 80
    x0, _ = ds[block[0]]
    x1, _ = ds[block[0]]
    assert torch.equal(x0, x1)  # a pure function of the index: workers and resume agree


def test_mix_scores_against_brute_force_and_scipy():
    stats = pytest.importorskip("scipy.stats")
    g = np.random.default_rng(0)
    n = 60
    mixes = g.dirichlet(np.ones(5), n)[:, :4]
    emb = mixes + 0.05 * g.normal(size=mixes.shape)
    centres = g.uniform(0, 400, (n, 2))
    out = mix_scores(emb, mixes, centres, 32)
    ok = allowed_pairs(centres, 32)
    ed = np.linalg.norm(emb[:, None] - emb[None], axis=2)
    md = np.abs(mixes[:, None] - mixes[None]).sum(2)
    nn = np.where(ok, ed, np.inf).argmin(1)
    assert out["mix_l1_nn"] == pytest.approx(md[np.arange(n), nn].mean())
    assert out["mix_l1_random"] == pytest.approx(np.mean([md[i, ok[i]].mean() for i in
                                                          range(n)]))
    iu = np.triu_indices(n, 1)
    keep = ok[iu]
    rho = stats.spearmanr(ed[iu][keep], md[iu][keep]).statistic
    assert out["mix_spearman"] == pytest.approx(rho, abs=1e-9)
    assert out["mix_l1_best"] <= out["mix_l1_nn"] < out["mix_l1_random"]
    shuffled = mix_scores(g.permutation(emb), mixes, centres, 32)  # embeddings unrelated
    assert shuffled["mix_gain"] < 0.4 < out["mix_gain"]


def test_mix_spearman_averages_the_ranks_of_ties_as_scipy_does():
    """Pure tiles (all water, all buildings) share a mix: many mix distances tie at 0 or 2."""
    stats = pytest.importorskip("scipy.stats")
    g = np.random.default_rng(1)
    n = 40
    mixes = np.eye(4)[g.integers(0, 4, n)]
    emb = mixes + 0.3 * g.normal(size=mixes.shape)
    centres = g.uniform(0, 400, (n, 2))
    out = mix_scores(emb, mixes, centres, 32)
    ok = allowed_pairs(centres, 32)
    ed = np.linalg.norm(emb[:, None] - emb[None], axis=2)
    md = np.abs(mixes[:, None] - mixes[None]).sum(2)
    iu = np.triu_indices(n, 1)
    keep = ok[iu]
    rho = stats.spearmanr(ed[iu][keep], md[iu][keep]).statistic
    assert out["mix_spearman"] == pytest.approx(rho, abs=1e-9)
