"""Photo feature networks: the Inception-v3 path with a locally saved state dict (never
downloaded), the offline EfficientNet-Lite0 pool features, bad weights and inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from oculi.core.errors import DataError, ParameterError, ShapeError
from oculi.generate.extractors import InceptionPool, photo_feature_networks, photo_features


@pytest.fixture(scope="module")
def inception_file(tmp_path_factory):
    """A randomly initialised torchvision Inception-v3 (with its auxiliary head) saved locally."""
    from torchvision.models import inception_v3

    torch.manual_seed(0)
    net = inception_v3(weights=None, aux_logits=True, init_weights=False).eval()
    path = tmp_path_factory.mktemp("weights") / "inception.pth"
    torch.save(net.state_dict(), path)
    return path, net


def test_inception_pool_features_from_a_local_weights_file(inception_file):
    path, reference = inception_file
    pool = photo_feature_networks.get("inception")(path)
    assert isinstance(pool, InceptionPool)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 64, 80, 3)).astype(np.uint8)
    ours = photo_features(images, pool)
    assert ours.shape == (2, 2048) and ours.dtype == np.float64
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    x = torch.nn.functional.interpolate(x, size=(299, 299), mode="bilinear", antialias=True)
    with torch.no_grad():
        reference.fc = torch.nn.Identity()
        expected = reference((x - 0.5) / 0.5).double().numpy()
    assert np.allclose(ours, expected, rtol=1e-4, atol=1e-5)


def test_inception_needs_a_fitting_weights_file(tmp_path):
    with pytest.raises(ParameterError, match="never downloads"):
        photo_feature_networks.get("inception")(None)
    with pytest.raises(DataError, match="not found"):
        InceptionPool(tmp_path / "missing.pth")
    other = tmp_path / "other.pth"
    torch.save(torch.nn.Linear(3, 2).state_dict(), other)
    with pytest.raises(DataError, match="not an Inception-v3 state dict"):
        InceptionPool(other)


def test_lite0_pool_features_and_too_few_photos_for_fid():
    from oculi.generate.extractors import photo_scores
    from oculi.models import weights_offline

    if weights_offline("efficientnet_lite0") != "package":
        pytest.skip("EfficientNet-Lite0 weights package not installed")
    from oculi.data import load

    photos = [load("astronaut"), load("chelsea"), load("coffee")]
    net = photo_feature_networks.get("lite0")()
    feats = photo_features(photos, net)
    assert feats.shape == (3, 1280) and np.isfinite(feats).all()
    assert np.allclose(photo_features(photos[:1], net), feats[:1], atol=1e-5)
    # the features are the classifier's pooled input: its linear layer gives ImageNet logits
    logits = net.model.body.classifier(torch.from_numpy(feats).float())
    assert 281 <= int(logits[1].argmax()) <= 285  # chelsea: a cat class (tabby ... Egyptian)
    with pytest.raises(DataError, match="more samples than dimensions"):
        photo_scores(photos, photos)
    with pytest.raises(ShapeError, match="RGB"):
        photo_features([photos[0][..., 0]], net)
