"""Streaming normalisation statistics vs two-pass numpy, stability, standardize, save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from skimage import data

from oculi.core.errors import DataError, ParameterError, ShapeError, ValueRangeError
from oculi.preprocess import (
    ChannelStats,
    Normalizer,
    denormalize,
    fit_normalization,
    normalize,
    standardize,
)


def _images() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    out = [data.astronaut(), data.chelsea(), data.coffee()]
    out += [rng.integers(0, 256, (rng.integers(5, 60), rng.integers(5, 60), 3), dtype=np.uint8)
            for _ in range(20)]
    return out


def test_streaming_fit_matches_two_pass_numpy() -> None:
    images = _images()
    stats = fit_normalization(iter(images))  # a one-shot iterator: a single pass
    allpix = np.concatenate([im.reshape(-1, 3).astype(np.float64) / 255.0 for im in images])
    np.testing.assert_allclose(stats.mean, allpix.mean(axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(stats.std, allpix.std(axis=0), rtol=0, atol=1e-12)
    assert stats.count == allpix.shape[0]
    # order does not matter
    again = fit_normalization(reversed(images))
    np.testing.assert_allclose(again.mean, stats.mean, atol=1e-13)
    np.testing.assert_allclose(again.std, stats.std, atol=1e-13)


def test_fit_from_paths_equals_fit_from_arrays(tmp_path: Path) -> None:
    from oculi.io import write_image

    images = _images()[:5]
    paths = [write_image(tmp_path / f"{i}.png", im) for i, im in enumerate(images)]
    a = fit_normalization(paths)
    b = fit_normalization(images)
    np.testing.assert_allclose(a.mean, b.mean, atol=1e-15)
    np.testing.assert_allclose(a.std, b.std, atol=1e-15)


def test_streaming_fit_is_numerically_stable() -> None:
    # a large offset and a tiny spread: sum(x^2)/n - mean^2 cancels catastrophically here
    rng = np.random.default_rng(1)
    images = [(1e8 + rng.normal(0, 1e-2, (32, 32))).astype(np.float64) for _ in range(50)]
    stats = fit_normalization(images, as_float01=False)
    ref = np.concatenate([im.ravel() for im in images])
    true_std = float(np.std(ref - 1e8))  # exact two-pass on the centred data
    assert abs(stats.std[0] - true_std) / true_std < 1e-6
    sq = np.concatenate([im.ravel() for im in images])
    naive_var = float((sq**2).mean() - sq.mean() ** 2)
    assert abs(np.sqrt(abs(naive_var)) - true_std) / true_std > 1e-2  # the naive way is wrong


def test_normalize_denormalize_roundtrip_and_units() -> None:
    image = data.astronaut()
    stats = fit_normalization([image])
    z = normalize(image, stats.mean, stats.std)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z.reshape(-1, 3).astype(np.float64).mean(0), 0, atol=1e-6)
    np.testing.assert_allclose(z.reshape(-1, 3).astype(np.float64).std(0), 1, atol=1e-6)
    back = denormalize(z, stats.mean, stats.std)
    np.testing.assert_allclose(back, image / 255.0, atol=1e-6)
    # ImageNet defaults: (x/255 - mean) / std
    ref = (image / 255.0 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(normalize(image), ref, atol=1e-5)
    gray = normalize(data.camera(), 0.5, 0.25)
    assert gray.shape == (512, 512)
    np.testing.assert_allclose(gray, (data.camera() / 255.0 - 0.5) / 0.25, atol=1e-5)


def test_standardize() -> None:
    image = data.astronaut()
    z = standardize(image)
    assert abs(float(z.mean())) < 1e-5
    assert abs(float(z.std()) - 1) < 1e-4
    zc = standardize(image, per_channel=True)
    np.testing.assert_allclose(zc.reshape(-1, 3).astype(np.float64).std(0), 1, atol=1e-6)
    flat = standardize(np.full((4, 4), 7, np.uint8))
    assert np.array_equal(flat, np.zeros((4, 4), np.float32))
    hu = np.array([[-1000.0, 0.0], [40.0, 1000.0]])
    np.testing.assert_allclose(standardize(hu, as_float01=False), (hu - hu.mean()) / hu.std(),
                               atol=1e-6)


def test_normalizer_save_load(tmp_path: Path) -> None:
    norm = Normalizer().fit(_images())
    path = tmp_path / "stats.json"
    norm.save(path)
    loaded = Normalizer.load(path)
    image = data.coffee()
    np.testing.assert_array_equal(loaded.transform(image), norm.transform(image))
    np.testing.assert_allclose(loaded.inverse_transform(loaded(image)), image / 255.0, atol=1e-6)
    assert ChannelStats.load(path).count == norm.stats.count


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="empty"):
        fit_normalization([])
    with pytest.raises(ShapeError, match="channel"):
        fit_normalization([data.astronaut(), data.camera()])
    with pytest.raises(ValueRangeError):
        normalize(np.full((4, 4), 200.0, np.float32))
    with pytest.raises(ShapeError, match="mean"):
        normalize(data.astronaut(), (0.5, 0.5), (0.2, 0.2, 0.2))
    with pytest.raises(ParameterError, match="std"):
        normalize(data.astronaut(), 0.5, 0.0)
    with pytest.raises(ParameterError, match="not fitted"):
        Normalizer().transform(data.camera())
    bad = tmp_path / "x.json"
    bad.write_text('{"kind": "other"}')
    with pytest.raises(DataError, match="ChannelStats"):
        Normalizer.load(bad)
