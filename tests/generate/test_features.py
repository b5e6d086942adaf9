"""The LeNet feature network (trained, cached, reloaded) and generator_scores / real_baseline on
real MNIST digits with a small network trained in seconds."""

from __future__ import annotations

import numpy as np
import pytest
from tests.generate import _lenet_cache

from oculi.core.errors import DataError, DTypeError, ShapeError
from oculi.data.digits import load_digits
from oculi.generate import features as feat
from oculi.generate.metrics import generator_scores, real_baseline

pytestmark = _lenet_cache.needs_mnist
lenet_cache = _lenet_cache.small_network  # the fixture


def test_the_network_is_cached_with_its_test_accuracy(lenet_cache, monkeypatch):
    assert lenet_cache["path"] == str(feat.cache_path("mnist"))
    assert lenet_cache["train_images"] == 1000 and lenet_cache["test_images"] == 5000
    assert 0.5 < lenet_cache["test_accuracy"] <= 1.0

    def no_training(*a, **k):
        raise AssertionError("a cached network must not be trained again")

    monkeypatch.setattr(feat, "train_feature_network", no_training)
    net, info = feat.feature_network("mnist")
    assert info["test_accuracy"] == pytest.approx(lenet_cache["test_accuracy"])
    x, y = load_digits("mnist", "test", limit=500)
    _, pred = feat.lenet_outputs(net, x)
    assert np.mean(pred == y) == pytest.approx(lenet_cache["test_accuracy"], abs=0.08)


def test_generator_scores_on_real_digits(lenet_cache):
    x, y = load_digits("mnist", "test")
    real, fake, fake_y = x[:400], x[1000:1300], y[1000:1300]
    good = generator_scores(fake, real, set_name="mnist", fake_labels=fake_y)
    assert set(good) >= {"fid_lenet", "kid_lenet", "precision", "recall", "class_accuracy",
                         "mode_coverage", "class_entropy", "feature_accuracy"}
    assert good["class_entropy"] > 0.8 and good["precision"] > 0.6 and good["recall"] > 0.6
    # wrong requested classes: accuracy drops to about chance
    wrong = generator_scores(fake, real, set_name="mnist", fake_labels=(fake_y + 1) % 10)
    assert wrong["class_accuracy"] < 0.3 < good["class_accuracy"]
    assert "class_accuracy" not in generator_scores(fake, real, set_name="mnist")
    # only one digit repeated, and blurred noise: worse on every score
    ones = np.repeat(x[y == 1][:30], 10, axis=0)
    collapsed = generator_scores(ones, real, set_name="mnist")
    assert collapsed["mode_coverage"] <= 0.2 < good["mode_coverage"]
    assert collapsed["class_entropy"] < 0.5 < good["class_entropy"]
    assert collapsed["fid_lenet"] > good["fid_lenet"]
    assert collapsed["recall"] < good["recall"]
    noise = np.random.default_rng(0).integers(0, 256, (300, 28, 28)).astype(np.uint8)
    bad = generator_scores(noise, real, set_name="mnist")
    assert bad["fid_lenet"] > collapsed["fid_lenet"] and bad["kid_lenet"] > good["kid_lenet"]
    assert bad["precision"] < good["precision"]


def test_real_baseline_is_far_below_a_degraded_set(lenet_cache):
    big = real_baseline("mnist", n=500)
    assert big["n"] == 500 and big["split"] == "test"
    assert real_baseline("mnist", n=500)["fid_lenet"] == big["fid_lenet"]  # seeded halves
    assert real_baseline("mnist", n=500, seed=1)["fid_lenet"] != big["fid_lenet"]
    x, _ = load_digits("mnist", "test")
    shake = np.random.default_rng(1).integers(-90, 90, (500, 28, 28))
    noise = np.clip(x[:500].astype(int) + shake, 0, 255).astype(np.uint8)
    noisy = generator_scores(noise, x[2500:3000], set_name="mnist")
    assert 3 * big["fid_lenet"] < noisy["fid_lenet"]
    with pytest.raises(DataError, match="samples per half"):
        real_baseline("mnist", n=100)


def test_bad_images_are_oculi_errors(lenet_cache):
    x, _ = load_digits("mnist", "test", limit=300)
    with pytest.raises(ShapeError, match="fake"):
        generator_scores(x[:, :20], x, set_name="mnist")
    nan = x.astype(np.float32) / 255
    nan[0, 0, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        generator_scores(nan, x, set_name="mnist")
    with pytest.raises(DataError, match="divide by 255"):
        generator_scores(x.astype(np.float32), x, set_name="mnist")
    with pytest.raises(DTypeError):
        generator_scores(x.astype(bool), x, set_name="mnist")
    with pytest.raises(DataError, match="more samples than dimensions"):
        generator_scores(x[:50], x, set_name="mnist")
    with pytest.raises(KeyError):
        generator_scores(x, x, set_name="cifar")


def test_a_stale_cache_file_is_trained_again(tmp_path, monkeypatch):
    from oculi.models.weights import save_weights

    monkeypatch.setenv("OCULI_CACHE", str(tmp_path))
    path = feat.cache_path("mnist")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"half a file")
    calls = []

    def quick_train(set_name, *, out, **kw):
        calls.append(set_name)
        save_weights(feat.LeNetFeatures(), out, {"oculi_lenet_features": '{"test_accuracy": 0.5}'})

    monkeypatch.setattr(feat, "train_feature_network", quick_train)
    net, info = feat.feature_network("mnist")
    assert calls == ["mnist"] and info["test_accuracy"] == 0.5
    assert isinstance(net, feat.LeNetFeatures) and not (path.parent / f".{path.stem}.lock").exists()
    feat.feature_network("mnist")
    assert calls == ["mnist"]  # loaded from the cache the second time
